"""Hostile input, the long versions of ``tests/test_hostile_input.py`` (issue 16).

``python -m bench.hostile [--seconds 60]`` serves ``build/`` from a fresh data directory with the
default limits and runs, one after the other:

1. **fair admission**: 8 clients, each from its own loopback address, send heavy queries
   back to back (a product count, a product sort, an unbounded path) for ``--seconds``; a ninth
   client sends a two-pattern join and a tenth a saved query every 0.25 s, from 3 s before the
   attack (a live service's users), ``/health`` is polled, and every 2 s a client never seen
   before sends the join once: latency percentiles of each over the attack, the answers slower
   than a second and when, and the attackers' statuses;
2. **the SERVICE bait**: one 590 KB query naming SERVICE with 100,000 VALUES (a FILTER of
   100,000 ``||`` is refused at once by the operator limit), then ten 97 KB copies at once while
   the saved query is polled: time to the answer, the service process's RSS and CPU before and
   after;
3. **unfinished 10 MB headers**: 30 connections each send 10 MB of one header and stop: what
   they got, and the RSS while they are open and after;
4. **slow connections**: 100 connections send half a request head and wait: how many the server
   has closed after the head timeout.

The result cache is off (``ECONSEC_RESULT_CACHE_BYTES=0``), so each probe's query is evaluated
every time, as a first-time query would be. The figures go to ``bench/results/hostile.json``;
``bench/RESULTS.md`` has those of record.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import tempfile
import threading
import time
from contextlib import closing, suppress
from pathlib import Path
from typing import Any

import httpx

from .report import environment, write_result
from .servers import REPO, econsec_server

CHEAP = """SELECT ?p ?o ?label WHERE {
  <https://w3id.org/econsec/id/country/japan> ?p ?o .
  ?o <http://www.w3.org/2000/01/rdf-schema#label> ?label
}"""
PATH = (
    "(<http://www.w3.org/2000/01/rdf-schema#subClassOf>|^<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
    "|<http://www.w3.org/2004/02/skos/core#broader>|^<http://www.w3.org/2004/02/skos/core#broader>|a|^a)*"
)
HEAVY = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d",
    f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x {PATH} ?y }}",
)
SAVED = "/queries/cq01-us-technology-controls-on-china"
JSON = {"Accept": "application/sparql-results+json"}


def _bait(terms: int) -> str:
    """A query naming SERVICE whose guard parse is slow: ``terms`` VALUES (a FILTER of as many
    ``||`` is now refused at once by the operator limit, before any parse)."""
    return (
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> {} VALUES ?x { "
        + " ".join(str(i) for i in range(terms))
        + " } }"
    )


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def _cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / 100


def _percentiles(samples: list[float]) -> dict[str, float | int | None]:
    if not samples:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
    return {
        "n": len(ordered),
        "p50": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def _client(address: str) -> httpx.Client:
    """An HTTP client whose connections come from ``address`` (a loopback address of its own)."""
    return httpx.Client(transport=httpx.HTTPTransport(local_address=address), timeout=120)


class _Probe:
    """A client that repeats one request every ``every`` seconds and records latency and status."""

    def __init__(self, name: str, address: str, send: Any, every: float = 0.25) -> None:
        self.name, self.address, self.send, self.every = name, address, send, every
        self.latencies: list[float] = []
        self.started_at: list[float] = []  # when each request was sent (monotonic)
        self.statuses: dict[int, int] = {}
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.stop = threading.Event()

    def _run(self) -> None:
        with _client(self.address) as http:
            while not self.stop.is_set():
                self._once(http)
                self.stop.wait(self.every)

    def _once(self, http: httpx.Client) -> None:
        """Send the request once on ``http``; record when, how long, and the status (0: no answer)."""
        started = time.monotonic()
        self.started_at.append(started)
        try:
            status = self.send(http).status_code
        except httpx.HTTPError:
            status = 0
        self.latencies.append(time.monotonic() - started)
        self.statuses[status] = self.statuses.get(status, 0) + 1

    def report(
        self, second_half_from: float | None = None, attack_from: float | None = None
    ) -> dict[str, Any]:
        """Percentiles of every request sent from ``attack_from`` on (all of them without it), of
        those sent from ``second_half_from`` on (once the attackers are known: the steady state),
        and when each answer slower than a second was sent (seconds into the attack)."""
        pairs = list(zip(self.latencies, self.started_at, strict=True))
        if attack_from is not None:
            pairs = [(t, at) for t, at in pairs if at >= attack_from]
        result: dict[str, Any] = {**_percentiles([t for t, _ in pairs]), "statuses": self.statuses}
        origin = attack_from if attack_from is not None else (self.started_at[0] if self.started_at else 0.0)
        result["over 1 s (sent at s, took s)"] = [
            (round(at - origin, 2), round(t, 2)) for t, at in pairs if t > 1.0
        ]
        if second_half_from is not None:
            later = [
                t for t, at in zip(self.latencies, self.started_at, strict=True) if at >= second_half_from
            ]
            result["second half"] = _percentiles(later)
        return result


#: seconds the cheap clients are served before the attackers start: a live service's users
_BEFORE_ATTACK = 3.0


class _Newcomers(_Probe):
    """Every ``every`` seconds a new client (a loopback address never used before) sends the
    two-pattern join once: what a first-time user meets during the attack."""

    def __init__(self, base: str, every: float = 2.0) -> None:
        def send(http: httpx.Client) -> httpx.Response:
            return http.post(base + "/sparql", data={"query": CHEAP}, headers=JSON)

        super().__init__("newcomers", "", send, every)

    def _run(self) -> None:
        for n in range(1, 250):
            if self.stop.is_set():
                return
            with _client(f"127.0.1.{n}") as http:
                self._once(http)
            self.stop.wait(self.every)


def fair_admission(base: str, seconds: float) -> dict[str, Any]:
    def attack(text: str) -> Any:
        return lambda http: http.post(base + "/sparql", data={"query": text}, headers=JSON)

    attackers = [
        _Probe(f"attacker-{i}", f"127.0.0.{20 + i}", attack(HEAVY[i % 3]), every=0.0) for i in range(8)
    ]
    probes = [
        _Probe(
            "two-pattern join",
            "127.0.0.50",
            lambda http: http.post(base + "/sparql", data={"query": CHEAP}, headers=JSON),
        ),
        _Probe(
            "saved query",
            "127.0.0.51",
            lambda http: http.get(base + SAVED, headers={"Accept": "application/json"}),
        ),
        _Probe("/health", "127.0.0.52", lambda http: http.get(base + "/health"), every=0.5),
    ]
    for probe in probes:  # the service's users are there before the attack begins
        probe.thread.start()
    time.sleep(_BEFORE_ATTACK)
    began = time.monotonic()
    for probe in attackers:
        probe.thread.start()
    newcomers = _Newcomers(base)  # a client the service has never seen, every 2 s
    newcomers.thread.start()
    time.sleep(seconds)
    for probe in [*probes, *attackers, newcomers]:
        probe.stop.set()
    for probe in [*probes, *attackers, newcomers]:
        probe.thread.join(timeout=120)
    attack_statuses: dict[int, int] = {}
    for attacker in attackers:
        for status, n in attacker.statuses.items():
            attack_statuses[status] = attack_statuses.get(status, 0) + n
    health = httpx.get(base + "/health", timeout=30).json()["queries"]
    return {
        "seconds": seconds,
        "attackers": 8,
        "attack_statuses": attack_statuses,
        "probes began before the attack (s)": _BEFORE_ATTACK,
        **{probe.name: probe.report(began + seconds / 2, began) for probe in probes},
        "newcomers' first query": newcomers.report(began + seconds / 2, began),
        "health_after": health,
    }


def service_bait(base: str, pid: int) -> dict[str, Any]:
    big = _bait(100_000)
    rss_before, cpu_before = _rss_mb(pid), _cpu_s(pid)
    started = time.monotonic()
    response = httpx.post(
        base + "/sparql",
        content=big,
        headers={**JSON, "Content-Type": "application/sparql-query"},
        timeout=300,
    )
    answered = time.monotonic() - started
    cpu_at_answer = _cpu_s(pid)
    time.sleep(10)
    one = {
        "bytes": len(big),
        "status": response.status_code,
        "seconds_to_answer": round(answered, 2),
        "rss_mb_before": rss_before,
        "rss_mb_10s_after": _rss_mb(pid),
        "service_cpu_s_during": round(cpu_at_answer - cpu_before, 2),
        "service_cpu_s_in_10s_after": round(_cpu_s(pid) - cpu_at_answer, 2),
    }
    small = _bait(18_000)
    saved = _Probe(
        "saved query",
        "127.0.0.53",
        lambda http: http.get(base + SAVED, headers={"Accept": "application/json"}),
    )
    saved.thread.start()
    statuses: list[int] = []

    def send() -> None:
        statuses.append(
            httpx.post(
                base + "/sparql",
                content=small,
                headers={**JSON, "Content-Type": "application/sparql-query"},
                timeout=300,
            ).status_code
        )

    senders = [threading.Thread(target=send) for _ in range(10)]
    for thread in senders:
        thread.start()
    for thread in senders:
        thread.join(timeout=300)
    saved.stop.set()
    saved.thread.join(timeout=60)
    ten = {"bytes_each": len(small), "statuses": sorted(statuses), "saved query meanwhile": saved.report()}
    return {"one 1.4 MB": one, "ten copies": ten, "rss_mb_after_all": _rss_mb(pid)}


def _address(base: str) -> tuple[str, int]:
    host, port = base.removeprefix("http://").split(":")
    return host, int(port)


def big_headers(base: str, pid: int) -> dict[str, Any]:
    rss_before = _rss_mb(pid)
    sockets = []
    outcomes: dict[str, int] = {}
    for _ in range(30):
        sock = socket.create_connection(_address(base), timeout=30)
        try:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 10_000_000)
            outcome = "sent all 10 MB"
        except OSError as exc:
            outcome = f"stopped sending ({type(exc).__name__})"
        outcomes[outcome] = outcomes.get(outcome, 0) + 1
        sockets.append(sock)
    rss_open = _rss_mb(pid)
    answers: dict[str, int] = {}
    until = time.monotonic() + 15  # the server has 15 s in all to answer or close them
    for sock in sockets:
        answer, state = b"", "still open after 15 s"
        try:
            sock.settimeout(max(0.1, until - time.monotonic()))
            while chunk := sock.recv(65536):
                answer += chunk
            state = "closed without an answer"
        except ConnectionResetError:
            state = "reset by the server"
        except OSError:
            pass
        key = answer.split(b"\r\n", 1)[0].decode() or state
        answers[key] = answers.get(key, 0) + 1
        sock.close()
    return {
        "connections": 30,
        "sending": outcomes,
        "answers": answers,
        "rss_mb_before": rss_before,
        "rss_mb_while_open": rss_open,
        "rss_mb_after": _rss_mb(pid),
    }


def slow_connections(base: str, wait: float) -> dict[str, Any]:
    sockets = []
    for _ in range(100):
        sock = socket.create_connection(_address(base), timeout=wait)
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        sockets.append(sock)
    started = time.monotonic()
    health = httpx.get(base + "/health", timeout=30).status_code
    closed = 0
    for sock in sockets:
        with closing(sock), suppress(OSError):
            sock.settimeout(max(0.1, wait - (time.monotonic() - started)))
            while sock.recv(65536):
                pass
            closed += 1
    return {"connections": 100, "health_meanwhile": health, "closed_within_s": wait, "closed": closed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--build-dir", type=Path, default=REPO / "build")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="econsec-hostile-"))
    # the result cache off: every cheap request is evaluated (with it on, the probes' repeated
    # queries come from the cache after their first answer and never meet the attackers)
    env = {"ECONSEC_ACCESS_LOG": "false", "ECONSEC_RESULT_CACHE_BYTES": "0"}
    with econsec_server(work / "data", args.build_dir, work, env=env) as server:
        base = server.endpoint.removesuffix("/sparql")
        result: dict[str, Any] = {"environment": environment()}
        print("fair admission ...", flush=True)
        result["fair admission"] = fair_admission(base, args.seconds)
        print(result["fair admission"], flush=True)
        print("SERVICE bait ...", flush=True)
        result["service bait"] = service_bait(base, server.pid)
        print(result["service bait"], flush=True)
        print("10 MB headers ...", flush=True)
        result["10 MB headers"] = big_headers(base, server.pid)
        print(result["10 MB headers"], flush=True)
        print("slow connections ...", flush=True)
        result["slow connections"] = slow_connections(base, wait=15)
        print(result["slow connections"], flush=True)
    print(write_result("hostile", result))


if __name__ == "__main__":
    main()
