"""``/health``: is the service up, what does its store hold, how loaded is it.

For monitors and for people: the store's size, the release it was filled from (the build id of
``build/void.ttl``, recorded when the store was filled) and the query executor's state.
"""

from __future__ import annotations

import os

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from ..execution.result_cache import CacheCounts
from ..state import service_state

__all__ = ["Health", "QueryLoad", "router"]

router = APIRouter(tags=["Service"])


class QueryLoad(BaseModel):
    """The executor right now."""

    running: int = Field(description="queries being evaluated within their deadline")
    waiting: int = Field(description="queries waiting for a worker")
    overrunning: int = Field(description="queries answered 504 whose evaluation is still finishing")
    answered: int = Field(
        0,
        description="evaluations answered since start (SPARQL queries, saved queries, pages), every path counted",
    )
    answered_on_loop: int = Field(
        0, description="of those, point lookups answered on the event loop (bounded, no hand-off)"
    )
    max_concurrency: int
    max_queued: int
    timeout_seconds: float
    isolated: bool = Field(description="queries run in worker processes killed at their deadline")
    killed_at_deadline: int = Field(0, description="isolated queries stopped at their deadline so far")
    memory_failures: int = Field(0, description="isolated queries stopped at the memory cap so far")
    crashed: int = Field(0, description="isolated queries that crashed their worker (a signal) so far")
    refused_to_client: int = Field(
        0, description="queries refused 429: their client already had its share of heavy ones"
    )
    reserve_overruns: int = Field(0, description="queries stopped for holding a cheap-query slot too long")


class Health(BaseModel):
    status: str = Field("ok", description="always ok when the service answers")
    store: str = Field(description="which backend, and where")
    triples: int = Field(description="triples in the default graph (the union of the named graphs)")
    named_graphs: int
    build_id: str | None = Field(
        description="the release the store was filled from (dcterms:identifier in VoID)"
    )
    loaded_at: str | None = Field(description="when the store was filled from that release")
    inferred_stale_since: str | None = Field(
        None,
        description="when the first write through the service committed: from then on the inferred "
        "graph (computed by `econsec build`) may miss or keep conclusions; rebuild to refresh it",
    )
    read_only: bool = Field(description="true when no update token is configured")
    process: int = Field(
        description="the id of the serving process that answered (one of several with --workers)"
    )
    data_version: str | None = Field(
        description="moves on every committed write and newly loaded build; part of every ETag"
    )
    queries: QueryLoad
    result_cache: CacheCounts | None = Field(description="/sparql answers kept for reuse (this process)")


@router.get("/health", response_model=Health)
def health(request: Request) -> Health:
    """Liveness and a summary of the store (a plain ``def``: counting may touch the store, off the event loop)."""
    state = service_state(request)
    store, executor, workers = state.backend, state.executor, state.workers
    return Health(
        store=store.description,
        triples=store.triple_count(),
        named_graphs=len(store.named_graphs()),
        build_id=store.build_id,
        loaded_at=store.loaded_at,
        inferred_stale_since=store.written_since,
        read_only=state.settings.read_only,
        process=os.getpid(),
        data_version=state.version.tag if state.version is not None else None,
        result_cache=state.results.counts() if state.results is not None else None,
        queries=QueryLoad(
            running=executor.running,
            waiting=executor.waiting,
            overrunning=executor.overrunning,
            answered=executor.answered,
            answered_on_loop=executor.answered_now,
            max_concurrency=executor.max_concurrency,
            max_queued=executor.max_queued,
            timeout_seconds=executor.timeout,
            isolated=workers is not None,
            killed_at_deadline=workers.kills if workers else 0,
            memory_failures=workers.memory_failures if workers else 0,
            crashed=workers.crashes if workers else 0,
            refused_to_client=executor.shares.refused if executor.shares else 0,
            reserve_overruns=executor.shares.reserve_overruns if executor.shares else 0,
        ),
    )
