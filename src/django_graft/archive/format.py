"""Constants of archive format version 1.

An archive is JSON Lines in UTF-8::

    line 1        header   {"format": "django-graft", "version": 1, "models": {...}, ...}
    lines 2..n-1  records  {"ref": "auth.user", "pk": 3, "natural_key": ["ada"]}
                           {"model": "app.meeting", "pk": 1, "fields": {...}, "role": "own"}
                           {"link": "app.audit", "pk": 7, "fields": {"meeting": 1},
                            "after": {"meeting": null}}
    line n        trailer  {"end": true, "counts": {...}, "references": {...},
                            "links": {...}, "sha256": "<hex digest of every byte before this line>",
                            "signature": "hmac-sha256:<hex>"}

Reference records come first, then object records, models parents first,
then link records. A link record names a row *outside* the archive whose
foreign keys point into it and which a delete changes (``SET_NULL`` and the
like): ``fields`` holds the values before the delete, ``after`` what the
delete writes where that is known. Only archives written by a delete carry
them, and the trailer's ``links`` only appears when there are some.

The trailer's ``signature`` signs its ``sha256`` with the writing
installation's key (:mod:`.signing`); it is not part of what the hash
covers. Archives written before signing have none, and still read.
"""

from __future__ import annotations

FORMAT_NAME = "django-graft"
FORMAT_VERSION = 1
