"""Write a planned import: bulk inserts model by model, then the deferred links.

Each model's records are read back from their spool a chunk at a time,
decoded column by column, their links pointed at the keys the target rows
got, and handed to a :class:`~.insert.TableWriter` (``COPY`` on PostgreSQL,
multi-row ``INSERT`` elsewhere). Where the backend cannot return keys from a
bulk insert, or a field needs Django's own insert compiler, rows go through
that compiler instead, one at a time where new keys are wanted. As with
``loaddata``, ``save()`` is not called and no signal is sent, unless the
import asks for signals: then every row goes through
``Model.save_base(raw=True)``, which sends ``pre_save`` and ``post_save`` as
``loaddata`` does.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from itertools import compress
from operator import ne
from types import SimpleNamespace
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connections
from django.db.models import NOT_PROVIDED, Model

from django_graft.archive.schema import stored_fields, written_fields
from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.earlychecks import checked_early
from django_graft.db.queryset import insert_rows
from django_graft.db.sequences import reset_sequences
from django_graft.db.updates import set_column, update_rows
from django_graft.exceptions import ArchiveFormatError, ImportRefused
from django_graft.importer.copyahead import (
    COPY_BYTES,
    Ready,
    can_overlap,
    early_tables,
    write_in_turn,
)
from django_graft.importer.decode import Columns, reason, rows_of
from django_graft.importer.insert import TableWriter, writer_for
from django_graft.importer.intent import with_policy
from django_graft.importer.keybits import members
from django_graft.importer.keymap import WrittenKeys
from django_graft.importer.keypairs import mapped
from django_graft.importer.keysahead import KeysAhead
from django_graft.importer.linkmap import Later, LinkMapper
from django_graft.importer.links import DEFAULT, KEEP, PARENT, RETURNING, KeyMaps, links_of
from django_graft.importer.lockrows import check_updated, lock_overwritten_rows
from django_graft.importer.planned import CHUNK, ModelPlan, Plan
from django_graft.importer.result import ImportResult
from django_graft.render import progress


class Writer:
    def __init__(self, plan: Plan, policy: Any, result: ImportResult, *, signals: bool) -> None:
        self.plan = plan
        self.policy = policy
        self.result = result
        self.signals = signals
        self.using = plan.using
        self.connection = connections[plan.using]
        self.keys: KeyMaps = plan.keys
        # {(model, attname): [(row key, target model, target archive key), ...]}
        self.deferred: defaultdict[
            tuple[type[Model], str], list[tuple[Any, type[Model] | None, Any]]
        ]
        self.deferred = defaultdict(list)
        self.links = LinkMapper(
            plan.keys, plan.archived, policy, plan.named, in_place=plan.in_place
        )
        self.ahead = KeysAhead(plan, plan.keys, policy, self.connection)
        self._writers: dict[type[Model], TableWriter | None] = {}
        # {model: attnames other rows of the archive link to by to_field}
        self._named_columns: defaultdict[type[Model], set[str]] = defaultdict(set)
        for mp in plan.order:
            for link in links_of(mp.model)[0]:
                if not link.via_pk:
                    self._named_columns[link.target].add(link.target_attname)

    def write(self) -> None:
        lock_overwritten_rows(self.plan, self.plan.conflicts)
        for model_plan in self.plan.order:
            if model_plan.pending:
                # Taken as it is, not copied: writing a row takes its key out of it.
                self.keys.pending[model_plan.model] = model_plan.pending
        progress.stage("importing", sum(mp.spool.count for mp in self.plan.order))
        with checked_early(self.plan.using, early_tables(self.plan, self.policy, self.signals)):
            for model_plan in self.plan.order:
                self.ahead.before(model_plan, self.links.written)
                self._write_model(model_plan)
                written = self.keys.pending.get(model_plan.model)
                if written is not None and not written:
                    written.clear()  # an emptied set keeps its table until cleared
                self.links.written.add(model_plan.model)
                progress.advance(model_plan.spool.count)
        for (model, attname), rows in self.plan.links.restores.items():
            self.deferred[(model, attname)].extend(rows)
        self.result.relinked.update(self.plan.links.counts)
        self._fill_deferred()
        if not self.plan.remap:
            self._reset_sequences()
        for model_plan in self.plan.order:
            hook = self.policy.hook(model_plan.model, "pre_commit")
            if hook is not None:
                hook()

    # -- one model ---------------------------------------------------------

    def _write_model(self, mp: ModelPlan) -> None:
        report = self.result.report(mp.label)
        report.matched += len(mp.matched)
        report.unchanged += len(mp.unchanged)
        report.skipped += len(mp.skip)
        report.created_needed += mp.created_needed
        self.result.key_map[mp.label] = WrittenKeys(mp, self.keys.changes[mp.model])
        # Rows overwritten first: a unique value one of them gives up may be
        # the value of a row created next (a value the source moved).
        for chunk in mp.spool.records_among(mp.update, CHUNK) if mp.update else ():
            keys = mp.spool.keys_of(chunk)
            updated = [i for i, key in enumerate(keys) if key in mp.update]
            if updated:
                self._overwrite(mp, [chunk[i] for i in updated], [keys[i] for i in updated])
                report.updated += len(updated)
        if mp.create:
            self._create(mp)

    def _create(self, mp: ModelPlan) -> None:
        """Insert a model's new rows, a chunk at a time (see :mod:`.copyahead`)."""
        overlapping = not self.signals and can_overlap(mp, self._writer(mp), self.policy)
        if overlapping and links_of(mp.model)[1]:
            self.links.know_content_types()
        write_in_turn(
            (self._ready(mp, records, keys) for records, keys in self._new_rows(mp, overlapping)),
            lambda chunk, then: self._insert(mp, chunk.columns, chunk.keys, then),
            lambda chunk, new_keys: self._created(mp, chunk, new_keys),
            overlapping=overlapping,
        )

    def _new_rows(
        self, mp: ModelPlan, overlapping: bool
    ) -> Iterator[tuple[list[dict[str, Any]], list[Any]]]:
        """The records of the rows to create and their archive keys, a chunk at a time."""
        if len(mp.create) >= mp.spool.count:
            # Every record's row is created (the keys to create are the
            # spool's): no key needs looking up, three seconds in ten million.
            every = mp.spool.records_by_size(COPY_BYTES) if overlapping else mp.spool.records(CHUNK)
            for chunk in every:
                yield chunk, mp.spool.keys_of(chunk)
            return
        for chunk in mp.spool.records_among(mp.create, CHUNK):
            keys = mp.spool.keys_of(chunk)
            created = list(compress(range(len(keys)), members(mp.create, keys)))
            if created:
                yield [chunk[i] for i in created], [keys[i] for i in created]

    def _ready(self, mp: ModelPlan, records: list[dict[str, Any]], keys: list[Any]) -> Ready:
        """A chunk of new rows as they are written: decoded, linked, keyed, the policy applied."""
        model = mp.model
        columns = mp.decoder.decode_columns(records)
        # Values other rows name by to_field, as the archive has them (before
        # this row's own links are mapped: such a value may be a link itself).
        named = {a: list(columns[a]) for a in self._named_columns.get(model, ()) if a in columns}
        later = self.links.map(mp.model, mp.label, keys, columns)
        self._set_keys(mp, keys, columns)
        columns, later = self._apply_policy(model, columns, len(keys), later)
        if mp.reserved:  # rows written earlier link to these keys, whatever the policy sets
            columns[model._meta.pk.attname] = mp.reserved.values_of(keys)
        return Ready(keys, columns, named, later)

    def _created(self, mp: ModelPlan, chunk: Ready, new_keys: list[Any]) -> None:
        """Note where a chunk of new rows went, for the links to them."""
        model, keys, columns, later = mp.model, chunk.keys, chunk.columns, chunk.later
        self.result.report(mp.label).created += len(keys)
        for attname, before in chunk.named.items():
            # Links by to_field to these rows follow the values they were given.
            changed = self.keys.values[model, attname]
            changed.update(
                (old, new) for old, new in zip(before, columns[attname], strict=True) if old != new
            )
        pending = self.keys.pending.get(model)
        if pending is not None:
            pending.difference_update(keys)
        assert len(new_keys) == len(keys)
        moved = list(map(ne, keys, new_keys))  # keys written as they were need no pair
        self.keys.changes[model].set_many(
            list(compress(keys, moved)), list(compress(new_keys, moved))
        )
        for i, attname, target, target_key in later:
            self.deferred[(model, attname)].append((new_keys[i], target, target_key))
        post_save = self.policy.hook(model, "post_save")
        if post_save is not None:
            post_save(self._instances(mp, rows_of(columns, len(keys)), new_keys))

    def _overwrite(self, mp: ModelPlan, records: list[dict[str, Any]], keys: list[Any]) -> None:
        """Overwrite the existing rows the archive's rows collided with.

        The values are those a created row would get: links mapped (or filled
        in at the end), the policy's ``set_fields`` and ``pre_save`` hook applied.
        """
        model = mp.model
        columns = mp.decoder.decode_columns(records)
        later = self.links.map(model, mp.label, keys, columns)
        existing = [mp.update[key] for key in keys]
        columns, later = self._apply_policy(model, columns, len(keys), later)
        self._update(mp, list(zip(existing, rows_of(columns, len(keys)), strict=True)))
        for i, attname, target, target_key in later:
            self.deferred[(model, attname)].append((existing[i], target, target_key))

    def _apply_policy(
        self, model: type[Model], columns: Columns, count: int, later: list[Later]
    ) -> tuple[Columns, list[Later]]:
        """The rows' values after the policy's ``set_fields`` and ``pre_save`` hook.

        A link the policy sets is no longer left for later.
        """
        overrides = self.policy.overrides(model)
        if overrides:
            later = [entry for entry in later if entry[1] not in overrides]
        return with_policy(self.policy, model, columns, count), later

    def _set_keys(self, mp: ModelPlan, keys: list[Any], columns: Columns) -> None:
        """Give the rows the keys they are written with (none where the database makes them)."""
        pk: Any = mp.model._meta.pk
        if mp.reserved:
            columns[pk.attname] = mp.reserved.values_of(keys)
            return
        if hasattr(pk, "fields") or mp.new_keys == RETURNING:
            return  # a composite key is its parts, already in the columns
        if mp.new_keys == KEEP:
            columns[pk.attname] = list(keys)
        elif mp.new_keys == DEFAULT:
            columns[pk.attname] = [pk.get_default() for _ in keys]
        else:
            assert mp.new_keys == PARENT
            parent = next(link for link in links_of(mp.model)[0] if link.primary_key)
            if not parent.via_pk:  # a key by to_field: its target's value, as written
                named = self.keys.values.get((parent.target, parent.target_attname), {})
                columns[pk.attname] = [named.get(key, key) for key in keys]
                return
            if self.keys.pending.get(parent.target, set()).intersection(keys):
                raise ImportRefused(
                    f"{mp.label} rows are written before their parent rows; this is a bug "
                    "in the import order."
                )
            columns[pk.attname] = mapped(self.keys.changes.get(parent.target), keys)

    # -- statements --------------------------------------------------------

    def _fields(self, mp: ModelPlan) -> list[Any]:
        pk = mp.model._meta.pk
        return [f for f in written_fields(mp.model) if not (_returning(mp) and f is pk)]

    def _insert(
        self,
        mp: ModelPlan,
        columns: Columns,
        keys: list[Any],
        meanwhile: Callable[[list[Any]], None] | None = None,
    ) -> list[Any]:
        """Insert the rows (archive ``keys``); return their keys in the database, in order.

        ``meanwhile``: for a table writer to call with them (see ``TableWriter.write``).
        """
        if self.signals:
            return [self._save(mp.model, values) for values in rows_of(columns, len(keys))]
        writer = self._writer(mp)
        if writer is not None:
            return writer.write(columns, keys, meanwhile)
        return self._insert_with_django(mp, rows_of(columns, len(keys)))

    def _writer(self, mp: ModelPlan) -> TableWriter | None:
        if mp.model not in self._writers:
            self._writers[mp.model] = self._table_writer(mp)
        return self._writers[mp.model]

    def _table_writer(self, mp: ModelPlan) -> TableWriter | None:
        returning = _returning(mp)
        if returning and not self.connection.features.can_return_rows_from_bulk_insert:
            return None
        # JSON values the archive alone gives: not a default's, nor the policy's.
        json_text = frozenset(
            () if self.policy.changes_values(mp.model) else mp.decoder.archived_json()
        )
        return writer_for(
            mp.model, self._fields(mp), self.connection, returning=returning, json_text=json_text
        )

    def _insert_with_django(self, mp: ModelPlan, rows: list[dict[str, Any]]) -> list[Any]:
        """Django's own insert compiler: for what :mod:`.insert` does not write itself.

        One row per statement where new keys are wanted and the backend cannot
        return them from a bulk insert.
        """
        fields = self._fields(mp)
        manager: Any = mp.model._base_manager.db_manager(self.using)
        returning = _returning(mp)
        pk: Any = mp.model._meta.pk
        if returning and not fields and _database_default(pk):
            # A table of nothing but a key the database makes: Django writes the
            # key's default expression itself (naming no column would write NULL).
            fields = [pk]
            rows = [{pk.attname: pk.get_default()} for _ in rows]
        bulk = not returning or self.connection.features.can_return_rows_from_bulk_insert
        keys: list[Any] = []
        for batch in chunked(rows, key_batch_size(self.connection, len(fields)) if bulk else 1):
            objs = [SimpleNamespace(**values) for values in batch]
            try:
                keys.extend(self._django_batch(mp, manager, objs, fields, returning))
            except (ValidationError, TypeError, ValueError, ArithmeticError) as exc:
                raise ArchiveFormatError(
                    f"{mp.label}: a value cannot be written ({reason(exc)}). Correct the "
                    "value in the archive, or export it again."
                ) from None
        return keys

    def _django_batch(
        self, mp: ModelPlan, manager: Any, objs: list[Any], fields: list[Any], returning: bool
    ) -> list[Any]:
        model = mp.model
        pk: Any = model._meta.pk
        if returning:
            returned = insert_rows(manager, objs, fields, self.using, returning=[pk])
            return [row[0] for row in returned]
        insert_rows(manager, objs, fields, self.using)
        return [_key_of(model, vars(obj)) for obj in objs]

    def _save(self, model: type[Model], values: dict[str, Any]) -> Any:
        obj = model(**values)
        obj.save_base(raw=True, force_insert=True, using=self.using)
        return obj.pk

    def _instances(self, mp: ModelPlan, rows: list[dict[str, Any]], keys: list[Any]) -> list[Model]:
        pk: Any = mp.model._meta.pk
        objs = []
        for values, key in zip(rows, keys, strict=True):
            obj = mp.model(**values)
            if not hasattr(pk, "fields"):
                setattr(obj, pk.attname, key)
            obj._state.adding = False
            obj._state.db = self.using
            objs.append(obj)
        return objs

    def _update(self, mp: ModelPlan, rows: list[tuple[Any, dict[str, Any]]]) -> None:
        """Overwrite existing rows with the archive's values."""
        model = mp.model
        pk: Any = model._meta.pk
        key_parts = {f.attname for f in getattr(pk, "fields", [pk])}
        attnames = [a for a in mp.decoder.attnames if a not in key_parts]
        if not attnames:
            return
        manager = model._base_manager.db_manager(self.using)
        if hasattr(pk, "fields"):  # bulk_update() takes no composite keys
            for key, values in rows:
                updated = manager.filter(pk=key).update(**{a: values[a] for a in attnames})
                check_updated(mp.label, 1, updated, [key])
            return
        fields = [f for f in stored_fields(model) if f.attname in attnames]
        updated = update_rows(model, fields, rows, self.using)
        if updated != len(rows):  # a row deleted by someone else, where nothing locked it
            gone = manager.filter(pk__in=[key for key, _ in rows]).values_list("pk", flat=True)
            check_updated(mp.label, len(rows), updated, sorted({k for k, _ in rows} - set(gone)))

    # -- after every row is in -----------------------------------------------

    def _fill_deferred(self) -> None:
        """Write the links that pointed at rows not yet written, column by column."""
        for (model, attname), rows in self.deferred.items():
            field: Any = next(f for f in stored_fields(model) if f.attname == attname)
            final = self.links.final
            pairs = [(key, final(model, field, target, left)) for key, target, left in rows]
            set_column(model, field, pairs, self.using)

    def _reset_sequences(self) -> None:
        models = [mp.model for mp in self.plan.order if mp.create]
        reset_sequences(self.connection, models)


def _returning(mp: ModelPlan) -> bool:
    """Whether the database gives the created rows their keys as they are written."""
    return mp.new_keys == RETURNING and not mp.reserved


def _database_default(field: Any) -> bool:
    """Whether ``field`` has a default the database computes (``db_default``)."""
    return getattr(field, "db_default", NOT_PROVIDED) is not NOT_PROVIDED


def _key_of(model: type[Model], values: dict[str, Any]) -> Any:
    pk: Any = model._meta.pk
    parts = getattr(pk, "fields", None)
    if parts:
        return tuple(values[part.attname] for part in parts)
    return values[pk.attname]
