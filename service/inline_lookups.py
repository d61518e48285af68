"""Point lookups answered on the event loop, before the framework: the service's hot path.

A linked-data service mostly answers lookups (``SELECT ?p ?o WHERE { <iri> ?p ?o }``): a few
rows each, where the engine needs about 15 µs and everything around it (routing, dependency
solving, a hand-off to a thread and back, a row-by-row Python writer) cost ten times that
(bench/RESULTS.md). This ASGI layer sits outside the app and answers exactly those queries
itself: it evaluates them on the event loop with the engine's own result serialiser and sends
the bytes. Anything else, or anything it is unsure of, goes to the app unchanged (a body it
already read is replayed), so the app stays the one place where errors are reported.

Why running on the event loop is safe here: it only takes queries :func:`lookup_form`
accepts (one triple pattern, no DISTINCT / OFFSET / repeated variable, so the engine does one
index step per row), and the engine's writer is stopped as soon as the answer has more than
``ECONSEC_INLINE_LOOKUP_ROWS`` rows (:mod:`.native_results`); such an answer is thrown away and
the query takes the ordinary path (thread, deadline, result limit, truncation header). So the
longest this layer holds the loop is one index scan and one serialisation of about that many
rows, a few milliseconds at the default of 1,000.

It steps aside for: remote stores, dataset parameters (``default-graph-uri``...), updates,
CORS requests (``Origin``), browsers asking for the editor, formats other than the four result
formats, bodies over 16 KiB, and any query the engine refuses (the app then says why).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from functools import lru_cache

from pyoxigraph import QuerySolutions, Store
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ServiceError
from .formats import Format, negotiate
from .native_results import NATIVE, serialize_within
from .routers.pages import wants_page
from .store.base import ResultKind
from .streaming import lookup_form

__all__ = ["InlineLookups"]

#: bodies this layer reads itself; a larger one is handed on (a lookup is far shorter)
MAX_BODY = 16 * 1024

_FORM = b"application/x-www-form-urlencoded"
_QUERY_BODY = b"application/sparql-query"
_NAMES = {b"query": "query", b"format": "format"}


@lru_cache(maxsize=256)
def _answer_format(
    accept: str | None, format_key: str | None, ask: bool, page_possible: bool
) -> Format | None:
    """The negotiated format when the engine can write it, else None (the app will negotiate)."""
    if page_possible and format_key is None and wants_page(accept):
        return None
    try:
        fmt = negotiate(ResultKind.BOOLEAN if ask else ResultKind.SOLUTIONS, accept, format_key)
    except ServiceError:
        return None
    return fmt if fmt.key in NATIVE else None


class InlineLookups:
    """ASGI wrapper: answers bounded lookups itself, hands everything else to ``app``."""

    def __init__(self, app: ASGIApp, *, store: Callable[[], Store | None], max_rows: int) -> None:
        self.app = app
        self._store = store
        self.max_rows = max_rows

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.max_rows <= 0 or scope["type"] != "http" or scope["path"] != "/sparql":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method == "GET":
            await self._get(scope, receive, send)
        elif method == "POST":
            await self._post(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = _parameters(scope["query_string"])
        if params is None or "query" not in params or _has_origin(scope):
            await self.app(scope, receive, send)
            return
        body = self._answer(
            params["query"], params.get("format"), _header(scope, b"accept"), page_possible=True
        )
        if body is None:
            await self.app(scope, receive, send)
            return
        await _send(send, *body)

    async def _post(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = (_header(scope, b"content-type") or "").split(";", 1)[0].strip().lower().encode()
        if (
            content_type not in (_FORM, _QUERY_BODY)
            or _has_origin(scope)
            or _declared_length(scope) > MAX_BODY
        ):
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            chunks.append(chunk)
            size += len(chunk)
            more = message.get("more_body", False)
            if size > MAX_BODY:
                break
        body = b"".join(chunks)
        answer: tuple[bytes, str] | None = None
        if not more:
            answer = self._answer_post(scope, content_type, body)
        if answer is None:
            await self.app(scope, _replay(body, more, receive), send)
            return
        await _send(send, *answer)

    def _answer_post(self, scope: Scope, content_type: bytes, body: bytes) -> tuple[bytes, str] | None:
        url = _parameters(scope["query_string"])
        if url is None or url.keys() - {"format"}:
            return None
        if content_type == _FORM:
            form = _parameters(body)
            if form is None or "query" not in form or url.keys() & form.keys():
                return None
            query, format_key = form["query"], form.get("format", url.get("format"))
        else:
            try:
                query = body.decode("utf-8")
            except UnicodeDecodeError:
                return None
            format_key = url.get("format")
        return self._answer(query, format_key, _header(scope, b"accept"), page_possible=False)

    def _answer(
        self, query: str, format_key: str | None, accept: str | None, *, page_possible: bool
    ) -> tuple[bytes, str] | None:
        """(body, content type) for a bounded lookup, or None to let the app answer."""
        form = lookup_form(query)
        if form is None:
            return None
        fmt = _answer_format(accept, format_key, form == "ASK", page_possible)
        store = self._store()
        if fmt is None or store is None:
            return None
        native = NATIVE[fmt.key]
        try:
            result = store.query(query)
            if isinstance(result, QuerySolutions):
                body = serialize_within(result, native, self.max_rows)
            else:
                body = result.serialize(format=native.format)
        except Exception:
            return None
        return body, fmt.content_type


def _parameters(raw: bytes) -> dict[str, str] | None:
    """Single-valued ``query`` / ``format`` parameters, or None for anything else.

    A URL-encoded string parsed as ``parse_qsl`` would (``+`` is a space), but only as far as a
    lookup needs: a name spelled with escapes, a repeated or unknown name, or bad UTF-8 makes it
    give up, and the app parses the request in full.
    """
    params: dict[str, str] = {}
    for pair in raw.split(b"&"):
        if not pair:
            continue
        key, _, value = pair.partition(b"=")
        name = _NAMES.get(key)
        if name is None or name in params:
            return None
        try:
            params[name] = _unquote(value).decode("utf-8")
        except ValueError:  # a stray %, or not UTF-8 (UnicodeDecodeError)
            return None
    return params


def _unquote(value: bytes) -> bytes:
    """Percent-decoding in C: ``%XX`` becomes ``\\xXX`` for the bytes-escape decoder, after
    doubling any backslash so nothing else is read as an escape; ``%`` without two hex digits
    is a ValueError (``parse_qsl`` would keep it; the app then does)."""
    if b"%" not in value:
        return value.replace(b"+", b" ")
    escaped = value.replace(b"\\", b"\\\\").replace(b"+", b" ").replace(b"%", b"\\x")
    return codecs.escape_decode(escaped)[0]


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope["headers"]:
        if key == name:
            return value.decode("latin-1")
    return None


def _has_origin(scope: Scope) -> bool:
    return any(key == b"origin" for key, _ in scope["headers"])


def _declared_length(scope: Scope) -> int:
    value = _header(scope, b"content-length")
    try:
        return int(value) if value is not None else 0
    except ValueError:
        return MAX_BODY + 1  # let the app refuse it


def _replay(body: bytes, more: bool, receive: Receive) -> Receive:
    """A ``receive`` that first gives back what this layer read, then the rest of the stream."""
    replayed = False

    async def replaying() -> Message:
        nonlocal replayed
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        return await receive()

    return replaying


async def _send(send: Send, body: bytes, content_type: str) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Accept"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
