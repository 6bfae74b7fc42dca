"""Check an import against its source with nothing but Django's serializers and the ORM.

The importer's key map (archive key -> key in the target) is taken as a
claim and verified: every row of the tree has an image, the images of owned
rows are new and distinct, each image holds its source row's values with
every link pointing at the image of its source's target, and every row that
was in the target before is still there, unchanged. Nothing of the importer
is used to decide what is right.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from collections.abc import Set as AbstractSet
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.db import models
from django.db.models import Model

#: {model label: {key: field values as Django's python serializer writes them}}
Snapshot = dict[str, dict[Any, dict[str, Any]]]

#: Models whose rows are never copied, only found again by natural key.
REFERENCES = (ContentType, apps.get_model("auth", "Permission"))


def label(model: type[Model]) -> str:
    return model._meta.label_lower


def serialized(model: type[Model], objs: Iterable[Model]) -> dict[Any, dict[str, Any]]:
    """``{key: fields}`` of the objects, by Django's serializer, foreign objects left out.

    A ``ForeignObject`` has no column; Django's serializers write the text of
    the object it points at. Its values are in the columns it reads.
    """
    names = [f.name for f in model._meta.local_fields if f.concrete]
    names += [f.name for f in model._meta.local_many_to_many]
    return {
        _key(model, item["pk"]): item["fields"]
        for item in serializers.serialize("python", objs, fields=names)
    }


def _key(model: type[Model], value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else model._meta.pk.to_python(value)


def snapshot(using: str) -> Snapshot:
    """Every row of every concrete model in ``using``, but the audit log's."""
    found: Snapshot = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or model._meta.app_label == "django_graft":
            continue
        found[label(model)] = serialized(model, model._base_manager.using(using).order_by())
    return found


def _natural(obj: Model) -> Any:
    return obj.natural_key() if hasattr(obj, "natural_key") else None


class Verifier:
    """Compare the rows of a tree in ``source`` with their images in ``target``."""

    def __init__(self, source: str, target: str, key_map: Mapping[str, Mapping[Any, Any]]) -> None:
        self.source = source
        self.target = target
        self.key_map = key_map
        self.problems: list[str] = []

    def image(self, model: type[Model], key: Any) -> Any:
        model = model._meta.concrete_model or model
        if model in REFERENCES:
            obj = model._base_manager.using(self.source).get(pk=key)
            found: Any = model._default_manager.db_manager(self.target)
            return found.get_by_natural_key(*obj.natural_key()).pk
        return self.key_map.get(label(model), {}).get(key, _MISSING)

    def verify(
        self,
        owned: dict[type[Model], AbstractSet[Any]],
        needed: dict[type[Model], AbstractSet[Any]],
        before: Snapshot,
    ) -> list[str]:
        """Return every way in which the target does not hold the tree; empty when it does."""
        after = snapshot(self.target)
        created: dict[str, set[Any]] = defaultdict(set)
        for role, tree in (("owned", owned), ("needed", needed)):
            for model, keys in tree.items():
                if model in REFERENCES:
                    continue
                created[label(model)] |= self._check_model(model, keys, role, before, after)
        for name, was in before.items():
            for key, fields in was.items():
                if after[name].get(key) != fields:
                    self.problems.append(f"{name} {key!r} was in the target and changed")
        for name, now in after.items():
            extra = set(now) - set(before[name]) - created[name]
            if extra:
                self.problems.append(f"{name}: rows {sorted(extra, key=repr)} appeared unasked")
        return self.problems

    def _check_model(
        self,
        model: type[Model],
        keys: AbstractSet[Any],
        role: str,
        before: Snapshot,
        after: Snapshot,
    ) -> set[Any]:
        name = label(model)
        sources = serialized(
            model, model._base_manager.using(self.source).filter(pk__in=list(keys))
        )
        images: dict[Any, Any] = {}
        for key in keys:
            image = self.image(model, key)
            if image is _MISSING:
                self.problems.append(f"{name} {key!r} ({role}) has no image")
                continue
            images[key] = image
        if role == "owned":
            if len(set(images.values())) != len(images):
                self.problems.append(f"{name}: two owned rows share an image")
            # An owned row may land on an existing row only where that row is
            # already the very same (left untouched, and checked below to hold
            # the source row's values): an archive imported a second time.
            reused = [
                k
                for k, image in images.items()
                if image in before[name] and after[name].get(image) != before[name][image]
            ]
            if reused:
                self.problems.append(f"{name}: owned rows {reused} landed on existing rows")
        natural = hasattr(model, "natural_key")
        for key, image in images.items():
            if image not in after[name]:
                self.problems.append(f"{name} {key!r}: its image {image!r} does not exist")
                continue
            matched = role == "needed" and image in before[name]
            if matched and natural:
                self._same_natural_key(model, key, image)
            else:
                # A needed row is brought for its own values: its many-to-many
                # rows are not part of the tree.
                many = role == "owned"
                self._same_row(model, key, sources[key], after[name][image], many=many)
        return {image for image in images.values() if image not in before[name]}

    def _same_natural_key(self, model: type[Model], key: Any, image: Any) -> None:
        mine = model._base_manager.using(self.source).get(pk=key)
        theirs = model._base_manager.using(self.target).get(pk=image)
        if _natural(mine) != _natural(theirs):
            self.problems.append(
                f"{label(model)} {key!r} was matched to {image!r}, whose natural key differs"
            )

    def _same_row(
        self,
        model: type[Model],
        key: Any,
        source: dict[str, Any],
        target: dict[str, Any],
        *,
        many: bool,
    ) -> None:
        expected = dict(source)
        for f in model._meta.local_fields:
            if f.name not in expected:
                continue
            if f.is_relation and f.concrete and expected[f.name] is not None:
                expected[f.name] = self._linked(f, expected[f.name])
        for f in model._meta.local_many_to_many:
            if f.name not in expected:
                continue
            through: Any = f.remote_field.through
            if many and through._meta.auto_created:
                values = [self.image(f.related_model, v) for v in expected[f.name]]
                expected[f.name] = sorted(values, key=repr)
                target = {**target, f.name: sorted(target[f.name], key=repr)}
            else:  # an explicit through model's rows are rows of their own
                expected.pop(f.name)
                target = {k: v for k, v in target.items() if k != f.name}
        for f in _key_columns(model):
            if expected.get(f.name) is not None:
                expected[f.name] = self.image(_pointed(model, f), expected[f.name])
        for gfk in model._meta.private_fields:
            if isinstance(gfk, GenericForeignKey):
                self._generic(model, gfk, expected)
        if expected != target:
            diff = {
                n: (expected[n], target.get(n)) for n in expected if expected[n] != target.get(n)
            }
            self.problems.append(f"{label(model)} {key!r}: (expected, found) {diff}")

    def _linked(self, f: Any, value: Any) -> Any:
        """The value a link of the image holds: the image of the source's target, by its column."""
        target = f.related_model._meta.concrete_model
        to_field = f.target_field
        if f.remote_field.parent_link or to_field.primary_key:
            return self.image(target, to_field.to_python(value))
        row = target._base_manager.using(self.source).get(**{to_field.attname: value})
        image = self.image(target, row.pk)
        found = target._base_manager.using(self.target).filter(pk=image)
        return found.values_list(to_field.attname, flat=True).first()

    def _generic(self, model: type[Model], gfk: Any, expected: dict[str, Any]) -> None:
        """Point a generic foreign key's object id at the image (its type is mapped already)."""
        if model._meta.get_field(gfk.ct_field).model is not model:
            return  # declared on a multi-table parent, whose rows carry it
        ct, object_id = expected.get(gfk.ct_field), expected.get(gfk.fk_field)
        if ct is None or object_id is None:
            return
        pointed: Any = ContentType.objects.db_manager(self.target).get_for_id(ct).model_class()
        image = self.image(pointed, pointed._meta.pk.to_python(object_id))
        id_field: Any = model._meta.get_field(gfk.fk_field)
        expected[gfk.fk_field] = id_field.to_python(image)


def _key_columns(model: type[Model]) -> list[Any]:
    """Plain columns a ``ForeignObject`` reads as another model's primary key."""
    found = []
    for f in model._meta.local_fields:
        if isinstance(f, models.ForeignObject) and not f.concrete:
            for local, remote in f.related_fields:
                if not local.is_relation and remote is remote.model._meta.pk:
                    found.append(local)
    return found


def _pointed(model: type[Model], column: Any) -> type[Model]:
    for f in model._meta.local_fields:
        if isinstance(f, models.ForeignObject) and not f.concrete:
            for local, remote in f.related_fields:
                if local is column:
                    return remote.model
    raise AssertionError(column)


class _Missing:
    def __repr__(self) -> str:
        return "<no image>"


_MISSING: Any = _Missing()
