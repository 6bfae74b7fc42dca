"""What a dry run checks that a real import checks only as it writes.

A real import refuses a link to a row the archive does not carry while it
maps each chunk's links (:class:`~.linkmap.LinkMapper`). A dry run writes
nothing, so the same mapping runs here over every row the import would
create or overwrite, on copies of their columns: the dry run refuses
exactly what the import would.
"""

from __future__ import annotations

from typing import Any

from django_graft.importer.linkmap import LinkMapper
from django_graft.importer.planned import CHUNK, Plan


def check_links_carried(plan: Plan, policy: Any) -> None:
    """Raise as the import would for a link of a written row to a row not carried."""
    mapper = LinkMapper(plan.keys, plan.archived, policy, plan.named, in_place=plan.in_place)
    for mp in plan.order:
        if not mp.create and not mp.update:
            continue
        for chunk in mp.spool.records(CHUNK):
            keys = mp.spool.keys_of(chunk)
            rows = [i for i, key in enumerate(keys) if key in mp.create or key in mp.update]
            if rows:
                columns = mp.decoder.decode_columns([chunk[i] for i in rows])
                mapper.map(mp.model, mp.label, [keys[i] for i in rows], columns)
