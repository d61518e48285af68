"""``econsec serve --workers N``: several serving processes over one store that nobody writes.

One Python process serves about 9,000 lookups a second here, whatever the app does, because the
event loop, the HTTP parser and the engine share one core (bench/RESULTS.md). More processes
need every one of them to see the same store, and pyoxigraph 0.5.13 offers only ``Store`` (one
writable process, RocksDB locks the directory) and ``Store.read_only`` (any number of processes,
undefined behaviour while another one writes). So several processes are offered for a
read-only service, the common case of a published release:

- the command opens the store writable as always (filling it from the build if needed), then
  takes the readers' lock (:func:`~econsec.service.store.embedded.held_for_readers`) and
  closes it: from then on a writable open (``econsec load``, another ``serve``) is refused;
- uvicorn's supervisor starts N processes, restarts any that dies, and shares the socket;
  each process reads the settings from the environment and opens the store read-only
  (:meth:`EmbeddedStore.open_read_only`), with its own query workers reading the same
  directory (no checkpoints: nothing changes);
- with an update token configured it refuses to start: writes would need one owner and
  forwarding to it, which this does not do (in remote mode too: validation and commit of one
  write must not interleave with another's, which one process guarantees with a lock).

Each process has its own limits: ``ECONSEC_MAX_CONCURRENCY`` and the waiting line are per
process, and ``/health`` describes the process that answered (its ``process`` field says which).
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from ..app import create_app
from ..settings import Settings, SettingsError
from ..store.base import StoreBackend
from .edge import server_options

__all__ = ["app", "check", "run"]


def check(settings: Settings) -> None:
    """Refuse what several processes cannot do, before anything is opened."""
    if settings.workers > 1 and not settings.read_only:
        raise SettingsError(
            f"ECONSEC_WORKERS={settings.workers} needs a read-only service: writes are validated and "
            "committed one at a time by one process, and the embedded store is opened read-only by "
            "each of several. Unset ECONSEC_UPDATE_TOKEN, or serve with one worker."
        )


def app() -> FastAPI:
    """uvicorn's factory, called once in each serving process."""
    settings = Settings.from_env()
    backend: StoreBackend
    if settings.store_query:
        from ..store.remote import RemoteStore

        backend = RemoteStore.from_settings(settings)
    else:
        from ..store.embedded import EmbeddedStore

        backend = EmbeddedStore.open_read_only(settings)
    return create_app(settings, backend=backend)


def run(settings: Settings, *, log_config: dict[str, object]) -> None:
    """Serve with ``settings.workers`` processes until stopped (the caller has passed
    :func:`check` and holds the readers' lock)."""
    import uvicorn

    for name, value in settings.as_environment().items():  # how the processes get the settings
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    uvicorn.run(
        f"{__name__}:app",
        factory=True,
        workers=settings.workers,
        host=settings.host,
        port=settings.port,
        log_level="info",
        log_config=log_config,
        access_log=False,
        timeout_graceful_shutdown=5,
        **server_options(settings, one_process=False),  # each process reads the limits from ECONSEC_*
    )
