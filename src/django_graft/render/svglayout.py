"""Where the picture's boxes and labels go, so that no two texts ever overlap.

Models stand in columns (the length of the path that brought them in),
one row each. Text widths are estimated from the number of characters, on
the wide side (bold DejaVu Sans, the usual fallback for ``sans-serif``,
is among the widest), and the layout makes room for them:

- each column is as wide as its longest model label or row count, so a
  node's texts stay inside its box;
- the one label an arrow carries (the relation that brought a model in)
  sits in the gap before its target's column, right-aligned against the
  target and within the target's row band; each gap is as wide as the
  longest such label, so labels meet neither boxes nor each other.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

#: Font sizes of the node texts and of the arrows' labels.
NODE_FONT, LABEL_FONT = 12, 11
#: Width of one character, in ems: generous, so that real text fits.
_EM_REGULAR, _EM_BOLD = 0.64, 0.72
MIN_WIDTH, HEIGHT = 180, 46
PAD = 8  # inside a node, and around a label
_MIN_GAP, ROW_GAP, MARGIN = 60, 22, 12
#: Room above the first row for a model's loop to itself.
TOP = 28
_ARROW = 10  # the arrowhead's length, kept free between a label and its node


@dataclass(frozen=True)
class Node:
    """A model's box: its column, and the two lines it shows."""

    key: str
    column: int
    title: str
    subtitle: str


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    def overlaps(self, other: Box) -> bool:
        return (
            self.x < other.x + other.width
            and other.x < self.x + self.width
            and self.y < other.y + other.height
            and other.y < self.y + self.height
        )


@dataclass
class Layout:
    width: int
    height: int
    #: {node key: its box}
    boxes: dict[str, Box]
    #: {target key: (x, y)} of the label of the arrow that brought it in, right-aligned
    labels: dict[str, tuple[int, int]]


def text_width(text: str, size: int, *, bold: bool = False) -> int:
    """An estimate of the width of ``text`` at ``size`` pixels, on the wide side."""
    return int(len(text) * size * (_EM_BOLD if bold else _EM_REGULAR)) + 1


def lay_out(nodes: list[Node], labels: dict[str, str]) -> Layout:
    """Place ``nodes``; ``labels``: {target key: text of the arrow that brought it in}."""
    columns: dict[int, list[Node]] = defaultdict(list)
    for node in nodes:
        columns[node.column].append(node)
    last = max(columns, default=0)
    widths = {
        column: max(
            [MIN_WIDTH]
            + [
                max(
                    text_width(n.title, NODE_FONT, bold=True),
                    text_width(n.subtitle, NODE_FONT),
                )
                + 2 * PAD
                for n in columns.get(column, [])
            ]
        )
        for column in range(last + 1)
    }
    gaps = {
        column: max(
            [_MIN_GAP]
            + [
                text_width(labels[n.key], LABEL_FONT) + 2 * PAD + _ARROW
                for n in columns.get(column, [])
                if n.key in labels
            ]
        )
        for column in range(1, last + 1)
    }
    lefts = {0: MARGIN}
    for column in range(1, last + 1):
        lefts[column] = lefts[column - 1] + widths[column - 1] + gaps[column]
    boxes: dict[str, Box] = {}
    placed: dict[str, tuple[int, int]] = {}
    for column, members in columns.items():
        for row, node in enumerate(members):
            x, y = lefts[column], TOP + row * (HEIGHT + ROW_GAP)
            boxes[node.key] = Box(x, y, widths[column], HEIGHT)
            if node.key in labels and column > 0:
                # Above the arrow's end, clear of the arrowhead, inside the row's band.
                placed[node.key] = (x - _ARROW - 2, y + HEIGHT // 2 - 5)
    rows = max((len(members) for members in columns.values()), default=1)
    width = lefts[last] + widths[last] + MARGIN
    height = TOP + rows * (HEIGHT + ROW_GAP) - ROW_GAP + MARGIN
    return Layout(width, height, boxes, placed)
