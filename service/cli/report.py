"""What the command line shows for each typed failure, and with which exit code: one place for all commands.

Every failure the pipeline knows is an :class:`~econsec.graph.errors.EconsecError` subclass and
every failure of the service an :class:`~econsec.service.errors.ServiceError`;
:func:`report_errors` and :func:`report_service_errors` map each one, once, to what the user sees
and to the exit code (1 for a problem in the data or the store, 2 for a wrong command line or
configuration, as click does). Progress and problems go to stderr; the command's own output
(tables, exported RDF) to stdout.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager

import typer
from econsec.graph.errors import (
    EconsecError,
    InconsistentOntology,
    ProvenanceError,
    RDFSyntaxError,
    ShapeViolation,
    display_path,
)
from econsec.graph.validate import ValidationReport, ValidationResult, compact
from rich.console import Console
from rich.markup import escape
from rich.table import Table

__all__ = ["print_report", "readable", "report_errors", "report_service_errors", "stderr", "stdout"]


def readable(console: Console) -> Console:
    """Tables folded into 80 columns are hard to read in logs: off a terminal, default to 160."""
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160
    return console


def stdout() -> Console:
    """The console for a command's own output (tables, RDF)."""
    # made per call, so COLUMNS and the terminal are read when the command runs
    return readable(Console(highlight=False, soft_wrap=False))


def stderr() -> Console:
    """The console for progress and problems, so that stdout stays the command's output."""
    # made per call, as stdout()
    return readable(Console(stderr=True, highlight=False))


@contextmanager
def report_errors() -> Iterator[None]:
    """Turn the pipeline's typed failures into a readable report and an exit code."""
    try:
        yield
    except ShapeViolation as exc:
        print_report(exc.report, stderr())
        raise typer.Exit(exc.exit_code) from None
    except RDFSyntaxError as exc:
        stderr().print(f"[bold red]{exc.title}:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except ProvenanceError as exc:
        err = stderr()
        err.print(f"[bold red]{exc.title}[/] (every fact must sit in a passage graph)")
        err.print(escape(str(exc)))
        raise typer.Exit(exc.exit_code) from None
    except InconsistentOntology as exc:
        stderr().print(f"[bold red]{exc.title}:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except EconsecError as exc:  # ReasonerError, UnsupportedFormatError, and any later ones
        stderr().print(f"[bold red]{exc.title}:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None


def _term(term: object) -> str:
    """A pyoxigraph term, compacted when it is an IRI."""
    from pyoxigraph import NamedNode

    return compact(term.value) if isinstance(term, NamedNode) else str(term)


def _results_table(title: str, results: list[ValidationResult], *, severity: bool = False) -> Table:
    table = Table(title=title, title_justify="left", show_lines=False, expand=False)
    if severity:
        table.add_column("Severity")
    table.add_column("Focus node", overflow="fold")
    table.add_column("Path", overflow="fold")
    table.add_column("Value", overflow="fold")
    table.add_column("Message", overflow="fold")
    table.add_column("File", overflow="fold")
    for r in results:
        row = [r.focus, r.path or "", r.value or "", r.message, r.files_text()]
        table.add_row(*([r.severity] if severity else []), *map(escape, row))
    return table


def print_report(report: ValidationReport, console: Console) -> None:
    """The readable validation report: facts without provenance, violations, warnings."""
    if report.skipped:
        console.print(f"[yellow]SHACL validation skipped:[/] {escape(report.skipped)}")
    if report.unannotated:
        table = Table(
            title=f"{len(report.unannotated)} fact(s) without provenance (outside any passage graph)",
            title_justify="left",
        )
        table.add_column("File", overflow="fold")
        table.add_column("Triple", overflow="fold")
        table.add_column("Where", overflow="fold")
        for fact in report.unannotated:
            q = fact.quad
            triple = " ".join(_term(t) for t in (q.subject, q.predicate, q.object))
            table.add_row(escape(display_path(fact.path)), escape(triple), escape(fact.where))
        console.print(table)
        console.print("Fix: write each fact inside the passage graph that states it (graph/AUTHORING.md).")
    if report.violations:
        console.print(_results_table(f"{len(report.violations)} SHACL violation(s)", report.violations))
    if report.warnings:
        console.print(_results_table(f"{len(report.warnings)} warning(s), not blocking", report.warnings))


@contextmanager
def report_service_errors() -> Iterator[None]:
    """The service's typed failures (bad settings, a locked or unloadable store) as one line and exit 1."""
    from econsec.service.errors import ServiceError
    from econsec.service.settings import SettingsError

    try:
        yield
    except SettingsError as exc:
        stderr().print(f"[bold red]Configuration error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except ServiceError as exc:
        stderr().print(f"[bold red]{exc.title}:[/] {escape(exc.message)}")
        raise typer.Exit(1) from None
