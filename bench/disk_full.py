"""Writes on a full disk: every write is answered honestly (2xx only if committed), the store stays whole.

Run as root (it mounts a small tmpfs): ``.venv/bin/python -m bench.disk_full [--size-mb 24] [--writes 400]``.
A real ``econsec serve`` keeps its data directory on the tmpfs; a filler file takes all but a little of
the free space; then writes of ~1 KB each are sent until the disk is full, and some more after that.
While the disk is full a query may be refused (507) rather than answered from a snapshot older than
an acknowledged write. Once the filler is removed, every write answered 2xx must be in the store
(through /sparql, i.e. the query snapshot, and through the store reopened after a restart), and
no write answered otherwise may be. Prints a JSON summary and writes it to
``bench/results/disk_full.json``; the figures of record are in ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import httpx

from .report import write_summary
from .servers import free_port, start_econsec

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-disk-full-token-0123456789"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "https://example.org/bench/disk-full/"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"


def serve(data_dir: Path, build_dir: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    process = start_econsec(port, data_dir, build_dir, log, {"ECONSEC_UPDATE_TOKEN": TOKEN})
    return process, f"http://127.0.0.1:{port}"


def write(base: str, i: int, comment: str) -> httpx.Response:
    """Write number ``i``: one triple (subject ``s/i``) POSTed into the test graph (Graph Store Protocol)."""
    return httpx.post(
        base + "/rdf-graphs",
        params={"graph": EX + "g"},
        content=f'<{EX}s/{i}> <{COMMENT}> "{comment}" .'.encode(),
        headers={"Content-Type": "text/turtle", **AUTH},
        timeout=120,
    )


def stored(base: str) -> set[int] | str:
    query = f"SELECT ?s WHERE {{ GRAPH <{EX}g> {{ ?s <{COMMENT}> ?o }} }}"
    response = httpx.post(
        base + "/sparql",
        data={"query": query},
        headers={"Accept": "application/sparql-results+json"},
        timeout=120,
    )
    if not response.is_success:
        return f"{response.status_code} {response.text[:300]}"
    return {int(b["s"]["value"].rsplit("/", 1)[1]) for b in response.json()["results"]["bindings"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=24)
    parser.add_argument("--headroom-kb", type=int, default=256, help="free space left before the writes")
    parser.add_argument("--writes", type=int, default=400)
    parser.add_argument("--build-dir", type=Path, default=ROOT / "build")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "disk_full.json")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("needs root to mount a tmpfs")
    work = Path(tempfile.mkdtemp(prefix="econsec-disk-full-"))
    mount = work / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={args.size_mb}m", "tmpfs", str(mount)], check=True)
    process = None
    try:
        log = work / "serve.log"
        process, base = serve(mount / "data", args.build_dir, log)
        free = os.statvfs(mount)
        filler = mount / "filler"
        with filler.open("wb") as out:  # all but the headroom
            left = free.f_bavail * free.f_frsize - args.headroom_kb * 1024
            chunk = b"\0" * (1 << 20)
            while left > 0:
                out.write(chunk[: min(left, len(chunk))])
                left -= len(chunk)
        statuses: Counter[int] = Counter()
        acknowledged: set[int] = set()
        refused: set[int] = set()
        first_507 = None
        padding = "x" * 900
        for i in range(args.writes):
            response = write(base, i, f"{i} {padding}")
            statuses[response.status_code] += 1
            if response.is_success:
                acknowledged.add(i)
            else:
                refused.add(i)
                if response.status_code == 507 and first_507 is None:
                    first_507 = (i, response.text.strip()[:300])
        health = httpx.get(base + "/health", timeout=30).json()
        query_while_full = httpx.post(base + "/sparql", data={"query": "ASK {}"}, timeout=60)
        filler.unlink()  # space again: the service recovers, and the snapshot catches up
        after_space = write(base, args.writes, "after").status_code
        if 200 <= after_space < 300:
            acknowledged.add(args.writes)
        visible = stored(base)  # through the query snapshot, retaken now that there is space
        process.terminate()
        process.wait(timeout=30)
        process, base = serve(mount / "data", args.build_dir, log)  # reopen: what was durable
        durable = stored(base)
        assert isinstance(durable, set), durable
        after_restart = write(base, args.writes + 1, "after restart").status_code
        summary = {
            "tmpfs_mb": args.size_mb,
            "writes": args.writes,
            "statuses": dict(sorted(statuses.items())),
            "first_507": first_507,
            "acknowledged": len(acknowledged),
            "query_after_space_freed": visible if isinstance(visible, str) else 200,
            "acknowledged_not_visible": len(acknowledged - visible) if isinstance(visible, set) else None,
            "refused_but_visible": len(refused & visible) if isinstance(visible, set) else None,
            "acknowledged_not_durable": len(acknowledged - durable),
            "refused_but_durable": len(refused & durable),
            "query_while_full": [query_while_full.status_code, query_while_full.text.strip()[:200]],
            "write_after_space_freed": after_space,
            "write_after_restart": after_restart,
            "health_triples_while_full": health.get("triples"),
        }
        write_summary(summary, args.out)
    finally:
        if process is not None and process.poll() is None:
            process.terminate()
            process.wait(timeout=30)
        subprocess.run(["umount", str(mount)], check=False)


if __name__ == "__main__":
    main()
