"""`econsec queries list|run`: every saved query answers through the command line, as analysts use it."""

from __future__ import annotations

import csv
import io
import json

import pytest
from econsec.graph.build import BuildResult
from econsec.queries import catalogue
from econsec.queries.cli import app
from typer.testing import CliRunner

runner = CliRunner()


def test_list_shows_every_saved_query() -> None:
    result = runner.invoke(app, ["list"], env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    for name in catalogue.load():
        assert name in result.output


@pytest.mark.parametrize("name", sorted(catalogue.load()))
def test_every_saved_query_answers_with_its_defaults(built: BuildResult, name: str) -> None:
    result = runner.invoke(app, ["run", name, "--format", "json", "--build", str(built.paths.nquads.parent)])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["rows"], f"{name} returned no rows"
    assert answer["build"] == built.build_id, "the answer names the build that produced it"


def test_csv_output_with_a_parameter(built: BuildResult) -> None:
    result = runner.invoke(
        app,
        [
            "run",
            "cq19-actor-profile",
            "--param",
            "actor=https://w3id.org/econsec/id/country/china",
            "--format",
            "csv",
            "--build",
            str(built.paths.nquads.parent),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    issued = {r["itemLabel"] for r in rows if r["relation"] == "issued"}
    assert "Chinese export curbs on gallium and germanium" in issued


def test_table_output_names_the_build(built: BuildResult) -> None:
    result = runner.invoke(
        app,
        ["run", "cq08-semiconductor-spending", "--build", str(built.paths.nquads.parent)],
        env={"COLUMNS": "250"},
    )
    assert result.exit_code == 0, result.output
    assert "Japan" in result.output and built.build_id in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run", "no-such-query"], "No saved query named"),
        (["run", "cq19-actor-profile", "--param", "country=x"], "'country'"),
        (["run", "cq19-actor-profile", "--param", "actor=} ; DROP ALL #"], "'actor'"),
        (["run", "cq19-actor-profile", "--param", "actor"], "NAME=VALUE"),
    ],
)
def test_bad_requests_exit_2_naming_the_problem(built: BuildResult, args: list[str], message: str) -> None:
    result = runner.invoke(app, [*args, "--build", str(built.paths.nquads.parent)])
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())
