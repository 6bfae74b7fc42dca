"""Compression: chosen by the name's extension when writing, by magic bytes when reading.

Reading by content rather than by name means a compressed archive piped
through standard input, or stored under a name without an extension, still
reads.
"""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO, cast

from django_graft.exceptions import ArchiveFormatError, MissingDependency

#: extension -> codec name
EXTENSIONS = {".gz": "gzip", ".bz2": "bzip2", ".xz": "xz", ".zst": "zstd"}

_MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)


def codec_for_name(name: str) -> str | None:
    """The codec a name's extension asks for, or None."""
    lowered = name.lower()
    for extension, codec in EXTENSIONS.items():
        if lowered.endswith(extension):
            return codec
    return None


def strip_compression(name: str) -> str:
    """``name`` without its compression extension: ``a.json.gz`` -> ``a.json``."""
    codec = codec_for_name(name)
    return name.rsplit(".", 1)[0] if codec else name


def _zstandard() -> Any:
    try:
        import zstandard
    except ImportError:
        raise MissingDependency(
            "Zstandard archives (.zst) need the zstandard library: "
            "pip install 'django-graft[zstd]'.",
            extra="zstd",
        ) from None
    return zstandard


def _codec_stream(codec: str, stream: BinaryIO, mode: Any, name: str = "") -> BinaryIO:
    """A ``mode`` ("rb" or "wb") stream of ``codec`` over ``stream``, which it leaves open."""
    # The standard library's stubs type each mode separately; one stream serves both here.
    inner: Any = stream
    if codec == "gzip":
        return cast(BinaryIO, gzip.GzipFile(filename=name, fileobj=inner, mode=mode))
    if codec == "bzip2":
        return cast(BinaryIO, bz2.BZ2File(inner, mode))
    if codec == "xz":
        return cast(BinaryIO, lzma.LZMAFile(inner, mode))
    zstandard = _zstandard()
    if mode == "wb":
        return cast(BinaryIO, zstandard.ZstdCompressor().stream_writer(inner, closefd=False))
    # Buffered so that it reads line by line, which the bare reader does not.
    reader = zstandard.ZstdDecompressor().stream_reader(inner, closefd=False)
    return cast(BinaryIO, io.BufferedReader(reader, buffer_size=1 << 16))


@contextlib.contextmanager
def compressed(raw: BinaryIO, name: str) -> Iterator[BinaryIO]:
    """Yield a stream compressing into ``raw`` as ``name``'s extension asks.

    The compressor is closed (its trailer written) before this returns, and
    ``raw`` is left open for its owner to commit.
    """
    codec = codec_for_name(name)
    if codec is None:
        yield raw
        return
    with _codec_stream(codec, raw, "wb", strip_compression(Path(name).name)) as stream:
        yield stream


def _decompression_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [EOFError, OSError, zlib.error, lzma.LZMAError]
    try:
        import zstandard

        errors.append(zstandard.ZstdError)
    except ImportError:
        pass
    return tuple(errors)


class _Checked(io.RawIOBase):
    """Decompressed bytes; damaged or cut-off compressed data is an archive error.

    The codecs raise what they like (``EOFError``, ``BadGzipFile``, ``OSError``,
    ``LZMAError``...); whoever reads sees :class:`ArchiveFormatError`.
    """

    def __init__(self, inner: BinaryIO, codec: str) -> None:
        self._inner = inner
        self._codec = codec
        self._errors = _decompression_errors()

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            data = self._inner.read(len(buffer))
        except self._errors as exc:
            raise ArchiveFormatError(
                f"The {self._codec} data cannot be decompressed ({type(exc).__name__}: {exc}): "
                "the archive is truncated or damaged."
            ) from None
        buffer[: len(data)] = data
        return len(data)


class _Replay(io.RawIOBase):
    """A stream that gives back bytes already read from ``inner``, then the rest of it."""

    def __init__(self, head: bytes, inner: BinaryIO) -> None:
        self._head = head
        self._inner = inner

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            size = min(len(view), len(self._head))
            view[:size] = self._head[:size]
            self._head = self._head[size:]
            return size
        data = self._inner.read(len(view))
        view[: len(data)] = data
        return len(data)


def read_ahead(stream: BinaryIO, size: int) -> tuple[bytes, BinaryIO]:
    """The first ``size`` bytes of ``stream``, and a stream that still starts with them."""
    head = stream.read(size)
    return head, cast(BinaryIO, io.BufferedReader(_Replay(head, stream), buffer_size=1 << 16))


@contextlib.contextmanager
def decompressed(raw: BinaryIO) -> Iterator[BinaryIO]:
    """Yield ``raw``'s content, decompressed when its first bytes name a codec."""
    head, stream = read_ahead(raw, 6)
    codec = next((name for magic, name in _MAGIC if head.startswith(magic)), None)
    if codec is None:
        yield stream
        return
    with _codec_stream(codec, stream, "rb") as inner:
        yield cast(BinaryIO, io.BufferedReader(_Checked(inner, codec), buffer_size=1 << 16))
