"""No project file repeats a run of ten or more words from the source documents.

Labels are names and descriptions are our own words. Titles of cited works are names too, so
dcterms:title literals are exempt (as are the people and publishers they name); everything else in
the curated data (section names and URLs included), the queries and the docs is checked, each
literal alone and each file as a whole, where a run may cross from one line to the next.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pyoxigraph as ox
import pytest

ROOT = Path(__file__).parents[1]


def _seeds() -> Path:
    """The source documents live beside the repository (``../shared/seeds``), not in it; a clone
    elsewhere finds them through ``ECONSEC_SEEDS`` or the workspace's usual place."""
    candidates = [Path(os.environ["ECONSEC_SEEDS"])] if "ECONSEC_SEEDS" in os.environ else []
    candidates += [parent / "shared" / "seeds" for parent in ROOT.parents]
    candidates.append(Path("/work/shared/seeds"))
    return next((c for c in candidates if c.is_dir()), candidates[0] if candidates else ROOT)


SEEDS = _seeds()
RUN = 10
NAME_PREDICATES = {
    "http://purl.org/dc/terms/title",
    "https://w3id.org/econsec/ontology#creatorName",
    "https://w3id.org/econsec/ontology#publisherName",
}


def words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def runs(text: str) -> set[str]:
    w = words(text)
    return {" ".join(w[i : i + RUN]) for i in range(len(w) - RUN + 1)}


@pytest.fixture(scope="module")
def seed_runs() -> set[str]:
    if not SEEDS.is_dir():
        pytest.skip(f"source documents not found at {SEEDS}")
    return set().union(*(runs(p.read_text(errors="ignore")) for p in SEEDS.glob("*.txt")))


def test_curated_literals_are_not_copied_from_the_documents(seed_runs: set[str]) -> None:
    for path in sorted((ROOT / "graph").glob("*/*.trig")):
        for quad in ox.parse(path=str(path)):
            if isinstance(quad.object, ox.Literal) and quad.predicate.value not in NAME_PREDICATES:
                copied = runs(quad.object.value) & seed_runs
                assert not copied, (
                    f"{path.name}: {quad.subject.value} repeats the source: {sorted(copied)[0]!r}"
                )


def test_curated_files_repeat_no_run_outside_the_names_they_record(seed_runs: set[str]) -> None:
    """The file text as a whole, as a reader of the repository sees it: only runs that lie
    inside a name literal (a cited work's title) may match the documents."""
    for path in sorted((ROOT / "graph").glob("*/*.trig")):
        names: set[str] = set()
        for quad in ox.parse(path=str(path)):
            if isinstance(quad.object, ox.Literal) and quad.predicate.value in NAME_PREDICATES:
                names |= runs(quad.object.value)
        copied = runs(path.read_text(encoding="utf-8")) & seed_runs - names
        assert not copied, f"{path.name} repeats the source: {sorted(copied)[0]!r}"


@pytest.mark.parametrize("pattern", ["queries/*.rq", "*.md", "graph/*.md", "ontology/*.ttl"])
def test_queries_docs_and_ontology_are_not_copied_from_the_documents(
    seed_runs: set[str], pattern: str
) -> None:
    for path in sorted(ROOT.glob(pattern)):
        copied = runs(path.read_text(encoding="utf-8")) & seed_runs
        assert not copied, f"{path.relative_to(ROOT)} repeats the source: {sorted(copied)[0]!r}"
