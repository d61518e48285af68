"""SIGKILL during writes: every acknowledged write survives, none is half there.

``.venv/bin/python -m bench.write_kills [--kills 20]``: a real ``econsec serve`` takes writes from one
client, each a SPARQL Update of three triples (half of them a two-operation update, committed in
steps with the undo journal), while the service is killed with SIGKILL (after a random 3-30
acknowledged writes, then a random 0-300 ms, so mostly inside a write) and restarted. At the end
every write is classified: acknowledged (2xx) and whole in the store, acknowledged and lost,
unanswered (the connection died) and whole or absent, or partial (some of its triples only).
Acknowledged-and-lost and partial must be 0. Prints a JSON summary and writes it to
``bench/results/write_kills.json``; the figures of record are in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import random
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import httpx

from .report import write_summary
from .servers import free_port, start_econsec

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-write-kills-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
EX = "https://example.org/bench/kills/"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
PARTS = 3


class Service:
    def __init__(self, data_dir: Path, build_dir: Path, log: Path) -> None:
        self.data_dir, self.build_dir, self.log = data_dir, build_dir, log
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = start_econsec(
            self.port, self.data_dir, self.build_dir, self.log, {"ECONSEC_UPDATE_TOKEN": TOKEN}
        )

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


def update_for(i: int) -> str:
    triples = [f'<{EX}w/{i}> <{COMMENT}> "{i}.{k}" .' for k in range(PARTS)]
    if i % 2:  # one operation: one transaction
        return f"INSERT DATA {{ GRAPH <{EX}g> {{ {' '.join(triples)} }} }}"
    # two operations, the second's WHERE reading the first: committed in steps (undo journal)
    return (
        f"INSERT DATA {{ GRAPH <{EX}g> {{ {' '.join(triples[:-1])} }} }} ;\n"
        f'INSERT {{ GRAPH <{EX}g> {{ <{EX}w/{i}> <{COMMENT}> "{i}.{PARTS - 1}" }} }} '
        f'WHERE {{ GRAPH <{EX}g> {{ <{EX}w/{i}> <{COMMENT}> "{i}.0" }} }}'
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "write_kills.json")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    work = Path(tempfile.mkdtemp(prefix="econsec-kills-"))
    service = Service(work / "data", args.build_dir, work / "serve.log")
    service.start()
    answers: dict[int, str] = {}  # write number -> "ack", "refused NNN" or "no answer"
    up = threading.Event()
    up.set()
    done = threading.Event()

    def client() -> None:
        i = 0
        while not done.is_set():
            up.wait()
            try:
                response = httpx.post(
                    service.base + "/sparql", content=update_for(i).encode(), headers=AUTH, timeout=60
                )
                answers[i] = "ack" if response.is_success else f"refused {response.status_code}"
            except httpx.TransportError:
                answers[i] = "no answer"
                up.clear()
                while not up.is_set() and not done.is_set():
                    time.sleep(0.05)
            i += 1

    thread = threading.Thread(target=client, daemon=True)
    thread.start()
    restarts: list[float] = []
    try:
        for _ in range(args.kills):
            # let some writes through (the first after a start loads the validator), then kill
            # at a random moment, most likely inside a write
            wanted = sum(1 for a in list(answers.values()) if a == "ack") + rng.randint(3, 30)
            while sum(1 for a in list(answers.values()) if a == "ack") < wanted:
                time.sleep(0.02)
            time.sleep(rng.uniform(0.0, 0.3))
            service.kill()
            started = time.monotonic()
            service.start()
            restarts.append(time.monotonic() - started)
            up.set()
        time.sleep(1.0)
        done.set()
        up.set()
        thread.join(120)
        response = httpx.post(
            service.base + "/sparql",
            data={"query": f"SELECT ?s ?o WHERE {{ GRAPH <{EX}g> {{ ?s <{COMMENT}> ?o }} }}"},
            headers={"Accept": "application/sparql-results+json"},
            timeout=120,
        )
        response.raise_for_status()
        held: dict[int, int] = {}
        for row in response.json()["results"]["bindings"]:
            i = int(row["s"]["value"].rsplit("/", 1)[1])
            held[i] = held.get(i, 0) + 1
        acknowledged = [i for i, a in answers.items() if a == "ack"]
        unanswered = [i for i, a in answers.items() if a == "no answer"]
        summary = {
            "kills": args.kills,
            "writes_sent": len(answers),
            "acknowledged": len(acknowledged),
            "acknowledged_lost": sum(1 for i in acknowledged if held.get(i, 0) == 0),
            "refused": sum(1 for a in answers.values() if a.startswith("refused")),
            "refused_but_stored": sum(
                1 for i, a in answers.items() if a.startswith("refused") and held.get(i)
            ),
            "unanswered": len(unanswered),
            "unanswered_committed": sum(1 for i in unanswered if held.get(i, 0) == PARTS),
            "partial": sum(1 for count in held.values() if count != PARTS),
            "restart_seconds_max": round(max(restarts), 2) if restarts else None,
        }
        write_summary(summary, args.out)
    finally:
        done.set()
        up.set()
        service.stop()


if __name__ == "__main__":
    main()
