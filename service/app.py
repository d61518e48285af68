"""``create_app(settings)``: the FastAPI application, wired once.

Routers (one per concern), the one mapping from error types to answers, CORS for browser
clients, and the request-body cap. The store is opened at startup unless one is passed in (the
CLI opens it first so a missing build is reported before uvicorn starts; tests and the remote
mode pass their own backend).
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.openapi.utils import get_openapi
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import ClientDisconnect
from starlette.routing import BaseRoute

from .errors import BadRequest, ServiceError
from .execution.executor import QueryExecutor
from .execution.fairness import ClientScope
from .execution.isolation import NoSnapshots, QueryWorkers, Snapshots, Unchanging
from .execution.result_cache import ResultCache
from .http import health
from .http.access_log import AccessLog
from .http.allow import AllowMiddleware
from .http.body_limit import BodyLimitMiddleware
from .http.conditional import DATA_VERSION_HEADER, ConditionalGet
from .http.negotiation import root_path, wants_json
from .security.guard import FederationGuard
from .settings import Settings
from .sparql import endpoint as sparql
from .state import QueryGuard, ServiceState
from .store.base import StoreBackend
from .store.version import DataVersion
from .web import api_docs, classes, linked_data, neighbourhood, pages, search
from .web import saved_queries as queries
from .web.render import render

__all__ = ["create_app", "error_response"]

log = logging.getLogger("econsec.service")


def _version() -> str:
    try:
        return version("econsec-kg")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled checkout
        return "0"


def error_response(exc: ServiceError, accept: str | None, root: str = "") -> Response:
    """The answer for any :class:`ServiceError`: its status, its headers, a body a person can act on.

    JSON for clients that ask for it, a page for browsers (a bad form value in the gallery shows
    what was wrong, with the site's navigation), plain text for everyone else (curl).
    """
    if wants_json(accept):
        body = {"error": exc.title, "status": exc.status, "message": exc.message, **exc.details()}
        return JSONResponse(body, status_code=exc.status, headers=exc.headers)
    if pages.wants_page(accept):
        return render(
            "error.html",
            status=exc.status,
            headers=exc.headers,
            title=exc.title,
            code=exc.status,
            text=exc.text(),
            root=root,
        )
    return PlainTextResponse(exc.text(), status_code=exc.status, headers=exc.headers)


async def _service_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ServiceError)
    if exc.status >= 500:
        log.warning("%s %s: %s", request.method, request.url.path, exc)
    return error_response(exc, request.headers.get("accept"), root_path(request))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(p) for p in err.get('loc', ()))}: {err.get('msg')}" for err in exc.errors()
    )
    return error_response(
        BadRequest(problems or "invalid request"), request.headers.get("accept"), root_path(request)
    )


async def _client_gone(request: Request, exc: Exception) -> Response:
    """The client left (or was closed by the body timeout, ``http/edge.py``) while its body was
    read: nobody is there to answer, so no traceback either."""
    log.info("%s %s: the client left before its body was read", request.method, request.url.path)
    return PlainTextResponse("the request body was not received\n", status_code=400)


def _deployment(settings: Settings) -> str:
    """What besides the data shapes an answer: the code's version and the settings (the token
    left out), hashed; part of every ETag (``http/conditional.py``)."""
    environment = settings.as_environment()
    environment.pop("ECONSEC_UPDATE_TOKEN", None)
    text = _version() + "".join(f"\n{k}={v}" for k, v in sorted(environment.items()))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def _open_version(settings: Settings, backend: StoreBackend) -> DataVersion:
    """The data version shared by the serving processes, fingerprinted with the release the store
    was filled from (a store refilled from a new build starts a version of its own)."""
    return DataVersion.for_data_dir(settings.data_dir, f"{backend.build_id}\n{backend.loaded_at}")


def _start_workers(settings: Settings, backend: StoreBackend) -> QueryWorkers | None:
    """Query worker processes over snapshots of the embedded store (remote stores have their own
    timeouts and are queried over HTTP, so they need none)."""
    from .store.embedded import EmbeddedStore

    if not settings.isolate_queries or not isinstance(backend, EmbeddedStore):
        return None
    snapshots = (
        Unchanging(settings.store_dir)
        if backend.read_only
        else Snapshots(backend.store, settings.data_dir / "snapshots")
    )
    size = settings.max_concurrency + settings.reserve_concurrency
    return QueryWorkers(size, memory_mb=settings.query_memory_mb, snapshots=snapshots)


def _start_inspectors(settings: Settings) -> QueryWorkers:
    """One worker without a store, for a service whose queries run elsewhere: the federation
    guard's parse of a long query must not run in the service process (``isolation.py``)."""
    return QueryWorkers(1, memory_mb=settings.query_memory_mb, snapshots=NoSnapshots())


_BAD_REQUEST = {
    "description": "Bad request: a parameter or the body is missing or malformed; the message says which",
    "content": {
        "text/plain": {"schema": {"type": "string"}},
        "application/json": {"schema": {"type": "object"}},
    },
}


def _document(app: FastAPI, described: Sequence[BaseRoute]) -> None:
    """The OpenAPI document: the app's FastAPI routes and ``described`` (routes served by plain
    Starlette routes, documented by FastAPI routes that are never mounted: ``/sparql``).

    It also says 400 where FastAPI would say 422: ``_validation_error`` answers 400 for a parameter
    that fails validation, and the schema must promise what the service does (client generators and
    contract tests read it). A 422 a route declares itself (a SHACL violation) is kept.
    """

    def generate() -> dict[str, Any]:
        return get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            summary=app.summary,
            description=app.description,
            routes=[*described, *app.routes],
            tags=app.openapi_tags,
            servers=app.servers,
        )

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is not None:
            return app.openapi_schema
        schema = generate()
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                responses = operation.get("responses") if isinstance(operation, dict) else None
                if not isinstance(responses, dict):
                    continue
                generated = responses.get("422", {}).get("description") == "Validation Error"
                if generated:
                    del responses["422"]
                if generated or operation.get("parameters") or operation.get("requestBody"):
                    responses.setdefault("400", _BAD_REQUEST)
        app.openapi_schema = schema
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def create_app(
    settings: Settings | None = None,
    *,
    backend: StoreBackend | None = None,
    query_guard: QueryGuard | None = None,
) -> FastAPI:
    """The service over ``backend`` (default: the embedded store in ``settings.data_dir``).

    ``query_guard`` inspects every query and update before it runs and raises a ``ServiceError``
    to refuse it; without one the app installs the SERVICE/LOAD allowlist guard built from
    ``settings`` (never no guard: the engine would fetch any URL a query names). A backend passed
    in is left open at shutdown (its owner closes it); one the app opened itself is closed.
    """
    settings = settings or Settings.from_env()
    executor = QueryExecutor(
        max_concurrency=settings.max_concurrency,
        max_queued=settings.max_queued,
        timeout=settings.query_timeout,
        reserve=settings.reserve_concurrency,
        max_heavy_per_client=settings.max_heavy_per_client,
    )
    guard = query_guard if query_guard is not None else FederationGuard.from_settings(settings)
    state = ServiceState(
        settings=settings,
        executor=executor,
        query_guard=guard,
        store=backend,
        results=ResultCache(settings.result_cache_bytes),
    )

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        owned = state.store is None
        if owned:
            from .store.embedded import EmbeddedStore

            store = await run_in_threadpool(EmbeddedStore.open, settings, warn=log.warning)
            log.info("store %s", store.note)
            state.store = store
        state.version = await run_in_threadpool(_open_version, settings, state.backend)
        state.workers = await run_in_threadpool(_start_workers, settings, state.backend)
        state.inspectors = state.workers or await run_in_threadpool(_start_inspectors, settings)
        try:
            yield
        finally:
            if state.inspectors is not None and state.inspectors is not state.workers:
                state.inspectors.shutdown()
            state.inspectors = None
            state.version.close()
            if state.workers is not None:
                state.workers.shutdown()
                state.workers = None
            executor.shutdown()
            if owned and state.store is not None:
                state.store.close()
                state.store = None

    app = FastAPI(
        title="econsec-kg",
        summary="SPARQL service over the economic security policy knowledge graph",
        version=_version(),
        lifespan=lifespan,
        docs_url=None,  # FastAPI's would load Swagger UI from a CDN: ``web/api_docs.py`` serves it
        redoc_url=None,
        # no OpenTelemetry here: without this FastAPI asks the global providers on every request
        telemetry={"tracing": False, "metrics": False, "logs": False},
    )
    app.state.service = state
    # first, ahead of FastAPI's /openapi.json and /docs: the most frequent request finds its route at once
    app.router.routes.insert(0, sparql.route)
    app.include_router(sparql.router)
    app.include_router(health.router)
    app.include_router(linked_data.router)
    app.include_router(queries.build_router())
    app.include_router(pages.router)
    app.include_router(search.router)
    app.include_router(classes.router)
    app.include_router(neighbourhood.router)
    app.include_router(api_docs.router)
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    # added last = outermost: CORS headers go on every answer, refusals included
    app.add_middleware(AllowMiddleware)  # OPTIONS and every 405 list what the path serves
    app.add_middleware(ClientScope)  # the executor's fair admission knows whose query it runs
    app.add_middleware(
        ConditionalGet,
        version=lambda: state.version.tag if state.version is not None else None,
        deployment=_deployment(settings),
        max_age=settings.cache_max_age,
        cache=state.results,
        cached_by_route=frozenset({sparql.route.path}),
    )
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["*"],
        expose_headers=[
            sparql.TRUNCATED_HEADER,
            "Retry-After",
            "ETag",
            DATA_VERSION_HEADER,
            *queries.EXPOSED_HEADERS,
        ],
        max_age=600,
    )
    if settings.access_log:  # outermost: the time it logs covers every layer
        app.add_middleware(AccessLog)
    _document(app, sparql.documentation.routes)
    return app
