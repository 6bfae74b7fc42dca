"""Every code example of the docs and the README runs, and does what its page says.

The examples run on the example project's embedded default, SQLite, so
they run once per Python and Django, in the suite's SQLite runs.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.docs_examples import ROOT, Block, Workspace, blocks, not_run, pages, seed, shows

pytestmark = pytest.mark.skipif(
    os.environ.get("GRAFT_TEST_DB", "sqlite") != "sqlite",
    reason="the examples run on the example project's SQLite, in the SQLite run",
)


@pytest.fixture(scope="session")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return seed(tmp_path_factory.mktemp("seeded"))


def _pages_with_examples() -> list[Any]:
    return [pytest.param(page, id=str(page.relative_to(ROOT))) for page in pages() if blocks(page)]


@pytest.mark.parametrize("page", _pages_with_examples())
def test_the_examples_of_the_page_run_in_order(page: Path, seeded: Path, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace", seeded)
    printed = ""
    for block in blocks(page):
        where = f"{page.relative_to(ROOT)}:{block.line}"
        if block.language == "output":
            missing = shows(block.code, printed)
            assert missing is None, f"{where}: the output shown has {missing!r}:\n{printed}"
            continue
        try:
            printed = workspace.run_block(block)
        except AssertionError as failure:
            raise AssertionError(f"{where}: {failure}") from None


def test_a_command_the_suite_cannot_run_fails_the_test(tmp_path: Path) -> None:
    workspace = Workspace(tmp_path)
    with pytest.raises(AssertionError, match="NOT_RUN"):
        workspace.run_block(Block("sh", "curl https://example.com\n", 1))
    assert not_run(["pip", "install", "django-graft"])
    assert not not_run(["python", "manage.py", "graft_export"])


def test_a_failing_python_example_fails_the_test(seeded: Path, tmp_path: Path) -> None:
    workspace = Workspace(tmp_path / "workspace", seeded)
    with pytest.raises(AssertionError, match="exited with"):
        workspace.run_block(Block("python", "assert False, 'the page was wrong'\n", 1))


def test_output_is_matched_line_by_line_in_order() -> None:
    printed = "model   would delete\ntotal     102\nArchived 117 rows (sha256 abc), verified.\n"
    assert shows("model would delete\n…\nArchived 117 rows (sha256 …), verified.", printed) is None
    assert shows("total 103", printed) == "total 103"
    assert shows("total 102\nmodel would delete", printed) == "model would delete"
