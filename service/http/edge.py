"""The connection edge: how much of a request head the server holds, and for how long.

uvicorn's httptools protocol (the fast one, which the service uses) buffers a request head of
any size and waits for it, and for a body, as long as the client likes: a 10 MB header was
answered 200, thirty unfinished ones held 309 MB until their clients left, and a hundred
connections sending a byte now and then were never closed. uvicorn caps heads only in its h11
protocol (``h11_max_incomplete_event_size``), and has no read timeout at all; its keep-alive
timeout starts only after a first answer. So :class:`EdgeProtocol` adds, per connection:

- **a head cap** (``ECONSEC_MAX_HEADER_BYTES``): the request line and headers together; bytes are
  counted as they arrive, so an unfinished head is refused once it passes the cap, with 431 and
  a closed connection, and never held;
- **a head timeout** (``ECONSEC_HEADER_TIMEOUT``): from the connection (or the first byte of the
  next request on a kept-alive one) to the end of the head; past it, 408 and closed;
- **a body timeout** (``ECONSEC_BODY_TIMEOUT``): from the end of the head to the end of the
  body; past it the connection is closed, and the handler waiting for the body sees the client
  gone.

Keep-alive connections idle for ``ECONSEC_KEEP_ALIVE_TIMEOUT`` seconds between requests are
closed by uvicorn, and past ``ECONSEC_MAX_CONNECTIONS`` open connections it answers 503.
:func:`server_options` gives uvicorn all of these, for one process or several.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from ..settings import Settings

__all__ = ["EdgeLimits", "EdgeProtocol", "server_options"]


@dataclass(frozen=True)
class EdgeLimits:
    """The per-connection limits :class:`EdgeProtocol` applies."""

    max_header_bytes: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def from_settings(cls, settings: Settings) -> EdgeLimits:
        return cls(settings.max_header_bytes, settings.header_timeout, settings.body_timeout)


def _refusal(status: int, reason: str, message: str) -> bytes:
    body = message.encode("ascii")
    return (
        f"HTTP/1.1 {status} {reason}\r\ncontent-type: text/plain; charset=utf-8\r\n"
        f"content-length: {len(body)}\r\nconnection: close\r\n\r\n"
    ).encode("ascii") + body


class EdgeProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with a head cap and head and body read timeouts."""

    #: None in the serving processes of ``--workers N``: they read ``ECONSEC_*`` (which the
    #: command exports to them) on their first connection
    limits: ClassVar[EdgeLimits | None] = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cls = type(self)
        if cls.limits is None:
            cls.limits = EdgeLimits.from_settings(Settings.from_env())
        self._limits: EdgeLimits = cls.limits
        self._in_head = True  # reading a request line and headers (or waiting for the next one)
        self._head_bytes = 0
        self._reading_body = False
        self._refused = False
        # One timer per connection, not two per request: a phase (head or body) only notes when
        # it started, and the timer, when it fires, closes the connection if the phase has run
        # past its limit or sleeps until it would. Arming and cancelling a loop timer twice per
        # request cost about 4% of the cold lookups' throughput (three alternating runs: 3,266
        # against 3,120 requests/s, 15 µs of CPU a request).
        self._phase: Callable[[], None] | None = None  # what to do when the phase overruns
        self._phase_deadline = 0.0
        self._timer: asyncio.TimerHandle | None = None

    # --- the connection's timer -----------------------------------------------------------

    def _begin(self, seconds: float, overrun: Callable[[], None]) -> None:
        """A phase with a time limit starts now: ``overrun`` runs if it has not ended in ``seconds``."""
        self._phase = overrun
        self._phase_deadline = deadline = self.loop.time() + seconds
        if self._timer is None or self._timer.when() > deadline:  # the timer would wake too late
            self._sleep_until(deadline)

    def _end(self) -> None:
        """The phase ended in time (the timer, if it fires, finds nothing to do)."""
        self._phase = None

    def _sleep_until(self, when: float) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._timer = self.loop.call_at(when, self._wake)

    def _wake(self) -> None:
        self._timer = None
        overrun = self._phase
        if overrun is None or self.transport.is_closing():
            return  # between phases the timer sleeps until the next one starts (``_begin``)
        if self.loop.time() >= self._phase_deadline:
            self._phase = None
            overrun()
        else:
            self._sleep_until(self._phase_deadline)  # a later phase: its own deadline

    def _stop_timer(self) -> None:
        self._phase = None
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _head_too_slow(self) -> None:
        if self._in_head and not self.transport.is_closing():
            self._refuse(
                408, "Request Timeout", f"the request head took longer than {self._limits.header_timeout:g} s"
            )

    def _body_too_slow(self) -> None:
        if self._reading_body and not self.transport.is_closing():
            self.logger.info("closing a connection whose body took over %g s", self._limits.body_timeout)
            self.transport.close()  # the handler waiting for the body sees the client gone

    def _refuse(self, status: int, reason: str, message: str) -> None:
        self._refused = True
        self._stop_timer()
        self.logger.info("refused a request head: %s", message)
        self.transport.write(_refusal(status, reason, message + "\n"))
        self.transport.close()

    # --- protocol -------------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._begin(self._limits.header_timeout, self._head_too_slow)  # a silent client is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # whatever follows a refused head is not read
        if self._in_head:
            if self._head_bytes == 0 and self._phase is None:  # the first byte of the next request
                self._begin(self._limits.header_timeout, self._head_too_slow)
            self._head_bytes += len(data)
        super().data_received(data)
        if (
            self._in_head
            and self._head_bytes > self._limits.max_header_bytes
            and not self.transport.is_closing()
        ):
            self._refuse(431, "Request Header Fields Too Large", self._too_large())

    def _too_large(self) -> str:
        return (
            f"the request line and headers exceed {self._limits.max_header_bytes:,} bytes "
            "(ECONSEC_MAX_HEADER_BYTES); send a long query in a POST body instead"
        )

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._in_head = True

    def on_headers_complete(self) -> None:
        # the exact size of what was parsed: a head that arrived in one chunk with its body
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self._limits.max_header_bytes:
            self._refuse(431, "Request Header Fields Too Large", self._too_large())
            return  # no cycle, no app: the parser's later callbacks see ``_refused``
        self._in_head = False
        self._head_bytes = 0
        self._reading_body = True
        self._begin(self._limits.body_timeout, self._body_too_slow)
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self._refused:
            super().on_body(body)

    def on_message_complete(self) -> None:
        if self._refused:
            return
        self._reading_body = False
        self._end()
        self._in_head = True  # the next bytes on this connection start a new head
        super().on_message_complete()


def server_options(settings: Settings, *, one_process: bool = True) -> dict[str, Any]:
    """uvicorn's options for the connection limits in ``settings``.

    With one process the protocol is a subclass carrying the limits; the processes of
    ``--workers N`` start from the module and read them from the environment.
    """
    protocol: type[EdgeProtocol] = EdgeProtocol
    if one_process:
        protocol = type(
            "ConfiguredEdgeProtocol", (EdgeProtocol,), {"limits": EdgeLimits.from_settings(settings)}
        )
    return {
        "http": protocol,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections,
        "h11_max_incomplete_event_size": settings.max_header_bytes,  # if uvicorn is told to use h11
    }
