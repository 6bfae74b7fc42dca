"""Property: any mutation of a valid archive imports cleanly, or is refused with nothing written.

A refusal must be one of django-graft's own errors *and* leave every table
of the target exactly as it was (a snapshot of every row, taken with the
ORM, compared after). Each example runs in a savepoint rolled back at its
end, so no example sees what an earlier one wrote.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_graft import import_archive
from django_graft.exceptions import GraftError
from tests.importer.tables import archive_of
from tests.snapshots import every_table
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

TARGET = "other"


def imports_or_refuses_cleanly(load: Callable[[], object]) -> None:
    """Run ``load`` alone; if it refuses, every table of the target must be unchanged."""
    with transaction.atomic(using=TARGET):
        before = every_table(TARGET)
        try:
            load()
        except GraftError:
            assert every_table(TARGET) == before
        # Whatever happened, the next example starts from the same database.
        transaction.set_rollback(True, using=TARGET)


def examples(default: int) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Hypothesis settings: ``default`` examples (or GRAFT_HYPOTHESIS_EXAMPLES), no
    deadline, nothing remembered between runs.

    The test command draws the same examples every run, so that a run fails
    only on a change; GRAFT_HYPOTHESIS_RANDOM=1 draws new ones each time, to
    search further.
    """
    return settings(
        max_examples=int(os.environ.get("GRAFT_HYPOTHESIS_EXAMPLES", str(default))),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
        derandomize=os.environ.get("GRAFT_HYPOTHESIS_RANDOM") != "1",
    )


@st.composite
def mutations(draw: st.DrawFn, data: bytes) -> bytes:
    """A valid archive with one of: bytes flipped, a line dropped, repeated or moved, a cut."""
    lines = data.splitlines(keepends=True)
    kind = draw(st.sampled_from(["flip", "drop", "repeat", "swap", "cut", "splice"]))
    if kind == "flip":
        mutated = bytearray(data)
        for _ in range(draw(st.integers(1, 8))):
            at = draw(st.integers(0, len(mutated) - 1))
            mutated[at] = draw(st.integers(0, 255))
        return bytes(mutated)
    at = draw(st.integers(0, len(lines) - 1))
    if kind == "drop":
        return b"".join(lines[:at] + lines[at + 1 :])
    if kind == "repeat":
        return b"".join(lines[: at + 1] + lines[at:])
    if kind == "swap":
        other = draw(st.integers(0, len(lines) - 1))
        lines[at], lines[other] = lines[other], lines[at]
        return b"".join(lines)
    if kind == "cut":
        return data[: draw(st.integers(0, len(data)))]
    junk = draw(st.binary(min_size=1, max_size=64))
    return b"".join([*lines[:at], junk, *lines[at:]])


def test_mutated_archives_import_or_fail_by_name(world: World) -> None:
    data = archive_of(world.tags[0])

    @examples(60)
    @given(mutations(data), st.sampled_from(["keep", "remap"]))
    def check(mutated: bytes, pks: str) -> None:
        imports_or_refuses_cleanly(
            lambda: import_archive(io.BytesIO(mutated), using=TARGET, pks=pks)
        )

    check()


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**63), 2**64 - 1)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)


def test_sealed_archives_with_any_values_import_or_fail_by_name(world: World) -> None:
    """Past the hash: any value in any field, key or reference, re-sealed."""
    from tests.importer.tables import rewrite

    data = archive_of(world.org)
    count = len(data.splitlines()) - 2

    @examples(80)
    @given(st.integers(0, count - 1), st.text(max_size=12), JSON_VALUES)
    def check(index: int, name: str, value: object) -> None:
        def change(header: dict, items: list) -> tuple:  # type: ignore[type-arg]
            item = items[index]
            target = item.get("fields") if isinstance(item.get("fields"), dict) else item
            keys = list(target) or [name]
            target[keys[len(name) % len(keys)] if name else "pk"] = value
            return header, items

        rewritten = rewrite(data, change)
        imports_or_refuses_cleanly(
            lambda: import_archive(io.BytesIO(rewritten), using=TARGET, pks="remap")
        )

    check()


@pytest.mark.parametrize("fmt", ["json", "jsonl", "xml", "yaml"])
def test_mutated_fixtures_import_or_are_refused_cleanly(world: World, fmt: str) -> None:
    """Fixtures have no hash to check: any mutation reaches the parser and the planner."""
    data = archive_of(world.org, format=fmt)

    @examples(40)
    @given(mutations(data), st.sampled_from(["keep", "remap"]))
    def check(mutated: bytes, pks: str) -> None:
        imports_or_refuses_cleanly(
            lambda: import_archive(io.BytesIO(mutated), using=TARGET, pks=pks, format=fmt)
        )

    check()
