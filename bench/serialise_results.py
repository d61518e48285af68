"""In-process: what serialising SPARQL JSON results costs per row, the service's writer vs pyoxigraph's own.

No HTTP, no threads: one query over the build loaded in memory, its rows (1) only iterated,
(2) written by ``econsec.service.sparql.writers.write_json`` (Python, a deadline check and a row count
per row), (3) written by pyoxigraph's ``QuerySolutions.serialize`` (Rust). Median of N runs::

    python -m bench.serialise_results
"""

from __future__ import annotations

import argparse
import io
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from econsec.service.execution.executor import Deadline
from econsec.service.sparql.writers import write_json
from econsec.service.store.base import QueryResult
from pyoxigraph import QueryResultsFormat, RdfFormat, Store

from .report import write_result
from .servers import REPO

QUERY = "SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }"


def _median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args(argv)
    store = Store()
    store.bulk_load(path=str(args.build_dir / "econsec.nq"), format=RdfFormat.N_QUADS)
    rows = sum(1 for _ in store.query(QUERY))  # type: ignore[union-attr]

    def iterate() -> None:
        for _ in store.query(QUERY):  # type: ignore[union-attr]
            pass

    def python_writer() -> None:
        write_json(QueryResult.of(store.query(QUERY)), Deadline.after(60), 10**9)

    def native() -> None:
        out = io.BytesIO()
        store.query(QUERY).serialize(out, QueryResultsFormat.JSON)  # type: ignore[union-attr]

    figures = {
        name: _median_ms(fn, args.runs)
        for name, fn in [("iterate", iterate), ("python", python_writer), ("native", native)]
    }
    result = {
        "benchmark": "serialise_results",
        "query": QUERY,
        "rows": rows,
        "median_ms": {k: round(v, 2) for k, v in figures.items()},
        "microseconds_per_row": {k: round(1000 * v / rows, 2) for k, v in figures.items()},
    }
    print(result)
    write_result("serialise_results", result)


if __name__ == "__main__":
    main()
