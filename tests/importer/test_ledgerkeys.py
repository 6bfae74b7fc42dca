"""The ledger's keys read back as the keys written, and nothing else passes for one.

The oracle is the standard library's JSON: a key is what it reads.
"""

from __future__ import annotations

import json
import uuid

import pytest

from django_graft.importer.ledgerkeys import UnreadableEntry, entry_keys, key_text, parsed_key
from tests.testapp import models as m


@pytest.mark.parametrize("key", [0, 7, -3, 2**63 - 1, "fr", [8, 2]])
def test_a_key_written_down_reads_back(key: object) -> None:
    assert json.loads(key_text(key)) == key
    assert parsed_key(key_text(key)) == key


def test_integer_keys_in_digits_or_json_read_as_json_does() -> None:
    texts = ["1", "20", " 3", "-4", "0"]
    assert entry_keys(m.Task, texts, texts) == ([json.loads(t) for t in texts],) * 2


@pytest.mark.parametrize("text", ["0_1", "+1", "1.5", "true", "\u0661", "", str(2**63)])
def test_a_text_that_is_no_integer_key_is_named(text: str) -> None:
    with pytest.raises(UnreadableEntry) as raised:
        entry_keys(m.Task, ["1", "2"], ["1", text])
    assert (raised.value.source_key, raised.value.target_key) == ("2", text)


def test_keys_of_other_types_read_as_their_field_does() -> None:
    one = uuid.uuid4()
    assert entry_keys(m.Document, [key_text(str(one))], [key_text(str(one))]) == ([one], [one])
