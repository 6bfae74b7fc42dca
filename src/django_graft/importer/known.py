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

A record taken so is not held again to this header's list of fields
(a record holding a field its header does not declare is refused when
parsed): it is the record an earlier sync read, checked and wrote, and
what a sync writes from it is what that sync wrote.
"""

from __future__ import annotations

import re
from functools import cache
from hashlib import sha256
from itertools import compress, repeat
from operator import contains, itemgetter, methodcaller, not_
from typing import TYPE_CHECKING, Any

import orjson
from django.db.models import Model

from django_graft.archive.jsonenc import loads
from django_graft.importer.source import ModelSpool, Sorter
from django_graft.schema.labels import model_label

if TYPE_CHECKING:
    from django_graft.importer.ledger import Ledger


def _digest(raw: bytes) -> str:
    """The sha256 of a record line, as the ledger keeps it (without its newline)."""
    return sha256(raw[:-1]).hexdigest()


def _note_targets(spool: ModelSpool, rows: list[bytes]) -> None:
    """Note the content types the generic foreign keys of record lines name.

    Each content type field is found in the lines' bytes, one search for
    the whole block: where every line holds its name exactly once (as a
    key: inside a JSON string its quotes would be escaped) followed by an
    integer or null, that is its value. Otherwise (a JSON field's value
    holding an object with that key, say) the lines are parsed.
    """
    for name, targets in spool.generic_targets.items():
        key = orjson.dumps(name) + b":"
        declared = spool.declared is None or name in spool.declared  # so every line holds it
        found = _value_after(key).findall(b"\n".join(rows)) if declared else []
        if len(found) == len(rows) and all(map(contains, rows, repeat(key, len(rows)))):
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


class SyncSorter(Sorter):
    """A :class:`Sorter` that takes the records its ledger knows without parsing them.

    ``ledger`` is called with the archive's header, once read, and gives
    the ledger of the tree the archive holds.
    """

    def __init__(self, ledger: Any) -> None:
        super().__init__()
        self._ledger_of = ledger
        self.ledger: Ledger | None = None
        self._known: dict[str, tuple[type[Model], Any, bool]] = {}
        #: {model: (spool, label, how its records' lines begin, up to the key)}
        self._places: dict[type[Model], tuple[ModelSpool, str, bytes | None]] = {}

    def header(self, header: dict[str, Any]) -> None:
        super().header(header)
        self.ledger = self._ledger_of(header)
        self._known = self.ledger.known

    def skim(self, lines: list[bytes]) -> list[str | None]:
        """File the record lines of a block the ledger knows; per line, its label or None."""
        if not self._known:
            return [None] * len(lines)  # nothing synced before: every line is parsed
        digests = list(map(_digest, lines))
        hits = list(map(self._known.get, digests))
        models = {hit[0] for hit in hits if hit is not None}
        if len(models) == 1:  # a block of one model's records, as exports write them
            taken = self._take_block(lines, digests, hits, models.pop())
            if taken is not None:
                return taken
        return self._take_lines(lines, digests, hits)

    def _take_block(
        self,
        lines: list[bytes],
        digests: list[str],
        hits: list[tuple[type[Model], Any, bool] | None],
        model: type[Model],
    ) -> list[str | None] | None:
        """File a block's known lines, all of ``model``, in one go; None if one does not fit.

        Each step runs over the whole block in C (``map``, ``compress``);
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
        if spool.generic_targets:  # which models the rows point at, read from their values
            _note_targets(spool, rows)
        spool.seen.update(keys)
        spool.taken.update(keys)  # type: ignore[union-attr]
        spool.order.extend(keys)
        if all(owned):
            spool.owned.extend(keys)
        else:
            spool.owned.extend(compress(keys, owned))
            spool.needed.extend(compress(keys, map(not_, owned)))
        prints = compress(digests, mask)
        spool.prints.update(zip(keys, prints, strict=True))  # type: ignore[union-attr]
        spool.file.writelines(rows)
        return [label if hit else None for hit in mask]

    def _take_lines(
        self,
        lines: list[bytes],
        digests: list[str],
        hits: list[tuple[type[Model], Any, bool] | None],
    ) -> list[str | None]:
        """File a block's known lines one by one; per line, its label or None."""
        taken: list[str | None] = [None] * len(lines)
        places, place_of = self._places, self._place
        # Lines go to each spool's file once per block, in the order they came.
        batches: dict[type[Model], list[bytes]] = {}
        for at, hit in enumerate(hits):
            if hit is None:
                continue
            model, key, owned = hit
            spool, label, start = places.get(model) or place_of(model)
            raw = lines[at]
            seen = spool.seen
            if (
                start is None  # a key other than an integer: read as any other line
                or key in seen  # a second line of the row is refused by name
                or not raw.startswith(start)
                or not raw.startswith(b"%d," % key, len(start))
                or not raw.endswith(_ENDINGS[owned])
            ):
                continue
            if spool.generic_targets:
                _note_targets(spool, [raw])
            seen.add(key)
            spool.taken.add(key)  # type: ignore[union-attr]
            (spool.owned if owned else spool.needed).append(key)
            spool.order.append(key)
            spool.prints[key] = digests[at]  # type: ignore[index]
            batches.setdefault(model, []).append(raw)
            taken[at] = label
        for model, batch in batches.items():
            places[model][0].file.writelines(batch)
        return taken

    def _place(self, model: type[Model]) -> tuple[ModelSpool, str, bytes | None]:
        """Where a model's known records go: its spool, its label, how its lines begin."""
        label = model_label(model)
        spool = self.spools.get(model) or self._new_spool(model, label)
        start = b'{"model":%s,"pk":' % orjson.dumps(label) if spool.integer_key else None
        place = self._places[model] = (spool, label, start)
        return place

    def _record(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        super()._record(number, raw, item)
        spool = self._by_label[item["model"]]
        spool.prints[spool.order[-1]] = _digest(raw)  # type: ignore[index]

    def _new_spool(self, model: type[Model], label: str) -> ModelSpool:
        spool = super()._new_spool(model, label)
        if spool.prints is None:
            spool.prints, spool.taken = {}, set()
        return spool
