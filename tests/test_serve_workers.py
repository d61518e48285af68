"""``econsec serve --workers N``: several read-only serving processes over one store."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
from conftest import RunningService, module_service, query_json, start_service
from econsec.graph.build import BuildResult
from econsec.service.settings import Settings

LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/econsec/id/country/japan> ?p ?o }"
JOIN = (
    "PREFIX es: <https://w3id.org/econsec/ontology#> "
    "SELECT (COUNT(*) AS ?n) WHERE { ?x a es:ExportControl ; ?p ?o }"
)


two = module_service("workers", {"ECONSEC_WORKERS": "2"})


def _process(service: RunningService) -> int:
    return httpx.get(service.base + "/health", timeout=30).json()["process"]


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent to reap it counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, IndexError):
        return False
    return state not in {"Z", "X"}


def _econsec(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECONSEC_")}
    return subprocess.run(
        [sys.executable, "-m", "econsec.service.cli", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_both_processes_answer_from_the_same_store(two: RunningService) -> None:
    seen = {_process(two) for _ in range(200)}
    assert len(seen) == 2, seen
    health = httpx.get(two.base + "/health", timeout=30).json()
    assert health["read_only"] is True and "(read-only)" in health["store"]
    lookups = {len(query_json(two, LOOKUP, timeout=30).json()["results"]["bindings"]) for _ in range(20)}
    counts = {
        httpx.get(two.sparql, params={"query": JOIN, "format": "json"}, timeout=30).json()["results"][
            "bindings"
        ][0]["n"]["value"]
        for _ in range(10)
    }
    assert len(lookups) == 1 and lookups.pop() > 0  # the inline path, in whichever process
    assert len(counts) == 1 and int(counts.pop()) > 0  # the query workers, in whichever process
    saved = httpx.get(two.base + "/queries/cq01-us-technology-controls-on-china", timeout=30)
    assert saved.status_code == 200


def test_writes_are_refused_and_the_store_cannot_be_opened_writable(
    two: RunningService, tmp_path: Path
) -> None:
    update = httpx.post(two.sparql, data={"update": "CLEAR ALL"}, timeout=30)
    assert update.status_code == 403
    extra = tmp_path / "extra.nt"
    extra.write_text("<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n")
    loaded = _econsec("load", "--data-dir", str(two.data_dir), str(extra), "--graph", "https://example.org/g")
    assert loaded.returncode == 1
    said = " ".join((loaded.stderr + loaded.stdout).split())  # the console wraps long lines
    assert "served read-only by `econsec serve --workers`" in said


def test_a_process_that_dies_is_replaced(two: RunningService) -> None:
    before = {_process(two) for _ in range(200)}
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    seen: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not seen - before:  # until a new process answers
        with contextlib.suppress(httpx.TransportError):  # a request the killed process had taken
            seen.add(_process(two))
        time.sleep(0.05)
    assert seen - before, f"no new process answered; seen {seen}, before {before}"
    assert not _alive(victim)
    answer = httpx.post(two.sparql, data={"query": LOOKUP}, timeout=30)
    assert answer.status_code == 200


def test_stopping_stops_every_process_and_frees_the_store(built: BuildResult, tmp_path: Path) -> None:
    service = start_service(tmp_path / "data", built.paths.out_dir, {"ECONSEC_WORKERS": "2"})
    pids = {_process(service) for _ in range(100)}
    service.stop()
    assert service.process.returncode is not None
    for _ in range(100):
        if not any(_alive(pid) for pid in pids):
            break
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in pids)
    extra = tmp_path / "extra.nt"
    extra.write_text("<https://example.org/s> <https://example.org/p> <https://example.org/o> .\n")
    loaded = _econsec(
        "load", "--data-dir", str(service.data_dir), str(extra), "--graph", "https://example.org/g"
    )
    assert loaded.returncode == 0, loaded.stderr


def test_several_processes_with_an_update_token_do_not_start(built: BuildResult, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ECONSEC_")}
    env.update({"ECONSEC_WORKERS": "2", "ECONSEC_UPDATE_TOKEN": "secret"})
    started = subprocess.run(
        [
            sys.executable,
            "-m",
            "econsec.service.cli",
            "serve",
            "--data-dir",
            str(tmp_path / "data"),
            "--build-dir",
            str(built.paths.out_dir),
            "--port",
            "1",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert started.returncode == 2
    assert "needs a read-only service" in started.stderr
    assert not (tmp_path / "data").exists()  # refused before anything was opened


def test_settings_reach_the_processes_unchanged(tmp_path: Path) -> None:
    settings = Settings.from_env(
        {
            "ECONSEC_SERVICE_ALLOWLIST": "http://a.example/sparql,http://b.example/sparql",
            "ECONSEC_ISOLATE_QUERIES": "false",
        },
        data_dir=tmp_path,
        port=8123,
        workers=3,
        query_timeout=7.5,
    )
    environment = {k: v for k, v in settings.as_environment().items() if v is not None}
    assert Settings.from_env(environment) == settings
