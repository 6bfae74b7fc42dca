"""The records a sync has read before, filed as they come without being parsed again.

A sync of a tree that changed little reads an archive whose records are,
most of them, byte for byte the ones the last sync read: the ledger keeps
the sha256 of each. Such a record is the record of the row its entry
names, and was checked when it was first read, so it is filed under that
row without being parsed (the content types a model's generic foreign keys
name are read from the lines' bytes: :func:`_note_targets`). To be taken
so, a line must also begin with its entry's model label and key, and end
with its role, exactly as an export writes them; a line that does not
(another spelling of the label, a model whose key is not an integer) is
read as any other. The lines come a block at a time, and a block of one
model's records, as exports write them, is filed in one go.

Every record line gets its sha256 here, which the sync compares with the
ledger (``ModelSpool.prints``), so that the archive is not read twice.

A record taken so is held to this header's list of fields only if it is
parsed after all, to be compared with its row or written
(``ModelSpool.records``): it is the record an earlier sync read and
checked. The ledger it was taken for is read again, and the records told
apart by their digests, if another sync changed it meanwhile (``run``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from hashlib import sha256
from itertools import compress, repeat
from operator import eq, itemgetter, methodcaller, not_
from typing import TYPE_CHECKING, Any

import orjson
from django.db.models import Model

from django_graft.archive.jsonenc import loads
from django_graft.exceptions import ArchiveFormatError, GraftError
from django_graft.importer.source import Sorter
from django_graft.importer.spool import ModelSpool
from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django_graft.importer.ledger import Ledger


def _digest(raw: bytes) -> str:
    """The sha256 of a record line, as the ledger keeps it (without its newline)."""
    return sha256(raw[:-1]).hexdigest()


_without_newline = itemgetter(slice(None, -1))
_hexdigest = methodcaller("hexdigest")


def _digests(lines: list[bytes]) -> list[str]:
    """:func:`_digest` of each line, in C."""
    return list(map(_hexdigest, map(sha256, map(_without_newline, lines))))


def _note_targets(spool: ModelSpool, rows: list[bytes]) -> None:
    """Note the content types the generic foreign keys of record lines name.

    Each content type field is found in the lines' bytes, one search for
    the whole block: where every line holds its name, quoted, exactly once
    (so as its key, and once: a JSON string holding it would be quoted
    otherwise), followed by an integer or null, that is its value. Otherwise (a JSON field's value
    holding an object with that key, say) the lines are parsed.
    """
    for name, targets in spool.generic_targets.items():
        quoted = orjson.dumps(name)
        declared = spool.declared is None or name in spool.declared  # so every line holds it
        found = _value_after(quoted + b":").findall(b"\n".join(rows)) if declared else []
        once = repeat(1, len(rows))
        if len(found) == len(rows) and all(map(eq, map(methodcaller("count", quoted), rows), once)):
            targets.update(int(value) for value in set(found) if value != b"null")
            continue
        fields = map(itemgetter("fields"), map(loads, rows))
        values = set(map(methodcaller("get", name), fields))
        targets.update(value for value in values if type(value) in (int, str))


@cache
def _value_after(key: bytes) -> re.Pattern[bytes]:
    return re.compile(re.escape(key) + rb"(-?[0-9]+|null)[,}]")


#: How a record line ends, by its role, as an export writes it.
_ENDINGS = {True: b',"role":"own"}\n', False: b',"role":"need"}\n'}


@dataclass
class _Run:
    """Lines in a row that :meth:`SyncSorter.skim` took, all of one model, to be filed."""

    spool: ModelSpool
    label: str
    #: The number of its first line in the archive.
    number: int
    keys: list[Any]
    owned: list[bool]
    rows: list[bytes]
    digests: list[str]


class SyncSorter(Sorter):
    """A :class:`Sorter` that takes the records its ledger knows without parsing them.

    ``ledger`` is called with the archive's header, once read, and gives
    the ledger of the tree the archive holds (None, or an error: nothing
    is taken, and the import judges the archive as any other).

    What :meth:`skim` takes is filed in archive order with the lines it
    parses (:meth:`visit` files the runs of lines before its own first),
    so that every spool holds its records as the archive does, and a row
    found twice is refused at its second line.
    """

    def __init__(self, ledger: Any) -> None:
        super().__init__()
        self._ledger_of = ledger
        self.ledger: Ledger | None = None
        self._known: dict[str, tuple[type[Model], Any, bool]] = {}
        #: {model: (spool, label, how its records' lines begin, up to the key)}
        self._places: dict[type[Model], tuple[ModelSpool, str, bytes | None]] = {}
        self._runs: list[_Run] = []

    def header(self, header: dict[str, Any]) -> None:
        super().header(header)
        try:
            self.ledger = self._ledger_of(header)
        except GraftError:
            # Judged once the archive is verified, in the order every import
            # checks an archive (its damage first): nothing is taken meanwhile.
            return
        self._known = self.ledger.known

    def skim(self, number: int, lines: list[bytes]) -> list[str | None]:
        """Take the record lines of a block the ledger knows; per line, its label or None.

        ``number`` is the number of the block's first line.
        """
        self.finish()
        if not self._known:
            return [None] * len(lines)  # nothing synced before: every line is parsed
        digests = _digests(lines)
        hits = list(map(self._known.get, digests))
        models = set(map(itemgetter(0), filter(None, hits)))
        if len(models) == 1:  # a block of one model's records, as exports write them
            taken = self._take_block(number, lines, digests, hits, models.pop())
            if taken is not None:
                return taken
        return self._take_lines(number, lines, digests, hits)

    def _take_block(
        self,
        number: int,
        lines: list[bytes],
        digests: list[str],
        hits: list[tuple[type[Model], Any, bool] | None],
        model: type[Model],
    ) -> list[str | None] | None:
        """Take a block's known lines, all of ``model``, in one go; None if one does not fit.

        Each check runs over the whole block in C (``map``, ``compress``);
        where any line is not as :meth:`_take_lines` would take it, the
        block is left to that method.
        """
        spool, label, start = self._places.get(model) or self._place(model)
        if start is None:
            return None
        mask = list(map(bool, hits))
        rows, picked = list(compress(lines, mask)), list(compress(hits, mask))
        keys: list[Any] = list(map(itemgetter(1), picked))  # type: ignore[arg-type]
        owned: list[bool] = list(map(itemgetter(2), picked))  # type: ignore[arg-type]
        key_start = start.replace(b"%", b"%%") + b"%d,"
        if (
            not spool.seen.isdisjoint(keys)
            or len(set(keys)) != len(keys)
            or not all(map(bytes.startswith, rows, map(key_start.__mod__, keys)))
            or not all(map(bytes.endswith, rows, map(_ENDINGS.__getitem__, owned)))
        ):
            return None
        prints = list(compress(digests, mask))
        # One run per stretch of taken lines between the lines left to parse.
        at = 0
        for begin, end in _stretches(mask):
            size = end - begin
            self._runs.append(
                _Run(
                    spool,
                    label,
                    number + begin,
                    keys[at : at + size],
                    owned[at : at + size],
                    rows[at : at + size],
                    prints[at : at + size],
                )
            )
            at += size
        return list(map({True: label, False: None}.__getitem__, mask))

    def _take_lines(
        self,
        number: int,
        lines: list[bytes],
        digests: list[str],
        hits: list[tuple[type[Model], Any, bool] | None],
    ) -> list[str | None]:
        """Take a block's known lines one by one; per line, its label or None."""
        taken: list[str | None] = [None] * len(lines)
        places, place_of = self._places, self._place
        for at, hit in enumerate(hits):
            if hit is None:
                continue
            model, key, owned = hit
            spool, label, start = places.get(model) or place_of(model)
            raw = lines[at]
            if (
                start is None  # a key other than an integer: read as any other line
                or key in spool.seen  # a second line of the row is refused by name
                or not raw.startswith(start)
                or not raw.startswith(b"%d," % key, len(start))
                or not raw.endswith(_ENDINGS[owned])
            ):
                continue
            last = self._runs[-1] if self._runs else None
            if (
                last is not None
                and last.spool is spool
                and last.number + len(last.keys) == number + at
            ):
                last.keys.append(key)  # the line after the run's last: one run still
                last.owned.append(owned)
                last.rows.append(raw)
                last.digests.append(digests[at])
            else:
                self._runs.append(
                    _Run(spool, label, number + at, [key], [owned], [raw], [digests[at]])
                )
            taken[at] = label
        return taken

    def take(
        self, number: int, lines: list[bytes], items: list[dict[str, Any]], labels: list[str]
    ) -> bool:
        """Take nothing in one go: each parsed record's digest is noted (:meth:`_record`)."""
        return False

    def visit(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        if self._runs:
            self.finish(before=number)
        super().visit(number, raw, item)

    def finish(self, before: int | None = None) -> None:
        """File the lines taken so far (those before line ``before``), in archive order."""
        runs = self._runs
        done = len(runs)
        if before is not None:
            done = next((i for i, run in enumerate(runs) if run.number >= before), done)
        for run in runs[:done]:
            _file(run)
        del runs[:done]

    def _record(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        super()._record(number, raw, item)
        spool = self._by_label[item["model"]]
        digest = _digest(raw)
        if item["model"] != model_label(spool.model):
            # A line skim would count under another label than this one's:
            # a digest no line has, so that it is always parsed.
            digest = "~" + digest[1:]
        spool.prints[spool.last_key] = digest  # type: ignore[index]

    def _new_spool(self, model: type[Model], label: str) -> ModelSpool:
        spool = super()._new_spool(model, label)
        if spool.prints is None:
            spool.prints, spool.taken = {}, set()
        return spool

    def _place(self, model: type[Model]) -> tuple[ModelSpool, str, bytes | None]:
        """Where a model's known records go: its spool, its label, how its lines begin."""
        label = model_label(model)
        spool = self.spools.get(model) or self._new_spool(model, label)
        start = b'{"model":%s,"pk":' % orjson.dumps(label) if spool.integer_key else None
        place = self._places[model] = (spool, label, start)
        return place


def _stretches(mask: list[bool]) -> list[tuple[int, int]]:
    """``(start, end)`` of each stretch of true values in ``mask``."""
    stretches, begin = [], None
    for at in [*compress(range(len(mask)), map(not_, mask)), len(mask)]:
        start = 0 if begin is None else begin
        if at > start:
            stretches.append((start, at))
        begin = at + 1
    return stretches


def _file(run: _Run) -> None:
    """File a run of taken lines in its spool; refuse a row found twice, at its line."""
    spool, keys = run.spool, run.keys
    seen = spool.seen
    if not seen.isdisjoint(keys) or len(set(keys)) != len(keys):
        for offset, key in enumerate(keys):
            if key in seen:
                number = run.number + offset
                raise ArchiveFormatError(
                    f"Line {number}: {run.label} {key!r} appears twice in the archive.",
                    line=number,
                )
            seen.add(key)
    if spool.generic_targets:  # which models the rows point at, read from their values
        _note_targets(spool, run.rows)
    spool.remember(keys)
    spool.taken.update(keys)  # type: ignore[union-attr]
    spool.order.extend(keys)
    if not all(run.owned):
        spool.needed.extend(compress(keys, map(not_, run.owned)))
    spool.prints.update(zip(keys, run.digests, strict=True))  # type: ignore[union-attr]
    spool.file.writelines(run.rows)
