"""The `econsec` command line: exit codes and what the user reads."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import MiniCorpus
from econsec.service.cli import app
from typer.testing import CliRunner

ECONSEC = str(Path(sys.executable).with_name("econsec"))
WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=WIDE)


def corpus_options(corpus: MiniCorpus) -> list[str]:
    return [
        "--sources",
        str(corpus.sources),
        "--reference",
        str(corpus.reference),
        "--shapes",
        str(corpus.shapes),
    ]


def flat(text: str) -> str:
    """Output with runs of whitespace folded, so table wrapping does not matter."""
    return " ".join(text.split())


def test_build_then_stats_then_export(runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = runner.invoke(app, ["build", "--out", str(out), *corpus_options(mini_corpus)])
    assert result.exit_code == 0, result.output
    assert "Build " in result.stdout and "g:inferred" in result.stdout and "g:test-doc" in result.stdout
    assert (out / "econsec.nq").is_file() and (out / "void.ttl").is_file()

    stats = runner.invoke(app, ["stats", "--build", str(out), "--properties"])
    assert stats.exit_code == 0, stats.output
    text = flat(stats.stdout)
    assert "Instances per class" in text and re.search(r"es:State\W+2\b", text)
    assert "Triples per named graph" in text and "g:reference" in text
    assert "Statements per property" in text

    target = tmp_path / "graph.ttl"
    exported = runner.invoke(
        app, ["export", "--format", "turtle", "--output", str(target), "--build", str(out)]
    )
    assert exported.exit_code == 0, exported.output
    assert list(ox.parse(path=str(target)))

    to_stdout = runner.invoke(app, ["export", "--format", "nquads", "--build", str(out)])
    assert to_stdout.exit_code == 0
    assert len(list(ox.parse(to_stdout.stdout_bytes, ox.RdfFormat.N_QUADS))) == len(
        list(ox.parse(path=str(out / "econsec.nq")))
    )


def test_build_without_reasoner(runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path) -> None:
    out = tmp_path / "build"
    result = runner.invoke(app, ["build", "--out", str(out), "--no-reason", *corpus_options(mini_corpus)])
    assert result.exit_code == 0, result.output
    assert "skipped (--no-reason)" in result.stdout
    assert "g:inferred" not in result.stdout


def test_build_reports_a_syntax_error_with_file_and_line(
    runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    broken = mini_corpus.add_source("broken.trig", 'psg:x {\n  inst:a rdfs:label "oops .\n}\n')
    line = broken.read_text().splitlines().index('  inst:a rdfs:label "oops .') + 1
    result = runner.invoke(app, ["build", "--out", str(tmp_path / "build"), *corpus_options(mini_corpus)])
    assert result.exit_code == 1
    assert f"broken.trig:{line}:" in flat(result.stderr)
    assert not (tmp_path / "build").exists()


def test_build_refuses_facts_without_provenance(
    runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    mini_corpus.add_source("stray.trig", "inst:stray a es:Law .\n")
    result = runner.invoke(app, ["build", "--out", str(tmp_path / "build"), *corpus_options(mini_corpus)])
    assert result.exit_code == 1
    err = flat(result.stderr)
    assert "Facts without provenance" in err and "stray.trig" in err and "instrument/stray" in err


def test_build_reports_shape_violations_naming_the_file(
    runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    mini_corpus.add_source(
        "unlabelled.trig",
        "g:unlabelled { psg:unlabelled.a a es:Passage . }\npsg:unlabelled.a { inst:nameless a es:Law . }\n",
    )
    result = runner.invoke(app, ["build", "--out", str(tmp_path / "build"), *corpus_options(mini_corpus)])
    assert result.exit_code == 1
    err = flat(result.stderr)
    for fragment in (
        "SHACL violation",
        "inst:nameless",
        "rdfs:label",
        "An entity needs an rdfs:label.",
        "unlabelled.trig",
    ):
        assert fragment in err, err


def test_validate_accepts_a_good_file_and_rejects_a_bad_one(
    runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    options = corpus_options(mini_corpus)
    good = runner.invoke(app, ["validate", str(mini_corpus.source_file), *options])
    assert good.exit_code == 0, good.output
    assert "conforms" in good.stdout

    bad = tmp_path / "claims.ttl"
    bad.write_text(
        "@prefix es: <https://w3id.org/econsec/ontology#> .\n"
        "<https://w3id.org/econsec/id/instrument/unsourced> a es:Law .\n"
    )
    result = runner.invoke(app, ["validate", str(bad), *options])
    assert result.exit_code == 1
    text = flat(result.stdout)
    assert "without provenance" in text and "claims.ttl" in text
    assert "inst:unsourced" in text and "An entity needs an rdfs:label." in text


def test_validate_names_a_syntax_error(runner: CliRunner, mini_corpus: MiniCorpus, tmp_path: Path) -> None:
    bad = tmp_path / "bad.trig"
    bad.write_text("<https://example.org/a> <https://example.org/b> .\n")
    result = runner.invoke(app, ["validate", str(bad), *corpus_options(mini_corpus)])
    assert result.exit_code == 1
    assert "bad.trig:1:" in flat(result.stderr)


def test_usage_errors_exit_2(runner: CliRunner, tmp_path: Path) -> None:
    assert runner.invoke(app, ["validate", str(tmp_path / "missing.trig")]).exit_code == 2
    assert runner.invoke(app, ["export", "--format", "csv"]).exit_code == 2


def test_the_console_script_is_installed() -> None:
    result = subprocess.run([ECONSEC, "--help"], capture_output=True, text=True, timeout=60, env=WIDE)
    assert result.returncode == 0, result.stderr
    for command in ("build", "validate", "stats", "export"):
        assert command in result.stdout
