"""A query worker process: evaluates user SPARQL over a read-only store snapshot and serialises it.

Started by :mod:`econsec.service.execution.isolation`, never by hand. It exists because pyoxigraph cannot
cancel a running query: a query the service has given up on is stopped by killing the process
it runs in, and a query that would take the machine's memory hits this process's address-space
limit instead. The worker only ever opens snapshots (RocksDB checkpoints the service makes after
each write), so opening them read-only is safe while the service keeps writing its own store.

Protocol on stdin/stdout, one request at a time: the request is one JSON line; the answer is one
JSON header line followed by exactly ``length`` bytes of body when the header says ``ok``. A
request with ``"inspect": true`` asks for the federation guard's parse of the query instead (its
SERVICE targets, in the header): the parent checks them before it sends the evaluation. A request
with ``"dry_run": true`` runs an update on an empty in-memory store (``write/sparql_update.py``'s
:func:`~econsec.service.write.sparql_update.screen_update`): the engine's parse and planning of a
token holder's update, which can overflow the stack or run for minutes, cost this process only.
"""

from __future__ import annotations

import json
import os
import resource
import sys
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from time import monotonic
from typing import Any, BinaryIO

from pyoxigraph import Store

from ..errors import ServiceError, StoreError
from ..security.lexer import check_nesting
from ..sparql.formats import Format, negotiate
from ..sparql.native_results import NATIVE, TooManyRows, rows_at_most, serialize_within
from ..sparql.writers import Payload
from ..store.base import QueryResult
from ..store.evaluate import evaluate
from .executor import Deadline

#: resident bytes an inspection may leave behind before the worker asks to be retired
_INSPECTION_KEEPS = 64 * 1024 * 1024

#: far enough that the worker never stops itself: the parent owns the deadline and kills
_NO_DEADLINE = Deadline(float("inf"), float("inf"))


@dataclass
class _Snapshot:
    path: str | None = None
    store: Store | None = None

    def open(self, path: str) -> Store:
        if self.path != path or self.store is None:
            self.store = None  # release the old snapshot's files first
            self.store = Store.read_only(path)
            self.path = path
        return self.store


def _answer(snapshot: _Snapshot, request: dict[str, Any], budget: int) -> tuple[dict[str, Any], bytes]:
    try:
        if request.get("inspect"):
            _cap(budget)
            return _inspect(request), b""
        if request.get("dry_run"):
            _cap(budget)
            return _dry_run(request), b""
        store = snapshot.open(request["snapshot"])
        _cap(budget)
        check_nesting(request["query"])  # a 400 naming the limit, before the engine's parser recurses
        result = _evaluate(store, request)
        fmt = negotiate(result.kind, request.get("accept"), request.get("format"))
        payload = _write(result, fmt, int(request["limit"]), lambda: _evaluate(store, request))
    except ServiceError as exc:
        error = {"status": exc.status, "title": exc.title, "message": exc.message}
        return {
            "ok": False,
            **error,
            "details": exc.details(),
            "text": exc.text(),
            "headers": exc.headers,
        }, b""
    except (OSError, RuntimeError, ValueError) as exc:  # the engine failing, not the client
        failure = StoreError(str(exc))
        error = {"status": failure.status, "title": failure.title, "message": failure.message}
        return {"ok": False, **error, "details": {}, "text": failure.text(), "headers": {}}, b""
    header = {"ok": True, "content_type": fmt.content_type, "truncated": payload.truncated}
    return header, payload.body


def _inspect(request: dict[str, Any]) -> dict[str, Any]:
    """The federation guard's parse of the query (nesting, then the SERVICE targets), here where
    the parent's deadline and this process's memory cap bound it: the parent checks the targets
    against the allowlist before it asks for the evaluation."""
    from ..security.guard import inspect_targets  # rdflib: imported by the workers that need it

    check_nesting(request["query"])
    return {"ok": True, "targets": inspect_targets(request["query"], update=bool(request.get("update")))}


def _dry_run(request: dict[str, Any]) -> dict[str, Any]:
    """The update's screening (nesting, LOAD, the engine's parse and a run on an empty store)."""
    from ..write.sparql_update import screen_update  # the write path: imported where it is needed

    screen_update(request["query"], base_iri=request.get("base_iri"))
    return {"ok": True}


def _evaluate(store: Store, request: dict[str, Any]) -> QueryResult:
    return evaluate(
        store,
        request["query"],
        default_graph_uris=request.get("default_graph_uris", ()),
        named_graph_uris=request.get("named_graph_uris", ()),
        base_iri=request.get("base_iri"),  # the endpoint's URL, as the in-process path uses
    )


def _write(result: QueryResult, fmt: Format, limit: int, again: Callable[[], QueryResult]) -> Payload:
    """The engine's own writer when the format has one and the answer fits the row limit.

    Past the limit the engine's writer is stopped and the query is evaluated ``again`` for the
    service's writer, which cuts the answer at the limit and says so: an answer that is cut costs
    two evaluations, every other one is written about five times faster. No deadline check is
    needed on the way: the parent kills this process at the deadline.
    """
    native = NATIVE.get(fmt.key)
    if native is not None and result.engine_solutions is not None:
        try:
            body = serialize_within(result.engine_solutions, native, limit)
            return Payload(body, count=rows_at_most(body, native))
        except TooManyRows:
            result = again()
    return fmt.write(result, _NO_DEADLINE, limit)


def _memory() -> tuple[int, int]:
    """(virtual, resident) bytes of this process now; RLIMIT_AS caps the first."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        size, resident = statm.read().split()[:2]
    page = resource.getpagesize()
    return int(size) * page, int(resident) * page


def _cap(budget: int) -> None:
    """Let the next query allocate ``budget`` bytes beyond what the process holds now.

    The cap is relative because opening a RocksDB snapshot reserves a few hundred megabytes of
    address space it never touches; an absolute cap would leave a cheap query less room than
    ECONSEC_QUERY_MEMORY_MB says.
    """
    if budget > 0:
        resource.setrlimit(resource.RLIMIT_AS, (_memory()[0] + budget, resource.RLIM_INFINITY))


def serve(requests: BinaryIO, answers: BinaryIO, memory: int = 0, open_first: str | None = None) -> None:
    """Answer requests until stdin closes.

    Each query may allocate ``memory`` bytes more than the process holds when it starts (an
    allocation past that aborts this process only). After a query that left more than half of
    that resident (the allocator keeps what a big sort or join took), the answer asks to be
    retired, so the process does not grow from query to query.
    """
    snapshot = _Snapshot()
    if open_first is not None:
        # gone already, or being deleted while it opens (a newer checkpoint replaced it, and
        # nobody holds this one): RocksDB says OSError or RuntimeError; the query's own
        # checkpoint, held for it by the parent, is opened on demand instead
        with suppress(OSError, RuntimeError):
            snapshot.open(open_first)
    for line in requests:
        started, resident = monotonic(), _memory()[1]
        request = json.loads(line)
        header, body = _answer(snapshot, request, memory)
        header["length"] = len(body)
        header["seconds"] = round(monotonic() - started, 6)
        now = _memory()[1]
        # rdflib's parse of a long text leaves its heap to Python's allocator: retire the worker
        # rather than keep hundreds of megabytes for the next inspection
        grown = bool(request.get("inspect")) and now - resident > _INSPECTION_KEEPS
        header["retire"] = grown or (bool(memory) and now > memory // 2)
        answers.write(json.dumps(header).encode() + b"\n")
        answers.write(body)
        answers.flush()


def main() -> None:
    memory = int(sys.argv[1]) if len(sys.argv) > 1 else 0  # bytes one query may allocate
    open_first = sys.argv[2] if len(sys.argv) > 2 else None  # the store to open before any query
    answers = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)  # anything a library prints goes to stderr, never into the answer stream
    sys.stdout = sys.stderr
    serve(sys.stdin.buffer, answers, memory, open_first)


if __name__ == "__main__":
    main()
