"""The README's examples, run as written against a real server: the README stays true.

Every fenced ``sh`` block that talks to ``http://127.0.0.1:8000`` (and starts no server of its
own) is run with bash, and every ``python`` block that does is executed, with the address swapped
for the test server's. curl gets ``--fail-with-body`` so an HTTP error fails the example.
"""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
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


SHELL = _examples("sh")
PYTHON = _examples("python")


def test_the_readme_has_examples_for_each_kind_of_client() -> None:
    assert SHELL and PYTHON


@pytest.mark.parametrize("block", SHELL, ids=[f"sh-{i}" for i in range(len(SHELL))])
def test_shell_example_runs_as_written(block: str, sparql_service: RunningService) -> None:
    script = block.replace(ADDRESS, sparql_service.base).replace("curl ", "curl --fail-with-body ")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"{script}\n--- stderr\n{done.stderr}\n--- stdout\n{done.stdout}"
    assert done.stdout.strip(), f"the example printed nothing:\n{script}"


@pytest.mark.parametrize("block", PYTHON, ids=[f"python-{i}" for i in range(len(PYTHON))])
def test_python_example_runs_as_written(block: str, sparql_service: RunningService) -> None:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block.replace(ADDRESS, sparql_service.base), "README.md", "exec"), {})
    assert out.getvalue().strip(), "the example printed nothing"
