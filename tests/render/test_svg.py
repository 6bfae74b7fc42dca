"""The inline picture: well-formed SVG, every model and edge drawn, nothing fetched."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from django_graft import collect
from django_graft.render.svg import to_svg
from django_graft.schema.labels import model_label
from tests.roots import ROOT_NAMES, roots_of
from tests.testapp.world import World

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


@pytest.mark.parametrize("name", ROOT_NAMES)
def test_every_model_and_edge_is_drawn(world: World, name: str) -> None:
    graph = collect(roots_of(world)[name])
    picture = to_svg(graph)
    root = ET.fromstring(picture)
    nodes = {g.get("data-model") for g in root.iter(f"{SVG}g") if g.get("data-model")}
    assert nodes == {count.label for count in graph.counts()}
    titles = [t.text or "" for t in root.iter(f"{SVG}title")]
    texts = [t.text or "" for t in root.iter(f"{SVG}text")]
    for edge, target in graph.edge_rows:
        if edge.source in graph.models() and target in graph.models():
            assert any(title.startswith(f"{edge.label}: ") for title in titles), edge.label
            reason = graph.reasons.get(target)
            if reason is not None and reason.edge is edge:  # the edge that brought it in
                assert any(text.startswith(f"{edge.name} (") for text in texts), edge.label
    roots = {model_label(model) for model in graph.roots}
    assert roots <= nodes


def test_nothing_is_fetched(world: World) -> None:
    picture = to_svg(collect(world.org))
    assert picture.count("http") == 1  # the namespace, never a resource
    assert "<script" not in picture and "href" not in picture.replace("url(#graft-arrow)", "")
