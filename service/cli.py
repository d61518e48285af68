"""The ``econsec`` command line: build, validate, stats, export.

Every failure the pipeline knows is an :class:`~econsec.graph.errors.EconsecError` subclass;
:func:`_report_errors` maps each one, once, to what the user sees and to the exit code
(1 for a problem in the data, 2 for a wrong command line, as click does). Progress and
problems go to stderr; the command's own output (tables, exported RDF) to stdout.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from econsec.graph.errors import (
    EconsecError,
    InconsistentOntology,
    ProvenanceError,
    RDFSyntaxError,
    ShapeViolation,
    display_path,
)
from econsec.graph.export import ExportFormat
from econsec.graph.validate import ValidationReport, ValidationResult, compact
from econsec.queries import cli as queries_cli
from pyoxigraph import Store
from rich.console import Console
from rich.markup import escape
from rich.table import Table

if TYPE_CHECKING:
    from econsec.service.settings import Settings
    from econsec.service.store.base import StoreBackend

app = typer.Typer(
    name="econsec",
    help="econsec-kg: build, validate, count, export, load and serve the economic security knowledge graph.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
app.add_typer(queries_cli.app, name="queries")


def _readable(console: Console) -> Console:
    """Tables folded into 80 columns are hard to read in logs: off a terminal, default to 160."""
    if not console.is_terminal and "COLUMNS" not in os.environ:
        console.width = 160
    return console


def _stdout() -> Console:
    # made per call, so COLUMNS and the terminal are read when the command runs
    return _readable(Console(highlight=False, soft_wrap=False))


def _stderr() -> Console:
    return _readable(Console(stderr=True, highlight=False))


@contextmanager
def _report_errors() -> Iterator[None]:
    """Turn the pipeline's typed failures into a readable report and an exit code."""
    try:
        yield
    except ShapeViolation as exc:
        _print_report(exc.report, _stderr())
        raise typer.Exit(exc.exit_code) from None
    except RDFSyntaxError as exc:
        _stderr().print(f"[bold red]{exc.title}:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except ProvenanceError as exc:
        err = _stderr()
        err.print(f"[bold red]{exc.title}[/] (every fact must sit in a passage graph)")
        err.print(escape(str(exc)))
        raise typer.Exit(exc.exit_code) from None
    except InconsistentOntology as exc:
        _stderr().print(f"[bold red]{exc.title}:[/] {escape(str(exc))}")
        raise typer.Exit(exc.exit_code) from None
    except EconsecError as exc:  # ReasonerError, UnsupportedFormatError, and any later ones
        _stderr().print(f"[bold red]{exc.title}:[/] {escape(str(exc))}")
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


def _print_report(report: ValidationReport, console: Console) -> None:
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


@app.command()
def build(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the release to.")] = Path("build"),
    no_reason: Annotated[
        bool, typer.Option("--no-reason", help="Skip the reasoner (no inferred graph).")
    ] = False,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Source TriG directory (default: graph/sources).")
    ] = None,
    reference: Annotated[
        Path | None, typer.Option("--reference", help="Reference TriG directory (default: graph/reference).")
    ] = None,
    shapes: Annotated[
        Path | None, typer.Option("--shapes", help="SHACL shapes file (default: ontology/shapes.ttl).")
    ] = None,
) -> None:
    """Load, check provenance, reason (HermiT), validate (SHACL), write build/."""
    from econsec.graph.build import build as run_build

    err = _stderr()
    with _report_errors():
        result = run_build(
            out,
            reason=not no_reason,
            sources_dir=sources,
            reference_dir=reference,
            shapes_path=shapes,
            console=err,
            show_progress=err.is_terminal,
        )
    console = _stdout()
    table = Table(title=f"Build {result.build_id}", title_justify="left")
    table.add_column("Named graph", overflow="fold")
    table.add_column("Triples", justify="right")
    for graph, n in result.graphs.items():
        table.add_row(escape(compact(graph)), f"{n:,}")
    table.add_row("[bold]total[/]", f"[bold]{result.total_quads:,}[/]")
    console.print(table)
    reasoner = result.reasoner or "skipped (--no-reason)"
    console.print(
        f"Reasoner: {reasoner}; inferred {result.inferred_triples:,} triple(s). "
        f"Files: {len(result.files)}. Warnings: {len(result.validation.warnings)}. "
        f"Time: {result.timings.get('total', 0):.1f} s."
    )
    if result.validation.skipped:
        console.print(f"[yellow]SHACL validation skipped:[/] {escape(result.validation.skipped)}")
    written = "econsec.trig, econsec.nq, void.ttl, validation.ttl"
    console.print(f"Wrote {escape(display_path(result.paths.out_dir))}/ ({written})")


@app.command()
def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="RDF files to check together with the graph.", exists=True, dir_okay=False),
    ],
    sources: Annotated[
        Path | None, typer.Option("--sources", help="Source TriG directory (default: graph/sources).")
    ] = None,
    reference: Annotated[
        Path | None, typer.Option("--reference", help="Reference TriG directory (default: graph/reference).")
    ] = None,
    shapes: Annotated[
        Path | None, typer.Option("--shapes", help="SHACL shapes file (default: ontology/shapes.ttl).")
    ] = None,
) -> None:
    """Validate FILES together with the graph: exit 0 if it conforms, 1 with a report if not."""
    from econsec.graph.validate import validate_files

    console = _stdout()
    with _report_errors():
        report = validate_files(files, shapes_path=shapes, sources_dir=sources, reference_dir=reference)
    _print_report(report, console)
    if not report.conforms:
        raise typer.Exit(1)
    console.print(f"[green]conforms[/] ({len(files)} file(s) checked with the graph)")


def _store_for(build_dir: Path) -> tuple[Store, str]:
    """The built store: build_dir/econsec.nq if there is one, else an in-memory build."""
    from econsec.graph.corpus import load_built_store

    nquads = build_dir / "econsec.nq"
    if nquads.is_file():
        return load_built_store(nquads), display_path(nquads)
    from econsec.graph.build import build_store

    err = _stderr()
    err.print(f"No {escape(display_path(nquads))}: building in memory (not validated).")
    return build_store(console=err).store, "in-memory build"


@app.command()
def stats(
    build_dir: Annotated[Path, typer.Option("--build", help="Build directory to read.")] = Path("build"),
    properties: Annotated[
        bool, typer.Option("--properties", help="Also count statements per property.")
    ] = False,
) -> None:
    """Instances per class and triples per named graph (from build/econsec.nq, or built in memory)."""
    from econsec.graph.stats import compute_stats

    with _report_errors():
        store, source = _store_for(build_dir)
        result = compute_stats(store)
    console = _stdout()
    classes = Table(title=f"Instances per class ({escape(source)})", title_justify="left")
    classes.add_column("Class")
    classes.add_column("Instances", justify="right")
    for cls, n in result.classes:
        classes.add_row(escape(compact(cls)), f"{n:,}")
    console.print(classes)
    graphs = Table(title="Triples per named graph", title_justify="left")
    graphs.add_column("Named graph", overflow="fold")
    graphs.add_column("Triples", justify="right")
    for g in result.graphs:
        graphs.add_row(escape(compact(g.graph)), f"{g.triples:,}")
    graphs.add_row("[bold]total[/]", f"[bold]{result.total:,}[/]")
    console.print(graphs)
    if properties:
        props = Table(title="Statements per property", title_justify="left")
        props.add_column("Property", overflow="fold")
        props.add_column("Statements", justify="right")
        for prop, n in result.properties:
            props.add_row(escape(compact(prop)), f"{n:,}")
        console.print(props)


@app.command()
def coverage(
    build_dir: Annotated[Path, typer.Option("--build", help="Build directory to read.")] = Path("build"),
) -> None:
    """Facts per document section, the sections with none, and orphan entities (graph/coverage.py)."""
    from econsec.graph.coverage import render_report

    with _report_errors():
        store, source = _store_for(build_dir)
    _stdout().print(render_report(store, source), markup=False, highlight=False)


@app.command()
def export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="RDF syntax to write.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
    ] = None,
    build_dir: Annotated[Path, typer.Option("--build", help="Build directory to read.")] = Path("build"),
) -> None:
    """Write the built graph as turtle, trig, nquads, jsonld or rdfxml."""
    from econsec.graph.export import export_bytes

    with _report_errors():
        store, _source = _store_for(build_dir)
        data = export_bytes(store, format)
    if output is None:
        stream = typer.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
    else:
        output.write_bytes(data)
        _stderr().print(f"Wrote {escape(display_path(output))} ({len(data):,} bytes, {format.value})")


def _log_config() -> dict[str, Any]:
    """uvicorn's logging, plus the service's access log (``econsec.access``) on stdout as
    uvicorn's own access log would be: each line as written, no level prefix."""
    from copy import deepcopy

    from uvicorn.config import LOGGING_CONFIG

    config = deepcopy(LOGGING_CONFIG)
    config["formatters"]["econsec_access"] = {"format": "%(message)s"}
    config["handlers"]["econsec_access"] = {
        "formatter": "econsec_access",
        "class": "logging.StreamHandler",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["econsec.access"] = {
        "handlers": ["econsec_access"],
        "level": "INFO",
        "propagate": False,
    }
    return config


@contextmanager
def _report_service_errors() -> Iterator[None]:
    """The service's typed failures (bad settings, a locked or unloadable store) as one line and exit 1."""
    from econsec.service.errors import ServiceError
    from econsec.service.settings import SettingsError

    try:
        yield
    except SettingsError as exc:
        _stderr().print(f"[bold red]Configuration error:[/] {escape(str(exc))}")
        raise typer.Exit(2) from None
    except ServiceError as exc:
        _stderr().print(f"[bold red]{exc.title}:[/] {escape(exc.message)}")
        raise typer.Exit(1) from None


def _open_backend(settings: Settings, err: Console) -> StoreBackend:
    """The remote store when one is configured, else the embedded store (filled from the build)."""
    if settings.store_query:
        from econsec.service.store.remote import RemoteStore

        return RemoteStore.from_settings(settings)
    from econsec.service.store.embedded import EmbeddedStore

    if not settings.nquads_path.is_file() and not settings.store_dir.is_dir():
        err.print(
            f"[bold red]No graph to serve:[/] {escape(display_path(settings.nquads_path))} does not exist "
            f"and {escape(display_path(settings.store_dir))} holds no store. Run `econsec build` first."
        )
        raise typer.Exit(1)
    return EmbeddedStore.open(settings, warn=lambda text: err.print(f"[yellow]Warning:[/] {escape(text)}"))


@app.command()
def serve(
    host: Annotated[str | None, typer.Option("--host", help="Interface to listen on [ECONSEC_HOST].")] = None,
    port: Annotated[int | None, typer.Option("--port", help="TCP port [ECONSEC_PORT].")] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the store lives [ECONSEC_DATA_DIR].")
    ] = None,
    build_dir: Annotated[
        Path | None, typer.Option("--build-dir", help="Release to fill the store from [ECONSEC_BUILD_DIR].")
    ] = None,
    store_query: Annotated[
        str | None,
        typer.Option(
            "--store-query",
            help="Remote mode: serve this SPARQL 1.1 query endpoint instead of the embedded store "
            "[ECONSEC_STORE_QUERY].",
        ),
    ] = None,
    store_update: Annotated[
        str | None,
        typer.Option(
            "--store-update", help="Remote mode: the store's update endpoint [ECONSEC_STORE_UPDATE]."
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            min=1,
            help="Serving processes; more than one needs a read-only service (no update token) "
            "[ECONSEC_WORKERS].",
        ),
    ] = None,
) -> None:
    """Serve the graph over HTTP: SPARQL 1.1 Protocol at /sparql, /health, /docs.

    The embedded store in the data directory is filled from the build on first start and kept
    across restarts. With --store-query the same service runs over any SPARQL 1.1 store instead
    (fill it with `econsec publish`). Other settings come from ECONSEC_* environment variables.
    """
    import uvicorn
    from econsec.service import multiprocess
    from econsec.service.app import create_app
    from econsec.service.guard import FederationGuard
    from econsec.service.settings import Settings

    err = _stderr()
    with _report_service_errors():
        settings = Settings.from_env(
            host=host,
            port=port,
            data_dir=data_dir,
            build_dir=build_dir,
            store_query=store_query,
            store_update=store_update,
            workers=workers,
        )
        multiprocess.check(settings)
        guard = FederationGuard.from_settings(settings)  # a bad allowlist entry stops start-up here
        store = _open_backend(settings, err)
    try:
        note = getattr(store, "note", store.description)  # the embedded store says how it was filled
        err.print(f"Store: {escape(note)}; {store.triple_count():,} triples.")
        mode = "read-only" if settings.read_only else "updates need the token"
        if settings.workers > 1:
            mode += f", {settings.workers} processes"
        err.print(f"SERVICE/LOAD allowed to: {escape(guard.allowlist.describe())}.")
        err.print(f"Serving http://{settings.host}:{settings.port}/sparql ({mode}); Ctrl-C stops.")
        if settings.workers > 1:
            _serve_processes(settings, store)
            return
        uvicorn.run(
            create_app(settings, backend=store, query_guard=guard),
            host=settings.host,
            port=settings.port,
            log_level="info",
            log_config=_log_config(),
            access_log=False,  # the app writes its own, cheaper one (access_log.py)
            timeout_graceful_shutdown=5,
        )
    finally:
        store.close()


def _serve_processes(settings: Settings, store: StoreBackend) -> None:
    """``--workers N``: let go of the writable store, keep writers out, start N read-only processes."""
    from econsec.service import multiprocess
    from econsec.service.store.embedded import EmbeddedStore, held_for_readers

    # the readers' lock is taken before the store closes, so no writer slips in between
    embedded = isinstance(store, EmbeddedStore)
    with held_for_readers(settings.data_dir) if embedded else nullcontext():
        store.close()
        multiprocess.run(settings, log_config=_log_config())


@app.command()
def load(
    files: Annotated[
        list[Path],
        typer.Argument(help="RDF files to load (any syntax pyoxigraph reads).", exists=True, dir_okay=False),
    ],
    graph: Annotated[
        str | None,
        typer.Option(
            "--graph",
            help="Named graph for triples outside any graph (required for Turtle, N-Triples, RDF/XML).",
        ),
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Where the store lives [ECONSEC_DATA_DIR].")
    ] = None,
    build_dir: Annotated[
        Path | None,
        typer.Option("--build-dir", help="Release to fill an empty store from [ECONSEC_BUILD_DIR]."),
    ] = None,
) -> None:
    """Bulk-load RDF files into the embedded store (stop `econsec serve` first: one process owns it).

    TriG, N-Quads and JSON-LD keep their named graphs; triple syntaxes go into --graph. An empty
    store is first filled from the build, as `econsec serve` would.
    """
    from econsec.service.settings import Settings
    from econsec.service.store.embedded import EmbeddedStore, rdf_format_for

    err = _stderr()
    with _report_service_errors():
        for path in files:  # refuse a bad command line before touching the store
            if graph is None and not rdf_format_for(path).supports_datasets:
                raise typer.BadParameter(
                    f"{display_path(path)} holds triples only: say which named graph with --graph IRI",
                    param_hint="--graph",
                )
        settings = Settings.from_env(data_dir=data_dir, build_dir=build_dir)
        store = EmbeddedStore.open(
            settings, warn=lambda text: err.print(f"[yellow]Warning:[/] {escape(text)}")
        )
        try:
            err.print(f"Store: {escape(store.note)}.")
            for path in files:
                added = store.load_file(path, graph=graph)
                _stdout().print(f"Loaded {escape(display_path(path))}: {added:,} new quad(s).")
        finally:
            store.close()


@app.command()
def publish(
    store_update: Annotated[
        str | None,
        typer.Option("--store-update", help="The store's SPARQL 1.1 update endpoint [ECONSEC_STORE_UPDATE]."),
    ] = None,
    store_query: Annotated[
        str | None,
        typer.Option("--store-query", help="Its query endpoint, to report counts [ECONSEC_STORE_QUERY]."),
    ] = None,
    build_dir: Annotated[
        Path | None, typer.Option("--build-dir", help="The release to publish [ECONSEC_BUILD_DIR].")
    ] = None,
    merge_default: Annotated[
        bool,
        typer.Option(
            "--merge-default-graph/--no-merge-default-graph",
            help="Also write the set union of the named graphs into the store's default graph.",
        ),
    ] = True,
    drop_all: Annotated[
        bool, typer.Option("--drop-all", help="Empty the whole store first (other graphs too).")
    ] = False,
) -> None:
    """Push the built graph into a remote SPARQL 1.1 store, with SPARQL Update only.

    Each named graph of the build is replaced, and the release's VoID description goes into its
    own graph so `econsec serve --store-query` can say which release answered. Then serve it
    with `econsec serve --store-query URL`.
    """
    from econsec.service.settings import Settings
    from econsec.service.store.publish import publish as push
    from econsec.service.store.remote import RemoteStore

    err = _stderr()
    with _report_service_errors():
        settings = Settings.from_env(build_dir=build_dir, store_query=store_query, store_update=store_update)
        if not settings.store_update:
            raise typer.BadParameter("say where to publish: --store-update URL", param_hint="--store-update")
        remote = RemoteStore(
            settings.store_query or settings.store_update,
            settings.store_update,
            timeout=max(settings.query_timeout, 300.0),
            public_base=settings.public_base,
        )

        def progress(graph: str, quads: int) -> None:
            _stdout().print(f"Published {escape(graph)}: {quads:,} quads.")

        report = push(
            remote,
            settings.nquads_path,
            settings.void_path,
            merge_default=merge_default,
            drop_all=drop_all,
            progress=progress,
        )
        total = sum(report.graphs.values())
        err.print(f"{len(report.graphs)} graphs, {total:,} quads in {report.requests} update requests.")
        if settings.store_query:
            err.print(f"The store's default graph now holds {remote.triple_count():,} triples.")


def main() -> None:  # pragma: no cover - ``python -m econsec.service.cli``
    app(prog_name="econsec")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
