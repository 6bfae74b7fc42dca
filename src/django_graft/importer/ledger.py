"""The sync ledger: where the owned rows of a tree went the last time it was synced here.

A sync (``graft_import --pks remap --sync``) records, per source
installation and tree (the archive's roots), the key each owned row of the
archive received in this database, with a fingerprint of the values the row
held once written. The next sync of the same tree reads those entries back:
a row it finds there is the same row, to be left alone when the archive's
values are already stored, updated when only the source changed it, and a
conflict when this database changed it since (its fingerprint differs).

Keys are kept as archives write them (JSON, :mod:`.ledgerkeys`). Reading
a tree's entries takes one query on SQLite (:mod:`.entries`), one per
model elsewhere; writing them takes one query per model and batch.
"""

from __future__ import annotations

import hashlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from functools import partial
from itertools import repeat
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import Count, Max, Model
from django.utils import timezone

from django_graft.db.batching import chunked, key_batch_size
from django_graft.db.changes import change_stamp
from django_graft.db.fetch import fetch_rows
from django_graft.db.keyspan import spanned
from django_graft.db.queryset import insert_rows
from django_graft.exceptions import ImportRefused, PolicyError
from django_graft.importer.entries import Entries, Entry, ReadEntries, joined_entries, split
from django_graft.importer.fingerprints import fingerprints
from django_graft.importer.insert import writer_for
from django_graft.importer.ledgerkeys import (
    UnreadableEntry,
    entry_keys,
    integer_key,
    integer_label,
    key_text,
    parsed_key,
)
from django_graft.importer.scalars import key_decoder
from django_graft.models import GraftLedgerEntry
from django_graft.schema.fieldtypes import archived_key
from django_graft.schema.labels import concrete, model_label, resolve_model

#: The longest key, as JSON, an entry holds (its columns' max_length).
KEY_LENGTH = 255


@dataclass
class Ledger:
    """The entries of one tree from one source, in database ``using``."""

    using: str
    source: str
    tree: str
    roots: str
    #: {model: {archive key: entry}}, as read before the sync.
    entries: dict[type[Model], Entries] = field(default_factory=dict)
    #: {model: archive keys of the archive whose rows here are gone}, once read.
    gone: dict[type[Model], set[Any]] | None = None
    #: {model: its label as the ledger spells it}
    labels: dict[type[Model], str] = field(default_factory=dict)
    #: :meth:`_stamp` as the entries were read.
    stamp: tuple[Any, ...] = ()
    #: Whether :meth:`_stamp` reads SQLite's change counters (None: not yet known).
    counters: bool | None = None
    #: Whether the records a sync took unparsed (``ModelSpool.taken``) were
    #: taken for these entries, so that they are the ones they name.
    took: bool = False
    #: {sha256 of an archive record: (model, archive key, owned)} of every
    #: entry: the record each row was last synced from.
    known: dict[str, tuple[type[Model], Any, bool]] = field(default_factory=dict)

    @classmethod
    def of(cls, header: Mapping[str, Any], using: str, tree: str | None = None) -> Ledger:
        """The ledger of the tree an archive holds; refused when the archive names no source.

        ``tree``: the tree's id where the archive's roots do not say it (a clone's copy).
        """
        source = source_of(header)
        named = header.get("roots")
        if not isinstance(named, list) or not named or not all(isinstance(r, dict) for r in named):
            raise ImportRefused(
                "The archive's header names no roots, so a sync cannot tell which tree it "
                "holds. Export the tree again."
            )
        roots = " ".join(
            sorted(f"{root.get('model')}:{key_text(root.get('pk'))}" for root in named)
        )
        tree = tree or hashlib.sha256(roots.encode()).hexdigest()
        ledger = cls(using, source, tree, roots)
        ledger.stamp = ledger._stamp()  # before the entries: a change meanwhile shows
        ledger._read()
        return ledger

    def _stamp(self) -> tuple[Any, ...]:
        """What tells whether the tree's entries may have changed since it was taken.

        On SQLite, read outside any transaction: the database's own counts of
        changes (:func:`~django_graft.db.changes.change_stamp`). Elsewhere,
        the tree's entries' count and last id: entries are only
        ever added (ids grow), deleted, or moved to another key (by adding a
        copy), so any change shows in one or the other.
        """
        connection = connections[self.using]
        if self.counters is None:
            # The counters tell a write, not a rollback: entries read inside a
            # transaction may yet be rolled back, which only counting them shows.
            self.counters = connection.vendor == "sqlite" and not connection.in_atomic_block
        if self.counters and (stamp := change_stamp(connection)) is not None:
            return stamp
        try:
            found = self._rows().aggregate(count=Count("pk"), last=Max("pk"))
        except DatabaseError as exc:
            raise self._unreadable(exc) from exc
        return found["count"], found["last"]

    def _unreadable(self, exc: DatabaseError) -> ImportRefused:
        return ImportRefused(
            f"The sync ledger cannot be read in database '{self.using}' ({exc}). Run "
            f"manage.py migrate django_graft --database {self.using}."
        )

    def changed(self) -> bool:
        """Whether the tree's entries may have changed since they were read (another sync ran).

        On SQLite, any write to the database since counts: the caller reads
        the entries again to know.
        """
        return self._stamp() != self.stamp

    def _rows(self, label: str | None = None) -> Any:
        rows = GraftLedgerEntry.objects.using(self.using).filter(source=self.source, tree=self.tree)
        return rows if label is None else rows.filter(model=label)

    def _read(self) -> None:
        """Read the tree's entries: in one query on SQLite, else one per model."""
        try:
            joined = joined_entries(self.using, self.source, self.tree, integer_label)
            labels = (
                list(joined)
                if joined is not None
                else list(self._rows().order_by("model").values_list("model", flat=True).distinct())
            )
            for label in labels:
                try:
                    model = concrete(resolve_model(label))
                except PolicyError:  # a model this project no longer has: nothing to sync
                    continue
                read, together = None, joined and joined[label]
                if together:
                    read = split(together, None if integer_key(model) else key_decoder(model))
                read = read or self._rows_read(model, label)
                if read is None:
                    continue
                reader = partial(self._read_prints, model, label)
                self.entries[model] = Entries(read, reader)
                self.labels[model] = label
                keys = zip(repeat(model, len(read.keys)), read.keys, read.owned, strict=True)
                self.known.update(zip(read.sources, keys, strict=True))
        except DatabaseError as exc:
            raise self._unreadable(exc) from exc

    def _rows_read(self, model: type[Model], label: str) -> ReadEntries | None:
        """A model's entries, read row by row; None when it has none."""
        columns = ("source_key", "target_key", "source_fingerprint", "role")
        found = [
            row
            for chunk in fetch_rows(self._rows(label).values_list(*columns), 10_000)
            for row in chunk
        ]
        if not found:
            return None
        source_keys, target_keys, sources, roles = zip(*found, strict=True)
        keys, targets = self._keys(model, label, source_keys, target_keys)
        return ReadEntries(keys, targets, list(sources), [role == "own" for role in roles])

    def _keys(
        self,
        model: type[Model],
        label: str,
        source_keys: tuple[str, ...],
        target_keys: tuple[str, ...],
    ) -> tuple[list[Any], list[Any]]:
        """The archive keys and the keys here of a model's entries, decoded."""
        try:
            return entry_keys(model, source_keys, target_keys)
        except UnreadableEntry as exc:
            raise ImportRefused(
                f"The sync ledger of database '{self.using}' holds an entry for {label} "
                f"({exc.source_key[:40]!r} -> {exc.target_key[:40]!r}) whose keys are not keys "
                f"of {label} ({exc.reason}). Nothing was written. Delete the tree's entries "
                f"(GraftLedgerEntry, roots {self.roots[:80]!r}) to sync it afresh."
            ) from None

    def _read_prints(self, model: type[Model], label: str, keys: Collection[Any]) -> dict[Any, str]:
        texts = {key_text(archived_key(model, key)): key for key in keys}
        found: dict[Any, str] = {}
        rows = self._rows(label)
        for batch in chunked(list(texts), key_batch_size(connections[self.using])):
            pairs = rows.filter(source_key__in=batch).values_list("source_key", "fingerprint")
            found.update((texts[text], fingerprint) for text, fingerprint in pairs)
        return found

    def gone_targets(self, model: type[Model], targets: list[Any]) -> set[Any] | None:
        """The archive keys of ``model``'s entries whose rows here are gone, in one query.

        On SQLite, where the table's key is one integer column: the ledger is
        joined with the table, so only the rows that are gone come back, and
        no key travels. First, where the keys here (``targets``) fill most
        of the span between the least and the greatest, the rows in that
        span are counted, once (:func:`~django_graft.db.keyspan.spanned`):
        as many as the span is wide, every row is here, and the join reads
        no entry. None elsewhere: the caller looks the rows up by key.
        """
        connection = connections[self.using]
        label = self.labels.get(model)
        if connection.vendor != "sqlite" or not integer_key(model) or label is None:
            return None
        pk: Any = model._meta.pk
        quote = connection.ops.quote_name
        table, column = quote(model._meta.db_table), quote(pk.column)
        span = spanned(targets)
        full, counted = "", []
        if span is not None:
            # A condition of no entry: SQLite weighs it once, before any is read.
            # Integers only: a column that is not SQLite's rowid may hold 2.5.
            full = (
                f"(SELECT count(*) FROM {table} WHERE {column} BETWEEN %s AND %s "
                f"AND typeof({column}) = 'integer') != %s AND "
            )
            counted = [span[0], span[1], span[1] - span[0] + 1]
        # The key as JSON text, compared with an integer column: SQLite reads
        # the text as that column's number (its type affinity rules).
        sql = (
            f"SELECT l.source_key FROM {quote(GraftLedgerEntry._meta.db_table)} l "
            f"WHERE {full}l.source = %s AND l.tree = %s AND l.model = %s AND NOT EXISTS "
            f"(SELECT 1 FROM {table} t WHERE t.{column} = l.target_key)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*counted, self.source, self.tree, label])
            texts = [row[0] for row in cursor.fetchall()]
        decode = key_decoder(model)  # few rows: as _keys reads them, whatever their spelling
        return {decode(parsed_key(text)) for text in texts}

    def entry(self, model: type[Model], key: Any) -> Entry | None:
        entries = self.entries.get(model)
        return None if entries is None else entries.get(key)

    def record(
        self,
        model: type[Model],
        written: Mapping[Any, Any],
        sources: Mapping[Any, str],
        role: str = "own",
    ) -> None:
        """Remember ``{archive key: key here}`` of rows the sync wrote, with their fingerprints.

        ``sources`` holds the fingerprint of each row's archive record.
        """
        if not written:
            return
        label = model_label(model)
        prints = fingerprints(model, list(written.values()), self.using)
        manager = GraftLedgerEntry.objects.using(self.using)
        keys = [key_text(archived_key(model, key)) for key in written]
        targets = [key_text(archived_key(model, target)) for target in written.values()]
        long = next((text for text in [*keys, *targets] if len(text) > KEY_LENGTH), None)
        if long is not None:
            raise ImportRefused(
                f"{label} {long[:60]}...: a key longer than the sync ledger holds "
                f"({KEY_LENGTH} characters once written as JSON). Nothing was written. "
                "Import it without --sync."
            )
        for batch in chunked(keys, key_batch_size(connections[self.using])):
            manager.filter(
                source=self.source, tree=self.tree, model=label, source_key__in=batch
            ).delete()
        count = len(keys)
        columns: dict[str, list[Any]] = {
            "source": [self.source] * count,
            "tree": [self.tree] * count,
            "roots": [self.roots] * count,
            "model": [label] * count,
            "role": [role] * count,
            "source_key": keys,
            "target_key": targets,
            "fingerprint": [prints[target] for target in written.values()],
            "source_fingerprint": [sources[key] for key in written],
            "synced_at": [timezone.now()] * count,
        }
        _insert(columns, keys, self.using)

    def move(self, model: type[Model], moved: Mapping[Any, Any]) -> None:
        """Give ``{new archive key: old archive key}`` the old keys' entries, as they were.

        Each is written again under its new key (a new id) and the old one
        deleted, so that the change shows in the ledger's :meth:`_stamp`.
        """
        label = model_label(model)
        manager = GraftLedgerEntry.objects.using(self.using)
        for key, old in moved.items():
            entries = manager.filter(
                source=self.source,
                tree=self.tree,
                model=label,
                source_key=key_text(archived_key(model, old)),
            )
            for entry in list(entries):
                entries.filter(pk=entry.pk).delete()
                entry.pk, entry.source_key = None, key_text(archived_key(model, key))
                entry.save(using=self.using, force_insert=True)

    def forget(self, model: type[Model], keys: list[Any]) -> None:
        """Drop the entries of archive rows whose rows here are gone."""
        label = model_label(model)
        manager = GraftLedgerEntry.objects.using(self.using)
        texts = [key_text(archived_key(model, key)) for key in keys]
        for batch in chunked(texts, key_batch_size(connections[self.using])):
            manager.filter(
                source=self.source, tree=self.tree, model=label, source_key__in=batch
            ).delete()


def _insert(columns: dict[str, list[Any]], keys: list[str], using: str) -> None:
    """Write ledger entries (``{attname: values}``), the fastest way the database takes."""
    fields = [f for f in GraftLedgerEntry._meta.concrete_fields if not f.primary_key]
    writer = writer_for(GraftLedgerEntry, fields, connections[using], returning=False)
    if writer is not None:
        writer.write(columns, keys)
        return
    entries = [
        GraftLedgerEntry(**dict(zip(columns, values, strict=True)))
        for values in zip(*columns.values(), strict=True)
    ]
    # Batches as large as the database takes (bulk_create's own are smaller
    # on older Djangos), so that the statements do not grow with the rows.
    size = max(1, key_batch_size(connections[using]) // len(fields))
    for batch in chunked(entries, size):
        insert_rows(GraftLedgerEntry.objects.using(using), batch, fields, using)


def source_of(header: Mapping[str, Any]) -> str:
    """The installation an archive names as its source; refused when it names none."""
    source = header.get("installation")
    if isinstance(source, str) and not (len(source) <= 64 and source.isprintable()):
        raise ImportRefused(
            f"The archive names its source installation {source[:80]!r}, which is not an "
            "installation id (1 to 64 printable characters). Nothing was written."
        )
    if not isinstance(source, str) or not source:
        raise ImportRefused(
            "The archive does not name the installation it was exported from (an archive "
            "of an earlier release, a delete's archive without one, or a Django fixture), "
            "so a sync cannot know which rows it created before. Export the tree again, "
            "or import it without --sync."
        )
    return source
