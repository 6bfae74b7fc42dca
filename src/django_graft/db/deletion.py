"""Ask Django's ``on_delete`` handlers and delete signals what a delete does.

Django documents ``on_delete`` as a callable taking ``(collector, field,
sub_objs, using)``; what its handlers then record on the collector
(``field_updates`` for ``SET_NULL``, ``SET_DEFAULT`` and ``SET()``,
``data`` and ``fast_deletes`` for ``CASCADE``, ``restricted_objects`` for
``RESTRICT``) is the collector's own business, undocumented. This module
alone reads it; ``tests/db/test_deletion.py`` fails on a Django version
that records it otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Model, QuerySet, signals
from django.db.models.deletion import Collector


@dataclass
class OnDeleteAnswer:
    """What a foreign key's ``on_delete`` would do to some rows pointing at deleted ones."""

    #: ``{(field, value): keys}``: the rows it sets ``field`` of, to ``value``.
    updates: dict[tuple[Any, Any], list[Any]]
    #: ``(model, keys)``: rows it would delete too, or holds as restricted.
    collected: list[tuple[type[Model], list[Any]]]


def ask_on_delete(fk: Any, rows: QuerySet[Any, Any], using: str) -> OnDeleteAnswer:
    """Call ``fk``'s ``on_delete`` on ``rows`` as ``Model.delete()`` does.

    Nothing is written: Django's collector only records. A refusal
    (``ProtectedError``, ``RestrictedError``) or any failure of a handler of
    the schema's own propagates.
    """
    collector = Collector(using=using)
    fk.remote_field.on_delete(collector, fk, rows, using)
    updates: dict[tuple[Any, Any], list[Any]] = {}
    # field_updates: {(field, value): [querysets or collections of instances]}
    for (changed, value), groups in collector.field_updates.items():
        group: Any
        for group in groups:
            updates.setdefault((changed, value), []).extend(obj.pk for obj in group)
    # data: {model: instances}; fast_deletes: querysets; restricted_objects:
    # {model: {field: instances}}.
    collected: list[tuple[Any, Any]] = list(collector.data.items())
    collected.extend((queryset.model, queryset) for queryset in collector.fast_deletes)
    for model, by_field in collector.restricted_objects.items():
        collected.extend((model, objs) for objs in by_field.values())
    return OnDeleteAnswer(updates, [(m, [obj.pk for obj in objs]) for m, objs in collected])


def constant_db_default(field: Any) -> tuple[bool, Any]:
    """``(known, value)``: the constant a field's ``db_default`` gives, when it is one.

    Django 5.x keeps a constant wrapped in ``Value`` (whose ``value`` it is),
    Django 6 as it was given; an expression the database computes is not
    known here.
    """
    default = getattr(field, "db_default", models.NOT_PROVIDED)  # Django 5.0+
    if default is models.NOT_PROVIDED:
        return False, None
    if isinstance(default, models.Value):
        return True, default.value
    if hasattr(default, "resolve_expression"):
        return False, None
    return True, default


def receiver_that_raised(exc: BaseException) -> str:
    """The dotted name of the signal receiver that raised ``exc``.

    Read from the traceback: the first frame after those of Django's signal
    dispatcher (the file ``Signal.send`` is defined in).
    """
    dispatcher = signals.pre_delete.send.__code__.co_filename
    frame = exc.__traceback__
    dispatching = False
    while frame is not None:
        code = frame.tb_frame.f_code
        if dispatching and code.co_filename != dispatcher:
            module = frame.tb_frame.f_globals.get("__name__", "?")
            return f"{module}.{getattr(code, 'co_qualname', code.co_name)}"
        dispatching = dispatching or code.co_filename == dispatcher
        frame = frame.tb_next
    return "(unknown)"
