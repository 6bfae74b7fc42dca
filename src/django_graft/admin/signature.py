"""Who may import, from the admin, what this installation did not sign.

With ``GRAFT["ADMIN_IMPORT_REQUIRE_SIGNED"]`` (the default) only a
superuser may import, from the import page or its background job, an
archive this installation did not sign (unsigned, or signed with another
key) or any Django fixture (fixtures are never signed). The rule is decided
before the import is planned: a plan of an archive nobody here vouches for
is not shown to a user who may not import it. The import itself is then
run with ``require_signed`` for such a user, so an archive changed in the
storage between the check and the import is refused too.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django_graft.admin.authorise import is_superuser
from django_graft.archive.reader import read_archive
from django_graft.archive.signing import Signature, describe
from django_graft.conf import graft_settings
from django_graft.fixtures import GRAFT, sniff
from django_graft.storage import open_for_read

SETTING = "GRAFT['ADMIN_IMPORT_REQUIRE_SIGNED']"
_FIXTURE = "a fixture: fixtures are not signed"
_UNSIGNED = "an archive this installation did not sign"


@dataclass(frozen=True)
class Verdict:
    """Who signed the input, and what the user lacks to import it (None: nothing)."""

    text: str
    lacking: str | None


def _state_of(location: str) -> tuple[Signature, str | None]:
    """The signature state of the input at ``location``, and its fixture format if it is one."""
    with open_for_read(location) as raw:
        fmt, stream = sniff(raw, location, None)
        if fmt != GRAFT:
            return Signature.UNSIGNED, fmt
        return read_archive(stream).signature_state, None


def required(user: Any) -> bool:
    """Whether ``user`` may import only what this installation signed."""
    return graft_settings.ADMIN_IMPORT_REQUIRE_SIGNED and not is_superuser(user)


def judge(user: Any, location: str) -> Verdict | None:
    """Refuse a non-superuser an input this installation did not sign; None if the rule is off.

    Reads (and verifies) the whole input; a damaged one raises the reader's error.
    """
    if not required(user):
        return None
    state, fixture = _state_of(location)
    text = describe(state, fixture)
    if fixture is not None:
        return Verdict(text, f"superuser status, to import {_FIXTURE} ({SETTING})")
    if state is not Signature.SIGNED:
        return Verdict(text, f"superuser status, to import {_UNSIGNED} ({SETTING})")
    return Verdict(text, None)
