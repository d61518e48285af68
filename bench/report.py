"""What every result file records: the machine, the versions, the time; and where results go."""

from __future__ import annotations

import json
import os
import platform
import subprocess
import time
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .servers import BENCH_DIR

__all__ = ["RESULTS_DIR", "environment", "load_cells", "markdown_table", "write_result", "write_summary"]

RESULTS_DIR = BENCH_DIR / "results"
_PACKAGES = (
    "pyoxigraph",
    "oxigraph",
    "fastapi",
    "starlette",
    "uvicorn",
    "rdflib",
    "rdflib-endpoint",
    "httpx",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _tool_version(*command: str) -> str | None:
    try:
        done = subprocess.run(list(command), capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = (done.stdout + done.stderr).strip().splitlines()
    return text[0] if text else None


def environment() -> dict[str, Any]:
    """Machine, OS, package and tool versions, load average: enough to judge a figure later."""
    packages: dict[str, str | None] = {}
    for name in _PACKAGES:
        try:
            packages[name] = version(name)
        except PackageNotFoundError:
            packages[name] = None
    mem_kib = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kib = int(line.split()[1])
    except OSError:
        pass
    return {
        "date_utc": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": _cpu_model(),
        "cpus": os.cpu_count(),
        "memory_gib": round(mem_kib / 1024 / 1024, 1),
        "kernel": platform.release(),
        "python": platform.python_version(),
        "packages": packages,
        "wrk": _tool_version("wrk", "-v"),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def write_result(name: str, data: dict[str, Any]) -> Path:
    """Write ``bench/results/{name}.json`` and return its path."""
    RESULTS_DIR.mkdir(parents=True, exist_ok=True)
    path = RESULTS_DIR / f"{name}.json"
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def write_summary(summary: dict[str, Any], out: Path) -> None:
    """Stamp a robustness run's summary with the time and the load it ran under, print it and write
    it to ``out`` (``disk_full`` and ``write_kills``: a verdict, not figures to compare over time)."""
    summary["measured_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    summary["load_average"] = os.getloadavg()
    print(json.dumps(summary, indent=2))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")


def load_cells(run: dict[str, Any]) -> list[object]:
    """A measured run's throughput, median and tail latency and failed requests (errors and
    non-2xx answers together), as every load table prints them: the columns a reader compares."""
    return [
        f"{run['requests_per_s']:,.0f}",
        f"{run['p50_ms']:.2f}",
        f"{run['p99_ms']:.2f}",
        run["errors"] + run["non_2xx"],
    ]


def markdown_table(header: list[str], rows: list[list[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
