"""Values are refused as their fields would refuse them, on every database alike.

SQLite keeps an integer of any size in any integer column, text past its
``max_length`` and a decimal with more digits than its field has (which
Django then cannot read back); PostgreSQL and MariaDB refuse the statement.
An import refuses each such value itself before writing anything, naming
the row, the field, the value and the limit.
"""

from __future__ import annotations

import datetime
import hashlib
import io
import json
import re
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from django_graft import import_archive
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.decode import RowDecoder
from django_graft.importer.keybits import KeyBits
from tests.importer.tables import archive_of, rewrite
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db(databases=["default", "other"])

OTHER = "other"


def with_value(data: bytes, label: str, field: str, value: Any) -> tuple[bytes, Any]:
    """The archive with ``field`` of its first ``label`` record set to ``value``; that key."""
    keys = []

    def change(header: Any, items: list[dict[str, Any]]) -> Any:
        item = next(i for i in items if i.get("model") == label)
        item["fields"][field] = value
        keys.append(item["pk"])
        return header, items

    return rewrite(data, change), keys[0]


def with_key(data: bytes, label: str, key: int) -> bytes:
    """The archive with the key of its first ``label`` record made ``key`` (any size)."""
    placeholder = 987654321

    def change(header: Any, items: list[dict[str, Any]]) -> Any:
        next(i for i in items if i.get("model") == label)["pk"] = placeholder
        return header, items

    lines = rewrite(data, change).splitlines(keepends=True)
    body = b"".join(lines[:-1]).replace(b'"pk":%d,' % placeholder, b'"pk":%d,' % key)
    trailer = json.loads(lines[-1])
    trailer["sha256"] = hashlib.sha256(body).hexdigest()
    return body + json.dumps(trailer).encode() + b"\n"


def refused(data: bytes, message: str) -> None:
    before = every_table(OTHER)
    with pytest.raises(ArchiveFormatError) as error:
        import_archive(io.BytesIO(data), using=OTHER)
    assert str(error.value) == message
    assert every_table(OTHER) == before


def unstorable(key: Any, field: str, shown: str, limit: str) -> str:
    return (
        f"testapp.sample {key}: field '{field}' holds {shown}, which the field cannot store: "
        f"it takes {limit}. Nothing was written. Correct the value in the archive."
    )


DECIMAL_LIMIT = "DECIMAL"


def decimal_limit() -> str:
    limit = (
        "at most 20 digit(s) before the point and 10 after it (max_digits=30, decimal_places=10)"
    )
    if connections[OTHER].vendor == "sqlite":
        return f"{limit}, and 15 significant digits on SQLite"
    return limit


@pytest.mark.parametrize(
    ("field", "value", "shown", "limit"),
    [
        ("decimal", "123456789012345678901.5", "Decimal('123456789012345678901.5')", DECIMAL_LIMIT),
        ("decimal", "-0.00000000001", "Decimal('-1E-11')", DECIMAL_LIMIT),
        ("decimal", "1E+40", "Decimal('1E+40')", DECIMAL_LIMIT),
        ("integer", 2**31, "2147483648", "integers from -2147483648 to 2147483647"),
        ("small", -32769, "-32769", "integers from -32768 to 32767"),
        (
            "span",
            "P999999999D",
            "datetime.timedelta(days=999999999)",
            "durations within ±106,751,991 days (a 64-bit count of microseconds)",
        ),
        (
            "char",
            "é" * 51,
            repr("é" * 51) + " (51 characters)",
            "at most 50 characters (max_length)",
        ),
        (
            "attachment",
            "samples/" + "a" * 100,
            f"'samples/{'a' * 46}…aaa' (108 characters)",
            "at most 100 characters (max_length)",
        ),
    ],
    ids=[
        "whole digits",
        "decimal places",
        "exponent",
        "integer",
        "small integer",
        "duration",
        "text",
        "file name",
    ],
)
def test_a_value_its_field_cannot_store_is_refused(
    world: World, field: str, value: Any, shown: str, limit: str
) -> None:
    data, key = with_value(archive_of(world.org), "testapp.sample", field, value)
    refused(data, unstorable(key, field, shown, decimal_limit() if limit == "DECIMAL" else limit))


def test_a_decimal_sqlite_would_round_is_refused_there_only(world: World) -> None:
    value = "1234567.123456789"  # 16 significant digits: SQLite keeps 15
    data, key = with_value(archive_of(world.org), "testapp.sample", "decimal", value)
    if connections[OTHER].vendor != "sqlite":
        import_archive(io.BytesIO(data), using=OTHER)
        assert str(m.Sample.objects.using(OTHER).get(pk=key).decimal) == "1234567.1234567890"
        return
    refused(data, unstorable(key, "decimal", f"Decimal('{value}')", decimal_limit()))


def test_a_positive_integer_below_zero_is_refused(world: World) -> None:
    data, key = with_value(archive_of(world.org), "testapp.sample", "positive_big", -1)
    # MariaDB's unsigned column reaches further; the bound below is the same.
    top = 18446744073709551615 if connections[OTHER].vendor == "mysql" else 2**63 - 1
    refused(data, unstorable(key, "positive_big", "-1", f"integers from 0 to {top}"))


@pytest.mark.parametrize("key", [2**31, 2**64], ids=["past 32 bits", "past 64 bits"])
def test_a_primary_key_its_column_cannot_store_is_refused(world: World, key: int) -> None:
    data = with_key(archive_of(world.org), "testapp.project", key)
    refused(
        data,
        f"testapp.project {key}: field 'id' holds {key}, which the field cannot store: it "
        "takes integers from -2147483648 to 2147483647. Nothing was written. Correct the "
        "value in the archive.",
    )


def test_a_primary_key_past_the_first_chunk_of_keys_checked_is_refused() -> None:
    # Keys are checked a chunk at a time: the last chunk is checked too.
    keys = KeyBits(range(1, 25_001))
    keys.add(2**31)
    with pytest.raises(ArchiveFormatError, match=r"testapp\.project 2147483648: field 'id'"):
        RowDecoder(m.Project, None, OTHER).check_keys(keys)
    RowDecoder(m.Project, None, OTHER).check_keys(KeyBits(range(1, 25_001)))


@pytest.mark.parametrize("name", ["/etc/passwd", "samples/../../settings.py"])
def test_a_file_name_outside_the_storage_is_refused(world: World, name: str) -> None:
    data, key = with_value(archive_of(world.org), "testapp.sample", "attachment", name)
    refused(
        data,
        f"testapp.sample {key}: field 'attachment' names the file {name!r}, which leaves "
        "the storage's directory (an absolute path or '..'). The archive was made to "
        "escape it: fix or drop that value.",
    )


def test_a_file_name_with_a_nul_character_is_refused(world: World) -> None:
    data, key = with_value(archive_of(world.org), "testapp.sample", "attachment", "a\x00.pdf")
    refused(
        data,
        f"testapp.sample {key}: field 'attachment' names the file 'a\\x00.pdf', which holds "
        "a NUL character no storage accepts. Nothing was written. Correct the value in the "
        "archive.",
    )


def test_a_datetime_django_cannot_read_is_refused(world: World) -> None:
    value = "2024-02-30T10:00:00+00:00"
    data, key = with_value(archive_of(world.org), "testapp.sample", "moment", value)
    before = every_table(OTHER)
    with pytest.raises(ArchiveFormatError) as error:
        import_archive(io.BytesIO(data), using=OTHER)
    assert re.fullmatch(
        rf"testapp\.sample {key}: '{re.escape(value)}' is not a valid value for field "
        r"'moment' \(.+\)\.",
        str(error.value),
    )
    assert every_table(OTHER) == before


def test_values_at_the_limits_import_and_read_back(world: World) -> None:
    data = archive_of(world.org)
    sqlite = connections[OTHER].vendor == "sqlite"
    largest = "-99999.9999999999" if sqlite else "-99999999999999999999.9999999999"
    data, key = with_value(data, "testapp.sample", "decimal", largest)
    data, _ = with_value(data, "testapp.sample", "char", "é" * 50)
    data, _ = with_value(data, "testapp.sample", "span", "P106751991D")
    data, _ = with_value(data, "testapp.sample", "small", -32768)
    import_archive(io.BytesIO(data), using=OTHER)
    sample = m.Sample.objects.using(OTHER).get(pk=key)
    assert str(sample.decimal) == largest
    assert (sample.char, sample.span.days, sample.small) == ("é" * 50, 106751991, -32768)


def test_trailing_zeros_past_the_decimal_places_lose_nothing(world: World) -> None:
    data, key = with_value(archive_of(world.org), "testapp.sample", "decimal", "2.500000000000000")
    import_archive(io.BytesIO(data), using=OTHER)
    assert str(m.Sample.objects.using(OTHER).get(pk=key).decimal) == "2.5000000000"


def test_a_fixture_value_is_checked_as_an_archive_value(tmp_path: Any) -> None:
    path = tmp_path / "tags.json"
    fixture = [{"model": "testapp.tag", "pk": 7, "fields": {"name": "n" * 51}}]
    path.write_text(json.dumps(fixture))
    before = every_table(OTHER)
    with pytest.raises(ArchiveFormatError) as error:
        import_archive(path, using=OTHER)
    assert str(error.value) == (
        f"testapp.tag 7: field 'name' holds {'n' * 51!r} (51 characters), which the field "
        "cannot store: it takes at most 50 characters (max_length). Nothing was written. "
        "Correct the value in the archive."
    )
    assert every_table(OTHER) == before


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("blob", [], "str"),
        ("blob", 7, "str"),
        ("blob", {"a": "AA=="}, "str"),
        ("decimal", ["1.5"], "bool or float or int or str"),
        ("ident", {"hex": "0" * 32}, "bool or float or int or str"),
    ],
    ids=["binary list", "binary number", "binary object", "decimal list", "uuid object"],
)
def test_a_list_or_object_where_the_field_takes_text_is_refused(
    world: World, field: str, value: Any, expected: str
) -> None:
    """``BinaryField.to_python`` hands anything but text through to the database."""
    data, key = with_value(archive_of(world.org), "testapp.sample", field, value)
    refused(
        data,
        f"testapp.sample {key}: {value!r} is not a valid value for field '{field}' "
        f"(expected {expected}, within a 64-bit range for integers).",
    )


def test_a_date_given_for_a_time_is_midnight_in_the_default_time_zone(
    world: World, settings: Any
) -> None:
    """As Django reads one, without the warning it gives per row."""
    settings.TIME_ZONE = "Europe/Paris"
    data, key = with_value(archive_of(world.org), "testapp.sample", "moment", "2024-02-02")
    import_archive(io.BytesIO(data), using=OTHER)
    stored = m.Sample.objects.using(OTHER).get(pk=key).moment
    zone = timezone.get_default_timezone()
    assert stored == datetime.datetime(2024, 2, 2, tzinfo=zone)
    assert stored.astimezone(datetime.timezone.utc).hour == 23  # the day before, in UTC
