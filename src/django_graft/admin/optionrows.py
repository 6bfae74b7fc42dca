"""The options an operation ran with, as its result page or message states them.

From the same ``options`` dict the operation ran with (in the request or
as a background job, see :func:`.operations.perform`), so what is shown is
what was used.
"""

from __future__ import annotations

from typing import Any

from django_graft.admin.actionforms import EXPORT_FORMATS
from django_graft.conf import graft_settings

Rows = list[tuple[str, str]]


def option_rows(operation: str, database: str, options: dict[str, Any]) -> Rows:
    """``(name, value)`` of each option of ``operation``, the database first."""
    rows = [("Database", database)]
    if operation == "export":
        formats = {value: label for value, label, _ in EXPORT_FORMATS}
        secrets = "carried" if graft_settings.ADMIN_EXPORT_SECRETS else "left out"
        rows += [
            ("Format", formats.get(options.get("format", ""), options.get("format", ""))),
            ("Written to", options.get("recorded_as") or options.get("location", "")),
            ("Passwords and secret fields", secrets),
        ]
    elif operation == "clone":
        given = options.get("set") or {}
        shown = "; ".join(f"{label} = {raw}" for label, raw in sorted(given.items()))
        rows.append(("Values given to the copies", shown or "none (the originals' own)"))
    elif operation == "delete":
        archive = options.get("archive")
        rows.append(("Archived before the delete", f"yes, to {archive}" if archive else "no"))
    elif operation == "import":
        rows += [
            ("Archive", options.get("location", "")),
            ("Primary keys", options.get("pks", "")),
            ("Rows whose key is taken", options.get("on_conflict", "")),
        ]
    return rows


def options_text(rows: Rows) -> str:
    """The rows as one sentence, for a message."""
    said = "; ".join(f"{name[:1].lower()}{name[1:]}: {value}" for name, value in rows)
    return f"Ran with {said}."
