"""`econsec queries list` and `econsec queries run`: the saved-query library from a terminal.

Queries run against a finished build (`build/econsec.nq`), so analysts get the same answers as
the service gives for that build; every result says which build answered.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from econsec.queries import catalogue, execute
from rich.console import Console
from rich.table import Table

app = typer.Typer(help="List and run the saved queries.", no_args_is_help=True)
FORMATS = ("table", "csv", "tsv", "json")


def _parse_params(pairs: list[str]) -> dict[str, str]:
    params: dict[str, str] = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"expected NAME=VALUE, got {pair!r}", param_hint="--param")
        params[name] = value
    return params


@app.command("list")
def list_queries() -> None:
    """Show every saved query with its summary, tags and parameters."""
    table = Table(title="Saved queries", show_lines=False)
    for column in ("name", "CQ", "summary", "parameters"):
        table.add_column(column, overflow="fold")
    for query in catalogue.load().values():
        parameters = ", ".join(
            f"{p.name} ({p.type}{', default ' + p.default if p.default else ''})" for p in query.parameters
        )
        table.add_row(query.name, str(query.competency_question or ""), query.summary, parameters)
    Console().print(table)


@app.command("run")
def run_query(
    name: Annotated[str, typer.Argument(help="Query name, as shown by `econsec queries list`.")],
    param: Annotated[
        list[str], typer.Option("--param", "-p", help="Parameter as NAME=VALUE; repeatable.")
    ] = [],  # noqa: B006
    output_format: Annotated[str, typer.Option("--format", "-f", help="table, csv, tsv or json.")] = "table",
    build: Annotated[Path, typer.Option(help="Folder of the build to query.")] = Path("build"),
) -> None:
    """Run one saved query and print its answer."""
    if output_format not in FORMATS:
        raise typer.BadParameter(f"choose one of {', '.join(FORMATS)}", param_hint="--format")
    err = Console(stderr=True)
    try:
        query = catalogue.get(name)
        store = execute.open_build(build)
        result = execute.run(store, query, _parse_params(param), build=execute.build_id(build))
    except catalogue.QueryNotFound:
        err.print(f"[red]No saved query named {name!r}.[/red] See `econsec queries list`.")
        raise typer.Exit(2) from None
    except catalogue.ParameterError as error:
        err.print(f"[red]Bad parameter:[/red] {error}")
        raise typer.Exit(2) from None
    except FileNotFoundError as error:
        err.print(f"[red]{error}[/red]")
        raise typer.Exit(1) from None
    if output_format == "csv":
        typer.echo(result.to_csv(), nl=False)
    elif output_format == "tsv":
        typer.echo(result.to_csv(delimiter="\t"), nl=False)
    elif output_format == "json":
        typer.echo(result.to_json())
    else:
        table = Table(
            title=query.summary, caption=f"{len(result.rows)} rows · build {result.build_id or 'unknown'}"
        )
        for column in result.columns:
            table.add_column(column, overflow="fold")
        for row in result.rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        Console().print(table)
