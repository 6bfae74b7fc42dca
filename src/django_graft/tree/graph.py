"""Graph: the result of a walk, as key sets per model and role.

A graph holds keys, never rows: memory grows with the number of objects,
not with their size. Rows are read again, in batches, by whatever consumes
the graph (the archive writer, later the importer and the deleter).

A walk allowed to keep large key sets in the database (see
:mod:`.keysets`) leaves some roles of some models as
:class:`~django_graft.db.keytables.KeyTable` objects instead of sets: they
are sized, iterated and tested for a key as sets are, and stay readable
until :meth:`Graph.close`.
"""

from __future__ import annotations

import enum
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django.db.models import Model

    from django_graft.db.keytables import KeyTable
    from django_graft.policy.rules import Policy
    from django_graft.schema.edges import Edge


class Role(str, enum.Enum):
    OWN = "own"
    NEED = "need"
    REFERENCE = "reference"


@dataclass(frozen=True)
class Reason:
    """Why a model is in the graph: the edge that first reached it, from where."""

    role: Role
    edge: Edge | None  # None for the models of the roots


@dataclass(frozen=True)
class ModelCount:
    model: type[Model]
    owned: int
    needed: int
    referenced: int

    @property
    def label(self) -> str:
        return model_label(self.model)

    @property
    def total(self) -> int:
        return self.owned + self.needed + self.referenced


@dataclass
class Graph:
    """Key sets of one walk. Every mapping is keyed by concrete model."""

    using: str
    policy: Policy
    roots: dict[type[Model], list[Any]] = field(default_factory=dict)
    """{model: [root pk, ...]} in the order the user gave them."""
    owned: dict[type[Model], AbstractSet[Any]] = field(default_factory=dict)
    """{model: {pk, ...}} per role; a key is in at most one of the three. A set, or
    a :class:`~django_graft.db.keytables.KeyTable` when the walk kept them in the database."""
    needed: dict[type[Model], AbstractSet[Any]] = field(default_factory=dict)
    referenced: dict[type[Model], AbstractSet[Any]] = field(default_factory=dict)
    reasons: dict[type[Model], Reason] = field(default_factory=dict)
    """{model: Reason} for the first edge that reached each model."""
    edge_rows: dict[tuple[Edge, type[Model]], int] = field(default_factory=dict)
    """{(edge, target model): number of target keys it yielded}, for the picture; a generic foreign
    key has one entry per model it reached. An edge followed by a join from keys in a table
    counts the keys it found first in its round; a link not read because it can only lead
    back (:mod:`~django_graft.tree.walktwins`), the rows that hold it.
    """
    warnings: list[str] = field(default_factory=list)
    tables: list[KeyTable] = field(default_factory=list)
    """The temporary tables some of the key sets are kept in, dropped by :meth:`close`."""

    def close(self) -> None:
        """Drop the temporary tables of the graph; its counts stay readable."""
        for table in self.tables:
            table.drop()

    @property
    def in_database(self) -> bool:
        """Whether some key sets are kept in temporary tables."""
        return bool(self.tables)

    def __repr__(self) -> str:
        owned, needed, refs = (
            sum(map(len, role.values())) for role in (self.owned, self.needed, self.referenced)
        )
        return (
            f"<Graph of {sum(map(len, self.roots.values()))} roots in '{self.using}': "
            f"{owned} owned, {needed} needed, {refs} referenced rows>"
        )

    def models(self) -> list[type[Model]]:
        """Every model with keys in any role, in a stable order."""
        seen = {**self.owned, **self.needed, **self.referenced}
        return sorted(seen, key=model_label)

    def role_of(self, model: type[Model], pk: Any) -> Role | None:
        if pk in self.owned.get(model, ()):
            return Role.OWN
        if pk in self.needed.get(model, ()):
            return Role.NEED
        if pk in self.referenced.get(model, ()):
            return Role.REFERENCE
        return None

    def counts(self) -> list[ModelCount]:
        """Per model, how many rows are owned, needed and referenced."""
        return [
            ModelCount(
                model,
                len(self.owned.get(model, ())),
                len(self.needed.get(model, ())),
                len(self.referenced.get(model, ())),
            )
            for model in self.models()
        ]

    def path_to(self, model: type[Model]) -> list[Edge]:
        """The chain of edges from a root model to ``model`` (empty for roots)."""
        path: list[Edge] = []
        current: type[Model] | None = model
        while current is not None:
            reason = self.reasons.get(current)
            if reason is None or reason.edge is None:
                break
            path.append(reason.edge)
            current = reason.edge.source
            if len(path) > len(self.reasons):  # defensive: a cycle in reasons
                break
        path.reverse()
        return path

    @property
    def total_rows(self) -> int:
        return sum(len(keys) for keys in (*self.owned.values(), *self.needed.values()))
