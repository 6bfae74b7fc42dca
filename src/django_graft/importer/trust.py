"""What an import takes only from an archive this installation signed: link records.

A link record changes a row the archive does not carry (it puts back a
foreign key a delete set to NULL), so whoever writes one can re-point rows
of the target database that no other record of the archive touches. Only
a delete of this installation writes them; an archive that is not signed
here may carry them only when the caller says it trusts where the archive
came from.
"""

from __future__ import annotations

from django_graft.archive.signing import Signature
from django_graft.exceptions import UntrustedArchive
from django_graft.labels import model_label

from .source import ArchiveContents


def check_link_records(contents: ArchiveContents, *, trust_unsigned: bool) -> None:
    """Refuse the link records of an archive not signed here, unless ``trust_unsigned``."""
    if not contents.links or trust_unsigned or contents.signature is Signature.SIGNED:
        return
    counts = ", ".join(
        f"{model_label(model)} {len(items)}"
        for model, items in sorted(contents.links.items(), key=lambda item: model_label(item[0]))
    )
    unsigned = (
        "is not signed"
        if contents.signature is Signature.UNSIGNED
        else "is signed with a key this installation does not hold, or its signature was altered"
    )
    raise UntrustedArchive(
        f"The archive carries link records ({counts}), which change rows outside it, and "
        f"{unsigned}. Link records are applied only from archives this installation "
        "signed. Nothing was written. If you trust where the archive came from, import it with "
        "graft_import --trust-unsigned (trust_unsigned=True in Python).",
        signature=contents.signature.value,
    )
