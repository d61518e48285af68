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
from ..state import ServiceState
from ..write.overlay import Overlay
from ..write.service import Change, WriteOutcome, WriteService
from ..write.sparql_update import UpdateDataset, apply_update

__all__ = ["handle_update", "write_service"]


class CommittingWrites:
    """The app's :class:`WriteService`, and after each commit the app is told (``state.committed``):
    isolated query workers read snapshots, and a write must be visible to the next query."""

    def __init__(self, service: WriteService, state: ServiceState) -> None:
        self.service = service
        self.state = state

    @property
    def backend(self) -> object:
        return self.service.backend

    async def write(self, change: Change) -> WriteOutcome:
        try:
            outcome = await self.service.write(change)
        except BaseException:
            # a refused staged write was applied and reverted: readers may have seen its steps
            await run_in_threadpool(self.state.invalidate)
            raise
        await run_in_threadpool(self.state.committed)
        return outcome


def write_service(request: Request, state: ServiceState) -> CommittingWrites:
    """The app's one write service (one lock per store), made on first use."""
    app_state = request.app.state
    service = getattr(app_state, "econsec_writes", None)
    if service is None or service.backend is not state.backend:
        service = CommittingWrites(WriteService(state.backend, state.settings), state)
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
    _guard(state)(text, update=True)  # SERVICE / LOAD targets, before anything is evaluated
    dataset = UpdateDataset(using_graph_uris, using_named_graph_uris)
    backend = state.backend
    settings = state.settings
    writes = write_service(request, state)

    def change(overlay: Overlay, deadline: object) -> int:
        return apply_update(
            text,
            overlay,
            backend,
            skolem_base=settings.public_base,
            dataset=dataset,
            base_iri=settings.sparql_base_iri,  # relative IRIs: the endpoint's configured URL
            check_deadline=deadline.check,  # type: ignore[attr-defined]
            policy=writes.service.policy,
        )

    outcome = await writes.write(change)
    return JSONResponse({"operations": outcome.result, **outcome.summary()})
