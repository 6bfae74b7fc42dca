"""Link records: put back the foreign keys a delete changed on rows outside its archive.

A delete that archives first writes, for each row outside the tree whose
foreign key it sets (``SET_NULL`` and the like), the value before and the
value it writes. Importing the archive with the keys kept puts the value
back where the row still holds what the delete wrote. A record is applied
only if it is what a delete can have written (:mod:`.linkrules`); else the
import is refused by name. A row that holds something else than what the
delete wrote was changed since: that is a conflict, which ``--on-conflict
skip`` leaves as it is (and reports); ``fail`` and ``update`` refuse the
import, as no option puts a link back over a later change. A row that is
gone is left gone. With new keys (``--pks remap``) the records are not used:
the rows they name belong to the database the archive came from.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model

from django_graft.db.fetch import rows_in
from django_graft.exceptions import ArchiveFormatError, ConflictError
from django_graft.importer.keybits import KeySet
from django_graft.importer.linkrules import (
    asked_values,
    carried_check,
    comparable,
    foreign_key_named,
    refused,
    restorable_key,
    written_value,
)
from django_graft.importer.result import Conflict
from django_graft.importer.scalars import key_decoder
from django_graft.render.lists import listed
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.outside import action_name

#: {(model, attname): [(row key, target model, target's archive key), ...]}
Restores = dict[tuple[type[Model], str], list[tuple[Any, type[Model], Any]]]


@dataclass
class LinkPlan:
    restores: Restores = field(default_factory=dict)
    conflicts: list[Conflict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    #: {model label: links to put back}
    counts: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class _Link:
    pk: Any
    field: Any
    before: Any
    #: ``(known, value)``: what the delete wrote
    after: tuple[bool, Any]
    #: The record's line in the archive.
    line: int = 0


def plan_links(
    links: dict[type[Model], list[tuple[int, dict[str, Any]]]],
    using: str,
    *,
    remap: bool,
    on_conflict: str,
    archived: dict[type[Model], KeySet],
    owned: dict[type[Model], KeySet] | None = None,
    owned_values: Callable[[type[Model], str], set[Any]] | None = None,
    skipped: dict[type[Model], set[Any]] | None = None,
) -> LinkPlan:
    """Decide which link records to put back, and which collide with later changes.

    ``owned`` holds the keys of the archive's own records (``role`` own) per
    model, ``owned_values(model, attname)`` the values of a column of them:
    a link is put back only to such a row (``archived``, the keys of every
    record and reference, where ``owned`` is not given). A link to a key in
    ``skipped`` (rows ``--on-conflict skip`` left to the row holding their
    key) is left as it is, with a warning.
    """
    plan = LinkPlan()
    total = sum(len(items) for items in links.values())
    if not total:
        return plan
    if remap:
        plan.warnings.append(
            f"{total} link record(s) were not used: they name rows of the database the "
            "archive was written from. Import with --pks keep into that database to put "
            "those links back."
        )
        return plan
    rows = archived if owned is None else owned
    #: {foreign key: what its on_delete writes}, asked once per key (SET(f) calls f).
    writes: dict[Any, tuple[bool, Any] | None] = {}
    values = owned_values or (lambda model, attname: set())
    for model, items in sorted(links.items(), key=lambda item: model_label(item[0])):
        parsed = [link for number, item in items for link in _parse(model, number, item, writes)]
        by_field: defaultdict[Any, list[_Link]] = defaultdict(list)
        for link in parsed:
            target_model = concrete(link.field.related_model)
            if link.before in (skipped or {}).get(target_model, ()):
                # --on-conflict skip left the row at that key alone: it is
                # another row, which the link must not be put back to.
                plan.warnings.append(
                    f"The link of {model_label(model)} {link.pk!r} ({link.field.name}) was "
                    f"not put back: {model_label(target_model)} {link.before!r} was skipped, "
                    "its key taken by another row."
                )
                continue
            carried = carried_check(link.field, rows, values)
            if not carried(link.before):
                target = model_label(concrete(link.field.related_model))
                raise ArchiveFormatError(
                    f"Line {link.line}: the link of {model_label(model)} {link.pk!r} "
                    f"({link.field.name}) names {target} {link.before!r}, which the archive "
                    "does not carry. A link record may only put back a link to a row of the "
                    "archive's trees; nothing was written. The archive is damaged.",
                    line=link.line,
                )
            by_field[link.field].append(link)
        for fk, field_links in by_field.items():
            _plan_field(plan, model, fk, field_links, using, asks=writes[fk] is None)
    if plan.conflicts and on_conflict == "update":
        raise ConflictError(
            f"{len(plan.conflicts)} row(s) outside the archive were changed since the delete "
            f"that cleared their links:\n{listed(plan.conflicts)}\nNothing was written. "
            "--on-conflict update does not put a link back over a later change: import with "
            "--on-conflict skip to leave those rows as they are (the other links are put "
            "back), or point them back by hand.",
            conflicts=plan.conflicts,
        )
    return plan


def linked_columns(
    model: type[Model], items: list[tuple[int, dict[str, Any]]]
) -> dict[Any, set[str]]:
    """``{key: {attname, ...}}``: the columns of ``model``'s rows that link records put back.

    Records that do not parse are left to :func:`plan_links` to refuse.
    """
    found: dict[Any, set[str]] = {}
    decode = key_decoder(model)
    for number, item in items:
        try:
            key = decode(item.get("pk"))
            names = {
                foreign_key_named(model, name, number).attname for name in item.get("fields", {})
            }
        except (TypeError, ValueError, AttributeError, ArchiveFormatError):
            continue
        found.setdefault(key, set()).update(names)
    return found


def _parse(
    model: type[Model],
    number: int,
    item: dict[str, Any],
    writes: dict[Any, tuple[bool, Any] | None],
) -> list[_Link]:
    label = model_label(model)
    fields, after = item.get("fields"), item.get("after", {})
    if type(fields) is not dict or type(after) is not dict:
        raise ArchiveFormatError(
            f"Line {number}: a link record needs 'fields' and 'after' objects.", line=number
        )
    try:
        pk = key_decoder(model)(item.get("pk"))
    except (TypeError, ValueError) as exc:
        raise ArchiveFormatError(
            f"Line {number}: {item.get('pk')!r} is not a key of {label} ({exc}).", line=number
        ) from None
    found = []
    for name, value in fields.items():
        fk = restorable_key(model, name, number, pk)
        before = _value(fk, value, number)
        if before is None:
            raise refused(number, label, pk, name, "it names no row to put back")
        if name not in after:
            raise refused(
                number,
                label,
                pk,
                name,
                "it does not say what the delete wrote ('after'), so the row cannot be "
                "shown to hold it still",
            )
        written = _value(fk, after[name], number)
        if fk not in writes:
            writes[fk] = written_value(fk)
        expected = writes[fk]
        if expected is not None:
            known, value_written = expected
            value_written = comparable(fk, value_written)
            if not known or written != value_written:
                action = action_name(fk.remote_field.on_delete)
                gives = repr(value_written) if known else "a value no one can know beforehand"
                raise refused(
                    number,
                    label,
                    pk,
                    name,
                    f"it says the delete wrote {written!r}, but on_delete={action} writes {gives}",
                )
        found.append(_Link(pk, fk, before, (True, written), number))
    if set(after) - set(fields):
        extra = sorted(set(after) - set(fields), key=str)[0]
        raise refused(number, label, pk, extra, "'after' names a field 'fields' does not")
    return found


def _value(fk: Any, value: Any, number: int) -> Any:
    if value is None:
        return None
    try:
        if fk.target_field.primary_key:
            return key_decoder(concrete(fk.related_model))(value)
        return fk.target_field.to_python(value)
    except (TypeError, ValueError, ValidationError) as exc:
        raise ArchiveFormatError(
            f"Line {number}: {value!r} is not a value for {fk.name} ({exc}).", line=number
        ) from None


def _plan_field(
    plan: LinkPlan,
    model: type[Model],
    fk: Any,
    links: list[_Link],
    using: str,
    *,
    asks: bool,
) -> None:
    label = model_label(model)
    now = _current(model, fk, [link.pk for link in links], using)
    target = concrete(fk.related_model)
    restores = plan.restores.setdefault((model, fk.attname), [])
    # An on_delete function of the schema's own is asked what it writes, row by row.
    asked = asked_values(model, fk, list(now), using) if asks else None
    for link in links:
        if link.pk not in now or now[link.pk] == link.before:
            continue  # the row is gone, or already points there
        _, after = link.after
        if asked is not None:
            sets, value = asked[link.pk]
            if not sets or comparable(fk, value) != after:
                action = action_name(fk.remote_field.on_delete)
                raise refused(
                    link.line,
                    label,
                    link.pk,
                    fk.name,
                    f"its on_delete={action}, asked now, does not write {after!r} to it",
                )
        if now[link.pk] != after:
            plan.conflicts.append(
                Conflict(
                    label,
                    link.pk,
                    field=fk.name,
                    value=now[link.pk],
                    reason=(
                        f"{fk.name} was {link.before!r} before the delete and is "
                        f"{now[link.pk]!r} now, not {after!r}: it was changed since"
                    ),
                )
            )
            continue
        restores.append((link.pk, target, link.before))
        plan.counts[label] = plan.counts.get(label, 0) + 1


def _current(model: type[Model], fk: Any, keys: list[Any], using: str) -> dict[Any, Any]:
    """``{key: value of the foreign key}`` of the rows that still exist."""
    return dict(rows_in(model, model._meta.pk, keys, ["pk", fk.attname], using))
