"""The rows an ``--on-conflict update`` overwrites stay the rows it planned to overwrite.

Planning reads the existing rows an import collides with; writing comes
later, and another connection may delete or change those rows meanwhile.
Before the first write, the rows to overwrite are read again, locked where
the database can (``SELECT … FOR UPDATE`` on PostgreSQL and MariaDB, through
the ORM, so Django's hooks see the statement): a row gone, or whose value
that made it collide is no longer that value, fails the import by name with
nothing written. Once locked, nobody else can change them before the
import's transaction ends; SQLite locks the whole database at the first
write instead. Each UPDATE's count of rows is checked as well
(:func:`check_updated`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldDoesNotExist
from django.db import connections
from django.db.models import Model

from django_graft.db.batching import chunked, key_batch_size, key_order, sorted_keys
from django_graft.db.keyfilter import filter_in
from django_graft.exceptions import ImportRefused
from django_graft.importer.planned import ModelPlan, Plan
from django_graft.importer.result import Conflict
from django_graft.importer.values import shorten


def gone_error(label: str, gone: list[Any]) -> ImportRefused:
    shown = ", ".join(shorten(key) for key in gone[:20]) + (" …" if len(gone) > 20 else "")
    return ImportRefused(
        f"{label} {shown}: {len(gone)} row(s) the import planned to overwrite "
        "(--on-conflict update) were deleted by someone else before it wrote them. "
        "Nothing was written. Run the import again."
    )


def check_updated(label: str, expected: int, updated: int, keys: list[Any]) -> None:
    """Refuse an UPDATE that touched fewer rows than it was given."""
    if updated != expected:
        raise gone_error(label, keys) from None


def _columns(model: type[Model], conflict: Conflict) -> list[str] | None:
    """The columns whose values made ``conflict``'s existing row collide, if plain fields."""
    if conflict.reason is not None or conflict.field in (None, "pk"):
        return None
    try:
        return [model._meta.get_field(name.strip()).attname for name in conflict.field.split(",")]  # type: ignore[union-attr]
    except (FieldDoesNotExist, AttributeError):
        return None


def _lock(plan: Plan, mp: ModelPlan, keys: list[Any], attnames: list[str]) -> dict[Any, Any]:
    """{key: (values of ``attnames``)} of the rows with ``keys``, locked where the database can."""
    connection = connections[plan.using]
    pk: Any = mp.model._meta.pk
    manager = mp.model._base_manager.using(plan.using)
    found: dict[Any, Any] = {}
    for batch in chunked(sorted_keys(keys), key_batch_size(connection)):
        rows = filter_in(manager, pk, batch).order_by()
        if connection.features.has_select_for_update:
            rows = rows.select_for_update()
        for key, *values in rows.values_list("pk", *attnames):
            found[key] = tuple(values)
    return found


def lock_overwritten_rows(plan: Plan, conflicts: list[Conflict]) -> None:
    """Lock the rows the import overwrites; refuse when one is gone or no longer collides."""
    by_label: dict[str, list[Conflict]] = {}
    for conflict in conflicts:
        by_label.setdefault(conflict.label, []).append(conflict)
    for mp in plan.order:
        if not mp.update:
            continue
        checks = [
            (conflict, columns)
            for conflict in by_label.get(mp.label, [])
            if conflict.pk in mp.update
            for columns in (_columns(mp.model, conflict),)
            if columns is not None
        ]
        attnames = sorted({a for _, columns in checks for a in columns})
        found = _lock(plan, mp, list(set(mp.update.values())), attnames)
        gone = sorted(set(mp.update.values()) - set(found), key=key_order)
        if gone:
            raise gone_error(mp.label, gone)
        for conflict, columns in checks:
            now = dict(zip(attnames, found[mp.update[conflict.pk]], strict=True))
            values = tuple(now[a] for a in columns)
            was = conflict.value if len(columns) > 1 else (conflict.value,)
            if tuple(was) != values:
                raise ImportRefused(
                    f"{mp.label} {shorten(mp.update[conflict.pk])}: {conflict.field} is no "
                    f"longer {shorten(conflict.value)} (it is now "
                    f"{shorten(values[0] if len(values) == 1 else values)}): someone else "
                    "changed the row after the import planned to overwrite it "
                    "(--on-conflict update). Nothing was written. Run the import again."
                )
