"""Bulk load and memory: N synthetic triples through ``econsec load``, then ``econsec serve`` on them.

1. Stream N triples (default 10 million; realistic shape, several named graphs) to an N-Quads file.
2. ``econsec load FILE`` into a fresh data directory: wall time, peak resident memory of the
   loading process (VmHWM sampled from /proc, and the kernel's ru_maxrss at exit).
3. Store size on disk, and how many quads it holds: the embedded store also writes every
   named-graph triple to the default graph (the materialised union), so expect about twice N.
4. ``econsec serve`` on that directory; point lookups at 8 connections for a bounded time; the
   serving process's VmRSS / VmHWM after them (target: under 2 GB).
5. For reference, ``oxigraph load`` of the same file (skip with ``--no-oxigraph``).

    python -m bench.bulk_load                     # 10M triples: several minutes, a few GB on disk
    python -m bench.bulk_load --triples 1000000   # a quick run
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from .http_overhead import point_lookups, rows
from .loadgen import ensure_wrk, run_load
from .profile import summarise
from .report import environment, write_result
from .servers import REPO, children, econsec_command, econsec_server, memory, oxigraph_binary, tree_size
from .synthetic import generate

TARGET_SERVE_RSS_MIB = 2048


def _count_quads(store_dir: Path) -> dict[str, int]:
    """Quads in the store, in the default graph and in named graphs (a read-only open, nobody writing)."""
    code = (
        "import json, sys\n"
        "from pyoxigraph import Store\n"
        f"s = Store.read_only({str(store_dir)!r})\n"
        "total = len(s)\n"
        "q = 'SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }'\n"
        "default = int(next(iter(s.query(q)))[0].value)\n"
        "print(json.dumps({'total': total, 'default_graph': default, 'named_graphs': total - default}))\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout))


def measured_load(command: list[str], log: Path, *, profile: Path | None = None) -> dict[str, Any]:
    """Run a loading command; wall time and peak memory (sampled VmHWM and the kernel's ru_maxrss).

    With ``profile``, py-spy samples the (Python) loader until it exits, into that raw file.
    """
    started = time.perf_counter()
    with log.open("wb") as out:
        process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, cwd=REPO)
    spy = None
    if profile is not None:
        spy_bin = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        spy = subprocess.Popen(
            [
                spy_bin,
                "record",
                "--pid",
                str(process.pid),
                "--rate",
                "20",
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(profile),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    peak_hwm = 0
    status = 0
    try:
        while True:
            mem = memory(process.pid)
            peak_hwm = max(peak_hwm, mem.get("VmHWM", 0))
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == process.pid:
                process.returncode = os.waitstatus_to_exitcode(status)
                break
            time.sleep(0.2)
    finally:
        if process.returncode is None:
            process.kill()
            process.wait()
    elapsed = time.perf_counter() - started
    if spy is not None:
        try:
            spy.wait(timeout=60)  # py-spy writes its file once the process it samples is gone
        except subprocess.TimeoutExpired:
            spy.kill()
            spy.wait()
    if process.returncode != 0:
        raise RuntimeError(f"{command[:4]} failed ({process.returncode}): {log.read_text()[-2000:]}")
    return {
        "seconds": round(elapsed, 1),
        "peak_rss_mib_sampled": round(peak_hwm / 1024, 1),
        "peak_rss_mib_ru_maxrss": round(usage.ru_maxrss / 1024, 1),
        "cpu_seconds": round(usage.ru_utime + usage.ru_stime, 1),
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--triples", type=int, default=10_000_000)
    parser.add_argument("--graphs", type=int, default=8, help="named graphs the triples are spread over")
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    parser.add_argument(
        "--work-dir", type=Path, default=Path(os.environ.get("BENCH_WORK_DIR", "/tmp/econsec-bench"))
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds of point lookups")
    parser.add_argument("--no-oxigraph", action="store_true", help="skip the oxigraph load for comparison")
    parser.add_argument("--keep", action="store_true", help="keep the generated file and stores")
    parser.add_argument(
        "--profile", action="store_true", help="py-spy profile of econsec load (which phase costs)"
    )
    parser.add_argument("--result-name", help="bench/results/NAME.json (default: bulk_load-TRIPLES)")
    args = parser.parse_args(argv)
    work = args.work_dir / f"bulk-{args.triples}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    logs = work / "logs"
    logs.mkdir()
    result: dict[str, Any] = {
        "benchmark": "bulk_load",
        "environment": environment(),
        "triples_asked": args.triples,
    }
    result["command"] = " ".join(["python -m bench.bulk_load", *(argv if argv is not None else sys.argv[1:])])
    try:
        nquads = work / "synthetic.nq"
        started = time.perf_counter()
        generated = generate(nquads, args.triples, graphs=args.graphs)
        result["generate"] = {
            "seconds": round(time.perf_counter() - started, 1),
            "triples": generated.triples,
            "file_bytes": nquads.stat().st_size,
            "named_graphs": len(generated.graphs),
        }
        print(f"generated {generated.triples:,} triples, {nquads.stat().st_size / 1e9:.2f} GB")

        data = work / "econsec-data"
        load_cmd = econsec_command(
            "load", str(nquads), "--data-dir", str(data), "--build-dir", str(args.build_dir)
        )
        raw = work.parent / f"profile-econsec-load-{args.triples}.txt" if args.profile else None
        result["econsec_load"] = measured_load(load_cmd, logs / "econsec-load.log", profile=raw)
        if raw is not None and raw.exists():
            result["econsec_load_profile"] = summarise(raw, top=15, lines=True)
        result["econsec_load"]["triples_per_second"] = round(
            generated.triples / result["econsec_load"]["seconds"]
        )
        result["econsec_load"]["store_bytes"] = tree_size(data / "oxigraph")
        result["econsec_load"]["quads"] = _count_quads(data / "oxigraph")
        print(f"econsec load: {result['econsec_load']}")

        wrk = ensure_wrk()
        queries = point_lookups(generated.sample_iris)
        started = time.perf_counter()
        with econsec_server(data, args.build_dir, logs, name="econsec-bulk") as server:
            startup = time.perf_counter() - started
            after_start = server.memory()
            found = [rows(server, q) for q in queries[:50]]
            load = run_load(server.endpoint, queries, connections=8, seconds=args.seconds, wrk=wrk)
            after = server.memory()
            own = memory(server.pid)  # the service process alone, without its query workers
            worker_count = len(children(server.pid))
        result["econsec_serve"] = {
            "startup_seconds": round(startup, 1),
            "rss_mib_after_start": round(after_start.get("VmRSS", 0) / 1024, 1),
            "rss_mib_after_lookups": round(after.get("VmRSS", 0) / 1024, 1),
            "hwm_mib_after_lookups": round(after.get("VmHWM", 0) / 1024, 1),
            "note": "RSS summed over the service process and its child processes (query workers)",
            "service_process_rss_mib": round(own.get("VmRSS", 0) / 1024, 1),
            "service_process_hwm_mib": round(own.get("VmHWM", 0) / 1024, 1),
            "child_processes": worker_count,
            "target_rss_mib": TARGET_SERVE_RSS_MIB,
            "lookup_rows_first_50": sum(found),
            "lookups": load.as_dict(),
        }
        print(f"econsec serve: {result['econsec_serve']}")

        if not args.no_oxigraph:
            location = work / "oxigraph-data"
            command = [oxigraph_binary(), "load", "--location", str(location), "--file", str(nquads)]
            result["oxigraph_load"] = measured_load(command, logs / "oxigraph-load.log")
            result["oxigraph_load"]["store_bytes"] = tree_size(location)
            print(f"oxigraph load: {result['oxigraph_load']}")
    finally:
        path = write_result(args.result_name or f"bulk_load-{args.triples}", result)
        print(f"wrote {path}")
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
