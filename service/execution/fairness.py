"""Fair admission: one client address cannot take every slot, nor the slots kept for cheap queries.

Measured before this (8 clients sending heavy queries for 60 s on 2 cores): a two-pattern join
waited 19.6 s at p95, because heavy queries waiting in line took the executor's reserve slots
as readily as cheap ones, and held them until their deadline. The rules, per client address:

- **Heavy queries per client.** A query still unanswered :data:`HEAVY_AFTER` seconds after its
  admission is *heavy*. A client that already has ``ECONSEC_MAX_HEAVY_PER_CLIENT`` heavy queries
  gets 429 with ``Retry-After`` for its next one, at once. Cheap queries (answered within
  half a second) never count, so a page that asks for several things at once is not refused.
- **The reserve is for cheap queries.** A query running on a reserve slot
  (``ECONSEC_RESERVE_CONCURRENCY``) may hold it for :data:`RESERVE_SECONDS` if its client is
  known to send cheap queries, and for :data:`UNKNOWN_RESERVE_SECONDS` otherwise; past that it is
  stopped with 503 (busy, retry) and its client may not take a reserve slot again for
  :data:`RESERVE_BAN_SECONDS`. The shorter lease for unknown clients is what keeps the first
  seconds of an attack cheap: measured with 8 attacker addresses and 2 s for everyone, each
  attacker's first heavy query held the reserve once for 2 s, and a cheap query waited up to
  2.5 s over the first 20 s. A long query keeps its whole deadline on an ordinary slot. Among
  the queries waiting for a reserve slot, those of a client whose last query was evaluated
  within :data:`HEAVY_AFTER` go first, and need not wait half a second for it.
- **Priority.** A worker whose query has run past :data:`HEAVY_AFTER` on an ordinary slot runs
  at a lower CPU priority (``isolation.py``), so on a busy machine the service process and the
  cheap queries are scheduled first.

The address is the connection's peer, or the one a trusted proxy forwards (uvicorn's
``--forwarded-allow-ips``); :class:`ClientScope` makes it known to the executor for the
duration of a request, whatever route runs the query.
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from contextvars import ContextVar
from time import monotonic

from starlette.types import ASGIApp, Receive, Scope, Send

from ..errors import TooManyRequests

__all__ = [
    "HEAVY_AFTER",
    "RESERVE_BAN_SECONDS",
    "RESERVE_SECONDS",
    "UNKNOWN_RESERVE_SECONDS",
    "ClientScope",
    "ClientShares",
    "current_client",
]

#: seconds after admission from which an unanswered query counts as heavy
HEAVY_AFTER = 0.5
#: seconds a query may hold a reserve slot (kept for cheap queries) before it is stopped
RESERVE_SECONDS = 2.0
#: seconds a query of a client not known to be cheap may hold a reserve slot: a cheap query is
#: answered within :data:`HEAVY_AFTER`, so a longer one is not what the reserve is kept for
UNKNOWN_RESERVE_SECONDS = HEAVY_AFTER
#: seconds a client that overran a reserve slot waits for ordinary slots only
RESERVE_BAN_SECONDS = 60.0

#: the address of the client whose request is being handled (None outside a request)
current_client: ContextVar[str | None] = ContextVar("econsec_client", default=None)


class ClientScope:
    """Sets :data:`current_client` for each HTTP request (pure ASGI: no body is touched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        client = scope.get("client")
        token = current_client.set(client[0] if client else None)
        try:
            await self.app(scope, receive, send)
        finally:
            current_client.reset(token)


class ClientShares:
    """Per-address bookkeeping for the executor; touched only on the event loop."""

    def __init__(self, max_heavy: int) -> None:
        self.max_heavy = max_heavy
        self._admitted: defaultdict[str, list[float]] = defaultdict(list)
        self._banned_until: dict[str, float] = {}
        self._cheap_until: dict[str, float] = {}
        self.refused = 0  # queries answered 429 so far (for /health)
        self.reserve_overruns = 0  # queries stopped for holding a reserve slot too long

    def admit(self, client: str | None) -> float:
        """Count a query in (its admission time), or 429 when its client has enough heavy ones."""
        now = monotonic()
        if client is None:
            return now
        heavy = sum(1 for at in self._admitted[client] if now - at >= HEAVY_AFTER)
        if heavy >= self.max_heavy:
            self.refused += 1
            raise TooManyRequests(
                f"this client already has {heavy} queries running or waiting for more than "
                f"{HEAVY_AFTER:g} s (ECONSEC_MAX_HEAVY_PER_CLIENT={self.max_heavy}); wait for one "
                "of them to be answered, then retry",
                retry_after=max(1, round(RESERVE_SECONDS)),
            )
        self._admitted[client].append(now)
        return now

    def release(self, client: str | None, admitted_at: float) -> None:
        if client is None:
            return
        times = self._admitted.get(client)
        if times is None:
            return
        with suppress(ValueError):  # counted in by ``admit``: present unless released twice
            times.remove(admitted_at)
        if not times:
            del self._admitted[client]

    def may_use_reserve(self, client: str | None) -> bool:
        """False for a client that recently held a reserve slot past its lease (:meth:`reserve_lease`)."""
        if client is None:
            return True
        until = self._banned_until.get(client)
        if until is None:
            return True
        if monotonic() >= until:
            del self._banned_until[client]
            return True
        return False

    def answered_quickly(self, client: str | None) -> None:
        """A query of ``client`` was evaluated within :data:`HEAVY_AFTER`: it is served first
        when it waits for a reserve slot, for :data:`RESERVE_BAN_SECONDS`."""
        if client is not None:
            _remember(self._cheap_until, client, monotonic() + RESERVE_BAN_SECONDS)

    def reserve_lease(self, client: str | None) -> float:
        """Seconds ``client``'s query may hold a reserve slot (see the module docstring)."""
        return RESERVE_SECONDS if self.rank(client) == 0 else UNKNOWN_RESERVE_SECONDS

    def rank(self, client: str | None) -> int:
        """0 for a client known to send cheap queries, 1 for the others (reserve order)."""
        until = self._cheap_until.get(client) if client is not None else None
        return 0 if until is not None and monotonic() < until else 1

    def overran_reserve(self, client: str | None) -> None:
        self.reserve_overruns += 1
        if client is not None:
            self._cheap_until.pop(client, None)
            _remember(self._banned_until, client, monotonic() + RESERVE_BAN_SECONDS)


#: addresses remembered before the expired ones are swept out
_MAX_REMEMBERED = 1024


def _remember(table: dict[str, float], client: str, until: float) -> None:
    """``table[client] = until``, sweeping out expired entries when the table is large (many
    addresses must not grow it without bound)."""
    if len(table) >= _MAX_REMEMBERED:
        now = monotonic()
        for address, expires in list(table.items()):
            if expires <= now:
                del table[address]
    table[client] = until
