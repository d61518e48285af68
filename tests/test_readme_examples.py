"""The README's examples, run as written against a real server: the README stays true.

Every fenced ``sh`` block that talks to ``http://127.0.0.1:8000`` (and starts no server of its
own) is run with bash, and every ``python`` block that does is executed, with the address swapped
for the test server's. curl gets ``--fail-with-body`` so an HTTP error fails the example.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunningService

README = Path(__file__).resolve().parents[1] / "README.md"
ADDRESS = "http://127.0.0.1:8000"
_BLOCK = re.compile(r"^```(sh|python)\n(.*?)^```", re.M | re.S)
_STARTS_A_SERVER = re.compile(r"econsec serve|oxigraph serve|econsec publish|make run|econsec build")


def _examples(language: str) -> list[str]:
    blocks = [body for lang, body in _BLOCK.findall(README.read_text(encoding="utf-8")) if lang == language]
    return [b for b in blocks if ADDRESS in b and not _STARTS_A_SERVER.search(b)]


TOKEN = "readme-example-token"
SHELL = [b for b in _examples("sh") if "ECONSEC_UPDATE_TOKEN" not in b]
WRITES = [b for b in _examples("sh") if "ECONSEC_UPDATE_TOKEN" in b]
PYTHON = _examples("python")


def test_the_readme_has_examples_for_each_kind_of_client() -> None:
    assert SHELL and PYTHON and WRITES


def _run(block: str, service: RunningService, cwd: Path, env: dict[str, str] | None = None) -> str:
    script = block.replace(ADDRESS, service.base).replace("curl ", "curl --fail-with-body ")
    script = script.replace(".venv/bin/", f"{Path(sys.executable).parent}/")  # examples run elsewhere
    script = script.replace("node_modules/.bin/", f"{README.parent / 'node_modules' / '.bin'}/")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"{script}\n--- stderr\n{done.stderr}\n--- stdout\n{done.stdout}"
    return done.stdout


@pytest.mark.parametrize("block", SHELL, ids=[f"sh-{i}" for i in range(len(SHELL))])
def test_shell_example_runs_as_written(block: str, sparql_service: RunningService, tmp_path: Path) -> None:
    assert _run(block, sparql_service, tmp_path).strip(), f"the example printed nothing:\n{block}"


@pytest.mark.parametrize("block", WRITES, ids=[f"writes-{i}" for i in range(len(WRITES))])
def test_write_example_runs_as_written(
    block: str, service_factory: Callable[..., RunningService], tmp_path: Path
) -> None:
    service = service_factory(env={"ECONSEC_UPDATE_TOKEN": TOKEN})
    out = _run(block, service, tmp_path, {"ECONSEC_UPDATE_TOKEN": TOKEN})
    assert "Another note" in out  # the graph written by the example comes back


@pytest.mark.parametrize("block", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_example_runs_as_written(block: str, sparql_service: RunningService) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.replace(ADDRESS, sparql_service.base), "README.md", "exec"), {})
    assert out.getvalue().strip(), "the example printed nothing"
