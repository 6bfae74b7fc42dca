"""Decide, before anything is written, what happens to every row of an archive.

The plan resolves the reference records, matches the needed rows to
existing rows, finds every conflict (all of them, across all models), orders
the models so that the rows a row points at come first, and refuses a
cycle it cannot write. Every step reads in batches: one query per model and
batch of keys, never one per row (but natural keys no unique field set
spells out, see :mod:`.matching`).
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from typing import Any

from django.db.models import Model

from django_graft.db.fetch import rows_in
from django_graft.exceptions import ConflictError
from django_graft.importer.carried import named_values, owned_values
from django_graft.importer.compare import difference, differing_fields
from django_graft.importer.cycles import check_cycles
from django_graft.importer.decode import RowDecoder
from django_graft.importer.drift import Drift
from django_graft.importer.ledger import Ledger
from django_graft.importer.links import (
    DEFAULT,
    KEEP,
    RETURNING,
    KeyMaps,
    keys_renamed,
    links_of,
    new_keys_of,
)
from django_graft.importer.needed import NeededRows
from django_graft.importer.neededstate import NEW, key_link, named_key_link
from django_graft.importer.planned import ModelPlan, Plan
from django_graft.importer.relink import plan_links
from django_graft.importer.resolve import generic_pairs, resolve_references
from django_graft.importer.result import Conflict
from django_graft.importer.settle import Settler
from django_graft.importer.source import ArchiveContents
from django_graft.importer.syncplan import plan_synced, settle_taken
from django_graft.importer.unique import taken_values
from django_graft.policy.rules import Policy
from django_graft.render.lists import listed
from django_graft.schema.labels import model_label
from django_graft.tree.ordering import dependency_order


class Planner:
    def __init__(
        self,
        contents: ArchiveContents,
        policy: Policy,
        using: str,
        *,
        remap: bool,
        on_conflict: str,
        match: Mapping[type[Model], Sequence[str]],
        drift: Drift,
        needed_in_place: bool = False,
        signals: bool = False,
        ledger: Ledger | None = None,
    ) -> None:
        self.contents = contents
        self.policy = policy
        self.using = using
        self.remap = remap
        self.on_conflict = on_conflict
        self.match = match
        self.drift = drift
        self.needed_in_place = needed_in_place
        #: Rows are saved one by one, sending signals: receivers must not see stand-ins.
        self.signals = signals
        self.keys = KeyMaps(using)
        #: A sync: where the rows an earlier sync of the tree created are.
        self.ledger = ledger
        self.conflicts: list[Conflict] = []
        #: Conflicts no existing row can settle by standing in for the archive's.
        self.unresolved: list[Conflict] = []
        self.warnings: list[str] = []

    # -- entry point -----------------------------------------------------

    def plan(self) -> Plan:
        resolve_references(
            self.contents.references, self.keys, self.using, match_fields=self._match_fields
        )
        spools = self.contents.spools
        order = dependency_order(spools, self.policy, generic_pairs(self.contents))
        plans: dict[type[Model], ModelPlan] = {}
        needed = NeededRows(
            self.contents,
            self.policy,
            self.using,
            self.keys,
            remap=self.remap,
            on_conflict=self.on_conflict,
            match=self.match,
            plans=plans,
            in_place=self.needed_in_place,
            ledger=self.ledger,
        )
        for model in order:
            plan = ModelPlan(
                model,
                model_label(model),
                spools[model],
                RowDecoder(model, self.drift.fields.get(model), self.using),
                new_keys_of(model, self.remap),
            )
            plan.decoder.check_keys(plan.spool.seen)
            self._plan_owned(plan)
            plans[model] = plan
            if self.remap and plan.new_keys != KEEP:
                waiting = self.keys.pending.get(model)
                if waiting is None:
                    self.keys.pending[model] = plan.create.copy()
                else:
                    waiting.update(plan.create)
            needed.match_model(plan)
        Settler(needed, self._collide).settle(list(plans.values()))
        self._pending(needed, list(plans.values()))
        self._check_unique_values(list(plans.values()))
        self._report_created(needed)
        self._name_existing_rows(needed, list(plans.values()))
        archived = {plan.model: plan.spool.seen for plan in plans.values()}
        for model, refs in self.contents.references.items():
            archived.setdefault(model, set()).update(ref.pk for ref in refs)
        references = self.contents.references
        referenced = {model: [ref.pk for ref in refs] for model, refs in references.items()}
        named = named_values(plans, referenced, self.keys, self.using)
        links = plan_links(
            self.contents.links,
            self.using,
            remap=self.remap,
            on_conflict=self.on_conflict,
            archived=archived,
            # A row skipped for a taken key is not written: the key names
            # another row now, which no link may be put back to.
            owned={plan.model: plan.owned_written() for plan in plans.values()},
            owned_values=owned_values(plans),
            skipped={plan.model: set(plan.skip) for plan in plans.values() if plan.skip},
        )
        self.conflicts.extend(links.conflicts)
        self.warnings.extend(links.warnings)
        if self.conflicts and self.on_conflict == "fail":
            raise ConflictError(
                f"{len(self.conflicts)} row(s) of the archive collide with rows in database "
                f"'{self.using}':\n{listed(self.conflicts)}\nNothing was written. "
                + self._conflict_advice(),
                conflicts=self.conflicts,
            )
        if self.unresolved:
            raise ConflictError(
                f"{len(self.unresolved)} row(s) of the archive collide with rows in database "
                f"'{self.using}' in a way --on-conflict {self.on_conflict} cannot settle:\n"
                f"{listed(self.unresolved)}\nNothing was written. Import with --on-conflict "
                "update, or remove the existing rows.",
                conflicts=self.unresolved,
            )
        check_cycles(list(plans.values()), signals=self.signals)
        for plan in plans.values():  # planning filled pending; writing starts from scratch
            self.keys.pending.pop(plan.model, None)
        return Plan(
            self.using,
            self.remap,
            list(plans.values()),
            self.keys,
            self.conflicts,
            self.warnings,
            archived,
            links,
            named,
            self.needed_in_place,
        )

    def _match_fields(self, model: type[Model]) -> Sequence[str]:
        """The fields the import declares to find ``model``'s rows by (--match, else policy)."""
        return self.match.get(model) or self.policy.match_fields(model)

    def _conflict_advice(self) -> str:
        if any(c.field == "pk" for c in self.conflicts):
            return (
                "Rows of a model that cannot make keys keep theirs, and these are taken: "
                "give the rows other keys with a pre_save hook or set_fields on the policy "
                "(--set app.Model.field=VALUE for a clone), or remove the existing rows."
            )
        if any(c.field is not None for c in self.conflicts):
            return (
                "Change the colliding values with a pre_save hook on the policy (for "
                "example, rename the copies), or remove the existing rows."
            )
        choose = "choose --on-conflict skip|update to keep or overwrite the existing rows."
        if self.remap:
            return choose.capitalize()
        return f"Import with --pks remap to give the archive's rows new keys, or {choose}"

    # -- owned rows ------------------------------------------------------

    def _existing(self, model: type[Model], keys: Collection[Any]) -> set[Any]:
        return {row[0] for row in rows_in(model, model._meta.pk, keys, ["pk"], self.using)}

    def _plan_owned(self, plan: ModelPlan) -> None:
        owned = plan.spool.owned
        if self.ledger is not None:
            plan_synced(self, plan, self.ledger)
            return
        if self.remap:
            # New keys cannot collide. Kept ones (of a model that cannot make
            # keys, or a composite key's parts) are checked with the unique
            # values, after the policy's hooks; keys taken from a linked row,
            # with the rows keyed so (NeededRows.check_linked_keys).
            plan.create.update(plan.spool.owned_keys)
            return
        taken = self._existing(plan.model, owned)
        differing = differing_fields(plan, taken, self.keys, self.using, self.policy)
        for key in owned:
            if key not in taken:
                plan.create.add(key)
            elif differing.get(key) == []:
                plan.unchanged[key] = key
            else:
                self._collide(plan, key, **difference(differing.get(key)))

    def _collide(self, plan: ModelPlan, key: Any, taken: Any = None, **why: Any) -> None:
        """A row that collides with the existing row ``taken`` (its own key, by default).

        Every conflict comes here, so ``--on-conflict`` treats each alike:
        ``skip`` leaves the existing row alone and lets it stand for the
        archive's row, ``update`` overwrites it with the archive's values.
        ``why`` says what collides (the ``field`` and ``value`` of a
        :class:`.report.Conflict`, or a ``reason``), where it is not the key
        itself; ``unresolved=True`` where no existing row can stand in.
        """
        existing = key if taken is None else taken
        plan.create.discard(key)
        plan.pending.discard(key)
        if self.on_conflict == "update":
            plan.update[key] = existing
        elif self.on_conflict == "skip":
            plan.skip[key] = existing
        if self.on_conflict != "fail":
            # The existing row stands for this one: links to it land there. An
            # import that fails lists its conflicts only, and a row pointing at
            # this one is judged as it would be once this one is written with
            # a new key, not reported again for a clash this one causes.
            self.keys.pending.get(plan.model, set()).discard(key)
            if existing != key:
                self.keys.changes[plan.model][key] = existing
        if "reason" in why:
            conflict = Conflict(plan.label, key, reason=why["reason"])
            self.conflicts.append(conflict)
            if why.get("unresolved"):
                self.unresolved.append(conflict)
            return
        if taken is None and not why:
            self.conflicts.append(Conflict(plan.label, key))
            return
        pk: Any = plan.model._meta.pk
        field_name = why.get("field", pk.name)
        value = why.get("value", existing)
        self.conflicts.append(Conflict(plan.label, key, field_name, value, existing))

    def _pending(self, needed: NeededRows, plans: list[ModelPlan]) -> None:
        """The rows whose keys are known only once written: every other key is known now."""
        for plan in plans:
            if key_link(plan.model) is not None:
                # Keyed by the row it links to: known where that row's key is.
                plan.pending = plan.keys_like(
                    key for key in plan.create if needed.image(plan.model, key) is NEW
                )
            elif plan.new_keys in (RETURNING, DEFAULT):
                plan.pending = plan.create.copy()
            elif self.remap and keys_renamed(self.policy, plan.model):
                # The policy may give the kept keys others: known once written.
                plan.pending = plan.create.copy()
            elif named_key_link(plan.model) is not None:
                named = named_key_link(plan.model)
                assert named is not None
                changed = self.policy.changes_values(named.target)
                plan.pending = plan.create.copy() if changed else plan.keys_like()
            else:
                plan.pending = plan.keys_like()
            self.keys.pending[plan.model] = plan.pending.copy()

    def _name_existing_rows(self, needed: NeededRows, plans: list[ModelPlan]) -> None:
        """Links by ``to_field`` to rows that exist already follow the values those rows hold."""
        named = {
            (link.target, link.target_attname)
            for plan in plans
            for link in links_of(plan.model)[0]
            if not link.via_pk and link.target in needed.plans
        }
        for model, attname in sorted(named, key=lambda pair: (model_label(pair[0]), pair[1])):
            self.keys.values[model, attname].update(needed.named_values(model, attname))

    def _report_created(self, needed: NeededRows) -> None:
        """Count the needed rows created anew, and say where match fields would help.

        That is where a row of the database sits at the key of a needed row
        of a model that has neither natural key nor match fields, and
        differs from it: an identical row would have been reused, but one
        that differs only in a column that does not matter is not.
        """
        for state in needed.states.values():
            plan = state.plan
            plan.created_needed = len(plan.create & state.absent)
            differing = len(plan.create & state.taken)
            if differing and state.method == "identity":
                self.warnings.append(
                    f"{plan.label}: {differing} needed row(s) differ from the row at their "
                    f"key in database '{self.using}' and are created anew; {plan.label} has "
                    "no natural key and no match fields to find an existing row by. To reuse "
                    f"existing rows, match them: --match {plan.model._meta.label}:FIELD[,FIELD...] "
                    "(or the policy's match)."
                )

    # -- unique values and cycles ------------------------------------------

    def _check_unique_values(self, plans: list[ModelPlan]) -> None:
        """Created rows whose unique values (or kept keys, in remap mode) are taken: conflicts."""
        for plan in plans:
            keys_kept = self.remap and plan.new_keys == KEEP
            taken = taken_values(plan, self.keys, self.policy, self.using, keys_kept=keys_kept)
            adopted = set() if self.ledger is None else settle_taken(self, plan, taken)
            collided = set()
            for conflict in taken:
                if conflict.pk in adopted:
                    continue
                if plan.model._meta.auto_created:
                    # A many-to-many link the database already has is that link.
                    plan.create.discard(conflict.pk)
                    plan.pending.discard(conflict.pk)
                    plan.matched[conflict.pk] = conflict.existing
                elif conflict.pk in plan.create:  # not already a conflict of its key
                    collided.add(conflict.pk)
                    self._collide(
                        plan,
                        conflict.pk,
                        conflict.existing,
                        field=conflict.field,
                        value=conflict.value,
                    )
                elif conflict.pk in collided and self.on_conflict == "fail":
                    # Every value of the row that is taken, so that one run
                    # names all there are to change.
                    self.conflicts.append(conflict)
