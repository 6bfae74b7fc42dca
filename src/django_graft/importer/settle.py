"""Make the matches of every needed row agree with each other, then decide each row.

A match found for one model rests on the images of the rows its links name,
and those change as other models' matches are settled: an identity
candidate whose link names a row that is created anew is no longer
identical. So every match that rests on a link is rechecked when the row
it names changes, each drop rechecking the rows that link to the dropped
one, until none changes: the largest set of matches that agree.

Rows of one multi-table-inheritance object are one object. By identity it
matches only whole: every part identical, and no part in the database
that the archive's object lacks (a plain vehicle is not someone's car).
Matched by fields or natural key, the other parts are that object's, and a
part it lacks is created for it. Parts matched to different objects make a
new object, created whole, whose parts are never matched again: as every
other change only takes matches back, that is what makes settling end.

A row whose primary key is a one-to-one takes its key from the image of the
row it links to. A key taken there by another row is a conflict (but where
the row it links to was matched by identity only: then both are created
anew), and so is a key two rows of the archive would take.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from django.db.models import Model

from django_graft.db.batching import sorted_keys
from django_graft.db.fetch import rows_in
from django_graft.importer.links import KEEP, links_of
from django_graft.importer.needed import CHUNK, NeededRows
from django_graft.importer.neededstate import NEW, NeededModel, key_link, named_key_link
from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django_graft.importer.planned import ModelPlan

#: Report a row that collides: ``collide(plan, key, taken=None, **why)`` (see Planner._collide).
Collide = Callable[..., None]

Row = tuple[NeededModel, Any]


class Settler:
    """Settle the needed rows of ``rows`` and check the keys of rows keyed by a link."""

    def __init__(self, rows: NeededRows, collide: Collide) -> None:
        self.rows = rows
        self.collide = collide
        self.states = rows.states
        # {(model, archive key): the rows whose match rests on that row}
        self.dependents: defaultdict[tuple[type[Model], Any], list[Row]] = defaultdict(list)
        # {model: {existing key: {attname: value}}}: parent links of existing rows
        self._parent_values: defaultdict[type[Model], dict[Any, dict[str, Any]]]
        self._parent_values = defaultdict(dict)
        #: (model, archive key) of the parts of objects whose parts matched apart
        self.split: set[tuple[type[Model], Any]] = set()
        # {model: {archive key: {attname: value}}}: parent links that are not the key
        self._archived_parents: dict[type[Model], dict[Any, dict[str, Any]]] = {}

    def settle(self, plans: Sequence[ModelPlan]) -> None:
        """Settle every needed row, put the outcome in ``plans``, check the keys links give."""
        for state in self.states.values():
            for links in (state.candidates, state.strong_links):
                for key, dependencies in links.items():
                    for target, archived, _ in dependencies:
                        self.dependents[target, archived].append((state, key))
        self._drop_extended_objects()
        work: list[Row] = [
            (state, key)
            for state in self.states.values()
            for key in (*state.candidates, *state.strong_links)
        ]
        while True:
            self._propagate(work)
            changed = self._follow_parts()
            if not changed:
                break
            work = [row for state, key in changed for row in self.dependents[state.model, key]]
        for state in self.states.values():
            self._decide(state)
        for plan in plans:
            self._check_linked_keys(plan)
            self._check_other_parents(plan)

    # -- links ---------------------------------------------------------------------

    def _propagate(self, work: list[Row]) -> None:
        """Take back the matches whose links disagree with the images; recheck their dependents."""
        image = self.rows.image
        while work:
            state, key = work.pop()
            if key in state.candidates:
                dependencies, taken = state.candidates[key], True
            elif key in state.strong and key in state.strong_links:
                dependencies, taken = state.strong_links[key], False
            else:
                continue
            if all(image(target, archived) == now for target, archived, now in dependencies):
                continue
            self.rows.unmatch(state, key, taken=taken)
            work.extend(self.dependents[state.model, key])

    # -- objects of several rows ------------------------------------------------------

    def _drop_extended_objects(self) -> None:
        """An identity candidate whose object has a part in the database the archive lacks.

        Such a row is the parent part of another object (a car, where the
        archive has a plain vehicle): not the same row.
        """
        for state in self.states.values():
            if not state.candidates:
                continue
            for child, link in _children(state.model):
                plan = self.rows.plans.get(child)
                candidates = list(state.candidates)
                if link.primary_key:
                    keys = [k for k in candidates if plan is None or k not in plan.spool.seen]
                    there = self.rows.read_existence(child, keys)
                    extended = {k for k in keys if there[k]}
                else:
                    # The archive's own rows of that child decide for the keys they name.
                    named = {v[link.attname] for v in self._archive_parents(plan).values()}
                    keys = [k for k in candidates if k not in named]
                    column = child._meta.get_field(link.name)
                    found = rows_in(child, column, keys, [link.attname], self.rows.using)
                    extended = {row[0] for row in found}
                for key in extended:
                    self.rows.unmatch(state, key, taken=True)

    def _follow_parts(self) -> list[Row]:
        """Make rows keyed by a one-to-one, and the parts of objects, agree; return the changes."""
        changed: list[Row] = []
        for state in self.states.values():
            link = key_link(state.model)
            if link is not None:
                changed += self._follow_key(state, link.target, link.parent_link)
            changed += self._follow_other_parents(state)
        return changed

    def _follow_key(self, state: NeededModel, target: type[Model], part: bool) -> list[Row]:
        rows, changed = self.rows, list[Row]()
        parent = self.states.get(target)
        for key, existing in list(state.strong.items()):
            if rows.image(target, key) == existing:
                continue
            if part and parent is not None and key not in parent.strong:
                # Matched by fields or natural key, the object brings its other parts.
                changed += self._promote(parent, key, existing)
            elif part:
                changed += self._split(state, key)
            else:  # keyed by another row than its target's image: not that row
                rows.unmatch(state, key, taken=False)
                changed.append((state, key))
        for key in list(state.candidates):
            if rows.image(target, key) != key:
                changed += self._split(state, key) if part else self._unmatch(state, key)
        images = {key: rows.image(target, key) for key in state.absent}
        exists = rows.read_existence(state.model, [y for y in images.values() if y is not NEW])
        for key, target_image in images.items():
            if target_image is NEW or parent is None:
                continue
            here = exists[target_image]
            if key in parent.candidates and (here or part):
                # Matched by identity, the object must match whole: it does not.
                changed += self._split(parent, key) if part else self._unmatch(parent, key)
            elif part and here and key in parent.strong:
                # The object matched by fields or natural key has this part.
                changed += self._promote(state, key, target_image)
        return changed

    def _follow_other_parents(self, state: NeededModel) -> list[Row]:
        """The parent links that are not the key, of a model with several parents."""
        rows, changed = self.rows, list[Row]()
        parents = [p for p in links_of(state.model)[0] if p.parent_link and not p.primary_key]
        if not parents:
            return changed
        existing = self._existing_parents(state.model, list(state.strong.values()))
        for link in parents:
            parent = self.states.get(link.target)
            if parent is None:
                continue
            for key in list(state.absent):
                value = state.parents.get(key, {}).get(link.attname)
                if value in parent.candidates:
                    changed += self._split(parent, value)
            for key, matched in list(state.strong.items()):
                value = state.parents.get(key, {}).get(link.attname)
                theirs = existing.get(matched, {}).get(link.attname)
                if value is None or rows.image(link.target, value) == theirs:
                    continue
                if value not in parent.strong:
                    changed += self._promote(parent, value, theirs)
                else:
                    changed += self._split(state, key)
        return changed

    def _promote(self, state: NeededModel, key: Any, existing: Any) -> list[Row]:
        """Match a part to the object its other parts are matched to, unless they disagreed."""
        if (state.model, key) in self.split:
            return []
        self.rows.match_strongly(state, key, existing)
        return [(state, key)]

    def _unmatch(self, state: NeededModel, key: Any) -> list[Row]:
        self.rows.unmatch(state, key, taken=key in state.candidates)
        return [(state, key)]

    def _split(self, state: NeededModel, key: Any) -> list[Row]:
        """The parts of an object do not match one object: none of them is matched, ever.

        The whole object (its parents, its other parents, its children in the
        archive) is then created anew, and never matched part by part again,
        which is also what makes settling end.
        """
        parts = self._parts(state, key)
        for part, part_key in parts:
            self.split.add((part.model, part_key))
            if part_key in part.strong or part_key in part.candidates:
                self.rows.unmatch(part, part_key, taken=part_key in part.candidates)
        return parts

    def _parts(self, state: NeededModel, key: Any) -> list[Row]:
        """The rows of the archive that make one multi-table object with ``key`` of ``state``."""
        found: dict[tuple[type[Model], Any], Row] = {}
        todo: list[Row] = [(state, key)]
        while todo:
            part, part_key = todo.pop()
            if (part.model, part_key) in found:
                continue
            found[part.model, part_key] = (part, part_key)
            for link in links_of(part.model)[0]:
                if not link.parent_link or link.target not in self.states:
                    continue
                value = (
                    part_key
                    if link.primary_key
                    else part.parents.get(part_key, {}).get(link.attname)
                )
                if value is not None:
                    todo.append((self.states[link.target], value))
            for child in self.states.values():
                child_key = key_link(child.model)
                holds = part_key in child.strong or part_key in child.candidates
                holds = holds or part_key in child.absent
                if child_key and child_key.parent_link and child_key.target is part.model and holds:
                    todo.append((child, part_key))
        return list(found.values())

    def _archive_parents(self, plan: ModelPlan | None) -> dict[Any, dict[str, Any]]:
        """``{key: {attname: value}}`` of the parent links that are not the key, per archive row."""
        if plan is None:
            return {}
        if plan.model not in self._archived_parents:
            names = [
                p.attname for p in links_of(plan.model)[0] if p.parent_link and not p.primary_key
            ]
            found: dict[Any, dict[str, Any]] = {}
            if names:
                for chunk in plan.spool.records(CHUNK):
                    columns = plan.decoder.decode_columns(chunk)
                    for key, *values in zip(
                        plan.spool.keys_of(chunk), *(columns[n] for n in names), strict=True
                    ):
                        found[key] = dict(zip(names, values, strict=True))
            self._archived_parents[plan.model] = found
        return self._archived_parents[plan.model]

    def _existing_parents(self, model: type[Model], keys: list[Any]) -> dict[Any, dict[str, Any]]:
        """``{key: {attname: value}}`` of the parent links of existing rows, read once."""
        known = self._parent_values[model]
        unknown = [key for key in keys if key not in known]
        if unknown:
            names = [p.attname for p in links_of(model)[0] if p.parent_link and not p.primary_key]
            for row in rows_in(model, model._meta.pk, unknown, ["pk", *names], self.rows.using):
                known[row[0]] = dict(zip(names, row[1:], strict=True))
        return known

    # -- decisions -------------------------------------------------------------------

    def _decide(self, state: NeededModel) -> None:
        """Turn what was settled into the plan: matches, rows to create, conflicts."""
        plan, model, rows = state.plan, state.model, self.rows
        for key, existing in state.strong.items():
            plan.matched[key] = existing
            if existing != key:
                rows.keys.changes[model][key] = existing
        plan.matched.update((key, key) for key in state.candidates)
        absent = state.absent
        if key_link(model) is not None or plan.new_keys != KEEP or rows.remap:
            # Keys made anew cannot collide; kept ones are checked with the unique
            # values, and keys taken from a linked row with _check_linked_keys.
            plan.create.update(absent)
            return
        exists = rows.read_existence(model, [key for key in absent if key not in state.taken])
        for key in absent:
            if key in state.taken or exists[key]:
                self.collide(plan, key)
            else:
                plan.create.add(key)

    def _check_other_parents(self, plan: ModelPlan) -> None:
        """A row joins its other parents (not the key's) only where they are ours too.

        A parent row that collided is another's: under skip (or fail) a row of
        ours cannot be made its child.
        """
        if not plan.create or self.rows.on_conflict == "update":
            return
        for link in links_of(plan.model)[0]:
            target = self.rows.plans.get(link.target)
            if not link.parent_link or link.primary_key or target is None:
                continue
            values = self._archive_parents(plan)
            for key in sorted_keys(plan.create):
                value = values.get(key, {}).get(link.attname)
                if value is not None and _lost(target, value):
                    reason = f"its {model_label(link.target)} part collides, so it cannot be added"
                    self.collide(plan, key, reason=reason, unresolved=True)

    def _check_linked_keys(self, plan: ModelPlan) -> None:
        """Rows keyed by a one-to-one take the key of their target's image: it must be free.

        Each such row to create gets that key now where it is known (its
        target matched, or kept), so links to it follow. A part of an object
        whose other part collided cannot join the object there (but where
        that part is overwritten); two rows cannot take one key; a key the
        database holds already is a conflict.
        """
        link = key_link(plan.model) or named_key_link(plan.model)
        if link is None or not plan.create:
            return
        rows = self.rows
        target = rows.plans.get(link.target)
        if not (link.parent_link and rows.on_conflict != "update"):
            target = None  # no part of ours is lost with its other part
        lost: list[Any] = []
        # Only the keys known now are held: rows whose parts are all created
        # anew (as in any remap import) hold none, however many they are.
        known: dict[Any, Any] = {}
        for key in plan.create:
            if target is not None and _lost(target, key):
                lost.append(key)
                continue
            y = rows.created_image(plan, key)
            if y is not NEW:
                known[key] = y
        for key in sorted_keys(lost):
            # The object at that key is another's: no part of ours joins it.
            reason = f"its {model_label(link.target)} part collides, so it cannot be added"
            self.collide(plan, key, reason=reason, unresolved=True)
        for y, count in Counter(known.values()).items():
            if count > 1:
                first, *others = sorted_keys(key for key, image in known.items() if image == y)
                for key in others:
                    reason = f"would take the key {y!r}, which {plan.label} {first!r} takes"
                    self.collide(plan, key, y, reason=reason)
                    del known[key]
        if not rows.remap:  # keys kept by owned rows are checked with the others
            owned = plan.keys_like(plan.spool.owned_keys)
            known = {key: y for key, y in known.items() if y != key or key not in owned}
        exists = rows.read_existence(plan.model, list(known.values()))
        for key, y in known.items():
            if exists[y]:
                self.collide(plan, key, None if y == key else y, field=link.name, value=y)
            elif y != key:
                rows.keys.changes[plan.model][key] = y


def _lost(plan: ModelPlan, key: Any) -> bool:
    """Whether the archive's row ``key`` of ``plan`` collided: neither created, matched nor
    already stored unchanged."""
    if key not in plan.spool.seen or key in plan.update or key in plan.unchanged:
        return False
    return key in plan.skip or (key not in plan.create and key not in plan.matched)


def _children(model: type[Model]) -> list[tuple[type[Model], Any]]:
    """``(child model, its parent link)`` of the multi-table children of ``model``."""
    found: list[tuple[type[Model], Any]] = []
    for rel in model._meta.related_objects:
        child: Any = rel.related_model
        if rel.one_to_one and rel.field.remote_field.parent_link and child is not model:
            concrete = child._meta.concrete_model
            attname = rel.field.attname
            found.extend(
                (concrete, link) for link in links_of(concrete)[0] if link.attname == attname
            )
    return found
