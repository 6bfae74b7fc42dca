"""Query counting for the 'does not grow with the number of objects' tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import DEFAULT_DB_ALIAS, connections
from django.test.utils import CaptureQueriesContext


def count_queries(
    operation: Callable[[], Any], using: str = DEFAULT_DB_ALIAS, *, starting: str = ""
) -> int:
    """Run ``operation`` with a cold content-type cache; return its query count.

    The cache is cleared first so that two runs compared with each other pay
    for the same content-type look-ups. With ``starting``, only the
    statements that start with it (``"INSERT"``) are counted.
    """
    ContentType.objects.clear_cache()
    with CaptureQueriesContext(connections[using]) as ctx:
        operation()
    return sum(q["sql"].lstrip().upper().startswith(starting) for q in ctx.captured_queries)
