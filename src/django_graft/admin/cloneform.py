"""The clone preview's form: values for the copies' unique fields that would clash.

A copy keeps its original's values, so every unique field holding a value
would repeat it and the clone would be refused. The form lists those
fields of the models the clone copies (``unique=True`` or a single-field
``UniqueConstraint``), leaving out the primary key, links (the clone points
them at the copies) and fields the clone already gives fresh values (a
callable default, the policy's ``set_fields``). Each value is read as
``graft_clone --set`` reads it (:mod:`django_graft.schema.setfields`).

One value for a model of which more than one row is copied would make the
copies clash with each other: it is refused (``null`` excepted, which
repeats without clashing), and the error says to give such values with a
function in ``set_fields`` from Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Field, Model, UniqueConstraint
from django.utils.html import escape
from django.utils.safestring import mark_safe

from django_graft.db.fetch import rows_in
from django_graft.operations.clone import fresh_defaults
from django_graft.schema.labels import model_label
from django_graft.schema.setfields import NULL, SetFieldError, field_value
from django_graft.tree.graph import Graph


@dataclass(frozen=True)
class Clash:
    """A unique field whose copies would repeat their originals' values."""

    #: ``app_label.Model.field``, as ``--set`` and ``set_fields`` name it.
    label: str
    field: Field[Any, Any]
    #: How many rows of its model the clone copies.
    rows: int


def _unique_fields(model: type[Model]) -> list[Field[Any, Any]]:
    fields = [f for f in model._meta.local_concrete_fields if f.unique]
    single = {
        constraint.fields[0]
        for constraint in model._meta.total_unique_constraints
        if isinstance(constraint, UniqueConstraint) and len(constraint.fields) == 1
    }
    fields += [f for f in model._meta.local_concrete_fields if f.name in single and not f.unique]
    return [f for f in fields if not f.primary_key and not f.is_relation]


def clashing_fields(graph: Graph) -> list[Clash]:
    """The unique fields of the copied models whose copies would repeat a value."""
    fresh = {label.lower() for label in fresh_defaults(graph.policy, graph)}
    clashes = []
    for model in sorted(graph.owned, key=model_label):
        keys = graph.owned[model]
        overridden = graph.policy.overrides(model)
        for field in _unique_fields(model):
            label = f"{model._meta.label}.{field.name}"
            if not keys or field.attname in overridden or label.lower() in fresh:
                continue
            values = rows_in(model, model._meta.pk, keys, [field.attname], graph.using)
            if any(value is not None for (value,) in values):
                clashes.append(Clash(label, field, len(keys)))
    return clashes


class CloneValuesForm(forms.Form):
    """One optional text input per clashing field; :meth:`values` the ones given."""

    def __init__(self, *args: Any, clashes: list[Clash], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clashes = {clash.label: clash for clash in clashes}
        for clash in clashes:
            self.fields[clash.label] = forms.CharField(
                required=False,
                strip=False,
                # A break allowed after each dot: the admin's label column is narrow.
                label=mark_safe(".<wbr>".join(escape(part) for part in clash.label.split("."))),
                widget=forms.TextInput(attrs={"class": "vTextField"}),
                help_text=(
                    "The value given to the copies, instead of their originals' (which "
                    f"they would repeat). Empty: the original's; {NULL}: NULL."
                ),
            )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for label, raw in list(data.items()):
            if raw:
                error = self._problem(self.clashes[label], raw)
                if error:
                    self.add_error(label, error)
        return data

    def _problem(self, clash: Clash, raw: str) -> str | None:
        try:
            value = field_value(clash.label, raw)
        except SetFieldError as exc:
            return str(exc)
        if value is None and not clash.field.null:
            return f"{clash.label} cannot be NULL."
        if value is not None and clash.rows > 1:
            return (
                f"{clash.rows} rows of {clash.label.rsplit('.', 1)[0]} are copied, and one value "
                "would repeat in every copy. Give them values in Python instead: clone(..., "
                f"set_fields={{'{clash.label}': a function of the row}})."
            )
        return None

    def values(self) -> dict[str, str]:
        """``{app_label.Model.field: raw text}`` of the values given (valid form only)."""
        return {label: raw for label, raw in self.cleaned_data.items() if raw}
