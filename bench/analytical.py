"""Analytical queries: econsec serve vs oxigraph serve on the same store, single client, median of N runs.

Two datasets: the build (about 24.5k quads, where HTTP overhead dominates) and the build
replicated K times with renamed IRIs (default about 1M quads in the named graphs), where query
time dominates. Both servers serve the *same* store: econsec's embedded store is filled
(``econsec load``), closed, and its RocksDB directory copied for ``oxigraph serve``, so the
quads and the default graph (econsec's materialised merge) are identical and so must the answers
be (the row counts are compared). Runs alternate between the servers, so drift in the machine's
load hits both alike.

    python -m bench.analytical                  # build + ~1M replicated, 7 runs per query
    python -m bench.analytical --copies 0       # the build only
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from .analytical_queries import QUERIES
from .loadgen import ACCEPT
from .report import environment, markdown_table, write_result
from .servers import REPO, Server, copy_store, econsec_server, fill_store, oxigraph_server, tree_size
from .synthetic import replicate

TARGET_RATIO = 1.2
#: the service's default 30 s deadline would answer 504 to a slow analytical query on a big dataset
#: long deadlines, and the result cache off: every timed run evaluates the query (a repeated
#: query would otherwise be answered from the cache after its first run)
_LONG_QUERIES = {"ECONSEC_QUERY_TIMEOUT": "600", "ECONSEC_RESULT_CACHE_BYTES": "0"}


def timed(client: httpx.Client, server: Server, query: str) -> tuple[float, int]:
    """Seconds for one query (request sent to last byte read) and its row count."""
    started = time.perf_counter()
    answer = client.post(server.endpoint, data={"query": query}, headers={"Accept": ACCEPT})
    body = answer.content
    elapsed = time.perf_counter() - started
    if answer.status_code != 200:
        raise RuntimeError(f"{server.name} answered {answer.status_code}: {body[:500]!r}")
    return elapsed, len(answer.json()["results"]["bindings"])


def run_dataset(label: str, data: Path, build_dir: Path, work: Path, runs: int) -> dict[str, Any]:
    logs = work / "logs"
    copy_store(data, work / f"oxigraph-{label}")
    rows: list[dict[str, Any]] = []
    with (
        econsec_server(data, build_dir, logs, name=f"econsec-{label}", env=_LONG_QUERIES) as ours,
        oxigraph_server(work / f"oxigraph-{label}", logs, union=False, name=f"oxigraph-{label}") as theirs,
        httpx.Client(timeout=600) as client,
    ):
        for name, query in QUERIES.items():
            timed(client, ours, query)  # warm-up: caches, first-use costs
            timed(client, theirs, query)
            ours_s: list[float] = []
            theirs_s: list[float] = []
            counts: set[tuple[str, int]] = set()
            for _ in range(runs):
                t, n = timed(client, ours, query)
                ours_s.append(t)
                counts.add(("econsec", n))
                t, n = timed(client, theirs, query)
                theirs_s.append(t)
                counts.add(("oxigraph", n))
            ours_med, theirs_med = statistics.median(ours_s), statistics.median(theirs_s)
            row_counts = {server: n for server, n in counts}
            row = {
                "query": name,
                "econsec_median_ms": round(ours_med * 1000, 2),
                "oxigraph_median_ms": round(theirs_med * 1000, 2),
                "ratio": round(ours_med / theirs_med, 3),
                "econsec_runs_ms": [round(t * 1000, 2) for t in ours_s],
                "oxigraph_runs_ms": [round(t * 1000, 2) for t in theirs_s],
                "rows": row_counts,
                "same_rows": len(set(row_counts.values())) == 1,
            }
            rows.append(row)
            print(
                f"{label} {name}: econsec {row['econsec_median_ms']} ms, oxigraph {row['oxigraph_median_ms']} ms, "
                f"ratio {row['ratio']}, rows {row_counts}"
            )
        mem_ours, mem_theirs = ours.memory(), theirs.memory()
    return {
        "dataset": label,
        "store_bytes": tree_size(data / "oxigraph"),
        "queries": rows,
        "econsec_rss_mib": round(mem_ours.get("VmRSS", 0) / 1024, 1),
        "oxigraph_rss_mib": round(mem_theirs.get("VmRSS", 0) / 1024, 1),
        "geometric_mean_ratio": round(statistics.geometric_mean([r["ratio"] for r in rows]), 3),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument(
        "--work-dir", type=Path, default=Path(os.environ.get("BENCH_WORK_DIR", "/tmp/econsec-bench"))
    )
    parser.add_argument(
        "--runs", type=int, default=7, help="timed runs per query and server (median reported)"
    )
    parser.add_argument(
        "--copies", type=int, default=42, help="replicas of the build for the large dataset (0: skip it)"
    )
    args = parser.parse_args(argv)
    nquads = args.build_dir / "econsec.nq"
    if not nquads.is_file():
        raise SystemExit(f"{nquads} is missing: run `econsec build` first")
    work = args.work_dir / "analytical"
    work.mkdir(parents=True, exist_ok=True)

    datasets: list[dict[str, Any]] = []
    small = work / "econsec-build"
    shutil.rmtree(small, ignore_errors=True)
    fill_store(small, args.build_dir)
    datasets.append(run_dataset("build", small, args.build_dir, work, args.runs))

    if args.copies > 0:
        replicated = work / f"replicated-{args.copies}.nq"
        quads = replicate(nquads, replicated, args.copies)
        large = work / f"econsec-replicated-{args.copies}"
        shutil.rmtree(large, ignore_errors=True)
        load_s = fill_store(large, args.build_dir, [replicated])
        print(f"replicated: {quads:,} quads written, econsec load took {load_s:.1f} s")
        result = run_dataset(f"replicated-x{args.copies}", large, args.build_dir, work, args.runs)
        result["replicated_quads"] = quads
        result["econsec_load_seconds"] = round(load_s, 1)
        datasets.append(result)

    out = {
        "benchmark": "analytical",
        "environment": environment(),
        "command": " ".join(["python -m bench.analytical", *(argv if argv is not None else sys.argv[1:])]),
        "target_ratio": TARGET_RATIO,
        "datasets": datasets,
    }
    path = write_result("analytical", out)
    for ds in datasets:
        print(f"\n{ds['dataset']} (store {ds['store_bytes'] / 1e6:.0f} MB):")
        table = [
            [q["query"], q["econsec_median_ms"], q["oxigraph_median_ms"], q["ratio"], q["same_rows"]]
            for q in ds["queries"]
        ]
        print(markdown_table(["query", "econsec ms", "oxigraph ms", "ratio", "same rows"], table))
        print(f"geometric mean ratio {ds['geometric_mean_ratio']} (target <= {TARGET_RATIO})")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
