"""What every request handler needs, in one object on ``app.state``: settings, store, executor.

Handlers get it with :func:`service_state`; nothing reaches for module globals, so two apps
(two test servers, or the two federated instances of a test) never share a store or a pool.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from starlette.requests import Request

from .execution.executor import QueryExecutor
from .execution.isolation import QueryWorkers
from .execution.result_cache import ResultCache
from .settings import Settings
from .store.base import StoreBackend
from .store.version import DataVersion

__all__ = ["QueryGuard", "ServiceState", "service_state"]


class QueryGuard(Protocol):
    """Inspects a query or update before the engine sees it; raises a ``ServiceError`` to refuse.

    The SERVICE / LOAD allowlist (:class:`~econsec.service.security.guard.FederationGuard`) is the guard
    every app gets unless a caller passes a stricter one.
    """

    def __call__(self, text: str, *, update: bool = False) -> list[str]:
        """Return the remote endpoints the request will contact (allowed ones), or raise."""
        ...


@dataclass
class ServiceState:
    settings: Settings
    executor: QueryExecutor
    query_guard: QueryGuard
    store: StoreBackend | None = None
    #: worker processes for client queries (embedded store, ``ECONSEC_ISOLATE_QUERIES``)
    workers: QueryWorkers | None = None
    #: worker processes that parse client text for the federation guard and the nesting check:
    #: ``workers`` when there are, else one of their own (a remote store)
    inspectors: QueryWorkers | None = None
    #: moves on every committed write and every newly loaded build (set once the store is open)
    version: DataVersion | None = None
    #: answers reused until the data version moves (``execution/result_cache.py``)
    results: ResultCache | None = None

    def committed(self) -> None:
        """A write has committed: queries started from now on must see it.

        Called by ``WriteService._completed`` (``write/service.py``), the one place where a commit
        completes, on the writer's thread and under its lock, after every committed write. The
        write is committed whatever happens here, and the client is told so. A query snapshot
        that cannot be refreshed (a full disk) is marked stale and retaken before the next
        isolated query (``Snapshots.use``), which is refused rather than answered from before
        the write.

        The data version moves here (and in :meth:`invalidate` alone after a refused staged
        write), *after* the query snapshots show the write and before the client is answered, so
        a request that reads the new version evaluates on data that includes the write, and none
        reads the old one after the answer.
        """
        try:
            if self.workers is not None:
                self.workers.snapshots.refresh()
        finally:  # whatever the snapshot did, nothing kept from before the write may be reused
            self.invalidate()

    def invalidate(self) -> None:
        """Move the data version: every kept answer and ETag is retired. Alone (without
        :meth:`committed`) after a refused write whose staged steps were applied and reverted, which
        queries on the live store may have seen meanwhile."""
        if self.version is not None:
            self.version.bump()

    @property
    def backend(self) -> StoreBackend:
        if self.store is None:  # only before startup has finished
            raise RuntimeError("the store is not open yet")
        return self.store


def service_state(request: Request) -> ServiceState:
    return request.app.state.service
