from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.test import override_settings

from tests.objectstores import Store, azure_store, azurite_server, gcs_server, gcs_store, s3_store
from tests.s3server import moto_server
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant, build_world

# gcsfs would otherwise ask Google's gRPC control plane what kind each bucket
# is, which an emulator does not answer (a minute's timeout per bucket).
os.environ.setdefault("GCSFS_EXPERIMENTAL_ZB_HNS_SUPPORT", "false")


@pytest.fixture
def world(db: None) -> World:
    ContentType.objects.clear_cache()
    return build_world(size=1)


@pytest.fixture
def small_and_big(world: World) -> tuple[m.Organisation, m.Organisation]:
    """Two tenants of the same shape: ~70 rows, and ~100 times that."""
    big = m.Organisation.objects.create(name="Big")
    build_tenant(big, world, size=100)
    return world.org, big


@pytest.fixture(scope="session")
def s3_endpoint() -> Iterator[str]:
    """moto's S3 server on 127.0.0.1, for the whole session; failing to start fails the tests."""
    with moto_server() as endpoint:
        yield endpoint


def s3_options(endpoint: str, **extra: Any) -> dict[str, Any]:
    """fsspec options for the S3 server at ``endpoint``."""
    return {
        "endpoint_url": endpoint,
        "key": "testing",
        "secret": "testing",
        "client_kwargs": {"region_name": "us-east-1"},
        "skip_instance_cache": True,
        **extra,
    }


@pytest.fixture
def s3_bucket(s3_endpoint: str, settings: Any) -> tuple[str, Any]:
    """A new, empty bucket; yields its name and a boto3 client that looks straight at it."""
    import boto3

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )
    name = f"graft-{uuid.uuid4().hex[:12]}"
    client.create_bucket(Bucket=name)
    settings.GRAFT = {"STORAGE_OPTIONS": {"s3": s3_options(s3_endpoint)}}
    return name, client


@pytest.fixture(scope="session")
def gcs_endpoint() -> Iterator[str]:
    """gcp-storage-emulator on 127.0.0.1, for the whole session."""
    with gcs_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="session")
def azure_connection() -> Iterator[str]:
    """Azurite on 127.0.0.1, for the whole session; yields its connection string."""
    with azurite_server() as connection_string:
        yield connection_string


@pytest.fixture(params=["s3", "gs", "az"])
def store(request: pytest.FixtureRequest, settings: Any) -> Store:
    """Each object store in turn, a real local server, with django-graft set up to use it."""
    if request.param == "s3":
        endpoint = request.getfixturevalue("s3_endpoint")
        found = s3_store(endpoint, s3_options(endpoint))
    elif request.param == "gs":
        found = gcs_store(request.getfixturevalue("gcs_endpoint"))
    else:
        found = azure_store(request.getfixturevalue("azure_connection"))
    settings.GRAFT = found.graft
    return found


@pytest.fixture
def archive_storage(settings: Any, tmp_path: Path) -> Path:
    """GRAFT["STORAGE"] as a FileSystemStorage in ``tmp_path``, under its own alias.

    Its own alias rather than "default": Django 4.2's override of STORAGES in
    tests also overrides DEFAULT_FILE_STORAGE, which drops the OPTIONS of
    "default".
    """
    settings.STORAGES = {
        **settings.STORAGES,
        "archives": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path)},
        },
    }
    settings.GRAFT = {**(getattr(settings, "GRAFT", None) or {}), "STORAGE": "archives"}
    return tmp_path


@pytest.fixture(params=[None, 1], ids=["keys in Python", "keys in tables"])
def keys_placed(request: pytest.FixtureRequest) -> Iterator[None]:
    """An operation keeping every key in Python, then every key in a temporary table."""
    with override_settings(GRAFT={"SERVER_SIDE_KEYS": request.param}):
        yield


@pytest.fixture(params=[1024, 3, 1], ids=["blocks of 1024 lines", "of 3", "of 1"])
def blocks(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """An archive read a block of so many lines at a time.

    A block of record lines alone is taken in one go, others line by line:
    small blocks put the lines of a small archive in both kinds.
    """
    monkeypatch.setattr("django_graft.archive.reader._BLOCK_LINES", request.param)
