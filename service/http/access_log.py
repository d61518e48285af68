"""The access log: one line per request, written in batches.

uvicorn's access log formats and writes each line as it happens, one ``write`` to stderr per
request; on a point lookup that was a quarter of the service's CPU (bench/RESULTS.md). This
one keeps a few numbers per request and hands the lines to the ``econsec.access`` logger as one
record about once a second (or every ``MAX_LINES`` requests), so a busy service pays for the
formatting and the write once per batch. The cost: a crash loses at most the last second of
lines, and lines reach the log up to a second late. Shutdown writes what is buffered.

The line is the Common Log Format plus the time taken::

    127.0.0.1 - - [24/Nov/2026:22:41:07 +0000] "POST /sparql HTTP/1.1" 200 1043 0.6ms
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MAX_LINES", "AccessLog"]

#: lines kept before a write is forced (a burst never holds more than this in memory)
MAX_LINES = 1000
#: seconds a line may wait for its batch
FLUSH_AFTER = 1.0

log = logging.getLogger("econsec.access")


@dataclass(slots=True)
class _Line:
    at: float
    client: str
    request: str
    status: int
    size: int
    seconds: float

    def text(self) -> str:
        stamp = time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(self.at))
        return (
            f'{self.client} - - [{stamp}] "{self.request}" {self.status} {self.size} '
            f"{self.seconds * 1000:.1f}ms"
        )


class AccessLog:
    """ASGI wrapper that records each HTTP request and writes the lines in batches."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._lines: list[_Line] = []
        self._timer: asyncio.TimerHandle | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await self.app(scope, receive, self._flushing_on_shutdown(send))
            else:
                await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        size = 0

        async def recording(message: Message) -> None:
            nonlocal status, size
            if message["type"] == "http.response.body":
                size += len(message.get("body", b""))
            elif message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording)
        finally:
            self._record(scope, status or 500, size, time.perf_counter() - started)

    def _record(self, scope: Scope, status: int, size: int, seconds: float) -> None:
        client = scope.get("client")
        path = scope.get("raw_path") or scope["path"].encode()
        query = scope.get("query_string", b"")
        target = (path + b"?" + query if query else path).decode("latin-1")
        request = f"{scope['method']} {target} HTTP/{scope.get('http_version', '1.1')}"
        self._lines.append(_Line(time.time(), client[0] if client else "-", request, status, size, seconds))
        if len(self._lines) >= MAX_LINES:
            self.flush()
        elif self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(FLUSH_AFTER, self.flush)

    def flush(self) -> None:
        """Write the buffered lines as one log record."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        lines, self._lines = self._lines, []
        if lines and log.isEnabledFor(logging.INFO):
            log.info("\n".join(line.text() for line in lines))

    def _flushing_on_shutdown(self, send: Send) -> Send:
        async def sending(message: Message) -> None:
            if message["type"].startswith("lifespan.shutdown"):
                self.flush()
            await send(message)

        return sending
