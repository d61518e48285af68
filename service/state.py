"""What every request handler needs, in one object on ``app.state``: settings, store, executor.

Handlers get it with :func:`service_state`; nothing reaches for module globals, so two apps
(two test servers, or the two federated instances of a test) never share a store or a pool.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from starlette.requests import Request

from .executor import QueryExecutor
from .settings import Settings
from .store.base import StoreBackend

__all__ = ["QueryGuard", "ServiceState", "service_state"]

#: inspects a query before it runs and raises a ``ServiceError`` to refuse it (the SERVICE
#: allowlist check plugs in here)
QueryGuard = Callable[[str], None]


@dataclass
class ServiceState:
    settings: Settings
    executor: QueryExecutor
    query_guard: QueryGuard | None = None
    store: StoreBackend | None = None

    @property
    def backend(self) -> StoreBackend:
        if self.store is None:  # only before startup has finished
            raise RuntimeError("the store is not open yet")
        return self.store


def service_state(request: Request) -> ServiceState:
    return request.app.state.service
