"""The saved-query REST API (``/queries``), against a real ``econsec serve`` on a loopback port.

Every saved query answers through ``GET /queries/{name}`` with the answers the source documents
give (the checks in ``expectations.py``, shared with the in-process competency tests); each
answer format; paging with RFC 8288 ``Link`` headers; the header naming the build; 400s that name
the parameter; parameters bound as terms, so injection attempts are refused or inert and the store
never changes; one OpenAPI operation per saved query; 404 and 406.
"""

from __future__ import annotations

import csv
import hashlib
import io
import xml.etree.ElementTree as ET
from collections.abc import Callable
from decimal import Decimal
from functools import partial

import expectations
import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService
from econsec.graph.build import BuildResult
from econsec.queries import catalogue
from econsec.queries.catalogue import QUERY_DIR, SavedQuery
from econsec.service.web.saved_queries import (
    ALLOWED_IRI_NAMESPACES,
    BUILD_HEADER,
    LOADED_HEADER,
    MAX_PER_PAGE,
    TOTAL_HEADER,
    BadParameter,
    build_router,
    prepare,
    register_saved_queries,
)
from fastapi import APIRouter, FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SAVED = catalogue.load()
ANALYST_VIEWS = ("export-control-alignment", "dependence-table", "actor-network", "entity-lookup")
JAPAN = "https://w3id.org/econsec/id/country/japan"


def get(service: RunningService, path: str, *, accept: str | None = None, **params: object) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return httpx.get(service.base + path, params=params, headers=headers, timeout=60)


def api_runner(service: RunningService) -> Callable[..., expectations.Rows]:
    """Rows of a saved query through the API (SPARQL JSON, one page holding the whole answer)."""

    def run(name: str, **params: str) -> expectations.Rows:
        response = get(service, f"/queries/{name}", format="sparql-json", per_page=MAX_PER_PAGE, **params)
        assert response.status_code == 200, response.text
        assert int(response.headers[TOTAL_HEADER]) <= MAX_PER_PAGE, "the whole answer fits on one page"
        document = response.json()
        names = document["head"]["vars"]
        return [
            {n: b[n]["value"] if n in b else None for n in names} for b in document["results"]["bindings"]
        ]

    return run


def store_rows(store: ox.Store, name: str, **params: str) -> expectations.Rows:
    """Rows of a saved query evaluated in process on the build, its text untouched."""
    query = catalogue.get(name)
    solutions = store.query(
        query.text, substitutions=query.substitutions(params), use_default_graph_as_union=True
    )
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]


def store_size(service: RunningService) -> tuple[int, int]:
    """Quads in the named graphs and triples in the default graph, counted by the service itself."""
    counts = []
    for query in (
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    ):
        response = httpx.get(service.sparql, params={"query": query}, timeout=60)
        assert response.status_code == 200, response.text
        counts.append(int(response.json()["results"]["bindings"][0]["n"]["value"]))
    return counts[0], counts[1]


# --- Every saved query gives the documents' answers ----------------------------------------


def test_every_saved_query_has_expected_answers() -> None:
    assert set(expectations.CHECKS) == set(SAVED), "each saved query needs checks in expectations.py"


@pytest.mark.parametrize("name", sorted(SAVED))
def test_saved_query_answers_through_the_api(sparql_service: RunningService, name: str) -> None:
    for check in expectations.CHECKS[name]:
        check(api_runner(sparql_service))


@pytest.mark.parametrize("name", ANALYST_VIEWS)
def test_analyst_view_answers_over_the_build(built_store: ox.Store, name: str) -> None:
    for check in expectations.CHECKS[name]:
        check(partial(store_rows, built_store))


# --- The catalogue ---------------------------------------------------------------------------


def test_listing_describes_every_query_with_typed_parameters(sparql_service: RunningService) -> None:
    response = get(sparql_service, "/queries")
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/json")
    listing = response.json()
    assert listing["build"] == sparql_service.health()["build_id"]
    assert listing["iri_namespaces"][0] == "https://w3id.org/econsec/"
    assert "http://qudt.org/vocab/currency/" in listing["iri_namespaces"]
    entries = {e["name"]: e for e in listing["queries"]}
    assert set(entries) == set(SAVED)
    actor = entries["cq19-actor-profile"]
    assert actor["competency_question"] == 19 and "profile" in actor["tags"] and actor["method"] == "GET"
    assert actor["parameters"] == [
        {
            "name": "actor",
            "type": "iri",
            "default": JAPAN,
            "enum": None,
            "required": False,
            "class": "https://w3id.org/econsec/ontology#Actor",  # the header's parameter_classes
        }
    ]
    relation = entries["actor-network"]["parameters"][0]
    assert relation["name"] == "relation" and relation["type"] == "string" and relation["default"] == "any"
    assert relation["enum"][:3] == ["any", "member-of", "convenes"]
    assert entries["entity-lookup"]["pagination"] == 50
    assert get(sparql_service, "/queries/cq19-actor-profile").status_code == 200
    assert httpx.get(entries["dependence-table"]["url"], timeout=60).status_code == 200


def test_listing_as_html(sparql_service: RunningService) -> None:
    response = get(sparql_service, "/queries", accept="text/html")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    for name in SAVED:
        assert f'href="{sparql_service.base}/queries/{name}"' in response.text


# --- Formats -----------------------------------------------------------------------------------

SPENDING = "/queries/cq08-semiconductor-spending"


def test_json_records_carry_python_values_and_the_build(
    sparql_service: RunningService, built: BuildResult
) -> None:
    response = get(sparql_service, SPENDING)  # no Accept: JSON records
    assert response.headers["content-type"] == "application/json"
    body = response.json()
    assert body["build"] == built.build_id and body["query"] == "cq08-semiconductor-spending"
    assert body["loaded_at"] == sparql_service.health()["loaded_at"]
    japan = next(r for r in body["rows"] if r["countryLabel"] == "Japan")
    assert japan["amount"] == 3_900_000_000_000 and japan["years"] == 3
    assert Decimal(str(japan["shareOfGDP"])) == Decimal("0.71")
    assert body["total"] == 4 and body["columns"][:2] == ["_currency_iri", "country"]


def test_sparql_json(sparql_service: RunningService) -> None:
    response = get(sparql_service, SPENDING, accept="application/sparql-results+json")
    assert response.headers["content-type"] == "application/sparql-results+json"
    bindings = response.json()["results"]["bindings"]
    japan = next(b for b in bindings if b["countryLabel"]["value"] == "Japan")
    assert japan["country"] == {"type": "uri", "value": JAPAN}
    assert japan["shareOfGDP"]["datatype"] == "http://www.w3.org/2001/XMLSchema#decimal"


def test_sparql_xml(sparql_service: RunningService) -> None:
    response = get(sparql_service, SPENDING, accept="application/sparql-results+xml")
    assert response.headers["content-type"] == "application/sparql-results+xml"
    ns = "{http://www.w3.org/2005/sparql-results#}"
    assert len(ET.fromstring(response.content).findall(f"{ns}results/{ns}result")) == 4


@pytest.mark.parametrize(("accept", "delimiter"), [("text/csv", ","), ("text/tab-separated-values", "\t")])
def test_csv_and_tsv_for_spreadsheets(sparql_service: RunningService, accept: str, delimiter: str) -> None:
    response = get(sparql_service, SPENDING, accept=accept)
    assert response.headers["content-type"] == f"{accept}; charset=utf-8"
    assert "attachment" in response.headers["content-disposition"]
    rows = {r["countryLabel"]: r for r in csv.DictReader(io.StringIO(response.text), delimiter=delimiter)}
    assert set(rows) == {"Japan", "United States", "Germany", "France"}
    assert rows["France"]["amount"] == "700000000000" and rows["France"]["shareOfGDP"] == "0.2"
    assert rows["Japan"]["country"] == JAPAN


def test_html_table_is_accessible(sparql_service: RunningService, built: BuildResult) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = get(sparql_service, SPENDING, accept=browser)
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    page = response.text
    assert '<html lang="en">' in page and "<caption>" in page
    # column titles are words, and a country is its name linked to its page (issue 15)
    assert '<th scope="col" data-column="country">Country</th>' in page
    assert '<a href="/id/country/japan" title="https://w3id.org/econsec/id/country/japan">Japan</a>' in page
    assert built.build_id in page
    assert "format=csv" in page, "the page links its downloads"


def test_format_parameter_overrides_accept(sparql_service: RunningService) -> None:
    response = get(sparql_service, SPENDING, accept="text/html", format="csv")
    assert response.headers["content-type"].startswith("text/csv")


def test_html_escapes_what_it_shows(sparql_service: RunningService) -> None:
    response = get(sparql_service, "/queries/entity-lookup", format="html", text="<script>alert(1)</script>")
    assert response.status_code == 200
    assert "<script>" not in response.text and "&lt;script&gt;" in response.text


# --- Build header ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["json", "sparql-json", "csv", "tsv", "sparql-xml", "html"])
def test_every_answer_names_the_build(sparql_service: RunningService, built: BuildResult, fmt: str) -> None:
    response = get(sparql_service, "/queries/cq03-retaliation", format=fmt)
    assert response.status_code == 200
    assert response.headers[BUILD_HEADER] == built.build_id
    assert response.headers[LOADED_HEADER] == sparql_service.health()["loaded_at"]


def test_browser_scripts_on_other_origins_can_read_the_headers(sparql_service: RunningService) -> None:
    response = httpx.get(
        sparql_service.base + "/queries/cq03-retaliation",
        headers={"Origin": "https://example.org"},
        timeout=60,
    )
    exposed = {h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")}
    assert {"link", BUILD_HEADER.lower(), TOTAL_HEADER.lower()} <= exposed


# --- Pagination ------------------------------------------------------------------------------

NETWORK = "/queries/actor-network"


def test_pages_and_link_headers(sparql_service: RunningService) -> None:
    whole = get(sparql_service, NETWORK, per_page=MAX_PER_PAGE).json()
    total = whole["total"]
    assert total > 100
    per_page = 50
    last = -(-total // per_page)
    seen: list[dict] = []
    for page in range(1, last + 1):
        response = get(sparql_service, NETWORK, page=page, per_page=per_page)
        assert response.status_code == 200
        assert int(response.headers[TOTAL_HEADER]) == total
        links = response.links
        assert "page=1" in links["first"]["url"] and f"page={last}" in links["last"]["url"]
        assert ("prev" in links) == (page > 1) and ("next" in links) == (page < last)
        if page < last:
            assert f"page={page + 1}" in links["next"]["url"] and "per_page=50" in links["next"]["url"]
        body = response.json()
        assert body["page"] == page and body["pages"] == last
        seen += body["rows"]
    assert seen == whole["rows"], "the pages together are the whole answer, in order"
    beyond = get(sparql_service, NETWORK, page=last + 1, per_page=per_page)
    assert beyond.status_code == 200 and beyond.json()["rows"] == []
    assert f"page={last}" in beyond.links["prev"]["url"]


def test_page_size_defaults_to_the_pagination_header(sparql_service: RunningService) -> None:
    assert get(sparql_service, NETWORK).json()["per_page"] == 200  # `#+ pagination: 200`
    assert get(sparql_service, "/queries/entity-lookup").json()["per_page"] == 50
    assert get(sparql_service, "/queries/cq01-us-technology-controls-on-china").json()["per_page"] == 100


@pytest.mark.parametrize(
    ("params", "named"), [({"per_page": MAX_PER_PAGE + 1}, "per_page"), ({"page": 0}, "page")]
)
def test_page_parameters_out_of_range(sparql_service: RunningService, params: dict, named: str) -> None:
    response = get(sparql_service, NETWORK, **params)
    assert response.status_code == 400 and named in response.text


# --- Bad parameters: 400 naming the parameter -------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "parameter", "words"),
    [
        ("/queries/cq19-actor-profile", {"actor": "Japan"}, "actor", "pattern"),  # wrong type: not an IRI
        (
            "/queries/cq19-actor-profile",
            {"actor": "https://example.org/japan"},
            "actor",
            "outside the namespaces",
        ),
        ("/queries/cq19-actor-profile", {"country": JAPAN}, "country", "unknown parameter"),
        (NETWORK, {"relation": "friends-with"}, "relation", "member-of"),  # not in the enumeration
        ("/queries/cq19-actor-profile", {"actor": [JAPAN, JAPAN]}, "actor", "once"),
    ],
)
def test_bad_parameters_are_refused_naming_them(
    sparql_service: RunningService, path: str, params: dict, parameter: str, words: str
) -> None:
    response = get(sparql_service, path, accept="application/json", **params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert parameter in body["message"] and words in body["message"]
    if "parameter" in body:
        assert body["parameter"] == parameter


def test_typed_parameters_are_checked_before_binding() -> None:
    query = catalogue.parse(
        "typed",
        "#+ summary: typed\n#+ defaults:\n#+   - year: 2022\n"
        "SELECT ?_n_integer ?_d_decimal ?_when_date ?_year_integer WHERE {}",
    )
    good = prepare(query, {"n": "3", "d": "1.5", "when": "2023-03"})
    xsd = "http://www.w3.org/2001/XMLSchema#"
    assert good.substitutions["_n_integer"] == ox.Literal("3", datatype=ox.NamedNode(xsd + "integer"))
    assert good.substitutions["_year_integer"] == ox.Literal("2022", datatype=ox.NamedNode(xsd + "integer"))
    assert good.substitutions["_when_date"].datatype.value.endswith("#gYearMonth")
    for values, named in (
        ({"n": "three", "d": "1", "when": "2023"}, "n"),
        ({"n": "1", "d": "one", "when": "2023"}, "d"),
        ({"n": "1", "d": "1", "when": "March 2023"}, "when"),
        ({"d": "1", "when": "2023"}, "n"),  # required, no default
    ):
        with pytest.raises(BadParameter) as refused:
            prepare(query, values)
        assert refused.value.parameter == named


def test_openapi_types_match_the_header() -> None:
    typed = catalogue.parse(
        "typed",
        "#+ summary: Typed parameters\n#+ tags: [demo]\n#+ defaults:\n#+   - n: 5\n"
        "#+ enumerate:\n#+   - colour: [red, green]\n"
        "SELECT ?_n_integer ?_when_date ?_colour ?_thing_iri WHERE {}",
    )
    app = FastAPI()
    app.include_router(build_router({"typed": typed}))
    operation = app.openapi()["paths"]["/queries/typed"]["get"]
    params = {p["name"]: p for p in operation["parameters"]}
    assert params["n"]["schema"]["type"] == "integer" and params["n"]["schema"]["default"] == 5
    assert params["when"]["required"] and "pattern" in params["when"]["schema"]
    assert params["colour"]["schema"]["enum"] == ["red", "green"]
    assert params["thing"]["schema"]["format"] == "iri"
    assert operation["tags"] == ["demo"] and operation["summary"] == "Typed parameters"


def test_a_parameter_named_like_a_reserved_one_is_refused() -> None:
    clash = catalogue.parse("clash", "#+ summary: clash\nSELECT ?_page_integer WHERE {}")
    with pytest.raises(ValueError, match="reserved"):
        register_saved_queries(APIRouter(), {"clash": clash})


# --- Injection: values are bound as terms, never pasted into the text ------------------------

INJECTIONS = [
    '"} ; DROP ALL ; #',
    'x" ) } DELETE WHERE { ?s ?p ?o } #',
    "Japan'\n} INSERT DATA { <https://w3id.org/econsec/x> <https://w3id.org/econsec/y> 1 } #",
    "# comment",
    "{ }",
    "<https://w3id.org/econsec/id/country/japan>",
    "\\u0022 } ; CLEAR DEFAULT",
]
IRI_INJECTIONS = [
    JAPAN + "> } ; DROP ALL ; #",
    JAPAN + ">\n<https://w3id.org/econsec/id/country/china",
    JAPAN + '" } #',
    JAPAN + "{ }",
    JAPAN + "#> ?p ?o } #",
]


def _file_digest() -> str:
    return hashlib.sha256(b"".join(p.read_bytes() for p in sorted(QUERY_DIR.glob("*.rq")))).hexdigest()


def test_injection_attempts_are_refused_or_inert(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    before, digest = store_size(sparql_service), _file_digest()
    for value in INJECTIONS:
        response = get(
            sparql_service, "/queries/entity-lookup", format="sparql-json", per_page=MAX_PER_PAGE, text=value
        )
        assert response.status_code == 200, response.text
        bindings = response.json()["results"]["bindings"]
        assert all(b["_text"]["value"] == value for b in bindings), "the value is one literal, as sent"
        expected = {r["entity"] for r in store_rows(built_store, "entity-lookup", text=value)}
        assert {b["entity"]["value"] for b in bindings} == expected
    for value in IRI_INJECTIONS:
        response = get(sparql_service, "/queries/cq19-actor-profile", actor=value)
        assert response.status_code == 400 and "actor" in response.text, value
    # a '#' is legal in an IRI (a fragment): bound as one IRI, it names nothing the graph knows
    fragment = get(sparql_service, "/queries/cq19-actor-profile", actor=JAPAN + "#x")
    assert fragment.status_code == 200 and fragment.json()["rows"] == []
    assert store_size(sparql_service) == before, "the store is unchanged"
    assert _file_digest() == digest


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.text(min_size=1, max_size=40))
def test_any_text_is_bound_as_one_literal(
    sparql_service: RunningService, built_store: ox.Store, value: str
) -> None:
    """Property: whatever the text, the service answers exactly what the unaltered query answers
    with that text bound as one literal, and the store does not change."""
    before = store_size(sparql_service)
    response = get(
        sparql_service, "/queries/entity-lookup", format="sparql-json", per_page=MAX_PER_PAGE, text=value
    )
    assert response.status_code == 200, response.text
    bindings = response.json()["results"]["bindings"]
    assert all(b["_text"]["value"] == value for b in bindings)
    expected = {r["entity"] for r in store_rows(built_store, "entity-lookup", text=value)}
    assert {b["entity"]["value"] for b in bindings} == expected
    assert store_size(sparql_service) == before


@settings(max_examples=200, deadline=None)
@given(value=st.text(max_size=60), name=st.sampled_from(sorted(SAVED)))
def test_binding_never_alters_the_query_text(value: str, name: str) -> None:
    """Property: for any value of any parameter, what goes to the store is the file's text, verbatim,
    and the value arrives as a single term (or is refused, naming the parameter)."""
    query: SavedQuery = SAVED[name]
    for parameter in query.parameters:
        try:
            prepared = prepare(query, {parameter.name: value})
        except BadParameter as refused:
            assert refused.parameter == parameter.name
            continue
        assert prepared.text is query.text
        term = prepared.substitutions[parameter.variable]
        assert term.value == value
        if parameter.type == "iri":
            assert value.startswith(ALLOWED_IRI_NAMESPACES)


# --- OpenAPI -----------------------------------------------------------------------------------


def test_openapi_has_one_operation_per_saved_query(sparql_service: RunningService) -> None:
    document = get(sparql_service, "/openapi.json").json()
    for name, query in SAVED.items():
        operation = document["paths"][f"/queries/{name}"]["get"]
        assert operation["operationId"] == name.replace("-", "_") and operation["summary"] == query.summary
        assert operation["tags"] == list(query.tags)
        params = {p["name"]: p for p in operation["parameters"]}
        assert [p["name"] for p in operation["parameters"]].count("page") == 1
        assert {"page", "per_page", "format"} <= set(params)
        for parameter in query.parameters:
            schema = params[parameter.name]["schema"]
            assert schema.get("default") == parameter.default
            if parameter.allowed:
                assert schema["enum"] == list(parameter.allowed)
            elif parameter.type == "iri":
                assert schema["format"] == "iri" and schema["pattern"].startswith("^https?://")
        assert "text/csv" in operation["responses"]["200"]["content"]
    relation = next(
        p for p in document["paths"]["/queries/actor-network"]["get"]["parameters"] if p["name"] == "relation"
    )
    assert "holds-post-in" in relation["schema"]["enum"]
    assert get(sparql_service, "/docs").status_code == 200


# --- 404 and 406 -------------------------------------------------------------------------------


def test_unknown_query_is_404_saying_how_to_find_names(sparql_service: RunningService) -> None:
    response = get(sparql_service, "/queries/no-such-query")
    assert response.status_code == 404
    assert "no-such-query" in response.text and "GET /queries" in response.text


@pytest.mark.parametrize("path", [SPENDING, "/queries"])
def test_unsupported_accept_is_406_listing_formats(sparql_service: RunningService, path: str) -> None:
    response = get(sparql_service, path, accept="image/png")
    assert response.status_code == 406
    assert "application/json" in response.text and "text/html" in response.text
