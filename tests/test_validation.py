"""`econsec validate` rejects bad data with a message that names the problem, and accepts good data.

Each fixture in tests/data/invalid breaks one rule of the shapes (or of the syntax) and nothing else.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"
ECONSEC = str(Path(sys.executable).with_name("econsec"))


def validate(*paths: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [ECONSEC, "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=600,
        env={"COLUMNS": "200", "PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin"},
    )


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("broken-turtle.trig", ["broken-turtle.trig:24"]),
        ("missing-label.trig", ["test-law", "rdfs:label"]),
        ("wrong-datatype.trig", ["test-amount", "numeric es:value"]),
        ("end-before-start.trig", ["test-membership", "End before start"]),
        ("claim-without-provenance.ttl", ["unsourced-ban", "without provenance"]),
    ],
)
def test_invalid_file_is_rejected_with_a_message_naming_the_problem(
    fixture: str, expected: list[str]
) -> None:
    result = validate(DATA / "invalid" / fixture)
    output = " ".join((result.stdout + result.stderr).split())
    assert result.returncode == 1, output
    for fragment in expected:
        assert fragment in output, f"{fragment!r} not in the report for {fixture}:\n{output}"


def test_the_curated_sources_validate(tmp_path: Path) -> None:
    sources = sorted((Path(__file__).parents[1] / "graph" / "sources").glob("*.trig"))
    assert sources
    result = validate(*sources)
    assert result.returncode == 0, result.stdout + result.stderr
