"""Lists in messages, reports and audit entries: the first rows, then how many more."""

from __future__ import annotations

from collections.abc import Sequence

#: Rows a message, report or audit entry lists before it says "and N more".
SHOWN = 20


def listed(items: Sequence[object], limit: int | None = SHOWN, indent: str = "  ") -> str:
    """``items`` one per line, the first ``limit`` of them, then how many more.

    Every message stays readable whatever the size of the operation; ``None``
    lists them all.
    """
    shown = items if limit is None else items[:limit]
    lines = [f"{indent}{item}" for item in shown]
    if len(items) > len(shown):
        lines.append(f"{indent}... and {len(items) - len(shown)} more")
    return "\n".join(lines)
