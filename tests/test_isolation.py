"""Query isolation: worker processes over snapshots, killed at the deadline, capped in memory.

These drive :class:`QueryWorkers` directly with real worker processes and a real store, with
queries that a thread could not stop: an aggregate over a cross product (no row until the end)
and a sort over one (tens of gigabytes if nothing stops it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import BuildResult
from econsec.service.errors import QueryResourcesExceeded, QueryTimeout, StoreError
from econsec.service.execution.executor import Deadline
from econsec.service.execution.isolation import ForwardedError, QueryWorkers, Snapshots

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
PRODUCT_COUNT = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?x ?y ?z } }"
#: sorted by subjects (IRIs): pyoxigraph 0.5.13 can panic sorting mixed literals (see below)
PRODUCT_SORT = "SELECT * WHERE { GRAPH ?a { ?s ?p ?o } GRAPH ?b { ?x ?y ?z } } ORDER BY ?s ?x"


@pytest.fixture
def store(built: BuildResult, tmp_path: Path) -> ox.Store:
    store = ox.Store(str(tmp_path / "primary"))
    store.bulk_load(path=str(built.paths.nquads), format=ox.RdfFormat.N_QUADS)
    return store


@pytest.fixture
def workers(store: ox.Store, tmp_path: Path) -> Iterator[QueryWorkers]:
    pool = QueryWorkers(1, memory_mb=1024, snapshots=Snapshots(store, tmp_path / "snapshots"))
    yield pool
    pool.shutdown()


def ask(workers: QueryWorkers, query: str, seconds: float = 60.0, accept: str = "text/csv") -> bytes:
    answer = workers.run(query, accept=accept, format_key=None, limit=1000, deadline=Deadline.after(seconds))
    return answer.body


def count(workers: QueryWorkers) -> int:
    return int(ask(workers, COUNT).split(b"\r\n")[1])


def test_a_worker_answers_in_the_negotiated_format(workers: QueryWorkers, built: BuildResult) -> None:
    assert count(workers) == built.total_quads
    answer = workers.run(
        COUNT,
        accept="application/sparql-results+json",
        format_key=None,
        limit=10,
        deadline=Deadline.after(60),
    )
    assert answer.content_type.startswith("application/sparql-results+json")


def test_a_client_error_in_the_worker_comes_back_as_the_same_error(workers: QueryWorkers) -> None:
    with pytest.raises(ForwardedError) as info:
        ask(workers, "SELECT ?x WHERE { ?x }")
    assert info.value.status == 400
    assert "1:" in info.value.message
    assert count(workers) > 0  # the worker is still there


def test_a_query_past_its_deadline_is_killed_and_the_worker_replaced(workers: QueryWorkers) -> None:
    with pytest.raises(QueryTimeout):
        ask(workers, PRODUCT_COUNT, seconds=1.5)
    assert workers.kills == 1
    assert count(workers) > 0  # a fresh worker took its place


def test_a_query_over_the_memory_cap_is_stopped_alone(workers: QueryWorkers) -> None:
    with pytest.raises(QueryResourcesExceeded) as info:
        ask(workers, PRODUCT_SORT, seconds=120)
    assert "ECONSEC_QUERY_MEMORY_MB" in info.value.message
    assert workers.memory_failures == 1
    assert count(workers) > 0


def test_cheap_queries_after_a_big_one_keep_their_memory_budget(workers: QueryWorkers) -> None:
    sort_everything = "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?s"
    for _ in range(3):  # a sort of every quad fits the budget, again and again
        assert len(ask(workers, sort_everything)) > 1000
    with pytest.raises(QueryResourcesExceeded):
        ask(workers, PRODUCT_SORT, seconds=120)
    for _ in range(3):
        assert count(workers) > 0
    assert workers.memory_failures == 1


def test_a_write_is_seen_after_the_snapshot_is_refreshed(workers: QueryWorkers, store: ox.Store) -> None:
    before = count(workers)
    graph = ox.NamedNode("https://w3id.org/econsec/graph/test")
    store.add(
        ox.Quad(
            ox.NamedNode("http://example.org/a"), ox.NamedNode("http://example.org/b"), ox.Literal("c"), graph
        )
    )
    assert count(workers) == before  # the old snapshot, until the service says a write committed
    workers.snapshots.refresh()
    assert count(workers) == before + 1


def test_unused_snapshots_are_deleted(workers: QueryWorkers, tmp_path: Path) -> None:
    for _ in range(3):
        workers.snapshots.refresh()
        count(workers)
    assert len(list((tmp_path / "snapshots").iterdir())) == 1


def test_an_engine_panic_stops_only_its_worker(workers: QueryWorkers) -> None:
    """pyoxigraph 0.5.13 sometimes panics ("comparison ... does not correctly implement a total
    order") sorting every quad by a column of mixed literals; in a worker that is a 500 for that
    query, and the next query is answered."""
    outcomes = set()
    for _ in range(6):
        try:
            ask(workers, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?o")
            outcomes.add("answered")
        except StoreError as exc:
            assert "query engine failed" in exc.message
            outcomes.add("panic")
        assert count(workers) > 0
    assert outcomes <= {"answered", "panic"}


def test_only_an_allocation_failure_is_reported_as_memory() -> None:
    """A worker that died another way (here: a snapshot that vanished while it opened, whose
    traceback happens to name a ``memory`` variable) is not blamed on the memory cap."""
    from econsec.service.execution.isolation import _out_of_memory, _WorkerDied

    vanished = _WorkerDied(
        1, "serve(sys.stdin.buffer, answers, memory, open_first)\nRuntimeError: Corruption: IO error"
    )
    assert not _out_of_memory(vanished)
    assert not _out_of_memory(_WorkerDied(-11, "Fatal Python error: Segmentation fault"))
    assert _out_of_memory(_WorkerDied(-6, "memory allocation of 240 bytes failed"))
    assert _out_of_memory(_WorkerDied(1, "MemoryError"))
