"""The admin actions: export, clone and delete with related objects.

Each works as Django's own "delete selected": the first request shows a
preview page (rows per model, a picture, blockers and outside changes, the
permissions the user lacks); nothing happens until the page is posted back
with ``post=yes``, when everything is checked again before the operation
runs, and recorded in the audit log.
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeAlias

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import FileResponse, HttpRequest, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.safestring import mark_safe

from django_graft.admin import archives, background
from django_graft.admin.actionforms import extension_of, form_for, form_title
from django_graft.admin.cloneform import CloneValuesForm
from django_graft.admin.operations import perform, recorded
from django_graft.admin.optionrows import option_rows, options_text
from django_graft.admin.pagecontext import admin_form, page_context
from django_graft.admin.preview import Preview, build_preview
from django_graft.exceptions import GraftError
from django_graft.fixtures import GRAFT
from django_graft.schema.labels import model_label

# Strings: ModelAdmin takes no type arguments at run time.
#: What an operation does once its preview is confirmed and its form valid: a
#: response, None (back to the change list), or the form again, with errors.
Confirmed: TypeAlias = (
    "Callable[[admin.ModelAdmin[Any], HttpRequest, Preview, forms.Form], "
    "HttpResponseBase | forms.Form | None]"
)
Action: TypeAlias = (
    "Callable[[admin.ModelAdmin[Any], HttpRequest, QuerySet[Any]], HttpResponseBase | None]"
)


def graft_action(
    operation: str, description: str, permission: str
) -> Callable[[Confirmed], Action]:
    """Make an admin action of ``confirmed``: the preview first, ``confirmed`` once posted back.

    The action keeps the name of the function it decorates, and is offered
    to users with the model's ``permission`` (view, add or delete). A form
    posted with errors shows the page again, and nothing is done.
    """

    def decorate(confirmed: Confirmed) -> Action:
        @admin.action(description=description, permissions=[permission])
        @functools.wraps(confirmed)
        def action(
            modeladmin: admin.ModelAdmin[Any], request: HttpRequest, queryset: QuerySet[Any]
        ) -> HttpResponseBase | None:
            preview = build_preview(operation, queryset, request.user)
            if not _confirmed(request, preview):
                return _render(modeladmin, request, preview, description, form_for(preview))
            form = form_for(preview, request.POST)
            if not form.is_valid():
                return _render(modeladmin, request, preview, description, form)
            outcome = confirmed(modeladmin, request, preview, form)
            if isinstance(outcome, forms.Form):
                return _render(modeladmin, request, preview, description, outcome)
            return outcome

        return action

    return decorate


def _render(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    preview: Preview,
    title: str,
    form: forms.Form,
) -> TemplateResponse:
    context = {
        **page_context(modeladmin, request, title),
        "preview": preview,
        "picture": mark_safe(preview.picture),  # built by django_graft.render.svg, text escaped
        "queryset": preview.objects,
        "action_name": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "adminform": admin_form(form, form_title(preview)) if form.fields else None,
        "form_errors": form.errors,
    }
    return TemplateResponse(request, "admin/django_graft/preview.html", context)


def _confirmed(request: HttpRequest, preview: Preview) -> bool:
    if request.POST.get("post") != "yes":
        return False
    if preview.lacking:
        raise PermissionDenied(
            "You lack these permissions for this operation: " + ", ".join(preview.lacking)
        )
    return not preview.blockers


def _perform(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    preview: Preview,
    options: dict[str, Any],
) -> Any:
    """Run the confirmed operation, logged; None (and a message) if it was refused."""
    try:
        with recorded(preview, request.user) as entry:
            return perform(preview, options, entry)
    except GraftError as exc:
        modeladmin.message_user(request, exc.message, messages.ERROR)
        return None


def _in_background(
    modeladmin: admin.ModelAdmin[Any],
    request: HttpRequest,
    preview: Preview,
    options: dict[str, Any],
) -> HttpResponseBase | None:
    """Enqueue the operation; show its job page, or its outcome if it already ran."""
    # django.tasks exists from Django 6.0; reached only when a task backend is configured.
    from django_graft.admin.task import graft_operation

    job = graft_operation.enqueue(
        {
            "operation": preview.operation,
            "label": model_label(type(preview.objects[0])),
            "pks": [obj.pk for obj in preview.objects],
            "database": preview.graph.using,
            "user": request.user.pk,
            "options": options,
        }
    )
    if not job.is_finished:
        return redirect("admin:django_graft_graftlog_job", job_id=job.id)
    background.announce(request, job, "Done in the background")
    return None


def _file_name(preview: Preview, extension: str) -> str:
    first = preview.objects[0]
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    more = f"-and-{len(preview.objects) - 1}-more" if len(preview.objects) > 1 else ""
    return f"{model_label(type(first)).replace('.', '-')}-{first.pk}{more}-{stamp}{extension}"


def _said(preview: Preview, options: dict[str, Any]) -> str:
    """The options the operation ran with, for its message."""
    return options_text(option_rows(preview.operation, preview.graph.using, options))


@graft_action("export", "Export with related objects", "view")
def export_with_related(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, preview: Preview, form: forms.Form
) -> HttpResponseBase | None:
    chosen = form.cleaned_data["format"] or GRAFT
    extension = extension_of(chosen)
    if background.should_enqueue(preview.graph.total_rows):
        location = archives.new_location(archives.EXPORTS, _file_name(preview, ""), extension)
        return _in_background(
            modeladmin, request, preview, {"location": location, "format": chosen}
        )
    folder = Path(tempfile.mkdtemp(prefix="graft-admin-"))
    path = folder / _file_name(preview, extension)
    options = {"location": str(path), "format": chosen, "recorded_as": f"download {path.name}"}
    try:
        exported = _perform(modeladmin, request, preview, options)
        if exported is None:
            return None
        # Opened, the file outlives its directory; the response closes it.
        download = path.open("rb")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    # A download leaves the page where it is: the message shows on the next one.
    modeladmin.message_user(
        request,
        f"Exported {sum(exported.counts.values())} rows. {_said(preview, options)}",
        messages.SUCCESS,
    )
    return FileResponse(download, as_attachment=True, filename=path.name)


@graft_action("clone", "Clone with related objects", "add")
def clone_with_related(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, preview: Preview, form: forms.Form
) -> HttpResponseBase | forms.Form | None:
    options = {"set": form.values() if isinstance(form, CloneValuesForm) else {}}
    if background.should_enqueue(preview.graph.total_rows):
        return _in_background(modeladmin, request, preview, options)
    if options["set"]:
        # Values were typed: one the copies cannot take is shown on the form.
        try:
            with recorded(preview, request.user) as entry:
                result = perform(preview, options, entry)
        except GraftError as exc:
            form.add_error(None, exc.message)
            return form
    else:
        result = _perform(modeladmin, request, preview, options)
        if result is None:
            return None
    copies = ", ".join(str(obj) for obj in result.roots)
    modeladmin.message_user(
        request,
        f"Cloned {result.created} rows. The copies: {copies}. {_said(preview, options)}",
        messages.SUCCESS,
    )
    return None


@graft_action("delete", "Delete with related objects", "delete")
def delete_with_related(
    modeladmin: admin.ModelAdmin[Any], request: HttpRequest, preview: Preview, form: forms.Form
) -> HttpResponseBase | None:
    archive = None
    if form.cleaned_data["archive"]:
        archive = archives.new_location(archives.FOLDER, _file_name(preview, ""), ".jsonl.gz")
    if background.should_enqueue(preview.graph.total_rows):
        return _in_background(modeladmin, request, preview, {"archive": archive})
    result = _perform(modeladmin, request, preview, {"archive": archive})
    if result is None:
        return None
    text = f"Deleted {result.total} rows."
    if result.archive is not None:
        text += f" Archived first to {result.archive.destination} (sha256 {result.archive.sha256})."
    text += " " + _said(preview, {"archive": archive})
    modeladmin.message_user(request, text, messages.SUCCESS)
    return None


GRAFT_ACTIONS = (export_with_related, clone_with_related, delete_with_related)
