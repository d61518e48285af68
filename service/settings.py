"""Service configuration: one :class:`Settings` read from ``ECONSEC_*`` environment variables.

Every knob of ``econsec serve`` lives here, once (DESIGN §8): the environment gives the
deployment's values, command-line flags override them (:meth:`Settings.from_env` takes the
overrides), and nothing else in the service reads ``os.environ``. A malformed value stops the
service at start with a message naming the variable, not with a traceback at the first request.

| variable | default | meaning |
|---|---|---|
| ``ECONSEC_DATA_DIR`` | ``./data`` | where the embedded store lives (``oxigraph/`` and ``store.json``) |
| ``ECONSEC_BUILD_DIR`` | ``./build`` | the release the store is filled from (``econsec.nq``, ``void.ttl``) |
| ``ECONSEC_HOST`` / ``ECONSEC_PORT`` | ``127.0.0.1`` / ``8000`` | where ``econsec serve`` listens |
| ``ECONSEC_QUERY_TIMEOUT`` | ``30`` | seconds a query may take before the client gets 504 |
| ``ECONSEC_RESULT_LIMIT`` | ``100000`` | rows (or triples) one response carries at most |
| ``ECONSEC_MAX_BODY_BYTES`` | ``10485760`` | request bodies above this get 413 |
| ``ECONSEC_MAX_CONCURRENCY`` | ``4`` | queries evaluated at once |
| ``ECONSEC_MAX_QUEUED`` | ``64`` | queries waiting for a worker; more get 503 at once |
| ``ECONSEC_RESERVE_CONCURRENCY`` | ``4`` | extra slots for queries kept waiting 0.5 s by long ones |
| ``ECONSEC_UPDATE_TOKEN`` | unset | bearer token for writes; unset means read-only |
| ``ECONSEC_SERVICE_ALLOWLIST`` | empty | comma-separated SERVICE endpoints a query may call |
| ``ECONSEC_PUBLIC_BASE`` | ``https://w3id.org/econsec/`` | the namespace the service answers for |
| ``ECONSEC_ISOLATE_QUERIES`` | ``true`` | run /sparql queries in killable worker processes |
| ``ECONSEC_QUERY_MEMORY_MB`` | ``2048`` | memory one isolated query may use before it gets 503 |
| ``ECONSEC_ACCESS_LOG`` | ``true`` | log one line per request |
| ``ECONSEC_STORE_QUERY`` | unset | remote mode: serve this SPARQL query endpoint instead of the embedded store |
| ``ECONSEC_STORE_UPDATE`` | unset | remote mode: the store's update endpoint (``econsec publish``) |
| ``ECONSEC_PUBLIC_URL`` | ``http://{host}:{port}/`` | the service's own public address; relative IRIs in queries and updates resolve against ``{it}sparql`` |
| ``ECONSEC_USER_GRAPH`` | ``https://w3id.org/econsec/graph/user`` | where a write that names no graph goes (inside the union default graph) |
| ``ECONSEC_PLAIN_STORE`` | ``false`` | run as a plain store: full SPARQL 1.1 Update, no graph protected from writes |
| ``ECONSEC_ASSETS_DIR`` | ``./node_modules`` of the checkout | the npm packages the browser pages load (YASGUI, d3) |
| ``ECONSEC_MAX_HEADER_BYTES`` | ``65536`` | request line and headers above this get 431 and a closed connection |
| ``ECONSEC_HEADER_TIMEOUT`` | ``10`` | seconds a client has to send a request head; then 408 and closed |
| ``ECONSEC_BODY_TIMEOUT`` | ``60`` | seconds a client has to send a request body; then the connection is closed |
| ``ECONSEC_KEEP_ALIVE_TIMEOUT`` | ``5`` | seconds an idle kept-alive connection stays open |
| ``ECONSEC_MAX_CONNECTIONS`` | ``1024`` | open connections; a request beyond gets 503 |
| ``ECONSEC_MAX_HEAVY_PER_CLIENT`` | ``2`` | queries one client address may have admitted at once; more get 429 |
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

__all__ = ["ENV_PREFIX", "Settings", "SettingsError"]

ENV_PREFIX = "ECONSEC_"


class SettingsError(ValueError):
    """An ``ECONSEC_*`` variable (or a flag) has a value the service cannot use."""


def _whole_number(name: str, raw: str, *, least: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a whole number, got {raw!r}") from None
    if value < least:
        raise SettingsError(f"{name} must be at least {least}, got {value}")
    return value


def _positive_int(name: str, raw: str) -> int:
    return _whole_number(name, raw, least=1)


def _non_negative_int(name: str, raw: str) -> int:
    return _whole_number(name, raw, least=0)


def _port(name: str, raw: str) -> int:
    value = _non_negative_int(name, raw)
    if value > 65535:
        raise SettingsError(f"{name} must be a TCP port (0-65535), got {value}")
    return value


def _seconds(name: str, raw: str) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not value > 0:
        raise SettingsError(f"{name} must be more than 0 seconds, got {raw!r}")
    return value


def _text(_name: str, raw: str) -> str:
    return raw.strip()


def _optional_text(_name: str, raw: str) -> str | None:
    return raw.strip() or None


def _iri(name: str, raw: str) -> str:
    value = raw.strip()
    if not value.startswith(("http://", "https://", "urn:")) or any(c in value for c in ' <>"{}|\\^`'):
        raise SettingsError(f"{name} must be an absolute IRI (http://, https:// or urn:), got {raw!r}")
    return value


def _optional_iri(name: str, raw: str) -> str | None:
    return _iri(name, raw) if raw.strip() else None


def _flag(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"{name} must be true or false, got {raw!r}")


def _path(_name: str, raw: str) -> Path:
    return Path(raw.strip())


def _csv(_name: str, raw: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in raw.split(",") if item.strip())


@dataclass(frozen=True)
class Settings:
    """Everything the service is configured with; immutable once read."""

    data_dir: Path = Path("data")
    build_dir: Path = Path("build")
    host: str = "127.0.0.1"
    port: int = 8000
    #: seconds from admission until the client is answered 504
    query_timeout: float = 30.0
    #: rows of a SELECT, or triples of a CONSTRUCT/DESCRIBE, one response carries at most
    result_limit: int = 100_000
    max_body_bytes: int = 10 * 1024 * 1024
    #: queries evaluated at once (the worker pool holds twice as many threads: see executor.py)
    max_concurrency: int = 4
    #: queries allowed to wait for a worker; beyond that the service answers 503 at once
    max_queued: int = 64
    #: extra slots for queries that waited half a second while long ones hold every normal slot.
    #: Four, not one: at the start of an attack each new attacker address takes one turn on the
    #: reserve (0.5 s); with 8 attackers (4 on the normal slots, 4 waiting) a new client's first
    #: query waited 2.5 s with one reserve slot, 1.5 s with two and 0.54 s with four
    #: (bench/RESULTS.md). Each is a worker process (about 42 MB idle).
    reserve_concurrency: int = 4
    #: bearer token that allows writes; None keeps the service read-only
    update_token: str | None = None
    #: SERVICE endpoints a federated query may call (checked before any connection is made)
    service_allowlist: tuple[str, ...] = ()
    public_base: str = "https://w3id.org/econsec/"
    #: evaluate /sparql queries in worker processes that can be killed at the deadline (embedded store)
    isolate_queries: bool = True
    #: address space one isolated query may use before it is stopped (503)
    query_memory_mb: int = 2048
    #: serving processes; more than one needs a read-only service (multiprocess.py)
    workers: int = 1
    #: point lookups of at most this many rows are answered on the event loop with the engine's
    #: own writer (sparql/lookup.py); 0 sends every query to a thread or a worker
    inline_lookup_rows: int = 1000
    #: seconds a client may reuse a GET answer without asking again (``Cache-Control: max-age``);
    #: after that it revalidates with its ETag (a 304 costs no evaluation)
    cache_max_age: int = 5
    #: bytes of /sparql answers kept for reuse until the data changes, per serving process; 0: off
    result_cache_bytes: int = 64 * 1024 * 1024
    #: one log line per request (uvicorn's access log); off saves about 5% of CPU per request
    access_log: bool = True
    #: remote mode: a SPARQL 1.1 query endpoint to serve instead of the embedded store
    store_query: str | None = None
    #: remote mode: the store's SPARQL 1.1 update endpoint (used by ``econsec publish``)
    store_update: str | None = None
    #: the service's own public address (``https://kg.example.org/``); None: ``http://{host}:{port}/``.
    #: Relative IRIs resolve against its ``sparql`` endpoint, never against a request's Host header
    #: (which a client controls)
    public_url: str | None = None
    #: the named graph a write without GRAPH goes into; it is part of the union default graph
    user_graph: str = "https://w3id.org/econsec/graph/user"
    #: a plain store: CLEAR ALL / DROP ALL / writes into the build's graphs are allowed
    plain_store: bool = False
    #: the ``node_modules`` folder that holds the browser assets (``npm ci``); None: the checkout's
    assets_dir: Path | None = None
    #: bytes of request line and headers a connection may send (http/edge.py); more: 431
    max_header_bytes: int = 64 * 1024
    #: seconds from a connection (or a kept-alive one's next request) to the end of its head: 408
    header_timeout: float = 10.0
    #: seconds from the end of a head to the end of its body, then the connection is closed
    body_timeout: float = 60.0
    #: seconds a kept-alive connection may stay idle between requests
    keep_alive_timeout: float = 5.0
    #: open connections per serving process; a request beyond gets 503
    max_connections: int = 1024
    #: queries (admitted: running or waiting) one client address may have at once; more get 429
    max_heavy_per_client: int = 2

    @property
    def read_only(self) -> bool:
        """No update token configured: every write is refused."""
        return self.update_token is None

    @property
    def sparql_base_iri(self) -> str:
        """The base IRI of queries and updates: the endpoint's own configured URL."""
        return self.public("/sparql")

    def public(self, path: str) -> str:
        """``path`` (starting with ``/``) under the service's public address: ``ECONSEC_PUBLIC_URL``,
        else the listening address. Never a request's ``Host`` header, which the client writes
        and a cache in front would keep for everyone."""
        root = self.public_url or f"http://{self.host}:{self.port}/"
        return root.rstrip("/") + path

    @property
    def store_dir(self) -> Path:
        """The embedded store's RocksDB directory."""
        return self.data_dir / "oxigraph"

    @property
    def nquads_path(self) -> Path:
        return self.build_dir / "econsec.nq"

    @property
    def void_path(self) -> Path:
        return self.build_dir / "void.ttl"

    def as_environment(self) -> dict[str, str | None]:
        """These settings as ``ECONSEC_*`` variables (None: unset), which :meth:`from_env` reads back
        the same: how the settings reach processes started fresh (``econsec serve --workers``)."""
        env: dict[str, str | None] = {}
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None:
                text = None
            elif isinstance(value, bool):
                text = "true" if value else "false"
            elif isinstance(value, tuple):
                text = ",".join(value)
            else:
                text = str(value)
            env[ENV_PREFIX + field.name.upper()] = text
        return env

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read ``ECONSEC_*`` variables; keyword ``overrides`` (CLI flags) win when not None."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for field in fields(cls):
            name = ENV_PREFIX + field.name.upper()
            if name in env:
                values[field.name] = _PARSERS[field.name](name, env[name])
        settings = cls(**values)
        given = {k: v for k, v in overrides.items() if v is not None}
        return settings.with_overrides(**given) if given else settings

    def with_overrides(self, **changes: Any) -> Settings:
        """A copy with ``changes`` applied (paths and numbers checked as the environment is)."""
        checked = {}
        for key, value in changes.items():
            if key not in _PARSERS:
                raise SettingsError(f"unknown setting {key!r}")
            flag = "--" + key.replace("_", "-")
            if isinstance(value, Path):
                checked[key] = value
            elif isinstance(value, list | tuple):
                checked[key] = tuple(str(item) for item in value)
            else:  # a flag's value: checked exactly as the environment variable would be
                checked[key] = _PARSERS[key](flag, str(value))
        return replace(self, **checked)


_PARSERS: dict[str, Callable[[str, str], Any]] = {
    "data_dir": _path,
    "build_dir": _path,
    "host": _text,
    "port": _port,
    "query_timeout": _seconds,
    "result_limit": _positive_int,
    "max_body_bytes": _positive_int,
    "max_concurrency": _positive_int,
    "max_queued": _non_negative_int,
    "reserve_concurrency": _non_negative_int,
    "update_token": _optional_text,
    "service_allowlist": _csv,
    "public_base": _text,
    "isolate_queries": _flag,
    "access_log": _flag,
    "inline_lookup_rows": _non_negative_int,
    "cache_max_age": _non_negative_int,
    "result_cache_bytes": _non_negative_int,
    "workers": _positive_int,
    "query_memory_mb": _positive_int,
    "store_query": _optional_text,
    "store_update": _optional_text,
    "assets_dir": _path,
    "public_url": _optional_iri,
    "user_graph": _iri,
    "plain_store": _flag,
    "max_header_bytes": _positive_int,
    "header_timeout": _seconds,
    "body_timeout": _seconds,
    "keep_alive_timeout": _seconds,
    "max_connections": _positive_int,
    "max_heavy_per_client": _positive_int,
}
