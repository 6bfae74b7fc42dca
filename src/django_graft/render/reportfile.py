"""The whole report of an import, as JSON, for ``--report FILE``.

Messages and the printed report list the first rows only; this file lists
every one, for a program or a careful reader. It is written whether the
import went ahead or was refused.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django_graft.exceptions import GraftError
from django_graft.importer.result import ImportResult


def import_report(result: ImportResult | None, error: GraftError | None = None) -> dict[str, Any]:
    """What ``--report`` writes: the outcome, counts per model, every conflict and warning."""
    if result is None:
        conflicts = getattr(error, "conflicts", None) or []
        return {
            "outcome": "refused",
            "error": error.message if error else "",
            "conflicts": [str(c) for c in conflicts],
        }
    return {
        "outcome": "dry run" if result.dry_run else "imported",
        "database": result.using,
        "keys": result.pks,
        "sha256": result.sha256,
        "signature": result.signature_text,
        "models": {
            label: {
                "created": r.created,
                "matched": r.matched,
                "unchanged": r.unchanged,
                "updated": r.updated,
                "skipped": r.skipped,
                "conflicts": r.conflicts,
            }
            for label, r in sorted(result.models.items())
        },
        "conflicts": [str(c) for c in result.conflicts],
        "warnings": list(result.warnings),
        "relinked": dict(sorted(result.relinked.items())),
    }


def write_report(path: str, report: dict[str, Any]) -> None:
    """Write ``report`` as JSON to the local file ``path``."""
    try:
        Path(path).write_text(json.dumps(report, indent=2, default=str) + "\n")
    except OSError as exc:
        raise GraftError(
            f"Cannot write the report to '{path}': {exc.strerror or exc}. Give a path in an "
            "existing, writable directory."
        ) from None
