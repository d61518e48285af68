"""The graph commands: build, validate, stats, export. They read the sources and the build, never a server."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from econsec.graph.errors import display_path
from econsec.graph.export import ExportFormat
from econsec.graph.validate import compact
from pyoxigraph import Store
from rich.markup import escape
from rich.table import Table

from .report import print_report, report_errors, stderr, stdout

#: the graph's inputs, which ``build`` and ``validate`` both read (defaults: the packaged ones)
SourcesOption = Annotated[
    Path | None, typer.Option("--sources", help="Source TriG directory (default: graph/sources).")
]
ReferenceOption = Annotated[
    Path | None, typer.Option("--reference", help="Reference TriG directory (default: graph/reference).")
]
ShapesOption = Annotated[
    Path | None, typer.Option("--shapes", help="SHACL shapes file (default: ontology/shapes.ttl).")
]

__all__ = ["COMMANDS", "build", "coverage", "export", "stats", "validate"]


def build(
    out: Annotated[Path, typer.Option("--out", help="Directory to write the release to.")] = Path("build"),
    no_reason: Annotated[
        bool, typer.Option("--no-reason", help="Skip the reasoner (no inferred graph).")
    ] = False,
    sources: SourcesOption = None,
    reference: ReferenceOption = None,
    shapes: ShapesOption = None,
) -> None:
    """Load, check provenance, reason (HermiT), validate (SHACL), write build/."""
    from econsec.graph.build import build as run_build

    err = stderr()
    with report_errors():
        result = run_build(
            out,
            reason=not no_reason,
            sources_dir=sources,
            reference_dir=reference,
            shapes_path=shapes,
            console=err,
            show_progress=err.is_terminal,
        )
    console = stdout()
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


def validate(
    files: Annotated[
        list[Path],
        typer.Argument(help="RDF files to check together with the graph.", exists=True, dir_okay=False),
    ],
    sources: SourcesOption = None,
    reference: ReferenceOption = None,
    shapes: ShapesOption = None,
) -> None:
    """Validate FILES together with the graph: exit 0 if it conforms, 1 with a report if not."""
    from econsec.graph.validate import validate_files

    console = stdout()
    with report_errors():
        report = validate_files(files, shapes_path=shapes, sources_dir=sources, reference_dir=reference)
    print_report(report, console)
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

    err = stderr()
    err.print(f"No {escape(display_path(nquads))}: building in memory (not validated).")
    return build_store(console=err).store, "in-memory build"


def stats(
    build_dir: Annotated[Path, typer.Option("--build", help="Build directory to read.")] = Path("build"),
    properties: Annotated[
        bool, typer.Option("--properties", help="Also count statements per property.")
    ] = False,
) -> None:
    """Instances per class and triples per named graph (from build/econsec.nq, or built in memory)."""
    from econsec.graph.stats import compute_stats

    with report_errors():
        store, source = _store_for(build_dir)
        result = compute_stats(store)
    console = stdout()
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


def coverage(
    build_dir: Annotated[Path, typer.Option("--build", help="Build directory to read.")] = Path("build"),
) -> None:
    """Facts per document section, the sections with none, and orphan entities (graph/coverage.py)."""
    from econsec.graph.coverage import render_report

    with report_errors():
        store, source = _store_for(build_dir)
    stdout().print(render_report(store, source), markup=False, highlight=False)


def export(
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="RDF syntax to write.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default: standard output).")
    ] = None,
    build_dir: Annotated[Path, typer.Option("--build", help="Build directory to read.")] = Path("build"),
) -> None:
    """Write the built graph as turtle, trig, nquads, jsonld or rdfxml."""
    from econsec.graph.export import export_bytes

    with report_errors():
        store, _source = _store_for(build_dir)
        data = export_bytes(store, format)
    if output is None:
        stream = typer.get_binary_stream("stdout")
        stream.write(data)
        stream.flush()
    else:
        output.write_bytes(data)
        stderr().print(f"Wrote {escape(display_path(output))} ({len(data):,} bytes, {format.value})")


COMMANDS = (build, validate, stats, coverage, export)
"""In the order ``econsec --help`` lists them."""
