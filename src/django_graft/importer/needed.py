"""Needed rows: the existing row each one stands for, or that it is to be created.

A needed row (a tag, a user, a category the tree points at) is reused only
when it is *matched*:

* by match fields (``--match``, else the policy's): the existing row with
  the same values in them;
* else by natural key;
* else by identity: the existing row at the same key holds the same value
  in every column, links included, each link compared with the *image* of
  the row it names (the existing row that row was matched to, or the one
  created for it).

A row that is not matched is created: in remap mode with a new key where
its model makes keys, else with its archive key, which must then be free.

Identity depends on the images of other rows, which depend on their own
matches, through self links and cycles. So identity matches are first
taken as candidates, and dropped wherever a link disagrees, each drop
rechecking the rows that link to the dropped one, until none changes: the
largest set of matches that agree with each other.

A row whose primary key is a one-to-one link (a multi-table-inheritance
child, or a model keyed by another's row) takes its key from the image of
the row it links to. The rows of one multi-table-inheritance object are one
object: matched by identity only when every part is, and where one part is
matched by match fields or natural key, the other parts are that object's.
A one-to-one key that would be taken twice is a conflict.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db.models import Model

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
from .report import Conflict
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

#: Report a row whose key is taken: ``collide(plan, key[, key taken])``.
Collide = Callable[..., None]

#: A link an identity match depends on: (target model, the archive's target key,
#: the value the existing row holds).
Dependency = tuple[type[Model], Any, Any]


@dataclass
class NeededModel:
    """The needed rows of one model, and what has been decided about them."""

    plan: ModelPlan
    #: How its rows are matched: "fields", "natural" or "identity".
    method: str
    #: {archive key: existing key}, matched by fields or natural key (or as part of
    #: an object matched so).
    strong: dict[Any, Any] = field(default_factory=dict)
    #: {archive key: links to check}: identity matches, until a link disagrees.
    candidates: dict[Any, list[Dependency]] = field(default_factory=dict)
    #: Keys of the rows to create.
    absent: set[Any] = field(default_factory=set)
    #: Keys at which the database holds a different row.
    taken: set[Any] = field(default_factory=set)
    #: The link that gives the rows their keys, for a model keyed by a one-to-one.
    key_link: Link | None = None

    @property
    def model(self) -> type[Model]:
        return self.plan.model


class NeededRows:
    """Match the needed rows of an archive, model by model, then settle them together."""

    def __init__(
        self,
        contents: ArchiveContents,
        policy: Policy,
        using: str,
        keys: KeyMaps,
        *,
        remap: bool,
        match: Mapping[type[Model], Sequence[str]],
        plans: Mapping[type[Model], ModelPlan],
        in_place: bool = False,
    ) -> None:
        self.contents = contents
        self.policy = policy
        self.using = using
        self.keys = keys
        self.remap = remap
        self.match = match
        self.plans = plans
        #: The archive was read from this very database: a needed row is the row at its key.
        self.in_place = in_place
        self.states: dict[type[Model], NeededModel] = {}
        self.conflicts: list[Conflict] = []
        # {(model, key): whether a row of model exists at key}, as read
        self._exists: dict[type[Model], dict[Any, bool]] = defaultdict(dict)

    # -- first pass: one model at a time, in dependency order -------------------

    def match_model(self, plan: ModelPlan) -> None:
        """Match the needed rows of one model as far as its own values tell."""
        if not plan.spool.needed:
            return
        model = plan.model
        fields = self.match.get(model) or self.policy.match_fields(model)
        method = "fields" if fields else "natural" if has_natural_key(model) else "identity"
        state = NeededModel(plan, method, key_link=_key_link(model))
        self.states[model] = state
        if self.in_place:
            state.strong.update((key, key) for key in plan.spool.needed)
        elif fields:
            attnames = [model._meta.get_field(f).attname for f in fields]  # type: ignore[union-attr]
            rows = {key: tuple(v[a] for a in attnames) for key, v in self._records(plan)}
            found = find_by_fields(model, fields, rows.values(), self.using)
            self._found(state, {key: found.get(values) for key, values in rows.items()})
        elif method == "natural":
            self._match_natural(state)
        else:
            self._match_identity(state)
        if plan.new_keys != KEEP:
            self.keys.pending[model].update(state.absent)

    def _records(
        self, plan: ModelPlan, *, mapped: bool = True
    ) -> Iterator[tuple[Any, dict[str, Any]]]:
        """``(key, values)`` of the model's needed rows; with ``mapped``, links point at images.

        A link to a row whose image is not known yet reads ``None``.
        """
        links = [link for link in links_of(plan.model)[0] if link.via_pk and not link.primary_key]
        needed = set(plan.spool.needed)
        for chunk in plan.spool.records(CHUNK):
            keys = plan.spool.keys_of(chunk)
            wanted = [i for i, key in enumerate(keys) if key in needed]
            if not wanted:
                continue
            columns = plan.decoder.decode_columns([chunk[i] for i in wanted])
            if mapped:
                for link in links:
                    columns[link.attname] = [
                        None if value is None else self.keys.map(link.target, value)[0]
                        for value in columns[link.attname]
                    ]
            for i, values in zip(wanted, rows_of(columns, len(wanted)), strict=True):
                yield keys[i], values

    def _found(self, state: NeededModel, found: dict[Any, Any]) -> None:
        for key, existing in found.items():
            if existing is None:
                state.absent.add(key)
            else:
                self._match(state, key, existing)

    def _match(self, state: NeededModel, key: Any, existing: Any) -> None:
        """Match a row by fields or natural key (or as a part of an object matched so)."""
        state.candidates.pop(key, None)
        state.absent.discard(key)
        state.taken.discard(key)
        state.strong[key] = existing
        self.keys.pending.get(state.model, set()).discard(key)
        if existing != key:
            self.keys.changes[state.model][key] = existing

    def _match_natural(self, state: NeededModel) -> None:
        model = state.model
        objs = {key: self._instance(model, values) for key, values in self._records(state.plan)}
        natural: dict[Any, Any] = {}
        for key, obj in objs.items():
            try:
                natural[key] = as_tuple(obj.natural_key())
            except Exception:
                state.absent.add(key)
        spelled = natural_key_fields(model, [objs[key] for key in natural])
        if spelled:
            found = find_by_fields(model, spelled, natural.values(), self.using)
        else:
            found = find_by_natural_keys(model, natural.values(), self.using)
        self._found(state, {key: found.get(nk) for key, nk in natural.items()})

    def _instance(self, model: type[Model], values: dict[str, Any]) -> Any:
        obj: Any = model(**values)
        obj._state.db = self.using  # a natural key spanning a relation reads the target
        return obj

    def _match_identity(self, state: NeededModel) -> None:
        """Candidates: rows whose key holds a row with the same plain values."""
        model = state.model
        records = dict(self._records(state.plan, mapped=False))
        links = [
            link
            for link in links_of(model)[0]
            if link.via_pk and not link.primary_key and link.attname not in self._cleared(model)
        ]
        generics = links_of(model)[1]
        linked = {link.attname for link in links}
        linked.update(a for g in generics for a in (g.ct_attname, g.id_attname))
        plain = [
            a
            for a in state.plan.decoder.attnames
            if a not in linked and a not in self._cleared(model)
        ]
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
                if link.attname not in skip
            ]
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

    # -- images ----------------------------------------------------------------

    def image(self, model: type[Model], key: Any) -> Any:
        """The key the row ``key`` of ``model`` has in the database after the import, or NEW."""
        state = self.states.get(model)
        if state is not None:
            if key in state.strong:
                return state.strong[key]
            if key in state.candidates:
                return key
            if key in state.absent:
                return self._created_image(state.plan, key)
        plan = self.plans.get(model)
        if plan is not None:
            if key in plan.create:
                return self._created_image(plan, key)
            if key in plan.matched:
                return plan.matched[key]
        mapped, pending = self.keys.map(model, key)
        return NEW if pending else mapped

    def _created_image(self, plan: ModelPlan, key: Any) -> Any:
        link = _key_link(plan.model)
        if link is not None:  # keyed by the row it links to, whatever the mode
            return self.image(link.target, key)
        return key if plan.new_keys == KEEP else NEW

    # -- settling ----------------------------------------------------------------

    def settle(self, collide: Collide) -> None:
        """Drop the matches that disagree, decide the rest; ``collide(plan, key)`` a conflict."""
        dependents: defaultdict[tuple[type[Model], Any], list[tuple[NeededModel, Any]]]
        dependents = defaultdict(list)
        for state in self.states.values():
            for key, links in state.candidates.items():
                for target, archived, _ in links:
                    dependents[target, archived].append((state, key))
        work = [(state, key) for state in self.states.values() for key in state.candidates]
        while True:
            self._propagate(work, dependents)
            changed = self._follow_keys()
            if not changed:
                break
            work = [row for state, key in changed for row in dependents.get((state.model, key), ())]
        for state in self.states.values():
            self._decide(state, collide)

    def _propagate(
        self,
        work: list[tuple[NeededModel, Any]],
        dependents: Mapping[tuple[type[Model], Any], list[tuple[NeededModel, Any]]],
    ) -> None:
        """Drop candidates whose links disagree with the images, and recheck their dependents."""
        while work:
            state, key = work.pop()
            links = state.candidates.get(key)
            if links is None:
                continue
            if all(self.image(target, archived) == now for target, archived, now in links):
                continue
            self._drop(state, key)
            work.extend(dependents.get((state.model, key), ()))

    def _drop(self, state: NeededModel, key: Any) -> None:
        del state.candidates[key]
        state.absent.add(key)
        state.taken.add(key)
        if state.plan.new_keys != KEEP:
            self.keys.pending[state.model].add(key)

    def _follow_keys(self) -> list[tuple[NeededModel, Any]]:
        """Make rows keyed by a one-to-one agree with the row it links to; return what changed.

        See the module's docstring. A row to create at the key of a row that
        is matched must find that key free, or be that object's own part.
        """
        changed: list[tuple[NeededModel, Any]] = []
        for state in self.states.values():
            link = state.key_link
            if link is None:
                continue
            parent = self.states.get(link.target)
            images = {key: self.image(link.target, key) for key in state.absent}
            self._read_existence(state.model, [y for y in images.values() if y is not NEW])
            for key, existing in list(state.strong.items()):
                changed += self._agree_strong(state, parent, key, existing)
            for key in list(state.candidates):
                if self.image(link.target, key) != key:
                    self._drop(state, key)
                    changed.append((state, key))
            for key, target_image in images.items():
                if target_image is NEW:
                    continue
                parent_candidate = parent is not None and key in parent.candidates
                exists = self._exists[state.model][target_image]
                part = _is_part(state.model)
                if parent_candidate and (exists or part):
                    # Matched by identity, the object must match whole: it does not.
                    assert parent is not None
                    self._drop(parent, key)
                    changed.append((parent, key))
                elif exists and part:
                    # The object matched by natural key or fields has this part.
                    state.absent.discard(key)
                    state.strong[key] = target_image
                    changed.append((state, key))
        return changed

    def _agree_strong(
        self, state: NeededModel, parent: NeededModel | None, key: Any, existing: Any
    ) -> list[tuple[NeededModel, Any]]:
        """A part matched on its own: the row it links to is the matched object's."""
        assert state.key_link is not None
        target_image = self.image(state.key_link.target, key)
        if target_image == existing:
            return []
        if parent is not None and key not in parent.strong:
            # Matched by fields or natural key, the object brings its other parts.
            parent.candidates.pop(key, None)
            parent.absent.discard(key)
            parent.strong[key] = existing
            return [(parent, key)]
        del state.strong[key]
        state.absent.add(key)
        self.conflicts.append(
            Conflict(
                state.plan.label,
                key,
                reason=(
                    f"matched to the existing row {existing!r}, but its "
                    f"{model_label(state.key_link.target)} part is matched to "
                    f"{target_image!r}; match both on the same values"
                ),
            )
        )
        return [(state, key)]

    def _read_existence(self, model: type[Model], keys: list[Any]) -> None:
        known = self._exists[model]
        unknown = [key for key in keys if key not in known]
        if not unknown:
            return
        found = {row[0] for row in rows_in(model, model._meta.pk, unknown, ["pk"], self.using)}
        known.update((key, key in found) for key in unknown)

    def _decide(self, state: NeededModel, collide: Collide) -> None:
        """Turn what was settled into the plan: matches, rows to create, conflicts."""
        plan, model = state.plan, state.model
        for key, existing in state.strong.items():
            plan.matched[key] = existing
            if existing != key:
                self.keys.changes[model][key] = existing
        plan.matched.update((key, key) for key in state.candidates)
        absent = state.absent
        if state.key_link is None and plan.new_keys == KEEP and not self.remap:
            # Keys kept: a different row at the same key is a conflict.
            unknown = [key for key in absent if key not in state.taken]
            self._read_existence(model, unknown)
            for key in absent:
                if key in state.taken or self._exists[model][key]:
                    collide(plan, key)
                else:
                    plan.create.add(key)
            return
        # Rows keyed by a link are checked with the owned ones (check_linked_keys).
        plan.create.update(absent)

    def check_linked_keys(self, plans: Sequence[ModelPlan], collide: Collide) -> None:
        """Rows keyed by a one-to-one take the key of their target's image: it must be free.

        Each such row to create gets that key now where it is known (its
        target matched, or kept), so links to it follow; a key the
        database already holds for another row of the model is a conflict.
        """
        for plan in plans:
            link = _key_link(plan.model)
            if link is None or not plan.create:
                continue
            images = {key: self.image(link.target, key) for key in plan.create}
            known = {key: y for key, y in images.items() if y is not NEW}
            self._read_existence(plan.model, list(known.values()))
            for key, y in known.items():
                if key in plan.spool.owned and y == key and not self.remap:
                    continue  # a key kept, checked with the other owned rows
                if self._exists[plan.model][y]:
                    plan.create.discard(key)
                    collide(plan, key, y)
                elif y != key:
                    self.keys.changes[plan.model][key] = y


def _is_part(model: type[Model]) -> bool:
    """Whether ``model``'s key is a multi-table-inheritance parent link (its rows are parts)."""
    pk: Any = model._meta.pk
    return bool(getattr(pk, "remote_field", None) and pk.remote_field.parent_link)


def _key_link(model: type[Model]) -> Link | None:
    """The link that is ``model``'s primary key, if one is."""
    return next((link for link in links_of(model)[0] if link.primary_key), None)


def _content_type() -> type[Model]:
    from django.contrib.contenttypes.models import ContentType

    return ContentType
