"""SPARQL 1.1 Update at ``POST /sparql``: authenticated, analysed into a delta, validated, committed.

:func:`handle_update` is called by the ``/sparql`` POST handler for an
``application/sparql-update`` body or a form with ``update=``; this module owns everything after
that: the token (:mod:`..auth`), the federation guard (SERVICE in a WHERE clause must be on the
allowlist, and LOAD is refused), the delta (:mod:`..write.sparql_update`) and the write path
(:mod:`..write.service`). Updates by GET never get here: ``/sparql`` refuses them.

A successful update answers 200 with a JSON summary (quads inserted and deleted, graphs created
and dropped, how many nodes were validated).
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from starlette.concurrency import run_in_threadpool

from ..errors import BadRequest
from ..security.auth import require_writer
from ..security.guard import FederationGuard
from ..security.lexer import check_nesting
from ..state import ServiceState
from ..write.overlay import Overlay
from ..write.service import WriteService
from ..write.sparql_update import UpdateDataset, apply_update, screen_update

__all__ = ["handle_update", "write_service"]


def write_service(request: Request, state: ServiceState) -> WriteService:
    """The app's one write service (one lock per store), made on first use; after each commit it
    calls ``state.committed`` (isolated query workers read snapshots, and a write must be visible
    to the next query)."""
    app_state = request.app.state
    service = getattr(app_state, "econsec_writes", None)
    if service is None or service.backend is not state.backend:
        service = WriteService(
            state.backend, state.settings, on_commit=state.committed, on_revert=state.invalidate
        )
        app_state.econsec_writes = service
    return service


def check_writer(request: Request, state: ServiceState) -> None:
    """Authenticate before anything of the request body is read."""
    require_writer(request, state.settings)


def _guard(state: ServiceState) -> FederationGuard:
    guard = state.query_guard
    if isinstance(guard, FederationGuard):
        return guard
    return FederationGuard.from_settings(state.settings)


async def _screen(state: ServiceState, text: str) -> None:
    """Nesting, the federation guard, then the engine's dry run, never on the event loop.

    A text that may name SERVICE or LOAD is parsed by the guard in a query worker (deadline,
    memory cap) and its targets judged here; then every update is run once on an empty store in a
    worker (``write/sparql_update.screen_update``): the engine's parse and planning of a hostile
    update (a long flat group) can overflow a stack or run for minutes, which costs a worker and
    this request, not the service. Without worker processes (an app without its lifespan) both
    run on a service thread.
    """
    guard = _guard(state)
    base_iri = state.settings.sparql_base_iri
    workers = state.inspectors
    if workers is None:

        def screen_here() -> None:
            if guard.needs_inspection(text):
                check_nesting(text)  # before rdflib's recursive parse in the guard
                guard(text, update=True)
            screen_update(text, base_iri=base_iri)  # nesting first, then the engine

        await run_in_threadpool(screen_here)
        return
    # each worker request checks the nesting before anything parses (``query_worker``)
    if guard.needs_inspection(text):
        targets = await state.executor.run(
            lambda deadline: workers.inspect(text, update=True, deadline=deadline)
        )
        await run_in_threadpool(guard.admit, targets)  # a DNS look-up for allowlisted names
    await state.executor.run(lambda deadline: workers.dry_run(text, base_iri=base_iri, deadline=deadline))


async def handle_update(
    request: Request,
    state: ServiceState,
    text: str,
    using_graph_uris: tuple[str, ...] = (),
    using_named_graph_uris: tuple[str, ...] = (),
) -> Response:
    """Run one SPARQL Update request (already authenticated by :func:`check_writer`)."""
    if not text.strip():
        raise BadRequest("the update is empty. Nothing was changed.")
    await _screen(state, text)  # nesting, SERVICE / LOAD, the engine's dry run: before the writer
    dataset = UpdateDataset(using_graph_uris, using_named_graph_uris)
    backend = state.backend
    settings = state.settings
    writes = write_service(request, state)
    policy = writes.policy.for_request(request.query_params)  # ?replace-source=true

    def change(overlay: Overlay, deadline: object) -> int:
        return apply_update(
            text,
            overlay,
            backend,
            skolem_base=settings.public_base,
            dataset=dataset,
            base_iri=settings.sparql_base_iri,  # relative IRIs: the endpoint's configured URL
            check_deadline=deadline.check,  # type: ignore[attr-defined]
            policy=policy,
        )

    outcome = await writes.write(change, policy)
    return JSONResponse({"operations": outcome.result, **outcome.summary()})
