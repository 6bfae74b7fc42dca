"""The picture's layout: with many models and long labels, no two texts overlap."""

from __future__ import annotations

import itertools
import xml.etree.ElementTree as ET

from django_graft.render.svg import Arrow, draw
from django_graft.render.svglayout import Node
from django_graft.tree.graph import Role

SVG = "{http://www.w3.org/2000/svg}"
#: Widths of a character in ems of a wide sans-serif (DejaVu Sans: about
#: 0.6 for lower case, a little more in bold), for the boxes measured here.
EM_REGULAR, EM_BOLD = 0.62, 0.70

Rect = tuple[float, float, float, float]  # left, top, right, bottom


def _many_models() -> tuple[list[Node], dict[str, Role], list[Arrow]]:
    """48 models in 4 columns, labels up to 70 characters; every one but the root brought in."""
    nodes = [Node("app.root", 0, "app.root", "1 owned")]
    arrows = []
    for column in range(1, 4):
        for row in range(16):
            key = f"application_{column}.{'VeryLongModelName' * (1 + row % 4)}{row}"
            source = nodes[-1 - row % 3].key if column > 1 else "app.root"
            nodes.append(Node(key, column, key, f"{row * 1000} owned, {row} needed, 12 referenced"))
            label = f"{'relation_with_a_long_name_' * (1 + row % 3)}{row} ({row * 17})"
            arrows.append(Arrow(source, key, f"{source} -> {key}", label))
    # Faint edges back and sideways, and a model pointing at itself.
    arrows += [Arrow(n.key, "app.root", "back", None) for n in nodes[1::7]]
    arrows.append(Arrow(nodes[5].key, nodes[5].key, "self", None))
    return nodes, {n.key: Role.OWN for n in nodes}, arrows


def _text_rect(text: ET.Element) -> Rect:
    size = float(text.get("font-size") or 12)
    em = EM_BOLD if text.get("font-weight") == "bold" else EM_REGULAR
    width = len(text.text or "") * size * em
    x, y = float(text.get("x", 0)), float(text.get("y", 0))
    left = x - width if text.get("text-anchor") == "end" else x
    return (left, y - 0.8 * size, left + width, y + 0.25 * size)


def _rect(rect: ET.Element) -> Rect:
    x, y = float(rect.get("x", 0)), float(rect.get("y", 0))
    return (x, y, x + float(rect.get("width", 0)), y + float(rect.get("height", 0)))


def _overlap(a: Rect, b: Rect) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _inside(inner: Rect, outer: Rect) -> bool:
    return (
        outer[0] <= inner[0]
        and inner[2] <= outer[2]
        and outer[1] <= inner[1] <= inner[3] <= outer[3]
    )


def test_no_two_labels_overlap_and_node_texts_stay_in_their_boxes() -> None:
    root = ET.fromstring(draw(*_many_models()))
    texts: list[tuple[str, Rect]] = []
    boxes: dict[str, Rect] = {}
    for group in root.iter(f"{SVG}g"):
        if group.get("data-model"):
            box = _rect(group.find(f"{SVG}rect"))  # type: ignore[arg-type]
            boxes[group.get("data-model", "")] = box
            for text in group.iter(f"{SVG}text"):
                assert _inside(_text_rect(text), box), text.text
                texts.append((group.get("data-model", ""), _text_rect(text)))
        elif group.get("class") == "graft-edge":
            (text,) = group.iter(f"{SVG}text")
            texts.append(("", _text_rect(text)))
    assert len(boxes) == 49 and len(texts) == 49 * 2 + 48
    for (_, a), (_, b) in itertools.combinations(texts, 2):
        assert not _overlap(a, b), (a, b)
    for owner, drawn in texts:
        for model, box in boxes.items():
            assert model == owner or not _overlap(drawn, box), (model, drawn)
    width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
    for _, (left, top, right, bottom) in texts:
        assert left >= 0 and right <= width and top >= 0 and bottom <= height


def test_the_picture_shrinks_to_its_frame() -> None:
    root = ET.fromstring(draw(*_many_models()))
    width = root.get("width")
    assert root.get("viewBox", "").split()[2] == width
    style = dict(rule.split(":") for rule in (root.get("style") or "").split(";"))
    assert style["width"] == "100%" and style["height"] == "auto"
    assert style["max-width"] == f"{width}px"
