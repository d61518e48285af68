"""Conditional GET for every route: a strong ``ETag`` per (data version, request meaning), and 304.

Every answer to a GET or HEAD is a function of the data (which only moves with the data version,
``store/version.py``), of what was asked (path and query string), of how it was asked for
(``Accept`` and ``Accept-Language``: negotiation and the pages read nothing else), of the address
it was asked at (scheme, ``Host`` and root path: the service description and pages name it), and of
the deployment (the package version and the settings). The validator is a hash of exactly those,
computed before the request reaches any route:

- ``If-None-Match`` naming it is answered ``304 Not Modified`` at once: no parsing, no query,
  no template;
- otherwise the route answers, and a 200 without caching instructions of its own gets ``ETag``,
  ``Cache-Control: public, max-age=N, must-revalidate`` (``ECONSEC_CACHE_MAX_AGE``),
  ``X-Data-Version`` and ``Vary: Accept, Accept-Language`` (the headers the tag depends on beside
  the URL).

Whole 200 answers to GET are also kept in the service's result cache
(``execution/result_cache.py``) under their tag, within its byte budget: the next GET with the
same tag is sent from memory without reaching any route (saved queries, entity pages, VoID,
graphs). ``/sparql`` keeps its own answers, under the query's layout-free key. The tag holds the
data version, so a write retires every kept answer at once.

A route that must not be reused says so with its own ``Cache-Control`` (``/sparql`` sends
``no-store`` for a query naming ``RAND``, ``NOW``, ``SERVICE`` ...; ``/health`` is skipped here),
and this layer then adds no validator, so no client ever holds a tag for such an answer. A write
moves the version, which changes every tag: nothing needs to be purged.

Pure ASGI (no ``BaseHTTPMiddleware``): a POST costs one dictionary lookup here, a GET one pass over
its headers and one BLAKE2 hash of a few hundred bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from functools import lru_cache

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..execution.result_cache import CachedAnswer, ResultCache

__all__ = ["DATA_VERSION_HEADER", "ConditionalGet", "matches"]

#: the response header that names the data version an answer was made from
DATA_VERSION_HEADER = "X-Data-Version"

_READS = frozenset({"GET", "HEAD"})
#: answers that describe the serving process itself, not the data: never validated
_UNVALIDATED = frozenset({"/health"})
_VARY = "Accept, Accept-Language"


def matches(if_none_match: str, tag: str) -> bool:
    """Whether an ``If-None-Match`` value names ``tag`` (a list of tags; weak ones compare too, as
    RFC 9110 says for this header; ``*`` is left to the route, which alone knows if it has an answer)."""
    for candidate in if_none_match.split(","):
        candidate = candidate.strip()
        if candidate.startswith("W/"):
            candidate = candidate[2:]
        if candidate == tag:
            return True
    return False


class ConditionalGet:
    """ASGI wrapper answering 304 for a matching ``If-None-Match`` and tagging 200s (module docstring)."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        version: Callable[[], str | None],
        deployment: str,
        max_age: int,
        cache: ResultCache | None = None,
        cached_by_route: frozenset[str] = frozenset(),
    ) -> None:
        self.app = app
        self.version = version
        self.cache = cache if cache is not None and cache.enabled else None
        #: paths whose route keeps its own answers (``/sparql``, under a layout-free key): kept once,
        #: there, so a miss costs one lookup and one store, not two of each
        self.cached_by_route = cached_by_route
        self.deployment = deployment.encode()
        self.cache_control = f"public, max-age={max_age}, must-revalidate".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in _READS or scope["path"] in _UNVALIDATED:
            await self.app(scope, receive, send)
            return
        version = self.version()
        if version is None:  # before startup has opened the store
            await self.app(scope, receive, send)
            return
        accept = language = host = b""
        if_none_match: bytes | None = None
        for name, value in scope["headers"]:
            if name == b"accept":
                accept = value
            elif name == b"accept-language":
                language = value
            elif name == b"host":
                host = value
            elif name == b"if-none-match":
                if_none_match = value
        meaning = b"\n".join(
            (
                version.encode(),
                self.deployment,
                scope.get("scheme", "http").encode(),
                host,
                scope.get("root_path", "").encode(),
                scope.get("raw_path") or scope["path"].encode(),
                scope.get("query_string", b""),
                accept,
                language,
            )
        )
        tag = '"' + hashlib.blake2b(meaning, digest_size=16).hexdigest() + '"'
        added = [
            (b"etag", tag.encode()),
            (b"cache-control", self.cache_control),
            (DATA_VERSION_HEADER.lower().encode(), version.encode()),
        ]
        if if_none_match is not None and matches(if_none_match.decode("latin-1"), tag):
            await send(
                {"type": "http.response.start", "status": 304, "headers": [*added, (b"vary", _VARY.encode())]}
            )
            await send({"type": "http.response.body", "body": b""})
            return

        cache, key = self.cache, ("response", tag)
        if cache is not None and scope["method"] == "GET" and scope["path"] not in self.cached_by_route:
            kept = cache.get(version, key)
            if kept is not None:
                await send({"type": "http.response.start", "status": 200, "headers": list(kept.headers)})
                await send({"type": "http.response.body", "body": kept.body})
                return
        else:
            cache = None
        kept_headers: list[tuple[bytes, bytes]] | None = None
        chunks: list[bytes] = []
        size = 0

        async def tagging(message: Message) -> None:
            nonlocal kept_headers, size
            if message["type"] == "http.response.start" and message["status"] == 200:
                headers = list(message.get("headers", ()))
                names = {name.lower() for name, _ in headers}
                if not names & {b"cache-control", b"etag", b"set-cookie"}:
                    vary = [value for name, value in headers if name.lower() == b"vary"]
                    headers = [(n, v) for n, v in headers if n.lower() != b"vary"]
                    headers += [*added, (b"vary", _merge_vary(tuple(vary)))]
                    message = {**message, "headers": headers}
                    kept_headers = headers
            elif message["type"] == "http.response.body" and cache is not None and kept_headers is not None:
                body = message.get("body", b"")
                size += len(body)
                if size > cache.max_bytes:  # a long stream is sent on, never kept
                    kept_headers = None
                    chunks.clear()
                else:
                    chunks.append(body)
                    if not message.get("more_body", False):
                        cache.put(version, key, CachedAnswer(b"".join(chunks), "", tuple(kept_headers)))
            await send(message)

        await self.app(scope, receive, tagging)


@lru_cache(maxsize=64)  # routes send a handful of different Vary values
def _merge_vary(values: tuple[bytes, ...]) -> bytes:
    """The route's ``Vary`` fields plus the ones the tag depends on, each once."""
    seen: dict[str, str] = {}
    for value in [*values, _VARY.encode()]:
        for field in value.decode("latin-1").split(","):
            field = field.strip()
            if field:
                seen.setdefault(field.lower(), field)
    return ", ".join(seen.values()).encode("latin-1")
