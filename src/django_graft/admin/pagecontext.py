"""What every django-graft admin page hands its template, as Django's own pages do.

The pages extend ``admin/base_site.html`` and use the admin's own markup,
whose shape changed between versions: breadcrumbs are a ``<div>`` up to
Django 6.0 and an ``<ol>`` from 6.1, styled only in their own version's
CSS; forms are drawn by the admin's own ``includes/fieldset.html``, which
follows the installed version by itself.
"""

from __future__ import annotations

from typing import Any

import django
from django import forms
from django.contrib.admin import helpers
from django.http import HttpRequest

#: Django 6.1 turned the breadcrumbs into an ordered list (and its CSS with them).
OL_BREADCRUMBS = django.VERSION >= (6, 1)


def page_context(modeladmin: Any, request: HttpRequest, title: str) -> dict[str, Any]:
    """The admin's own context for a page about ``modeladmin``'s model, titled ``title``."""
    opts = modeladmin.model._meta
    return {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "opts": opts,
        "app_label": opts.app_label,
        "media": modeladmin.media,
        "graft_ol_breadcrumbs": OL_BREADCRUMBS,
    }


def admin_form(form: forms.Form, name: str | None = None) -> helpers.AdminForm:
    """``form`` as the admin's change form draws one: a single fieldset, headed ``name``."""
    fieldsets = [(name, {"fields": list(form.fields)})]
    # The stubs ask for a ModelForm; the admin's helpers draw any form.
    return helpers.AdminForm(form, fieldsets, {})  # type: ignore[arg-type]
