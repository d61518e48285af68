"""``/search?q=``: find entities by name, for the search box on the home page.

A small SPARQL query over the store backend (``queries/internal/entity-search.rq``, the text
bound as a term, never pasted into the query; on the executor, within the query deadline, like
every other read) matches ``rdfs:label`` and ``skos:altLabel`` case-insensitively; Python then
ranks the matches (whole name, then name prefix, then word prefix, then anywhere) so that
typing "gal" puts Gallium before a longer name that merely contains the letters. Passages and
statement nodes are left out: they are provenance, reached from the entities' pages.

JSON by default (the script asks for it); a browser that submits the form without scripts gets
the same results as a plain HTML list.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from econsec.graph.paths import inferred_graph
from econsec.queries import internal
from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pyoxigraph import Literal

from ..execution.executor import Deadline
from ..http.negotiation import root_path
from ..state import service_state
from ..store.base import StoreBackend
from .pages import page_context, wants_page
from .render import render

__all__ = ["MAX_RESULTS", "Match", "find_entities", "router"]

router = APIRouter(tags=["Browser pages"])

MAX_RESULTS = 50
#: kinds of node that are provenance rather than things a reader looks for
_SKIPPED_KINDS = ("passage/", "statement/")


@dataclass
class Match:
    """One entity found: its IRI, the page that describes it, its name and its kinds."""

    iri: str
    href: str
    label: str
    matched: str
    types: list[str]
    rank: tuple[int, int, str]


def _rank(needle: str, name: str) -> int:
    """0 whole name, 1 name prefix, 2 word prefix, 3 anywhere."""
    text = name.lower()
    if text == needle:
        return 0
    if text.startswith(needle):
        return 1
    if any(word.startswith(needle) for word in text.replace("-", " ").split()):
        return 2
    return 3


def find_entities(
    store: StoreBackend, public_base: str, root: str, text: str, limit: int, deadline: Deadline
) -> list[Match]:
    """Entities under ``{public_base}id/`` whose label or alternative label contains ``text``."""
    needle = " ".join(text.lower().split())
    if not needle:
        return []
    id_base = public_base + "id/"
    rows = internal.select(
        store,
        "entity-search",
        needle=Literal(needle),
        base=Literal(id_base),
        inferred=inferred_graph(public_base),
    )
    found: dict[str, Match] = {}
    for row in rows:
        deadline.check()
        iri = row["entity"].value
        path = iri[len(id_base) :]
        if path.startswith(_SKIPPED_KINDS):
            continue
        matched = row["matched"].value
        label = row["label"].value if row["label"] is not None else matched
        type_label, type_iri = row["typeLabel"], row["type"]
        rank = (_rank(needle, matched), len(label), label.lower())
        match = found.get(iri)
        if match is None:
            match = found[iri] = Match(iri, f"{root}/id/{path}", label, matched, [], rank)
        elif rank < match.rank:
            match.rank, match.matched = rank, matched
        if type_iri is not None:
            name = type_label.value if type_label is not None else type_iri.value.rsplit("#", 1)[-1]
            if name not in match.types:
                match.types.append(name)
    return sorted(found.values(), key=lambda m: m.rank)[:limit]


@router.get(
    "/search",
    response_class=Response,
    responses={
        200: {"description": "The matches, best first", "content": {"application/json": {}, "text/html": {}}},
        400: {"description": "A bad parameter (limit out of range, q too long)"},
    },
)
async def search(
    request: Request,
    q: Annotated[str, Query(description="Text to look for in names (case-insensitive)", max_length=200)] = "",
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="How many matches at most")] = 10,
) -> Response:
    """Entities whose name (``rdfs:label`` or ``skos:altLabel``) contains ``q``, best match first:
    IRI, page, English name, the name that matched, kinds."""
    state = service_state(request)
    root = root_path(request)
    base = state.settings.public_base

    def work(deadline: Deadline) -> list[Match]:
        deadline.check()
        return find_entities(state.backend, base, root, q, limit, deadline)

    matches = await state.executor.run(work)
    records = [{k: v for k, v in asdict(m).items() if k != "rank"} for m in matches]
    if wants_page(request.headers.get("accept")):
        return render(
            "search.html", **page_context(request), q=q, matches=records, headers={"Vary": "Accept"}
        )
    return JSONResponse({"q": q, "results": records}, headers={"Vary": "Accept"})
