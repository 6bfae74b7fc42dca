"""The key map an import returns: a view over what its plan decided, not a copy of it.

Every row of the archive the import wrote or found is in one of its model
plan's sets: created, overwritten, left for the existing row, matched, or
already stored. A created row's key in the database is the archive's key,
unless the import's key maps (:class:`.links.KeyMaps`) say otherwise; the
others name their row themselves. Reading the map from those, rather than
filling a dictionary of its own as rows are written, keeps the import from
holding every key pair twice (a million rows: about 70 MB).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from copy import copy
from itertools import chain
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django_graft.importer.keybits import KeySet
    from django_graft.importer.planned import ModelPlan


class WrittenKeys(Mapping[Any, Any]):
    """``{key in the archive: key in the database}`` for one model's rows."""

    def __init__(self, plan: ModelPlan, changes: Mapping[Any, Any]) -> None:
        self._created = plan.create
        self._changes = changes
        # The rows no row is created for, each naming the row that stands for it.
        self._found = (plan.update, plan.skip, plan.unchanged, plan.matched)
        # A set of their own: the spool's list is gone once the import ends.
        self._needed = plan.keys_like(plan.spool.needed)
        #: Keys left out of the map (the needed rows, in :meth:`owned`).
        self._left_out: AbstractSet[Any] = frozenset()

    def owned(self) -> WrittenKeys:
        """The same map of the archive's owned rows only.

        For a clone, whose needed rows are the very rows it points at (or,
        rarely, rows made anew), that is its copies: whatever plan set an
        owned row ended in (created; in step, overwritten, left, or a
        many-to-many link matched).
        """
        view = copy(self)
        view._left_out = self._needed
        return view

    def _parts(self) -> tuple[KeySet | Mapping[Any, Any], ...]:
        return (self._created, *self._found)

    def __getitem__(self, key: Any) -> Any:
        if key in self._left_out:
            raise KeyError(key)
        if key in self._created:
            return self._changes.get(key, key)
        for found in self._found:
            if key in found:
                return found[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return key not in self._left_out and any(key in part for part in self._parts())

    def __iter__(self) -> Iterator[Any]:
        keys = chain.from_iterable(self._parts())
        left_out = self._left_out
        return (key for key in keys if key not in left_out) if left_out else keys

    def __len__(self) -> int:
        parts = self._parts()
        dropped = sum(key in part for key in self._left_out for part in parts)
        return sum(map(len, parts)) - dropped

    def __repr__(self) -> str:
        return repr(dict(self.items()))
