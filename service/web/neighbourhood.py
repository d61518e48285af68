"""``/neighbourhood/{path}``: the things one entity links to and is linked from, as graph edges.

The entity page draws these as a small network (``service/web/static/neighbourhood.js``, with the
gallery's chart code), so a reader sees at a glance what an actor or instrument is tied to.
Links the reasoner added (the inferred graph) are left out: the drawing shows what the sources
state. The rows have the shape of the ``actor-network`` saved query (``from``, ``to``, their labels,
the ``relation``), so one drawing function serves both. Provenance nodes (passages, statement
annotations) are left out: each statement's sources are listed on the page itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from econsec.graph.paths import RDFS_NS, sparql_prologue
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pyoxigraph import NamedNode

from ..errors import ServiceError
from ..execution.executor import Deadline
from ..state import service_state
from ..store.base import StoreBackend

__all__ = ["MAX_EDGES", "Edge", "neighbourhood", "router"]

router = APIRouter(tags=["Browser pages"])

MAX_EDGES = 200
_SKIPPED = ("passage/", "statement/")

_EDGES = (
    sparql_prologue("rdfs")
    + """
SELECT DISTINCT ?outgoing ?p ?pLabel ?other ?otherLabel WHERE {{
  {{ GRAPH ?g {{ {this} ?p ?other }} BIND (true AS ?outgoing) }}
  UNION {{ GRAPH ?g {{ ?other ?p {this} }} BIND (false AS ?outgoing) }}
  FILTER (?g != {inferred} && isIRI(?other) && STRSTARTS(STR(?other), {ids}) && ?other != {this})
  OPTIONAL {{ ?other rdfs:label ?otherLabel . FILTER (LANG(?otherLabel) = "en") }}
  OPTIONAL {{ ?p rdfs:label ?pLabel . FILTER (LANG(?pLabel) = "en" || LANG(?pLabel) = "") }}
}}
ORDER BY ?p ?other
"""
)


class UnknownEntity(ServiceError):
    status = 404
    title = "Not found"


@dataclass(frozen=True)
class Edge:
    """One link between the entity and a neighbour, in the direction the graph states it."""

    source: str
    source_label: str
    target: str
    target_label: str
    relation: str


def neighbourhood(
    store: StoreBackend, public_base: str, iri: str, label: str, limit: int, deadline: Deadline
) -> list[Edge]:
    """The entity's links to and from other things under ``{public_base}id/`` (at most ``limit``)."""
    ids = public_base + "id/"
    this = NamedNode(iri)  # checked by the caller; written by pyoxigraph, so always a valid IRI term
    inferred = NamedNode(public_base + "graph/inferred")
    text = _EDGES.format(this=this, ids='"' + ids.replace('"', "") + '"', inferred=inferred)
    result = store.query(text)
    assert result.solutions is not None
    edges: list[Edge] = []
    for row in result.solutions:
        deadline.check()
        other = row["other"].value
        if other[len(ids) :].startswith(_SKIPPED):
            continue
        name = row["otherLabel"].value if row["otherLabel"] is not None else other.rsplit("/", 1)[-1]
        predicate = row["p"].value
        relation = row["pLabel"].value if row["pLabel"] is not None else predicate.rsplit("#", 1)[-1]
        if row["outgoing"].value == "true":
            edges.append(Edge(iri, label, other, name, relation))
        else:
            edges.append(Edge(other, name, iri, label, relation))
        if len(edges) >= limit:
            break
    return edges


_LABEL = (
    "SELECT ?label WHERE {{ {this} <" + RDFS_NS + 'label> ?label . FILTER (LANG(?label) = "en") }} LIMIT 1'
)


@router.get(
    "/neighbourhood/{path:path}",
    response_class=JSONResponse,
    responses={404: {"description": "Nothing in the graph has this IRI"}},
)
async def entity_neighbourhood(
    request: Request,
    path: str,
    limit: Annotated[int, Query(ge=1, le=MAX_EDGES, description="How many links at most")] = 80,
) -> Response:
    """The links between ``{public base}id/{path}`` and other entities, as rows for a network
    drawing: ``from``, ``fromLabel``, ``relation``, ``to``, ``toLabel`` and each end's page."""
    state = service_state(request)
    base = state.settings.public_base
    root = str(request.scope.get("root_path", "")).rstrip("/")
    iri = base + "id/" + path
    try:
        this = NamedNode(iri)
    except ValueError:
        raise UnknownEntity(f"<{iri}> is not an IRI this graph can hold") from None

    def work(deadline: Deadline) -> list[Edge]:
        deadline.check()
        result = state.backend.query(_LABEL.format(this=this))
        assert result.solutions is not None
        labels = [row["label"].value for row in result.solutions]
        return neighbourhood(state.backend, base, iri, labels[0] if labels else path, limit, deadline)

    edges = await state.executor.run(work)

    def href(target: str) -> str:
        return root + "/id/" + target[len(base + "id/") :]

    rows = [
        {
            "from": e.source,
            "fromLabel": e.source_label,
            "from__href": href(e.source),
            "relation": e.relation,
            "to": e.target,
            "toLabel": e.target_label,
            "to__href": href(e.target),
        }
        for e in edges
    ]
    return JSONResponse({"iri": iri, "rows": rows})
