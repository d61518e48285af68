"""``/search?q=&class=&limit=``: find things by their words, for the search box and other pages.

The matching and ranking live in :mod:`.search_index` (an in-process word index built from the
store and rebuilt when the data changes; it knows nothing of HTTP). This module is the route:
it bounds the input, runs the search on the executor within the query deadline like every
other read, and answers JSON (``{"q", "results": [{"iri", "page", "label", "matched", "kinds",
...}]}``) or, to a browser, the same results as a page. ``class=`` (an ontology class IRI, or
its local name) keeps instances of that class and of its subclasses.

Passages, statement nodes and status assertions are left out: they are provenance, reached from
the entities' pages.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from ..errors import BadRequest
from ..execution.executor import Deadline
from ..http.negotiation import root_path
from ..state import service_state
from ..store.base import StoreBackend
from .pages import page_context, wants_page
from .render import render
from .search_index import index_for

__all__ = ["MAX_RESULTS", "Match", "find_entities", "router"]

router = APIRouter(tags=["Browser pages"])

MAX_RESULTS = 50
#: the longest class IRI accepted (ours are under 60 characters)
_MAX_CLASS = 300


@dataclass
class Match:
    """One thing found: its IRI, its page (``href`` is the older name of ``page``), its name, the
    name (or description) that matched, its kinds (``types`` is the older name), and where it matched."""

    iri: str
    href: str
    label: str
    matched: str
    types: list[str]
    field: str

    @property
    def page(self) -> str:
        return self.href

    def record(self) -> dict[str, object]:
        """The JSON form: the contract's fields and the older names of two of them."""
        return {**asdict(self), "page": self.href, "kinds": self.types}


class UnknownClass(BadRequest):
    """``class=`` names no class of the ontology."""


def class_iri(given: str, public_base: str) -> str:
    """A class IRI from ``class=``: an IRI as given, a bare name as a term of our ontology."""
    given = given.strip()
    if len(given) > _MAX_CLASS:
        raise UnknownClass(f"class= is longer than {_MAX_CLASS} characters")
    return given if ":" in given else f"{public_base}ontology#{given}"


def find_entities(
    store: StoreBackend,
    public_base: str,
    root: str,
    text: str,
    limit: int,
    deadline: Deadline,
    within: str | None = None,
    version: str = "",
) -> list[Match]:
    """Things under ``{public_base}id/`` that ``text`` finds, best first (see ``search_index``)."""
    index = index_for(store, public_base, deadline, version)
    if within is not None and within not in index.tree.subclasses:
        raise UnknownClass(f"class={within} is not a class of the ontology; see /classes for the list")
    id_base = public_base + "id/"
    return [
        Match(
            hit.entry.iri,
            f"{root}/id/{hit.entry.iri[len(id_base) :]}",
            hit.entry.label,
            hit.matched,
            list(hit.entry.kinds),
            hit.field,
        )
        for hit in index.search(text, limit, deadline, within)
    ]


@router.get(
    "/search",
    response_class=Response,
    responses={
        200: {"description": "The matches, best first", "content": {"application/json": {}, "text/html": {}}},
        400: {"description": "A bad parameter (limit out of range, q too long, unknown class)"},
    },
)
async def search(
    request: Request,
    q: Annotated[
        str,
        Query(
            description="Words to look for in names, other names and descriptions: any order, "
            "any case, accents optional, beginnings of words and small typos allowed",
            max_length=200,
        ),
    ] = "",
    class_: Annotated[
        str | None,
        Query(
            alias="class",
            description="Only instances of this ontology class (IRI or local name), subclasses included",
            max_length=_MAX_CLASS,
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_RESULTS, description="How many matches at most")] = 10,
) -> Response:
    """Things the words of ``q`` find, best first: IRI, page, English name, what matched, kinds."""
    state = service_state(request)
    root = root_path(request)
    base = state.settings.public_base
    within = class_iri(class_, base) if class_ else None
    version = state.version.tag if state.version is not None else ""  # moves on every write
    page = wants_page(request.headers.get("accept"))

    def work(deadline: Deadline) -> tuple[list[Match], list[tuple[str, str]]]:
        deadline.check()
        found = find_entities(state.backend, base, root, q, limit, deadline, within, version)
        if not page:
            return found, []
        tree = index_for(state.backend, base, deadline, version).tree
        terms = base + "ontology#"
        choices = sorted(
            ((iri, tree.name(iri)) for iri in tree.subclasses if iri.startswith(terms)),
            key=lambda c: c[1].casefold(),
        )
        return found, choices

    matches, choices = await state.executor.run(work)
    records = [m.record() for m in matches]
    if page:
        return render(
            "search.html",
            **page_context(request),
            q=q,
            within=within,
            choices=choices,
            matches=records,
            headers={"Vary": "Accept"},
        )
    body = {"q": q, "results": records}
    if within:
        body["class"] = within
    return JSONResponse(body, headers={"Vary": "Accept"})
