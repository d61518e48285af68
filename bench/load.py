"""Load test: 32 locust users for 60 s on ``econsec serve`` over loopback; zero errors expected.

``python -m bench.load [--users 32] [--seconds 60]`` builds nothing: it serves ``build/`` (run
``econsec build`` first) from a fresh data directory, runs ``bench/locustfile.py`` headless (point
lookups, entity pages, saved queries, editor queries, each user thinking 0.2-1 s between
requests), and records requests, failures and latency percentiles per kind in
``results/load.json``. It stops by itself, and exits 1 when any request failed (every request of
the mix must be answered without an error) or too few were made to count (fewer than 10 a
second). It used to run for 20 s inside ``make test``; a load run measures the machine as much as
the service, so it lives here, beside the other benchmarks (``make bench``).
"""

from __future__ import annotations

import argparse
import csv
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from .report import environment, write_result
from .servers import REPO, econsec_server

LOCUSTFILE = Path(__file__).with_name("locustfile.py")


def _number(text: str) -> float | None:
    """Locust writes N/A for a percentile of a kind with no requests."""
    try:
        return float(text)
    except ValueError:
        return None


def run(users: int, seconds: int, build_dir: Path) -> dict[str, object]:
    locust = shutil.which("locust", path=str(Path(sys.executable).parent)) or shutil.which("locust")
    if locust is None:
        raise SystemExit("locust is missing: pip install -e '.[dev]'")
    with tempfile.TemporaryDirectory(prefix="econsec-load-") as tmp:
        root = Path(tmp)
        with econsec_server(root / "data", build_dir, root / "logs") as server:
            base = server.endpoint.removesuffix("/sparql")
            command = [locust, "-f", str(LOCUSTFILE), "--headless", "--host", base, "-u", str(users)]
            command += ["-r", str(max(1, users // 2)), "-t", f"{seconds}s", "--csv", str(root / "load")]
            command += ["--only-summary", "--stop-timeout", "10"]
            done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 120)
            if done.returncode != 0 and not (root / "load_stats.csv").is_file():
                raise SystemExit(f"locust failed:\n{done.stderr[-3000:]}")
            cpu = server.cpu_seconds()
            rss = server.memory()
        rows = list(csv.DictReader((root / "load_stats.csv").open(encoding="utf-8")))
    kinds = {
        r["Name"]: {
            "requests": int(r["Request Count"]),
            "failures": int(r["Failure Count"]),
            "median_ms": _number(r["Median Response Time"]),
            "p95_ms": _number(r["95%"]),
            "p99_ms": _number(r["99%"]),
            "requests_per_s": _number(r["Requests/s"]),
        }
        for r in rows
    }
    return {
        "users": users,
        "seconds": seconds,
        "locust_exit": done.returncode,
        "server_cpu_seconds": cpu,
        "server_memory": rss,
        "kinds": kinds,
        "environment": environment(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    args = parser.parse_args()
    result = run(args.users, args.seconds, args.build_dir)
    path = write_result("load", result)
    print(
        "| request | requests | failures | req/s | p50 ms | p95 ms | p99 ms |\n|---|---|---|---|---|---|---|"
    )
    for name, kind in result["kinds"].items():  # type: ignore[union-attr]
        print(
            f"| {name} | {kind['requests']} | {kind['failures']} | {kind['requests_per_s'] or 0:.1f} | "
            f"{kind['median_ms']} | {kind['p95_ms']} | {kind['p99_ms']} |"
        )
    print(f"written to {path}")
    problems = outcome(result)
    if problems:
        raise SystemExit("load test failed: " + "; ".join(problems))


def outcome(result: dict[str, object]) -> list[str]:
    """What makes a load run a failure: failed requests of any kind, or too few requests to count."""
    kinds: dict[str, dict[str, float]] = result["kinds"]  # type: ignore[assignment]
    total = kinds.get("Aggregated", {"requests": 0, "failures": 0})
    problems = [
        f"{name}: {int(kind['failures'])} failed"
        for name, kind in kinds.items()
        if name != "Aggregated" and kind["failures"]
    ]
    if total["requests"] < 10 * int(result["seconds"]):  # type: ignore[call-overload]
        problems.append(f"only {int(total['requests'])} requests in {result['seconds']} s")
    if result["locust_exit"] != 0 and not problems:
        problems.append(f"locust exited with {result['locust_exit']}")
    return problems


if __name__ == "__main__":
    main()
