"""What the tests of key tables share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from django_graft.db.keytables import KeyTable


@pytest.fixture
def tables() -> Iterator[list[KeyTable]]:
    """Key tables a test makes, dropped when it ends."""
    made: list[KeyTable] = []
    yield made
    for table in made:
        table.drop()
