"""Identity: the existing row at the same key, with the same value in every column.

A needed row of a model with neither match fields nor natural key is the
row at its key when every column holds the same value, links included. A
link cannot be compared yet: it must point at the image of the row the
archive's link names, which depends on how that row is settled. So the rows
whose other columns agree are *candidates*, each with the links it rests
on, and :mod:`.settle` keeps those whose links agree once every row is
settled.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Model

from django_graft.db.fetch import rows_in
from django_graft.importer.links import KeyMaps, links_of
from django_graft.importer.neededstate import Dependency, NeededModel, key_link, key_links
from django_graft.importer.relink import linked_columns
from django_graft.policy.rules import Policy, Rule
from django_graft.schema.edges import EdgeKind, edges_of

if TYPE_CHECKING:
    from django_graft.importer.needed import NeededRows


def match_identity(rows: NeededRows, state: NeededModel) -> None:
    """Candidates: rows whose key holds a row with the same plain values."""
    model = state.model
    records = dict(rows.records(state))
    cleared = _cleared(rows.policy, model)
    links = [link for link in key_links(model) if link.attname not in cleared]
    generics = links_of(model)[1]
    linked = {link.attname for link in links}
    linked.update(a for g in generics for a in (g.ct_attname, g.id_attname))
    plain = [a for a in state.plan.decoder.attnames if a not in linked and a not in cleared]
    if rows.remap and not plain and not links and not generics:
        # Nothing but a key to compare: any row at that key would do, so none
        # does on its own. As the parent part of an object of the archive, it
        # is that object's, matched or not with its other parts (.settle).
        parts = _parent_parts(rows, model, set(records))
        present = rows.read_existence(model, list(parts))
        state.candidates.update((key, []) for key in parts if present[key])
        state.absent.update(key for key in records if key not in state.candidates)
        return
    read = [*plain, *(link.attname for link in links)]
    read += [a for g in generics for a in (g.ct_attname, g.id_attname)]
    existing = {
        row[0]: dict(zip(read, row[1:], strict=True))
        for row in rows_in(model, model._meta.pk, list(records), ["pk", *read], rows.using)
    }
    # A link a delete changed (and a link record puts back) differs for now.
    restored = linked_columns(model, rows.contents.links.get(model, []))
    for key, values in records.items():
        now = existing.get(key)
        if now is None:
            state.absent.add(key)
            continue
        skip = restored.get(key, set())
        same = all(values[a] == now[a] or a in skip for a in plain)
        dependencies = [
            (link.target, values[link.attname], now[link.attname])
            for link in links
            if link.attname not in skip and values[link.attname] is not None
        ]
        same = same and all(
            now[link.attname] is None
            for link in links
            if link.attname not in skip and values[link.attname] is None
        )
        for generic in generics:
            found = _generic_dependency(rows.keys, generic, values, now)
            if found is None:
                same = False
            else:
                dependencies.extend(found)
        if same:
            state.candidates[key] = dependencies
        else:
            state.absent.add(key)
            state.taken.add(key)


def _cleared(policy: Policy, model: type[Model]) -> set[str]:
    """Links the policy skips: cleared on export, so they cannot tell rows apart."""
    return {
        edge.fk.attname
        for edge in edges_of(model)
        if edge.kind is EdgeKind.FORWARD and edge.fk.concrete and policy.rule(edge) is Rule.SKIP
    }


def _generic_dependency(
    keys: KeyMaps, generic: Any, values: dict[str, Any], now: dict[str, Any]
) -> list[Dependency] | None:
    """What a generic foreign key's agreement rests on (maybe nothing); None: it differs."""
    ct, object_id = values[generic.ct_attname], values[generic.id_attname]
    now_ct, now_id = now[generic.ct_attname], now[generic.id_attname]
    mapped = None if ct is None else keys.changes.get(ContentType, {}).get(ct, ct)
    if mapped != now_ct:
        return None
    target = None if mapped is None else keys.generic_target(mapped)
    if target is None or object_id is None or now_id is None:
        return [] if object_id == now_id else None
    to_python: Callable[[Any], Any] = target._meta.pk.to_python
    return [(target, to_python(object_id), to_python(now_id))]


def _parent_parts(rows: NeededRows, model: type[Model], keys: set[Any]) -> set[Any]:
    """The ``keys`` of ``model`` at which the archive has a multi-table child's row too."""
    found: set[Any] = set()
    for child, spool in rows.contents.spools.items():
        link = key_link(child)
        if link is not None and link.parent_link and link.target is model:
            found.update(spool.seen.intersection(keys))
    return found
