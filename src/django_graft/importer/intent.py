"""What a planned import would do, row by row, for a hook to authorise before any write.

:func:`~django_graft.importer.run.import_archive` takes an ``authorise``
callable; once the import is planned, and before the first write (in a dry
run too, so that both give the same answer), it is called with an
:class:`ImportIntent`: per concrete model, the rows the import would create
and update, with their values as the target fields decode them and after
the policy's ``set_fields`` and ``pre_save`` hook; the rows it only matches
or leaves (reads); and the rows outside the archive whose foreign keys its
link records put back. The hook raises a
:class:`~django_graft.exceptions.GraftError` (typically
:class:`~django_graft.exceptions.PermissionRefused`) to refuse the import:
nothing is written.

The rows' values are read back from the archive's spools only when the
hook asks for them, a chunk at a time, so an intent costs no memory for
models whose values the hook does not look at. Foreign keys hold the keys
the archive gives (the rows they point at may not have their keys yet);
everything else is the value that would be written.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Model

from django_graft.importer.decode import Columns, apply_overrides, columns_of, rows_of
from django_graft.importer.planned import CHUNK, ModelPlan, Plan


def with_policy(policy: Any, model: type[Model], columns: Columns, count: int) -> Columns:
    """The rows' values after the policy's ``set_fields`` and ``pre_save`` hook."""
    overrides = policy.overrides(model)
    if overrides:
        apply_overrides(columns, overrides, count)
    pre_save = policy.hook(model, "pre_save")
    if pre_save is not None:
        rows = rows_of(columns, count)
        pre_save(rows)
        columns = columns_of(rows, list(columns))
    return columns


@dataclass
class ModelIntent:
    """What the import would do to the rows of one concrete model."""

    model: type[Model]
    label: str
    #: Archive keys of the rows it would create.
    created: Set[Any]
    #: {archive key: key of the existing row it would overwrite}
    updated: Mapping[Any, Any]
    #: {archive key: key of the existing row that stands for it}: rows read, not
    #: written (needed rows matched, and owned rows already stored unchanged).
    matched: Mapping[Any, Any]
    skipped: Mapping[Any, Any]
    _plan: ModelPlan = field(repr=False)
    _policy: Any = field(repr=False)

    @property
    def writes(self) -> bool:
        return bool(self.created or self.updated)

    @property
    def reads(self) -> bool:
        return bool(self.matched or self.skipped)

    def created_rows(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        """``(archive key, {attname: value})`` of each row it would create, as written."""
        return self._rows(self.created.__contains__)

    def updated_rows(self) -> Iterator[tuple[Any, dict[str, Any]]]:
        """``(existing key, {attname: value})`` of each row it would overwrite.

        An update writes the columns the archive carries; the values hold
        every column, those it leaves as they are included.
        """
        for key, values in self._rows(self.updated.__contains__):
            yield self.updated[key], values

    def _rows(self, wanted: Callable[[Any], bool]) -> Iterator[tuple[Any, dict[str, Any]]]:
        spool, decoder = self._plan.spool, self._plan.decoder
        for chunk in spool.records(CHUNK):
            keys = spool.keys_of(chunk)
            picked = [(key, rec) for key, rec in zip(keys, chunk, strict=True) if wanted(key)]
            if not picked:
                continue
            count = len(picked)
            columns = decoder.decode_columns([record for _, record in picked])
            columns = with_policy(self._policy, self.model, columns, count)
            for (key, _), values in zip(picked, rows_of(columns, count), strict=True):
                yield key, values


@dataclass
class ImportIntent:
    """Everything a planned import would write or read, for an ``authorise`` hook."""

    using: str
    #: Per concrete model, in the order the import would write them.
    models: dict[type[Model], ModelIntent]
    #: {model: keys of its rows outside the archive whose foreign keys link
    #: records would change}
    relinked: dict[type[Model], set[Any]]


def intent_of(plan: Plan, policy: Any) -> ImportIntent:
    """The intent of a planned import."""
    models = {
        mp.model: ModelIntent(
            mp.model,
            mp.label,
            mp.create,
            mp.update,
            {**mp.matched, **mp.unchanged},
            mp.skip,
            mp,
            policy,
        )
        for mp in plan.order
    }
    relinked: dict[type[Model], set[Any]] = {}
    for (model, _attname), rows in plan.links.restores.items():
        if rows:
            relinked.setdefault(model, set()).update(key for key, _, _ in rows)
    return ImportIntent(plan.using, models, relinked)


#: The hook ``import_archive(authorise=...)`` takes.
Authorise = Callable[[ImportIntent], None]
