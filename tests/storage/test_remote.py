"""fsspec URLs: S3, GCS and Azure against real local servers on 127.0.0.1, and memory://."""

from __future__ import annotations

import gzip
import os
import sys
import tempfile
import tracemalloc
from pathlib import Path
from typing import Any

import fsspec
import pytest

from django_graft.exceptions import ArchiveError, DestinationError, MissingDependency
from django_graft.storage import open_for_read, open_for_write
from tests.conftest import s3_options
from tests.objectstores import PART_SIZE_OPTION, Store
from tests.s3server import CuttingProxy
from tests.storage.helpers import MB, Interrupted, write_random, write_then_fail

Bucket = tuple[str, Any]


def keys(bucket: Bucket) -> list[str]:
    name, client = bucket
    return [item["Key"] for item in client.list_objects_v2(Bucket=name).get("Contents", [])]


def pending_uploads(bucket: Bucket) -> list[Any]:
    name, client = bucket
    return list(client.list_multipart_uploads(Bucket=name).get("Uploads", []))


def test_write_then_read_back(store: Store) -> None:
    bucket = store.new_bucket()
    url = store.url(bucket, "archives/a.jsonl")
    with open_for_write(url) as stream:
        stream.write(b'{"hello": 1}\n')
    assert store.keys(bucket) == ["archives/a.jsonl"]
    assert store.read(bucket, "archives/a.jsonl") == b'{"hello": 1}\n'
    with open_for_read(url) as stream:
        assert stream.read() == b'{"hello": 1}\n'


def test_compression_follows_the_key(store: Store) -> None:
    bucket = store.new_bucket()
    url = store.url(bucket, "a.jsonl.gz")
    with open_for_write(url) as stream:
        stream.write(b"x" * 1000)
    assert gzip.decompress(store.read(bucket, "a.jsonl.gz")) == b"x" * 1000
    with open_for_read(url) as stream:
        assert stream.read() == b"x" * 1000


def peak_memory(work: Any) -> int:
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_large_transfers_stream_in_constant_memory_without_local_files(
    store: Store, settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bucket = store.new_bucket()
    options = {**store.options, PART_SIZE_OPTION[store.protocol]: 5 * MB}
    settings.GRAFT = {"STORAGE_OPTIONS": {store.protocol: options}}
    # Anything staged on local disk would land in the temporary folder.
    spool = tmp_path / "tmp"
    spool.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(spool))
    chunk = os.urandom(MB)

    def upload(megabytes: int) -> None:
        with open_for_write(store.url(bucket, f"{megabytes}.bin")) as stream:
            for _ in range(megabytes):
                stream.write(chunk)

    def download(megabytes: int) -> None:
        with open_for_read(store.url(bucket, f"{megabytes}.bin")) as stream:
            total = 0
            while block := stream.read(MB):
                assert block == chunk
                total += len(block)
        assert total == megabytes * MB

    upload(1)  # load the client's modules before measuring
    small, large = peak_memory(lambda: upload(12)), peak_memory(lambda: upload(48))
    # Four times the data, the same memory: parts of 5 MB go up one at a time.
    assert large < small + 2 * MB, (small, large)
    assert store.read(bucket, "48.bin") == chunk * 48
    small, large = peak_memory(lambda: download(12)), peak_memory(lambda: download(48))
    assert large < small + 2 * MB, (small, large)
    assert list(spool.iterdir()) == []


def test_s3_uploads_are_multipart_and_complete(
    s3_bucket: Bucket, s3_endpoint: str, settings: Any
) -> None:
    name, client = s3_bucket
    settings.GRAFT = {"STORAGE_OPTIONS": {"s3": s3_options(s3_endpoint, default_block_size=5 * MB)}}
    write_random(f"s3://{name}/11.bin", 11)
    head = client.head_object(Bucket=name, Key="11.bin")
    assert head["ContentLength"] == 11 * MB
    assert head["ETag"].endswith('-3"')  # a multipart upload of 3 parts
    assert not pending_uploads(s3_bucket)


def test_failure_half_way_leaves_no_object(store: Store) -> None:
    bucket = store.new_bucket()
    with pytest.raises(Interrupted):
        write_then_fail(store.url(bucket, "half.jsonl"), os.urandom(11 * MB))
    assert store.keys(bucket) == []


def test_failure_aborts_the_s3_multipart_upload(s3_bucket: Bucket) -> None:
    with pytest.raises(Interrupted):
        write_then_fail(f"s3://{s3_bucket[0]}/half.jsonl", os.urandom(11 * MB))  # two parts up
    assert keys(s3_bucket) == []
    assert not pending_uploads(s3_bucket)


def test_dropped_connection_mid_upload_leaves_no_object(
    s3_bucket: Bucket, s3_endpoint: str, settings: Any
) -> None:
    port = int(s3_endpoint.rsplit(":", 1)[1])
    proxy = CuttingProxy(port, limit=7 * MB)
    settings.GRAFT = {
        "STORAGE_OPTIONS": {
            "s3": s3_options(
                proxy.endpoint, retries=1, config_kwargs={"retries": {"max_attempts": 1}}
            )
        }
    }
    url = f"s3://{s3_bucket[0]}/dropped.jsonl"
    try:
        with pytest.raises(DestinationError) as info:
            write_random(url, 20)
    finally:
        proxy.close()
    assert proxy.cut.is_set()
    assert str(info.value).startswith(f"Writing the archive to '{url}' failed (")
    assert "Nothing was written there." in str(info.value)
    assert keys(s3_bucket) == []


def test_missing_object(store: Store) -> None:
    url = store.url(store.new_bucket(), "nothing.jsonl")
    with pytest.raises(ArchiveError) as info, open_for_read(url):
        pass
    assert str(info.value) == f"Cannot read archive '{url}': there is no such object."


def test_missing_bucket(store: Store) -> None:
    url = store.url(f"{store.new_bucket()}-absent", "a.jsonl")
    with pytest.raises(DestinationError) as info, open_for_write(url) as stream:
        stream.write(b"x")
    assert str(info.value).startswith(f"Writing the archive to '{url}' failed (")


def test_missing_library_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)
    monkeypatch.delitem(sys.modules["fsspec.registry"]._registry, "s3", raising=False)
    with pytest.raises(MissingDependency) as info, open_for_write("s3://bucket/a.jsonl"):
        pass
    assert info.value.extra == "s3"
    assert str(info.value) == (
        "'s3://bucket/a.jsonl' needs s3fs, which is not installed: pip install 'django-graft[s3]'."
    )


def test_gcs_without_gcsfs_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "gcsfs", None)
    monkeypatch.delitem(sys.modules["fsspec.registry"]._registry, "gs", raising=False)
    with pytest.raises(MissingDependency) as info, open_for_read("gs://bucket/a.jsonl"):
        pass
    assert "pip install 'django-graft[gcs]'" in str(info.value)


def test_unknown_protocol() -> None:
    with pytest.raises(DestinationError) as info, open_for_write("nosuch://x/a.jsonl"):
        pass
    assert str(info.value).startswith(
        "'nosuch://x/a.jsonl' is not a URL any installed fsspec filesystem understands"
    )


def test_memory_filesystem_commits_only_complete_archives() -> None:
    memory = fsspec.filesystem("memory")
    with open_for_write("memory://graft/ok.jsonl.xz") as stream:
        stream.write(b"complete")
    with open_for_read("memory://graft/ok.jsonl.xz") as stream:
        assert stream.read() == b"complete"
    with pytest.raises(Interrupted):
        write_then_fail("memory://graft/broken.jsonl", b"half")
    assert memory.ls("/graft", detail=False) == ["/graft/ok.jsonl.xz"]
    memory.rm("/graft", recursive=True)
