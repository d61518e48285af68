"""``/sparql``: the SPARQL 1.1 Protocol query operation, and the service description.

- query by ``GET ?query=``, by ``POST`` ``application/x-www-form-urlencoded`` (``query=``) and
  by ``POST`` ``application/sparql-query`` (the body is the query);
- ``default-graph-uri`` / ``named-graph-uri`` (repeatable) set the dataset; without them the
  default graph is the union of all named graphs;
- the answer's format comes from Accept or ``format=`` (the table in ``formats.py``);
- a plain ``GET /sparql`` (no query) returns the service description;
- a browser (HTML named in Accept, ranked at least as high as any result or RDF type it names,
  and no ``format=``) gets the YASGUI editor instead, with or without ``query=``: YASGUI's share
  links are this URL with the query in it, and they reopen the editor with the query filled in;
- SPARQL Update (``application/sparql-update`` or ``update=``, with ``using-graph-uri`` /
  ``using-named-graph-uri``) is handed to ``routers/update.py`` (token, validation, commit);
  an update by GET or alongside ``query=`` is refused with 400.

One handler answers GET and POST, and every query takes one path through it: read the request
(:func:`read_request`), refuse early what cannot be answered (406 before any work), pass the
federation guard once, pass admission once, evaluate, negotiate once, write. Evaluation runs on
one of three executors, chosen by the query's shape (``query_shape.py``), never in front of the
framework:

- a point lookup (one triple pattern with a bounded answer) on the event loop, with the engine's
  writer (``lookup.py``): a hand-off would cost more than the lookup;
- a query that streams by construction on a service thread, stopped by the per-row deadline check;
- anything else in a query worker process killed at its deadline (``execution/isolation.py``).
"""

from __future__ import annotations

import codecs
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import parse_qs

from fastapi import APIRouter
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect
from starlette.routing import Request, Route

from ..errors import BadRequest, StoreError, UnsupportedMediaType, UpstreamFailed
from ..execution.executor import Deadline
from ..execution.isolation import ForwardedError, IsolatedAnswer
from ..execution.result_cache import CachedAnswer
from ..security.federation import Target
from ..security.guard import FederationGuard
from ..security.lexer import check_nesting, needs_nesting_scan
from ..state import ServiceState, service_state
from ..store.base import QueryResult, ResultKind
from ..store.embedded import EmbeddedStore
from ..web import pages
from . import graph_store, update
from .formats import FORMATS, Format, check_acceptable, negotiate
from .lookup import answer_lookup
from .query_shape import read_query
from .service_description import describe_service
from .writers import Payload

__all__ = [
    "TRUNCATED_HEADER",
    "ProtocolRequest",
    "QueryRequest",
    "documentation",
    "read_request",
    "route",
    "router",
]

router = APIRouter(tags=["SPARQL"])

FORM = "application/x-www-form-urlencoded"
QUERY_BODY = "application/sparql-query"
UPDATE_BODY = "application/sparql-update"
#: set when the result-size limit cut the answer; its value is the limit
TRUNCATED_HEADER = "Econsec-Result-Truncated"

_RESULT_MEDIA_TYPES = {f.media_type: {} for f in FORMATS}
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "Query results or RDF, as negotiated", "content": _RESULT_MEDIA_TYPES},
    400: {
        "description": "Malformed query (the parser's message and position), bad parameter, "
        "or a SERVICE / LOAD target off the federation allowlist"
    },
    401: {"description": "Update without a valid 'Authorization: Bearer' token"},
    403: {"description": "Update refused: the service is read-only, or the graph is maintained by the build"},
    422: {"description": "Update refused: it would violate the SHACL shapes (the report says where)"},
    406: {"description": "No acceptable result format; the body lists the available ones"},
    413: {"description": "Request body over ECONSEC_MAX_BODY_BYTES"},
    415: {"description": "Body type other than form, sparql-query or sparql-update"},
    502: {"description": "A SERVICE endpoint of a federated query failed"},
    429: {
        "description": "This client already has its share of long-running queries; retry after Retry-After"
    },
    500: {"description": "The query crashed the engine's worker, or the engine failed on it"},
    503: {"description": "Too many queries running and waiting; retry after Retry-After"},
    504: {"description": "The query did not finish within ECONSEC_QUERY_TIMEOUT"},
}


@dataclass(frozen=True)
class QueryRequest:
    """A protocol query request, however it arrived."""

    query: str
    default_graph_uris: tuple[str, ...] = ()
    named_graph_uris: tuple[str, ...] = ()
    format: str | None = None
    accept: str | None = None

    @property
    def dataset(self) -> bool:
        """True when the request sets its own dataset (``default-graph-uri`` / ``named-graph-uri``)."""
        return bool(self.default_graph_uris or self.named_graph_uris)


def _one(values: Sequence[str] | None, name: str) -> str | None:
    if not values:
        return None
    if len(values) > 1:
        raise BadRequest(f"give {name}= once, not {len(values)} times")
    return values[0]


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


#: what a query whose answer must not be reused says to clients and to ``http/conditional.py``
_NOT_REUSABLE = "no-store"


def _response(body: bytes, content_type: str, truncated: bool, limit: int, reusable: bool = True) -> Response:
    headers = {"Content-Type": content_type, "Vary": "Accept"}
    if truncated:
        headers[TRUNCATED_HEADER] = str(limit)
    if not reusable or truncated:  # a partial answer is not kept either
        headers["Cache-Control"] = _NOT_REUSABLE
    return Response(body, headers=headers)


class _Evaluation:
    """One query on its way through the endpoint, on whichever of the three executors answers it.

    The query's shape is read once (lexer tokens) and the federation guard is asked once: a
    lookup that the event loop declines goes on to a thread without being guarded again.
    """

    def __init__(self, state: ServiceState, req: QueryRequest) -> None:
        self.state = state
        self.req = req
        self.limit = state.settings.result_limit
        self.reading = read_query(req.query)
        self.shape = self.reading.shape
        self._targets: list[str] | None = None

    def guarded(self, deadline: Deadline | None = None) -> list[str]:
        """The guard's verdict (the SERVICE targets it allows); 400 for one off the allowlist.

        With a ``deadline`` (on a thread), a text that needs the guard's parse or a nesting scan
        is read by an inspecting worker within it (``execution/isolation.py``); the service only
        checks the targets it found. Otherwise the nesting check and the guard cost next to
        nothing here.
        """
        if self._targets is None:
            text, guard, inspectors = self.req.query, self.state.query_guard, self.state.inspectors
            parse = isinstance(guard, FederationGuard) and guard.needs_inspection(text)
            if deadline is not None and inspectors is not None and (parse or needs_nesting_scan(text)):
                found = inspectors.inspect(text, update=False, deadline=deadline)
                self._targets = guard.admit(found) if isinstance(guard, FederationGuard) else guard(text)
            else:
                check_nesting(text)  # the engine's parser would take this process down with it
                self._targets = guard(text)
        return self._targets

    def cache_key(self) -> tuple[str, ...] | None:
        """What the result cache keys this query by: its layout-free text, its dataset and the
        format asked for; None when its answer must never be reused (``query_shape.UNREPEATABLE``)."""
        req, key = self.req, self.reading.key
        if key is None:
            return None
        graphs = "\n".join(req.default_graph_uris), "\n".join(req.named_graph_uris)
        return (key, *graphs, req.format or "", req.accept or "")

    def on_loop(self) -> CachedAnswer | None:
        """A bounded point lookup answered here with the engine's writer, or None to hand it on."""
        store, shape, req = self.state.backend, self.shape, self.req
        if req.dataset or shape is None or not shape.lookup or not isinstance(store, EmbeddedStore):
            return None
        if FederationGuard.needs_inspection(req.query) or needs_nesting_scan(req.query):
            return None  # "service" in an IRI, brackets in a comment: lexed off the loop
        fmt = negotiate(
            ResultKind.BOOLEAN if shape.form == "ASK" else ResultKind.SOLUTIONS, req.accept, req.format
        )
        max_rows = min(self.state.settings.inline_lookup_rows, self.limit)

        def lookup_now() -> bytes | None:
            self.guarded()  # a lookup names no SERVICE, but every query passes the guard
            return answer_lookup(store.store, req.query, shape, fmt.key, max_rows)

        body = self.state.executor.run_now(lookup_now)
        return None if body is None else CachedAnswer(body, fmt.content_type)

    def in_worker(self, deadline: Deadline) -> IsolatedAnswer:
        """In a worker process killed at the deadline (``execution/isolation.py``).

        The worker also checks the nesting (400 naming the limit) and, for a text that may name
        SERVICE, does the federation guard's parse: both are Python passes over client text that
        a megabyte makes take seconds, so they run where the deadline and the memory cap hold.
        """
        workers, req, guard = self.state.workers, self.req, self.state.query_guard
        assert workers is not None
        deadline.check()  # it may have waited for a slot past its deadline
        remote: list[str] = []
        screen = None
        if isinstance(guard, FederationGuard) and guard.needs_inspection(req.query):

            def screen(targets: list[Target]) -> None:
                remote.extend(guard.admit(targets))

        else:
            remote = self.guarded()  # no SERVICE keyword anywhere: nothing to parse
        try:
            return workers.run(
                req.query,
                default_graph_uris=req.default_graph_uris,
                named_graph_uris=req.named_graph_uris,
                accept=req.accept,
                format_key=req.format,
                limit=self.limit,
                deadline=deadline,
                base_iri=self.state.settings.sparql_base_iri,
                screen=screen,
            )
        except ForwardedError as exc:
            if remote and exc.status >= 500:  # a failed SERVICE call, as on a thread
                raise UpstreamFailed(remote, exc.message) from exc
            raise

    def on_thread(self, deadline: Deadline) -> tuple[Format, Payload]:
        """On a service thread, the writer checking the deadline before every row."""
        req = self.req
        deadline.check()
        remote = self.guarded(deadline)  # nesting, SERVICE/LOAD allowlist, before the engine runs
        try:
            result = self.state.backend.query(
                req.query, default_graph_uris=req.default_graph_uris, named_graph_uris=req.named_graph_uris
            )
            fmt = negotiate(result.kind, req.accept, req.format)
            return fmt, fmt.write(result, deadline, self.limit)
        except StoreError as exc:
            if remote:  # the engine reports a failed SERVICE call as an I/O error
                raise UpstreamFailed(remote, exc.message) from exc
            raise


async def _answer(state: ServiceState, req: QueryRequest) -> Response:
    """Refuse early, then evaluate on the executor the query's shape allows, within the deadline.

    A bounded lookup on the event loop; a query that streams by construction (one triple pattern)
    on a thread, where the per-row check stops it; anything else in a worker process.
    """
    check_acceptable(req.accept, req.format, ResultKind)  # a 406 costs no query
    evaluation = _Evaluation(state, req)
    key, cache, version = evaluation.cache_key(), state.results, state.version
    reuse = key is not None and cache is not None and cache.enabled and version is not None
    if reuse:
        tag = version.tag  # read before evaluating: the answer is at least as new as this version
        kept = cache.get(tag, key)
        if kept is not None:  # the guard and the engine admitted this query under this version
            return _response(kept.body, kept.content_type, False, evaluation.limit)
    answer = evaluation.on_loop()
    truncated = False
    if answer is None and state.workers is not None and evaluation.shape is None:
        isolated = await state.executor.run(evaluation.in_worker)
        answer, truncated = CachedAnswer(isolated.body, isolated.content_type), isolated.truncated
    elif answer is None:
        fmt, payload = await state.executor.run(evaluation.on_thread)
        answer, truncated = CachedAnswer(payload.body, fmt.content_type), payload.truncated
    if reuse and not truncated:
        cache.put(tag, key, answer)
    return _response(answer.body, answer.content_type, truncated, evaluation.limit, key is not None)


async def _describe(request: Request, state: ServiceState, format_key: str | None) -> Response:
    """The service description, in the negotiated RDF syntax (Turtle by default)."""
    fmt = negotiate(ResultKind.GRAPH, request.headers.get("accept"), format_key)
    store, settings = state.backend, state.settings
    endpoint = settings.public("/sparql")  # configured, never the client's Host header

    def work(deadline: Deadline) -> Payload:
        triples = describe_service(endpoint, store, settings)
        return fmt.write(QueryResult(ResultKind.GRAPH, triples=triples), deadline, settings.result_limit)

    payload = await state.executor.run(work)
    return Response(payload.body, media_type=fmt.content_type, headers={"Vary": "Accept"})


_GET_PARAMETERS = {
    "parameters": [
        {
            "name": "query",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "The SPARQL query. Without it: the service description.",
        },
        {
            "name": "default-graph-uri",
            "in": "query",
            "required": False,
            "schema": {"type": "array", "items": {"type": "string"}},
            "description": "A graph of the default graph (repeatable)",
        },
        {
            "name": "named-graph-uri",
            "in": "query",
            "required": False,
            "schema": {"type": "array", "items": {"type": "string"}},
            "description": "A named graph of the dataset (repeatable)",
        },
        {
            "name": "format",
            "in": "query",
            "required": False,
            "schema": {"type": "string"},
            "description": "Answer format, overriding Accept: " + ", ".join(f.key for f in FORMATS),
        },
    ]
}

_POST_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            FORM: {
                "schema": {
                    "type": "object",
                    "properties": {
                        "query": {"type": "string"},
                        "default-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "named-graph-uri": {"type": "array", "items": {"type": "string"}},
                        "format": {"type": "string"},
                    },
                    "required": ["query"],
                }
            },
            QUERY_BODY: {"schema": {"type": "string"}},
            UPDATE_BODY: {"schema": {"type": "string", "description": "SPARQL 1.1 Update (bearer token)"}},
        },
    }
}


@dataclass(frozen=True)
class UpdateRequest:
    """A protocol update request (POST only): the text and its ``using-*`` dataset."""

    text: str
    using_graph_uris: tuple[str, ...] = ()
    using_named_graph_uris: tuple[str, ...] = ()


@dataclass(frozen=True)
class DescriptionRequest:
    """``GET /sparql`` without a query: the service description in ``format`` (or by Accept)."""

    format: str | None = None


@dataclass(frozen=True)
class EditorRequest:
    """A browser asking for ``/sparql``: the editor, pre-filled by a share link's ``query=``."""


ProtocolRequest = QueryRequest | UpdateRequest | DescriptionRequest | EditorRequest


#: the parameters clients name the answer format by (SPARQLWrapper sends all three, Fuseki reads
#: ``output``); their values are read together, so repeats that agree are fine (``formats.py``)
FORMAT_PARAMETERS = ("format", "output", "results")


def _format_spec(params: dict[str, list[str]]) -> str | None:
    spec = ",".join(v for name in FORMAT_PARAMETERS for v in params.get(name, []) if v.strip())
    return spec or None


def _charset(content_type: str | None) -> str:
    """The body's charset: the protocol says UTF-8 (US-ASCII is a subset of it); a body declared in
    any other charset is refused (415) rather than guessed at."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"').lower()
            try:
                codec = codecs.lookup(charset).name
            except LookupError:
                codec = charset
            if codec not in ("utf-8", "ascii"):
                raise UnsupportedMediaType(
                    f"{_media_type(content_type)}; charset={charset}",
                    [f"{_media_type(content_type)}; charset=utf-8"],
                )
    return "utf-8"


#: the request headers the protocol reads; :func:`_headers` finds them in one pass over the scope
_READ_HEADERS = frozenset({b"accept", b"content-type", b"content-length", b"transfer-encoding"})


def _headers(request: Request) -> dict[bytes, str]:
    """The headers :func:`read_request` needs, read in one pass (the first of repeated ones, as
    ``request.headers.get`` would give): a lookup is a few microseconds of work in all, and one
    scan of the header list instead of six was a measurable share of it (bench/RESULTS.md)."""
    found: dict[bytes, str] = {}
    for name, value in request.scope["headers"]:
        if name in _READ_HEADERS and name not in found:
            found[name] = value.decode("latin-1")
    return found


async def _body(request: Request) -> bytes:
    """The whole body, read from ``receive`` (``Request.body`` costs a fifth of a cached lookup in
    its stream machinery; the body is read exactly once on this route, so nothing needs it kept)."""
    chunks: list[bytes] = []
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            raise ClientDisconnect()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _text(request: Request, content_type: str | None, what: str) -> str:
    """The body as UTF-8 text (the protocol's charset; another declared one is a 415)."""
    charset = _charset(content_type)
    try:
        return (await _body(request)).decode(charset)
    except UnicodeDecodeError:
        raise BadRequest(f"the {what} is not {charset.upper()} text") from None


def _has_body(headers: dict[bytes, str]) -> bool:
    length = headers.get(b"content-length", "0").strip()
    return b"transfer-encoding" in headers or (length != "0" and length != "")


#: form bodies up to this long have their decoding remembered: clients repeat the same queries
_FORM_REMEMBERED = 2_000
#: form bodies (and URLs) longer than this are decoded on a thread, not on the event loop:
#: percent-decoding a 9 MB query takes 0.8 s here, and 400,000 fields 0.4 s
_FORM_ON_LOOP = 64 * 1024
#: fields one request may carry in its URL or form: a query and its dataset need a handful; the
#: limit keeps a body of hundreds of thousands of ``named-graph-uri`` from being decoded at all
MAX_FIELDS = 10_000


def _parse_fields(text: str, errors: str = "strict") -> dict[str, list[str]]:
    """Fields of a form body or URL, percent-escapes read as UTF-8 (``errors`` as in ``bytes.decode``)."""
    try:
        return parse_qs(
            text, keep_blank_values=True, encoding="utf-8", errors=errors, max_num_fields=MAX_FIELDS
        )
    except UnicodeDecodeError:
        raise
    except ValueError:  # parse_qs's "Max number of fields exceeded"
        raise BadRequest(
            f"the request has more than {MAX_FIELDS:,} parameters; a query and its dataset need a "
            "handful (name many graphs in the query itself, with FROM / FROM NAMED or VALUES)"
        ) from None


_remembered_form = lru_cache(maxsize=4_096)(_parse_fields)


async def _form(body: str) -> dict[str, list[str]]:
    """A form body's fields (callers only read the result: it may be shared with other requests)."""
    if len(body) <= _FORM_REMEMBERED:
        return _remembered_form(body)
    if len(body) <= _FORM_ON_LOOP:
        return _parse_fields(body)
    return await run_in_threadpool(_parse_fields, body)


async def read_request(request: Request, headers: dict[bytes, str] | None = None) -> ProtocolRequest:
    """What the client asks, read once from the URL and the body, GET and POST alike.

    Refuses (400, 415) what the protocol does not allow: an update by GET or beside a query, a GET
    with a body, a repeated ``query=``, ``update=`` or ``version=``, format parameters that
    contradict each other, a body type other than form, query or update, a charset Python
    another charset than UTF-8.
    """
    raw_query = request.scope.get("query_string", b"")  # read straight from the scope: no URL object
    # the header cap bounds the URL (ECONSEC_MAX_HEADER_BYTES), so this stays on the loop
    url_params = _parse_fields(raw_query.decode("latin-1"), "replace") if raw_query else {}
    headers = _headers(request) if headers is None else headers
    accept = headers.get(b"accept")
    content_type = headers.get(b"content-type")
    _one(url_params.get("version"), "version")
    if request.method in ("GET", "HEAD"):  # HEAD: the same answer without its body (the server drops it)
        if "update" in url_params:
            raise BadRequest("SPARQL Update cannot be sent with GET; the protocol requires POST")
        if _has_body(headers):
            raise BadRequest("a GET request carries no body: send the query in the URL, or POST it")
        format_key = _format_spec(url_params)
        if format_key is None and pages.wants_page(accept):
            return EditorRequest()  # a person: the editor (a share link pre-fills it)
        query = _one(url_params.get("query"), "query")
        if query is None:
            return DescriptionRequest(format_key)
        params = url_params
    else:
        media_type = _media_type(content_type)
        if media_type == UPDATE_BODY:
            if "query" in url_params:
                raise BadRequest("send either a query or an update, not both")
            return UpdateRequest(
                await _text(request, content_type, "update"),
                tuple(url_params.get("using-graph-uri", [])),
                tuple(url_params.get("using-named-graph-uri", [])),
            )
        if media_type == FORM:
            charset = _charset(content_type)  # the protocol's UTF-8, or a 415
            try:  # percent-escapes are bytes in the body's charset too
                form = await _form(await _text(request, content_type, "form body"))
            except UnicodeDecodeError:
                raise BadRequest(f"the form's escaped values are not {charset.upper()} text") from None
            params = {key: form.get(key, []) + url_params.get(key, []) for key in {*form, *url_params}}
            if "update" in form and "query" in form:
                raise BadRequest("send either query= or update=, not both")
            if "update" in form:
                return UpdateRequest(
                    _one(form.get("update"), "update") or "",
                    tuple(params.get("using-graph-uri", [])),
                    tuple(params.get("using-named-graph-uri", [])),
                )
            if "update" in url_params:
                raise BadRequest("update= goes in the form body of a POST, not in the URL of a query request")
            query = _one(form.get("query"), "query")
            if query is None:
                raise BadRequest("the form has no query= field")
        elif media_type == QUERY_BODY:
            if "update" in url_params:
                raise BadRequest("update= cannot ride on a query request; POST the update on its own")
            query = await _text(request, content_type, "query")
            params = url_params
        else:
            raise UnsupportedMediaType(media_type, [FORM, QUERY_BODY, UPDATE_BODY])
        _one(params.get("version"), "version")
        format_key = _format_spec(params)
    return QueryRequest(
        query,
        tuple(params.get("default-graph-uri", [])),
        tuple(params.get("named-graph-uri", [])),
        format_key,
        accept,
    )


async def sparql(request: Request) -> Response:
    """The SPARQL endpoint: query by GET or POST, update by POST, the service description by a
    plain GET, the editor for browsers."""
    state = service_state(request)
    headers = _headers(request)
    if request.method == "POST" and _media_type(headers.get(b"content-type")) == UPDATE_BODY:
        update.check_writer(request, state)  # before the body is read
    req = await read_request(request, headers)
    if isinstance(req, QueryRequest):
        return await _answer(state, req)
    if isinstance(req, UpdateRequest):
        update.check_writer(request, state)
        return await update.handle_update(
            request, state, req.text, req.using_graph_uris, req.using_named_graph_uris
        )
    if isinstance(req, DescriptionRequest):
        return await _describe(request, state, req.format)
    return pages.editor_page(request, state)


#: the OpenAPI description of ``/sparql`` (FastAPI documents it; it is never mounted)
documentation = APIRouter(tags=["SPARQL"])
documentation.add_api_route(
    "/sparql",
    sparql,
    methods=["GET"],
    responses=_RESPONSES,
    response_class=Response,
    openapi_extra=_GET_PARAMETERS,
)
documentation.add_api_route(
    "/sparql",
    sparql,
    methods=["POST"],
    responses=_RESPONSES,
    response_class=Response,
    openapi_extra=_POST_BODY,
)
#: the one route that answers: a plain Starlette route on the app itself, so a query costs no
#: per-request dependency solving and no walk through included routers (bench/RESULTS.md)
route = Route("/sparql", sparql, methods=["GET", "POST"])
# the Graph Store Protocol lives beside the SPARQL endpoint (``/rdf-graphs``)
router.include_router(graph_store.router)
