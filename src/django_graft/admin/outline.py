"""A first pass over an archive or fixture: the models it names and how many rows it holds.

The admin decides from this alone, before anything is planned or the
database is read, whether a user may import the archive at all: it must
not answer differently for rows the user may not see. So the answer may
depend on the archive only, never on what the database holds.

The models an import reads are those the archive names (its header, its
object, reference and link records; a fixture's objects), and those their
foreign keys and many-to-many fields point at, which the import looks up
(a fixture's links to rows outside it, a row matched by natural key).
Multi-table-inheritance parents are among them: a child points at its
parent.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from django_graft.archive.reader import read_archive
from django_graft.exceptions import GraftError
from django_graft.fixtures import GRAFT, sniff
from django_graft.fixtures.parse import fixture_objects
from django_graft.schema.labels import concrete, resolve_model
from django_graft.storage import Destination, describe, open_for_read

#: The keys of an archive line that name a model.
_LABEL_KEYS = ("model", "ref", "link")


@dataclass
class Outline:
    """The models an archive names, and its size."""

    #: Concrete models named by the archive's header or records.
    named: set[type[Model]] = field(default_factory=set)
    #: Records: rows, references, link records (a fixture's many-to-many
    #: values count one each: each is a row of the through table).
    rows: int = 0

    def add(self, label: Any) -> None:
        if type(label) is not str:
            return  # the import refuses it, with the line
        # A model that is not installed: the import refuses it by name.
        with suppress(GraftError):
            self.named.add(concrete(resolve_model(label)))

    def read(self) -> set[type[Model]]:
        """The named models and those their relations point at: what an import may read."""
        found = set(self.named)
        for model in self.named:
            found.update(_related(model))
        return found


def _related(model: type[Model]) -> Iterable[type[Model]]:
    for related in model._meta.get_fields():
        target: Any = getattr(related, "related_model", None)
        forward = related.concrete or (related.many_to_many and not related.auto_created)
        if forward and related.is_relation and target is not None:
            yield concrete(target)
    for m2m in model._meta.local_many_to_many:
        through: Any = m2m.remote_field.through
        if through is not None and not isinstance(through, str):
            yield concrete(through)


def outline(location: Destination) -> Outline:
    """Read the archive or fixture at ``location`` once for its model labels and size."""
    found = Outline()

    def visit(number: int, raw: bytes, item: dict[str, Any]) -> None:
        found.rows += 1
        for key in _LABEL_KEYS:
            if key in item:
                found.add(item[key])
                return

    name = describe(location) if isinstance(location, str | os.PathLike) else None
    with open_for_read(location) as raw:
        fmt, stream = sniff(raw, name, None)
        if fmt == GRAFT:
            summary = read_archive(stream, visit=visit)
            models = summary.header.get("models")
            for label in models if isinstance(models, dict) else ():
                found.add(label)
        else:
            for item in fixture_objects(stream, fmt):
                found.add(item["model"])
                found.rows += 1 + _through_rows(item)
    return found


def _through_rows(item: dict[str, Any]) -> int:
    """How many many-to-many rows a fixture object's lists of keys stand for."""
    try:
        model = resolve_model(item["model"])
    except GraftError:
        return 0
    names = {m2m.name for m2m in model._meta.many_to_many}
    return sum(
        len(value)
        for name, value in item["fields"].items()
        if name in names and isinstance(value, list)
    )
