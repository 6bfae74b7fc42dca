"""What is known about the needed rows of one model while they are matched and settled."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.importer.links import Link, links_of

if TYPE_CHECKING:
    from django_graft.importer.planned import ModelPlan


class _New:
    """The image of a row created with a key the database has not given yet."""

    def __repr__(self) -> str:
        return "<new key>"


NEW: Any = _New()

#: What a match rests on: (target model, the archive's target key, the key the
#: match takes the target to have in the database).
Dependency = tuple[type[Model], Any, Any]


@dataclass
class NeededModel:
    """The needed rows of one model, and what has been decided about them."""

    plan: ModelPlan
    #: How its rows are matched: "fields", "natural" or "identity".
    method: str
    #: {archive key: existing key}, matched by fields or natural key (or as a part
    #: of an object matched so).
    strong: dict[Any, Any] = field(default_factory=dict)
    #: {archive key: links}: identity matches, kept while every link agrees.
    candidates: dict[Any, list[Dependency]] = field(default_factory=dict)
    #: {archive key: links}: what a strong match's values held, kept while they agree.
    strong_links: dict[Any, list[Dependency]] = field(default_factory=dict)
    #: Keys of the rows to create.
    absent: set[Any] = field(default_factory=set)
    #: Keys at which the database holds a different row.
    taken: set[Any] = field(default_factory=set)
    #: {archive key: {attname: archive value}} of the parent links that are not
    #: the key (a model with several multi-table parents).
    parents: dict[Any, dict[str, Any]] = field(default_factory=dict)

    @property
    def model(self) -> type[Model]:
        return self.plan.model


@cache
def key_links(model: type[Model]) -> tuple[Link, ...]:
    """The links of ``model`` that hold another row's key (its own key's aside)."""
    return tuple(link for link in links_of(model)[0] if link.via_pk and not link.primary_key)


@cache
def key_link(model: type[Model]) -> Link | None:
    """The link that is ``model``'s primary key and holds its target's key, if one is.

    A key that links by ``to_field`` holds the target's value instead; it is
    that value, as written (see ``Writer._set_keys``), not an image of a key.
    """
    return next((link for link in links_of(model)[0] if link.primary_key and link.via_pk), None)


@cache
def named_key_link(model: type[Model]) -> Link | None:
    """The link that is ``model``'s primary key by ``to_field``, if one is."""
    return next((link for link in links_of(model)[0] if link.primary_key and not link.via_pk), None)
