"""Start and stop the SPARQL servers the benchmarks compare, each on a free loopback port.

Every server runs as a child process with its output in a log file (an access log written to a
pipe nobody drains would block the server). :func:`running` stops the process on the way out,
whatever happens, so a benchmark never leaves a server behind.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

import httpx

__all__ = [
    "BENCH_DIR",
    "REPO",
    "Server",
    "clean_environment",
    "cpu_seconds",
    "econsec_command",
    "free_port",
    "memory",
    "oxigraph_binary",
    "running",
    "serve_arguments",
    "start_econsec",
    "tree_size",
    "wait_for_health",
]

BENCH_DIR = Path(__file__).resolve().parent
REPO = BENCH_DIR.parent
ASK = "ASK { ?s ?p ?o }"


def free_port() -> int:
    """A TCP port nobody listens on right now (the kernel's choice)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def memory(pid: int) -> dict[str, int]:
    """VmRSS (resident now) and VmHWM (peak resident) of a process, in KiB, from /proc."""
    values: dict[str, int] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    values[key] = int(rest.split()[0])
    except OSError:
        pass
    return values


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (from /proc/<pid>/task/*/children)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time used so far by a process (all threads) and its live children."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # fields[0] is the state (field 3 of stat(5)); utime and stime are fields 14 and 15
    own = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return own + sum(cpu_seconds(child) for child in children(pid))


def tree_size(path: Path) -> int:
    """Bytes of all files under ``path`` (what ``du -b`` would count)."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def oxigraph_binary() -> str:
    """The ``oxigraph`` CLI (PyPI package ``oxigraph``), next to this Python or on PATH."""
    here = Path(sys.executable).parent / "oxigraph"
    found = str(here) if here.exists() else shutil.which("oxigraph")
    if not found:
        raise SystemExit("the oxigraph CLI is missing: pip install -e '.[bench]' (package oxigraph==0.5.13)")
    return found


def econsec_command(*args: str) -> list[str]:
    """``econsec ARGS`` run by this interpreter (so the process measured is the Python serving)."""
    return [sys.executable, "-m", "econsec.service.cli", *args]


def serve_arguments(port: int, data_dir: Path, build_dir: Path) -> list[str]:
    """The options every ``econsec serve`` started here takes (benchmarks and tests alike): loopback
    only, the port chosen by :func:`free_port`, and folders of its own."""
    return [
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--data-dir",
        str(data_dir),
        "--build-dir",
        str(build_dir),
    ]


def clean_environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its ``ECONSEC_*`` settings, plus ``extra``: a server
    started from a shell that configures its own service is configured by ``extra`` alone."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("ECONSEC_")}
    clean.update(extra or {})
    return clean


def wait_for_health(base: str, process: subprocess.Popen[bytes], *, tries: int) -> bool:
    """Poll ``base``/health every 0.1 s until it answers 200 (True), or the process exits or the
    tries run out (False): the caller decides whether that is a retry, a failed test or an exit."""
    for _ in range(tries):
        if process.poll() is not None:
            return False
        try:
            if httpx.get(base + "/health", timeout=5).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    return False


def start_econsec(
    port: int, data_dir: Path, build_dir: Path, log: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    """``econsec serve`` on ``port``, its output appended to ``log`` (a restarted server's log goes
    on), returned once /health answers; exits the benchmark with the log's tail if it does not."""
    command = econsec_command("serve", *serve_arguments(port, data_dir, build_dir))
    process = subprocess.Popen(
        command, stdout=log.open("ab"), stderr=subprocess.STDOUT, env=clean_environment(env)
    )
    if wait_for_health(f"http://127.0.0.1:{port}", process, tries=1200):
        return process
    if process.poll() is not None:
        raise SystemExit(f"serve exited:\n{log.read_text()[-3000:]}")
    raise SystemExit("serve did not start")


@dataclass
class Server:
    """A running server: its query endpoint, process and log."""

    name: str
    endpoint: str
    process: subprocess.Popen[bytes]
    log: Path
    notes: list[str] = field(default_factory=list)

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def path(self) -> str:
        """The endpoint's path (what wrk is given)."""
        return httpx.URL(self.endpoint).path

    def memory(self) -> dict[str, int]:
        """VmRSS / VmHWM of the process, summed with its children's (worker processes)."""
        total = memory(self.pid)
        for child in children(self.pid):
            for key, value in memory(child).items():
                total[key] = total.get(key, 0) + value
        return total

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.pid)

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            # SIGTERM, not SIGINT: a shell's background job inherits SIGINT ignored
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def _ready(endpoint: str) -> bool:
    try:
        answer = httpx.post(
            endpoint,
            data={"query": ASK},
            headers={"Accept": "application/sparql-results+json"},
            timeout=10,
        )
    except httpx.TransportError:
        return False
    if answer.status_code in (404, 405):  # up, but this is not the query endpoint: waiting will not help
        raise RuntimeError(f"{endpoint} answers {answer.status_code}: not a SPARQL query endpoint")
    return answer.status_code == 200


@contextmanager
def running(
    name: str,
    command: Sequence[str],
    endpoint_path: str,
    *,
    port: int,
    log_dir: Path,
    env: dict[str, str] | None = None,
    start_timeout: float = 600.0,
) -> Iterator[Server]:
    """Run ``command`` (which must listen on ``port``) until the block ends; wait until it answers ASK."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            list(command), stdout=out, stderr=subprocess.STDOUT, env=clean_environment(env), cwd=REPO
        )
    server = Server(name, f"http://127.0.0.1:{port}{endpoint_path}", process, log)
    try:
        deadline = time.monotonic() + start_timeout
        while not _ready(server.endpoint):
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{server.output()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{name} did not answer within {start_timeout:g} s:\n{server.output()[-3000:]}"
                )
            time.sleep(0.2)
        yield server
    finally:
        server.stop()


# --- the servers compared ------------------------------------------------------------------


def fill_store(data_dir: Path, build_dir: Path, files: Sequence[Path] = ()) -> float:
    """Create the econsec embedded store in ``data_dir`` (the build, plus ``files`` via ``econsec load``).

    Returns the seconds it took. The store is closed afterwards (one process owns it).
    """
    started = time.perf_counter()
    if files:
        command = econsec_command(
            "load", *map(str, files), "--data-dir", str(data_dir), "--build-dir", str(build_dir)
        )
    else:
        code = (
            "from pathlib import Path\n"
            "from econsec.service.settings import Settings\n"
            "from econsec.service.store.embedded import EmbeddedStore\n"
            f"s = EmbeddedStore.open(Settings(data_dir=Path({str(data_dir)!r}), build_dir=Path({str(build_dir)!r})))\n"
            "print(s.note, s.triple_count())\n"
            "s.close()\n"
        )
        command = [sys.executable, "-c", code]
    subprocess.run(command, check=True, cwd=REPO, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


def copy_store(data_dir: Path, location: Path) -> None:
    """Copy the embedded store's RocksDB directory, for ``oxigraph serve --location`` (same quads, same layout)."""
    if location.exists():
        shutil.rmtree(location)
    shutil.copytree(data_dir / "oxigraph", location)


def oxigraph_load(location: Path, nquads: Sequence[Path]) -> float:
    """``oxigraph load`` the files into a fresh directory; returns the seconds it took."""
    if location.exists():
        shutil.rmtree(location)
    started = time.perf_counter()
    files: list[str] = []
    for path in nquads:
        files += ["--file", str(path)]
    subprocess.run(
        [oxigraph_binary(), "load", "--location", str(location), *files], check=True, capture_output=True
    )
    return time.perf_counter() - started


#: how ``econsec serve`` variants are started: (launcher, extra environment)
ECONSEC_VARIANTS = {
    "econsec": "econsec serve as shipped (uvicorn defaults: access log on, log level info)",
    "econsec-quiet": "same app via bench/serve_variant.py: access log off, log level warning",
    "econsec-2proc": "bench/serve_variant.py --workers 2: two processes, Store.read_only each, access log off",
    "econsec-1proc-ro": "bench/serve_variant.py --read-only-store: one process over Store.read_only, access log off",
}


@contextmanager
def econsec_server(
    data_dir: Path,
    build_dir: Path,
    log_dir: Path,
    *,
    variant: str = "econsec",
    name: str | None = None,
    pythonpath: Path | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[Server]:
    """``econsec serve`` (variant ``econsec``) or the bench launcher without access log (``econsec-quiet``)."""
    port = free_port()
    where = serve_arguments(port, data_dir, build_dir)
    if variant == "econsec":
        command = econsec_command("serve", *where)
    elif variant == "econsec-quiet":
        command = [sys.executable, "-m", "bench.serve_variant", *where, "--no-access-log"]
    elif variant == "econsec-1proc-ro":
        command = [
            sys.executable,
            "-m",
            "bench.serve_variant",
            *where,
            "--no-access-log",
            "--read-only-store",
        ]
    elif variant == "econsec-2proc":
        command = [sys.executable, "-m", "bench.serve_variant", *where, "--no-access-log", "--workers", "2"]
    else:
        raise ValueError(f"unknown econsec variant {variant!r}")
    environment = dict(env or {})
    if pythonpath is not None:  # uvloop / httptools from a separate directory: uvicorn's "auto" picks them
        environment["PYTHONPATH"] = os.pathsep.join([str(pythonpath), str(REPO)])
    else:
        environment["PYTHONPATH"] = str(REPO)
    with running(name or variant, command, "/sparql", port=port, log_dir=log_dir, env=environment) as server:
        server.notes.append(ECONSEC_VARIANTS[variant])
        yield server


@contextmanager
def floor_server(
    log_dir: Path, *, name: str = "floor-asgi", pythonpath: Path | None = None, store: Path | None = None
) -> Iterator[Server]:
    """``bench/serve_floor.py``: bare uvicorn + a constant answer, the ceiling of one Python process
    (with ``store``: + the engine's query and JSON writer, nothing else)."""
    port = free_port()
    command = [sys.executable, "-m", "bench.serve_floor", "--port", str(port)]
    if store is not None:
        command += ["--store", str(store)]
    paths = [str(pythonpath)] if pythonpath is not None else []
    env = {"PYTHONPATH": os.pathsep.join([*paths, str(REPO)])}
    with running(name, command, "/sparql", port=port, log_dir=log_dir, env=env) as server:
        server.notes.append(
            "bare ASGI app under uvicorn: engine query + JSON writer, nothing else"
            if store is not None
            else "bare ASGI app under uvicorn (no FastAPI, no store): constant answer, access log off"
        )
        yield server


@contextmanager
def oxigraph_server(
    location: Path, log_dir: Path, *, union: bool, name: str = "oxigraph"
) -> Iterator[Server]:
    """``oxigraph serve`` over ``location`` (``--union-default-graph`` when ``union``)."""
    port = free_port()
    command = [oxigraph_binary(), "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    if union:
        command.append("--union-default-graph")
    with running(name, command, "/query", port=port, log_dir=log_dir) as server:
        yield server


@contextmanager
def rdflib_endpoint_server(files: Sequence[Path], log_dir: Path) -> Iterator[Server]:
    """``rdflib-endpoint serve FILES`` (rdflib Memory Dataset, default_union=True, its own SPARQL engine)."""
    port = free_port()
    script = Path(sys.executable).parent / "rdflib-endpoint"
    launcher = [str(script)] if script.exists() else [sys.executable, "-m", "rdflib_endpoint"]
    command = [*launcher, "serve", *map(str, files), "--host", "127.0.0.1", "--port", str(port)]
    # rdflib-endpoint 0.6 serves its SPARQL endpoint at "/" (SparqlRouter's default path)
    with running("rdflib-endpoint", command, "/", port=port, log_dir=log_dir) as server:
        yield server
