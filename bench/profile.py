"""Where a Python server's time goes under load: py-spy samples while wrk drives it.

py-spy (``pip install py-spy``) samples the server's Python stacks from outside
(``--nonblocking``: the server is not paused), in the collapsed "raw" format. The summary counts,
for every function, the share of samples in which it is running (self) and in which it is on
the stack (inclusive), over all threads: the event loop and the query workers.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from .loadgen import run_load
from .servers import Server

__all__ = ["profile_under_load", "summarise"]

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::\d+)?\)$")


def _frame_key(frame: str, lines: bool = False) -> str:
    """``func (path/to/module.py:123)`` as ``func (module path from site-packages or the repo)``."""
    match = _FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    file = match["file"] if not lines else frame.strip().rsplit("(", 1)[1].rstrip(")")
    for marker in ("site-packages/", "/work/main/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match['func']} ({file})"


def summarise(raw: Path, top: int = 25, *, lines: bool = False) -> dict[str, Any]:
    """Self and inclusive sample shares per function (per line with ``lines``) from a py-spy raw file."""
    self_counts: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_key(f, lines) for f in stack.split(";")]
        frames = [f for f in frames if not f.startswith("process ") and not f.startswith("thread ")]
        if not frames:
            continue
        total += count
        self_counts[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count

    def share(counter: Counter[str]) -> list[list[object]]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(top)]

    return {"samples": total, "self_percent": share(self_counts), "inclusive_percent": share(inclusive)}


def profile_under_load(
    server: Server,
    queries: list[str],
    *,
    seconds: float,
    wrk: str | None,
    connections: int,
    out_dir: Path,
    gil_only: bool = False,
    subprocesses: bool = False,
) -> dict[str, Any] | None:
    """Profile ``server`` with py-spy for ``seconds`` while the load runs; None when py-spy is missing.

    ``gil_only`` keeps only samples of the thread holding the GIL: where the one core that Python
    code can use goes (engine work with the GIL released drops out).
    """
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(spy).exists():
        print("py-spy is not installed (pip install py-spy): no profile")
        return None
    raw = out_dir / f"profile-{server.name}.txt"
    raw.unlink(missing_ok=True)
    command = [
        spy,
        "record",
        "--pid",
        str(server.pid),
        "--duration",
        str(int(seconds)),
        "--rate",
        "200",
        "--nonblocking",
        "--format",
        "raw",
        "--output",
        str(raw),
        *(["--gil"] if gil_only else []),
        *(["--subprocesses"] if subprocesses else []),
    ]
    spying = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        time.sleep(1.0)  # py-spy attaches
        load = run_load(server.endpoint, queries, connections=connections, seconds=seconds - 1, wrk=wrk)
        _, err = spying.communicate(timeout=seconds + 60)
    finally:
        if spying.poll() is None:
            spying.kill()
            spying.wait()
    if spying.returncode != 0 or not raw.exists():
        print(f"py-spy failed ({spying.returncode}): {err.decode(errors='replace')[-800:]}")
        return None
    summary = summarise(raw)
    summary["gil_only"] = gil_only
    summary["load_while_profiled"] = load.as_dict()
    summary["raw_file"] = str(raw)
    return summary
