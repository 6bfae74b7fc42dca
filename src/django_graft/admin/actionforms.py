"""The forms of the preview pages: what each operation asks before it runs.

Export: the format. Delete: whether to archive first. Clone: values for the
copies' unique fields that would clash (:mod:`.cloneform`). Each is drawn
as the admin's change form draws its fields, and read only once the
preview allows the operation.
"""

from __future__ import annotations

from typing import Any

from django import forms

from django_graft.admin.cloneform import CloneValuesForm
from django_graft.admin.preview import Preview
from django_graft.fixtures import FIXTURE_FORMATS, GRAFT

#: Export formats offered on the page: (value, label, file extension).
EXPORT_FORMATS = [
    (GRAFT, "django-graft archive (verifiable, restorable)", ".jsonl.gz"),
    *((fmt, f"Django {fmt} fixture (loaddata)", f".{fmt}") for fmt in FIXTURE_FORMATS),
]


class ExportForm(forms.Form):
    format = forms.ChoiceField(
        choices=[(value, label) for value, label, _ in EXPORT_FORMATS],
        initial=GRAFT,
        help_text="An archive can be checked and imported back with everything it needs; "
        "a fixture loads with manage.py loaddata.",
    )


class DeleteForm(forms.Form):
    archive = forms.BooleanField(
        required=False,
        initial=True,
        label="Archive the rows first",
        help_text="To the admin's storage, so that they can be restored; the delete happens "
        "only once the archive is written and read back.",
    )


def form_for(preview: Preview, data: Any = None) -> forms.Form:
    """The form of ``preview``'s page, bound to ``data`` when posted."""
    if preview.operation == "export":
        return ExportForm(data)
    if preview.operation == "delete":
        return DeleteForm(data)
    return CloneValuesForm(data, clashes=preview.clashes)


def form_title(preview: Preview) -> str:
    """The heading of ``preview``'s form."""
    return {"export": "Export as", "delete": "Before the delete"}.get(
        preview.operation, "Values for the copies"
    )


def extension_of(fmt: str) -> str:
    return next(ext for value, _, ext in EXPORT_FORMATS if value == fmt)
