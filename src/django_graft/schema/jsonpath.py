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
from collections.abc import Callable, Iterator
from dataclasses import dataclass
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
    """A parsed path: its text, as given, and its steps."""

    text: str
    steps: tuple[Step, ...]

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

    def find(self, value: Any) -> Iterator[Any]:
        """Every value at the path's places in ``value``, in document order."""
        return _find(value, self.steps)

    def rewrite(self, value: Any, change: Callable[[Any], Any]) -> Any:
        """``value`` with ``change(found)`` at each place the path finds.

        Parts ``change`` leaves as they were (the same object back) are not
        copied, so an unchanged value comes back as the very same object.
        """
        return _rewrite(value, self.steps, change)

    def __str__(self) -> str:
        return self.text


def _children(value: Any, step: Step) -> Iterator[tuple[Any, Any]]:
    """``(place, child)`` for each child of ``value`` one step names."""
    kind, arg = step
    if kind == "member":
        if isinstance(value, dict) and arg in value:
            yield arg, value[arg]
    elif kind == "index":
        if isinstance(value, list) and -len(value) <= arg < len(value):
            yield arg % len(value), value[arg]
    elif isinstance(value, dict):
        yield from value.items()
    elif isinstance(value, list):
        yield from enumerate(value)


def _find(value: Any, steps: tuple[Step, ...]) -> Iterator[Any]:
    if not steps:
        yield value
        return
    for _, child in _children(value, steps[0]):
        yield from _find(child, steps[1:])


def _rewrite(value: Any, steps: tuple[Step, ...], change: Callable[[Any], Any]) -> Any:
    if not steps:
        return change(value)
    copy: Any = None
    for place, child in list(_children(value, steps[0])):
        new = _rewrite(child, steps[1:], change)
        if new is child:
            continue
        if copy is None:
            copy = dict(value) if isinstance(value, dict) else list(value)
        copy[place] = new
    return value if copy is None else copy
