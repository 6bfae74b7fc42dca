"""Read and verify an archive once, sorting its lines into one spool file per model.

An import must refuse a damaged archive before it writes anything, so the
whole archive is read and its hash checked first. The records are kept on
disk meanwhile, a temporary file per model, so memory holds the keys of the
archive and never its rows; the writer then reads each model's records back
in whatever order the dependencies between models ask for.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from itertools import groupby, repeat
from operator import eq
from typing import Any, BinaryIO

from django.db.models import Model

from django_graft.archive.reader import read_archive
from django_graft.archive.signing import Signature
from django_graft.exceptions import ArchiveFormatError, GraftError
from django_graft.importer.links import links_of
from django_graft.importer.scalars import key_decoder
from django_graft.importer.spool import FRESH, ModelSpool, undeclared_field
from django_graft.schema.fieldtypes import INTEGER_TYPES, stored_type
from django_graft.schema.labels import concrete, model_label, resolve_model

ROLES = ("own", "need")
_ROLE_SET = frozenset(ROLES)


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
            spool.close()


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

    def take(
        self, number: int, lines: list[bytes], items: list[dict[str, Any]], labels: list[str]
    ) -> bool:
        """File a block of record lines, line ``number`` first, as :meth:`visit` would, or none.

        Each check runs over a model's run of lines in C (``map``, ``set``);
        the block is taken where every record has an integer key, a role
        and its fields, all declared. Where one has not, nothing is filed,
        and :meth:`visit` sees each line and names the first at fault.
        """
        runs = []
        start = 0
        for label, run in groupby(labels):
            end = start + sum(1 for _ in run)
            runs.append((label, start, end))
            start = end
        checked = []
        for label, start, end in runs:
            spool = self._by_label.get(label)
            if spool is None:
                try:
                    spool = self._new_spool(self._model(label, number + start), label)
                except ArchiveFormatError:
                    return False
            part = items[start:end]
            roles: list[Any] = list(map(dict.get, part, repeat("role")))
            fields: list[Any] = list(map(dict.get, part, repeat("fields")))
            keys: list[Any] = list(map(dict.get, part, repeat("pk")))
            declared = spool.declared
            if not (
                spool.integer_key
                and set(map(type, roles)) == {str}
                and _ROLE_SET.issuperset(roles)
                and set(map(type, fields)) == {dict}
                and set(map(type, keys)) == {int}
                and (declared is None or all(map(declared.issuperset, fields)))
            ):
                return False
            checked.append((spool, start, end, roles, fields, keys))
        for spool, start, end, roles, fields, keys in checked:
            spool.fresh.extend(keys)
            spool.fresh_lines.extend(range(number + start, number + end))
            spool.fresh_owned.extend(map(eq, roles, repeat("own")))
            spool.fresh_rows.extend(lines[start:end])
            if spool.generic_targets:
                for values in fields:
                    spool.note_targets(values)
            if len(spool.fresh) >= FRESH:
                spool.settle()
        return True

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
            spool.fresh_owned.append(role == "own")
            spool.fresh_rows.append(raw)
            if len(fresh) >= FRESH:
                spool.settle()
        else:
            seen = spool.seen
            if pk in seen:
                raise ArchiveFormatError(
                    f"Line {number}: {label} {pk!r} appears twice in the archive.", line=number
                )
            seen.add(pk)
            if role != "own":
                spool.needed.append(pk)
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


def load_archive(stream: BinaryIO, sorter: Sorter | None = None) -> ArchiveContents:
    """Verify ``stream`` and sort its records per model; raise on any damage.

    ``sorter``: one that files some records without parsing them (a sync's).
    """
    sorter = sorter or Sorter()
    skim = getattr(sorter, "skim", None)
    try:
        summary = read_archive(
            stream, visit=sorter.visit, on_header=sorter.header, skim=skim, take=sorter.take
        )
        sorter.finish()
        for spool in sorter.spools.values():
            spool.settle()
    except ArchiveFormatError as error:
        try:
            damage = _first_damage(sorter, error)
        finally:
            _close(sorter)
        raise damage from None
    except BaseException:
        _close(sorter)
        raise
    return ArchiveContents(
        summary.header,
        summary.sha256,
        sorter.references,
        sorter.spools,
        sorter.links,
        signature=summary.signature_state,
    )


def _close(sorter: Sorter) -> None:
    for spool in sorter.spools.values():
        spool.close()


def _first_damage(sorter: Sorter, error: ArchiveFormatError) -> ArchiveFormatError:
    """The damage of the earliest line: ``error``, or a key repeated before it.

    Integer keys are checked for repeats a batch at a time: one read twice
    before ``error``'s line may not have been checked yet.
    """
    for spool in sorter.spools.values():
        try:
            spool.settle()
        except ArchiveFormatError as repeated:
            if error.line is None or (repeated.line is not None and repeated.line < error.line):
                error = repeated
    return error
