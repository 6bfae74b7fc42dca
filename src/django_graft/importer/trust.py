"""What an import takes only from an archive this installation signed.

Link records, always: a link record changes a row the archive does not
carry (it puts back a foreign key a delete set to NULL), so whoever writes
one can re-point rows of the target database that no other record of the
archive touches. Only a delete of this installation writes them; an
archive that is not signed here may carry them only when the caller says
it trusts where the archive came from. A sync's word on its source, too:
a sync updates and prunes the rows an earlier sync of the same source and
tree created, so an archive naming another's source and roots could
rewrite or delete that tree. Everything, when the caller requires a
signature (the admin does, for users who are not superusers).
"""

from __future__ import annotations

from django_graft.archive.signing import Signature, describe
from django_graft.exceptions import UntrustedArchive
from django_graft.importer.source import ArchiveContents
from django_graft.schema.labels import model_label


def check_link_records(contents: ArchiveContents, *, trust_unsigned: bool) -> None:
    """Refuse the link records of an archive not signed here, unless ``trust_unsigned``."""
    if not contents.links or trust_unsigned or contents.signature is Signature.SIGNED:
        return
    counts = ", ".join(
        f"{model_label(model)} {len(items)}"
        for model, items in sorted(contents.links.items(), key=lambda item: model_label(item[0]))
    )
    raise UntrustedArchive(
        f"The archive carries link records ({counts}), which change rows outside it, and "
        f"{_how_signed(contents)}. Link records are applied only from archives this installation "
        "signed. Nothing was written. If you trust where the archive came from, import it with "
        "graft_import --trust-unsigned (trust_unsigned=True in Python).",
        signature=contents.signature.value,
    )


def check_sync_source(contents: ArchiveContents, *, trust_unsigned: bool) -> None:
    """Refuse to sync from an archive not signed here, unless ``trust_unsigned``."""
    if trust_unsigned or contents.signature is Signature.SIGNED:
        return
    raise UntrustedArchive(
        f"A sync takes the archive's word on the installation and tree it comes from, and "
        f"updates and prunes the rows an earlier sync of them created; this archive "
        f"{_how_signed(contents)}. Nothing was written. Sign archives with a GRAFT"
        "['SIGNING_KEY'] both installations share, or, if you trust where this one came "
        "from, sync it with graft_import --trust-unsigned (trust_unsigned=True in Python).",
        signature=contents.signature.value,
    )


def check_signed(contents: ArchiveContents, *, required: bool) -> None:
    """Refuse an input this installation did not sign (fixtures included) when ``required``."""
    if not required or contents.signature is Signature.SIGNED:
        return
    what = "fixture" if contents.fixture is not None else "archive"
    raise UntrustedArchive(
        f"Only an archive this installation signed may be imported here. "
        f"{describe(contents.signature, contents.fixture)} Nothing was written. A superuser "
        f"can import this {what}, or graft_import on the command line.",
        signature=contents.signature.value,
    )


def _how_signed(contents: ArchiveContents) -> str:
    if contents.signature is Signature.UNSIGNED:
        return "is not signed"
    return "is signed with a key this installation does not hold, or its signature was altered"
