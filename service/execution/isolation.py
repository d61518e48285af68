"""Isolated evaluation of client SPARQL: worker processes over store snapshots, killed at the deadline.

pyoxigraph cannot cancel a query, and some queries never yield a row before they finish: a sort
or aggregate over a cartesian product, an unbounded property path over every node. Run on a
service thread, such a query keeps a core busy long after its client got 504, and one ``ORDER BY``
over a product of two full scans asks for tens of gigabytes. So queries sent to ``/sparql`` run
in worker processes instead (:mod:`econsec.service.execution.query_worker`):

- **Cancellation is a kill.** At the deadline the worker is killed (SIGKILL) and replaced; the
  CPU it used is released at once. Nothing keeps running after a 504.
- **Memory is capped per query.** Each worker has an address-space limit
  (``ECONSEC_QUERY_MEMORY_MB``); a query that needs more makes that worker fail, and the client
  gets 503 saying so, while the service and the other workers carry on.
- **Workers read snapshots.** A worker opens a RocksDB checkpoint of the store
  (``Store.backup``: hard links, milliseconds) read-only; the service makes a new one after each
  committed write, so workers never open files another process writes (DESIGN §3) and a query
  sees one consistent state. Snapshots no query uses any more are deleted.

The thread-side bookkeeping (admission, the waiting line, 503 when full) stays in
:class:`~econsec.service.execution.executor.QueryExecutor`; this module only replaces "evaluate on this
thread" with "evaluate in a worker and wait until the deadline".
"""

from __future__ import annotations

import json
import logging
import os
import queue
import select
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from time import monotonic
from typing import Any

from pyoxigraph import Store

from ..errors import (
    EngineCrashed,
    InsufficientStorage,
    Overloaded,
    QueryResourcesExceeded,
    QueryTimeout,
    ServiceError,
    StoreError,
)
from ..security.federation import Target
from .executor import Deadline
from .fairness import HEAVY_AFTER

#: the nice value of a worker whose request has run past HEAVY_AFTER (cheap work goes first)
HEAVY_NICE = 10

__all__ = ["ForwardedError", "IsolatedAnswer", "NoSnapshots", "QueryWorkers", "Snapshots", "Unchanging"]

log = logging.getLogger("econsec.service")


class ForwardedError(ServiceError):
    """A client error found in a worker (a syntax error, a bad graph IRI...), re-raised here as is."""

    def __init__(self, header: dict[str, Any]) -> None:
        super().__init__(str(header["message"]), headers=header.get("headers") or {})
        self.status = int(header["status"])  # type: ignore[misc]
        self.title = str(header["title"])  # type: ignore[misc]
        self._details = dict(header.get("details") or {})
        self._text = str(header.get("text") or f"{self.title}: {self.message}\n")

    def details(self) -> dict[str, object]:
        return self._details

    def text(self) -> str:
        return self._text


@dataclass(frozen=True)
class IsolatedAnswer:
    """A serialised answer from a worker."""

    content_type: str
    body: bytes
    truncated: bool


class Snapshots:
    """Read-only checkpoints of the service's store, one per committed write, deleted when unused.

    A checkpoint can fail after a write has committed (a full disk: RocksDB flushes its memtable
    into a new file first). The write is still committed, so :meth:`refresh` does not raise: it
    marks the snapshot stale, and the next :meth:`use` takes the checkpoint before any query
    runs, or refuses that query (507 for a full disk) rather than answer from a state older than
    a write that was acknowledged.
    """

    def __init__(self, store: Store, root: Path) -> None:
        self._store = store
        self._root = root
        self._lock = threading.Lock()
        self._version = 0
        self._users: dict[Path, int] = {}
        #: a write committed after the current checkpoint was taken, and taking a new one failed
        self.stale = False
        shutil.rmtree(root, ignore_errors=True)  # leftovers of an earlier run are never valid
        root.mkdir(parents=True)
        self._current = self._make()

    def _make(self) -> Path:
        self._version += 1
        path = self._root / str(self._version)
        try:
            self._store.backup(str(path))
        except BaseException:
            shutil.rmtree(path, ignore_errors=True)  # half a checkpoint is no snapshot
            raise
        return path

    def _renew(self) -> None:
        """Replace the current checkpoint (under the lock); raises if a new one cannot be made."""
        self.stale = True
        old, self._current = self._current, self._make()
        self.stale = False
        self._drop_if_unused(old)

    @property
    def current(self) -> Path:
        """The newest checkpoint (a worker started now opens it before its first query)."""
        return self._current

    def refresh(self) -> bool:
        """Take a new checkpoint (call after a write commits); queries started later see it.

        Returns False, with the snapshot marked stale, when the checkpoint cannot be made.
        """
        with self._lock:
            try:
                self._renew()
            except OSError as exc:
                log.warning(
                    "query snapshot not refreshed after a write (retried before the next query): %s", exc
                )
                return False
        return True

    @contextmanager
    def use(self) -> Iterator[Path]:
        """The current checkpoint, kept on disk while the caller uses it; never older than the
        last committed write (a stale one is retaken first, or the query refused)."""
        with self._lock:
            if self.stale:
                try:
                    self._renew()
                except OSError as exc:
                    raise _snapshot_failed(exc) from exc
            path = self._current
            self._users[path] = self._users.get(path, 0) + 1
        try:
            yield path
        finally:
            with self._lock:
                self._users[path] -= 1
                if path != self._current:
                    self._drop_if_unused(path)

    def _drop_if_unused(self, path: Path) -> None:
        if self._users.get(path, 0) == 0:
            self._users.pop(path, None)
            shutil.rmtree(path, ignore_errors=True)

    def close(self) -> None:
        shutil.rmtree(self._root, ignore_errors=True)


def _snapshot_failed(exc: OSError) -> StoreError:
    """Why a query cannot run: the snapshot it must read cannot be brought up to date."""
    what = "the query snapshot cannot be brought up to date with the last write"
    if InsufficientStorage.matches(exc):
        return InsufficientStorage(
            f"{what}: the disk holding the store is full ({exc}). The query was not run: free some "
            "space and restart the service"
        )
    return StoreError(f"{what}: {exc}")


class Unchanging:
    """The store's own directory as the only snapshot, for a store nobody writes while it is
    served (``econsec serve --workers N``): the workers open it read-only, which is sound with no
    writer, and no checkpoint is needed."""

    def __init__(self, path: Path) -> None:
        self._path = path

    @property
    def current(self) -> Path:
        return self._path

    def refresh(self) -> bool:
        raise RuntimeError("a read-only service has no writes to refresh after")

    @contextmanager
    def use(self) -> Iterator[Path]:
        yield self._path

    def close(self) -> None:
        pass


class NoSnapshots:
    """No store at all: workers that only inspect client text (the federation guard's parse, the
    nesting check) for a service whose queries do not run in workers (a remote store)."""

    current = None

    def refresh(self) -> None:
        pass

    @contextmanager
    def use(self) -> Iterator[None]:
        yield None

    def close(self) -> None:
        pass


#: what a worker's stderr says when the memory cap stopped it (Rust's allocator, Python, the libc)
_MEMORY_MARKS = ("memory allocation of", "memoryerror", "cannot allocate memory")


#: what a worker's stderr says when a thread ran out of stack (Rust's handler, then SIGABRT)
_STACK_MARKS = ("overflowed its stack", "stack overflow")


def _out_of_memory(died: _WorkerDied) -> bool:
    """Whether the memory cap stopped the worker: an abort (SIGABRT, which Rust's allocator raises
    when an allocation fails) or an allocation failure in its output. Not any death that merely
    mentions memory (a stack overflow aborts too, and says so): a worker that failed another way
    is reported as what it was."""
    text = died.stderr.lower()
    if any(mark in text for mark in _STACK_MARKS):
        return False
    return died.returncode == -signal.SIGABRT or any(mark in text for mark in _MEMORY_MARKS)


def _crash_signal(died: _WorkerDied) -> str | None:
    """The signal that killed the worker (``SIGSEGV`` for a stack overflow in the engine's
    recursive evaluator), or None when it exited by itself."""
    if died.returncode is None or died.returncode >= 0:
        return None
    try:
        return signal.Signals(-died.returncode).name
    except ValueError:
        return f"signal {-died.returncode}"


class _Lost(Exception):
    """The worker was lost (killed at the deadline, or dead): ``error`` is what the client gets."""

    def __init__(self, error: ServiceError) -> None:
        super().__init__(error.message)
        self.error = error


class _WorkerDied(Exception):
    def __init__(self, returncode: int | None, stderr: str) -> None:
        super().__init__(f"worker exited with {returncode}")
        self.returncode = returncode
        self.stderr = stderr


class _Worker:
    """One worker process and the buffered reading of its answers."""

    def __init__(self, memory_bytes: int, *, open_first: Path | None = None) -> None:
        command = [sys.executable, "-m", "econsec.service.execution.query_worker", str(memory_bytes)]
        if open_first is not None:  # opened while the worker waits for its first query
            command.append(str(open_first))
        # few malloc arenas: each reserves 64 MB of address space, which the memory cap counts
        env = {**os.environ, "MALLOC_ARENA_MAX": "2"}
        self.process = subprocess.Popen(
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env
        )
        self._buffer = b""
        self._yield_at: float | None = None  # when the current request starts to yield the CPU
        self.yielded = False  # it runs at HEAVY_NICE now
        self.stale = False  # it could not get its priority back: replace it after this request

    def ask(self, request: dict[str, Any], deadline: Deadline) -> tuple[dict[str, Any], bytes]:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(request).encode() + b"\n")
            self.process.stdin.flush()
        except BrokenPipeError:
            raise self._died() from None
        # a query on a reserve slot keeps its priority: its lease is short, and it is there
        # because the ordinary slots are held by long queries
        self._yield_at = None if deadline.reserved else monotonic() + HEAVY_AFTER
        try:
            header = json.loads(self._read_line(deadline))
            body = self._read_exact(int(header.get("length", 0)), deadline)
        finally:
            self._yield_at = None
        if self.yielded:  # back to normal priority for the next query, or a fresh process
            try:
                os.setpriority(os.PRIO_PROCESS, self.process.pid, 0)
                self.yielded = False
            except OSError:  # lowering the nice value back needs privileges the service may lack
                self.stale = True
        return header, body

    def _yield_cpu(self) -> None:
        """A heavy request: this worker runs at lower CPU priority from now on, so the service
        process and the workers of cheap queries are scheduled first on a busy machine."""
        self._yield_at = None
        with suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, self.process.pid, HEAVY_NICE)
            self.yielded = True

    def _fill(self, deadline: Deadline) -> None:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        remaining = deadline.remaining()
        if remaining <= 0:
            raise TimeoutError
        wait = remaining if self._yield_at is None else min(remaining, max(self._yield_at - monotonic(), 0))
        readable, _, _ = select.select([fd], [], [], wait)
        if not readable:
            if deadline.remaining() <= 0:
                raise TimeoutError
            if self._yield_at is not None and monotonic() >= self._yield_at:
                self._yield_cpu()
            return
        chunk = os.read(fd, 1 << 20)
        if not chunk:
            raise self._died()
        self._buffer += chunk

    def _read_line(self, deadline: Deadline) -> bytes:
        while b"\n" not in self._buffer:
            self._fill(deadline)
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line

    def _read_exact(self, size: int, deadline: Deadline) -> bytes:
        while len(self._buffer) < size:
            self._fill(deadline)
        body, self._buffer = self._buffer[:size], self._buffer[size:]
        return body

    def _died(self) -> _WorkerDied:
        code = self.process.wait()
        stderr = self.process.stderr.read().decode("utf-8", "replace") if self.process.stderr else ""
        return _WorkerDied(
            code, stderr[:1500] if len(stderr) <= 3000 else stderr[:1500] + " ... " + stderr[-1500:]
        )

    def kill(self) -> None:
        with suppress(ProcessLookupError):
            self.process.kill()
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with suppress(OSError):
                    stream.close()


class QueryWorkers:
    """A fixed number of worker processes; each query borrows one until it answers or is killed."""

    def __init__(self, size: int, *, memory_mb: int, snapshots: Snapshots | Unchanging | NoSnapshots) -> None:
        self.size = size
        self.memory_mb = memory_mb
        self.snapshots = snapshots
        # last in, first out: the worker that answered last takes the next query, so under light
        # load one worker serves most queries with its store open and its caches warm
        self._idle: queue.Queue[_Worker] = queue.LifoQueue()
        self._spares: queue.Queue[_Worker] = queue.Queue()
        self._closed = False
        self.kills = 0  # queries stopped at their deadline (for /health and the tests)
        self.memory_failures = 0
        self.retired = 0  # workers replaced because a query left them holding much memory
        self.crashes = 0  # workers a query killed with a signal (a stack overflow, most often)
        for _ in range(size):
            self._idle.put(self._spawn())
        self._spares.put(self._spawn())

    def _spawn(self) -> _Worker:
        return _Worker(self.memory_mb * 1024 * 1024, open_first=self.snapshots.current)

    def _replace(self, worker: _Worker) -> None:
        """Put the warm spare in ``worker``'s place at once; kill it and warm a new spare in the
        background, so a kill never leaves the next query waiting for a process to start."""
        try:
            self._idle.put(self._spares.get_nowait())
            spare_taken = True
        except queue.Empty:
            spare_taken = False

        def renew() -> None:
            worker.kill()
            if self._closed:
                return
            (self._spares if spare_taken else self._idle).put(self._spawn())

        threading.Thread(target=renew, daemon=True).start()

    def run(
        self,
        query: str,
        *,
        default_graph_uris: tuple[str, ...] = (),
        named_graph_uris: tuple[str, ...] = (),
        accept: str | None,
        format_key: str | None,
        limit: int,
        deadline: Deadline,
        base_iri: str | None = None,
        screen: Callable[[list[Target]], object] | None = None,
    ) -> IsolatedAnswer:
        """Evaluate and serialise ``query`` in a worker; 504 at the deadline, 503 past the memory cap.

        With ``screen``, the same worker first inspects the text (the federation guard's parse:
        a Python lexer pass and rdflib, too slow and too big for the service process) and
        ``screen`` judges the SERVICE targets it found, raising to refuse, before the evaluation
        is asked for. Both steps share the deadline and the memory cap.
        """
        try:
            worker = self._idle.get(timeout=max(deadline.remaining(), 0.001))
        except queue.Empty:  # the query never started: the service is busy, not the query slow
            raise Overloaded(
                f"no query worker became free within {deadline.seconds:g} s (ECONSEC_QUERY_TIMEOUT); "
                "the query was not run, try again shortly"
            ) from None
        with self.snapshots.use() as snapshot:
            header: dict[str, Any] = {"ok": True}
            body = b""
            try:
                if screen is not None:
                    header, _ = self._ask(worker, {"inspect": True, "query": query}, deadline)
                    if header.get("ok"):
                        screen([Target(**item) for item in header.get("targets", [])])
                if header.get("ok"):
                    request = {
                        "snapshot": str(snapshot),
                        "query": query,
                        "default_graph_uris": list(default_graph_uris),
                        "named_graph_uris": list(named_graph_uris),
                        "base_iri": base_iri,
                        "accept": accept,
                        "format": format_key,
                        "limit": limit,
                    }
                    header, body = self._ask(worker, request, deadline)
            except _Lost as lost:  # the worker is gone already (replaced in ``_ask``)
                raise lost.error from None
            except BaseException:  # refused by ``screen``: the worker is sound, it goes back
                self._give_back(worker, header)
                raise
        self._give_back(worker, header)
        if not header.get("ok"):
            raise ForwardedError(header)
        return IsolatedAnswer(str(header["content_type"]), body, bool(header.get("truncated")))

    def inspect(self, text: str, *, update: bool, deadline: Deadline) -> list[Target]:
        """The federation guard's parse of an update (or a query) in a worker, within ``deadline``:
        the SERVICE / LOAD targets it names, for :meth:`FederationGuard.admit` to judge."""
        header = self._consult({"inspect": True, "update": update, "query": text}, deadline)
        return [Target(**item) for item in header.get("targets", [])]

    def dry_run(self, text: str, *, base_iri: str | None, deadline: Deadline) -> None:
        """Screen an update in a worker, within ``deadline``: its nesting, LOAD, and the engine's
        parse and planning on an empty store (``write/sparql_update.screen_update``). Measured
        with pyoxigraph 0.5.13, a group of 4,000 BINDs, a chain of 20,000 UNIONs or a join of
        20,000 triple patterns overflows the stack of the thread that runs it, and a join of
        2,000 patterns plans for over a minute, whatever the data: here that costs a worker, and
        the request gets 500, 504 or the parser's 400. Call it after the federation guard has
        admitted the update's SERVICE targets: the run may call them."""
        self._consult({"dry_run": True, "query": text, "base_iri": base_iri}, deadline)

    def _consult(self, request: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        """One request that answers in its header alone (no body), on the next idle worker."""
        try:
            worker = self._idle.get(timeout=max(deadline.remaining(), 0.001))
        except queue.Empty:
            raise Overloaded(
                f"no query worker became free within {deadline.seconds:g} s to inspect the request; "
                "it was not run, try again shortly"
            ) from None
        try:
            header, _ = self._ask(worker, request, deadline)
        except _Lost as lost:
            raise lost.error from None
        self._give_back(worker, header)
        if not header.get("ok"):
            raise ForwardedError(header)
        return header

    def _give_back(self, worker: _Worker, header: dict[str, Any]) -> None:
        # it holds memory a big query left behind, or kept the low priority of a heavy one:
        # a fresh one takes over
        if header.get("retire") or worker.stale:
            self.retired += 1
            self._replace(worker)
        else:
            self._idle.put(worker)

    def _ask(
        self, worker: _Worker, request: dict[str, Any], deadline: Deadline
    ) -> tuple[dict[str, Any], bytes]:
        """One request to ``worker``; a worker that overran or died is replaced and the failure
        raised as what it was (504, 503 for memory, 500 for a crash or an engine panic)."""
        try:
            return worker.ask(request, deadline)
        except TimeoutError:
            self.kills += 1
            self._replace(worker)
            raise _Lost(QueryTimeout(deadline.seconds)) from None
        except _WorkerDied as died:
            self._replace(worker)
            log.warning("query worker exited with %s: %s", died.returncode, died.stderr.strip()[:1200])
            raise _Lost(self._failure(died)) from None

    def _failure(self, died: _WorkerDied) -> ServiceError:
        panic = next((line for line in died.stderr.splitlines() if " panicked at " in line), None)
        if panic is not None:  # an engine bug this query triggers; only its worker died
            detail = died.stderr.split(panic, 1)[1].strip().splitlines()[:1]
            return StoreError(
                f"the query engine failed on this query ({' '.join(detail) or 'a panic'}); "
                "the service is unaffected. Rewriting the query (another ORDER BY key) may avoid it"
            )
        if _out_of_memory(died):
            self.memory_failures += 1
            return QueryResourcesExceeded(self.memory_mb)
        crash = _crash_signal(died)
        if crash is not None:  # a stack overflow in the engine's evaluator, most often
            self.crashes += 1
            return EngineCrashed(crash)
        return StoreError(f"the query worker failed: {died.stderr.strip() or died}")

    def shutdown(self) -> None:
        self._closed = True
        for pool in (self._idle, self._spares):
            while True:
                try:
                    worker = pool.get_nowait()
                except queue.Empty:
                    break
                worker.kill()
        self.snapshots.close()
