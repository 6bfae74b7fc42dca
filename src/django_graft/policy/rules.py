"""Policy: how each relation edge and model is treated in a graph.

A policy starts from defaults derived from model metadata and lets a user
override any edge or model by label:

* an edge rule, per ``app_label.Model.name`` where ``name`` is a field of the
  model (forward) or the name of a relation pointing at it (reverse):
  ``own`` (follow, the rows join the owned set), ``need`` (follow forward,
  the rows are a dependency) or ``skip`` (don't follow);
* per model: ``reference`` (never copied, only pointed at and resolved by
  natural key), ``match`` (fields that find an existing row),
  ``exclude_fields`` and ``mask`` (applied on export), and ``secret_fields``
  (credentials, tokens: exported by the commands and the Python API, left
  out of exports made from the admin unless the settings let them through);
* dynamic edges: links the schema does not know (keys inside a JSON field,
  a plain column holding another row's key), declared per column with the
  model they point at and a rule, ``own`` or ``need`` (:mod:`.declarations`);
* field overrides for the rows a clone or an import creates: ``set_fields``
  (a value, or a function of the row, per ``app_label.Model.field``, applied
  before the ``pre_save`` hook) and ``clear`` (a nullable foreign key or a
  many-to-many field, left empty; it is a ``skip`` rule, so an export under
  the policy leaves it out too).

Defaults, which match what ``Model.delete()`` removes: a reverse foreign key
with ``on_delete=CASCADE`` (or ``DB_CASCADE``) is owned, as are the other rows
of a multi-table-inheritance object and the rows of a ``GenericRelation``;
forward foreign keys and generic foreign keys are needed; every other
reverse relation is skipped. ``contenttypes.ContentType`` and
``auth.Permission`` are references.

Labels are case-insensitive. A label that names nothing, or a rule a relation
cannot take, raises ``PolicyError`` as soon as the policy is built (or, for a
policy built before the app registry is ready, when it is first used).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.apps import apps
from django.db import models
from django.db.models import Model

from django_graft.exceptions import PolicyError
from django_graft.policy.declarations import declared_edges, described
from django_graft.policy.parsing import (
    clearable_edge,
    model_field,
    resolve_edge,
    settable_field,
    split_field_label,
)
from django_graft.schema.edges import Edge, EdgeKind, edges_of
from django_graft.schema.labels import concrete, model_label, resolve_model

DEFAULT_REFERENCES = ("contenttypes.contenttype", "auth.permission")

_CASCADES = tuple(
    handler
    for handler in (models.CASCADE, getattr(models, "DB_CASCADE", None))
    if handler is not None
)


class Rule(str, enum.Enum):
    """What an edge does: ``own`` (its rows join the tree), ``need`` (the tree
    points at them: carried, matched on import) or ``skip`` (not followed)."""

    OWN = "own"
    NEED = "need"
    SKIP = "skip"


def default_rule(edge: Edge) -> Rule:
    """Return the rule an edge gets when the policy says nothing about it."""
    if edge.kind is EdgeKind.GENERIC_REVERSE:
        return Rule.OWN
    if edge.kind is EdgeKind.GENERIC_FORWARD:
        return Rule.NEED
    if edge.parent_link:
        return Rule.OWN
    if edge.kind is EdgeKind.FORWARD:
        return Rule.NEED
    return Rule.OWN if edge.on_delete in _CASCADES else Rule.SKIP


@dataclass(frozen=True)
class _Resolved:
    rules: dict[Edge, Rule]
    references: frozenset[type[Model]]
    match: dict[type[Model], tuple[str, ...]]
    exclude: dict[type[Model], frozenset[str]]
    mask: dict[type[Model], dict[str, Callable[[Any], Any]]]
    hooks: dict[type[Model], dict[str, Callable[..., Any]]]
    overrides: dict[type[Model], dict[str, Any]]
    secret: dict[type[Model], frozenset[str]]
    dynamic: dict[type[Model], tuple[Edge, ...]]


def _parse_rule(label: str, value: str | Rule) -> Rule:
    try:
        return Rule(str(getattr(value, "value", value)).lower())
    except ValueError:
        raise PolicyError(
            f"Unknown rule '{value}' for '{label}': use one of 'own', 'need', 'skip'.",
            label=label,
        ) from None


def _check_rule(label: str, edge: Edge, rule: Rule) -> None:
    if rule is Rule.NEED and not edge.is_forward:
        raise PolicyError(
            f"'{label}' is a reverse relation and cannot be 'need': a reverse "
            "relation is either owned ('own') or not followed ('skip').",
            label=label,
        )
    if rule is Rule.SKIP and edge.kind is EdgeKind.FORWARD and not edge.nullable:
        target = model_label(edge.target) if edge.target else "its target"
        raise PolicyError(
            f"'{label}' cannot be skipped: the field is not nullable, so every row "
            f"needs its {target}. Mark {target} as a reference instead.",
            label=label,
        )


HOOKS = ("pre_save", "post_save", "pre_commit")


class Policy:
    """Rules for walking, exporting and rebuilding object graphs.

    Every argument is optional and keyed by label (``app_label.Model`` or
    ``app_label.Model.field``, case-insensitive):

    - ``edges``: a rule (``"own"``, ``"need"``, ``"skip"`` or a ``Rule``) per
      relation, over the defaults derived from ``on_delete``.
    - ``reference``: models never copied, only named and found by natural key
      (or ``match`` fields) wherever a tree lands.
    - ``match``: per model, the fields that find an existing row for a needed
      or referenced one.
    - ``exclude_fields``: per model, fields left out of archives.
    - ``mask``: per field, a function of the value giving what archives hold.
    - ``hooks``: per model, ``{"pre_save": f, "post_save": g, "pre_commit": h}``
      run by an import or a clone.
    - ``set_fields``: per field, the value (or a function of the row) the rows
      an import or a clone creates are given.
    - ``clear``: nullable foreign keys and many-to-many fields left empty on
      copies (a ``skip`` rule).
    - ``default_references``: ``False`` drops the default references
      (``contenttypes.ContentType``, ``auth.Permission``).
    - ``secret_fields``: per model, fields exports made from the admin leave
      out (the commands and the API keep them).
    - ``dynamic_edges``: per column, keys of other rows it holds without a
      foreign key: ``{"path": "$.product_ids[*]", "to": "shop.Product",
      "rule": "need"}`` (or a list of such), see :mod:`.declarations`.

    A label that names nothing, or a rule a relation cannot take, raises
    ``PolicyError`` when the policy is built.
    """

    def __init__(
        self,
        *,
        edges: Mapping[str, str | Rule] | None = None,
        reference: Iterable[str] = (),
        match: Mapping[str, Iterable[str]] | None = None,
        exclude_fields: Mapping[str, Iterable[str]] | None = None,
        mask: Mapping[str, Callable[[Any], Any]] | None = None,
        hooks: Mapping[str, Mapping[str, Callable[..., Any]]] | None = None,
        set_fields: Mapping[str, Any] | None = None,
        clear: Iterable[str] = (),
        default_references: bool = True,
        secret_fields: Mapping[str, Iterable[str]] | None = None,
        dynamic_edges: Mapping[str, Any] | None = None,
    ) -> None:
        self._edges = dict(edges or {})
        self._dynamic = dict(dynamic_edges or {})
        self._secret = {k: tuple(v) for k, v in (secret_fields or {}).items()}
        self._set_fields = dict(set_fields or {})
        self._clear = tuple(clear)
        self._hooks = {k: dict(v) for k, v in (hooks or {}).items()}
        self._reference = tuple(reference)
        self._match = {k: tuple(v) for k, v in (match or {}).items()}
        self._exclude = {k: tuple(v) for k, v in (exclude_fields or {}).items()}
        self._mask = dict(mask or {})
        self._default_references = default_references
        if apps.ready:
            self._resolved  # noqa: B018 - validate labels now, while the caller is on the stack

    def extend(
        self,
        *,
        edges: Mapping[str, str | Rule] | None = None,
        reference: Iterable[str] = (),
        hooks: Mapping[str, Mapping[str, Callable[..., Any]]] | None = None,
        set_fields: Mapping[str, Any] | None = None,
        exclude_fields: Mapping[str, Iterable[str]] | None = None,
    ) -> Policy:
        """Return a copy of this policy with more edge rules, references, overrides and exclusions.

        A model given ``hooks`` here gets exactly those, in place of its old ones.
        """
        excluded = {label: list(names) for label, names in self._exclude.items()}
        for label, names in (exclude_fields or {}).items():
            excluded[label] = [*excluded.get(label, []), *names]
        replaced = {concrete(resolve_model(label)) for label in hooks or {}}
        return Policy(
            edges={**self._edges, **(edges or {})},
            reference=(*self._reference, *reference),
            match=self._match,
            exclude_fields=excluded,
            mask=self._mask,
            hooks={
                **{
                    label: functions
                    for label, functions in self._hooks.items()
                    if concrete(resolve_model(label)) not in replaced
                },
                **(hooks or {}),
            },
            set_fields={**self._set_fields, **(set_fields or {})},
            clear=self._clear,
            default_references=self._default_references,
            secret_fields=self._secret,
            dynamic_edges=self._dynamic,
        )

    @cached_property
    def _resolved(self) -> _Resolved:
        references = {resolve_model(label) for label in self._reference}
        if self._default_references:
            references |= {m for m in apps.get_models() if model_label(m) in DEFAULT_REFERENCES}
        references = {concrete(m) for m in references}
        rules: dict[Edge, Rule] = {}
        for label, value in self._edges.items():
            edge = resolve_edge(label)
            rule = _parse_rule(label, value)
            _check_rule(label, edge, rule)
            rules[edge] = rule
        for label in self._clear:
            rules[clearable_edge(label)] = Rule.SKIP
        dynamic: dict[type[Model], tuple[Edge, ...]] = {}
        for edge, declared in declared_edges(self._dynamic):
            rules[edge] = Rule(declared)
            dynamic[edge.source] = (*dynamic.get(edge.source, ()), edge)
        match = {
            concrete(resolve_model(label)): self._fields_of(label, names)
            for label, names in self._match.items()
        }
        exclude: dict[type[Model], frozenset[str]] = {}
        for label, names in self._exclude.items():
            # Two spellings of one label add up rather than replace each other.
            model = concrete(resolve_model(label))
            exclude[model] = exclude.get(model, frozenset()) | set(self._fields_of(label, names))
        for model in references:
            if not hasattr(model, "natural_key") and model not in match:
                raise PolicyError(
                    f"{model_label(model)} is a reference but has no natural_key() method and "
                    "no match fields, so it could not be found again on import. Give it "
                    f"match fields, e.g. match={{'{model_label(model)}': ['name']}}.",
                    label=model_label(model),
                )
        secret = {
            concrete(resolve_model(label)): frozenset(self._fields_of(label, names))
            for label, names in self._secret.items()
        }
        mask: dict[type[Model], dict[str, Callable[[Any], Any]]] = {}
        for label, function in self._mask.items():
            model, name = split_field_label(label)
            (field_name,) = self._fields_of(label.rsplit(".", 1)[0], [name])
            mask.setdefault(concrete(model), {})[field_name] = function
        for model, edges in dynamic.items():
            masked = {e.dynamic.field.name for e in edges if e.dynamic} | {
                e.dynamic.type_field.name for e in edges if e.dynamic and e.dynamic.type_field
            }
            for name in sorted(masked & set(mask.get(model, {}))):
                raise PolicyError(
                    f"'{model_label(model)}.{name}' is masked, and holds a dynamic edge's keys "
                    "or model: an archive would hold keys no import can map. Exclude the "
                    "field instead (exclude_fields), or drop the declaration.",
                    label=f"{model_label(model)}.{name}",
                )
        hooks: dict[type[Model], dict[str, Callable[..., Any]]] = {}
        for label, functions in self._hooks.items():
            unknown = sorted(set(functions) - set(HOOKS))
            if unknown:
                raise PolicyError(
                    f"Unknown hook '{unknown[0]}' for {label}: the hooks are {', '.join(HOOKS)}.",
                    label=label,
                )
            hooks[concrete(resolve_model(label))] = functions
        overrides: dict[type[Model], dict[str, Any]] = {}
        for label, value in self._set_fields.items():
            model, attname = settable_field(label)
            if value is None and not model_field(label)[1].null:
                raise PolicyError(
                    f"'{label}' cannot be set to None: the column is NOT NULL. Give it a "
                    "value, or a function that returns one.",
                    label=label,
                )
            overrides.setdefault(concrete(model), {})[attname] = value
        return _Resolved(
            rules, frozenset(references), match, exclude, mask, hooks, overrides, secret, dynamic
        )

    @staticmethod
    def _fields_of(model_label_: str, names: Iterable[str]) -> tuple[str, ...]:
        model = resolve_model(model_label_)
        known = {f.name.lower(): f.name for f in model._meta.concrete_fields}
        resolved = []
        for name in names:
            if name.lower() not in known:
                raise PolicyError(
                    f"Unknown field '{name}' on {model_label(model)}: its fields are "
                    f"{', '.join(sorted(known.values()))}.",
                    label=f"{model_label_}.{name}",
                )
            resolved.append(known[name.lower()])
        return tuple(resolved)

    # -- queries used by the operations ---------------------------------

    def rule(self, edge: Edge) -> Rule:
        """Return how ``edge`` is treated."""
        return self._resolved.rules.get(edge) or default_rule(edge)

    def edges_of(self, model: type[Model]) -> tuple[Edge, ...]:
        """The edges leaving ``model``'s rows: the schema's, then the dynamic ones declared."""
        declared = self._resolved.dynamic.get(concrete(model))
        return edges_of(model) + declared if declared else edges_of(model)

    def dynamic_edges(self, model: type[Model]) -> tuple[Edge, ...]:
        """The dynamic edges declared on ``model``'s columns."""
        return self._resolved.dynamic.get(concrete(model), ())

    def described_dynamic_edges(self, models: Iterable[type[Model]]) -> list[dict[str, Any]]:
        """The dynamic edges declared on ``models``, as an archive's header records them."""
        return [
            described(edge, self.rule(edge).value)
            for model in sorted({concrete(m) for m in models}, key=model_label)
            for edge in self.dynamic_edges(model)
        ]

    def decides(self, edge: Edge) -> bool:
        """Whether the policy names a rule for ``edge`` (rather than leaving it to the default)."""
        return edge in self._resolved.rules

    def is_reference(self, model: type[Model]) -> bool:
        return concrete(model) in self._resolved.references

    def match_fields(self, model: type[Model]) -> tuple[str, ...]:
        return self._resolved.match.get(concrete(model), ())

    def excluded_fields(self, model: type[Model]) -> frozenset[str]:
        return self._resolved.exclude.get(concrete(model), frozenset())

    def secret_fields(self, model: type[Model]) -> frozenset[str]:
        """The fields of ``model`` the policy marks secret (left out of admin exports)."""
        return self._resolved.secret.get(concrete(model), frozenset())

    def masks(self, model: type[Model]) -> dict[str, Callable[[Any], Any]]:
        return self._resolved.mask.get(concrete(model), {})

    def hook(self, model: type[Model], name: str) -> Callable[..., Any] | None:
        """The policy's ``name`` hook for ``model`` (one of :data:`HOOKS`), if any."""
        return self._resolved.hooks.get(concrete(model), {}).get(name)

    def overrides(self, model: type[Model]) -> dict[str, Any]:
        """``{attname: value or function of the row}`` for the rows clone and import create."""
        return self._resolved.overrides.get(concrete(model), {})

    def changes_values(self, model: type[Model]) -> bool:
        """Whether ``set_fields`` or a ``pre_save`` hook may change ``model``'s new rows."""
        return bool(self.overrides(model)) or self.hook(model, "pre_save") is not None

    def overridden_edges(self) -> dict[Edge, Rule]:
        """Return the edges whose rule the policy sets explicitly."""
        return dict(self._resolved.rules)
