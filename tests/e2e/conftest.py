"""A real headless Chromium (Debian's), driven by Playwright, against the live test server.

The browser is the system's: Playwright's own download is never used. A
missing browser fails these tests rather than skipping them. Screenshots of
each page are written to ``build/screenshots/django-<major>/``, one folder
per major version of Django, to look at side by side.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import django
import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls the
# tests make beside it are synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "build" / "screenshots" / f"django-{django.VERSION[0]}"
)
#: Flags for a browser with no network but the test server's.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    for candidate in (os.environ.get("GRAFT_CHROMIUM"), "chromium", "chromium-browser"):
        found = candidate and shutil.which(candidate)
        if found:
            return found
    raise RuntimeError(
        "No Chromium found for the browser tests: install it (apt-get install chromium) "
        "or set GRAFT_CHROMIUM to its path."
    )


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=chromium_path(), args=FLAGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    opened = context.new_page()
    yield opened
    context.close()


def screenshot(page: Any, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
