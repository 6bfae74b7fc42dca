"""Write a planned import: bulk inserts model by model, then the deferred links.

Rows are written with Django's own insert compiler (the one ``bulk_create``
uses) straight into each model's table, one statement per batch of rows
sized by the backend's parameter limit; new keys come back from the same
statement where the backend returns rows from a bulk insert (PostgreSQL,
SQLite 3.35+, MariaDB 10.5+) and one row at a time where it cannot. As with
``loaddata``, ``save()`` is not called and no signal is sent, unless the
import asks for signals: then every row goes through ``Model.save_base(raw=True)``,
which sends ``pre_save`` and ``post_save`` as ``loaddata`` does.
"""

from __future__ import annotations

from collections import defaultdict
from types import SimpleNamespace
from typing import Any

from django.core.management.color import no_style
from django.db import connections
from django.db.models import Model

from django_graft.archive.schema import stored_fields
from django_graft.batching import chunked, key_batch_size
from django_graft.exceptions import ImportRefused

from .insert import statement_for
from .links import GenericLink, KeyMaps, Link, links_of
from .plan import CHUNK, DEFAULT, KEEP, PARENT, RETURNING, ModelPlan, Plan
from .report import ImportResult

#: (row's new key, column attname, target model, target's archive key)
Deferred = tuple[Any, str, type[Model], Any]


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
        self.deferred: defaultdict[tuple[type[Model], str], list[tuple[Any, type[Model], Any]]]
        self.deferred = defaultdict(list)
        self._generic_targets: dict[Any, type[Model] | None] = {}

    def write(self) -> None:
        for model_plan in self.plan.order:
            if model_plan.new_keys != KEEP:
                self.keys.pending[model_plan.model] = set(model_plan.create)
        for model_plan in self.plan.order:
            self._write_model(model_plan)
        self._fill_deferred()
        if not self.plan.remap:
            self._reset_sequences()
        for model_plan in self.plan.order:
            hook = self.policy.hook(model_plan.model, "pre_commit")
            if hook is not None:
                hook()

    # -- one model ---------------------------------------------------------

    def _write_model(self, mp: ModelPlan) -> None:
        model, spool = mp.model, mp.spool
        links, generics = links_of(model)
        report = self.result.report(mp.label)
        report.matched += len(mp.matched)
        report.skipped += len(mp.skip)
        key_map = self.result.key_map.setdefault(mp.label, {})
        key_map.update(mp.matched)
        key_map.update((key, key) for key in mp.skip)
        pre_save = self.policy.hook(model, "pre_save")
        post_save = self.policy.hook(model, "post_save")
        for chunk in spool.records(CHUNK):
            created: list[tuple[Any, dict[str, Any], list[tuple[str, type[Model], Any]]]] = []
            updated: list[tuple[Any, dict[str, Any]]] = []
            for record in chunk:
                key = spool.key_of(record)
                if key in mp.create:
                    values = mp.decoder.decode(record)
                    later = self._map_links(values, links, generics)
                    self._set_key(mp, key, values)
                    created.append((key, values, later))
                elif key in mp.update:
                    values = mp.decoder.decode(record)
                    self._map_links(values, links, generics)
                    updated.append((key, values))
            if created:
                if pre_save is not None:
                    pre_save([values for _, values, _ in created])
                new_keys = self._insert(mp, [values for _, values, _ in created])
                pending = self.keys.pending.get(model)
                changes = self.keys.changes[model]
                for (old, _, later), new in zip(created, new_keys, strict=True):
                    if pending is not None:
                        pending.discard(old)
                    if new != old:
                        changes[old] = new
                    key_map[old] = new
                    for attname, target, target_key in later:
                        self.deferred[(model, attname)].append((new, target, target_key))
                report.created += len(created)
                if post_save is not None:
                    post_save(self._instances(mp, [v for _, v, _ in created], new_keys))
            if updated:
                self._update(mp, updated)
                report.updated += len(updated)
                key_map.update((key, key) for key, _ in updated)

    def _map_links(
        self, values: dict[str, Any], links: tuple[Link, ...], generics: tuple[GenericLink, ...]
    ) -> list[tuple[str, type[Model], Any]]:
        """Point the row's links at the target's keys; return those to fill in later."""
        later: list[tuple[str, type[Model], Any]] = []
        for link in links:
            if link.primary_key or not link.via_pk:
                continue
            value = values.get(link.attname)
            if value is None:
                continue
            new, pending = self.keys.map(link.target, value)
            values[link.attname] = new
            if pending:
                later.append((link.attname, link.target, value))
        for generic in generics:
            ct_id, object_id = values.get(generic.ct_attname), values.get(generic.id_attname)
            if ct_id is None or object_id is None:
                continue
            target = self._generic_target(ct_id)
            if target is None:
                continue
            pk: Any = target._meta.pk
            key = pk.to_python(object_id)
            new, pending = self.keys.map(target, key)
            if pending:
                if not generic.nullable:
                    raise ImportRefused(
                        f"{generic.name} of a {values} row points at a {target._meta.label} "
                        "row written later, and its object id column cannot be NULL "
                        "meanwhile. Import with --pks keep."
                    )
                values[generic.id_attname] = None
                later.append((generic.id_attname, target, key))
            elif new != key:
                values[generic.id_attname] = generic.id_field.to_python(new)
        return later

    def _generic_target(self, ct_id: Any) -> type[Model] | None:
        if ct_id not in self._generic_targets:
            self._generic_targets[ct_id] = self.keys.generic_target(ct_id)
        return self._generic_targets[ct_id]

    def _set_key(self, mp: ModelPlan, key: Any, values: dict[str, Any]) -> None:
        pk: Any = mp.model._meta.pk
        if hasattr(pk, "fields"):
            return  # a composite key is its parts, already in ``values``
        if mp.new_keys == KEEP:
            values[pk.attname] = key
        elif mp.new_keys == PARENT:
            parent = next(link for link in links_of(mp.model)[0] if link.primary_key)
            new, pending = self.keys.map(parent.target, key)
            if pending:
                raise ImportRefused(
                    f"{mp.label} {key!r} is written before its parent row; this is a bug "
                    "in the import order."
                )
            values[pk.attname] = new
        elif mp.new_keys == DEFAULT:
            values[pk.attname] = pk.get_default()
        else:
            assert mp.new_keys == RETURNING
            values.pop(pk.attname, None)

    # -- statements --------------------------------------------------------

    def _fields(self, mp: ModelPlan) -> list[Any]:
        pk = mp.model._meta.pk
        return [f for f in stored_fields(mp.model) if not (mp.new_keys == RETURNING and f is pk)]

    def _insert(self, mp: ModelPlan, rows: list[dict[str, Any]]) -> list[Any]:
        """Insert ``rows``; return their keys in the database, in order."""
        model = mp.model
        pk: Any = model._meta.pk
        if self.signals:
            return [self._save(model, values) for values in rows]
        fields = self._fields(mp)
        manager: Any = model._base_manager.db_manager(self.using)
        returning = mp.new_keys == RETURNING
        bulk = not returning or self.connection.features.can_return_rows_from_bulk_insert
        keys: list[Any] = []
        size = key_batch_size(self.connection, len(fields)) if bulk else 1
        statement = statement_for(model, fields, self.connection, returning=returning)
        for batch in chunked(rows, size):
            if statement is not None:
                returned = statement.execute(batch)
                keys.extend(returned if returning else (_key_of(model, v) for v in batch))
                continue
            objs = [SimpleNamespace(**values) for values in batch]
            if returning:
                returned = manager._insert(
                    objs, fields=fields, returning_fields=[pk], raw=True, using=self.using
                )
                keys.extend(row[0] for row in returned)
            else:
                manager._insert(objs, fields=fields, raw=True, using=self.using)
                keys.extend(_key_of(model, values) for values in batch)
        return keys

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
        attnames = [a for _, a, _ in mp.decoder.columns if a not in key_parts]
        if not attnames:
            return
        manager = model._base_manager.db_manager(self.using)
        if hasattr(pk, "fields"):  # bulk_update() takes no composite keys
            for key, values in rows:
                manager.filter(pk=key).update(**{a: values[a] for a in attnames})
            return
        objs = []
        for key, values in rows:
            obj = model(**{a: values[a] for a in attnames})
            setattr(obj, pk.attname, key)
            objs.append(obj)
        names = [f.name for f in stored_fields(model) if f.attname in attnames]
        manager.bulk_update(objs, names)

    # -- after every row is in -----------------------------------------------

    def _fill_deferred(self) -> None:
        """Write the links that pointed at rows not yet written, in bulk."""
        quote = self.connection.ops.quote_name
        for (model, attname), rows in self.deferred.items():
            field: Any = next(f for f in stored_fields(model) if f.attname == attname)
            pk: Any = model._meta.pk
            pairs = [
                (
                    pk.get_db_prep_value(key, self.connection),
                    field.get_db_prep_save(self._final(field, target, target_key), self.connection),
                )
                for key, target, target_key in rows
            ]
            table, column, key_column = (
                quote(model._meta.db_table),
                quote(field.column),
                quote(pk.column),
            )
            cast = (
                f"::{field.db_type(self.connection)}"
                if self.connection.vendor == "postgresql"
                else ""
            )
            for batch in chunked(pairs, key_batch_size(self.connection, 3)):
                whens = " ".join(["WHEN %s THEN %s"] * len(batch))
                marks = ", ".join(["%s"] * len(batch))
                sql = (
                    f"UPDATE {table} SET {column} = (CASE {key_column} {whens} END){cast} "
                    f"WHERE {key_column} IN ({marks})"
                )
                params = [p for pair in batch for p in pair] + [key for key, _ in batch]
                with self.connection.cursor() as cursor:
                    cursor.execute(sql, params)

    def _final(self, field: Any, target: type[Model], target_key: Any) -> Any:
        new, pending = self.keys.map(target, target_key)
        assert not pending, "every row is written by now"
        if field.remote_field is None:  # a generic object id column
            return field.to_python(new)
        return new

    def _reset_sequences(self) -> None:
        models = [mp.model for mp in self.plan.order if mp.create]
        statements = self.connection.ops.sequence_reset_sql(no_style(), models)
        if statements:
            with self.connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql)


def _key_of(model: type[Model], values: dict[str, Any]) -> Any:
    pk: Any = model._meta.pk
    parts = getattr(pk, "fields", None)
    if parts:
        return tuple(values[part.attname] for part in parts)
    return values[pk.attname]
