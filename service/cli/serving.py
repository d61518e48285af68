"""The serving commands: serve the graph over HTTP, load files into its store, publish it to a remote store."""

from __future__ import annotations

from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from econsec.graph.errors import display_path
from rich.console import Console
from rich.markup import escape

from .report import report_service_errors, stderr, stdout

if TYPE_CHECKING:
    from econsec.service.settings import Settings
    from econsec.service.store.base import StoreBackend

__all__ = ["COMMANDS", "load", "publish", "serve"]


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
    public_url: Annotated[
        str | None,
        typer.Option(
            "--public-url",
            help="The service's public address, used in links and descriptions instead of any Host "
            "header [ECONSEC_PUBLIC_URL; default http://HOST:PORT/].",
        ),
    ] = None,
    max_header_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-header-bytes", help="Request line + headers cap, 431 above [ECONSEC_MAX_HEADER_BYTES]."
        ),
    ] = None,
    header_timeout: Annotated[
        float | None,
        typer.Option("--header-timeout", help="Seconds to send a request head [ECONSEC_HEADER_TIMEOUT]."),
    ] = None,
    body_timeout: Annotated[
        float | None,
        typer.Option("--body-timeout", help="Seconds to send a request body [ECONSEC_BODY_TIMEOUT]."),
    ] = None,
    keep_alive_timeout: Annotated[
        float | None,
        typer.Option(
            "--keep-alive-timeout", help="Seconds an idle connection stays open [ECONSEC_KEEP_ALIVE_TIMEOUT]."
        ),
    ] = None,
    max_connections: Annotated[
        int | None,
        typer.Option("--max-connections", help="Open connections, 503 beyond [ECONSEC_MAX_CONNECTIONS]."),
    ] = None,
    max_heavy_per_client: Annotated[
        int | None,
        typer.Option(
            "--max-heavy-per-client",
            help="Queries one client address may have admitted at once, 429 beyond [ECONSEC_MAX_HEAVY_PER_CLIENT].",
        ),
    ] = None,
) -> None:
    """Serve the graph over HTTP: SPARQL 1.1 Protocol at /sparql, /health, /docs.

    The embedded store in the data directory is filled from the build on first start and kept
    across restarts. With --store-query the same service runs over any SPARQL 1.1 store instead
    (fill it with `econsec publish`). Other settings come from ECONSEC_* environment variables.
    """
    import uvicorn
    from econsec.service.app import create_app
    from econsec.service.http import multiprocess
    from econsec.service.http.edge import server_options
    from econsec.service.security.guard import FederationGuard
    from econsec.service.settings import Settings

    err = stderr()
    with report_service_errors():
        settings = Settings.from_env(
            host=host,
            port=port,
            data_dir=data_dir,
            build_dir=build_dir,
            store_query=store_query,
            store_update=store_update,
            workers=workers,
            public_url=public_url,
            max_header_bytes=max_header_bytes,
            header_timeout=header_timeout,
            body_timeout=body_timeout,
            keep_alive_timeout=keep_alive_timeout,
            max_connections=max_connections,
            max_heavy_per_client=max_heavy_per_client,
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
            **server_options(settings),  # head cap, read timeouts, keep-alive, connections
        )
    finally:
        store.close()


def _serve_processes(settings: Settings, store: StoreBackend) -> None:
    """``--workers N``: let go of the writable store, keep writers out, start N read-only processes."""
    from econsec.service.http import multiprocess
    from econsec.service.store.embedded import EmbeddedStore, held_for_readers

    # the readers' lock is taken before the store closes, so no writer slips in between
    embedded = isinstance(store, EmbeddedStore)
    with held_for_readers(settings.data_dir) if embedded else nullcontext():
        store.close()
        multiprocess.run(settings, log_config=_log_config())


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

    err = stderr()
    with report_service_errors():
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
                stdout().print(f"Loaded {escape(display_path(path))}: {added:,} new quad(s).")
        finally:
            store.close()


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

    err = stderr()
    with report_service_errors():
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
            stdout().print(f"Published {escape(graph)}: {quads:,} quads.")

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


COMMANDS = (serve, load, publish)
"""In the order ``econsec --help`` lists them."""
