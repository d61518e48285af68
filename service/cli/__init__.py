"""The ``econsec`` command line: one Typer app, its commands grouped by what they work on.

- :mod:`.graph`: build, validate, stats, export (the sources and the release in ``build/``);
- :mod:`.serving`: serve, load, publish (the store and the HTTP service);
- ``queries``: the saved queries, one subcommand each (``econsec.queries.cli``);
- :mod:`.report`: the typed failures of all of them as messages and exit codes.

The script entry point is ``econsec.service.cli:app``; ``python -m econsec.service.cli`` runs
the same app.
"""

from __future__ import annotations

import sys

import typer
from econsec.queries import cli as queries_cli

from . import graph, serving

__all__ = ["app", "main"]

app = typer.Typer(
    name="econsec",
    help="econsec-kg: build, validate, count, export, load and serve the economic security knowledge graph.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(queries_cli.app, name="queries")
for command in (*graph.COMMANDS, *serving.COMMANDS):
    app.command()(command)


def main() -> None:  # pragma: no cover - ``python -m econsec.service.cli``
    app(prog_name="econsec")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
