"""Fixtures: one in-process sandbox per test module, and small local servers for failures the sandbox cannot make."""

from __future__ import annotations

import http.server
import json
import socket
import threading
from collections.abc import Iterator

import autoshares
import pytest


@pytest.fixture(scope="module")
def sb() -> Iterator[autoshares.Sandbox]:
    with autoshares.Sandbox() as sandbox:
        yield sandbox


class _Garbage(http.server.BaseHTTPRequestHandler):
    """`/token` succeeds; every API call answers a body of the wrong shape."""

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, body: dict[str, object]) -> None:
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_POST(self) -> None:
        self._send({"State": "Succeeded", "Token": "t0k3n"})

    def do_GET(self) -> None:
        self._send({"UserId": "seven"})


class _Server(http.server.ThreadingHTTPServer):
    request_queue_size = 128
    daemon_threads = True


@pytest.fixture(scope="module")
def garbage_url() -> Iterator[str]:
    """A server in this process (so it only answers if the client releases the GIL while it waits)."""
    server = _Server(("127.0.0.1", 0), _Garbage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.fixture(scope="module")
def silent_url() -> Iterator[str]:
    """A server that accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(128)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
                held.append(conn)
            except OSError:
                pass

    threading.Thread(target=accept, daemon=True).start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    for c in held:
        c.close()
    listener.close()
