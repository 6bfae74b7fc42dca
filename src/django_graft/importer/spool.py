"""The records of one model in an archive: a spool file, and the index of its keys.

:mod:`.source` files each verified record line in its model's spool; the
planner and the writer read them back from there, a chunk at a time, and
ask the spool which keys the archive holds, in which order and role.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from itertools import compress, islice
from operator import not_
from typing import IO, Any

from django.db.models import Model

from django_graft.archive.jsonenc import loads
from django_graft.exceptions import ArchiveFormatError
from django_graft.importer.keybits import KeyBits, KeySet, bits_for, members
from django_graft.importer.keylist import KeyList, KeysBut
from django_graft.importer.scalars import key_decoder

#: Integer keys of a model read before they are checked and added to its bitmap.
FRESH = 4_096


@dataclass
class ModelSpool:
    """The records of one model in an archive."""

    model: type[Model]
    label: str
    file: IO[bytes] = field(repr=False)
    #: The needed rows' keys in archive order, decoded to the primary key's
    #: Python type (the others are owned: :attr:`owned`).
    needed: KeyList = field(default_factory=KeyList.for_archive, repr=False)
    #: Every key, in the order of the records in ``file``.
    order: KeyList = field(default_factory=KeyList.for_archive, repr=False)
    #: Every key (see :attr:`seen`).
    _seen: KeySet = field(default_factory=set, repr=False)
    #: Whether the key is one integer column, which the archive holds as is.
    integer_key: bool = False
    #: {content type field name: the values its records hold}, for each
    #: generic foreign key of the model: which models the rows point at.
    generic_targets: dict[str, set[Any]] = field(default_factory=dict, repr=False)
    #: The field names the archive's header declares for the records (a
    #: single-column key is the record's ``pk``, never one of its fields);
    #: None where there is no header to hold them to.
    declared: frozenset[str] | None = field(default=None, repr=False)
    #: {key: sha256 of its record line}, where a sync read the archive
    #: (:mod:`django_graft.importer.known`); None elsewhere.
    prints: dict[Any, str] | None = field(default=None, repr=False)
    #: There, the keys of the records the ledger knew byte for byte.
    taken: set[Any] | None = field(default=None, repr=False)

    #: Integer keys read since :attr:`seen` was last brought up to date, their
    #: lines and whether each is owned: they join the key lists a batch at a time.
    fresh: list[Any] = field(default_factory=list, repr=False)
    fresh_lines: list[int] = field(default_factory=list, repr=False)
    fresh_owned: list[bool] = field(default_factory=list, repr=False)
    #: Their record lines, written to ``file`` with them: a write a line cost
    #: almost a microsecond a row.
    fresh_rows: list[bytes] = field(default_factory=list, repr=False)

    @property
    def owned(self) -> KeysBut:
        """The owned rows' keys in archive order: every key but the needed ones."""
        return KeysBut(self.order, self.needed)

    @property
    def owned_keys(self) -> Collection[Any]:
        """The owned rows' keys, in no order: where none is needed, :attr:`seen` itself.

        Bits or a set, which a set of the same kind takes in one go, where
        the list of ten million keys would be read a key at a time.
        """
        return self.owned if self.needed else self.seen

    @property
    def seen(self) -> KeySet:
        """Every key: bits where they are integers (:mod:`.keybits`), else a set."""
        if self.fresh:
            self.settle()
        return self._seen

    @property
    def last_key(self) -> Any:
        """The key of the record filed last."""
        return self.fresh[-1] if self.fresh else self.order[-1]

    def settle(self) -> None:
        """Add the fresh keys to :attr:`seen`, refusing one read twice; file their lines.

        Integer keys are noted a few thousand at a time: a bitmap asked about
        each key as its line is read would cost a Python call a row. Past
        ``GRAFT["SERVER_SIDE_KEYS"]`` of them, the set becomes bits.
        """
        fresh, seen = self.fresh, self._grown(len(self.fresh))
        found = members(seen, fresh)
        if any(found) or len(set(fresh)) != len(fresh):
            earlier: set[Any] = set()
            for key, number, again in zip(fresh, self.fresh_lines, found, strict=True):
                if again or key in earlier:
                    raise ArchiveFormatError(
                        f"Line {number}: {self.label} {key!r} appears twice in the archive.",
                        line=number,
                    )
                earlier.add(key)
        seen.update(fresh)
        owned = self.fresh_owned
        self.order.extend(fresh)
        self.needed.extend(compress(fresh, map(not_, owned)))
        self.file.write(b"".join(self.fresh_rows))
        fresh.clear()
        self.fresh_lines.clear()
        owned.clear()
        self.fresh_rows.clear()

    def remember(self, keys: list[Any]) -> None:
        """Add keys already checked for repeats to :attr:`seen`."""
        self.seen  # noqa: B018  # the fresh keys first, in order
        self._grown(len(keys)).update(keys)

    def _grown(self, coming: int) -> KeySet:
        """:attr:`seen` as it holds ``coming`` more keys: past the limit, bits."""
        seen = self._seen
        if type(seen) is set and bits_for(self.integer_key, len(seen) + coming):
            seen = self._seen = KeyBits(seen)
        return seen

    def note_targets(self, fields: dict[str, Any]) -> None:
        """Note the content types a record's generic foreign keys name."""
        for name, targets in self.generic_targets.items():
            value = fields.get(name)
            if type(value) in (int, str):
                targets.add(value)

    def close(self) -> None:
        """Remove the spool's files: its records', and its keys' where they were written out."""
        self.file.close()
        self.order.close()
        self.needed.close()

    @property
    def count(self) -> int:
        return len(self.order)

    def records(self, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield the parsed records, ``chunk_size`` at a time, in archive order."""
        self.file.seek(0)
        while chunk := list(map(loads, islice(self.file, chunk_size))):
            yield self._held(chunk)

    def records_by_size(self, budget: int) -> Iterator[list[dict[str, Any]]]:
        """Yield the parsed records in archive order, about ``budget`` bytes of lines at a time.

        So a chunk of narrow rows holds many, and one of wide rows few.
        """
        self.file.seek(0)
        while lines := self.file.readlines(budget):
            yield self._held(list(map(loads, lines)))

    def records_of(self, keys: Collection[Any], chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield the parsed records of ``keys`` only, ``chunk_size`` at a time, in archive order.

        Lines of other keys are skipped unread, which saves parsing them when
        few are wanted.
        """
        self.file.seek(0)
        # The file holds a line per key of ``order``, in that order.
        wanted = compress(self.file, map(keys.__contains__, self.order))
        while chunk := list(map(loads, islice(wanted, chunk_size))):
            yield self._held(chunk)

    def _held(self, records: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """``records``, once those a sync took unparsed are held to the header's fields.

        The others were when their lines were read.
        """
        taken, declared = self.taken, self.declared
        if taken and declared is not None:
            for record in records:
                fields = record["fields"]
                if record["pk"] in taken and not declared.issuperset(fields):
                    raise undeclared_field(None, self.label, record["pk"], fields, declared)
        return records

    def records_among(
        self, keys: Collection[Any], chunk_size: int
    ) -> Iterator[list[dict[str, Any]]]:
        """Yield the parsed records, or those of ``keys`` only where that is fewer.

        A chunk may hold records of other keys: callers pick theirs out.
        """
        if len(keys) >= len(self.order):
            return self.records(chunk_size)
        return self.records_of(keys, chunk_size)

    def keys_of(self, records: list[dict[str, Any]]) -> list[Any]:
        """The decoded primary keys of some of this model's records."""
        decode = key_decoder(self.model)
        return [decode(record["pk"]) for record in records]


def undeclared_field(
    number: int | None, label: str, pk: Any, fields: dict[str, Any], declared: frozenset[str]
) -> ArchiveFormatError:
    """The error for a record holding a field its header does not declare (at line ``number``)."""
    name = sorted(set(fields) - declared, key=str)[0]
    where = "" if number is None else f"Line {number}: "
    return ArchiveFormatError(
        f"{where}{label} {pk!r} holds a value for field {name!r}, which the "
        f"archive's header does not declare for {label} (a record holds the fields its "
        "header lists, the primary key excepted). Nothing of the archive is dropped "
        "unread: the archive was altered; export it again.",
        line=number,
    )
