"""Import every root of the zoo into a database that holds another tree with the same keys.

The other tree is the zoo's own rows, loaded into the target by Django's
``loaddata`` with the same keys and, for two rows in three, other values
(text with a '~' added). In remap mode every import must land whole, next
to the other tree and without touching it; in keep mode the keys collide,
and the import must refuse, naming only real conflicts, with nothing
written. Whether it did is decided by :mod:`tests.oracle`, which shares no
code with the importer.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Model

from django_graft import collect, export, import_archive
from django_graft.exceptions import ConflictError
from tests.oracle import REFERENCES, Snapshot, Verifier, serialized, snapshot
from tests.roots import ROOT_NAMES, roots_of
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

#: Text fields whose values the other tree changes (exact classes: a subclass may parse its text).
TEXT = (models.CharField, models.TextField, models.SlugField)


def _makes_keys(model: type[Model]) -> bool:
    pk: Any = model._meta.pk
    return bool(getattr(pk, "db_returning", False) or pk.has_default() or pk.is_relation)


def _changed(value: str, f: Any) -> str:
    limit = f.max_length or len(value) + 1
    return (value + "~")[-limit:] if len(value) >= limit else value + "~"


def _other_values(rows: dict[type[Model], dict[Any, dict[str, Any]]]) -> None:
    """Give two rows in three other text values, in place; links by ``to_field`` follow.

    Unique values stay unique ('~' is added to all that change). Rows of
    models that cannot make keys stay as they are: a needed one that
    differed would be refused (its key kept and taken), which
    tests/importer/test_import_options.py shows on its own.
    """
    renamed: dict[Any, dict[str, str]] = {}
    for model, by_key in rows.items():
        if not _makes_keys(model):
            continue
        fields = [
            f
            for f in model._meta.local_fields
            if type(f) in TEXT and not f.primary_key and not f.choices
        ]
        for index, key in enumerate(sorted(by_key, key=repr)):
            if index % 3 == 1:
                continue
            for f in fields:
                value = by_key[key].get(f.name)
                if isinstance(value, str):
                    by_key[key][f.name] = renamed.setdefault(f, {})[value] = _changed(value, f)
    for model, by_key in rows.items():
        links: list[Any] = [
            f
            for f in model._meta.local_fields
            if f.is_relation and f.concrete and getattr(f, "target_field", None) in renamed
        ]
        for values in by_key.values():
            for f in links:
                if not f.primary_key:
                    values[f.name] = renamed[f.target_field].get(values[f.name], values[f.name])
        for f in links:
            if f.primary_key:  # a key that is a link by to_field follows too
                named = renamed[f.target_field]
                rows[model] = {named.get(key, key): values for key, values in by_key.items()}


@pytest.fixture
def other_tree(world: World, tmp_path: Path) -> None:
    """The zoo's rows in database 'other': the same keys, other values for most rows."""
    rows = {
        model: serialized(model, model._base_manager.order_by("pk"))
        for model in apps.get_models()
        if not model._meta.proxy and model not in REFERENCES and model._meta.app_label == "testapp"
    }
    _other_values(rows)
    items = [
        {
            "model": model._meta.label_lower,
            "pk": list(key) if isinstance(key, tuple) else key,
            "fields": fields,
        }
        for model, by_key in rows.items()
        for key, fields in by_key.items()
    ]
    fixture = tmp_path / "other-tree.json"
    fixture.write_text(json.dumps(items, cls=DjangoJSONEncoder))
    call_command("loaddata", str(fixture), database="other", verbosity=0)


def _archive(root: Model) -> bytes:
    buffer = io.BytesIO()
    export(root, buffer)
    return buffer.getvalue()


def _refused_rightly(exc: ConflictError, mode: str, before: Snapshot) -> None:
    """Every conflict listed is real: its key, or its unique value, is another row's."""
    assert exc.conflicts
    for conflict in exc.conflicts:
        rows = before[conflict.label]
        if conflict.field is None:  # a key taken, only ever refused in keep mode
            assert mode == "keep" and conflict.pk in rows, conflict
            continue
        assert conflict.existing in rows, conflict
        key_name = apps.get_model(conflict.label)._meta.pk.name
        if conflict.field in ("pk", key_name):
            continue  # a key kept, or taken from the row it links to, is the existing row's
        names = conflict.field.split(", ")
        held = tuple(rows[conflict.existing][name] for name in names)
        value = conflict.value if isinstance(conflict.value, tuple) else (conflict.value,)
        assert held == value, conflict


@pytest.mark.parametrize("mode", ["keep", "remap"])
@pytest.mark.parametrize("name", ROOT_NAMES)
def test_import_lands_whole_beside_another_tree(
    world: World, other_tree: None, name: str, mode: str
) -> None:
    root = roots_of(world)[name]
    graph = collect(root)
    data = _archive(root)
    before = snapshot("other")
    try:
        result = import_archive(io.BytesIO(data), using="other", pks=mode)
    except ConflictError as exc:
        assert snapshot("other") == before
        _refused_rightly(exc, mode, before)
        return
    if mode == "keep":
        # Only where each taken key holds the archive's very row: unchanged.
        taken = sum(
            key in before.get(model._meta.label_lower, {})
            for model, keys in graph.owned.items()
            for key in keys
        )
        assert sum(r.unchanged for r in result.models.values()) == taken
    problems = Verifier("default", "other", result.key_map).verify(
        graph.owned, graph.needed, before
    )
    assert problems == []
