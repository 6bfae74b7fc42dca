"""A clone's last check: the copies and the originals do not link to each other.

In the clone's transaction, once the copies are written, the originals'
tree is collected again and must not reach a copy, and the links of the
copied rows are read: none may name an owned original.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from collections.abc import Set as AbstractSet
from contextlib import closing
from itertools import compress
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from django_graft.conf import graft_settings
from django_graft.db.batching import chunked, key_order
from django_graft.db.fetch import rows_in
from django_graft.exceptions import CrossLinkError
from django_graft.importer.keybits import KeySet, key_set, members
from django_graft.importer.links import GenericLink, links_of
from django_graft.policy.rules import HOOKS, Policy
from django_graft.render.lists import listed
from django_graft.schema.edges import Edge
from django_graft.schema.labels import concrete, model_label
from django_graft.tree.dynamictargets import TargetNamer, dynamic_targets
from django_graft.tree.graph import Graph
from django_graft.tree.walk import collect
from django_graft.tree.walkrows import Rows, row_names

#: Walked keys looked up among the copies at once.
_CHUNK = 10_000


def check_no_cross_links(
    graph: Graph, made: Mapping[str, Mapping[Any, Any]], policy: Policy
) -> None:
    """Roll back a clone that links copies and originals, naming the rows.

    ``made``: {model label: {original key: copy key}}.

    The originals' tree is collected again and must not reach a copy; and no
    copied row may point at an owned original (the copy's tree may still
    reach one through a shared row, such as a project's current milestone
    seen from a copied milestone: that link was there before).
    """
    originals = Originals({concrete(m): keys for m, keys in graph.owned.items() if keys})
    copies = {model: _copy_keys(made.get(model_label(model), {})) for model in originals}
    found = []
    # Walked again with its keys in tables past the limit, as an export walks:
    # a second tree of keys in Python would double the clone's memory.
    walked = collect(
        graph.roots,
        policy=policy,
        using=graph.using,
        server_side_keys=graft_settings.SERVER_SIDE_KEYS,
    )
    with closing(walked):
        for model, keys in (*walked.owned.items(), *walked.needed.items()):
            copied = copies.get(concrete(model), set())
            # The walked keys are read (a table's a page at a time), the copies' looked up.
            reached = [
                key
                for chunk in chunked(keys, _CHUNK)
                for key in compress(chunk, members(copied, chunk))
            ]
            for key in sorted(reached, key=repr):
                found.append(f"the original tree reaches the copy {model_label(model)} {key!r}")
    found.extend(_links_to_originals(copies, originals, policy, graph.using))
    if found:
        raise CrossLinkError(
            f"The clone would link the copy and the original ({len(found)} row(s)):\n"
            f"{listed(found)}\nNothing was written. A copied row that points at an owned "
            "original (or the reverse) usually comes from a link by a field other than "
            "the key (to_field) or a policy rule: mark that relation 'own' so it is copied "
            "too, or 'skip' it.",
            rows=found,
        )


def _copy_keys(made: Mapping[Any, Any]) -> KeySet:
    """The keys of a model's copies: past ``GRAFT["SERVER_SIDE_KEYS"]`` integers, as bits."""
    keys = key_set(True, len(made))
    keys.update(made.values())
    return keys


class Originals(Mapping[type[Model], AbstractSet[Any]]):
    """{model: keys of its owned originals}, each model's read into Python when first asked.

    The keys of a large tree are in tables, which answer ``in`` one query
    at a time; only the links the import does not map are checked against
    them, and those are few models.
    """

    def __init__(self, owned: dict[type[Model], AbstractSet[Any]]) -> None:
        self._owned = owned
        self._read: dict[type[Model], AbstractSet[Any]] = {}

    def __getitem__(self, model: type[Model]) -> AbstractSet[Any]:
        if model not in self._read:
            keys = self._owned[model]
            self._read[model] = keys if isinstance(keys, set | frozenset) else set(keys)
        return self._read[model]

    def __iter__(self) -> Iterator[type[Model]]:
        return iter(self._owned)

    def __len__(self) -> int:
        return len(self._owned)

    def __contains__(self, model: object) -> bool:
        return model in self._owned


def _links_to_originals(
    copies: dict[type[Model], KeySet],
    originals: Mapping[type[Model], AbstractSet[Any]],
    policy: Policy,
    using: str,
) -> list[str]:
    """Copied rows whose links name an owned original, one query per link and batch.

    The import points every link by key at the copy of its target, and
    refuses a link to a row the archive lacks; so only links it does not map
    are read back: links by another field (``to_field``), columns the policy
    sets (dynamic edges' included), and, where the policy has hooks (which
    can change anything), all.
    """
    found: list[str] = []
    hooked = any(policy.hook(model, name) for model in copies for name in HOOKS)
    for model, keys in copies.items():
        all_links, all_generics = links_of(model)
        links, generics = list(all_links), list(all_generics)
        overridden = policy.overrides(model)
        if not hooked:
            links = [link for link in links if not link.via_pk or link.attname in overridden]
            generics = [g for g in generics if overridden.keys() & {g.ct_attname, g.id_attname}]
        for link in links:
            if link.primary_key or link.target not in originals:
                continue
            column: Any = model._meta.get_field(link.name)
            to_field = column.target_field.attname
            named = (
                originals[link.target]
                if link.via_pk
                else _values(link.target, originals[link.target], to_field, using)
            )
            found.extend(
                f"the copy {model_label(model)} {key!r} ({link.name}) points at the original "
                f"{model_label(link.target)} {to_field}={value!r}"
                for key, value in _rows(model, keys, [link.attname], using)
                if value in named
            )
        for generic in generics:
            found.extend(_generic_links(model, keys, generic, originals, using))
        for edge in policy.dynamic_edges(model):
            assert edge.dynamic is not None
            columns = {edge.dynamic.field.attname}
            if edge.dynamic.type_field is not None:
                columns.add(edge.dynamic.type_field.attname)
            if hooked or columns & overridden.keys():
                found.extend(_dynamic_links(model, keys, edge, originals, using))
    return found


def _rows(
    model: type[Model], keys: AbstractSet[Any], attnames: list[str], using: str
) -> Iterator[Any]:
    """``(key, *values)`` of the rows of ``model`` with ``keys``, in batches."""
    return rows_in(model, model._meta.pk, keys, ["pk", *attnames], using)


def _values(model: type[Model], keys: AbstractSet[Any], attname: str, using: str) -> set[Any]:
    return {value for _, value in _rows(model, keys, [attname], using)}


def _dynamic_links(
    model: type[Model],
    keys: KeySet,
    edge: Edge,
    originals: Mapping[type[Model], AbstractSet[Any]],
    using: str,
) -> list[str]:
    """Copies whose dynamic edge names an owned original, one query per batch of copies."""
    found: list[str] = []
    namer = TargetNamer(using)
    for batch in chunked(sorted(keys, key=key_order), _BATCH):
        queryset = model._base_manager.using(using).filter(pk__in=batch)
        names = row_names([edge])
        for row in Rows.read(names, queryset)._rows:
            one = Rows(names, [row])
            for target, named in dynamic_targets(edge, one, namer, lambda _: None).items():
                found.extend(
                    f"the copy {model_label(model)} {row[0]!r} ({edge.name}) points at the "
                    f"original {model_label(target)} {key!r}"
                    for key in sorted(named & originals.get(target, set()), key=key_order)
                )
    return found


#: Copies read per query while looking for dynamic edges to originals.
_BATCH = 500


def _generic_links(
    model: type[Model],
    keys: KeySet,
    generic: GenericLink,
    originals: Mapping[type[Model], AbstractSet[Any]],
    using: str,
) -> list[str]:
    found: list[str] = []
    types = ContentType.objects.db_manager(using)
    for key, ct_id, object_id in _rows(
        model, keys, [generic.ct_attname, generic.id_attname], using
    ):
        if ct_id is None or object_id is None:
            continue
        target_class = types.get_for_id(ct_id).model_class()
        target = None if target_class is None else concrete(target_class)
        if target is None or target not in originals:
            continue
        pk: Any = target._meta.pk
        if pk.to_python(object_id) in originals[target]:
            found.append(
                f"the copy {model_label(model)} {key!r} ({generic.name}) points at the "
                f"original {model_label(target)} {object_id!r}"
            )
    return found
