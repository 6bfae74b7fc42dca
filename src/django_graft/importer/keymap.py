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
    from django_graft.importer.planned import ModelPlan


class WrittenKeys(Mapping[Any, Any]):
    """``{key in the archive: key in the database}`` for one model's rows."""

    def __init__(self, plan: ModelPlan, changes: Mapping[Any, Any]) -> None:
        self._created = plan.create
        self._changes = changes
        # The rows no row is created for, each naming the row that stands for it.
        self._kept = (plan.update, plan.skip, plan.unchanged)
        self._found: tuple[Mapping[Any, Any], ...] = (*self._kept, plan.matched)

    def written(self) -> WrittenKeys:
        """The same map without the needed rows matched in the database.

        For a clone, whose needed rows are the very rows it points at, that
        is its copies: the rows it created (or, in step, updated or left).
        """
        view = copy(self)
        view._found = self._kept
        return view

    def __getitem__(self, key: Any) -> Any:
        if key in self._created:
            return self._changes.get(key, key)
        for found in self._found:
            if key in found:
                return found[key]
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return key in self._created or any(key in found for found in self._found)

    def __iter__(self) -> Iterator[Any]:
        return chain(self._created, *self._found)

    def __len__(self) -> int:
        return len(self._created) + sum(len(found) for found in self._found)

    def __repr__(self) -> str:
        return repr(dict(self.items()))


class KeysAmong(Mapping[Any, Any]):
    """The pairs of ``mapping`` whose key is one of ``keys``, read through, not copied."""

    def __init__(self, mapping: Mapping[Any, Any], keys: AbstractSet[Any]) -> None:
        self._mapping = mapping
        self._keys = keys

    def __getitem__(self, key: Any) -> Any:
        if key not in self._keys:
            raise KeyError(key)
        return self._mapping[key]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)

    def __repr__(self) -> str:
        return repr(dict(self.items()))
