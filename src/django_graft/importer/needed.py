"""Needed rows: the existing row each one stands for, or that it is to be created.

A needed row (a tag, a user, a category the tree points at) is reused only
when it is *matched*:

* by match fields (``--match``, else the policy's): the existing row with
  the same values in them, links compared with their images;
* else by natural key;
* else by identity: the existing row at the same key holds the same value
  in every column, links included, each link compared with the *image* of
  the row it names (the existing row that row was matched to, or the one
  created for it).

A row that is not matched is created: in remap mode with a new key where
its model makes keys, else with its archive key, which must then be free.

This module takes each model in turn and matches its rows as far as their
own values tell, with the images known so far. What a match rests on (the
images of the rows its links name) is kept with it, and
:mod:`.settle` then makes the matches of all models agree with each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.exceptions import PolicyError
from django_graft.fetch import rows_in
from django_graft.labels import model_label
from django_graft.policy import Policy, Rule
from django_graft.relations import EdgeKind, edges_of

from .decode import rows_of
from .links import KEEP, KeyMaps, Link, links_of
from .matching import (
    as_tuple,
    find_by_fields,
    find_by_natural_keys,
    has_natural_key,
    natural_key_fields,
)
from .relink import linked_columns
from .source import ArchiveContents

if TYPE_CHECKING:
    from .plan import ModelPlan

#: Records decoded per step.
CHUNK = 2_000


class _New:
    """The image of a row created with a key the database has not given yet."""

    def __repr__(self) -> str:
        return "<new key>"


NEW: Any = _New()

#: What a match rests on: (target model, the archive's target key, the key the
#: match takes the target to have in the database).
Dependency = tuple[type[Model], Any, Any]


@dataclass
class NeededModel:
    """The needed rows of one model, and what has been decided about them."""

    plan: ModelPlan
    #: How its rows are matched: "fields", "natural" or "identity".
    method: str
    #: {archive key: existing key}, matched by fields or natural key (or as a part
    #: of an object matched so).
    strong: dict[Any, Any] = field(default_factory=dict)
    #: {archive key: links}: identity matches, kept while every link agrees.
    candidates: dict[Any, list[Dependency]] = field(default_factory=dict)
    #: {archive key: links}: what a strong match's values held, kept while they agree.
    strong_links: dict[Any, list[Dependency]] = field(default_factory=dict)
    #: Keys of the rows to create.
    absent: set[Any] = field(default_factory=set)
    #: Keys at which the database holds a different row.
    taken: set[Any] = field(default_factory=set)
    #: {archive key: {attname: archive value}} of the parent links that are not
    #: the key (a model with several multi-table parents).
    parents: dict[Any, dict[str, Any]] = field(default_factory=dict)

    @property
    def model(self) -> type[Model]:
        return self.plan.model


class NeededRows:
    """Match the needed rows of an archive, model by model (see :mod:`.settle` for the rest)."""

    def __init__(
        self,
        contents: ArchiveContents,
        policy: Policy,
        using: str,
        keys: KeyMaps,
        *,
        remap: bool,
        on_conflict: str,
        match: Mapping[type[Model], Sequence[str]],
        plans: Mapping[type[Model], ModelPlan],
        in_place: bool = False,
    ) -> None:
        self.contents = contents
        self.policy = policy
        self.using = using
        self.keys = keys
        self.remap = remap
        self.on_conflict = on_conflict
        self.match = match
        self.plans = plans
        #: The archive was read from this very database: a needed row is the row at its key.
        self.in_place = in_place
        self.states: dict[type[Model], NeededModel] = {}
        # {model: {key: whether a row exists at key}}, as read
        self._exists: dict[type[Model], dict[Any, bool]] = defaultdict(dict)

    # -- one model, in dependency order ---------------------------------------

    def match_model(self, plan: ModelPlan) -> None:
        """Match the needed rows of one model as far as its own values tell."""
        if not plan.spool.needed:
            return
        model = plan.model
        fields = self.match.get(model) or self.policy.match_fields(model)
        method = "fields" if fields else "natural" if has_natural_key(model) else "identity"
        state = NeededModel(plan, method)
        self.states[model] = state
        if self.in_place:
            state.strong.update((key, key) for key in plan.spool.needed)
        elif fields:
            self._match_fields(state, fields)
        elif method == "natural":
            self._match_natural(state)
        else:
            self._match_identity(state)
        if plan.new_keys != KEEP:
            self.keys.pending[model].update(state.absent)

    def _records(self, state: NeededModel) -> Iterator[tuple[Any, dict[str, Any]]]:
        """``(key, values)`` of the model's needed rows, as the archive has them."""
        plan = state.plan
        needed = set(plan.spool.needed)
        parents = [
            link for link in links_of(plan.model)[0] if link.parent_link and not link.primary_key
        ]
        for chunk in plan.spool.records(CHUNK):
            keys = plan.spool.keys_of(chunk)
            wanted = [i for i, key in enumerate(keys) if key in needed]
            if not wanted:
                continue
            columns = plan.decoder.decode_columns([chunk[i] for i in wanted])
            for i, values in zip(wanted, rows_of(columns, len(wanted)), strict=True):
                if parents:
                    state.parents[keys[i]] = {p.attname: values[p.attname] for p in parents}
                yield keys[i], values

    def _mapped(
        self, values: dict[str, Any], links: Sequence[Link], *, strict: bool = True
    ) -> tuple[dict[str, Any], dict[str, Dependency]] | None:
        """``values`` with ``links`` pointing at their images so far, and what that rests on.

        A link to a row that is to be created names nothing an existing row
        can hold: with ``strict`` the result is ``None``, else it reads ``None``.
        """
        mapped = dict(values)
        dependencies: dict[str, Dependency] = {}
        for link in links:
            value = values[link.attname]
            if value is None:
                continue
            image, pending = self.keys.map(link.target, value)
            if pending and strict:
                return None
            mapped[link.attname] = image
            if not pending:
                dependencies[link.attname] = (link.target, value, image)
        return mapped, dependencies

    def _match_fields(self, state: NeededModel, fields: Sequence[str]) -> None:
        model = state.model
        local = {f.name: f for f in model._meta.local_concrete_fields}
        outside = [name for name in fields if name not in local]
        if outside:
            raise PolicyError(
                f"{model_label(model)} cannot be matched on {', '.join(outside)}: only on its "
                "own columns, and those belong to a multi-table parent. Match the parent's "
                "model on them instead.",
                label=model_label(model),
            )
        attnames = [local[name].attname for name in fields]
        links = [link for link in _links(model) if link.attname in attnames]
        wanted: dict[Any, tuple[Any, ...]] = {}
        rests_on: dict[Any, list[Dependency]] = {}
        for key, values in self._records(state):
            found = self._mapped(values, links)
            if found is None:
                state.absent.add(key)
                continue
            wanted[key] = tuple(found[0][a] for a in attnames)
            rests_on[key] = list(found[1].values())
        existing = find_by_fields(model, fields, wanted.values(), self.using)
        for key, wanted_values in wanted.items():
            self._settle_found(state, key, existing.get(wanted_values), rests_on[key])

    def _match_natural(self, state: NeededModel) -> None:
        model = state.model
        links = _links(model)
        objs: dict[Any, Any] = {}
        rests_on: dict[Any, dict[str, Dependency]] = {}
        # {key: links that name rows to be created}: such a value matches nothing
        unknown: dict[Any, set[str]] = {}
        natural: dict[Any, Any] = {}
        for key, values in self._records(state):
            # A natural key may not read every link: one to a row to be created reads None.
            found = self._mapped(values, links, strict=False)
            assert found is not None
            unknown[key] = {a for a in found[0] if values[a] is not None and found[0][a] is None}
            obj = objs[key] = self._instance(model, found[0])
            rests_on[key] = found[1]
            try:
                natural[key] = as_tuple(obj.natural_key())
            except Exception:
                state.absent.add(key)
        spelled = natural_key_fields(model, [objs[key] for key in natural])
        columns: set[str] = set()  # what a natural_key() method reads is not known
        if spelled:
            existing = find_by_fields(model, spelled, natural.values(), self.using)
            # The natural key is these columns: it rests on their links.
            columns = {model._meta.get_field(name).attname for name in spelled}  # type: ignore[union-attr]
        else:
            existing = find_by_natural_keys(model, natural.values(), self.using)
        for key, nk in natural.items():
            if unknown[key] & columns:
                state.absent.add(key)  # spelled by a link to a row to be created
                continue
            deps = [d for attname, d in rests_on[key].items() if attname in columns]
            self._settle_found(state, key, existing.get(nk), deps)

    def _settle_found(
        self, state: NeededModel, key: Any, existing: Any, rests_on: list[Dependency]
    ) -> None:
        if existing is None:
            state.absent.add(key)
        else:
            self.match_strongly(state, key, existing)
            state.strong_links[key] = rests_on

    def _instance(self, model: type[Model], values: dict[str, Any]) -> Any:
        obj: Any = model(**values)
        obj._state.db = self.using  # a natural key spanning a relation reads the target
        return obj

    def _match_identity(self, state: NeededModel) -> None:
        """Candidates: rows whose key holds a row with the same plain values."""
        model = state.model
        records = dict(self._records(state))
        cleared = self._cleared(model)
        links = [link for link in _links(model) if link.attname not in cleared]
        generics = links_of(model)[1]
        linked = {link.attname for link in links}
        linked.update(a for g in generics for a in (g.ct_attname, g.id_attname))
        plain = [a for a in state.plan.decoder.attnames if a not in linked and a not in cleared]
        if self.remap and not plain and not links and not generics:
            # Nothing but a key to compare: any row at that key would do, so none does.
            state.absent.update(records)
            return
        read = [*plain, *(link.attname for link in links)]
        read += [a for g in generics for a in (g.ct_attname, g.id_attname)]
        existing = {
            row[0]: dict(zip(read, row[1:], strict=True))
            for row in rows_in(model, model._meta.pk, list(records), ["pk", *read], self.using)
        }
        # A link a delete changed (and a link record puts back) differs for now.
        restored = linked_columns(model, self.contents.links.get(model, []))
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
                found = self._generic_dependency(generic, values, now)
                if found is None:
                    same = False
                else:
                    dependencies.extend(found)
            if same:
                state.candidates[key] = dependencies
            else:
                state.absent.add(key)
                state.taken.add(key)

    def _cleared(self, model: type[Model]) -> set[str]:
        """Links the policy skips: cleared on export, so they cannot tell rows apart."""
        return {
            edge.fk.attname
            for edge in edges_of(model)
            if edge.kind is EdgeKind.FORWARD
            and edge.fk.concrete
            and self.policy.rule(edge) is Rule.SKIP
        }

    def _generic_dependency(
        self, generic: Any, values: dict[str, Any], now: dict[str, Any]
    ) -> list[Dependency] | None:
        """What a generic foreign key's agreement rests on (maybe nothing); None: it differs."""
        ct, object_id = values[generic.ct_attname], values[generic.id_attname]
        now_ct, now_id = now[generic.ct_attname], now[generic.id_attname]
        mapped = None if ct is None else self.keys.changes.get(_content_type(), {}).get(ct, ct)
        if mapped != now_ct:
            return None
        target = None if mapped is None else self.keys.generic_target(mapped)
        if target is None or object_id is None or now_id is None:
            return [] if object_id == now_id else None
        to_python: Callable[[Any], Any] = target._meta.pk.to_python
        return [(target, to_python(object_id), to_python(now_id))]

    # -- decisions, shared with .settle ------------------------------------------

    def match_strongly(self, state: NeededModel, key: Any, existing: Any) -> None:
        """Match a row by fields or natural key (or as a part of an object matched so)."""
        state.candidates.pop(key, None)
        state.absent.discard(key)
        state.taken.discard(key)
        state.strong[key] = existing
        self.keys.pending.get(state.model, set()).discard(key)
        if existing != key:
            self.keys.changes[state.model][key] = existing

    def unmatch(self, state: NeededModel, key: Any, *, taken: bool) -> None:
        """Take a match back: the row is to be created (``taken``: a row holds its key)."""
        state.candidates.pop(key, None)
        state.strong_links.pop(key, None)
        if state.strong.pop(key, None) is not None:
            self.keys.changes[state.model].pop(key, None)
        state.absent.add(key)
        if taken:
            state.taken.add(key)
        if state.plan.new_keys != KEEP:
            self.keys.pending[state.model].add(key)

    def image(self, model: type[Model], key: Any) -> Any:
        """The key the row ``key`` of ``model`` has in the database after the import, or NEW."""
        state = self.states.get(model)
        if state is not None:
            if key in state.strong:
                return state.strong[key]
            if key in state.candidates:
                return key
            if key in state.absent:
                return self.created_image(state.plan, key)
        plan = self.plans.get(model)
        if plan is not None:
            for decided in (plan.matched, plan.skip, plan.update):
                if key in decided:
                    return decided[key]
            if key in plan.create:
                return self.created_image(plan, key)
        mapped, pending = self.keys.map(model, key)
        return NEW if pending else mapped

    def created_image(self, plan: ModelPlan, key: Any) -> Any:
        """The key a row to be created gets, where it is known before it is written."""
        link = key_link(plan.model)
        if link is not None:  # keyed by the row it links to, whatever the mode
            return self.image(link.target, key)
        named = named_key_link(plan.model)
        if named is not None:  # the value its target is written with
            return NEW if self.policy.changes_values(named.target) else key
        return key if plan.new_keys == KEEP else NEW

    def read_existence(self, model: type[Model], keys: Sequence[Any]) -> dict[Any, bool]:
        """Whether a row of ``model`` exists at each of ``keys`` (read once per key)."""
        known = self._exists[model]
        unknown = [key for key in keys if key not in known]
        if unknown:
            found = {row[0] for row in rows_in(model, model._meta.pk, unknown, ["pk"], self.using)}
            known.update((key, key in found) for key in unknown)
        return known


def _links(model: type[Model]) -> list[Link]:
    """The links of ``model`` that hold another row's key (its own key's aside)."""
    return [link for link in links_of(model)[0] if link.via_pk and not link.primary_key]


def key_link(model: type[Model]) -> Link | None:
    """The link that is ``model``'s primary key and holds its target's key, if one is.

    A key that links by ``to_field`` holds the target's value instead; it is
    that value, as written (see ``Writer._set_keys``), not an image of a key.
    """
    return next((link for link in links_of(model)[0] if link.primary_key and link.via_pk), None)


def named_key_link(model: type[Model]) -> Link | None:
    """The link that is ``model``'s primary key by ``to_field``, if one is."""
    return next((link for link in links_of(model)[0] if link.primary_key and not link.via_pk), None)


def _content_type() -> type[Model]:
    from django.contrib.contenttypes.models import ContentType

    return ContentType
