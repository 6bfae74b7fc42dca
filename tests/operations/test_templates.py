"""Templates of archive locations: refused when they cannot give each root a place."""

from __future__ import annotations

from pathlib import Path

import pytest

from django_graft.exceptions import DestinationError
from django_graft.operations.each import export_each
from django_graft.operations.templates import archive_location, default_manifest
from tests.snapshots import every_table
from tests.testapp import models as m
from tests.testapp.world import World

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("template", "says"),
    [
        ("archives/org.jsonl", "has no {pk}"),
        ("archives/{pk}-{name}.jsonl", "names 'name', which is no placeholder"),
        ("archives/{pk.real}.jsonl", "names 'pk.real', which is no placeholder"),
        ("archives/{pk.jsonl", "is not a template of archive locations"),
        ("archives/{pk:>5d}.jsonl", "is not a template of archive locations"),
        ("archives/{pk:.0}x.jsonl", "is not a template of archive locations"),
        ("archives/{pk!r}.jsonl", "is not a template of archive locations"),
        ("-", "cannot go to standard output"),
    ],
)
def test_templates_that_cannot_name_each_root_are_refused(
    world: World, tmp_path: Path, template: str, says: str
) -> None:
    before = every_table()
    with pytest.raises(DestinationError) as info:
        export_each(world.org, str(tmp_path / template) if template != "-" else "-")
    assert says in info.value.message
    assert list(tmp_path.iterdir()) == []
    assert every_table() == before


def test_a_key_is_one_path_segment_whatever_it_holds() -> None:
    assert archive_location("a/{label}-{pk}.json", m.Tag, 7) == "a/testapp.tag-7.json"
    assert (
        archive_location("a/{pk}.json", m.Tag, "../../etc/x") == "a/%2E%2E%2F%2E%2E%2Fetc%2Fx.json"
    )
    assert archive_location("a/{app_label}/{model}/{pk}", m.Tag, [1, "b|c"]) == (
        "a/testapp/tag/1|b%7Cc"
    )


def test_the_manifest_goes_beside_the_archives_by_default() -> None:
    assert default_manifest("s3://bucket/2026/{label}-{pk}.jsonl") == (
        "s3://bucket/2026/graft-manifest.json"
    )
    assert default_manifest("{pk}.jsonl") == "graft-manifest.json"
    assert default_manifest("/srv/a/{model}/{pk}.jsonl") == "/srv/a/graft-manifest.json"
    with pytest.raises(DestinationError, match="give one with --manifest"):
        default_manifest("s3://{app_label}/{pk}.jsonl")
