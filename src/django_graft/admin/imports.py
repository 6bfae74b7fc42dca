"""The admin's import page: upload or pick an archive, read the dry run, confirm.

1. The form takes an uploaded archive or fixture (refused unread when the
   request is larger than ``GRAFT["MAX_UPLOAD_BYTES"]``), or one already in
   the admin's storage under ``graft/`` that the user may read (see
   :mod:`.archives`); an upload is kept there, in the user's folder under
   ``graft/uploads/``, until the import is done or ``GRAFT["UPLOAD_TTL"]``
   has passed.
2. The user must be able to view every model the archive names, and the
   archive must be small enough (:func:`.authorise.admit`, from the
   archive alone); it is then imported with ``dry_run``: the page shows
   per model what would be created, matched, updated or conflict, the
   schema drift, and the permissions the user lacks
   (:class:`.authorise.AdminAuthoriser`).
3. Confirmed, it is imported for real, recorded in the audit log, and the
   result shown.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse

from django_graft.admin import archives, background, signature
from django_graft.admin.authorise import AdminAuthoriser, admit
from django_graft.admin.optionrows import option_rows
from django_graft.admin.pagecontext import admin_form, page_context
from django_graft.conf import graft_settings
from django_graft.exceptions import ConflictError, GraftError, PermissionRefused
from django_graft.importer.run import CONFLICT_MODES, PK_MODES, import_archive
from django_graft.operations import audit

FOLDER = archives.FOLDER


def _storage() -> Any:
    return archives.storage()


def stored_archives(user: Any) -> list[str]:
    """The archives in the admin storage's ``graft/`` folder that ``user`` may read."""
    return archives.readable_archives(user)


class OptionsForm(forms.Form):
    """How to import: the key mode and the rule for taken keys."""

    pks = forms.ChoiceField(
        choices=[(mode, mode) for mode in PK_MODES],
        initial="keep",
        label="Primary keys",
        help_text="keep the archive's keys, or give owned rows new ones (remap).",
    )
    on_conflict = forms.ChoiceField(
        choices=[(mode, mode) for mode in CONFLICT_MODES],
        initial="fail",
        label="Rows whose key is taken",
        help_text="fail: write nothing; skip: leave them; update: overwrite them.",
    )


class ImportForm(OptionsForm):
    """The upload form: an archive or one in the storage, and the options."""

    archive = forms.FileField(
        required=False, help_text="A django-graft archive, or a Django fixture (json, jsonl, "
        "xml, yaml), compressed or not."
    )  # fmt: skip
    stored = forms.ChoiceField(required=False, label="Or one in the storage")
    field_order = ["archive", "stored", "pks", "on_conflict"]

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "—"), *((name, name) for name in stored_archives(user))]
        self.fields["stored"].choices = choices  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if bool(data.get("archive")) == bool(data.get("stored")):
            raise forms.ValidationError("Upload an archive, or pick one in the storage: one.")
        return data


def _location(name: str) -> str:
    return archives.location(name)


def _checked_name(name: str, user: Any) -> str:
    """A storage name posted back by the page: one it offered ``user`` (their upload, say)."""
    if archives.may_read(user, name):
        return name
    raise PermissionDenied(f"{name!r} is not an archive this page offered.")


def _dry_run(request: HttpRequest, name: str, pks: str, on_conflict: str) -> dict[str, Any]:
    """Plan the import; what the page shows, and whether it may go ahead."""
    location = _location(name)
    options = {"location": name, "pks": pks, "on_conflict": on_conflict}
    context: dict[str, Any] = {
        "name": name,
        "pks": pks,
        "on_conflict": on_conflict,
        "options": option_rows("import", "default", options),
        "recheck_form": admin_form(
            OptionsForm(initial={"pks": pks, "on_conflict": on_conflict}), "Other options"
        ),
    }
    try:
        verdict = signature.judge(request.user, location)
        if verdict is not None and verdict.lacking:
            context.update(signature=verdict.text, lacking=[verdict.lacking], allowed=False)
            return context
        admit(request.user, location)
        report = import_archive(
            location,
            pks=pks,
            on_conflict=on_conflict,
            dry_run=True,
            authorise=AdminAuthoriser(request.user),
        )
    except PermissionRefused as exc:
        context.update(error=exc.message, lacking=exc.lacking, allowed=False)
        return context
    except ConflictError as exc:
        context.update(error=exc.message.splitlines()[0], conflicts=exc.conflicts, allowed=False)
        return context
    except GraftError as exc:
        context.update(error=exc.message, allowed=False)
        return context
    refused = report.conflicts and on_conflict == "fail"
    context.update(
        report=report,
        rows=sorted(report.models.values(), key=lambda r: r.label),
        allowed=not refused,
    )
    return context


def _too_large(request: HttpRequest) -> bool:
    # Read from the header, before Django reads (and spools) the body.
    length = int(request.META.get("CONTENT_LENGTH") or 0)
    return length > graft_settings.MAX_UPLOAD_BYTES


def import_view(modeladmin: Any, request: HttpRequest) -> HttpResponse:
    context = page_context(modeladmin, request, "Import an archive")
    if request.method == "POST" and _too_large(request):
        context["adminform"] = admin_form(ImportForm(user=request.user))
        context["error"] = (
            f"The upload is larger than GRAFT['MAX_UPLOAD_BYTES'] "
            f"({graft_settings.MAX_UPLOAD_BYTES} bytes) and was not read. Put the archive "
            f"in the storage's '{FOLDER}/' folder and pick it here, or import it with "
            "manage.py graft_import."
        )
        return TemplateResponse(request, "admin/django_graft/import.html", context, status=413)
    if request.method == "POST" and request.POST.get("step") == "confirm":
        return _confirm(modeladmin, request, context)
    if request.method == "POST" and request.POST.get("step") == "recheck":
        # The same archive, planned again with other options.
        name = _checked_name(request.POST.get("name", ""), request.user)
        pks, on_conflict = _options(request)
        context.update(_dry_run(request, name, pks, on_conflict), step="review")
        return TemplateResponse(request, "admin/django_graft/import.html", context)
    if request.method == "GET":
        archives.tidy_uploads()
    form = ImportForm(request.POST or None, request.FILES or None, user=request.user)
    context["adminform"] = admin_form(form)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["archive"]
        name = archives.keep_upload(upload, request.user) if upload else data["stored"]
        context.update(_dry_run(request, name, data["pks"], data["on_conflict"]))
        context["step"] = "review"
    return TemplateResponse(request, "admin/django_graft/import.html", context)


def _enqueue(request: HttpRequest, location: str, pks: str, on_conflict: str) -> HttpResponse:
    # django.tasks exists from Django 6.0; reached only when a task backend is configured.
    from django_graft.admin.task import graft_operation

    options = {"location": location, "pks": pks, "on_conflict": on_conflict}
    job = graft_operation.enqueue(
        {
            "operation": "import",
            "label": "",
            "pks": [],
            "database": "default",
            "user": request.user.pk,
            "options": options,
        }
    )
    if not job.is_finished:
        return redirect("admin:django_graft_graftlog_job", job_id=job.id)
    # A backend that runs tasks at once (and keeps no results) has the outcome now.
    background.announce(request, job, "Imported in the background")
    return redirect("admin:django_graft_graftlog_changelist")


def _options(request: HttpRequest) -> tuple[str, str]:
    pks, on_conflict = request.POST.get("pks", ""), request.POST.get("on_conflict", "")
    if pks not in PK_MODES or on_conflict not in CONFLICT_MODES:
        raise PermissionDenied("Unknown import options.")
    return pks, on_conflict


def _confirm(modeladmin: Any, request: HttpRequest, context: dict[str, Any]) -> HttpResponse:
    name = _checked_name(request.POST.get("name", ""), request.user)
    pks, on_conflict = _options(request)
    checked = _dry_run(request, name, pks, on_conflict)
    if not checked["allowed"]:
        if checked.get("lacking"):
            raise PermissionDenied("You lack: " + "; ".join(checked["lacking"]))
        context.update(checked, step="review")
        return TemplateResponse(request, "admin/django_graft/import.html", context)
    location = _location(name)
    rows = sum(r.total + r.conflicts for r in checked["report"].models.values())
    if background.should_enqueue(rows):
        return _enqueue(request, location, pks, on_conflict)
    try:
        with audit.recorded(
            "import", via="admin", database="default", roots=[], user=request.user
        ) as entry:
            entry.location = location
            result = import_archive(
                location,
                pks=pks,
                on_conflict=on_conflict,
                authorise=AdminAuthoriser(request.user),
                require_signed=signature.required(request.user),
            )
            entry.counts = {label: r.created + r.updated for label, r in result.models.items()}
            entry.sha256 = result.sha256
    except GraftError as exc:
        context.update(checked, step="review", error=exc.message, allowed=False)
        return TemplateResponse(request, "admin/django_graft/import.html", context)
    if archives.is_upload(name):
        _storage().delete(name)
    context.update(
        checked,
        step="done",
        recheck_form=None,
        report=result,
        rows=sorted(result.models.values(), key=lambda r: r.label),
        name=name,
    )
    return TemplateResponse(request, "admin/django_graft/import.html", context)
