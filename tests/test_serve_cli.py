"""`econsec serve` and `econsec load`: settings from the environment and flags, loading files, refusals."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from conftest import RunningService
from econsec.graph.build import BuildResult
from econsec.service.cli import app
from econsec.service.settings import Settings, SettingsError
from econsec.service.store.embedded import EmbeddedStore
from typer.testing import CliRunner

WIDE = {"COLUMNS": "200", "NO_COLOR": "1"}
EXTRA_GRAPH = "https://example.org/graph/extra"
TURTLE = """\
@prefix ex: <https://example.org/> .
ex:a ex:p ex:b ; ex:q "one" , "two" .
"""
TRIG = """\
@prefix ex: <https://example.org/> .
ex:g1 { ex:c ex:p ex:d . }
ex:g2 { ex:e ex:p ex:f . ex:e ex:q "x" . }
"""


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner(env=WIDE)


def flat(text: str) -> str:
    return " ".join(text.split())


# --- settings ---------------------------------------------------------------------------


def test_settings_come_from_econsec_variables_and_flags_override_them() -> None:
    env = {
        "ECONSEC_DATA_DIR": "/srv/econsec",
        "ECONSEC_PORT": "9000",
        "ECONSEC_QUERY_TIMEOUT": "2.5",
        "ECONSEC_SERVICE_ALLOWLIST": "https://query.wikidata.org/sparql, http://localhost:7878/query ,",
        "ECONSEC_UPDATE_TOKEN": "",
        "UNRELATED": "x",
    }
    settings = Settings.from_env(env)
    assert settings.data_dir == Path("/srv/econsec") and settings.port == 9000
    assert settings.query_timeout == 2.5 and settings.result_limit == 100_000
    assert settings.service_allowlist == ("https://query.wikidata.org/sparql", "http://localhost:7878/query")
    assert settings.read_only  # an empty token is no token
    overridden = Settings.from_env(env, port=8123, data_dir=Path("here"), host=None)
    assert overridden.port == 8123 and overridden.data_dir == Path("here") and overridden.host == "127.0.0.1"
    defaults = Settings.from_env({})
    assert (defaults.data_dir, defaults.build_dir, defaults.port) == (Path("data"), Path("build"), 8000)
    assert defaults.max_body_bytes == 10 * 1024 * 1024 and defaults.public_base == "https://w3id.org/econsec/"


@pytest.mark.parametrize(
    ("name", "value"),
    [("ECONSEC_PORT", "eighty"), ("ECONSEC_QUERY_TIMEOUT", "0"), ("ECONSEC_MAX_CONCURRENCY", "0")],
)
def test_a_malformed_setting_names_the_variable(name: str, value: str) -> None:
    with pytest.raises(SettingsError, match=name):
        Settings.from_env({name: value})


def test_serve_reports_a_bad_setting_and_a_missing_build(runner: CliRunner, tmp_path: Path) -> None:
    bad = runner.invoke(app, ["serve", "--data-dir", str(tmp_path / "d")], env={**WIDE, "ECONSEC_PORT": "x"})
    assert bad.exit_code == 2 and "ECONSEC_PORT" in bad.output
    missing = runner.invoke(
        app, ["serve", "--data-dir", str(tmp_path / "d"), "--build-dir", str(tmp_path / "none")]
    )
    assert missing.exit_code == 1
    assert "econsec build" in flat(missing.output)


def test_serve_help_lists_its_options(runner: CliRunner) -> None:
    result = runner.invoke(app, ["serve", "--help"])
    assert result.exit_code == 0
    for option in ("--host", "--port", "--data-dir", "--build-dir"):
        assert option in result.output


# --- econsec load --------------------------------------------------------------------------


def test_load_adds_a_files_triples_to_the_served_store(
    runner: CliRunner, built: BuildResult, tmp_path: Path, service_factory: Callable[..., RunningService]
) -> None:
    data = tmp_path / "data"
    turtle, trig = tmp_path / "extra.ttl", tmp_path / "extra.trig"
    turtle.write_text(TURTLE, encoding="utf-8")
    trig.write_text(TRIG, encoding="utf-8")
    common = ["--data-dir", str(data), "--build-dir", str(built.paths.out_dir)]
    result = runner.invoke(app, ["load", str(turtle), "--graph", EXTRA_GRAPH, *common])
    assert result.exit_code == 0, result.output
    assert "3 new quad(s)" in flat(result.stdout)
    result = runner.invoke(app, ["load", str(trig), *common])
    assert result.exit_code == 0, result.output

    service = service_factory(data_dir=data)
    query = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), 'https://example.org/')) } GROUP BY ?g ORDER BY ?g"
    rows = httpx.get(service.sparql, params={"query": query}, timeout=30).json()["results"]["bindings"]
    counts = {row["g"]["value"]: int(row["n"]["value"]) for row in rows}
    assert counts == {"https://example.org/g1": 1, "https://example.org/g2": 2, EXTRA_GRAPH: 3}
    # the build is there too (an empty store was filled first), and in the union default graph
    assert service.health()["named_graphs"] == len(built.graphs) + 3
    ask = "ASK { <https://example.org/e> <https://example.org/q> 'x' }"
    assert httpx.get(service.sparql, params={"query": ask}, timeout=30).json()["boolean"] is True


def test_load_refuses_triples_without_a_graph_and_broken_files_changing_nothing(
    runner: CliRunner, built: BuildResult, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    common = ["--data-dir", str(data), "--build-dir", str(built.paths.out_dir)]
    turtle = tmp_path / "extra.ttl"
    turtle.write_text(TURTLE, encoding="utf-8")
    no_graph = runner.invoke(app, ["load", str(turtle), *common])
    assert no_graph.exit_code == 2 and "--graph" in no_graph.output

    broken = tmp_path / "broken.trig"
    broken.write_text(TRIG + "\nex:g3 { ex:x ex:p }\n", encoding="utf-8")
    failed = runner.invoke(app, ["load", str(broken), *common])
    assert failed.exit_code == 1 and "broken.trig" in flat(failed.output)

    store = EmbeddedStore.open(Settings(data_dir=data, build_dir=built.paths.out_dir))
    try:  # the build only: neither file's data
        assert store.named_graphs() == sorted(built.graphs)
        assert store.record.loaded_files == []
    finally:
        store.close()


def test_load_while_the_service_runs_says_the_store_is_in_use(
    runner: CliRunner, built: BuildResult, tmp_path: Path, service_factory: Callable[..., RunningService]
) -> None:
    service = service_factory()
    turtle = tmp_path / "extra.ttl"
    turtle.write_text(TURTLE, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "load",
            str(turtle),
            "--graph",
            EXTRA_GRAPH,
            "--data-dir",
            str(service.data_dir),
            "--build-dir",
            str(built.paths.out_dir),
        ],
    )
    assert result.exit_code == 1
    assert "Store in use" in result.output and "econsec serve" in flat(result.output)
