"""Constants of archive format version 1.

An archive is JSON Lines in UTF-8::

    line 1        header   {"format": "django-graft", "version": 1, "models": {...}, ...}
    lines 2..n-1  records  {"ref": "auth.user", "pk": 3, "natural_key": ["ada"]}
                           {"model": "app.meeting", "pk": 1, "fields": {...}, "role": "own"}
    line n        trailer  {"end": true, "counts": {...}, "references": {...},
                            "sha256": "<hex digest of every byte before this line>"}

Reference records come first, then object records, models parents first.
"""

from __future__ import annotations

FORMAT_NAME = "django-graft"
FORMAT_VERSION = 1
