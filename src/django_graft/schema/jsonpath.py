"""The JSON paths a dynamic edge names: where, inside a JSON value, keys of other rows sit.

A small, strict subset of JSONPath, enough to name the places applications
keep ids in:

* ``$``: the whole value;
* ``.name`` or ``['name']``: a member of an object;
* ``[3]``: an element of an array (``[-1]``: the last);
* ``[*]`` or ``.*``: every element of an array, or every member's value of
  an object.

So ``$.product_ids[*]``, ``$.settings.default_meeting`` or
``$.blocks[*].image``. A path that meets something else than it expects (a
member of a list, a missing member) finds nothing there: a path names where
keys *may* be. Filters, slices and recursive descent are refused, as is
anything this grammar does not read, when the policy is built.

Rewriting a value changes only the places the path finds, and only where
the new value differs: every other part of the value is the very same
object it was, so it is written back as it was read.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: One step: ("member", name), ("index", n) or ("all", None).
Step = tuple[str, Any]

_STEP = re.compile(
    r"""\.(?P<member>[A-Za-z_][A-Za-z0-9_\-]*)
      | \.(?P<star>\*)
      | \[(?P<all>\*)\]
      | \[(?P<index>-?\d+)\]
      | \[(?P<quote>['"])(?P<quoted>(?:(?!(?P=quote)).)*)(?P=quote)\]""",
    re.VERBOSE,
)


class PathSyntaxError(ValueError):
    """A path this module does not read; the message says where it stops."""


@dataclass(frozen=True)
class JsonPath:
    """A parsed path: its text, as given, and its steps.

    The steps are compiled once into plain functions (a JSON field of every
    row of a tree goes through them), which equality and hashing ignore.
    """

    text: str
    steps: tuple[Step, ...]
    _find: Callable[[Any, list[Any]], None] = field(compare=False, repr=False, default=None)  # type: ignore[assignment]
    _rewrite: Callable[[Any, Callable[[Any], Any]], Any] = field(
        compare=False,
        repr=False,
        default=None,  # type: ignore[assignment]
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_find", _compile_find(self.steps))
        object.__setattr__(self, "_rewrite", _compile_rewrite(self.steps))

    @classmethod
    def parse(cls, text: str) -> JsonPath:
        if not isinstance(text, str) or not text.startswith("$"):
            raise PathSyntaxError("a path starts with '$', e.g. '$.product_ids[*]'")
        steps: list[Step] = []
        position = 1
        while position < len(text):
            found = _STEP.match(text, position)
            if found is None:
                raise PathSyntaxError(
                    f"cannot read {text[position:]!r}: a step is .name, ['name'], [N], [*] or .*"
                )
            if found["member"] is not None:
                steps.append(("member", found["member"]))
            elif found["quoted"] is not None:
                steps.append(("member", found["quoted"]))
            elif found["index"] is not None:
                steps.append(("index", int(found["index"])))
            else:
                steps.append(("all", None))
            position = found.end()
        return cls(text, tuple(steps))

    def find(self, value: Any) -> list[Any]:
        """Every value at the path's places in ``value``, in document order."""
        found: list[Any] = []
        self._find(value, found)
        return found

    def rewrite(self, value: Any, change: Callable[[Any], Any]) -> Any:
        """``value`` with ``change(found)`` at each place the path finds.

        Parts ``change`` leaves as they were (the same object back) are not
        copied, so an unchanged value comes back as the very same object.
        """
        return self._rewrite(value, change)

    def overlaps(self, other: JsonPath) -> bool:
        """Whether some value has a place both paths find."""
        if len(self.steps) != len(other.steps):
            return False
        for (kind, arg), (other_kind, other_arg) in zip(self.steps, other.steps, strict=True):
            if "all" in (kind, other_kind):
                continue
            if kind != other_kind:
                return False  # a member of an object is never an element of a list
            if arg != other_arg and not (kind == "index" and min(arg, other_arg) < 0):
                return False  # [-1] is [2] of a list of three
        return True

    def __str__(self) -> str:
        return self.text


# Each step compiles to a function of the value and what the rest of the path
# does with a child; dicts and lists are the only containers JSON decodes to.


def _compile_find(steps: tuple[Step, ...]) -> Callable[[Any, list[Any]], None]:
    if not steps:
        return lambda value, found: found.append(value)
    (kind, arg), rest = steps[0], _compile_find(steps[1:])
    if kind == "member":

        def member(value: Any, found: list[Any]) -> None:
            if isinstance(value, dict) and arg in value:
                rest(value[arg], found)

        return member
    if kind == "index":

        def index(value: Any, found: list[Any]) -> None:
            if isinstance(value, list) and -len(value) <= arg < len(value):
                rest(value[arg], found)

        return index

    def every(value: Any, found: list[Any]) -> None:
        children = value.values() if isinstance(value, dict) else value
        if isinstance(value, dict | list):
            for child in children:
                rest(child, found)

    return every


Rewrite = Callable[[Any, Callable[[Any], Any]], Any]


def _compile_rewrite(steps: tuple[Step, ...]) -> Rewrite:
    if not steps:
        return lambda value, change: change(value)
    (kind, arg), rest = steps[0], _compile_rewrite(steps[1:])
    if kind in ("member", "index"):

        def one(value: Any, change: Callable[[Any], Any]) -> Any:
            if kind == "member":
                if not isinstance(value, dict) or arg not in value:
                    return value
                place = arg
            else:
                if not isinstance(value, list) or not -len(value) <= arg < len(value):
                    return value
                place = arg % len(value)
            child = value[place]
            new = rest(child, change)
            if new is child:
                return value
            copy = dict(value) if isinstance(value, dict) else list(value)
            copy[place] = new
            return copy

        return one

    def every(value: Any, change: Callable[[Any], Any]) -> Any:
        if isinstance(value, dict):
            places: Any = value.items()
        elif isinstance(value, list):
            places = enumerate(value)
        else:
            return value
        copy: Any = None
        for place, child in places:
            new = rest(child, change)
            if new is not child:
                if copy is None:
                    copy = dict(value) if isinstance(value, dict) else list(value)
                copy[place] = new
        return value if copy is None else copy

    return every
