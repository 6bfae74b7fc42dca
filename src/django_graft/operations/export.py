"""Export: write a graph to archive format v1."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import django
from django.db import connections
from django.db.models import Model

from django_graft import __version__
from django_graft.archive.schema import describe_model
from django_graft.archive.writer import ArchiveWriter
from django_graft.conf import graft_settings
from django_graft.db.fetch import naive_means_utc
from django_graft.db.gcpause import cyclic_gc_paused
from django_graft.db.snapshot import consistent_snapshot
from django_graft.exceptions import check_row_limit
from django_graft.fixtures import GRAFT, export_format
from django_graft.fixtures.dump import write_fixture
from django_graft.operations.exportrows import iter_records
from django_graft.operations.installation import installation_id
from django_graft.operations.references import reference_keys
from django_graft.policy.rules import Policy
from django_graft.render import progress
from django_graft.render.text import roots_text
from django_graft.schema.edges import EdgeKind
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import model_label
from django_graft.storage import Destination, describe, open_for_write
from django_graft.tree.graph import Graph
from django_graft.tree.ordering import dependency_order
from django_graft.tree.roots import normalize_roots
from django_graft.tree.walk import collect


@dataclass(frozen=True)
class ExportResult:
    """What an export wrote."""

    destination: str
    sha256: str
    counts: dict[str, int]
    """{model label: object records written}."""
    references: dict[str, int]
    """{model label: reference records written}."""
    bytes_written: int
    """Bytes of JSON written, before compression."""
    graph: Graph

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def __repr__(self) -> str:
        refs = sum(self.references.values())
        return (
            f"<ExportResult {self.total} rows and {refs} references to {self.destination} "
            f"(sha256 {self.sha256[:12]})>"
        )


def _header(graph: Graph, installation: str | None) -> dict[str, Any]:
    models = sorted({*graph.owned, *graph.needed, *graph.referenced}, key=model_label)
    dynamic = graph.policy.described_dynamic_edges({*graph.owned, *graph.needed})
    return {
        **({"installation": installation} if installation else {}),
        "created_at": datetime.datetime.now(datetime.timezone.utc).isoformat(),
        "generator": f"django-graft {__version__}",
        "django": django.get_version(),
        "vendor": connections[graph.using].vendor,
        "roots": [
            {"model": model_label(model), "pk": archived_key(model, pk)}
            for model, keys in graph.roots.items()
            for pk in keys
        ],
        "models": {model_label(m): _described(m, graph.policy) for m in models},
        **({"dynamic_edges": dynamic} if dynamic else {}),
    }


def _described(model: type[Model], policy: Policy) -> dict[str, Any]:
    """The model's description, naming the stored fields the policy left out of its records."""
    description = describe_model(model)
    left_out = sorted(policy.excluded_fields(model) & set(description["fields"]))
    return {**description, "left_out": left_out} if left_out else description


#: ``(model label, key, {field: value before}, {field: value after})`` of a link record
LinkRecord = tuple[str, Any, dict[str, Any], dict[str, Any]]


class GraphSink(Protocol):
    """What :func:`write_graph` writes to: an archive, or the spools of an import."""

    def header(self, header: dict[str, Any]) -> None: ...

    def reference(self, label: str, pk: Any, key: dict[str, Any]) -> None: ...

    def records(
        self, label: str, records: Sequence[dict[str, Any]], *, naive_utc: bool = False
    ) -> None: ...

    def link(self, label: str, pk: Any, fields: dict[str, Any], after: dict[str, Any]) -> None: ...

    def finish(self) -> str: ...


def write_graph(
    graph: Graph,
    writer: GraphSink,
    links: Iterable[LinkRecord] = (),
    *,
    installation: str | None = None,
) -> str:
    """Write ``graph`` through ``writer``: header, references, rows, links, trailer.

    ``installation`` names the installation the rows come from, for a sync.
    """
    writer.header(_header(graph, installation))
    for model in sorted(graph.referenced, key=model_label):
        label = model_label(model)
        for pk, key in reference_keys(model, graph.referenced[model], graph.policy, graph.using):
            writer.reference(label, pk, key)
    generic = [
        (edge.source, target)
        for edge, target in graph.edge_rows
        if edge.kind in (EdgeKind.GENERIC_FORWARD, EdgeKind.DYNAMIC)
    ]
    # Where the database keeps naive UTC datetimes, they are written as UTC
    # straight away instead of being made aware one by one.
    utc = naive_means_utc(connections[graph.using])
    progress.stage("writing", graph.total_rows)
    for model in dependency_order({*graph.owned, *graph.needed}, graph.policy, generic):
        label = model_label(model)
        for chunk in iter_records(graph, model, utc_naive=utc):
            writer.records(label, chunk, naive_utc=utc)
            progress.advance(len(chunk))
    for label, pk, before, after in links:
        writer.link(label, pk, before, after)
    return writer.finish()


def export(
    roots: Any,
    destination: Destination = "-",
    *,
    policy: Policy | None = None,
    using: str | None = None,
    format: str | None = None,
    natural_foreign: bool = False,
    natural_primary: bool = False,
) -> ExportResult:
    """Collect ``roots`` and write everything they own and need to ``destination``.

    ``destination`` is any location ``django_graft.storage`` takes: a
    path, ``"-"`` for standard output, an fsspec URL, ``storage://ALIAS/name``
    or a writable binary file object; it only appears once complete.

    ``format`` is ``"graft"`` (the archive) or a Django fixture format
    (``"json"``, ``"jsonl"``, ``"xml"``, ``"yaml"``); by default a name ending
    in ``.json``, ``.xml`` or ``.yaml`` asks for that fixture format and
    anything else for the archive. ``natural_foreign`` and ``natural_primary``
    apply to fixtures, as for ``dumpdata``.
    """
    name = describe(destination) if isinstance(destination, str | os.PathLike) else None
    chosen = export_format(name, format)
    by_model, db = normalize_roots(roots, using)
    source = installation_id(db)  # before the snapshot, which cannot write it
    # Fixtures are written from model instances, read by key lists.
    server_side = graft_settings.SERVER_SIDE_KEYS if chosen == GRAFT else None
    # The walk and the rows are read from one snapshot of the database.
    with consistent_snapshot(db, temporary_tables=server_side is not None):
        with cyclic_gc_paused():
            graph = collect(by_model, policy=policy, using=db, server_side_keys=server_side)
        try:
            check_row_limit(graph.total_rows, f"The export of {roots_text(graph)}")
            if chosen != GRAFT:
                # Model instances and querysets make reference cycles: the collector
                # must run while Django's serializers work.
                return _export_fixture(graph, destination, chosen, natural_foreign, natural_primary)
            with (
                cyclic_gc_paused(),
                open_for_write(destination) as stream,
                ArchiveWriter(stream) as writer,
            ):
                digest = write_graph(graph, writer, installation=source)
        finally:
            graph.close()
    return ExportResult(
        destination=describe(destination),
        sha256=digest,
        counts=dict(sorted(writer.counts.items())),
        references=dict(sorted(writer.references.items())),
        bytes_written=writer.bytes_written,
        graph=graph,
    )


def _export_fixture(
    graph: Graph,
    destination: Destination,
    fmt: str,
    natural_foreign: bool,
    natural_primary: bool,
) -> ExportResult:
    with open_for_write(destination) as stream:
        written = write_fixture(
            graph, stream, fmt, natural_foreign=natural_foreign, natural_primary=natural_primary
        )
    return ExportResult(
        destination=describe(destination),
        sha256=written.sha256,
        counts=written.counts,
        references={},
        bytes_written=written.bytes_written,
        graph=graph,
    )
