"""What an archive carries: the rows a link of its records may name.

A link of a record may name only a row the archive carries: one of its
records, or a row a reference record names (found in the target by natural
key or declared match fields). Anything else is a row the archive cannot
vouch for, even where a row with that key exists in the target database:
in remap mode it would be whatever row has that key here, and in keep mode
someone else's row that happens to share it. The rule is one for every
kind of link: foreign keys, one-to-ones, multi-table-inheritance parent
pointers (a child's key), links by ``to_field``, columns that a
``ForeignObject`` reads as a key, and generic foreign keys.

Links by key are checked against the keys of the records and references
(:attr:`.plan.Plan.archived`). Links by ``to_field`` name a value, so this
module gathers, before anything is written, the values of those columns
that the archive carries: the records' own, and the referenced rows' as the
target database holds them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.db.fetch import rows_in
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.keypairs import mapped
from django_graft.importer.links import KeyMaps, links_of
from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django_graft.importer.planned import ModelPlan

#: {(model, attname): values of that column of the rows the archive carries}
NamedValues = dict[tuple[type[Model], str], set[Any]]

#: Records decoded per step while gathering.
_CHUNK = 2_000


def named_values(
    plans: Mapping[type[Model], ModelPlan],
    referenced: Mapping[type[Model], list[Any]],
    keys: KeyMaps,
    using: str,
) -> NamedValues:
    """The carried values of every column that a link by ``to_field`` of the archive names.

    ``referenced`` holds the archive's keys of the reference records per
    model; ``keys`` says which rows of ``using`` they were found to be.
    """
    wanted = sorted(
        {
            (link.target, link.target_attname)
            for model in plans
            for link in links_of(model)[0]
            if not link.via_pk
        },
        key=lambda pair: (model_label(pair[0]), pair[1]),
    )
    found: NamedValues = {}
    for target, attname in wanted:
        values: set[Any] = set()
        plan = plans.get(target)
        if plan is not None:
            for chunk in plan.spool.records(_CHUNK):
                values.update(plan.decoder.decode_columns(chunk).get(attname, ()))
        refs = referenced.get(target, [])
        if refs:
            rows = mapped(keys.changes.get(target), refs)
            pk: Any = target._meta.pk
            values.update(row[0] for row in rows_in(target, pk, rows, [attname], using))
        values.discard(None)
        found[target, attname] = values
    return found


def not_carried(
    label: str, key: Any, link_name: str, target: type[Model], value: Any, *, constraint: bool
) -> ArchiveFormatError:
    """The error for a link of ``label`` ``key`` to a row the archive does not carry.

    A link with no foreign key constraint (``db_constraint=False``, a
    ``ForeignObject`` column, a generic foreign key) may dangle in the
    database it was exported from, and the export carries it as it is.
    """
    if constraint:
        fix = "The archive is damaged: export it again."
    else:
        fix = (
            "The link has no foreign key constraint, so it may dangle where it was exported "
            "from: point it at a row (or clear it) there, and export again."
        )
    return ArchiveFormatError(
        f"{label} {key!r}: {link_name} points at {model_label(target)} {value!r}, which the "
        "archive does not carry (neither as a record nor as a reference). An import links "
        f"only to rows the archive vouches for, even where a row with that key exists here. {fix}"
    )


def owned_values(plans: Mapping[type[Model], ModelPlan]) -> Callable[[type[Model], str], set[Any]]:
    """``values(model, attname)``: the values of a column of the archive's own records
    that the import writes (a row skipped for a taken key is another row's now).

    Read from the spools when first asked, while planning.
    """
    found: dict[tuple[type[Model], str], set[Any]] = {}

    def values(model: type[Model], attname: str) -> set[Any]:
        if (model, attname) not in found:
            gathered: set[Any] = set()
            plan = plans.get(model)
            if plan is not None:
                owned = plan.owned_written()
                for chunk in plan.spool.records(_CHUNK):
                    column = plan.decoder.decode_columns(chunk).get(attname, [])
                    keys = plan.spool.keys_of(chunk)
                    gathered.update(
                        value for key, value in zip(keys, column, strict=True) if key in owned
                    )
            gathered.discard(None)
            found[model, attname] = gathered
        return found[model, attname]

    return values
