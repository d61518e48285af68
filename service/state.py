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
from .settings import Settings
from .store.base import StoreBackend

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
    #: writes committed by this process: part of the search index's data fingerprint
    generation: int = 0
    #: worker processes that parse client text for the federation guard and the nesting check:
    #: ``workers`` when there are, else one of their own (a remote store)
    inspectors: QueryWorkers | None = None

    def committed(self) -> None:
        """A write has committed: queries started from now on must see it.

        Called by ``WriteService._completed`` (``write/service.py``), the one place where a commit
        completes, on the writer's thread and under its lock, after every committed write. The
        write is committed whatever happens here, and the client is told so. A query snapshot
        that cannot be refreshed (a full disk) is marked stale and retaken before the next
        isolated query (``Snapshots.use``), which is refused rather than answered from before
        the write.
        """
        self.generation += 1
        if self.workers is not None:
            self.workers.snapshots.refresh()

    @property
    def backend(self) -> StoreBackend:
        if self.store is None:  # only before startup has finished
            raise RuntimeError("the store is not open yet")
        return self.store


def service_state(request: Request) -> ServiceState:
    return request.app.state.service
