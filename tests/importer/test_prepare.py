"""Values an import writes are the values Django writes, whichever way they are sent."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.db import connection

from django_graft import export, import_archive
from django_graft.importer.prepare import copy_preparer, preparer
from tests.testapp import models as m

pytestmark = pytest.mark.django_db(databases=["default", "other"])

#: JSON a ``COPY`` sends as text on PostgreSQL, and values it leaves to Django.
JSON_VALUES: list[Any] = [
    {},
    [],
    {"a": 1, "b": [1, 2.5, None, True, False], "c": {"d": {"e": "f"}}},
    {"unicode": "é ü 漢字 🎉", "escapes": 'tab\there "quoted" back\\slash\nnewline'},
    {"big": 2**63 - 1, "small": -(2**63), "float": 1.5e10, "tiny": 1.25e-7},
    [{"nested": [[["deep"]]]}, "text", 3],
    "a plain string",
    42,
    3.25,
    True,
]


def test_json_values_read_back_as_django_wrote_them() -> None:
    lead = m.Person.objects.create(username="json-lead")
    org = m.Organisation.objects.create(name="json values")
    project = m.Project.objects.create(organisation=org, name="p", lead=lead)
    documents = [m.Document.objects.create(project=project, data=value) for value in JSON_VALUES]
    archive = io.BytesIO()
    export(org, archive)
    result = import_archive(io.BytesIO(archive.getvalue()), using="other", pks="remap")
    moved = dict(result.key_map["testapp.document"])
    for document in documents:
        # The oracle: Django's own read of the row Django wrote.
        expected = m.Document.objects.get(pk=document.pk).data
        copied = m.Document.objects.using("other").get(pk=moved[document.pk]).data
        assert copied == expected
        assert type(copied) is type(expected)


def test_json_orjson_cannot_write_is_left_to_django() -> None:
    field: Any = m.Document._meta.get_field("data")
    _, prepare = copy_preparer(field, preparer(field, connection))
    assert prepare({"a": [1, "b"]}) == '{"a":[1,"b"]}'
    for value in ({"huge": 2**70}, ["\ud800"], "text", 7):
        # Django's own adapter, whatever it makes of the value.
        made, django = prepare(value), field.get_db_prep_save(value, connection)
        assert type(made) is type(django)
        assert getattr(made, "obj", made) == getattr(django, "obj", django)
