"""Django's dummy task backend, its queue shared by every thread.

The dummy backend keeps its queue per thread: the live server's thread,
which enqueues a job and shows its page, would see a queue of its own.
"""

from __future__ import annotations

from typing import Any

from django.tasks.backends.dummy import DummyBackend


class SharedDummyBackend(DummyBackend):
    queue: list[Any] = []

    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self.results = SharedDummyBackend.queue
