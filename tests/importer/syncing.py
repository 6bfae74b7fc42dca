"""What the sync tests share: a sync into the second database, its ledger, the oracle's check."""

from __future__ import annotations

import io
from typing import Any

from django_graft import collect, import_archive
from django_graft.models import GraftLedgerEntry
from tests.oracle import Verifier

OTHER = "other"


def sync(data: bytes, **options: Any) -> Any:
    return import_archive(io.BytesIO(data), using=OTHER, pks="remap", sync=True, **options)


def ledger() -> list[tuple[Any, ...]]:
    return sorted(GraftLedgerEntry.objects.using(OTHER).values_list(), key=repr)


def check_tree(root: Any, result: Any, before: Any) -> list[str]:
    """What the oracle finds wrong with ``root``'s tree in the target after ``result``."""
    graph = collect(root)
    return Verifier("default", OTHER, result.key_map).verify(graph.owned, graph.needed, before)
