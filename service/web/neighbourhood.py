"""``/neighbourhood/{path}``: the things one entity links to and is linked from, as graph edges.

The entity page draws these as a small network (``service/web/static/neighbourhood.js``, with the
gallery's chart code), so a reader sees at a glance what an actor or instrument is tied to.
Links the reasoner added (the inferred graph) are left out: the drawing shows what the sources
state. The rows have the shape of the ``actor-network`` saved query (``from``, ``to``, their labels,
the ``relation``), so one drawing function serves both. Provenance nodes (passages, statement
annotations) are left out: each statement's sources are listed on the page itself. A link the
sources state from both sides (an inverse pair, a symmetric property) is drawn once, outgoing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated

from econsec.graph.paths import inferred_graph
from econsec.queries import internal
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pyoxigraph import Literal, NamedNode

from ..errors import ServiceError
from ..execution.executor import Deadline
from ..http.negotiation import root_path
from ..state import service_state
from ..store.base import StoreBackend
from .entity_page import ontology_facts
from .resources import curie

__all__ = ["MAX_EDGES", "Edge", "neighbourhood", "router"]

router = APIRouter(tags=["Browser pages"])

MAX_EDGES = 200
_SKIPPED = ("passage/", "statement/")


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
    #: the property's IRI: a drawing tells relations apart by it, not by their names
    predicate: str = ""


def neighbourhood(
    store: StoreBackend, public_base: str, iri: str, label: str, limit: int, deadline: Deadline
) -> list[Edge]:
    """The entity's links to and from other things under ``{public_base}id/`` (at most ``limit``)."""
    ids = public_base + "id/"
    rows = internal.select(
        store,
        "entity-links",
        this=NamedNode(iri),
        ids=Literal(ids),
        inferred=inferred_graph(public_base),
    )
    edges: list[Edge] = []
    for row in rows:
        deadline.check()
        other = row["other"].value
        if other[len(ids) :].startswith(_SKIPPED):
            continue
        name = row["otherLabel"].value if row["otherLabel"] is not None else other.rsplit("/", 1)[-1]
        predicate = row["p"].value
        relation = row["pLabel"].value if row["pLabel"] is not None else curie(predicate)
        if row["outgoing"].value == "true":
            edges.append(Edge(iri, label, other, name, relation, predicate))
        else:
            edges.append(Edge(other, name, iri, label, relation, predicate))
        if len(edges) >= limit:
            break
    return edges


def once(edges: list[Edge], iri: str, inverses: Mapping[str, frozenset[str]]) -> list[Edge]:
    """The edges without a link stated from both sides: an incoming edge goes when the entity
    states the same link outgoing under an inverse property (or the same symmetric one)."""
    outgoing = {(e.predicate, e.target) for e in edges if e.source == iri}
    return [
        e
        for e in edges
        if e.source == iri or not any((q, e.source) in outgoing for q in inverses.get(e.predicate, ()))
    ]


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
    root = root_path(request)
    iri = base + "id/" + path
    try:
        this = NamedNode(iri)
    except ValueError:
        raise UnknownEntity(f"<{iri}> is not an IRI this graph can hold") from None

    def work(deadline: Deadline) -> list[Edge]:
        deadline.check()
        labels = [row["label"].value for row in internal.select(state.backend, "english-label", this=this)]
        edges = neighbourhood(state.backend, base, iri, labels[0] if labels else path, limit, deadline)
        return once(edges, iri, ontology_facts(state.backend, base).inverses)

    edges = await state.executor.run(work)

    def href(target: str) -> str:
        return root + "/id/" + target[len(base + "id/") :]

    rows = [
        {
            "from": e.source,
            "fromLabel": e.source_label,
            "from__href": href(e.source),
            "relation": e.relation,
            "predicate": e.predicate,
            "direction": "out" if e.source == iri else "in",
            "to": e.target,
            "toLabel": e.target_label,
            "to__href": href(e.target),
        }
        for e in edges
    ]
    return JSONResponse({"iri": iri, "rows": rows})
