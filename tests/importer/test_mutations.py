"""Property: any mutation of a valid archive imports cleanly or fails with our own error."""

from __future__ import annotations

import contextlib
import io
import os

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from django_graft import import_archive
from django_graft.exceptions import GraftError
from tests.importer.tables import archive_of
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])


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

    @settings(
        max_examples=int(os.environ.get("GRAFT_HYPOTHESIS_EXAMPLES", "60")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(mutations(data))
    def check(mutated: bytes) -> None:
        with contextlib.suppress(GraftError):
            import_archive(io.BytesIO(mutated), using="other", pks="remap")

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

    @settings(
        max_examples=int(os.environ.get("GRAFT_HYPOTHESIS_EXAMPLES", "80")),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
        database=None,
    )
    @given(st.integers(0, count - 1), st.text(max_size=12), JSON_VALUES)
    def check(index: int, name: str, value: object) -> None:
        def change(header: dict, items: list) -> tuple:  # type: ignore[type-arg]
            item = items[index]
            target = item.get("fields") if isinstance(item.get("fields"), dict) else item
            keys = list(target) or [name]
            target[keys[len(name) % len(keys)] if name else "pk"] = value
            return header, items

        with contextlib.suppress(GraftError):
            import_archive(io.BytesIO(rewrite(data, change)), using="other", pks="remap")

    check()
