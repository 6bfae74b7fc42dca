"""fsspec URLs (``s3://``, ``gs://``, ``az://``, ``memory://``, ...).

Object stores are written as the archive is made, a part at a time, and
the object appears only once the last part is in:

- S3: a multipart upload opened with ``autocommit=False``, completed by
  ``commit()``, aborted by ``discard()``;
- Google Cloud Storage: a resumable upload, likewise finalised by
  ``commit()``; on failure it is left unfinished, never readable, and the
  service drops it after a week;
- Azure: blocks staged as they come, committed as a block list on close;
  on failure none is committed, and the service drops uncommitted blocks
  after a week.

A failure half way never leaves an object behind, nor does a killed
process. Other filesystems are written under a temporary name beside the
target and moved into place when done.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from typing import Any, BinaryIO, cast

from django_graft.conf import graft_settings
from django_graft.exceptions import ArchiveError, DestinationError, GraftError, MissingDependency
from django_graft.storage.failures import failure, summary

logger = logging.getLogger("django_graft.storage")

#: URL protocol -> (the extra that installs its library, the library)
EXTRAS = {
    "s3": ("s3", "s3fs"),
    "s3a": ("s3", "s3fs"),
    "gs": ("gcs", "gcsfs"),
    "gcs": ("gcs", "gcsfs"),
    "az": ("azure", "adlfs"),
    "abfs": ("azure", "adlfs"),
    "abfss": ("azure", "adlfs"),
}


#: How an object store keeps what is written out of sight until the end,
#: as the tests show against each store's local server. Any other
#: filesystem is written under a temporary name and moved into place.
#: "commit": opened with ``autocommit=False`` and finished by ``commit()``;
#: "close": finished by ``close()``, which commits the staged blocks.
FINISH = {
    "s3": "commit",
    "s3a": "commit",
    "gs": "commit",
    "gcs": "commit",
    "az": "close",
    "abfs": "close",
    "abfss": "close",
}

#: Options for reading, by protocol: gcsfs would otherwise read ahead
#: adaptively, up to 256 MB for a long sequential read; one block at a
#: time keeps an import's memory the same for any size of archive.
READ_OPTIONS: dict[str, dict[str, Any]] = {
    "gs": {"cache_type": "readahead"},
    "gcs": {"cache_type": "readahead"},
}

#: Where an unfinished upload can be aborted at once (S3 bills the parts
#: of an unfinished multipart upload until it is).
ABORTABLE = frozenset({"s3", "s3a"})


def protocol_of(url: str) -> str:
    return url.split("://", 1)[0].lower()


def _missing(url: str) -> MissingDependency:
    protocol = protocol_of(url)
    extra, library = EXTRAS.get(protocol, ("fsspec", f"the fsspec filesystem for '{protocol}'"))
    return MissingDependency(
        f"'{url}' needs {library}, which is not installed: pip install 'django-graft[{extra}]'.",
        extra=extra,
    )


def filesystem(url: str) -> tuple[Any, str]:
    """The fsspec filesystem and the path within it for ``url``.

    Options for the filesystem come from ``GRAFT["STORAGE_OPTIONS"][protocol]``.
    """
    try:
        import fsspec.core
    except ImportError:
        raise _missing(url) from None
    options = graft_settings.STORAGE_OPTIONS.get(protocol_of(url), {})
    try:
        fs, path = fsspec.core.url_to_fs(url, **options)
    except ImportError:
        raise _missing(url) from None
    except ValueError as exc:
        raise DestinationError(
            f"'{url}' is not a URL any installed fsspec filesystem understands ({exc}). "
            "Check the protocol, or give a local path.",
            path=url,
        ) from None
    return fs, path


class _Guarded:
    """A remote file whose library errors come out as django-graft errors."""

    def __init__(self, inner: Any, url: str, *, writing: bool) -> None:
        self._inner = inner
        self._url = url
        self._writing = writing

    def error(self, exc: Exception) -> GraftError:
        doing = "Writing the archive to" if self._writing else "Reading the archive"
        outcome = " Nothing was written there." if self._writing else ""
        return failure(
            self._url,
            f"{doing} '{self._url}' failed ({summary(exc)}).{outcome} Check the "
            "connection and the credentials, and run again.",
            writing=self._writing,
        )

    def write(self, data: bytes) -> int:
        try:
            return int(self._inner.write(data))
        except GraftError:
            raise
        except Exception as exc:
            raise self.error(exc) from exc

    def read(self, size: int = -1) -> bytes:
        try:
            return bytes(self._inner.read(size))
        except Exception as exc:
            raise self.error(exc) from exc

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _open_for_writing(fs: Any, path: str, url: str, **options: Any) -> Any:
    try:
        return fs.open(path, "wb", **options)
    except Exception as exc:
        raise DestinationError(
            f"Cannot write archive to '{url}': {summary(exc)}. Check the bucket or "
            "container, the credentials and GRAFT['STORAGE_OPTIONS'].",
            path=url,
        ) from exc


@contextlib.contextmanager
def write_remote(url: str) -> Iterator[BinaryIO]:
    """Yield a stream whose bytes appear at ``url`` only once all are written."""
    fs, path = filesystem(url)
    protocol = protocol_of(url)
    finish = FINISH.get(protocol)
    # Elsewhere the bytes go to a temporary name beside the target, moved into place at the end.
    temporary = None if finish else f"{path}.{uuid.uuid4().hex}.partial"
    options = {"autocommit": False} if finish == "commit" else {}
    handle = _open_for_writing(fs, temporary or path, url, **options)
    guarded = _Guarded(handle, url, writing=True)
    try:
        yield cast(BinaryIO, guarded)
        try:
            handle.close()
            if finish == "commit":
                handle.commit()
            elif temporary is not None:
                fs.mv(temporary, path)
        except Exception as exc:
            raise guarded.error(exc) from exc
    except BaseException:
        _discard(fs, handle, temporary, url, abort=protocol in ABORTABLE)
        raise


def _discard(fs: Any, handle: Any, temporary: str | None, url: str, *, abort: bool) -> None:
    try:
        if temporary is not None:
            handle.close()
            fs.rm(temporary)
        elif abort:
            handle.discard()
        # Otherwise the upload is left unfinished: closing would complete it.
    except Exception as exc:
        # The upload was never completed, so nothing reads as an archive; an
        # unfinished multipart upload stays until the bucket's lifecycle
        # rule removes it.
        logger.warning("Could not abort the unfinished upload to %s: %s", url, summary(exc))
    finally:
        # A file object that failed half way must not try to finish the
        # upload when it is garbage-collected.
        with contextlib.suppress(AttributeError):
            handle.closed = True


def remote_exists(url: str) -> bool:
    fs, path = filesystem(url)
    try:
        return bool(fs.isfile(path))
    except Exception as exc:
        raise ArchiveError(
            f"Cannot tell whether '{url}' exists: {summary(exc)}. Check the credentials and "
            "GRAFT['STORAGE_OPTIONS']."
        ) from exc


@contextlib.contextmanager
def read_remote(url: str) -> Iterator[BinaryIO]:
    fs, path = filesystem(url)
    try:
        handle = fs.open(path, "rb", **READ_OPTIONS.get(protocol_of(url), {}))
    except FileNotFoundError:
        raise ArchiveError(f"Cannot read archive '{url}': there is no such object.") from None
    except Exception as exc:
        raise ArchiveError(
            f"Cannot read archive '{url}': {summary(exc)}. Check the credentials and "
            "GRAFT['STORAGE_OPTIONS']."
        ) from exc
    with handle:
        yield cast(BinaryIO, _Guarded(handle, url, writing=False))
