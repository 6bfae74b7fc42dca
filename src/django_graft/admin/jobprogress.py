"""A background job's progress bar: the task writes to Django's cache, the job page reads it.

The operations report their stages and rows through
:mod:`django_graft.render.progress`; :class:`CacheProgress` turns that
into one cache entry per job, ``{"done": rows, "total": rows, "stage":
name}``, in the cache ``GRAFT["PROGRESS_CACHE"]`` names. Writes are
throttled: a stage's start and end, and at most one in between every
:attr:`CacheProgress.interval` seconds. The page can only see it when web
and worker processes share that cache (database, file, Redis, Memcached).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache import caches

from django_graft.conf import graft_settings

logger = logging.getLogger(__name__)

#: How long an entry outlives the job's last report: the page no longer asks by then.
TIMEOUT = 24 * 60 * 60


def cache_key(job_id: str) -> str:
    return f"django_graft.job-progress.{job_id}"


class CacheProgress:
    """Reports one job's progress to the cache, at most every ``interval`` seconds."""

    interval = 0.5

    def __init__(self, job_id: str) -> None:
        self.job_id = job_id
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self._written_at = 0.0
        self._unwritten = False

    def stage(self, name: str, total: int | None) -> None:
        self.finish()
        self.name, self.total, self.done = name, total, 0
        # A stage without a total (collecting, reading) has no bar to draw.
        if total:
            self._write()

    def advance(self, rows: int) -> None:
        self.done += rows
        if not self.total:
            return
        self._unwritten = True
        if self.done >= self.total or time.monotonic() - self._written_at >= self.interval:
            self._write()

    def finish(self) -> None:
        if self._unwritten:
            self._write()

    def _write(self) -> None:
        self._written_at, self._unwritten = time.monotonic(), False
        value = {"done": min(self.done, self.total or 0), "total": self.total, "stage": self.name}
        try:
            caches[graft_settings.PROGRESS_CACHE].set(cache_key(self.job_id), value, TIMEOUT)
        except Exception:
            # A bar is not worth failing a delete for: a cache down (Redis, say)
            # costs the page its bar, the job runs on.
            logger.warning("Cannot report the progress of job %s", self.job_id, exc_info=True)


def read_progress(job_id: str) -> dict[str, Any] | None:
    """The last progress the job reported, or None (none yet, or a cache the page cannot see)."""
    try:
        value = caches[graft_settings.PROGRESS_CACHE].get(cache_key(job_id))
    except Exception:
        # The same as a cache that never saw the job: the page shows the status only.
        logger.warning("Cannot read the progress of job %s", job_id, exc_info=True)
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(key), int) for key in ("done", "total")
    ):
        return None
    return value
