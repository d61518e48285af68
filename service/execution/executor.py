"""Run queries off the event loop: a bounded worker pool, admission control and a deadline.

pyoxigraph cannot cancel a running query (DESIGN §3), so a timeout cannot stop the engine; it
can only stop *waiting* for it. The design around that:

- **Deadline.** Each query gets ``ECONSEC_QUERY_TIMEOUT`` seconds from admission. At the
  deadline the client is answered 504, whatever the worker is doing. The worker checks the same
  deadline before every result row it serialises, so a query that streams results stops
  within one row of the deadline; only a single step that produces no row (a big sort, group
  or join inside pyoxigraph) runs on past it, in the background, until that step ends.
- **Bounded concurrency.** At most ``ECONSEC_MAX_CONCURRENCY`` (N) queries are evaluated
  within their deadline at once. Up to ``ECONSEC_MAX_QUEUED`` more wait for a slot (their
  waiting counts against their deadline); any further query is refused with 503 and
  ``Retry-After`` at once, without queueing.
- **A reserve for cheap queries.** ``ECONSEC_RESERVE_CONCURRENCY`` (R) more slots open to a
  query that has waited ``EXPRESS_AFTER`` seconds for a normal one: when every slot is held by
  long queries, a cheap one still starts within half a second instead of waiting for one of
  them to end. The reserve does not admit more queries (admission counts N + queue only); it
  lets waiting ones start, so an attack has to hold N + R slots at once to make anyone wait.
- **Overrunning queries do not hold a slot.** A query past its deadline gives its slot back
  when the client gets its 504, so cheap queries keep being served while it finishes. The pool
  has 2N threads: N for queries within their deadline and N spare for overrunning ones. Only
  when more than N overrunning queries are grinding at once do new queries have to wait for a
  thread; one whose deadline passes before it gets one was never run and is answered 503
  (busy, retry), not 504. The pool never grows past 2N threads, so the CPU that expensive
  queries can take is bounded whatever clients send.

- **Fair shares.** Per client address (``fairness.py``): 429 past the client's share of heavy
  queries; a reserve slot is a short lease (2 s for a client known to be cheap, 0.5 s for others),
  and a client that overran it waits for ordinary slots
  only; clients whose queries have been cheap are served first from the reserve, at once.

Threads are daemons: stopping the server does not wait for an overrunning query.
"""

from __future__ import annotations

import asyncio
import heapq
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from time import monotonic
from typing import TypeVar

from ..errors import Overloaded, QueryTimeout
from .fairness import HEAVY_AFTER, RESERVE_SECONDS, ClientShares, current_client

__all__ = ["EXPRESS_AFTER", "DaemonPool", "Deadline", "QueryExecutor"]

#: held while a pool starts threads with its own stack size (the setting is process-wide)
_STACK_SIZE_LOCK = threading.Lock()

#: seconds a query waits for a normal slot before a reserve slot may take it
EXPRESS_AFTER = 0.5

T = TypeVar("T")


@dataclass(frozen=True)
class Deadline:
    """A point in (monotonic) time by which a query must be answered."""

    seconds: float
    at: float
    #: a reserve slot's short lease (``fairness.py``): the work keeps its CPU priority throughout
    reserved: bool = False

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(seconds, monotonic() + seconds)

    def remaining(self) -> float:
        return self.at - monotonic()

    def expired(self) -> bool:
        return monotonic() >= self.at

    def check(self) -> None:
        """Raise :class:`QueryTimeout` once the deadline has passed (called between rows)."""
        if monotonic() >= self.at:
            raise QueryTimeout(self.seconds)


class DaemonPool:
    """A fixed set of daemon threads taking work from a queue (``ThreadPoolExecutor`` threads are
    joined at interpreter exit, which would make Ctrl-C wait for an overrunning query).

    ``stack_size`` (bytes) gives the threads a larger stack than the platform's 8 MiB: the
    engine's evaluator recurses once per element of a flat group, and the writer's threads
    evaluate updates whose screening ran in a worker with the default stack (``write/service.py``).
    Only the pages a thread touches are resident.
    """

    def __init__(self, workers: int, name: str, *, stack_size: int = 0) -> None:
        self._jobs: queue.SimpleQueue[tuple[Future, Callable[[], object]] | None] = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True) for i in range(workers)
        ]
        with _STACK_SIZE_LOCK:  # ``threading.stack_size`` is process-wide: set it for these only
            before = threading.stack_size(stack_size) if stack_size else None
            try:
                for thread in self._threads:
                    thread.start()
            finally:
                if before is not None:
                    threading.stack_size(before)

    def submit(self, fn: Callable[[], T]) -> Future[T]:
        future: Future[T] = Future()
        self._jobs.put((future, fn))
        return future

    async def call(self, fn: Callable[[], T]) -> T:
        """``fn()`` on one of the pool's threads, awaited from the event loop."""
        return await asyncio.wrap_future(self.submit(fn))

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn = job
            if not future.set_running_or_notify_cancel():
                continue  # cancelled while it waited: never started
            try:
                future.set_result(fn())
            except BaseException as exc:
                future.set_exception(exc)
            del job, future, fn  # drop references (results, the store) before waiting again

    def shutdown(self) -> None:
        """Let idle threads exit; busy ones finish their job first (they are daemons either way)."""
        for _ in self._threads:
            self._jobs.put(None)


class _Reserve:
    """The reserve slots: like a semaphore, but a waiter of a better ``rank`` is served first (a
    client known to send cheap queries before an unknown one, ``fairness.py``), then by arrival."""

    def __init__(self, size: int) -> None:
        self._free = size
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._arrivals = 0

    async def acquire(self, rank: int = 0) -> bool:
        if self._free > 0:  # a free slot means nobody is waiting (``release`` serves waiters first)
            self._free -= 1
            return True
        granted: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._arrivals += 1
        heapq.heappush(self._waiters, (rank, self._arrivals, granted))
        try:
            await granted
        except asyncio.CancelledError:
            if granted.done() and not granted.cancelled():
                self.release()  # granted just as it was given up: pass the slot on
            raise
        return True

    def release(self) -> None:
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


class QueryExecutor:
    """Admission control, a bounded pool and per-query deadlines (see the module docstring)."""

    def __init__(
        self,
        *,
        max_concurrency: int,
        max_queued: int,
        timeout: float,
        reserve: int = 0,
        max_heavy_per_client: int | None = None,
    ) -> None:
        self.max_concurrency = max_concurrency
        self.max_queued = max_queued
        self.timeout = timeout
        self.reserve = reserve
        self._pool = DaemonPool(2 * (max_concurrency + reserve), "econsec-query")
        self._slots = asyncio.Semaphore(max_concurrency)
        self._express = _Reserve(reserve)
        self._admitted = 0  # running within deadline + waiting; touched only on the event loop
        self._running = 0
        self._overrunning: set[Future] = set()
        #: per-client fairness (``fairness.py``); None: every client is one (embedded uses, tests)
        self.shares = ClientShares(max_heavy_per_client) if max_heavy_per_client else None
        #: queries answered since start, and how many of them on the event loop (``run_now``)
        self.answered = 0
        self.answered_now = 0

    @property
    def running(self) -> int:
        """Queries being evaluated within their deadline."""
        return self._running

    @property
    def waiting(self) -> int:
        """Queries admitted and waiting for a slot."""
        return self._admitted - self._running

    @property
    def overrunning(self) -> int:
        """Queries past their deadline (answered 504) whose worker has not finished yet."""
        return sum(1 for f in list(self._overrunning) if not f.done())

    def _admit(self) -> None:
        """Admission, the same for every query: refuse at once when N run and the queue is full."""
        if self._admitted >= self.max_concurrency + self.max_queued:
            raise Overloaded(
                f"{self.max_concurrency} queries are running and {self.max_queued} waiting "
                "(ECONSEC_MAX_CONCURRENCY, ECONSEC_MAX_QUEUED); try again in a moment"
            )

    def run_now(self, work: Callable[[], T | None]) -> T | None:
        """Evaluate bounded ``work`` here, on the event loop, admitted and counted like any query.

        For the endpoint's lookup branch only: work whose cost is bounded by construction (one
        index scan, a capped number of rows), where a hand-off to a thread would cost more than
        the work. None means the work declined (the caller then uses :meth:`run`), which is not
        counted as an answer.
        """
        self._admit()
        result = work()
        if result is not None:
            self.answered += 1
            self.answered_now += 1
        return result

    async def run(self, work: Callable[[Deadline], T]) -> T:
        """Evaluate ``work(deadline)`` on a worker thread; raise ``Overloaded`` or ``QueryTimeout``
        (or ``TooManyRequests`` for a client over its share, ``fairness.py``)."""
        deadline = Deadline.after(self.timeout)
        self._admit()
        client = current_client.get()
        shares = self.shares
        admitted_at = shares.admit(client) if shares is not None else 0.0
        self._admitted += 1
        try:
            slot = await self._slot(deadline, client)
            on_reserve = slot is self._express and shares is not None
            given, lease = deadline, 0.0
            if on_reserve:  # the reserve is kept for cheap queries: a short lease
                assert shares is not None
                lease = shares.reserve_lease(client)
                given = Deadline(deadline.seconds, min(deadline.at, monotonic() + lease), True)
            self._running += 1
            started = monotonic()
            try:
                future = self._pool.submit(lambda: work(given))
                try:
                    async with asyncio.timeout(max(given.remaining(), 0)):
                        answer = await asyncio.wrap_future(future)
                    self.answered += 1
                    if shares is not None and monotonic() - started < HEAVY_AFTER:
                        shares.answered_quickly(client)
                    return answer
                except (TimeoutError, QueryTimeout) as exc:
                    if isinstance(exc, TimeoutError) and future.cancel():  # never ran
                        raise self._never_started() from None
                    if isinstance(exc, TimeoutError):
                        # already running: it finishes in the background, without a slot
                        self._overrunning.add(future)
                        future.add_done_callback(self._overrunning.discard)
                    if on_reserve and not deadline.expired():
                        assert shares is not None
                        shares.overran_reserve(client)
                        raise self._reserve_overrun(lease) from None
                    raise QueryTimeout(self.timeout) from None
            finally:
                self._running -= 1
                slot.release()
        finally:
            self._admitted -= 1
            if shares is not None:
                shares.release(client, admitted_at)

    def _reserve_overrun(self, lease: float) -> Overloaded:
        return Overloaded(
            f"every ordinary slot is held by long queries, and this one ran longer than the "
            f"{lease:g} s a slot kept for cheap queries allows; it was stopped. Retry "
            "shortly, or narrow it",
            retry_after=max(1, round(RESERVE_SECONDS)),
        )

    async def _slot(self, deadline: Deadline, client: str | None = None) -> asyncio.Semaphore | _Reserve:
        """A normal slot; after ``EXPRESS_AFTER`` s of waiting, a normal or a reserve one (the
        reserve only for a client that has not recently overrun it, ``fairness.py``)."""
        # a client whose queries have been cheap need not wait for the reserve (``fairness.py``)
        known_cheap = (
            self.shares is not None and self.shares.rank(client) == 0 and self._may_use_reserve(client)
        )
        try:
            async with asyncio.timeout(
                max(min(0 if known_cheap else EXPRESS_AFTER, deadline.remaining()), 0)
            ):
                await self._slots.acquire()
                return self._slots
        except TimeoutError:
            pass
        while True:
            candidates = {asyncio.ensure_future(self._slots.acquire()): self._slots}
            if self.reserve and self._may_use_reserve(client):
                rank = self.shares.rank(client) if self.shares is not None else 0
                candidates[asyncio.ensure_future(self._express.acquire(rank))] = self._express
            done, pending = await asyncio.wait(
                candidates, timeout=max(deadline.remaining(), 0), return_when=asyncio.FIRST_COMPLETED
            )
            for task in pending:
                task.cancel()
            granted = [candidates[task] for task in done if not task.cancelled() and task.exception() is None]
            if not granted:
                raise self._never_started()
            granted.sort(key=lambda slot: slot is self._express)  # an ordinary slot first
            for extra in granted[1:]:  # both became free at once: keep one
                extra.release()
            if granted[0] is self._express and not self._may_use_reserve(client):
                self._express.release()  # its client overran the reserve while this one waited
                continue
            return granted[0]

    def _may_use_reserve(self, client: str | None) -> bool:
        return self.shares is None or self.shares.may_use_reserve(client)

    def _never_started(self) -> Overloaded:
        """The deadline passed before the query got a worker: the service is busy, not the query slow."""
        return Overloaded(
            f"no worker became free within {self.timeout:g} s (ECONSEC_QUERY_TIMEOUT; "
            f"{self.max_concurrency} queries at a time, {self.overrunning} past their deadline still "
            "finishing). The query was not run; try again shortly"
        )

    def shutdown(self) -> None:
        self._pool.shutdown()
