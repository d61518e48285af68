"""``/rdf-graphs``: the SPARQL 1.1 Graph Store HTTP Protocol (indirect graph identification).

``?graph=IRI`` names a graph, ``?default`` the default graph (the merge of all named graphs).

- ``GET`` / ``HEAD``: the graph in the negotiated RDF syntax (the table in ``formats.py``); 404
  for a graph the store does not have;
- ``PUT`` replaces the graph, ``POST`` merges into it (201 when the graph is new, 204
  otherwise), ``DELETE`` drops it (204, or 404): with the bearer token, validated against the
  shapes before anything commits, like every write (``write/service.py``);
- bodies are Turtle, N-Triples, RDF/XML or JSON-LD (``write/rdf_body.py``: 415 for other types,
  400 naming line and column for malformed ones); blank nodes are skolemised;
- writes to ``?default`` go to the writable user graph (``ECONSEC_USER_GRAPH``), which is part
  of the union default graph, as SPARQL Update writes without ``GRAPH`` do: ``PUT ?default``
  replaces what was written there, ``POST`` adds to it, ``DELETE`` empties it. The build's graphs
  are never touched through ``?default``.
"""

from __future__ import annotations

import re

from econsec.queries import internal
from fastapi import APIRouter, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, Quad
from starlette.concurrency import run_in_threadpool

from ..errors import BadRequest
from ..execution.executor import Deadline
from ..state import ServiceState, service_state
from ..store.base import QueryResult, ResultKind
from ..write.errors import GraphNotFound
from ..write.overlay import Overlay
from ..write.rdf_body import BODY_FORMATS, parse_body
from ..write.service import refuse_protected
from ..write.sparql_update import skolemise
from .formats import negotiate
from .update import check_writer, write_service

__all__ = ["router"]

router = APIRouter(tags=["Graph Store Protocol"])

PATH = "/rdf-graphs"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
_FORBIDDEN_IN_IRI = set(' "<>{}|\\^`\n\r\t')
#: how many body triples are merged into the overlay between two looks at the write's deadline
_DEADLINE_EVERY = 10_000
_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {"description": "The graph, in the negotiated RDF syntax"},
    201: {"description": "The graph did not exist and was created"},
    204: {"description": "The graph was replaced, merged into or deleted"},
    400: {"description": "Bad graph IRI or malformed body (line and column)"},
    401: {"description": "Write without a valid 'Authorization: Bearer' token"},
    403: {
        "description": "Read-only service, a graph maintained by the build, or a whole source graph "
        "replaced or deleted without ?replace-source=true"
    },
    404: {"description": "No such graph"},
    413: {"description": "Body over ECONSEC_MAX_BODY_BYTES"},
    415: {"description": "Body type other than " + ", ".join(sorted(BODY_FORMATS))},
    422: {"description": "The write would violate the SHACL shapes (the report says where)"},
    503: {"description": "Another write held the store until the deadline; nothing was changed"},
    504: {"description": "The write was not ready to commit by the deadline; nothing was changed"},
    507: {"description": "The disk holding the store is full; nothing was changed"},
}


def _target(request: Request) -> NamedNode | None:
    """The graph the request names: an IRI, or None for ``?default``."""
    params = request.query_params
    graphs = params.getlist("graph")
    has_default = "default" in params
    if has_default and graphs:
        raise BadRequest("give either ?graph=IRI or ?default, not both")
    if has_default:
        return None
    if not graphs:
        raise BadRequest("name the graph: ?graph=IRI (an absolute IRI), or ?default for the default graph")
    if len(graphs) > 1:
        raise BadRequest(f"give graph= once, not {len(graphs)} times")
    value = graphs[0]
    bad = sorted({c for c in value if c in _FORBIDDEN_IN_IRI})
    if bad or not _SCHEME.match(value):
        why = f"it contains {', '.join(repr(c) for c in bad)}" if bad else "it has no scheme"
        raise BadRequest(f"graph= must be an absolute IRI; {value[:200]!r} is not ({why})")
    try:
        return NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"graph= must be an absolute IRI; {value[:200]!r} is not ({exc})") from None


async def _read(request: Request, state: ServiceState, head: bool) -> Response:
    graph = _target(request)
    store = state.backend
    fmt = negotiate(ResultKind.GRAPH, request.headers.get("accept"), request.query_params.get("format"))
    limit = state.settings.result_limit
    query = internal.get("default-graph-as-rdf" if graph is None else "graph-as-rdf")
    terms = {} if graph is None else {"g": graph}

    def work(deadline: Deadline) -> tuple[bool, object]:
        deadline.check()
        if graph is not None and not store.has_graph(graph):
            return False, None
        result: QueryResult = store.query(query.text, substitutions=query.check(terms))
        return True, fmt.write(result, deadline, limit)

    found, payload = await state.executor.run(work)
    if not found:
        raise GraphNotFound(f"the store has no graph {graph}")
    headers = {"Vary": "Accept"}
    if payload.truncated:  # type: ignore[attr-defined]
        headers["Econsec-Result-Truncated"] = str(limit)
    body: bytes = payload.body  # type: ignore[attr-defined]
    if head:  # the headers GET would send, its Content-Length included, and no body
        headers["Content-Length"] = str(len(body))
        body = b""
    return Response(body, media_type=fmt.content_type, headers=headers)


@router.get(PATH, responses=_RESPONSES, response_class=Response)
async def get_graph(request: Request) -> Response:
    """The graph named by ``?graph=`` (or ``?default``)."""
    return await _read(request, service_state(request), head=False)


@router.head(PATH, responses=_RESPONSES, response_class=Response)
async def head_graph(request: Request) -> Response:
    """As GET, without the body."""
    return await _read(request, service_state(request), head=True)


async def _write_target(request: Request, state: ServiceState) -> NamedNode:
    check_writer(request, state)  # before the body is read
    graph = _target(request)
    if graph is None:  # the default graph's writable part, as for an update without GRAPH
        return NamedNode(state.settings.user_graph)
    refuse_protected(graph)
    return graph


async def _body_quads(request: Request, state: ServiceState, graph: NamedNode) -> set[Quad]:
    """The body's triples in ``graph``, blank nodes skolemised; parsed off the event loop."""
    body = await request.body()
    base = state.settings.public_base

    def read() -> set[Quad]:
        triples = parse_body(body, request.headers.get("content-type"), graph.value)
        return {
            Quad(skolemise(q.subject, base), q.predicate, skolemise(q.object, base), graph)  # type: ignore[arg-type]
            for q in triples
        }

    return await run_in_threadpool(read)


def _created(existed: object) -> Response:
    return Response(status_code=204 if existed else 201)


async def _store_body(request: Request, *, replace: bool) -> Response:
    """PUT (``replace``: the body becomes the graph) and POST (the body is merged into it)."""
    state = service_state(request)
    graph = await _write_target(request, state)
    new = await _body_quads(request, state, graph)

    writes = write_service(request, state)
    policy = writes.policy.for_request(request.query_params)

    def change(overlay: Overlay, deadline: Deadline) -> bool:
        existed = overlay.has_graph(graph)
        if replace:
            if existed:
                policy.guard_whole_graph(graph, "PUT")
            for quad in list(overlay.quads(graph=graph)):
                if quad not in new:
                    overlay.delete(quad)
        overlay.create_graph(graph)
        for done, quad in enumerate(new):
            overlay.insert(quad)
            if done % _DEADLINE_EVERY == 0:
                deadline.check()
        return existed

    outcome = await writes.write(change, policy)
    return _created(outcome.result)


@router.put(PATH, responses=_RESPONSES, response_class=Response, status_code=204)
async def put_graph(request: Request) -> Response:
    """Replace the graph's content with the body."""
    return await _store_body(request, replace=True)


@router.post(PATH, responses=_RESPONSES, response_class=Response, status_code=204)
async def post_graph(request: Request) -> Response:
    """Merge the body into the graph."""
    return await _store_body(request, replace=False)


@router.delete(PATH, responses=_RESPONSES, response_class=Response, status_code=204)
async def delete_graph(request: Request) -> Response:
    """Drop the graph."""
    state = service_state(request)
    graph = await _write_target(request, state)
    writes = write_service(request, state)
    policy = writes.policy.for_request(request.query_params)

    def change(overlay: Overlay, _deadline: Deadline) -> None:
        if not overlay.has_graph(graph):
            raise GraphNotFound(f"the store has no graph {graph}; nothing was deleted")
        policy.guard_whole_graph(graph, "DELETE")
        overlay.drop_graph(graph)

    await writes.write(change, policy)
    return Response(status_code=204)
