"""A real S3-compatible server for the tests: moto's server mode on 127.0.0.1.

The server runs as its own process on a free loopback port, for the whole
test session. :class:`CuttingProxy` sits between a client and the server and
can drop every connection once a number of bytes has gone through, to test
what an upload leaves behind when the network fails half way.
"""

from __future__ import annotations

import contextlib
import os
import socket
import sys
import threading
from collections.abc import Iterator

from tests.objectstores import HOST, free_port, serve


@contextlib.contextmanager
def moto_server() -> Iterator[str]:
    """Start moto's S3 server on loopback; yield its endpoint URL."""
    endpoint = f"http://{HOST}:{free_port()}"
    command = [sys.executable, "-m", "moto.server", "-H", HOST, "-p", endpoint.rsplit(":", 1)[1]]
    environment = {**os.environ, "MOTO_ALLOW_NONEXISTENT_REGION": "true"}
    with serve("moto S3 server", command, f"{endpoint}/moto-api/", env=environment):
        yield endpoint


class CuttingProxy:
    """A loopback TCP proxy that drops every connection after ``limit`` bytes upstream."""

    def __init__(self, upstream_port: int, limit: int) -> None:
        self.upstream_port = upstream_port
        self.limit = limit
        self.sent = 0
        self.cut = threading.Event()
        self._lock = threading.Lock()
        self._listener = socket.create_server((HOST, 0))
        self.port = int(self._listener.getsockname()[1])
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def endpoint(self) -> str:
        return f"http://{HOST}:{self.port}"

    def close(self) -> None:
        self.cut.set()
        self._listener.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self.cut.is_set():
                client.close()
                continue
            upstream = socket.create_connection((HOST, self.upstream_port))
            threading.Thread(target=self._pump, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, target: socket.socket, counted: bool) -> None:
        try:
            while not self.cut.is_set():
                data = source.recv(65536)
                if not data:
                    break
                if counted:
                    with self._lock:
                        self.sent += len(data)
                        if self.sent > self.limit:
                            self.cut.set()
                            break
                target.sendall(data)
        except OSError:
            pass
        finally:
            for end in (source, target):
                with contextlib.suppress(OSError):
                    end.shutdown(socket.SHUT_RDWR)
                end.close()
