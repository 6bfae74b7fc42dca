"""What an import did, per model: the object the API returns and the command prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django_graft.archive.signing import Signature, describe
from django_graft.importer.keymap import WrittenKeys


@dataclass
class ModelReport:
    """Counts for one model."""

    label: str
    created: int = 0
    matched: int = 0
    unchanged: int = 0
    """Owned rows already stored with the archive's values: nothing written."""
    updated: int = 0
    skipped: int = 0
    conflicts: int = 0
    created_needed: int = 0
    """Of ``created``: needed rows that no existing row matched, created anew."""
    pruned: int = 0
    """Rows a sync deleted because the archive no longer holds them (and what they owned)."""

    @property
    def total(self) -> int:
        return self.created + self.matched + self.unchanged + self.updated + self.skipped


@dataclass
class Conflict:
    """An archive row that collides with an existing row."""

    label: str
    pk: Any
    #: The field that collides (``None`` for the primary key).
    field: str | None = None
    value: Any = None
    existing: Any = None
    #: What is wrong, where it is neither a taken key nor a taken value.
    reason: str | None = None

    def __str__(self) -> str:
        if self.reason is not None:
            return f"{self.label} {self.pk!r}: {self.reason}"
        if self.field is None:
            return f"{self.label} {self.pk!r}: a row with this key exists and differs"
        return (
            f"{self.label} {self.pk!r}: {self.field}={self.value!r} is already taken by "
            f"the existing row {self.existing!r}"
        )


@dataclass
class ImportResult:
    """The outcome of ``django_graft.import_archive``."""

    using: str
    pks: str
    dry_run: bool
    sha256: str
    models: dict[str, ModelReport] = field(default_factory=dict)
    key_map: dict[str, WrittenKeys] = field(default_factory=dict)
    """{model label: {key in the archive: key in the database}}, for every row written or matched
    (identical keys included). Each model's map is a read-only view of the import's plan
    (:class:`~django_graft.importer.keymap.WrittenKeys`), not a dictionary of its own.
    """
    conflicts: list[Conflict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    relinked: dict[str, int] = field(default_factory=dict)
    """{model label: foreign keys put back on rows outside the archive} (link records)."""
    signature: Signature = Signature.UNSIGNED
    """Whether this installation signed the archive (a fixture is never signed)."""
    fixture: str | None = None
    """The format of the Django fixture imported, or None for an archive."""

    @property
    def signed(self) -> bool:
        """Whether the archive was signed by this installation."""
        return self.signature is Signature.SIGNED

    @property
    def signature_text(self) -> str:
        """The one line every report gives on who signed the input."""
        return describe(self.signature, self.fixture)

    def report(self, label: str) -> ModelReport:
        return self.models.setdefault(label, ModelReport(label))

    @property
    def created(self) -> int:
        return sum(m.created for m in self.models.values())

    def __repr__(self) -> str:
        totals = {
            name: sum(getattr(m, name) for m in self.models.values())
            for name in ("created", "matched", "unchanged", "updated", "skipped")
        }
        counts = ", ".join(f"{n} {name}" for name, n in totals.items())
        dry = "dry run, " if self.dry_run else ""
        return (
            f"<ImportResult {dry}into '{self.using}' ({self.pks} keys): {counts}, "
            f"{len(self.conflicts)} conflicts>"
        )

    def table(self) -> str:
        """The per-model report as aligned text."""
        header: tuple[str, ...] = (
            "model", "created", "matched", "unchanged", "updated", "skipped", "conflicts"
        )  # fmt: skip
        rows: list[tuple[Any, ...]] = [
            (r.label, r.created, r.matched, r.unchanged, r.updated, r.skipped, r.conflicts)
            for r in sorted(self.models.values(), key=lambda r: r.label)
        ]
        if any(r.pruned for r in self.models.values()):
            header += ("pruned",)
            pruned = {r.label: r.pruned for r in self.models.values()}
            rows = [(*row, pruned[row[0]]) for row in rows]
        width = max([len(header[0]), *(len(r[0]) for r in rows)])
        lines = [f"{header[0]:<{width}}  " + "  ".join(f"{h:>9}" for h in header[1:])]
        lines += [f"{r[0]:<{width}}  " + "  ".join(f"{n:>9}" for n in r[1:]) for r in rows]
        anew = [(r.label, r.created_needed) for r in self.models.values() if r.created_needed]
        if anew:
            verb = "Would create" if self.dry_run else "Created"
            counts = ", ".join(f"{label} {n}" for label, n in sorted(anew))
            lines.append(f"{verb} needed rows no existing row matched: {counts}.")
        if self.relinked:
            verb = "Would put back" if self.dry_run else "Put back"
            counts = ", ".join(f"{label} {n}" for label, n in sorted(self.relinked.items()))
            lines.append(f"{verb} the links of rows outside the archive: {counts}.")
        return "\n".join(lines)
