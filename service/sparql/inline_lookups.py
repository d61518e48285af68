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
index step per row), and it asks the engine for one row more than ``ECONSEC_INLINE_LOOKUP_ROWS``
(a LIMIT appended to the text, or the query's own LIMIT when that is lower). An answer with more
rows than that is thrown away and the query takes the ordinary path (thread, deadline, result
limit, truncation header). So the longest this layer holds the loop is one index scan and one
serialisation of that many rows: a few milliseconds at the default of 1,000. The rows are
counted in the written bytes (:func:`.native_results.rows_at_most`), a count that can be too
high but never too low.

It steps aside for: remote stores, dataset parameters (``default-graph-uri``...), updates,
CORS requests (``Origin``), browsers asking for the editor, formats other than the four result
formats, bodies over 16 KiB, and any query the engine refuses (the app then says why).
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from functools import lru_cache

from pyoxigraph import Store
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..errors import ServiceError
from ..store.base import ResultKind
from ..web.pages import wants_page
from .formats import negotiate
from .native_results import NATIVE, Native, rows_at_most
from .query_shape import lookup_form

__all__ = ["InlineLookups"]

#: bodies this layer reads itself; a larger one is handed on (a lookup is far shorter)
MAX_BODY = 16 * 1024

_FORM = b"application/x-www-form-urlencoded"
_QUERY_BODY = b"application/sparql-query"
_NAMES = {b"query": "query", b"format": "format"}


@lru_cache(maxsize=256)
def _answer_format(
    accept: bytes | None, format_key: str | None, ask: bool, page_possible: bool
) -> tuple[Native, bytes] | None:
    """The engine's writer for the negotiated format and its Content-Type, or None (the app will
    negotiate, and refuse if it must). Cached: clients send the same few Accept headers."""
    text = None if accept is None else accept.decode("latin-1")
    if page_possible and format_key is None and wants_page(text):
        return None
    try:
        fmt = negotiate(ResultKind.BOOLEAN if ask else ResultKind.SOLUTIONS, text, format_key)
    except ServiceError:
        return None
    native = NATIVE.get(fmt.key)
    return None if native is None else (native, fmt.content_type.encode())


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
        # first value wins, as Starlette's Headers.get
        headers: dict[bytes, bytes] = dict(reversed(scope["headers"]))
        method = scope["method"]
        if b"origin" in headers:  # CORS: the app's layer adds the headers
            await self.app(scope, receive, send)
        elif method == "GET":
            await self._get(scope, receive, send, headers)
        elif method == "POST":
            await self._post(scope, receive, send, headers)
        else:
            await self.app(scope, receive, send)

    async def _get(self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]) -> None:
        params = _parameters(scope["query_string"])
        answer = None
        if params is not None and "query" in params:
            answer = self._answer(
                params["query"], params.get("format"), headers.get(b"accept"), page_possible=True
            )
        if answer is None:
            await self.app(scope, receive, send)
        else:
            await _send(send, *answer)

    async def _post(self, scope: Scope, receive: Receive, send: Send, headers: dict[bytes, bytes]) -> None:
        content_type = headers.get(b"content-type", b"").split(b";", 1)[0].strip().lower()
        if content_type not in (_FORM, _QUERY_BODY) or _declared_length(headers) > MAX_BODY:
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
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        answer: tuple[bytes, bytes] | None = None
        if not more:
            answer = self._answer_post(scope, headers, content_type, body)
        if answer is None:
            await self.app(scope, _replay(body, more, receive), send)
        else:
            await _send(send, *answer)

    def _answer_post(
        self, scope: Scope, headers: dict[bytes, bytes], content_type: bytes, body: bytes
    ) -> tuple[bytes, bytes] | None:
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
        return self._answer(query, format_key, headers.get(b"accept"), page_possible=False)

    def _answer(
        self, query: str, format_key: str | None, accept: bytes | None, *, page_possible: bool
    ) -> tuple[bytes, bytes] | None:
        """(body, content type) for a bounded lookup, or None to let the app answer."""
        lookup = lookup_form(query)
        if lookup is None:
            return None
        ask = lookup.form == "ASK"
        chosen = _answer_format(accept, format_key, ask, page_possible)
        store = self._store()
        if chosen is None or store is None:
            return None
        native, content_type = chosen
        if ask or (lookup.limit is not None and lookup.limit <= self.max_rows):
            text = query
        elif lookup.limit is None:  # one row more than the budget tells an answer that is too long
            text = f"{query}\nLIMIT {self.max_rows + 1}"
        else:
            return None
        try:
            body = store.query(text).serialize(format=native.format)
        except Exception:
            return None
        if body is None or (not ask and rows_at_most(body, native) > self.max_rows):
            return None
        return body, content_type


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


def _declared_length(headers: dict[bytes, bytes]) -> int:
    try:
        return int(headers.get(b"content-length", b"0"))
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


async def _send(send: Send, body: bytes, content_type: bytes) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [
                (b"content-type", content_type),
                (b"content-length", str(len(body)).encode()),
                (b"vary", b"Accept"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
