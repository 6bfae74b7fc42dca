"""What a policy accepts, and what it refuses by name when it is built."""

from __future__ import annotations

import pytest

from django_graft import Policy
from django_graft.exceptions import PolicyError


@pytest.mark.parametrize("label", ["testapp.bookmark.target", "testapp.note.target"])
def test_a_generic_foreign_key_cannot_be_cleared(label: str) -> None:
    """It has no column of its own: its parts are the fields to clear or set."""
    with pytest.raises(PolicyError) as info:
        Policy(clear=[label])
    assert info.value.message == (
        f"'{label}' cannot be cleared: it is not a foreign key or many-to-many field of "
        f"{label.rsplit('.', 1)[0]}. Give it a value with "
        "set_fields instead."
    )
    assert info.value.label == label


def test_a_nullable_foreign_key_and_a_many_to_many_field_can_be_cleared() -> None:
    Policy(clear=["testapp.bookmark.content_type", "testapp.project.tags"])


def test_none_for_a_not_null_column_is_refused_before_anything_runs() -> None:
    with pytest.raises(PolicyError) as info:
        Policy(set_fields={"testapp.project.name": None})
    assert info.value.message == (
        "'testapp.project.name' cannot be set to None: the column is NOT NULL. Give it a "
        "value, or a function that returns one."
    )
    Policy(set_fields={"testapp.task.assignee": None})  # nullable: fine
