"""Exports read one snapshot: writers busy in the tree never make an archive dangle."""

from __future__ import annotations

import io
import random
import threading
from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

from django_graft import export
from django_graft.archive.reader import read_archive
from django_graft.importer.links import links_of
from django_graft.importer.scalars import decode_pk
from django_graft.schema.labels import model_label, resolve_model
from tests.settings import TEST_DB
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(TEST_DB == "sqlite", reason="concurrent writers need PostgreSQL or MariaDB"),
]

RUNS = 20


def dangling(data: bytes) -> list[str]:
    """Links of the archive's records to keys it holds neither as records nor references."""
    items = read_archive(io.BytesIO(data), keep_records=True).records
    held: dict[Any, set[Any]] = {}
    for item in items:
        label = item.get("model") or item.get("ref")
        if label:
            model = resolve_model(label)
            held.setdefault(model, set()).add(decode_pk(model, item["pk"]))
    found = []
    for item in items:
        if "model" not in item:
            continue
        model = resolve_model(item["model"])
        for link in links_of(model)[0]:
            value = item["fields"].get(link.name)
            if value is None or not link.via_pk or link.primary_key:
                continue
            if decode_pk(link.target, value) not in held.get(link.target, set()):
                found.append(f"{model_label(model)} {item['pk']}.{link.name} -> {value}")
    return found


def writer(org: m.Organisation, seed: int, stop: threading.Event, done: list[int]) -> None:
    """Add tasks, point existing ones at them, delete others, until told to stop."""
    rng = random.Random(seed)
    projects = list(org.projects.values_list("pk", flat=True))
    try:
        while not stop.is_set():
            try:
                with transaction.atomic():
                    new = m.Task.objects.create(project_id=rng.choice(projects), title="new")
                    tasks = list(
                        m.Task.objects.filter(project__organisation=org).values_list(
                            "pk", flat=True
                        )
                    )
                    m.Task.objects.filter(pk=rng.choice(tasks)).update(blocked_by=new)
                    if rng.random() < 0.5:
                        m.Task.objects.filter(pk=rng.choice(tasks)).delete()
                done.append(1)
            except DatabaseError:
                continue  # a deadlock between writers: try again
    finally:
        connection.close()


def test_exports_never_dangle_while_writers_change_the_tree(world: World) -> None:
    org = m.Organisation.objects.create(name="Busy")
    build_tenant(org, world, size=20)
    stop, done = threading.Event(), list[int]()
    threads = [threading.Thread(target=writer, args=(org, n, stop, done)) for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        problems = []
        for _ in range(RUNS):
            buffer = io.BytesIO()
            export(org, buffer)
            problems.extend(dangling(buffer.getvalue()))
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert len(done) > RUNS, "the writers hardly ran; the test proves nothing"
    assert problems == []
