"""Pure introspection: the relation edges leaving a model.

An *edge* is one way of getting from rows of a source model to rows of a
target model with one query. Four kinds come from the schema:

* ``FORWARD``: a ``ForeignKey`` / ``OneToOneField`` on the source
  (multi-table-inheritance parent links included), or a ``ForeignObject``,
  whose link is held in other columns of the source, one or several;
* ``REVERSE``: the same field seen from the model it points at. Many-to-many
  fields need no kind of their own: their through model (auto-created or
  explicit) is an ordinary model with two forward edges, reached from either
  end by a reverse edge;
* ``GENERIC_FORWARD``: a ``GenericForeignKey`` on the source;
* ``GENERIC_REVERSE``: a ``GenericRelation`` on the source.

A fifth, ``DYNAMIC``, comes from a policy: keys a column holds without
being a foreign key (inside JSON, or beside a content type), declared with
``Policy(dynamic_edges=...)`` and described by :mod:`.dynamic`.

Nothing here queries the database or looks at a policy.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation

from django_graft.schema.dynamic import DynamicLink
from django_graft.schema.labels import concrete, model_label

if TYPE_CHECKING:
    from django.db.models import Model


class EdgeKind(enum.Enum):
    FORWARD = "forward"
    REVERSE = "reverse"
    GENERIC_FORWARD = "generic_forward"
    GENERIC_REVERSE = "generic_reverse"
    DYNAMIC = "dynamic"


@dataclass(frozen=True, eq=False)
class Edge:
    """One relation from ``source`` rows to ``target`` rows.

    ``fk`` is the concrete foreign key that stores the link, wherever it
    lives: on ``source`` for forward edges, on ``target`` for reverse edges.
    Generic edges have no ``fk``; ``generic`` holds the
    ``GenericForeignKey`` (forward) or ``GenericRelation`` (reverse).
    A dynamic edge has neither; ``dynamic`` describes where its keys are.
    ``target`` is ``None`` for a generic foreign key, and a dynamic edge
    typed row by row, which can point anywhere.
    """

    source: type[Model]
    name: str
    kind: EdgeKind
    target: type[Model] | None
    fk: Any = field(default=None, repr=False)
    generic: Any = field(default=None, repr=False)
    #: Other names the same edge answers to in a policy, e.g. the name of
    #: the many-to-many field whose through rows this reverse edge reaches.
    aliases: tuple[str, ...] = ()
    dynamic: DynamicLink | None = field(default=None, repr=False)

    @property
    def label(self) -> str:
        return f"{model_label(self.source)}.{self.name}"

    @property
    def is_forward(self) -> bool:
        return self.kind in (EdgeKind.FORWARD, EdgeKind.GENERIC_FORWARD, EdgeKind.DYNAMIC)

    @property
    def parent_link(self) -> bool:
        """Whether the edge joins the rows of one multi-table-inheritance object."""
        return self.fk is not None and bool(self.fk.remote_field.parent_link)

    @property
    def nullable(self) -> bool:
        return self.fk is not None and bool(self.fk.null)

    @property
    def on_delete(self) -> Any:
        return None if self.fk is None else self.fk.remote_field.on_delete

    @property
    def link_fields(self) -> tuple[Any, ...]:
        """The columns that hold the link, on the rows of the model that declares it.

        A foreign key's own column; for a ``ForeignObject``, its ``from_fields``
        (several, for a link by more than one column).
        """
        return tuple(self.fk.local_related_fields)

    @property
    def key_fields(self) -> tuple[Any, ...]:
        """The columns the link names on the rows it points at, as :attr:`link_fields` go."""
        return tuple(self.fk.foreign_related_fields)

    @property
    def via_pk(self) -> bool:
        """Whether the link is one column holding the target's primary key."""
        if self.fk is None:
            return True
        keys = self.key_fields
        return len(keys) == 1 and bool(keys[0].primary_key)

    def __repr__(self) -> str:
        return f"<Edge {self.label} ({self.kind.value})>"


def _hidden(rel: Any) -> bool:
    """Whether a relation has no accessor (``related_name`` ending in '+')."""
    return bool(rel.related_name) and str(rel.related_name).endswith("+")


def _reverse_name(rel: Any) -> tuple[str, tuple[str, ...]]:
    """Name a reverse relation the way a user would, plus its aliases."""
    related = rel.related_model
    through_of = related._meta.auto_created
    if through_of:
        # A row of an auto-created through table: name the edge after the
        # many-to-many field from this side, so 'app.Meeting.tags' works.
        m2m = next(
            f for f in through_of._meta.local_many_to_many if f.remote_field.through is related
        )
        if rel.field.name == m2m.m2m_field_name():
            return m2m.name, ()
        accessor = m2m.remote_field.get_accessor_name()
        if accessor and not _hidden(m2m.remote_field):
            return accessor, ()
        return f"{m2m.name}+", ()
    if _hidden(rel):
        return f"{related._meta.model_name}_{rel.field.name}+", ()
    aliases: list[str] = []
    # An explicit through model's rows also answer to the m2m field name.
    for m2m in rel.model._meta.many_to_many:
        through = m2m.remote_field.through
        if through is related and rel.field.name == m2m.m2m_field_name():
            aliases.append(m2m.name)
    for m2m_rel in rel.model._meta.related_objects:
        if not m2m_rel.many_to_many or m2m_rel.through is not related:
            continue
        m2m = m2m_rel.field
        if rel.field.name == m2m.m2m_reverse_field_name() and not _hidden(m2m_rel):
            aliases.append(m2m_rel.get_accessor_name())
    return rel.get_accessor_name(), tuple(aliases)


@cache
def edges_of(model: type[Model]) -> tuple[Edge, ...]:
    """Return every edge leaving ``model``'s rows, in a stable order.

    Proxies share the edges of their concrete model; the edges of inherited
    fields belong to the parent's table and are reached through the parent
    link, so only local fields count here.
    """
    model = concrete(model)
    opts = model._meta
    edges: list[Edge] = []
    # local_fields, not local_concrete_fields: a ForeignObject has no column
    # of its own, its link is in other fields' columns.
    for f in opts.local_fields:
        if f.is_relation and (f.many_to_one or f.one_to_one):
            assert f.related_model is not None and not isinstance(f.related_model, str)
            target = concrete(f.related_model)
            edges.append(Edge(model, f.name, EdgeKind.FORWARD, target, fk=f))
    for f in opts.private_fields:
        if isinstance(f, GenericForeignKey):
            if opts.get_field(f.ct_field).model is not model:
                continue  # declared on a multi-table parent: the parent's row holds it
            edges.append(Edge(model, f.name, EdgeKind.GENERIC_FORWARD, None, generic=f))
        elif isinstance(f, GenericRelation):
            assert f.related_model is not None and not isinstance(f.related_model, str)
            target = concrete(f.related_model)
            if not _has_fields(target, f.content_type_field_name, f.object_id_field_name):
                continue  # a relation to a model without a generic foreign key (contenttypes.E004)
            edges.append(Edge(model, f.name, EdgeKind.GENERIC_REVERSE, target, generic=f))
    for rel in opts.get_fields(include_parents=False, include_hidden=True):
        if not (rel.auto_created and not rel.concrete):
            continue
        if not (rel.one_to_many or rel.one_to_one):
            continue
        fk = rel.field  # type: ignore[union-attr]
        if isinstance(fk, GenericRelation):
            continue  # its own bookkeeping relation: the GENERIC_REVERSE edge is the one
        name, aliases = _reverse_name(rel)
        target = concrete(fk.model)
        edges.append(Edge(model, name, EdgeKind.REVERSE, target, fk=fk, aliases=aliases))
    return tuple(edges)


def _has_fields(model: type[Model], *names: str) -> bool:
    known = {f.name for f in model._meta.get_fields()}
    return all(name in known for name in names)


def generic_columns(edge: Edge) -> tuple[str, str]:
    """The content type and object id columns of a generic foreign key edge."""
    gfk = edge.generic
    opts: Any = edge.source._meta
    return opts.get_field(gfk.ct_field).attname, opts.get_field(gfk.fk_field).attname


@cache
def dynamic_edge(model: type[Model], link: DynamicLink) -> Edge:
    """The edge of a declared dynamic link: one object per link, whichever policy declares it."""
    name = link.field.name if link.path is None else f"{link.field.name}[{link.path}]"
    return Edge(concrete(model), name, EdgeKind.DYNAMIC, link.target, dynamic=link)


def edge_by_name(model: type[Model], name: str) -> Edge | None:
    """Find the edge of ``model`` a policy label calls ``name`` (case-insensitive)."""
    wanted = name.lower()
    for edge in edges_of(model):
        if edge.name.lower() == wanted or wanted in (a.lower() for a in edge.aliases):
            return edge
    return None
