"""Read and verify an archive once, sorting its lines into one spool file per model.

An import must refuse a damaged archive before it writes anything, so the
whole archive is read and its hash checked first. The records are kept on
disk meanwhile, a temporary file per model, so memory holds the keys of the
archive and never its rows; the writer then reads each model's records back
in whatever order the dependencies between models ask for.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from itertools import compress, islice
from typing import IO, Any, BinaryIO

from django.db.models import Model

from django_graft.archive.jsonenc import loads
from django_graft.archive.reader import read_archive
from django_graft.archive.signing import Signature
from django_graft.exceptions import ArchiveFormatError, GraftError
from django_graft.importer.keybits import KeyBits, KeySet, bits_for, members
from django_graft.importer.links import links_of
from django_graft.importer.scalars import key_decoder
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.labels import concrete, model_label, resolve_model

ROLES = ("own", "need")

#: Integer keys of a model read before they are checked and added to its bitmap.
_FRESH = 4_096


@dataclass
class ModelSpool:
    """The records of one model in an archive."""

    model: type[Model]
    label: str
    file: IO[bytes] = field(repr=False)
    #: Keys in archive order, decoded to the primary key's Python type.
    owned: list[Any] = field(default_factory=list)
    needed: list[Any] = field(default_factory=list)
    #: Every key, in the order of the records in ``file``.
    order: list[Any] = field(default_factory=list)
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

    #: Integer keys read since :attr:`seen` was last brought up to date, and their lines.
    fresh: list[Any] = field(default_factory=list, repr=False)
    fresh_lines: list[int] = field(default_factory=list, repr=False)

    @property
    def seen(self) -> KeySet:
        """Every key: bits where they are integers (:mod:`.keybits`), else a set."""
        if self.fresh:
            self.settle()
        return self._seen

    def settle(self) -> None:
        """Add the fresh keys to :attr:`seen`, refusing one read twice at its line.

        Integer keys are noted a few thousand at a time: a bitmap asked about
        each key as its line is read would cost a Python call a row. Past
        ``GRAFT["SERVER_SIDE_KEYS"]`` of them, the set becomes bits.
        """
        fresh, seen = self.fresh, self._seen
        if type(seen) is set and bits_for(self.integer_key, len(seen) + len(fresh)):
            seen = self._seen = KeyBits(seen)
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
        fresh.clear()
        self.fresh_lines.clear()

    def note_targets(self, fields: dict[str, Any]) -> None:
        """Note the content types a record's generic foreign keys name."""
        for name, targets in self.generic_targets.items():
            value = fields.get(name)
            if type(value) in (int, str):
                targets.add(value)

    @property
    def count(self) -> int:
        return len(self.owned) + len(self.needed)

    def records(self, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield the parsed records, ``chunk_size`` at a time, in archive order."""
        self.file.seek(0)
        while chunk := list(map(loads, islice(self.file, chunk_size))):
            yield self._held(chunk)

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


@dataclass
class Reference:
    """A reference record: a row the archive points at but does not carry."""

    pk: Any
    natural_key: list[Any] | None
    match: dict[str, Any] | None
    line: int
    #: Found by its key alone: a fixture's link to a row outside it, as
    #: ``loaddata`` reads one. Never set from an archive.
    by_key: bool = False


@dataclass
class ArchiveContents:
    """A verified archive: header, references and records per model."""

    header: dict[str, Any]
    sha256: str
    references: dict[type[Model], list[Reference]]
    spools: dict[type[Model], ModelSpool]
    #: {model: [(line number, link record), ...]}: rows outside the archive
    #: whose foreign keys a delete changed.
    links: dict[type[Model], list[tuple[int, dict[str, Any]]]] = field(default_factory=dict)
    #: Whether this installation signed the archive.
    signature: Signature = Signature.UNSIGNED
    #: The format of a Django fixture read into this (it is never signed), or None.
    fixture: str | None = None
    #: Whether that format was guessed from the content (neither asked for nor named).
    fixture_guessed: bool = False
    #: The sync ledger of the tree, where a sync read it with the archive.
    ledger: Any = None

    def close(self) -> None:
        for spool in self.spools.values():
            spool.file.close()


def _scalar(value: Any) -> bool:
    return value is None or type(value) in (str, int, float, bool)


def _plain(value: Any) -> bool:
    """A JSON value without objects: a scalar, or lists of plain values (or absent)."""
    if isinstance(value, list):
        return all(map(_plain, value))
    return _scalar(value)


class Sorter:
    """Receives each verified line and files it under its model."""

    def __init__(self) -> None:
        self.references: dict[type[Model], list[Reference]] = {}
        self.spools: dict[type[Model], ModelSpool] = {}
        self.links: dict[type[Model], list[tuple[int, dict[str, Any]]]] = {}
        self._by_label: dict[str, ModelSpool] = {}
        self._models: dict[str, type[Model]] = {}
        #: The header's ``models`` entries, once it is read (archives only).
        self._described: dict[str, Any] | None = None

    def header(self, header: dict[str, Any]) -> None:
        """Keep the header's model descriptions, which every record is held to."""
        described = header.get("models")
        self._described = described if isinstance(described, dict) else {}

    def _model(self, label: Any, number: int) -> type[Model]:
        if type(label) is not str:
            raise ArchiveFormatError(
                f"Line {number}: the model label must be a string, not {label!r}.", line=number
            )
        model = self._models.get(label)
        if model is None:
            try:
                model = concrete(resolve_model(label))
            except GraftError:
                raise ArchiveFormatError(
                    f"Line {number} names model {label!r}, which is not installed. "
                    "Install the app that defines it, or import into the project the "
                    "archive was written from.",
                    line=number,
                ) from None
            self._models[label] = model
        return model

    def finish(self) -> None:
        """Called once every line is read (a sorter that files some lines later files them)."""

    def visit(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        if "ref" in item:
            self._reference(number, item)
        elif "link" in item:
            self.links.setdefault(self._model(item["link"], number), []).append((number, item))
        else:
            self._record(number, raw, item)

    def _reference(self, number: int, item: dict[str, Any]) -> None:
        model = self._model(item["ref"], number)
        natural_key, match = item.get("natural_key"), item.get("match")
        if not isinstance(natural_key, list) and not isinstance(match, dict):
            raise ArchiveFormatError(
                f"Line {number}: a reference record needs a 'natural_key' list or a "
                "'match' object.",
                line=number,
            )
        if not _plain(natural_key) or (
            isinstance(match, dict) and not all(map(_scalar, match.values()))
        ):
            raise ArchiveFormatError(
                f"Line {number}: a reference's natural key holds only strings, numbers, "
                "booleans, nulls and lists of them, and its match fields single values.",
                line=number,
            )
        pk = self._key(model, item.get("pk"), number)
        self.references.setdefault(model, []).append(Reference(pk, natural_key, match, number))

    def _record(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        # Called for every row of the archive: kept to plain lookups.
        label = item["model"]
        spool = self._by_label.get(label) if type(label) is str else None
        if spool is None:
            spool = self._new_spool(self._model(label, number), label)
        role = item.get("role")
        if role not in ROLES:
            raise ArchiveFormatError(
                f"Line {number}: role {role!r} is not one of {', '.join(ROLES)}.", line=number
            )
        fields = item.get("fields")
        if type(fields) is not dict:
            raise ArchiveFormatError(f"Line {number}: 'fields' must be a JSON object.", line=number)
        pk = item.get("pk")
        if type(pk) is not int or not spool.integer_key:
            pk = self._key(spool.model, pk, number)
        declared = spool.declared
        if declared is not None and not declared.issuperset(fields):
            raise undeclared_field(number, label, pk, fields, declared)
        if spool.integer_key:  # checked a batch at a time (ModelSpool.settle)
            fresh = spool.fresh
            fresh.append(pk)
            spool.fresh_lines.append(number)
            if len(fresh) >= _FRESH:
                spool.settle()
        else:
            seen = spool.seen
            if pk in seen:
                raise ArchiveFormatError(
                    f"Line {number}: {label} {pk!r} appears twice in the archive.", line=number
                )
            seen.add(pk)
        (spool.owned if role == "own" else spool.needed).append(pk)
        spool.order.append(pk)
        spool.file.write(raw)
        if spool.generic_targets:
            spool.note_targets(fields)

    def _new_spool(self, model: type[Model], label: str) -> ModelSpool:
        # Closed by ArchiveContents.close(), once the import is done with it.
        spool = self.spools.get(model)
        if spool is None:  # the first record of the model
            spool = ModelSpool(model, label, tempfile.TemporaryFile())  # noqa: SIM115
            spool.generic_targets = {link.ct_name: set() for link in links_of(model)[1]}
            pk: Any = model._meta.pk
            spool.integer_key = not hasattr(pk, "fields") and stored_type(pk) in INTEGER_TYPES
            if self._described is not None:
                declared = declared_fields(self._described.get(model_label(model)))
                if declared is not None and not hasattr(pk, "fields"):
                    declared -= {pk.name}  # the record's pk, whatever the header says of it
                spool.declared = declared
            self.spools[model] = spool
        self._by_label[label] = spool  # another spelling of the label shares the spool
        return spool

    @staticmethod
    def _key(model: type[Model], value: Any, number: int) -> Any:
        try:
            return key_decoder(model)(value)
        except (TypeError, ValueError) as exc:
            raise ArchiveFormatError(
                f"Line {number}: {value!r} is not a valid primary key for "
                f"{model._meta.label_lower} ({exc}).",
                line=number,
            ) from None


def declared_fields(described: Any) -> frozenset[str] | None:
    """The field names a header's model entry lets records hold; None: no usable entry.

    A model the header does not describe is refused by the schema check,
    which names it; here it only means there is nothing to hold records to.
    """
    if not isinstance(described, dict) or not isinstance(described.get("fields"), dict):
        return None
    composite = "pk" in described
    # A field the export left out has no values: a record holding one was altered.
    left_out = described.get("left_out")
    withheld = {n for n in left_out if isinstance(n, str)} if isinstance(left_out, list) else set()
    return frozenset(
        name
        for name, about in described["fields"].items()
        if name not in withheld
        and (composite or not (isinstance(about, dict) and about.get("pk") is True))
    )


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


def load_archive(stream: BinaryIO, sorter: Sorter | None = None) -> ArchiveContents:
    """Verify ``stream`` and sort its records per model; raise on any damage.

    ``sorter``: one that files some records without parsing them (a sync's).
    """
    sorter = sorter or Sorter()
    skim = getattr(sorter, "skim", None)
    try:
        summary = read_archive(stream, visit=sorter.visit, on_header=sorter.header, skim=skim)
        sorter.finish()
        for spool in sorter.spools.values():
            spool.settle()
    except BaseException:
        for spool in sorter.spools.values():
            spool.file.close()
        raise
    return ArchiveContents(
        summary.header,
        summary.sha256,
        sorter.references,
        sorter.spools,
        sorter.links,
        signature=summary.signature_state,
    )
