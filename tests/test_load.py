"""A bounded load test in ``make test``: 32 users for 20 s on a real server, zero failed requests.

Runs ``bench/locustfile.py`` with locust headless in a subprocess (locust patches the socket
module with gevent, so it cannot share the test process). The long run and its figures are
``bench/load.py`` and ``bench/RESULTS.md``; here only the outcome counts: every request of the
mix (lookups, saved queries, editor queries, entity pages) answered without an error.
"""

from __future__ import annotations

import csv
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import RunningService

LOCUSTFILE = Path(__file__).resolve().parents[1] / "bench" / "locustfile.py"


def test_32_users_for_20_seconds_get_no_errors(sparql_service: RunningService, tmp_path: Path) -> None:
    locust = shutil.which("locust", path=str(Path(sys.executable).parent))
    if locust is None:
        pytest.fail("locust is missing: install the dev extras (pip install -e '.[dev]')")
    prefix = tmp_path / "load"
    command = [locust, "-f", str(LOCUSTFILE), "--headless", "--host", sparql_service.base]
    command += [
        "-u",
        "32",
        "-r",
        "16",
        "-t",
        "20s",
        "--csv",
        str(prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=180)
    rows = list(csv.DictReader((tmp_path / "load_stats.csv").open(encoding="utf-8")))
    total = next(r for r in rows if r["Name"] == "Aggregated")
    requests, failures = int(total["Request Count"]), int(total["Failure Count"])
    failed_kinds = {
        r["Name"]: r["Failure Count"] for r in rows if r["Name"] != "Aggregated" and int(r["Failure Count"])
    }
    assert failures == 0, f"{failures} of {requests} requests failed: {failed_kinds}\n{done.stderr[-3000:]}"
    assert requests >= 200, f"only {requests} requests in 20 s:\n{done.stderr[-3000:]}"
    assert done.returncode == 0, done.stderr[-3000:]
    print(f"load: {requests} requests, median {total['Median Response Time']} ms, p95 {total['95%']} ms")
