"""``econsec serve`` with uvicorn options the CLI does not expose (benchmark use only).

The same application and store as ``econsec serve`` (:func:`econsec.service.app.create_app`
over :class:`EmbeddedStore`, the same federation guard and settings from ``ECONSEC_*``); only
uvicorn's logging differs, so a run with this launcher measures what the access log costs::

    python -m bench.serve_variant --port 8000 --data-dir DIR --build-dir build --no-access-log
    python -m bench.serve_variant ... --workers 2   # N processes, each with Store.read_only

``--workers N`` (N > 1) answers the multi-process question: the parent binds the socket and
forks N workers; each opens the store with pyoxigraph's ``Store.read_only`` (0.5.13 has no
``Store.secondary``) and serves the same app from the shared socket. That is only sound while
nobody writes the store (pyoxigraph: read-only next to a writer is undefined behaviour), which
holds for a read-only service over a release that was loaded before serving began.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import signal
import socket
from pathlib import Path
from types import FrameType

import uvicorn
from econsec.service.app import create_app
from econsec.service.security.guard import FederationGuard
from econsec.service.settings import Settings
from econsec.service.store.embedded import EmbeddedStore


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--build-dir", type=Path, required=True)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--access-log", action=argparse.BooleanOptionalAction, default=False)
    parser.add_argument(
        "--workers", type=int, default=1, help="processes; more than 1 opens the store read-only"
    )
    parser.add_argument(
        "--read-only-store",
        action="store_true",
        help="open the store with Store.read_only (implied by --workers N>1)",
    )
    args = parser.parse_args(argv)
    settings = Settings.from_env(
        host=args.host,
        port=args.port,
        data_dir=args.data_dir,
        build_dir=args.build_dir,
        access_log=args.access_log,  # the app's own access log (uvicorn's stays off)
    )
    if args.workers > 1 or args.read_only_store:
        _serve_workers(settings, args.workers, args.log_level)
        return
    store = EmbeddedStore.open(settings)
    try:
        uvicorn.run(
            create_app(settings, backend=store, query_guard=FederationGuard.from_settings(settings)),
            host=settings.host,
            port=settings.port,
            log_level=args.log_level,
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    finally:
        store.close()


def _worker(sock: socket.socket, settings: Settings, log_level: str) -> None:
    """One worker process: its own read-only view of the store, its own app, the shared socket."""
    backend = EmbeddedStore.open_read_only(settings)
    app = create_app(settings, backend=backend, query_guard=FederationGuard.from_settings(settings))
    config = uvicorn.Config(app, log_level=log_level, access_log=False, timeout_graceful_shutdown=5)
    uvicorn.Server(config).run(sockets=[sock])


def _serve_workers(settings: Settings, workers: int, log_level: str) -> None:
    EmbeddedStore.open(settings).close()  # fill the store from the build if needed, then let go of it
    # proto IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY only on sockets that say they are TCP
    # (with proto 0 every response waits for the peer's delayed ACK, about 40 ms)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((settings.host, settings.port))
    sock.listen(2048)
    sock.set_inheritable(True)
    context = multiprocessing.get_context("fork")  # before any store or thread exists in this process
    children = [
        context.Process(target=_worker, args=(sock, settings, log_level), daemon=True) for _ in range(workers)
    ]
    for child in children:
        child.start()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        for child in children:
            if child.pid is not None and child.is_alive():
                os.kill(child.pid, signal.SIGTERM)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    for child in children:
        child.join()


if __name__ == "__main__":
    main()
