"""The object stores archives go to, each a real local server on 127.0.0.1.

- S3: moto's server mode (:mod:`tests.s3server`);
- Google Cloud Storage: ``gcp-storage-emulator`` from PyPI;
- Azure Blob Storage: Azurite, from npm, run by Node.js.

A :class:`Store` is one running server seen two ways: the fsspec options
django-graft is given (``GRAFT["STORAGE_OPTIONS"]``), and the service's own
client or HTTP API, which the tests use as their oracle: what is in a
bucket, and what an object holds, is read without fsspec.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[1]

#: Azurite's well-known development account (public, documented by Microsoft).
AZURE_ACCOUNT = "devstoreaccount1"
AZURE_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)

#: Where scripts/test.sh installs Azurite (``npm install --prefix build/azurite``).
AZURITE = ROOT / "build" / "azurite" / "node_modules" / ".bin" / "azurite-blob"


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def serve(name: str, command: list[str], probe: str, **popen: Any) -> Iterator[None]:
    """Run ``command`` until the context ends; ready once ``probe`` answers at all."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **popen)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                error = process.stderr.read().decode() if process.stderr else ""
                raise RuntimeError(f"The {name} exited at start:\n{error}")
            try:
                urllib.request.urlopen(probe, timeout=1).close()
                break
            except urllib.error.HTTPError:
                break  # an answer, if not a welcome one: the server is up
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"The {name} did not answer {probe} within 60 s.") from None
                time.sleep(0.1)
        yield
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # Azurite may take its time over SIGTERM
            process.kill()
            process.wait(timeout=10)
        if process.stderr:
            process.stderr.close()


@contextlib.contextmanager
def gcs_server() -> Iterator[str]:
    """gcp-storage-emulator on loopback, in memory; yields its endpoint URL."""
    endpoint = f"http://{HOST}:{free_port()}"
    port = endpoint.rsplit(":", 1)[1]
    command = [sys.executable, "-m", "gcp_storage_emulator", "start", "-H", HOST, "--port", port]
    with serve("GCS emulator", [*command, "-q", "-M"], f"{endpoint}/"):
        yield endpoint


def azurite_command() -> str:
    found = os.environ.get("GRAFT_AZURITE") or shutil.which("azurite-blob")
    if found:
        return found
    if AZURITE.exists():
        return str(AZURITE)
    raise RuntimeError(
        "Azurite, the Azure Storage emulator the tests run, is not installed: "
        "npm install --prefix build/azurite azurite@3 (scripts/test.sh does), "
        "or set GRAFT_AZURITE to its azurite-blob command."
    )


@contextlib.contextmanager
def azurite_server() -> Iterator[str]:
    """Azurite's blob service on loopback, in a temporary folder; yields its connection string."""
    port = str(free_port())
    with tempfile.TemporaryDirectory(prefix="graft-azurite-") as folder:
        command = [
            azurite_command(),
            *("--blobHost", HOST, "--blobPort", port, "--location", folder),
            *("--silent", "--skipApiVersionCheck", "--disableProductStyleUrl"),
        ]
        endpoint = f"http://{HOST}:{port}/{AZURE_ACCOUNT}"
        with serve("Azurite blob server", command, f"{endpoint}?comp=list"):
            yield (
                f"DefaultEndpointsProtocol=http;AccountName={AZURE_ACCOUNT};"
                f"AccountKey={AZURE_KEY};BlobEndpoint={endpoint};"
            )


@dataclass
class Store:
    """One running object store: django-graft's options for it, and the service's own view."""

    protocol: str
    options: dict[str, Any]
    new_bucket: Callable[[], str]
    #: The names of the complete objects in a bucket.
    keys: Callable[[str], list[str]]
    #: The bytes of one object.
    read: Callable[[str, str], bytes]
    #: The names of uploads begun and never finished, where the service can tell.
    unfinished: Callable[[str], list[str]] | None = None

    def url(self, bucket: str, key: str) -> str:
        return f"{self.protocol}://{bucket}/{key}"

    @property
    def graft(self) -> dict[str, Any]:
        return {"STORAGE_OPTIONS": {self.protocol: self.options}}


def _bucket_name() -> str:
    return f"graft-{uuid.uuid4().hex[:12]}"


def s3_store(endpoint: str, options: dict[str, Any]) -> Store:
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )

    def new_bucket() -> str:
        name = _bucket_name()
        client.create_bucket(Bucket=name)
        return name

    def keys(bucket: str) -> list[str]:
        return [item["Key"] for item in client.list_objects_v2(Bucket=bucket).get("Contents", [])]

    def read(bucket: str, key: str) -> bytes:
        return bytes(client.get_object(Bucket=bucket, Key=key)["Body"].read())

    def unfinished(bucket: str) -> list[str]:
        uploads = client.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
        return [upload["Key"] for upload in uploads]

    return Store("s3", options, new_bucket, keys, read, unfinished)


def gcs_store(endpoint: str) -> Store:
    """The emulator through Google's JSON API over plain HTTP."""
    api = f"{endpoint}/storage/v1/b"

    def call(url: str, body: dict[str, Any] | None = None) -> bytes:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
        request.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(request, timeout=30) as answer:
            return bytes(answer.read())

    def new_bucket() -> str:
        name = _bucket_name()
        call(f"{api}?project=graft-tests", {"name": name})
        return name

    def keys(bucket: str) -> list[str]:
        return [item["name"] for item in json.loads(call(f"{api}/{bucket}/o")).get("items", [])]

    def read(bucket: str, key: str) -> bytes:
        quoted = urllib.parse.quote(key, safe="")
        return call(f"{endpoint}/download/storage/v1/b/{bucket}/o/{quoted}?alt=media")

    options = {
        "endpoint_url": endpoint,
        "token": "anon",
        "project": "graft-tests",
        "skip_instance_cache": True,
    }
    return Store("gs", options, new_bucket, keys, read)


def azure_store(connection_string: str) -> Store:
    from azure.storage.blob import BlobServiceClient

    service = BlobServiceClient.from_connection_string(connection_string)

    def new_bucket() -> str:
        name = _bucket_name()
        service.create_container(name)
        return name

    def keys(bucket: str) -> list[str]:
        return [blob.name for blob in service.get_container_client(bucket).list_blobs()]

    def read(bucket: str, key: str) -> bytes:
        return bytes(service.get_blob_client(bucket, key).download_blob().readall())

    def unfinished(bucket: str) -> list[str]:
        blobs = service.get_container_client(bucket).list_blobs(include=["uncommittedblobs"])
        return sorted({blob.name for blob in blobs} - set(keys(bucket)))

    options = {"connection_string": connection_string, "skip_instance_cache": True}
    return Store("az", options, new_bucket, keys, read, unfinished)


#: The option that sets each store's part (or block) size, for tests of memory.
PART_SIZE_OPTION = {"s3": "default_block_size", "gs": "block_size", "az": "blocksize"}
