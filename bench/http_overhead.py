"""HTTP overhead: point lookups at 8 connections against econsec serve, oxigraph serve and rdflib-endpoint.

Same run, same queries (``SELECT ?p ?o WHERE { <entity> ?p ?o }`` rotating over real entity
IRIs of the build), same load generator (wrk; a Python client only when wrk is missing, and
then the result says so), all on loopback. Servers run one at a time, each warmed up first.

    python -m bench.http_overhead                 # all servers, 15 s each
    python -m bench.http_overhead --seconds 5 --only econsec oxigraph
    python -m bench.http_overhead --profile       # also: py-spy profile of econsec serve under load
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import httpx
from pyoxigraph import NamedNode, RdfFormat, parse

from .loadgen import ACCEPT, LoadResult, ensure_wrk, run_load
from .profile import profile_under_load
from .report import environment, load_cells, markdown_table, write_result
from .servers import (
    REPO,
    Server,
    copy_store,
    econsec_server,
    fill_store,
    floor_server,
    oxigraph_load,
    oxigraph_server,
    rdflib_endpoint_server,
)

ID = "https://w3id.org/econsec/id/"
TARGET_VS_OXIGRAPH = 0.3
TARGET_VS_RDFLIB = 5.0


def entity_iris(nquads: Path, count: int = 500, min_triples: int = 3) -> list[str]:
    """A deterministic sample of entity IRIs (subjects under ``/id/`` with a few triples each)."""
    subjects: Counter[str] = Counter()
    for quad in parse(path=str(nquads), format=RdfFormat.N_QUADS):
        if isinstance(quad.subject, NamedNode) and quad.subject.value.startswith(ID):
            subjects[quad.subject.value] += 1
    eligible = sorted(s for s, n in subjects.items() if n >= min_triples)
    eligible.sort(key=lambda iri: hashlib.sha1(iri.encode()).hexdigest())
    return eligible[:count]


def point_lookups(iris: list[str]) -> list[str]:
    return [f"SELECT ?p ?o WHERE {{ <{iri}> ?p ?o }}" for iri in iris]


def rows(server: Server, query: str) -> int:
    answer = httpx.post(server.endpoint, data={"query": query}, headers={"Accept": ACCEPT}, timeout=60)
    answer.raise_for_status()
    return len(answer.json()["results"]["bindings"])


def fast_io_dir(work: Path) -> Path | None:
    """uvloop + httptools installed into a directory of their own (not the project venv), or None."""
    target = work / "fast-io"
    if not (target / "uvloop").is_dir() or not (target / "httptools").is_dir():
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--target",
                str(target),
                "uvloop",
                "httptools",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(f"uvloop/httptools not installable, skipping that variant:\n{done.stderr[-500:]}")
            return None
    return target


def measure(
    server: Server, queries: list[str], *, seconds: float, warmup: float, wrk: str | None, connections: int
) -> dict[str, Any]:
    run_load(server.endpoint, queries, connections=connections, seconds=warmup, wrk=wrk)
    load_before = os.getloadavg()[0]
    cpu_before = server.cpu_seconds()
    result: LoadResult = run_load(server.endpoint, queries, connections=connections, seconds=seconds, wrk=wrk)
    cpu = server.cpu_seconds() - cpu_before
    mem = server.memory()
    return {
        "server": server.name,
        "notes": server.notes,
        **result.as_dict(),
        "server_cpu_s": round(cpu, 2),
        "server_cpu_ms_per_request": round(1000 * cpu / max(result.requests, 1), 3),
        "rss_mib": round(mem.get("VmRSS", 0) / 1024, 1),
        "hwm_mib": round(mem.get("VmHWM", 0) / 1024, 1),
        "load_average_1m_before": round(load_before, 2),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument(
        "--work-dir", type=Path, default=Path(os.environ.get("BENCH_WORK_DIR", "/tmp/econsec-bench"))
    )
    parser.add_argument("--seconds", type=float, default=15.0, help="measured seconds per server")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=1, help="measured runs per server (median reported)")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--iris", type=int, default=500, help="entity IRIs to rotate over")
    parser.add_argument("--only", nargs="*", help="names of the variants to run (default: all)")
    parser.add_argument("--python-client", action="store_true", help="use the Python load generator, not wrk")
    parser.add_argument("--profile", action="store_true", help="py-spy profile of econsec serve under load")
    parser.add_argument("--result-name", default="http_overhead", help="bench/results/NAME.json")
    args = parser.parse_args(argv)

    nquads = args.build_dir / "econsec.nq"
    if not nquads.is_file():
        raise SystemExit(f"{nquads} is missing: run `econsec build` first")
    work = args.work_dir / "http"
    logs = work / "logs"
    wrk = None if args.python_client else ensure_wrk()
    if wrk is None:
        print("WARNING: wrk is not available; the Python load generator is itself a bottleneck on 2 cores.")

    print("preparing stores ...")
    data = work / "econsec-data"
    if data.exists():
        subprocess.run(["rm", "-rf", str(data)], check=True)
    fill_store(data, args.build_dir)
    copy_store(data, work / "oxigraph-copy")
    oxigraph_load(work / "oxigraph-load", [nquads])
    fast_io = fast_io_dir(args.work_dir)
    iris = entity_iris(nquads, args.iris)
    queries = point_lookups(iris)

    threads = {"ECONSEC_ISOLATE_QUERIES": "false"}  # evaluate on the service's threads, no worker processes
    fio = {"pythonpath": fast_io} if fast_io is not None else {}
    b = args.build_dir
    variants: dict[str, Callable[[], AbstractContextManager[Server]]] = {
        "econsec": lambda: econsec_server(data, b, logs),
        "econsec-threads": lambda: econsec_server(data, b, logs, name="econsec-threads", env=threads),
        "econsec-quiet": lambda: econsec_server(data, b, logs, variant="econsec-quiet"),
        "econsec-workers2": lambda: econsec_server(
            data, b, logs, name="econsec-workers2", env={"ECONSEC_WORKERS": "2"}
        ),
        "econsec-nocache": lambda: econsec_server(
            data, b, logs, name="econsec-nocache", env={"ECONSEC_RESULT_CACHE_BYTES": "0"}
        ),
        "econsec-workers2-nocache": lambda: econsec_server(
            data,
            b,
            logs,
            name="econsec-workers2-nocache",
            env={"ECONSEC_WORKERS": "2", "ECONSEC_RESULT_CACHE_BYTES": "0"},
        ),
    }
    if fast_io is not None:
        variants["econsec-uvloop"] = lambda: econsec_server(data, b, logs, name="econsec-uvloop", **fio)
        variants["econsec-quiet-uvloop"] = lambda: econsec_server(
            data, b, logs, variant="econsec-quiet", name="econsec-quiet-uvloop", **fio
        )
        variants["econsec-threads-quiet-uvloop"] = lambda: econsec_server(
            data, b, logs, variant="econsec-quiet", name="econsec-threads-quiet-uvloop", env=threads, **fio
        )
    variants["econsec-1proc-ro"] = lambda: econsec_server(
        data, b, logs, variant="econsec-1proc-ro", env=threads
    )
    variants["econsec-2proc"] = lambda: econsec_server(data, b, logs, variant="econsec-2proc", env=threads)
    if fast_io is not None:
        variants["econsec-2proc-uvloop"] = lambda: econsec_server(
            data, b, logs, variant="econsec-2proc", name="econsec-2proc-uvloop", env=threads, **fio
        )
    variants["oxigraph"] = lambda: oxigraph_server(work / "oxigraph-copy", logs, union=False)
    variants["oxigraph-union"] = lambda: oxigraph_server(
        work / "oxigraph-load", logs, union=True, name="oxigraph-union"
    )
    variants["rdflib-endpoint"] = lambda: rdflib_endpoint_server([nquads], logs)
    variants["floor-asgi"] = lambda: floor_server(logs)
    variants["floor-engine"] = lambda: floor_server(logs, name="floor-engine", store=work / "oxigraph-copy")
    if fast_io is not None:
        variants["floor-asgi-uvloop"] = lambda: floor_server(logs, name="floor-asgi-uvloop", **fio)
    notes = {
        "econsec-threads": "econsec serve as shipped with ECONSEC_ISOLATE_QUERIES=false (queries on threads)",
        "econsec-workers2": "econsec serve --workers 2 (ECONSEC_WORKERS=2): two read-only serving processes",
        "econsec-nocache": "econsec serve with the result cache off (ECONSEC_RESULT_CACHE_BYTES=0)",
        "econsec-workers2-nocache": "econsec serve --workers 2 with the result cache off",
        "oxigraph": "oxigraph serve over a copy of econsec's own store (same quads, default graph = the merge)",
        "oxigraph-union": "oxigraph load build/econsec.nq + oxigraph serve --union-default-graph (a bag)",
        "rdflib-endpoint": "rdflib-endpoint serve build/econsec.nq (rdflib Memory Dataset, default_union)",
        "econsec-uvloop": "econsec serve as shipped, uvloop + httptools importable (PYTHONPATH)",
        "econsec-quiet-uvloop": "access log off + uvloop + httptools (queries isolated, the default)",
        "econsec-threads-quiet-uvloop": "queries on threads + access log off + uvloop + httptools",
        "econsec-2proc": "two processes (Store.read_only each), queries on threads, access log off",
        "econsec-2proc-uvloop": "two read-only processes, queries on threads, access log off, uvloop + httptools",
        "floor-asgi-uvloop": "bare ASGI app, uvloop + httptools",
    }
    chosen = [name for name in variants if not args.only or name in args.only]
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in chosen}
    probe = queries[:20]
    for round_ in range(1, args.rounds + 1):  # rounds interleave the servers: drift hits all alike
        for name in chosen:
            with variants[name]() as server:
                if name in notes:
                    server.notes.append(notes[name])
                counts = [rows(server, q) for q in probe] if not name.startswith("floor") else [0]
                result = measure(
                    server,
                    queries,
                    seconds=args.seconds,
                    warmup=args.warmup,
                    wrk=wrk,
                    connections=args.connections,
                )
                result["rows_first_20_queries"] = sum(counts)
                runs[name].append(result)
                print(
                    f"round {round_} {name}: {result['requests_per_s']:,.0f} req/s, p50 {result['p50_ms']:.2f} ms, "
                    f"p99 {result['p99_ms']:.2f} ms, errors {result['errors']}, non-2xx {result['non_2xx']}, "
                    f"server CPU {result['server_cpu_ms_per_request']} ms/req, RSS {result['rss_mib']} MiB, "
                    f"load {result['load_average_1m_before']}"
                )
            time.sleep(1)
    results: list[dict[str, Any]] = []
    for name in chosen:  # the median run by throughput, with every run's figure kept
        ordered = sorted(runs[name], key=lambda r: r["requests_per_s"])
        median = dict(ordered[(len(ordered) - 1) // 2])
        median["requests_per_s_all_rounds"] = [r["requests_per_s"] for r in runs[name]]
        results.append(median)

    profiles: dict[str, Any] = {}
    if args.profile:
        plans = [
            ("isolated-all", {}, False),  # the default: the service process and its query workers
            ("isolated-gil", {}, True),
            ("threads-gil", threads, True),
        ]
        for label, env, gil in plans:
            with econsec_server(data, b, logs, name=f"econsec-profiled-{label}", env=env) as server:
                run_load(server.endpoint, queries, connections=args.connections, seconds=args.warmup, wrk=wrk)
                profiles[label] = profile_under_load(
                    server,
                    queries,
                    seconds=args.seconds,
                    wrk=wrk,
                    connections=args.connections,
                    out_dir=work,
                    gil_only=gil,
                    subprocesses=not gil,
                )

    by_name = {r["server"]: r for r in results}
    ratios: dict[str, float] = {}
    for ours in [r for r in by_name if r.startswith("econsec")]:
        for theirs, key in (("oxigraph", "vs_oxigraph"), ("oxigraph-union", "vs_oxigraph_union")):
            if theirs in by_name:
                ratios[f"{ours} {key}"] = round(
                    by_name[ours]["requests_per_s"] / by_name[theirs]["requests_per_s"], 3
                )
        if "rdflib-endpoint" in by_name:
            ratios[f"{ours} vs_rdflib_endpoint"] = round(
                by_name[ours]["requests_per_s"] / by_name["rdflib-endpoint"]["requests_per_s"], 2
            )
    out = {
        "benchmark": "http_overhead",
        "environment": environment(),
        "command": " ".join(["python -m bench.http_overhead", *(argv if argv is not None else sys.argv[1:])]),
        "queries": f"{len(queries)} point lookups, e.g. {queries[0]}",
        "targets": {"vs_oxigraph": TARGET_VS_OXIGRAPH, "vs_rdflib_endpoint": TARGET_VS_RDFLIB},
        "results": results,
        "ratios": ratios,
        "profiles": profiles,
    }
    path = write_result(args.result_name, out)
    table = [[r["server"], *load_cells(r), r["rss_mib"]] for r in results]
    print(markdown_table(["server", "req/s", "p50 ms", "p99 ms", "errors", "RSS MiB"], table))
    for key, value in ratios.items():
        print(f"{key}: {value}")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
