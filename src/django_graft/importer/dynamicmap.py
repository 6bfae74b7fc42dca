"""Point the keys a dynamic edge holds (inside JSON, in a plain column) at their rows here.

A policy's dynamic edges (:mod:`django_graft.policy.declarations`) name
places in a column where keys of other rows sit. As for a foreign key, each
key must name a row the archive carries, and takes the key that row has in
this database; the rest of the value is written as the archive has it.
Where a key's row is not written yet (a cycle, a row pointing at a later
one of its own model), the value keeps the archive's keys for now and is
written again once every row is in (``Later`` entries whose target is
``None`` carry the archive's value, with the row's type columns).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from django.db.models import Model

from django_graft.exceptions import ArchiveFormatError, ImportRefused
from django_graft.importer.carried import not_carried
from django_graft.importer.decode import Columns
from django_graft.importer.keybits import KeySet
from django_graft.importer.links import KeyMaps
from django_graft.policy.rules import Policy
from django_graft.schema.dynamic import DynamicLink, NotAKey, key_reader, written_like
from django_graft.schema.edges import Edge
from django_graft.schema.labels import model_label
from django_graft.tree.dynamictargets import TargetNamer

#: As :data:`.linkmap.Later`: (row's index in its chunk, attname, None,
#: (the archive's value, {type column's attname: its value written}, the row's archive key)).
DynamicLater = tuple[int, str, None, tuple[Any, dict[str, Any], Any]]


class _Refused(Exception):
    """A value a place cannot hold; the row's key is added where it is known."""

    def __init__(self, link: DynamicLink, target: type[Model], raw: Any, why: str | None):
        super().__init__(why)
        self.link, self.target, self.raw, self.why = link, target, raw, why


#: ``change(raw)`` for one link and target, and the cell it marks when a key waits.
Changer = tuple[Callable[[Any], Any], list[bool]]
#: {(id of the link, target): its changer}, kept while the key maps stay as they are.
Changers = dict[tuple[int, type[Model]], Changer]


class DynamicMapper:
    """Map the keys of the dynamic edges of an import's rows, chunk by chunk."""

    def __init__(
        self,
        keys: KeyMaps,
        archived: Mapping[type[Model], KeySet] | None,
        policy: Policy,
        *,
        keep_missing: bool = False,
    ):
        """``archived``: the keys the archive carries, per model; ``None`` checks none
        (a comparison, whose rows the write checks). ``keep_missing``: a key the archive
        does not carry stays as it is (a clone, read from this database: the walk found
        no row at that key, and warned)."""
        self.keys = keys
        self.keep_missing = keep_missing
        self.archived = archived
        self.policy = policy
        self.namer = TargetNamer(keys.using)
        self._columns: dict[type[Model], dict[str, list[DynamicLink]]] = {}
        # Once every row is written, the key maps no longer change.
        self._final: Changers = {}

    def by_column(self, model: type[Model]) -> dict[str, list[DynamicLink]]:
        """The model's dynamic links, grouped by the column that holds them."""
        if model not in self._columns:
            grouped: dict[str, list[DynamicLink]] = {}
            for edge in self.policy.dynamic_edges(model):
                link = _link(edge)
                grouped.setdefault(link.field.attname, []).append(link)
            self._columns[model] = grouped
        return self._columns[model]

    def map(
        self, model: type[Model], label: str, keys: list[Any], columns: Columns
    ) -> list[DynamicLater]:
        """Rewrite the keys in the rows' columns; return the values to write again at the end."""
        later: list[DynamicLater] = []
        changers: Changers = {}
        for attname, links in self.by_column(model).items():
            if attname not in columns:
                continue  # left out of the archive (exclude_fields)
            column = columns[attname]
            typed = [link.type_field.attname for link in links if link.type_field is not None]
            for i, value in enumerate(column):
                if value is None:
                    continue
                types = {name: columns[name][i] for name in typed}
                mapped, waiting = self._mapped(label, keys[i], links, types, value, changers)
                column[i] = mapped
                if waiting:
                    later.append((i, attname, None, (value, types, keys[i])))
        return later

    def final(self, model: type[Model], attname: str, left: tuple[Any, dict[str, Any], Any]) -> Any:
        """The value to write once every row is in: every key mapped."""
        value, types, key = left
        links = self.by_column(model)[attname]
        mapped, waiting = self._mapped(model_label(model), key, links, types, value, self._final)
        assert not waiting, "every row is written by now"
        return mapped

    def _mapped(
        self,
        label: str,
        key: Any,
        links: list[DynamicLink],
        types: Mapping[str, Any],
        value: Any,
        changers: Changers,
    ) -> tuple[Any, bool]:
        waiting = False
        for link in links:
            target = (
                link.target if link.type_field is None else self._target(label, key, link, types)
            )
            if target is None:
                continue
            changer = changers.get((id(link), target))
            if changer is None:
                changer = changers[id(link), target] = self._changer(link, target)
            change, waited = changer
            waited[0] = False
            try:
                value = link.rewrite(value, change)
            except _Refused as refused:
                raise self._refusal(label, key, refused) from None
            if waited[0]:
                waiting = True
        return value, waiting

    def _target(
        self, label: str, key: Any, link: DynamicLink, types: Mapping[str, Any]
    ) -> type[Model] | None:
        if link.type_field is None:
            return link.target
        named = types[link.type_field.attname]
        if named is None or named == "":
            return None
        try:
            return self.namer.model(link, named)
        except LookupError:
            raise ArchiveFormatError(
                f"{label} {key!r}: {link.type_field.name} holds {named!r}, which names no "
                f"installed model, so the keys at {link.where} belong to nothing. Correct the "
                "row where it was exported from, and export again."
            ) from None

    def _changer(self, link: DynamicLink, target: type[Model]) -> Changer:
        """``change(raw)``: the key ``raw`` names, as its row here has it; a waiting key stays."""
        read = key_reader(link, target)
        carried = None if self.archived is None else self.archived.get(target, set())
        pending = self.keys.pending.get(target)
        changes = self.keys.changes.get(target)
        keep_missing = self.keep_missing
        waited = [False]

        def change(raw: Any) -> Any:
            if raw is None:
                return None
            try:
                archived = read(raw)
            except NotAKey as exc:
                raise _Refused(link, target, raw, str(exc)) from None
            if carried is not None and archived not in carried:
                if keep_missing:
                    return raw
                raise _Refused(link, target, raw, None)
            if pending and archived in pending:
                waited[0] = True
                return raw
            new = archived if changes is None else changes.get(archived, archived)
            return raw if new == archived else written_like(link, raw, new)

        return change, waited

    @staticmethod
    def _refusal(label: str, key: Any, refused: _Refused) -> ArchiveFormatError:
        link, target, raw = refused.link, refused.target, refused.raw
        if refused.why is None:
            return not_carried(label, key, link.where, target, raw, constraint=False)
        return ArchiveFormatError(
            f"{label} {key!r}: {link.where} holds {raw!r}, which is not a key of "
            f"{model_label(target)} as the policy's dynamic edge declares ({refused.why}). "
            "Correct the row where it was exported from, or the declaration's path, and export "
            "again."
        )


def _link(edge: Edge) -> DynamicLink:
    assert edge.dynamic is not None
    return edge.dynamic


def check_declarations(
    header: Mapping[str, Any], policy: Policy, models: list[type[Model]]
) -> None:
    """Refuse an archive whose dynamic edges the import's policy does not declare.

    The export followed them and wrote their keys as the source has them; an
    import that did not map them would write keys of another database. A
    declaration only the import makes is checked row by row instead: each key
    must name a row the archive carries.
    """
    theirs = header.get("dynamic_edges")
    if theirs is None:
        return
    if not isinstance(theirs, list) or not all(isinstance(entry, dict) for entry in theirs):
        raise ArchiveFormatError(
            "The archive's header holds dynamic_edges that are not a list of declarations. "
            "The archive is damaged: export it again."
        )
    mine = {_canonical(entry) for entry in policy.described_dynamic_edges(models)}
    for entry in theirs:
        if _canonical(entry) not in mine:
            shown = ", ".join(f"{k}={v!r}" for k, v in sorted(entry.items()))
            raise ImportRefused(
                f"The archive was exported with a dynamic edge ({shown}) that this import's "
                "policy does not declare, so the keys it holds would be written as the source "
                "has them. Import with the policy the archive was exported with (--policy "
                "DOTTED.PATH, or GRAFT['POLICY'])."
            )


def _canonical(entry: Mapping[str, Any]) -> str:
    return json.dumps(
        {k: str(v).lower() if k in ("field", "to") else v for k, v in entry.items()},
        sort_keys=True,
    )
