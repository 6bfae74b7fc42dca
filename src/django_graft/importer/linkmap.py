"""Point the links of rows about to be written at their targets as the database has them.

Each link of a row names its target by the archive's key (or, by
``to_field``, by a value). As the import writes model after model, the
target's key in the database is known (:class:`.links.KeyMaps`), or not yet:
a link to a row written later is written NULL, or where the column cannot
be NULL with the archive's value standing in (the database checks foreign
keys only at the end), and filled in once every row is in.
"""

from __future__ import annotations

from collections.abc import Mapping
from itertools import compress
from operator import not_
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from django_graft.importer.carried import NamedValues, not_carried
from django_graft.importer.decode import Columns
from django_graft.importer.dynamicmap import DynamicMapper
from django_graft.importer.keybits import KeySet, members
from django_graft.importer.keypairs import mapped
from django_graft.importer.links import GenericLink, KeyMaps, Link, links_of
from django_graft.policy.rules import Policy

#: A link written NULL (or a stand-in) for now: (row's index in its chunk, column
#: attname, target model, the target's archive key, or value for a link by to_field);
#: for a column holding dynamic edges, no target and what :mod:`.dynamicmap` keeps.
Later = tuple[int, str, type[Model] | None, Any]


def _unmoved(key: Any, default: Any) -> Any:
    """A key no import key map moves stays as it is."""
    return default


class LinkMapper:
    """Map the links of the rows of an import, chunk by chunk."""

    def __init__(
        self,
        keys: KeyMaps,
        archived: Mapping[type[Model], KeySet],
        policy: Policy,
        named: NamedValues | None = None,
        *,
        in_place: bool = False,
    ) -> None:
        self.keys = keys
        self.archived = archived
        self.policy = policy
        #: The carried values of the columns links by ``to_field`` name.
        self.named = named or {}
        #: Models whose rows are all written.
        self.written: set[type[Model]] = set()
        self._generic_targets: dict[Any, type[Model] | None] = {}
        self.dynamic = DynamicMapper(keys, archived, policy, keep_missing=in_place)

    def map(self, model: type[Model], label: str, keys: list[Any], columns: Columns) -> list[Later]:
        """Point the links of rows (archive ``keys``) at their targets; return the rest."""
        links, generics = links_of(model)
        changes, pending = self.keys.changes, self.keys.pending
        later: list[Later] = []
        for link in links:
            if link.primary_key:
                # The key itself, which the writer gives: a parent pointer must
                # name a parent the archive carries, as any other link must.
                self._check_carried(label, keys, link, keys)
                continue
            self._check_carried(label, keys, link, columns[link.attname])
            if not link.via_pk:
                later.extend(self._map_named(link, columns[link.attname]))
                continue
            moved, waiting = changes.get(link.target), pending.get(link.target)
            if not moved and not waiting:
                continue  # keys stay as they are: nothing to do, row by row
            column = columns[link.attname]
            if not waiting:
                columns[link.attname] = mapped(moved, column)
                continue
            get = moved.get if moved is not None else _unmoved
            # A column that cannot be NULL holds the archive's value meanwhile.
            stand_in = not link.nullable
            for i, value in enumerate(column):
                if value in waiting:
                    column[i] = value if stand_in else None
                    later.append((i, link.attname, link.target, value))
                elif value is not None:
                    column[i] = get(value, value)
        for generic in generics:
            self._check_generic(label, keys, generic, columns)
            later.extend(self._map_generic(generic, columns))
        # After the links: a content type column naming a dynamic edge's model is mapped.
        later.extend(self.dynamic.map(model, label, keys, columns))
        return later

    def _map_named(self, link: Link, column: list[Any]) -> list[Later]:
        """Point a link by ``to_field`` at the value its target was written with.

        Where the target's rows are not all written yet and the policy may
        change that value (``set_fields``, a ``pre_save`` hook), the link is
        filled in at the end, as a link to a row written later is.
        """
        renamed = self.keys.values.get((link.target, link.target_attname), {})
        unsettled = link.target not in self.written and self.policy.changes_values(link.target)
        later: list[Later] = []
        for i, value in enumerate(column):
            if value is None:
                continue
            if unsettled:
                later.append((i, link.attname, link.target, value))
                if link.nullable:
                    column[i] = None
            else:
                column[i] = renamed.get(value, value)
        return later

    def _check_carried(self, label: str, keys: list[Any], link: Link, column: list[Any]) -> None:
        """Refuse a link to a row the archive does not carry (see :mod:`.carried`).

        The export writes every row a link points at (or clears the link), so
        such a value means a damaged archive; in remap mode it would silently
        point at whatever row has that key in this database, and in keep mode
        at someone else's row that shares it.
        """
        if link.via_pk:
            carried = self.archived.get(link.target, set())
        else:
            carried = self.named.get((link.target, link.target_attname), set())
        # Each value asked about: a set of a million keys is not copied per chunk.
        values = list(set(column))
        stray = set(compress(values, map(not_, members(carried, values))))
        stray.discard(None)
        if stray:
            key, value = next((k, v) for k, v in zip(keys, column, strict=True) if v in stray)
            raise not_carried(label, key, link.name, link.target, value, constraint=link.enforced)

    def _check_generic(
        self, label: str, keys: list[Any], generic: GenericLink, columns: Columns
    ) -> None:
        """Refuse a generic foreign key to a row the archive does not carry.

        The content type column is mapped already: it names a model of this
        database, whose archive keys the object ids are.
        """
        for i, (ct_id, object_id) in enumerate(
            zip(columns[generic.ct_attname], columns[generic.id_attname], strict=True)
        ):
            target = None if ct_id is None or object_id is None else self._generic_target(ct_id)
            if target is None:
                continue
            pk: Any = target._meta.pk
            try:
                key = pk.to_python(object_id)
            except ValidationError:
                key = object_id  # not a key of the target at all: no row carries it
            if key not in self.archived.get(target, ()):
                raise not_carried(label, keys[i], generic.name, target, object_id, constraint=False)

    def _map_generic(self, generic: GenericLink, columns: Columns) -> list[Later]:
        later: list[Later] = []
        object_ids = columns[generic.id_attname]
        for i, (ct_id, object_id) in enumerate(
            zip(columns[generic.ct_attname], object_ids, strict=True)
        ):
            target = None if ct_id is None or object_id is None else self._generic_target(ct_id)
            if target is None:
                continue
            pk: Any = target._meta.pk
            key = pk.to_python(object_id)
            new, pending = self.keys.map(target, key)
            if pending:
                # An object id that cannot be NULL keeps the archive's meanwhile.
                if generic.nullable:
                    object_ids[i] = None
                later.append((i, generic.id_attname, target, key))
            elif new != key:
                object_ids[i] = generic.id_field.to_python(new)
        return later

    def know_content_types(self) -> None:
        """Look up every content type of the target database now, in one query.

        So mapping generic links runs no statement (see :mod:`.copyahead`).
        """
        self._generic_targets.update(self.keys.generic_targets())

    def _generic_target(self, ct_id: Any) -> type[Model] | None:
        if ct_id not in self._generic_targets:
            self._generic_targets[ct_id] = self.keys.generic_target(ct_id)
        return self._generic_targets[ct_id]

    def final(self, model: type[Model], field: Any, target: type[Model] | None, left: Any) -> Any:
        """The value a link left for later takes, now that every row is written."""
        if target is None:
            return self.dynamic.final(model, field.attname, left)
        target_key = left
        if field.remote_field is not None and not field.target_field.primary_key:
            # A link by to_field: the value its target was written with.
            named = self.keys.values.get((target, field.target_field.attname), {})
            return named.get(target_key, target_key)
        new, pending = self.keys.map(target, target_key)
        assert not pending, "every row is written by now"
        if field.remote_field is None:  # a generic object id column
            return field.to_python(new)
        return new
