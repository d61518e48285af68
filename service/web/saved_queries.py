"""``/queries``: the saved-query library (``queries/*.rq``) as a REST API, one operation per query.

As in grlc, the API is generated from the files: :func:`register_saved_queries` adds one
``GET /queries/{name}`` route per saved query at app creation, with the query's parameters as
typed query parameters (``iri``, ``string``, ``integer``, ``decimal``, ``date``), its defaults and
its ``#+ enumerate`` values, so ``/openapi.json``, Swagger UI and the request validation all say
the same thing. Adding a ``.rq`` file adds an endpoint; no code changes.

Rules every answer follows:

- Parameter values are bound as RDF terms with the store's ``substitutions``; the query text is
  never edited (:func:`prepare` returns it unchanged). An IRI parameter must lie in one of
  :data:`ALLOWED_IRI_NAMESPACES`; anything else is refused with 400 naming the parameter.
- ``page`` (1-based) and ``per_page`` (default the query's ``#+ pagination`` header, else
  :data:`DEFAULT_PER_PAGE`; at most :data:`MAX_PER_PAGE`) pick a slice of the answer; RFC 8288
  ``Link`` headers point to the first, previous, next and last pages and
  ``Econsec-Total-Count`` gives the number of rows. The query runs whole and is sliced after,
  because paging by LIMIT/OFFSET would mean editing its text.
- Every answer names the graph release that produced it (``Econsec-Build``, and
  ``Econsec-Loaded-At`` for when the store was filled from it); the JSON bodies repeat both so a
  saved file still says where it came from.
- Evaluation runs on the executor within the query deadline, like ``/sparql``.
- ``labels=true`` with ``format=csv``, ``tsv`` or ``json`` gives the table as the page shows it
  (``service/web/result_table.py``): column titles from the query's header, names instead of
  IRIs, dates, shares and amounts written out. Without it the downloads keep the variables and
  raw values, as before.
- An empty answer says why (:func:`_explain_empty`): for each parameter, the same query is run
  without it, and the values that do have rows are offered.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlencode

from econsec.graph.paths import BASE, PREFIXES, inferred_graph
from econsec.queries import catalogue as query_catalogue
from econsec.queries import internal
from econsec.queries.catalogue import Parameter, ParameterError, SavedQuery
from econsec.queries.execute import ResultTable, python_value
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode, QuerySolution

from ..errors import BadRequest, NotAcceptable, ServiceError
from ..execution.executor import Deadline
from ..http.negotiation import MediaTyped, best_offer, root_path
from ..sparql.endpoint import TRUNCATED_HEADER
from ..sparql.writers import write_json, write_xml
from ..state import ServiceState, service_state
from ..store.base import QueryResult, ResultKind, StoreBackend, Term
from . import gallery as html_pages
from . import pages
from .charts import chart_for
from .resources import local_href
from .result_table import PeopleTable, build_table

__all__ = [
    "ALLOWED_IRI_NAMESPACES",
    "ANSWER_FORMATS",
    "BUILD_HEADER",
    "DEFAULT_PER_PAGE",
    "EXPOSED_HEADERS",
    "LOADED_HEADER",
    "MAX_PER_PAGE",
    "RESERVED_PARAMETERS",
    "TOTAL_HEADER",
    "BadParameter",
    "Prepared",
    "UnknownQuery",
    "build_router",
    "prepare",
    "register_saved_queries",
]

#: names the API itself uses; a saved query may not take a parameter of the same name
RESERVED_PARAMETERS = ("page", "per_page", "format", "labels")
DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 1000
#: at most this many IRIs per page are named by a lookup (the rest show their last segment)
MAX_NAME_LOOKUPS = 500
#: at most this many alternative values are offered when an answer is empty
MAX_ALTERNATIVES = 12
BUILD_HEADER = "Econsec-Build"
LOADED_HEADER = "Econsec-Loaded-At"
TOTAL_HEADER = "Econsec-Total-Count"
#: headers a browser script on another origin may read (CORS ``Access-Control-Expose-Headers``)
EXPOSED_HEADERS = ("Link", BUILD_HEADER, LOADED_HEADER, TOTAL_HEADER)

#: Where an IRI parameter may point: the graph's own namespace, plus the vocabularies the graph
#: actually uses (the prefixes every export is written with: QUDT currencies and units, RDF,
#: RDFS, OWL, XSD, SKOS, Dublin Core terms, PROV-O, schema.org, ORG, Data Cube, FOAF, VoID, the
#: service description) and Wikidata entities, the target of the graph's skos:exactMatch links.
#: An IRI anywhere else cannot name anything the graph knows, so it is refused rather than run.
ALLOWED_IRI_NAMESPACES: tuple[str, ...] = (
    BASE,
    *sorted({ns for ns in PREFIXES.values() if not ns.startswith(BASE)}),
    "http://www.wikidata.org/entity/",
)

_IRI_PATTERN = r"^https?://[^\s<>\"{}|\\^`]+$"
_DATE_PATTERN = r"^\d{4}(-\d{2}(-\d{2})?)?$"
_DECIMAL_PATTERN = r"^[+-]?(\d+(\.\d*)?|\.\d+)$"


class UnknownQuery(ServiceError):
    """No saved query has this name."""

    status = 404
    title = "No such saved query"

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(
            f"there is no saved query named {name!r}. GET /queries lists every saved query with its "
            "URL (or run `econsec queries list`)"
        )


class BadParameter(BadRequest):
    """A saved-query parameter is unknown, missing, of the wrong type or outside the allowed values."""

    title = "Bad parameter"

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(message)
        self.parameter = parameter

    @classmethod
    def of(cls, error: ParameterError) -> BadParameter:
        return cls(error.parameter, str(error))

    def details(self) -> dict[str, object]:
        return {"parameter": self.parameter}


# --- Binding parameters --------------------------------------------------------------------


@dataclass(frozen=True)
class Prepared:
    """What is sent to the store: the saved query's own text and the terms bound to its variables."""

    text: str
    substitutions: dict[str, Term]


def _check_namespace(parameter: Parameter, value: str) -> None:
    if parameter.type == "iri" and not value.startswith(ALLOWED_IRI_NAMESPACES):
        raise BadParameter(
            parameter.name,
            f"parameter '{parameter.name}': {value!r} is outside the namespaces this graph uses; "
            f"give an IRI starting with one of: {', '.join(ALLOWED_IRI_NAMESPACES)}",
        )


def prepare(query: SavedQuery, values: Mapping[str, str]) -> Prepared:
    """Bind ``values`` (as sent, text) to the query's parameters, or raise :class:`BadParameter`.

    Unknown names, missing values, enumeration and type violations are refused by the catalogue;
    IRIs outside :data:`ALLOWED_IRI_NAMESPACES` here. The text returned is ``query.text`` itself.
    """
    try:
        bound = query.substitutions(dict(values))
    except ParameterError as error:
        raise BadParameter.of(error) from None
    for parameter in query.parameters:
        _check_namespace(parameter, values.get(parameter.name, parameter.default or ""))
    return Prepared(query.text, {variable.value: term for variable, term in bound.items()})


def _request_values(request: Request, query: SavedQuery) -> dict[str, str]:
    """The query's parameters from the URL, as sent; unknown and repeated names are refused."""
    known = {p.name for p in query.parameters}
    values: dict[str, str] = {}
    for name in dict.fromkeys(request.query_params.keys()):
        given = request.query_params.getlist(name)
        if name not in known and name not in RESERVED_PARAMETERS:
            accepted = sorted(known) + list(RESERVED_PARAMETERS)
            raise BadParameter(
                name, f"parameter '{name}': unknown parameter; this query takes {', '.join(accepted)}"
            )
        if len(given) > 1:
            raise BadParameter(name, f"parameter '{name}': give it once, not {len(given)} times")
        if name in known:
            values[name] = given[0]
    return values


# --- Answer formats ------------------------------------------------------------------------


@dataclass(frozen=True)
class AnswerFormat(MediaTyped):
    """One way to answer: the ``format=`` key, the media type sent, and others that select it."""

    key: str
    media_type: str
    aliases: tuple[str, ...] = ()
    label: str = ""
    #: the file extension for downloads (``Content-Disposition``); None to show inline
    extension: str | None = None


#: the formats of a saved query's answer, in preference order (the first is the default)
ANSWER_FORMATS: tuple[AnswerFormat, ...] = (
    AnswerFormat("json", "application/json", (), "JSON records"),
    AnswerFormat("sparql-json", "application/sparql-results+json", (), "SPARQL JSON"),
    AnswerFormat("csv", "text/csv", (), "CSV", "csv"),
    AnswerFormat("tsv", "text/tab-separated-values", (), "TSV", "tsv"),
    AnswerFormat("sparql-xml", "application/sparql-results+xml", (), "SPARQL XML"),
    AnswerFormat("html", "text/html", ("application/xhtml+xml",), "HTML table"),
)
_LISTING_FORMATS = tuple(f for f in ANSWER_FORMATS if f.key in ("json", "html"))
_FORMAT_KEYS = tuple(f.key for f in ANSWER_FORMATS)


def _negotiate(accept: str | None, key: str | None, table: Sequence[AnswerFormat]) -> AnswerFormat:
    """The format by ``format=``, else by Accept (``http/negotiation.py``); 406 when nothing matches."""
    if key:
        for fmt in table:
            if fmt.key == key:
                return fmt
        raise NotAcceptable(f"format={key} is not available here", [f"format={f.key}" for f in table])
    best = best_offer(table, accept)
    if best is None:
        raise NotAcceptable(f"no media type in Accept: {accept} is available", [f.media_type for f in table])
    return best


def _json_default(value: object) -> object:
    if isinstance(value, Decimal):  # exact decimals as JSON numbers
        return int(value) if value == value.to_integral_value() else float(value)
    return str(value)


def _dumps(document: object) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=2, default=_json_default).encode()


# --- Running one saved query ---------------------------------------------------------------


@dataclass(frozen=True)
class _Request:
    """What one call of a saved query asked for, as the renderers need it."""

    query: SavedQuery
    fmt: AnswerFormat
    values: dict[str, str]
    page: int
    per_page: int
    build: str | None
    loaded_at: str | None
    http: Request
    #: the downloads write the table as people read it (titles, names, formatted values)
    labels: bool = False

    @property
    def parameters(self) -> dict[str, str]:
        """Every parameter's value as used: sent, or the default."""
        return {p.name: self.values.get(p.name, p.default or "") for p in self.query.parameters}

    def url(self, **changes: object) -> str:
        return str(self.http.url.include_query_params(**changes))


@dataclass(frozen=True)
class _Page:
    """One page of an answer, before it is written."""

    variables: list[str]
    solutions: list[QuerySolution]
    total: int
    pages: int
    truncated: bool
    links: html_pages.PageLinks
    #: why there are no rows, and which values have some (empty answers only)
    empty: html_pages.EmptyAnswer | None = None


def _pagination_default(query: SavedQuery) -> int:
    """The query's ``#+ pagination`` header (grlc's page size), else the service default."""
    value = query_catalogue.read_header(query.text).get("pagination")
    return min(int(value), MAX_PER_PAGE) if isinstance(value, int) and value > 0 else DEFAULT_PER_PAGE


def _page_links(req: _Request, pages: int) -> html_pages.PageLinks:
    page = req.page
    return html_pages.PageLinks(
        first=req.url(page=1),
        prev=req.url(page=min(page - 1, pages)) if page > 1 else None,
        next=req.url(page=page + 1) if page < pages else None,
        last=req.url(page=pages),
    )


def _link_header(links: html_pages.PageLinks) -> str:
    """RFC 8288 ``Link``: ``<url>; rel="next", ...``."""
    rels = (("first", links.first), ("prev", links.prev), ("next", links.next), ("last", links.last))
    return ", ".join(f'<{url}>; rel="{rel}"' for rel, url in rels if url)


def _provenance_headers(state: ServiceState) -> dict[str, str]:
    store = state.backend
    headers = {BUILD_HEADER: store.build_id or "unknown"}
    if store.loaded_at:
        headers[LOADED_HEADER] = store.loaded_at
    return headers


def _evaluate(
    store: StoreBackend, prepared: Prepared, req: _Request, deadline: Deadline, limit: int
) -> _Page:
    """Run the query whole (up to the result limit, checking the deadline per row) and cut the page."""
    deadline.check()  # it may have waited for a thread past its deadline
    result = store.query(prepared.text, substitutions=prepared.substitutions)
    if result.kind is not ResultKind.SOLUTIONS or result.solutions is None:
        raise ServiceError(f"saved query {req.query.name} is not a SELECT query")
    solutions: list[QuerySolution] = []
    truncated = False
    for solution in result.solutions:
        if len(solutions) >= limit:
            truncated = True
            break
        deadline.check()
        solutions.append(solution)
    pages = max(1, -(-len(solutions) // req.per_page))
    chosen = solutions[(req.page - 1) * req.per_page : req.page * req.per_page]
    empty = None
    if not solutions and req.fmt.key in ("html", "json"):
        empty = _explain_empty(store, prepared, req, deadline, limit)
    variables = list(result.variables)
    return _Page(variables, chosen, len(solutions), pages, truncated, _page_links(req, pages), empty)


class _Names:
    """English names of IRIs for one answer, looked up once each, at most ``MAX_NAME_LOOKUPS``
    of them, each within the answer's deadline."""

    def __init__(self, store: StoreBackend, deadline: Deadline) -> None:
        self._store = store
        self._deadline = deadline
        self._known: dict[str, str | None] = {}

    def __call__(self, iri: str) -> str | None:
        if iri not in self._known:
            if len(self._known) >= MAX_NAME_LOOKUPS:
                return None
            self._deadline.check()
            try:
                rows = list(internal.select(self._store, "english-label", this=NamedNode(iri)))
            except ValueError:
                rows = []
            self._known[iri] = rows[0]["label"].value if rows else None
        return self._known[iri]


def _explain_empty(
    store: StoreBackend, prepared: Prepared, req: _Request, deadline: Deadline, limit: int
) -> html_pages.EmptyAnswer:
    """Why an answer is empty: for each parameter, the same query without it, and the values of
    that parameter that do have rows (what a reader can pick instead)."""
    names = _Names(store, deadline)
    reasons: list[html_pages.Alternatives] = []
    for parameter in req.query.parameters:
        loose = {k: v for k, v in prepared.substitutions.items() if k != parameter.variable}
        deadline.check()
        result = store.query(prepared.text, substitutions=loose)
        if result.solutions is None:
            continue
        seen: dict[str, None] = {}
        for count, solution in enumerate(result.solutions):
            deadline.check()
            term = solution[parameter.variable] if parameter.variable in result.variables else None
            if term is not None:
                seen.setdefault(term.value, None)
            if len(seen) >= MAX_ALTERNATIVES or count >= limit:
                break
        chosen = req.parameters[parameter.name]
        offered = []
        for value in seen:
            if value == chosen:
                continue
            name = names(value) if parameter.type == "iri" else value
            offered.append((name or value, req.url(**{parameter.name: value, "page": 1})))
        reasons.append(
            html_pages.Alternatives(
                parameter=parameter.name,
                chosen=(names(chosen) if parameter.type == "iri" else chosen) or chosen,
                offered=offered,
                wildcard=parameter.type == "iri" or bool(parameter.allowed),
            )
        )
    return html_pages.EmptyAnswer(reasons)


def _choices(state: ServiceState, query: SavedQuery) -> dict[str, list[tuple[str, str]]]:
    """For each IRI parameter, the named things of the class its header declares (or, without a
    declaration, of the same kind as its default): the form offers them by name, the URL keeps
    the IRI."""
    found: dict[str, list[tuple[str, str]]] = {}
    inferred = inferred_graph(state.settings.public_base)
    for parameter in query.parameters:
        if parameter.type != "iri" or parameter.allowed:
            continue
        declared = query.parameter_classes.get(parameter.name)
        try:
            if declared is not None:
                rows = internal.select(state.backend, "parameter-choices", **{"class": NamedNode(declared)})
            elif parameter.default is not None:
                example = NamedNode(parameter.default)
                rows = internal.select(state.backend, "same-kind", example=example, inferred=inferred)
            else:
                continue
        except ValueError:
            continue
        found[parameter.name] = [
            (row["value"].value, row["label"].value if row["label"] is not None else row["value"].value)
            for row in rows
        ]
    return found


def _with_chosen(
    choices: dict[str, list[tuple[str, str]]], req: _Request, names: _Names
) -> dict[str, list[tuple[str, str]]]:
    """The choices with each parameter's current value among them (a value from a link or the
    search may lie outside the first few hundred offered), so the form shows what is asked."""
    for name, offered in choices.items():
        value = req.parameters.get(name, "")
        if value and value not in {iri for iri, _ in offered}:
            offered.insert(0, (value, names(value) or value))
    return choices


def _people_table(req: _Request, page: _Page, deadline: Deadline) -> PeopleTable:
    """This page of the answer as people read it (``service/web/result_table.py``)."""
    state = service_state(req.http)
    base, root = state.settings.public_base, root_path(req.http)
    return build_table(
        req.query,
        page.variables,
        page.solutions,
        _Names(state.backend, deadline),
        lambda iri: local_href(iri, base, root),
    )


def _gallery(req: _Request, columns: Sequence[str], deadline: Deadline) -> html_pages.Gallery:
    """What the browser page adds to the table: the parameter form, the chart, the editor link."""
    state = service_state(req.http)
    root = root_path(req.http)
    chart = chart_for(req.query, columns)
    editor = pages.editor_text(req.query)
    return html_pages.Gallery(
        name=req.query.name,
        root=root,
        public_base=state.settings.public_base,
        parameters=req.query.parameters,
        chart=chart,
        chart_missing=pages.assets_of(state.settings).missing("d3.js") if chart else (),
        sparql=req.query.text,
        editor_href=f"{root}/sparql#" + urlencode({"query": editor}, quote_via=quote),
        choices=_with_chosen(_choices(state, req.query), req, _Names(state.backend, deadline)),
        classes=dict(req.query.parameter_classes),
    )


def _render(req: _Request, page: _Page, deadline: Deadline) -> bytes:
    """One page of rows in the asked format; the SPARQL formats reuse the protocol's writers."""
    key = req.fmt.key
    if key in ("sparql-json", "sparql-xml"):
        writer = write_json if key == "sparql-json" else write_xml
        result = QueryResult(
            ResultKind.SOLUTIONS, variables=tuple(page.variables), solutions=iter(page.solutions)
        )
        return writer(result, deadline, len(page.solutions) + 1).body
    if req.labels and key in ("csv", "tsv"):
        return _people_table(req, page, deadline).to_csv(delimiter="," if key == "csv" else "\t").encode()
    rows = [[python_value(s[v]) for v in page.variables] for s in page.solutions]
    table = ResultTable(page.variables, rows, req.build)
    if key in ("csv", "tsv"):
        return table.to_csv(delimiter="," if key == "csv" else "\t").encode()
    if key == "html":
        downloads = {f.label: req.url(format=f.key) for f in ANSWER_FORMATS if f.key != "html"}
        downloads["CSV with names"] = req.url(format="csv", labels="true")
        return html_pages.result_page(
            title=req.query.summary,
            description=req.query.description,
            columns=page.variables,
            records=table.records(),
            table=_people_table(req, page, deadline),
            empty=page.empty,
            build=req.build,
            loaded_at=req.loaded_at,
            page=req.page,
            pages=page.pages,
            total=page.total,
            links=page.links,
            downloads=downloads,
            parameters=req.parameters,
            gallery=_gallery(req, page.variables, deadline),
        )
    people = _people_table(req, page, deadline) if req.labels else None
    explanation = None
    if page.empty is not None:
        explanation = [
            {"parameter": a.parameter, "chosen": a.chosen, "with_rows": [name for name, _ in a.offered]}
            for a in page.empty.reasons
        ]
    return _dumps(
        {
            "query": req.query.name,
            "build": req.build,
            "loaded_at": req.loaded_at,
            "parameters": req.parameters,
            "page": req.page,
            "per_page": req.per_page,
            "pages": page.pages,
            "total": page.total,
            "truncated": page.truncated,
            "columns": [c.title for c in people.columns] if people else page.variables,
            "rows": people.records() if people else table.records(),
            **({"empty": explanation} if explanation is not None else {}),
        }
    )


async def _answer(
    request: Request, query: SavedQuery, page: int, per_page: int, format_key: str | None, labels: bool
) -> Response:
    """Bind, evaluate within the deadline, cut the page, write it in the negotiated format."""
    state = service_state(request)
    fmt = _negotiate(request.headers.get("accept"), format_key, ANSWER_FORMATS)  # a 406 costs no query
    values = _request_values(request, query)
    prepared = prepare(query, values)
    if state.query_guard is not None:
        state.query_guard(prepared.text)
    store, limit = state.backend, state.settings.result_limit
    req = _Request(query, fmt, values, page, per_page, store.build_id, store.loaded_at, request, labels)

    def work(deadline: Deadline) -> tuple[_Page, bytes]:
        result = _evaluate(store, prepared, req, deadline, limit)
        return result, _render(req, result, deadline)

    result, body = await state.executor.run(work)
    headers = {
        "Vary": "Accept",
        "Link": _link_header(result.links),
        TOTAL_HEADER: str(result.total),
        **_provenance_headers(state),
    }
    if result.truncated:
        headers[TRUNCATED_HEADER] = str(limit)
    if fmt.extension:
        suffix = "" if result.pages == 1 else f"-page{page}"
        headers["Content-Disposition"] = f'attachment; filename="{query.name}{suffix}.{fmt.extension}"'
    return Response(body, media_type=fmt.content_type, headers=headers)


# --- Routes --------------------------------------------------------------------------------

_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "One page of the answer, in the negotiated format",
        "content": {f.media_type: {} for f in ANSWER_FORMATS},
        "headers": {
            BUILD_HEADER: {"description": "the graph release that answered", "schema": {"type": "string"}},
            LOADED_HEADER: {"description": "when the store was filled from it", "schema": {"type": "string"}},
            TOTAL_HEADER: {"description": "rows in the whole answer", "schema": {"type": "integer"}},
            "Link": {"description": "RFC 8288 first/prev/next/last pages", "schema": {"type": "string"}},
        },
    },
    400: {"description": "A bad parameter (the message and the JSON body name it)"},
    406: {"description": "No acceptable format; the body lists the available ones"},
    503: {"description": "Too many queries running and waiting; retry after Retry-After"},
    504: {"description": "The query did not finish within ECONSEC_QUERY_TIMEOUT"},
}


def _annotation(parameter: Parameter) -> tuple[Any, Any]:
    """The Python type and the ``Query`` metadata that describe one parameter to FastAPI."""
    described = {
        "iri": "an IRI under https://w3id.org/econsec/ (or in a vocabulary the graph uses: QUDT, "
        "W3C, Dublin Core, schema.org, Wikidata; GET /queries lists them)",
        "string": "text",
        "integer": "a whole number",
        "decimal": "a decimal number",
        "date": "a date: YYYY, YYYY-MM or YYYY-MM-DD",
    }[parameter.type]
    options: dict[str, Any] = {
        "alias": parameter.name,
        "description": f"{described} (grlc type {parameter.type})",
    }
    if parameter.allowed:
        return Literal[parameter.allowed], options  # type: ignore[valid-type]
    if parameter.type == "integer":
        return int, options
    if parameter.type == "iri":
        return str, {**options, "pattern": _IRI_PATTERN, "json_schema_extra": {"format": "iri"}}
    if parameter.type == "date":
        return str, {**options, "pattern": _DATE_PATTERN}
    if parameter.type == "decimal":
        return str, {**options, "pattern": _DECIMAL_PATTERN, "json_schema_extra": {"format": "decimal"}}
    return str, options


def _endpoint(query: SavedQuery) -> Callable[..., Any]:
    """A handler whose signature declares this query's parameters (read by FastAPI for validation
    and for the OpenAPI document); the values themselves are re-read from the URL as sent."""

    async def endpoint(request: Request, **kwargs: Any) -> Response:
        return await _answer(
            request, query, kwargs["page"], kwargs["per_page"], kwargs["format_"], kwargs["labels"]
        )

    keyword = inspect.Parameter.KEYWORD_ONLY
    signature = [inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=Request)]
    for index, parameter in enumerate(query.parameters):
        kind, options = _annotation(parameter)
        default: Any = inspect.Parameter.empty
        if parameter.default is not None:
            default = int(parameter.default) if kind is int else parameter.default
        signature.append(
            inspect.Parameter(
                f"p{index}", keyword, annotation=Annotated[kind, Query(**options)], default=default
            )
        )
    page_size = _pagination_default(query)
    signature += [
        inspect.Parameter(
            "page",
            keyword,
            annotation=Annotated[int, Query(ge=1, description="page of the answer, from 1")],
            default=1,
        ),
        inspect.Parameter(
            "per_page",
            keyword,
            annotation=Annotated[
                int,
                Query(ge=1, le=MAX_PER_PAGE, description=f"rows per page (at most {MAX_PER_PAGE})"),
            ],
            default=page_size,
        ),
        inspect.Parameter(
            "format_",
            keyword,
            annotation=Annotated[
                Literal[_FORMAT_KEYS] | None,  # type: ignore[valid-type]
                Query(alias="format", description="answer format, overriding Accept"),
            ],
            default=None,
        ),
        inspect.Parameter(
            "labels",
            keyword,
            annotation=Annotated[
                bool,
                Query(
                    description="csv, tsv or json as the page shows the table: column titles, names "
                    "instead of IRIs, formatted dates and figures"
                ),
            ],
            default=False,
        ),
    ]
    endpoint.__signature__ = inspect.Signature(signature)  # type: ignore[attr-defined]
    endpoint.__name__ = "saved_query_" + _operation_id(query.name)
    return endpoint


def _describe(query: SavedQuery) -> str:
    parts = [query.description or query.summary]
    if query.competency_question:
        parts.append(f"Answers competency question {query.competency_question}.")
    parts.append(
        "Answer formats (Accept or `format=`): "
        + ", ".join(f"{f.label} (`{f.key}`, {f.media_type})" for f in ANSWER_FORMATS)
        + ". Paged with `page` and `per_page`; `Link` headers point to the other pages."
    )
    return "\n\n".join(parts)


def _operation_id(name: str) -> str:
    """``cq01-us-technology-controls-on-china`` -> ``cq01_us_technology_controls_on_china``: an
    identifier every client generator can turn into a method name."""
    return re.sub(r"\W", "_", name)


def register_saved_queries(router: APIRouter, saved: Mapping[str, SavedQuery]) -> None:
    """Add ``GET /queries/{name}`` for each saved query, typed from its header and parameters.

    Refuses (``ValueError``, at startup) a query with a parameter named like one the API
    reserves (:data:`RESERVED_PARAMETERS`), which would make its URL ambiguous.
    """
    for name, query in saved.items():
        clash = sorted({p.name for p in query.parameters} & set(RESERVED_PARAMETERS))
        if clash:
            raise ValueError(f"saved query {name} has parameter(s) {clash}, reserved by the API; rename them")
        router.add_api_route(
            f"/queries/{name}",
            _endpoint(query),
            methods=[query.method if query.method in ("GET", "POST") else "GET"],
            name=f"saved-query:{name}",
            operation_id=_operation_id(name),
            summary=query.summary,
            description=_describe(query),
            tags=list(query.tags) or ["saved queries"],
            response_class=Response,
            responses=_RESPONSES,
        )


def _parameter_record(parameter: Parameter, query: SavedQuery) -> dict[str, Any]:
    return {
        "name": parameter.name,
        "type": parameter.type,
        "default": parameter.default,
        "enum": list(parameter.allowed) or None,
        "required": parameter.default is None,
        # the class an IRI parameter's values belong to (``#+ parameter_classes``), for pickers
        "class": query.parameter_classes.get(parameter.name),
    }


def build_router(saved: Mapping[str, SavedQuery] | None = None) -> APIRouter:
    """The ``/queries`` router over ``saved`` (default: every packaged ``.rq`` file)."""
    saved = dict(query_catalogue.load() if saved is None else saved)
    router = APIRouter()

    @router.get(
        "/queries",
        tags=["saved queries"],
        response_class=Response,
        responses={200: {"content": {"application/json": {}, "text/html": {}}}, 406: {}},
    )
    async def list_queries(
        request: Request,
        format: Annotated[
            Literal["json", "html"] | None, Query(description="json or html, overriding Accept")
        ] = None,
    ) -> Response:
        """Every saved query: name, summary, description, tags, competency question, parameters
        (type, default, allowed values) and the URL that runs it."""
        state = service_state(request)
        fmt = _negotiate(request.headers.get("accept"), format, _LISTING_FORMATS)
        headers = {"Vary": "Accept", **_provenance_headers(state)}
        entries = [
            {
                "name": name,
                "url": state.settings.public(request.app.url_path_for(f"saved-query:{name}")),
                "summary": query.summary,
                "description": query.description,
                "tags": list(query.tags),
                "competency_question": query.competency_question,
                "method": query.method,
                "pagination": _pagination_default(query),
                "parameters": [_parameter_record(p, query) for p in query.parameters],
            }
            for name, query in saved.items()
        ]
        if fmt.key == "html":
            body = html_pages.catalogue_page(
                (
                    html_pages.CatalogueEntry(
                        e["name"],
                        e["url"],
                        e["summary"],
                        e["description"],
                        [p["name"] for p in e["parameters"]],
                        e["tags"],
                        (chart_for(saved[e["name"]], ()) or {}).get("kind"),
                    )
                    for e in entries
                ),
                build=state.backend.build_id,
                root=root_path(request),
            )
        else:
            body = _dumps(
                {
                    "build": state.backend.build_id,
                    "loaded_at": state.backend.loaded_at,
                    "iri_namespaces": list(ALLOWED_IRI_NAMESPACES),
                    "queries": entries,
                }
            )
        return Response(body, media_type=fmt.content_type, headers=headers)

    register_saved_queries(router, saved)

    @router.get("/queries/{name}", include_in_schema=False)
    async def unknown_query(name: str) -> Response:
        """Reached only by names no saved query has (each one has its own route, matched first)."""
        raise UnknownQuery(name)

    return router
