"""Needed rows: the existing row each one stands for, or that it is to be created.

A needed row (a tag, a user, a category the tree points at) is reused only
when it is *matched*:

* by match fields (``--match``, else the policy's): the existing row with
  the same values in them, links compared with their images;
* else by natural key;
* else by identity (:mod:`.identity`): the existing row at the same key
  holds the same value in every column, links included, each link compared
  with the *image* of the row it names (the existing row that row was
  matched to, or the one created for it).

A row that is not matched is created: in remap mode with a new key where
its model makes keys, else with its archive key, which must then be free.

This module takes each model in turn and matches its rows as far as their
own values tell, with the images known so far. What a match rests on (the
images of the rows its links name) is kept with it, and
:mod:`.settle` then makes the matches of all models agree with each other.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.db.fetch import rows_in
from django_graft.exceptions import PolicyError
from django_graft.importer.decode import rows_of
from django_graft.importer.identity import match_identity
from django_graft.importer.ledger import Ledger
from django_graft.importer.links import KEEP, KeyMaps, Link, links_of
from django_graft.importer.matching import (
    as_tuple,
    find_by_fields,
    find_by_natural_keys,
    has_natural_key,
    natural_key_fields,
)
from django_graft.importer.neededstate import (
    NEW,
    Dependency,
    NeededModel,
    key_link,
    key_links,
    named_key_link,
)
from django_graft.importer.source import ArchiveContents
from django_graft.policy.rules import Policy
from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django_graft.importer.planned import ModelPlan

#: Records decoded per step.
CHUNK = 2_000


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
        ledger: Ledger | None = None,
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
        #: A sync: the needed rows an earlier sync created are those rows.
        self.ledger = ledger
        # {model: keys of needed rows matched through the ledger}
        self._synced: dict[type[Model], set[Any]] = defaultdict(set)
        self.states: dict[type[Model], NeededModel] = {}
        # {model: {key: whether a row exists at key}}, as read
        self._exists: dict[type[Model], dict[Any, bool]] = defaultdict(dict)
        # {(model, attname): {value: archive key}} and {(model, attname): {key: value}}
        self._by_value: dict[tuple[type[Model], str], dict[Any, Any]] = {}
        self._existing_values: dict[tuple[type[Model], str], dict[Any, Any]] = {}

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
        if self.ledger is not None:
            self._match_synced(state)
        if self.in_place:
            state.strong.update((key, key) for key in plan.spool.needed)
        elif fields:
            self._match_fields(state, fields)
        elif method == "natural":
            self._match_natural(state)
        else:
            match_identity(self, state)
        if plan.new_keys != KEEP:
            self.keys.pending[model].update(state.absent)

    def _match_synced(self, state: NeededModel) -> None:
        """Needed rows an earlier sync created, still here: matched to them, by the ledger."""
        ledger = self.ledger
        assert ledger is not None
        model = state.model
        gone = (ledger.gone or {}).get(model, set())
        for key in state.plan.spool.needed:
            entry = ledger.entry(model, key)
            if entry is not None and key not in gone:
                state.strong[key] = entry.target
                self._synced[model].add(key)

    def records(self, state: NeededModel) -> Iterator[tuple[Any, dict[str, Any]]]:
        """``(key, values)`` of the model's needed rows, as the archive has them."""
        plan = state.plan
        needed = set(plan.spool.needed) - self._synced.get(plan.model, set())
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
        links = [link for link in key_links(model) if link.attname in attnames]
        wanted: dict[Any, tuple[Any, ...]] = {}
        rests_on: dict[Any, list[Dependency]] = {}
        for key, values in self.records(state):
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
        links = key_links(model)
        objs: dict[Any, Any] = {}
        rests_on: dict[Any, dict[str, Dependency]] = {}
        # {key: links that name rows to be created}: such a value matches nothing
        unknown: dict[Any, set[str]] = {}
        natural: dict[Any, Any] = {}
        for key, values in self.records(state):
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
        if named is not None:  # the value its target holds once written
            return self.named_image(named.target, named.target_attname, key)
        return key if plan.new_keys == KEEP else NEW

    def named_image(self, model: type[Model], attname: str, value: Any) -> Any:
        """The value of ``attname`` the row of ``model`` the archive names by ``value`` will hold.

        A row matched (or standing in for the archive's) holds its own; a row
        created holds the archive's, unless the policy may change it (NEW:
        known once written); a row outside the archive keeps its value.
        """
        key = self._keys_by_value(model, attname).get(value)
        plan = self.plans.get(model)
        if key is None or plan is None:
            return value
        if key in plan.create or key in (self.states[model].absent if model in self.states else ()):
            return NEW if self.policy.changes_values(model) else value
        image = self.image(model, key)
        if image is NEW:
            return NEW
        return self._values_at(model, attname, image)

    def named_values(self, model: type[Model], attname: str) -> dict[Any, Any]:
        """``{archive value: value in the database}`` of the rows of ``model`` that exist."""
        plan = self.plans[model]
        found = {}
        for value, key in self._keys_by_value(model, attname).items():
            if key in plan.create:
                continue
            image = self.image(model, key)
            if image is not NEW and (now := self._values_at(model, attname, image)) != value:
                found[value] = now
        return found

    def _keys_by_value(self, model: type[Model], attname: str) -> dict[Any, Any]:
        """``{value of attname: archive key}`` of the archive's rows of ``model``, read once."""
        if (model, attname) not in self._by_value:
            plan = self.plans.get(model)
            found: dict[Any, Any] = {}
            if plan is not None:
                for chunk in plan.spool.records(CHUNK):
                    column = plan.decoder.decode_columns(chunk)[attname]
                    found.update(zip(column, plan.spool.keys_of(chunk), strict=True))
            self._by_value[model, attname] = found
        return self._by_value[model, attname]

    def _values_at(self, model: type[Model], attname: str, key: Any) -> Any:
        """The value of ``attname`` of the existing row ``key``, read with the others once."""
        known = self._existing_values.setdefault((model, attname), {})
        if key not in known:
            plan = self.plans[model]
            images = {self.image(model, k) for k in plan.spool.seen if k not in plan.create}
            images = {i for i in images if i is not NEW and i not in known} | {key}
            for row in rows_in(model, model._meta.pk, list(images), ["pk", attname], self.using):
                known[row[0]] = row[1]
        return known.get(key)

    def read_existence(self, model: type[Model], keys: Sequence[Any]) -> dict[Any, bool]:
        """Whether a row of ``model`` exists at each of ``keys`` (read once per key)."""
        known = self._exists[model]
        unknown = [key for key in keys if key not in known]
        if unknown:
            found = {row[0] for row in rows_in(model, model._meta.pk, unknown, ["pk"], self.using)}
            known.update((key, key in found) for key in unknown)
        return known
