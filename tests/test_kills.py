"""Killed with SIGKILL at random points, an operation leaves the database as it was.

An import, a clone and a delete-with-archive run as management commands in
a second process (``tests.killpoint``), which kills itself as its N-th SQL
statement is about to run, or as it is about to commit. The points are 20
statement numbers drawn at random from all the operation has, plus the
commit; every table of the database is compared, row by row, before and
after each kill. Set ``GRAFT_KILL_SEED`` to replay a run: a failure names
its seed.
"""

from __future__ import annotations

import os
import random
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connections

from django_graft import export, import_archive
from django_graft.archive.reader import read_archive
from django_graft.storage import open_for_read
from tests.settings import TEST_DB
from tests.testapp import models as m
from tests.testapp.world import World, build_tenant

pytestmark = [
    pytest.mark.django_db(transaction=True, databases=["default", "other"]),
    pytest.mark.skipif(
        TEST_DB == "sqlite", reason="a second process cannot open an in-memory SQLite database"
    ),
]

KILLS = 20
ROOT = Path(__file__).resolve().parent.parent
# The paths pytest adds (pyproject's pythonpath), for the second process.
ENVIRONMENT = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "example")])}
SEED = int(os.environ.get("GRAFT_KILL_SEED") or random.randrange(2**32))


def database_state(using: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of ``using``, sorted."""
    connection = connections[using]
    quote = connection.ops.quote_name
    state = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f"SELECT * FROM {quote(table)}")
            state[table] = sorted(cursor.fetchall(), key=repr)
    return state


def killed(point: int | str, command: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``command`` in a second process killed at ``point``; fail if it was not killed."""
    run = subprocess.run(
        [sys.executable, "-m", "tests.killpoint", str(point), "--", *command],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=ENVIRONMENT,
    )  # fmt: skip
    assert run.returncode == -signal.SIGKILL, (
        f"{command} was not killed at {point} (exit {run.returncode}):\n{run.stderr}{run.stdout}"
    )
    return run


def kill_points(command: list[str]) -> Iterator[int | str]:
    """The commit, then 20 statements drawn at random from those ``command`` runs."""
    counted = killed("commit", command)
    yield "commit"
    found = re.search(r"statements: (\d+)", counted.stdout)
    assert found, counted.stdout
    total = int(found.group(1))
    assert total > KILLS, f"{command} runs only {total} statements"
    yield from sorted(random.Random(SEED).sample(range(1, total + 1), KILLS))


def survives_kills(command: list[str]) -> list[int | str]:
    """Kill ``command`` at every point; after each, both databases must be as they were."""
    before = {alias: database_state(alias) for alias in ("default", "other")}
    points = []
    for point in kill_points(command):
        killed(point, command)
        for alias, state in before.items():
            assert database_state(alias) == state, (
                f"{command} killed at {point} changed {alias} (GRAFT_KILL_SEED={SEED})"
            )
        points.append(point)
    return points


@pytest.fixture
def busy_org(world: World) -> m.Organisation:
    org: m.Organisation = m.Organisation.objects.create(name="Busy")
    build_tenant(org, world, size=5)
    return org


def test_a_killed_import_writes_nothing(
    world: World, busy_org: m.Organisation, tmp_path: Path
) -> None:
    # The target already holds rows: another tenant, imported before.
    first, archive = tmp_path / "acme.jsonl.gz", tmp_path / "busy.jsonl.gz"
    export(world.org, str(first))
    import_archive(str(first), using="other")
    export(busy_org, str(archive))
    command = ["graft_import", str(archive), "--database", "other", "--pks", "remap"]
    assert len(survives_kills(command)) == KILLS + 1
    call_command(*command, "--no-progress", verbosity=0)  # and then it runs
    assert m.Organisation.objects.using("other").filter(name="Busy").exists()


def test_a_killed_clone_writes_nothing(busy_org: m.Organisation) -> None:
    root = f"testapp.Organisation:{busy_org.pk}"
    command = ["graft_clone", root, "--set", "testapp.Organisation.name=Copy"]
    assert len(survives_kills(command)) == KILLS + 1
    rows_before = m.Task.objects.count()
    call_command(*command, "--no-progress", verbosity=0)
    assert m.Task.objects.count() > rows_before


def test_a_killed_delete_deletes_nothing_and_leaves_no_partial_archive(
    busy_org: m.Organisation, tmp_path: Path
) -> None:
    before = {alias: database_state(alias) for alias in ("default", "other")}
    complete = partials = 0
    points = list(kill_points(_delete_command(busy_org, tmp_path / "counted.jsonl.gz")))
    for n, point in enumerate(points):
        destination = tmp_path / f"deleted-{n}.jsonl.gz"
        killed(point, _delete_command(busy_org, destination))
        assert {alias: database_state(alias) for alias in before} == before, (
            f"the delete killed at {point} changed the database (GRAFT_KILL_SEED={SEED})"
        )
        if destination.exists():
            # Killed after the archive was complete, verified and in place,
            # before the rows went: an archive of rows that are all still there.
            with open_for_read(str(destination)) as stream:
                read_archive(stream)
            complete += 1
        # What SIGKILL may leave besides: the hidden partial file the archive
        # was being written to, never under the archive's name.
        left = {p.name for p in tmp_path.iterdir() if destination.name in p.name}
        partial = {name for name in left if name.startswith(".") and name.endswith(".partial")}
        assert left - partial == ({destination.name} if destination.exists() else set())
        partials += len(partial)
    # The commit point at least falls after the archive, the first statements before it.
    assert len(points) == KILLS + 1 and 1 <= complete < len(points)
    print(f"delete: {len(points)} kills, {complete} after the archive was in place, "
          f"{partials} partial file(s) left (GRAFT_KILL_SEED={SEED})")  # fmt: skip
    call_command(*_delete_command(busy_org, tmp_path / "final.jsonl.gz"))
    assert not m.Organisation.objects.filter(pk=busy_org.pk).exists()


def _delete_command(org: m.Organisation, destination: Path) -> list[str]:
    return [
        "graft_delete", f"testapp.Organisation:{org.pk}", "--archive", str(destination),
        "--no-input", "--no-progress", "--verbosity", "0",
    ]  # fmt: skip
