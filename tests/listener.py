"""A TCP listener on loopback that counts connections: proof that a refused request made none.

Shared by the federation-guard unit tests and the end-to-end federation tests. It answers with
a canned response (or just closes), so a test can also play a misbehaving endpoint (a redirect).
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
import time
from collections.abc import Callable


class Listener:
    """Accepts TCP connections on 127.0.0.1, records the request line, answers (or just closes)."""

    def __init__(self, response: Callable[[], bytes] | None = None) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port: int = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.response = response
        self.requests: list[bytes] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        self.sock.settimeout(0.05)
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(1.0)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                with self._lock:
                    self.requests.append(data.split(b"\r\n", 1)[0])
                if self.response is not None:
                    with contextlib.suppress(OSError):
                        conn.sendall(self.response())

    @property
    def count(self) -> int:
        """Connections accepted so far, after giving pending ones a moment to be accepted."""
        deadline = time.monotonic() + 0.2
        while time.monotonic() < deadline:
            readable, _, _ = select.select([self.sock], [], [], 0.02)
            if not readable:
                break
            time.sleep(0.02)
        with self._lock:
            return len(self.requests)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        self.sock.close()
