"""Read and verify an archive once, sorting its lines into one spool file per model.

An import must refuse a damaged archive before it writes anything, so the
whole archive is read and its hash checked first. The records are kept on
disk meanwhile, a temporary file per model, so memory holds the keys of the
archive and never its rows; the writer then reads each model's records back
in whatever order the dependencies between models ask for.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import IO, Any, BinaryIO

from django.db.models import Model

from django_graft.archive.jsonenc import loads
from django_graft.archive.reader import read_archive
from django_graft.exceptions import ArchiveFormatError, GraftError
from django_graft.labels import concrete, resolve_model

from .decode import decode_pk

ROLES = ("own", "need")


@dataclass
class ModelSpool:
    """The records of one model in an archive."""

    model: type[Model]
    label: str
    file: IO[bytes] = field(repr=False)
    #: Keys in archive order, decoded to the primary key's Python type.
    owned: list[Any] = field(default_factory=list)
    needed: list[Any] = field(default_factory=list)

    def key_of(self, record: dict[str, Any]) -> Any:
        """The decoded primary key of one of this model's records."""
        return decode_pk(self.model, record["pk"])

    @property
    def count(self) -> int:
        return len(self.owned) + len(self.needed)

    def records(self, chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        """Yield the parsed records, ``chunk_size`` at a time, in archive order."""
        self.file.seek(0)
        chunk: list[dict[str, Any]] = []
        for line in self.file:
            chunk.append(loads(line))
            if len(chunk) >= chunk_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


@dataclass
class Reference:
    """A reference record: a row the archive points at but does not carry."""

    pk: Any
    natural_key: list[Any] | None
    match: dict[str, Any] | None
    line: int


@dataclass
class ArchiveContents:
    """A verified archive: header, references and records per model."""

    header: dict[str, Any]
    sha256: str
    references: dict[type[Model], list[Reference]]
    spools: dict[type[Model], ModelSpool]

    def close(self) -> None:
        for spool in self.spools.values():
            spool.file.close()


class _Sorter:
    """Receives each verified line and files it under its model."""

    def __init__(self) -> None:
        self.references: dict[type[Model], list[Reference]] = {}
        self.spools: dict[type[Model], ModelSpool] = {}
        self._seen: dict[type[Model], set[Any]] = {}
        self._models: dict[str, type[Model]] = {}

    def _model(self, label: Any, number: int) -> type[Model]:
        model = self._models.get(label)
        if model is None:
            try:
                model = concrete(resolve_model(str(label)))
            except GraftError:
                raise ArchiveFormatError(
                    f"Line {number} names model {label!r}, which is not installed. "
                    "Install the app that defines it, or import into the project the "
                    "archive was written from.",
                    line=number,
                ) from None
            self._models[label] = model
        return model

    def visit(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        if "ref" in item:
            self._reference(number, item)
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
        pk = self._key(model, item.get("pk"), number)
        self.references.setdefault(model, []).append(Reference(pk, natural_key, match, number))

    def _record(self, number: int, raw: bytes, item: dict[str, Any]) -> None:
        model = self._model(item["model"], number)
        role = item.get("role")
        if role not in ROLES:
            raise ArchiveFormatError(
                f"Line {number}: role {role!r} is not one of {', '.join(ROLES)}.", line=number
            )
        if not isinstance(item.get("fields"), dict):
            raise ArchiveFormatError(f"Line {number}: 'fields' must be a JSON object.", line=number)
        pk = self._key(model, item.get("pk"), number)
        seen = self._seen.setdefault(model, set())
        if pk in seen:
            raise ArchiveFormatError(
                f"Line {number}: {item['model']} {pk!r} appears twice in the archive.",
                line=number,
            )
        seen.add(pk)
        spool = self.spools.get(model)
        if spool is None:
            # Closed by ArchiveContents.close(), once the import is done with it.
            spool = ModelSpool(model, str(item["model"]), tempfile.TemporaryFile())  # noqa: SIM115
            self.spools[model] = spool
        (spool.owned if role == "own" else spool.needed).append(pk)
        spool.file.write(raw)

    @staticmethod
    def _key(model: type[Model], value: Any, number: int) -> Any:
        try:
            return decode_pk(model, value)
        except (TypeError, ValueError) as exc:
            raise ArchiveFormatError(
                f"Line {number}: {value!r} is not a valid primary key for "
                f"{model._meta.label_lower} ({exc}).",
                line=number,
            ) from None


def load_archive(stream: BinaryIO) -> ArchiveContents:
    """Verify ``stream`` and sort its records per model; raise on any damage."""
    sorter = _Sorter()
    try:
        summary = read_archive(stream, visit=sorter.visit)
    except BaseException:
        for spool in sorter.spools.values():
            spool.file.close()
        raise
    return ArchiveContents(summary.header, summary.sha256, sorter.references, sorter.spools)
