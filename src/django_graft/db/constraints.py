"""Foreign keys checked once a write is done, on every database.

PostgreSQL and SQLite check the foreign keys Django creates at commit
(``DEFERRABLE INITIALLY DEFERRED``), so rows may be written in any order
inside a transaction. MariaDB and MySQL check each row as it is written.
There, as ``loaddata`` does, the checks are switched off while the rows are
written and checked once at the end: the links of the rows written, when
the caller knows them (an import), else every row of the written tables.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from django.db import IntegrityError, connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.keyfilter import filter_in
from django_graft.schema.labels import model_label


def checks_each_row(using: str) -> bool:
    """Whether the database checks a foreign key as each row is written."""
    return not connections[using].features.can_defer_constraint_checks


@contextlib.contextmanager
def checked_at_end(
    using: str,
    tables: Iterable[str],
    *,
    now: bool,
    rows: Callable[[], None] | None = None,
) -> Iterator[None]:
    """Write rows in any order; their foreign keys are checked when the block ends.

    Where the database defers its checks to commit, they stay there unless
    ``now`` asks for them at the end of the block (a caller's transaction
    would commit too late to name the fault): then the foreign keys of
    ``tables`` are checked. Where it checks each row, the checks are off in
    the block, and ``rows`` (which checks the rows written) runs after it,
    or the check of ``tables`` without it. ``IntegrityError`` names the
    first row that points nowhere.
    """
    connection = connections[using]
    if not checks_each_row(using):
        yield
        if now:
            connection.check_constraints(table_names=sorted(tables))
        return
    with connection.constraint_checks_disabled():
        yield
    if rows is not None:
        rows()
    else:
        connection.check_constraints(table_names=sorted(tables))


def check_links(using: str, written: Mapping[type[Model], Iterable[Any]]) -> None:
    """Raise ``IntegrityError`` if a row among ``written`` ({model: keys}) points nowhere.

    One query per foreign key and batch of keys, each an anti-join on the
    keys given: the cost follows the rows written, not the size of their
    tables (Django's ``check_constraints()`` reads whole tables).
    """
    for model, keys in written.items():
        links = _constrained_links(model)
        if not links:
            continue
        # The keys are read once, a batch at a time, every link checked for
        # each batch: a million keys written are never a list here.
        for batch in chunked(keys, key_batch_size(connections[using])):
            for fk in links:
                target = fk.related_model._base_manager.using(using)
                present = target.values(fk.target_field.attname)
                rows = filter_in(model._base_manager.using(using), model._meta.pk, batch)
                stray = (
                    rows.filter(**{f"{fk.attname}__isnull": False})
                    .exclude(**{f"{fk.attname}__in": present})
                    .values_list("pk", fk.attname)[:1]
                )
                for pk, value in stray:
                    raise IntegrityError(
                        f"{model_label(model)} {pk!r}: {fk.name} points at "
                        f"{model_label(fk.related_model)} {value!r}, which does not exist."
                    )


def _constrained_links(model: type[Model]) -> list[Any]:
    """The model's own foreign key columns that the database constrains."""
    return [
        f
        for f in model._meta.local_concrete_fields
        if f.remote_field is not None and getattr(f, "db_constraint", False)
    ]
