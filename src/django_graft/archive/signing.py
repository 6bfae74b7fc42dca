"""Sign an archive's sha256 with the installation's key; tell whose signature a trailer holds.

The trailer of every archive django-graft writes carries, next to the
sha256 of the lines before it, ``"signature": "hmac-sha256:<hex>"``: Django's
:func:`~django.utils.crypto.salted_hmac` of that sha256, under a salt that
names django-graft archives, with ``GRAFT["SIGNING_KEY"]`` as the secret, or
``SECRET_KEY`` when that is ``None``. A signature proves one thing: an
installation holding the key wrote the archive. It says nothing of what the
archive holds.

The algorithm is written into the value so that it can change: a reader
that does not know it sees a signature it cannot check, which is not this
installation's.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils.crypto import constant_time_compare, salted_hmac

from django_graft.conf import graft_settings
from django_graft.exceptions import ArchiveError

ALGORITHM = "hmac-sha256"
#: Keeps these signatures apart from every other use of the same secret.
SALT = "django_graft.archive.signing"


class Signature(str, Enum):
    """Who signed an archive, as far as this installation can tell."""

    #: With this installation's key, or one of its fallbacks.
    SIGNED = "signed"
    #: With a key this installation does not hold, or the signature was altered.
    FOREIGN = "foreign"
    #: No signature: an archive from before signing, one made by hand, a fixture.
    UNSIGNED = "unsigned"


def _secrets() -> list[str | bytes]:
    """The secrets this installation signs with (the first) and accepts (all of them)."""
    key = graft_settings.SIGNING_KEY
    fallbacks: list[str | bytes] = list(graft_settings.SIGNING_KEY_FALLBACKS)
    if key is None:
        try:
            key = settings.SECRET_KEY
        except ImproperlyConfigured:  # Django refuses to hand out an empty SECRET_KEY
            raise ArchiveError(
                "Archives are signed with SECRET_KEY, which is empty. Set SECRET_KEY, or "
                "GRAFT['SIGNING_KEY']."
            ) from None
        fallbacks += list(getattr(settings, "SECRET_KEY_FALLBACKS", []))
    return [key, *fallbacks]


def _signature(digest: str, secret: str | bytes) -> str:
    mac = salted_hmac(SALT, digest, secret=secret, algorithm="sha256")
    return f"{ALGORITHM}:{mac.hexdigest()}"


def sign(digest: str) -> str:
    """The signature of an archive whose sha256 is ``digest``, with this installation's key."""
    return _signature(digest, _secrets()[0])


def state_of(digest: str, signature: Any) -> Signature:
    """Whether ``signature`` (a trailer's, or None) is this installation's for ``digest``."""
    if signature is None:
        return Signature.UNSIGNED
    if type(signature) is not str:
        return Signature.FOREIGN
    for secret in _secrets():
        if constant_time_compare(_signature(digest, secret), signature):
            return Signature.SIGNED
    return Signature.FOREIGN


def describe(state: Signature, fixture: str | None = None) -> str:
    """One sentence saying who signed the input, for reports and pages."""
    if fixture is not None:
        return f"Not signed: a Django {fixture} fixture carries no signature."
    if state is Signature.SIGNED:
        return "Signed by this installation."
    if state is Signature.FOREIGN:
        return (
            "Not signed by this installation: the signature was made with another key "
            "(another installation's, or one retired here), or was altered."
        )
    return "Not signed: written before archives were signed, or not by django-graft."
