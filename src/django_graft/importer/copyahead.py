"""Each chunk of a model's new rows made ready while PostgreSQL files the one before.

A ``COPY`` returns once the database has filed every row sent, and the
next chunk was read, decoded and linked only then: an import of ten
million rows spent about a seventh of its time waiting for the end of its
``COPY`` statements, the database idle while the next chunk was made
ready. Here the next chunk is made ready once a chunk's rows and the end
of its data are sent, before its result is read
(:func:`~django_graft.db.driver.copy_rows`): PostgreSQL files the last rows
and checks the keys checked as a statement ends
(:mod:`django_graft.db.earlychecks`) meanwhile.

That is only safe where making a chunk ready runs no statement, the
connection being busy copying: :func:`can_overlap` says where.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django_graft.archive.schema import stored_fields
from django_graft.importer.decode import Columns
from django_graft.importer.insert import TableWriter
from django_graft.importer.linkmap import Later
from django_graft.importer.links import DEFAULT
from django_graft.importer.planned import ModelPlan, Plan
from django_graft.policy.rules import Policy
from django_graft.schema.fieldtypes import converts_itself

#: Bytes of record lines a chunk holds when chunks overlap (and each
#: record's row is created): each ``COPY`` still ends with a wait for the
#: rows sent last, so fewer, longer statements wait less. About 4,000 rows
#: of a few hundred bytes; fewer of wide rows, which memory holds.
COPY_BYTES = 1 << 20

#: Called with the keys a chunk's rows were written with.
Written = Callable[[list[Any]], None]


@dataclass
class Ready:
    """A chunk of new rows, ready to be written."""

    #: The rows' keys in the archive.
    keys: list[Any]
    columns: Columns
    #: {attname: the values links by ``to_field`` name, as the archive has them}
    named: dict[str, list[Any]]
    #: The links written once their targets are.
    later: list[Later]


def can_overlap(mp: ModelPlan, writer: TableWriter | None, policy: Policy) -> bool:
    """Whether a model's chunks can be made ready while a ``COPY`` is open.

    Not where the project's code runs as they are (hooks, ``set_fields``,
    field classes of its own, a default from a function for a field the
    archive leaves out or for new keys), nor where a link is resolved by a
    query (dynamic edges). The content types of generic links are looked
    up beforehand by the caller.
    """
    model = mp.model
    if writer is None or not writer.copy:
        return False
    if policy.changes_values(model) or policy.hook(model, "post_save") is not None:
        return False
    if mp.decoder.calls_defaults() or (mp.new_keys == DEFAULT and not mp.reserved):
        return False
    return not policy.dynamic_edges(model) and not any(map(converts_itself, stored_fields(model)))


def early_tables(plan: Plan, policy: Policy, signals: bool) -> list[tuple[str, bool]]:
    """The tables written, in order, with whether their keys may be checked as statements end.

    See :mod:`django_graft.db.earlychecks`. None where the project's code
    runs as rows are written (signals, a ``post_save`` hook): it may write
    rows whose keys hold only by commit. Nor a table whose values the
    policy changes (``set_fields``, a ``pre_save`` hook): its links may be
    set to rows written later, up to the ``pre_commit`` hook.
    """
    order = [mp for mp in plan.order if mp.create or mp.update]
    if signals or any(policy.hook(mp.model, "post_save") for mp in order):
        return []
    return [(mp.model._meta.db_table, not policy.changes_values(mp.model)) for mp in order]


def write_in_turn(
    chunks: Iterator[Ready],
    insert: Callable[[Ready, Written | None], list[Any]],
    written: Callable[[Ready, list[Any]], None],
    *,
    overlapping: bool,
) -> None:
    """Write ``chunks`` in turn: ``insert`` each, then note it ``written``.

    Overlapping, ``insert`` calls back once it has sent a chunk's rows, and
    the chunk is noted and the next one made ready then.
    """
    # The chunk after the one being written: made ready by ``then``.
    ahead: list[Ready | None] = [next(chunks, None)]
    while (chunk := ahead[0]) is not None:
        ahead.clear()

        def then(new_keys: list[Any], chunk: Ready = chunk) -> None:
            written(chunk, new_keys)
            ahead.append(next(chunks, None))

        if overlapping:
            insert(chunk, then)
        else:
            then(insert(chunk, None))
