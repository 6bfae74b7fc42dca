"""Django's private APIs are used in ``django_graft.db`` only.

Each name below is one Django keeps for itself (a leading underscore, an
undocumented module or attribute); ``django_graft.db`` wraps each behind a
function that says what it stands for, and a test of that module fails on a
Django version that changes it. Anywhere else in the package, the name is a
finding.
"""

from __future__ import annotations

import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "django_graft"

PRIVATE = {
    r"\._raw_delete\b": "QuerySet._raw_delete",
    r"(?<!self)\._insert\(": "QuerySet._insert",
    r"\b_result_cache\b": "QuerySet._result_cache",
    r"\b_prefetch_done\b": "QuerySet._prefetch_done",
    r"\b_prefetched_objects_cache\b": "Model._prefetched_objects_cache",
    r"\bset_cached_value\b": "FieldCacheMixin.set_cached_value",
    r"\bget_compiler\b": "Query.get_compiler",
    r"\bget_converters\b": "SQLCompiler.get_converters",
    r"django\.db\.models\.sql\b": "django.db.models.sql",
    r"django\.db\.models\.deletion\b": "django.db.models.deletion",
    r"\bfield_updates\b": "Collector.field_updates",
    r"\bpsycopg_any\b": "django.db.backends.postgresql.psycopg_any",
    r"fields\.proxy\b": "django.db.models.fields.proxy",
    r"\bsequence_reset_sql\b": "DatabaseOperations.sequence_reset_sql",
    r"\binteger_field_ranges?\b": "DatabaseOperations.integer_field_range(s)",
    r"\.extra\(": "QuerySet.extra",
    r"\bcursor\.cursor\b": "CursorWrapper.cursor",
    r"\bconnection\.connection\b": "BaseDatabaseWrapper.connection (the driver's)",
    r"\bexecute_wrappers\b": "BaseDatabaseWrapper.execute_wrappers",
    r"\bwrap_database_errors\b": "BaseDatabaseWrapper.wrap_database_errors",
    r"\bqueries_log\b": "BaseDatabaseWrapper.queries_log",
    r"\bCursorWrapper\b": "django.db.backends.utils.CursorWrapper",
    r"\bco_filename\b": "the frames of Signal.send",
}


def test_private_django_apis_are_used_in_db_only() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        if path.relative_to(PACKAGE).parts[0] in ("db", "migrations"):  # migrations: generated
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            code = line.split("#", 1)[0]
            found += [
                f"{path.relative_to(PACKAGE)}:{number}: {name}"
                for pattern, name in PRIVATE.items()
                if re.search(pattern, code)
            ]
    assert found == []
