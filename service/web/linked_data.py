"""Linked-data publishing: every IRI under the public base dereferences here.

| path | answers for | machines (by Accept or ``format=``) | browsers |
|---|---|---|---|
| ``/id/{path}`` | ``{base}id/{path}`` (entities, passages, statements) | its description | a page |
| ``/ontology`` | ``{base}ontology`` and every ``ontology#Term`` | the ontology graph | a page |
| ``/graph/{name}`` | ``{base}graph/{name}`` | the named graph | a summary |
| ``/.well-known/void``, ``/void``, ``/dataset`` | ``{base}dataset`` | VoID (Turtle default) | a page |
| ``/lookup?uri=`` | any IRI under the base | 303 to the path above | same |

Browsers get HTML only when they name ``text/html`` (or XHTML) explicitly and rank it at least
as high as any RDF syntax they name, so ``*/*`` (curl, most libraries) gets RDF. Every
negotiated answer says ``Vary: Accept`` and lists its alternates in ``Link`` headers (RFC 8288),
as Pubby and LodView do; HEAD is answered too (link checkers use it). Store reads are SPARQL through ``StoreBackend.query`` on the executor,
within the query deadline, like ``/sparql``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from econsec.graph.paths import (
    DCTERMS_NS,
    FOAF_NS,
    PREFIXES,
    PROV_NS,
    RDF_NS,
    SD_NS,
    VOID_NS,
    XSD_NS,
    inferred_graph,
)
from econsec.graph.stats import INSTANCES_PER_CLASS
from econsec.graph.void import LICENSE, VOCABULARIES
from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pyoxigraph import Literal, NamedNode, Quad, RdfFormat, Triple, parse, serialize

from ..errors import BadRequest, NotAcceptable, ServiceError, StoreError
from ..execution.executor import Deadline
from ..http import negotiation
from ..http.negotiation import root_path
from ..sparql.endpoint import TRUNCATED_HEADER
from ..sparql.formats import Format, formats_for, negotiate
from ..sparql.writers import Payload
from ..state import ServiceState, service_state
from ..store.base import ResultKind
from .entity_page import entity_page
from .figures import entity_figures
from .ontology_page import ontology_view
from .render import render
from .resources import (
    Description,
    ResourceView,
    describe_resource,
    graph_counts,
    graph_quads,
    iri_ref,
    is_ontology_version,
    local_href,
)
from .void_page import void_page

__all__ = ["UnknownResource", "router"]

router = APIRouter(tags=["Linked data"])

_GRAPH_FORMATS = formats_for(ResultKind.GRAPH)
_RDF_MEDIA_TYPES = tuple(m for f in _GRAPH_FORMATS for m in f.media_types)
#: a named graph is a dataset: quad syntaxes first, so */* gets TriG
_DATASET_FORMATS = tuple(sorted(_GRAPH_FORMATS, key=lambda f: f.key not in ("trig", "nquads")))
_QUAD_SYNTAXES = frozenset({RdfFormat.TRIG, RdfFormat.N_QUADS})

_FORMAT_HELP = "Answer format, overriding Accept: html, " + ", ".join(f.key for f in _GRAPH_FORMATS)
FormatParam = Annotated[str | None, Query(description=_FORMAT_HELP)]

_RESPONSES: dict[int | str, dict[str, object]] = {
    200: {
        "description": "The resource's description as HTML or RDF, as negotiated",
        "content": {"text/html": {}, **{f.media_type: {} for f in _GRAPH_FORMATS}},
    },
    400: {"description": "Unknown format= value"},
    404: {"description": "Nothing in the graph has this IRI"},
    406: {"description": "No acceptable format; the body lists the available ones"},
}


class UnknownResource(ServiceError):
    """The IRI is in our namespace but the graph says nothing about it."""

    status = 404
    title = "Not found"

    def __init__(self, iri: str, what: str = "resource") -> None:
        self.iri = iri
        super().__init__(
            f"no {what} <{iri}> in this graph. Slugs are permanent and lower-case; "
            "see /.well-known/void for the dataset and /sparql to search it",
            headers={"Vary": "Accept"},
        )

    def details(self) -> dict[str, object]:
        return {"iri": self.iri}


# --- Negotiation ---------------------------------------------------------------------------


def wants_html(accept: str | None) -> bool:
    """HTML when text/html is named and ranked no lower than any RDF syntax that is named."""
    return negotiation.wants_html(accept, _RDF_MEDIA_TYPES)


def choose(
    accept: str | None, format_key: str | None, table: Sequence[Format], *, html: bool = True
) -> Format | None:
    """The RDF format to answer in, or None for HTML; 406 (with Vary) when nothing fits."""
    try:
        if format_key:
            if html and format_key.strip().lower() == "html":
                return None
            return negotiate(ResultKind.GRAPH, None, format_key, table)
        if html and wants_html(accept):
            return None
        return negotiate(ResultKind.GRAPH, accept, None, table)
    except NotAcceptable as exc:
        available = [*exc.available, *(["text/html"] if html and not format_key else [])]
        refusal = NotAcceptable(f"nothing here is written as {format_key or accept}", available)
        refusal.headers["Vary"] = "Accept"
        raise refusal from None


@dataclass(frozen=True)
class Alternate:
    href: str
    media_type: str
    label: str


def alternates(path: str, table: Sequence[Format], *, html: bool = True) -> list[Alternate]:
    """The representations of ``path``, each at a ``format=`` URL."""
    found = [Alternate(f"{path}?format={f.key}", f.media_type, f.label) for f in table]
    return [Alternate(f"{path}?format=html", "text/html", "HTML"), *found] if html else found


def _headers(links: Sequence[Alternate], truncated_at: int | None = None) -> dict[str, str]:
    headers = {
        "Vary": "Accept",
        "Link": ", ".join(f'<{a.href}>; rel="alternate"; type="{a.media_type}"' for a in links),
    }
    if truncated_at is not None:
        headers[TRUNCATED_HEADER] = str(truncated_at)
    return headers


def _prefixes_used(quads: Sequence[Quad]) -> dict[str, str]:
    """The prefixes of ``PREFIXES`` whose namespace some IRI in ``quads`` is in (no unused @prefix lines)."""
    by_namespace = {namespace: prefix for prefix, namespace in PREFIXES.items()}
    used: dict[str, str] = {}
    for quad in quads:
        for term in (quad.subject, quad.predicate, quad.object, quad.graph_name):
            if isinstance(term, Literal):
                iri = term.datatype.value
            elif isinstance(term, NamedNode):
                iri = term.value
            else:
                continue
            namespace = iri[: max(iri.rfind("/"), iri.rfind("#")) + 1]
            if namespace in by_namespace:
                used[by_namespace[namespace]] = namespace
    return used


def write_rdf(
    description: Description, fmt: Format, deadline: Deadline, *, default_graph: bool = True
) -> Payload:
    """Triple syntaxes get the set of triples, grouped by subject. Quad syntaxes get those triples in
    the default graph and each quad in its named graph as well (``Description.document``), so a
    client that reads only a document's default graph finds what a Turtle client finds; with
    ``default_graph`` false (a named graph's own download) only the named graphs."""
    deadline.check()
    syntax = RdfFormat.from_media_type(fmt.media_type)
    if syntax is None:  # the table's graph formats are all pyoxigraph syntaxes
        raise StoreError(f"no RDF writer for {fmt.media_type}")
    if syntax not in _QUAD_SYNTAXES:
        quads = description.triples()
    else:
        quads = description.document() if default_graph else description.grouped()
    items = quads if syntax in _QUAD_SYNTAXES else [Triple(q.subject, q.predicate, q.object) for q in quads]
    try:
        body = serialize(items, format=syntax, prefixes=_prefixes_used(quads)) or b""
    except (ValueError, TypeError) as exc:
        raise StoreError(f"cannot write the answer as {fmt.label}: {exc}") from exc
    return Payload(body, len(items))


def _not_found(request: Request, iri: str, as_html: bool, what: str = "resource") -> Response:
    error = UnknownResource(iri, what)
    if not as_html:
        raise error
    return render(
        "not_found.html",
        status=404,
        headers={"Vary": "Accept"},
        root=root_path(request),
        iri=iri,
        message=error.message,
        alternates=[],
    )


async def _serve(
    request: Request,
    iri: str,
    fmt: Format | None,
    table: Sequence[Format],
    gather: Callable[[ServiceState, Deadline, int], Description],
    page: Callable[[Description, list[Alternate]], HTMLResponse] | None,
    what: str = "resource",
    *,
    default_graph: bool = True,
) -> Response:
    """Gather on the executor, then answer with RDF in ``fmt`` or (None) the HTML ``page``;
    ``default_graph`` as in ``write_rdf``."""
    state = service_state(request)
    limit = state.settings.result_limit
    links = alternates(request.url.path, table)

    def work(deadline: Deadline) -> Response | None:
        deadline.check()
        description = gather(state, deadline, limit)
        if not description.quads:
            return None
        if fmt is None and page is not None:
            return page(description, links)
        assert fmt is not None
        payload = write_rdf(description, fmt, deadline, default_graph=default_graph)
        truncated = limit if description.truncated else None
        return Response(payload.body, media_type=fmt.content_type, headers=_headers(links, truncated))

    answer = await state.executor.run(work)
    return answer if answer is not None else _not_found(request, iri, fmt is None, what)


def _asked(
    request: Request, relative: str, format_key: str | None
) -> tuple[ServiceState, str, str, Format | None]:
    """The service state, the public base, the IRI a request names under it, and the format to
    answer in (None: a page)."""
    state = service_state(request)
    base = state.settings.public_base
    return state, base, base + relative, choose(request.headers.get("accept"), format_key, _GRAPH_FORMATS)


def _is_iri(text: str) -> bool:
    try:
        iri_ref(text)
    except ValueError:
        return False
    return True


# --- /id/{path} ----------------------------------------------------------------------------


@router.head("/id/{path:path}", include_in_schema=False)
@router.get("/id/{path:path}", responses=_RESPONSES, response_class=Response)
async def resource(request: Request, path: str, format: FormatParam = None) -> Response:
    """The resource ``{public base}id/{path}``: its description, with the provenance of each statement."""
    state, base, iri, fmt = _asked(request, "id/" + path, format)
    if not _is_iri(iri):
        return _not_found(request, iri, fmt is None)

    def gather(state: ServiceState, deadline: Deadline, limit: int) -> Description:
        found = describe_resource(state.backend, iri, deadline, limit)
        return found if found.found else Description(iri, [])

    def page(description: Description, links: list[Alternate]) -> HTMLResponse:
        inferred = inferred_graph(base).value
        view = ResourceView(description, base, root_path(request), inferred_graph=inferred)
        # on the executor, as gather: the figures, then the summary, groups and passage parts
        figures = entity_figures(state.backend, iri, base, root_path(request))
        entity = entity_page(state.backend, view, base, root_path(request), inferred)
        return render(
            "resource.html",
            headers=_headers(links),
            view=view,
            entity=entity,
            figures=figures,
            root=root_path(request),
            alternates=links,
        )

    return await _serve(request, iri, fmt, _GRAPH_FORMATS, gather, page)


# --- /ontology -----------------------------------------------------------------------------


@router.head("/ontology", include_in_schema=False)
@router.get("/ontology", responses=_RESPONSES, response_class=Response)
async def ontology(request: Request, format: FormatParam = None) -> Response:
    """The ontology: a page for browsers (``ontology_page.py``), the OWL graph for machines.

    Terms are hash IRIs (``ontology#Term``), so this one document answers for all of them.
    """
    state = service_state(request)
    base = state.settings.public_base
    fmt = choose(request.headers.get("accept"), format, _GRAPH_FORMATS)
    links = alternates(request.url.path, _GRAPH_FORMATS)
    if fmt is None:
        root = root_path(request)
        view = await state.executor.run(lambda deadline: ontology_view(state.backend, base, root, deadline))
        return render(
            "ontology.html",
            headers=_headers(links),
            o=view,
            root=root,
            counted=INSTANCES_PER_CLASS,
            alternates=[a for a in links if a.media_type != "text/html"],
        )

    def gather(state: ServiceState, deadline: Deadline, limit: int) -> Description:
        return graph_quads(state.backend, base + "graph/ontology", deadline, limit)

    return await _serve(request, base + "ontology", fmt, _GRAPH_FORMATS, gather, None, "ontology graph")


@router.head("/ontology/{version}", include_in_schema=False)
@router.get("/ontology/{version}", responses=_RESPONSES, response_class=Response)
async def ontology_version(request: Request, version: str, format: FormatParam = None) -> Response:
    """The ontology's version IRI (``owl:versionIRI``), answered while it is the version served here."""
    state, base, iri, fmt = _asked(request, "ontology/" + version, format)
    if not _is_iri(iri):
        return _not_found(request, iri, fmt is None, "ontology version")
    current = await state.executor.run(lambda _deadline: is_ontology_version(state.backend, base, iri))
    if not current:
        return _not_found(request, iri, fmt is None, "ontology version")
    return await ontology(request, format)


# --- /graph/{name} -------------------------------------------------------------------------


@router.head("/graph/{name:path}", include_in_schema=False)
@router.get("/graph/{name:path}", responses=_RESPONSES, response_class=Response)
async def named_graph(request: Request, name: str, format: FormatParam = None) -> Response:
    """The named graph ``{public base}graph/{name}`` (TriG unless asked otherwise), or its summary page."""
    state = service_state(request)
    iri = state.settings.public_base + "graph/" + name
    fmt = choose(request.headers.get("accept"), format, _DATASET_FORMATS)
    try:
        iri_ref(iri)
    except ValueError:
        return _not_found(request, iri, fmt is None, "named graph")
    links = alternates(request.url.path, _DATASET_FORMATS)

    if fmt is None:

        def summary(deadline: Deadline) -> tuple[int, str | None, list[str]]:
            built = void_source(state, deadline)
            return (
                graph_counts(state.backend).get(iri, 0),
                _void_titles(built).get(iri),
                _void_sources(built, iri),
            )

        count, title, sources = await state.executor.run(summary)
        if not count:
            return _not_found(request, iri, True, "named graph")
        downloads = [a for a in links if a.media_type != "text/html"]
        return render(
            "graph.html",
            headers=_headers(links),
            name=name,
            iri=iri,
            count=count,
            title=title,
            sources=[local_href(s, state.settings.public_base, root_path(request)) or s for s in sources],
            root=root_path(request),
            alternates=downloads,
        )

    def gather(state: ServiceState, deadline: Deadline, limit: int) -> Description:
        return graph_quads(state.backend, iri, deadline, limit)

    # the graph's own download: a dataset of that one named graph (what `econsec load` and the
    # Graph Store protocol read back), not a document about an entity
    return await _serve(request, iri, fmt, _DATASET_FORMATS, gather, None, "named graph", default_graph=False)


# --- VoID ----------------------------------------------------------------------------------

_VOID_BASE = "file:///econsec-build/"  # what the build's relative dump IRIs resolve against
_DATASET_PARTS = {
    VOID_NS + p for p in ("sparqlEndpoint", "dataDump", "subset", "triples", "uriLookupEndpoint")
}


def _n(iri: str) -> NamedNode:
    return NamedNode(iri)


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=_n(XSD_NS + "integer"))


@lru_cache(maxsize=4)
def _read_void(path: Path, mtime_ns: int) -> tuple[Triple, ...]:
    """The build's void.ttl as triples (cached per file version)."""
    del mtime_ns  # part of the cache key only
    return tuple(
        Triple(q.subject, q.predicate, q.object)
        for q in parse(path=path, format=RdfFormat.TURTLE, base_iri=_VOID_BASE)
    )


def void_source(state: ServiceState, deadline: Deadline) -> tuple[Triple, ...]:
    """The build's VoID: the store's ``graph/void`` (where ``econsec publish`` puts it for a remote
    store), else ``void.ttl`` in the build directory, else nothing."""
    stored = graph_quads(state.backend, state.settings.public_base + "graph/void", deadline, 100_000)
    if stored.quads:
        return tuple(Triple(q.subject, q.predicate, q.object) for q in stored.quads)
    path = state.settings.void_path
    if not path.is_file():
        return ()
    return _read_void(path, path.stat().st_mtime_ns)


def _void_titles(built: Sequence[Triple]) -> dict[str, str]:
    title = _n(DCTERMS_NS + "title")
    return {t.subject.value: t.object.value for t in built if t.predicate == title}


def _void_sources(built: Sequence[Triple], graph_iri: str) -> list[str]:
    """What the build's VoID says graph ``graph_iri`` was taken from (its source documents)."""
    source, subset = _n(DCTERMS_NS + "source"), _n(graph_iri)
    return [
        t.object.value for t in built if t.subject == subset and t.predicate == source and t.object != subset
    ]


def void_description(
    state: ServiceState, service: str, counts: dict[str, int], built: Sequence[Triple]
) -> list[Triple]:
    """The VoID description: the build's (deployment-independent) plus what only this service knows.

    From the build: title, licence, modified, class partitions, vocabularies, examples. Here:
    one subset per named graph with the store's own counts (so they match what /sparql sees even
    after ``econsec load``), the SPARQL endpoint, the URI lookup endpoint and per-graph dumps at
    this service's address, and the build id the store was filled from.
    """
    base = state.settings.public_base
    dataset = _n(base + "dataset")
    subsets = {_n(g) for g in counts}
    old_subsets = {
        t.object for t in built if t.subject == dataset and t.predicate.value == VOID_NS + "subset"
    }
    kept = [
        t
        for t in built
        if not (t.subject == dataset and t.predicate.value in _DATASET_PARTS)
        and t.subject not in old_subsets
        and not (
            t.subject == dataset and t.predicate.value == DCTERMS_NS + "identifier" and state.backend.build_id
        )
    ]
    title = _void_titles(built)
    a, void, dct = _n(RDF_NS + "type"), VOID_NS, DCTERMS_NS
    out = list(kept)
    if not built:  # no VoID in the store or the build directory: say what is known without it
        out += [
            Triple(dataset, a, _n(void + "Dataset")),
            Triple(dataset, _n(dct + "license"), _n(LICENSE)),
            Triple(dataset, _n(void + "uriSpace"), Literal(base + "id/")),
            *(Triple(dataset, _n(void + "vocabulary"), _n(v)) for v in VOCABULARIES),
        ]
    if state.backend.build_id:
        out.append(Triple(dataset, _n(dct + "identifier"), Literal(state.backend.build_id)))
    document = _n(service + ".well-known/void")
    out += [
        Triple(document, a, _n(void + "DatasetDescription")),
        Triple(document, _n(FOAF_NS + "primaryTopic"), dataset),
        Triple(dataset, _n(void + "sparqlEndpoint"), _n(service + "sparql")),
        Triple(dataset, _n(void + "uriLookupEndpoint"), _n(service + "lookup?uri=")),
        Triple(dataset, _n(void + "triples"), _int(sum(counts.values()))),
    ]
    for graph in sorted(subsets, key=lambda g: g.value):
        dump = _n(service + "graph/" + quote(graph.value[len(base + "graph/") :], safe="/-_.~"))
        out += [
            Triple(dataset, _n(void + "subset"), graph),
            Triple(dataset, _n(void + "dataDump"), dump),
            Triple(graph, a, _n(void + "Dataset")),
            Triple(graph, _n(SD_NS + "name"), graph),
            Triple(graph, _n(void + "triples"), _int(counts[graph.value])),
            Triple(graph, _n(void + "dataDump"), dump),
        ]
        if graph.value in title:
            out.append(Triple(graph, _n(dct + "title"), Literal(title[graph.value], language="en")))
    out += _stale_inferences(state, subsets)
    return out


def _stale_inferences(state: ServiceState, subsets: set[NamedNode]) -> list[Triple]:
    """``prov:invalidatedAtTime`` on the inferred graph once a write has committed: the reasoner
    ran at build time, and writes do not re-run it (README, "Integrity rules")."""
    since = state.backend.written_since
    inferred = inferred_graph(state.settings.public_base)
    if since is None or inferred not in subsets:
        return []
    return [
        Triple(inferred, _n(PROV_NS + "invalidatedAtTime"), Literal(since, datatype=_n(XSD_NS + "dateTime")))
    ]


@router.head("/.well-known/void", include_in_schema=False)
@router.get("/.well-known/void", responses=_RESPONSES, response_class=Response)
@router.head("/void", include_in_schema=False)
@router.get("/void", include_in_schema=False, response_class=Response)
@router.head("/dataset", include_in_schema=False)
@router.get("/dataset", include_in_schema=False, response_class=Response)
async def void(request: Request, format: FormatParam = None) -> Response:
    """The VoID description of the dataset (Turtle unless asked otherwise); ``/dataset`` and ``/void`` too."""
    state = service_state(request)
    fmt = choose(request.headers.get("accept"), format, _GRAPH_FORMATS)
    service = state.settings.public("/")  # configured, never the client's Host header
    links = alternates(request.url.path, _GRAPH_FORMATS)
    dataset = state.settings.public_base + "dataset"

    def described(deadline: Deadline) -> list[Triple]:
        deadline.check()
        return void_description(state, service, graph_counts(state.backend), void_source(state, deadline))

    if fmt is None:  # a person: the same triples read out
        triples = await state.executor.run(described)
        page = void_page(triples, dataset, state.settings.public_base, root_path(request))
        downloads = [a for a in links if a.media_type != "text/html"]
        return render(
            "void.html",
            headers=_headers(links),
            page=page,
            root=root_path(request),
            alternates=downloads,
            counted=INSTANCES_PER_CLASS,
        )

    def work(deadline: Deadline) -> Payload:
        quads = [Quad(t.subject, t.predicate, t.object) for t in described(deadline)]
        return write_rdf(Description(dataset, quads), fmt, deadline)

    payload = await state.executor.run(work)
    return Response(payload.body, media_type=fmt.content_type, headers=_headers(links))


# --- /lookup -------------------------------------------------------------------------------


@router.get(
    "/lookup",
    status_code=303,
    response_class=RedirectResponse,
    responses={400: {"description": "The IRI is not under the public base"}},
)
async def lookup(
    request: Request, uri: Annotated[str, Query(description="An IRI under the public base")]
) -> Response:
    """Where this service answers for ``uri`` (``void:uriLookupEndpoint``): a 303 redirect there."""
    state = service_state(request)
    href = local_href(uri, state.settings.public_base, root_path(request))
    if href is None:
        raise BadRequest(
            f"<{uri}> is not under {state.settings.public_base}; this service answers only for those"
        )
    return RedirectResponse(href, status_code=303)
