"""The SPARQL 1.1 Protocol at /sparql, driven over real HTTP against a real uvicorn server.

Each test names the protocol rule it checks. Clients: plain HTTP (httpx), SPARQLWrapper, and
rdflib's SPARQLStore; answers are parsed back with pyoxigraph and rdflib, never compared as text.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading

import httpx
import pyoxigraph as ox
import pytest
import rdflib
from conftest import RunningService, module_service, post_direct
from econsec.graph.build import BuildResult
from econsec.service.execution.executor import Deadline
from econsec.service.sparql import writers
from econsec.service.store.base import QueryResult
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, TURTLE, XML, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

G = "https://w3id.org/econsec/graph/"
ES = "https://w3id.org/econsec/ontology#"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"

COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
STATES = f"""PREFIX es: <{ES}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?state ?label WHERE {{ ?state a es:State ; rdfs:label ?label . FILTER(LANG(?label) = "en") }}
ORDER BY ?state"""
STATES_GRAPH = f"""PREFIX es: <{ES}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
CONSTRUCT {{ ?state a es:State ; rdfs:label ?label }}
WHERE {{ ?state a es:State ; rdfs:label ?label . FILTER(LANG(?label) = "en") }}"""


def get(service: RunningService, query: str, **params: object) -> httpx.Response:
    headers = params.pop("headers", {})
    return httpx.get(service.sparql, params={"query": query, **params}, headers=headers, timeout=60)  # type: ignore[arg-type]


def post_form(service: RunningService, data: dict, **kwargs: object) -> httpx.Response:
    return httpx.post(service.sparql, data=data, timeout=60, **kwargs)  # type: ignore[arg-type]


def bindings(response: httpx.Response) -> list[dict[str, str]]:
    """SPARQL JSON results as plain {var: value} rows."""
    assert response.status_code == 200, response.text
    doc = response.json()
    return [{k: v["value"] for k, v in row.items()} for row in doc["results"]["bindings"]]


def count(response: httpx.Response) -> int:
    return int(bindings(response)[0]["n"])


def graph_triples(data: bytes, fmt: ox.RdfFormat) -> set[tuple[str, str, str]]:
    return {(str(q.subject), str(q.predicate), str(q.object)) for q in ox.parse(data, format=fmt)}


def expected_states(built_store: ox.Store) -> list[dict[str, str]]:
    rows = built_store.query(STATES, use_default_graph_as_union=True)
    return [{"state": r["state"].value, "label": r["label"].value} for r in rows]  # type: ignore[union-attr]


# --- the three ways to send a query -----------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_answer(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    expected = expected_states(built_store)
    assert expected, "the graph has states with English labels"
    via_get = bindings(get(sparql_service, STATES))
    via_form = bindings(post_form(sparql_service, {"query": STATES}))
    via_body = bindings(post_direct(sparql_service, STATES))
    assert via_get == via_form == via_body == expected


# --- the dataset ------------------------------------------------------------------------


def test_the_default_graph_is_the_union_of_every_named_graph(
    sparql_service: RunningService, built: BuildResult
) -> None:
    for graph in built.graphs:
        one = bindings(
            get(sparql_service, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }} LIMIT 1")
        )
        assert one, f"{graph} is empty"
        s, p, o = (one[0][k] for k in "spo")
        # the triple is visible without GRAPH, i.e. in the default graph
        seen = get(sparql_service, f"SELECT * WHERE {{ ?s ?p ?o FILTER(STR(?s) = {json.dumps(s)}) }}")
        assert {"s": s, "p": p, "o": o} in bindings(seen), (
            f"a triple of {graph} is missing from the default graph"
        )


def test_graph_still_selects_one_named_graph(sparql_service: RunningService, built: BuildResult) -> None:
    union = count(get(sparql_service, COUNT))
    for graph, triples in built.graphs.items():
        in_graph = count(
            get(sparql_service, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
        )
        assert in_graph == triples
        assert in_graph < union


def test_default_graph_uri_restricts_the_default_graph(
    sparql_service: RunningService, built: BuildResult
) -> None:
    reference = G + "reference"
    assert count(get(sparql_service, COUNT, **{"default-graph-uri": reference})) == built.graphs[reference]
    both = [reference, G + "brookings-2022"]
    restricted = count(get(sparql_service, COUNT, **{"default-graph-uri": both}))
    assert restricted == built.graphs[reference] + built.graphs[G + "brookings-2022"]
    # given only default-graph-uri, the dataset has no named graphs
    names = get(
        sparql_service,
        "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }",
        **{"default-graph-uri": reference},
    )
    assert bindings(names) == []


def test_named_graph_uri_restricts_the_named_graphs_and_empties_the_default(
    sparql_service: RunningService,
) -> None:
    named = [G + "reference", G + "inferred"]
    response = post_form(
        sparql_service,
        {"query": "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g", "named-graph-uri": named},
    )
    assert [row["g"] for row in bindings(response)] == sorted(named)
    assert count(post_form(sparql_service, {"query": COUNT, "named-graph-uri": named})) == 0


def test_protocol_graph_parameters_work_with_a_direct_post(
    sparql_service: RunningService, built: BuildResult
) -> None:
    reference = G + "reference"
    response = post_direct(sparql_service, COUNT, params={"default-graph-uri": reference})
    assert count(response) == built.graphs[reference]


def test_a_query_with_from_uses_its_own_dataset(sparql_service: RunningService, built: BuildResult) -> None:
    reference = G + "reference"
    query = f"SELECT (COUNT(*) AS ?n) FROM <{reference}> WHERE {{ ?s ?p ?o }}"
    assert count(get(sparql_service, query)) == built.graphs[reference]
    # ... and the protocol's default-graph-uri overrides the query's FROM
    inferred = G + "inferred"
    assert count(get(sparql_service, query, **{"default-graph-uri": inferred})) == built.graphs[inferred]


def test_an_invalid_graph_uri_is_a_bad_request(sparql_service: RunningService) -> None:
    response = get(sparql_service, COUNT, **{"default-graph-uri": "not an iri"})
    assert response.status_code == 400
    assert "default-graph-uri" in response.text


# --- result formats and content negotiation ---------------------------------------------

SELECT_FORMATS = {
    "json": ("application/sparql-results+json", ox.QueryResultsFormat.JSON),
    "xml": ("application/sparql-results+xml", ox.QueryResultsFormat.XML),
    "csv": ("text/csv", ox.QueryResultsFormat.CSV),
    "tsv": ("text/tab-separated-values", ox.QueryResultsFormat.TSV),
}
GRAPH_FORMATS = {
    "turtle": ("text/turtle", ox.RdfFormat.TURTLE),
    "ntriples": ("application/n-triples", ox.RdfFormat.N_TRIPLES),
    "rdfxml": ("application/rdf+xml", ox.RdfFormat.RDF_XML),
    "jsonld": ("application/ld+json", ox.RdfFormat.JSON_LD),
    "trig": ("application/trig", ox.RdfFormat.TRIG),
    "nquads": ("application/n-quads", ox.RdfFormat.N_QUADS),
}


@pytest.mark.parametrize("key", SELECT_FORMATS)
def test_select_results_in_every_format_parse_back(
    sparql_service: RunningService, built_store: ox.Store, key: str
) -> None:
    media_type, fmt = SELECT_FORMATS[key]
    response = get(sparql_service, STATES, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    if key == "csv":  # CSV has no term types: compare the text values
        rows = list(csv.DictReader(io.StringIO(response.text)))
    else:
        parsed = ox.parse_query_results(response.content, format=fmt)
        rows = [{v.value: row[v].value for v in parsed.variables} for row in parsed]  # type: ignore[union-attr]
    assert rows == expected_states(built_store)


@pytest.mark.parametrize("key", GRAPH_FORMATS)
def test_construct_results_in_every_format_parse_back(
    sparql_service: RunningService, built_store: ox.Store, key: str
) -> None:
    media_type, fmt = GRAPH_FORMATS[key]
    response = get(sparql_service, STATES_GRAPH, headers={"Accept": media_type})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    expected = built_store.query(STATES_GRAPH, use_default_graph_as_union=True)
    want = {(str(t.subject), str(t.predicate), str(t.object)) for t in expected}  # type: ignore[union-attr]
    assert want and graph_triples(response.content, fmt) == want


def test_describe_answers_with_rdf_about_the_resource(sparql_service: RunningService) -> None:
    japan = "https://w3id.org/econsec/id/country/japan"
    response = get(sparql_service, f"DESCRIBE <{japan}>", headers={"Accept": "application/n-triples"})
    assert response.status_code == 200, response.text
    triples = graph_triples(response.content, ox.RdfFormat.N_TRIPLES)
    assert triples and all(s == f"<{japan}>" for s, _, _ in triples)
    assert any(p == f"<{RDFS_LABEL}>" for _, p, _ in triples)


@pytest.mark.parametrize("key", ["json", "xml", "tsv"])
def test_result_writers_agree_with_pyoxigraph_on_awkward_values(key: str) -> None:
    """Tabs, newlines, markup, quotes, language tags, datatypes, blank nodes, unbound variables
    and triple terms: what the service writes parses back to what pyoxigraph itself writes."""
    fmt = SELECT_FORMATS[key][1]
    store = ox.Store()
    g, p = ox.NamedNode("urn:x:g"), ox.NamedNode("urn:x:p")
    for subject, value in [
        (ox.NamedNode("urn:x:a"), ox.Literal("tab\there\nnewline", language="en")),
        (ox.NamedNode("urn:x:b"), ox.Literal('<markup & "quotes">, commas')),
        (
            ox.BlankNode("b0"),
            ox.Literal("5", datatype=ox.NamedNode("http://www.w3.org/2001/XMLSchema#integer")),
        ),
        (ox.NamedNode("urn:x:c"), ox.Literal("日本", language="ja")),
    ]:
        store.add(ox.Quad(subject, p, value, g))
    query = "SELECT ?s ?o ?unbound ?t WHERE { ?s ?p ?o OPTIONAL { ?s <urn:x:none> ?unbound } BIND(TRIPLE(?s, ?p, ?o) AS ?t) }"
    ours = writers.write_json if key == "json" else writers.write_xml if key == "xml" else writers.write_tsv
    payload = ours(
        QueryResult.of(store.query(query, use_default_graph_as_union=True)), Deadline.after(60), 100
    )
    reference = store.query(query, use_default_graph_as_union=True).serialize(format=fmt)  # type: ignore[union-attr]
    parsed = [tuple(row) for row in ox.parse_query_results(payload.body, format=fmt)]  # type: ignore[union-attr]
    expected = [tuple(row) for row in ox.parse_query_results(reference, format=fmt)]  # type: ignore[union-attr, arg-type]
    assert parsed == expected and payload.count == 4 and not payload.truncated


@pytest.mark.parametrize("key", SELECT_FORMATS)
def test_ask_answers_in_every_results_format(sparql_service: RunningService, key: str) -> None:
    media_type, fmt = SELECT_FORMATS[key]
    for query, answer in [
        (f"ASK {{ ?s a <{ES}State> }}", True),
        (f"ASK {{ ?s a <{ES}NoSuchClass> }}", False),
    ]:
        response = get(sparql_service, query, headers={"Accept": media_type})
        assert response.status_code == 200, response.text
        if key in ("json", "xml"):
            assert bool(ox.parse_query_results(response.content, format=fmt)) is answer
        else:
            assert response.text.strip() == str(answer).lower()


@pytest.mark.parametrize("key", [*SELECT_FORMATS, *GRAPH_FORMATS])
def test_the_format_parameter_overrides_accept(sparql_service: RunningService, key: str) -> None:
    media_type = {**SELECT_FORMATS, **GRAPH_FORMATS}[key][0]
    query = STATES if key in SELECT_FORMATS else STATES_GRAPH
    response = get(sparql_service, query, format=key, headers={"Accept": "application/definitely-not"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type


def test_negotiation_honours_q_values_and_wildcards(sparql_service: RunningService) -> None:
    def served(accept: str, query: str = STATES) -> str:
        response = get(sparql_service, query, headers={"Accept": accept})
        assert response.status_code == 200, response.text
        return response.headers["content-type"].split(";")[0]

    assert served("text/csv;q=0.5, application/sparql-results+xml") == "application/sparql-results+xml"
    assert served("text/csv, application/sparql-results+xml;q=0.9") == "text/csv"
    assert served("text/*") == "text/csv"
    assert served("*/*") == "application/sparql-results+json"
    assert served("application/json") == "application/sparql-results+json"
    assert served("text/*, text/csv;q=0") == "text/tab-separated-values"
    assert served("*/*", STATES_GRAPH) == "text/turtle"
    assert served("application/json", STATES_GRAPH) == "application/ld+json"
    # no Accept at all: the default of the query form
    assert (
        httpx.get(sparql_service.sparql, params={"query": STATES}, headers={"Accept": ""}).status_code == 200
    )


def test_an_unsatisfiable_accept_is_406_with_the_available_types(sparql_service: RunningService) -> None:
    response = get(sparql_service, STATES, headers={"Accept": "image/png"})
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text and "text/turtle" in response.text
    # acceptable for some query form, but not for this one: SELECT results cannot be Turtle
    response = get(sparql_service, STATES, headers={"Accept": "text/turtle"})
    assert response.status_code == 406
    assert "text/csv" in response.text and "SELECT" in response.text
    response = get(sparql_service, STATES_GRAPH, format="csv")
    assert response.status_code == 406 and "format=turtle" in response.text


def test_an_unknown_format_name_is_a_bad_request(sparql_service: RunningService) -> None:
    response = get(sparql_service, STATES, format="yaml")
    assert response.status_code == 400 and "turtle" in response.text


# --- refusals --------------------------------------------------------------------------


def test_a_malformed_query_is_400_with_the_parsers_message_and_position(
    sparql_service: RunningService,
) -> None:
    response = get(sparql_service, "SELECT * WHERE { ?s ?p }")
    assert response.status_code == 400
    position = re.search(r"error at (\d+):(\d+): expected", response.text)
    assert position is not None and position.group(1) == "1", response.text
    assert (
        "SELECT * WHERE { ?s ?p }\n" in response.text and "^" in response.text
    )  # the line, a caret under it
    as_json = get(sparql_service, "SELECT *\nWHERE { ?s ?p ?o ", headers={"Accept": "application/json"})
    assert as_json.status_code == 400
    body = as_json.json()
    assert body["error"] == "Malformed query" and body["line"] == 2 and "expected" in body["message"]


def test_a_request_without_a_query_is_400(sparql_service: RunningService) -> None:
    assert post_form(sparql_service, {"default-graph-uri": G + "reference"}).status_code == 400
    assert post_form(sparql_service, {"query": ["ASK {}", "ASK {}"]}).status_code == 400


def test_an_unsupported_body_type_is_415(sparql_service: RunningService) -> None:
    for content_type in ("text/plain", "application/json", ""):
        response = httpx.post(
            sparql_service.sparql, content=b"ASK {}", headers={"Content-Type": content_type}, timeout=30
        )
        assert response.status_code == 415, content_type
        assert "application/sparql-query" in response.text


def test_sparql_update_is_refused_with_403_and_changes_nothing(sparql_service: RunningService) -> None:
    before = count(get(sparql_service, COUNT))
    insert = f'INSERT DATA {{ GRAPH <{G}reference> {{ <urn:x:a> <urn:x:b> "c" }} }}'
    delete = "DELETE WHERE { ?s ?p ?o }"
    refusals = [
        httpx.post(
            sparql_service.sparql,
            content=insert.encode(),
            headers={"Content-Type": "application/sparql-update"},
        ),
        post_form(sparql_service, {"update": insert}),
        post_form(sparql_service, {"update": delete}),
    ]
    for response in refusals:
        assert response.status_code == 403
        assert "read-only" in response.text and "no update token" in response.text
    assert get(sparql_service, COUNT, update=delete).status_code == 400  # update needs POST
    assert count(get(sparql_service, COUNT)) == before
    assert get(sparql_service, "ASK { <urn:x:a> ?p ?o }").json()["boolean"] is False


def test_cors_lets_browser_clients_read_answers(sparql_service: RunningService) -> None:
    origin = {"Origin": "https://example.org"}
    response = get(sparql_service, "ASK {}", headers=origin)
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = httpx.options(
        sparql_service.sparql,
        headers={
            **origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 200 and "POST" in preflight.headers["access-control-allow-methods"]
    refused = get(sparql_service, "SELECT", headers=origin)
    assert refused.status_code == 400 and refused.headers["access-control-allow-origin"] == "*"


# --- real clients ----------------------------------------------------------------------


def test_sparqlwrapper_select_in_json_xml_and_csv(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    expected = expected_states(built_store)
    client = SPARQLWrapper(sparql_service.sparql)
    client.setQuery(STATES)

    client.setReturnFormat(JSON)
    rows = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [{k: v["value"] for k, v in r.items()} for r in rows] == expected

    client.setReturnFormat(XML)
    document = client.queryAndConvert()  # an xml.dom.minidom Document
    uris = [node.firstChild.data for node in document.getElementsByTagName("uri")]  # type: ignore[union-attr]
    assert uris == [row["state"] for row in expected]

    client.setReturnFormat(CSV)
    text = client.queryAndConvert().decode()  # type: ignore[union-attr]
    assert list(csv.DictReader(io.StringIO(text))) == expected


def test_sparqlwrapper_ask_and_construct(sparql_service: RunningService, built_store: ox.Store) -> None:
    client = SPARQLWrapper(sparql_service.sparql)
    client.setReturnFormat(JSON)
    client.setQuery(f"ASK {{ ?s a <{ES}State> }}")
    assert client.queryAndConvert()["boolean"] is True  # type: ignore[index]

    client.setQuery(STATES_GRAPH)
    client.setReturnFormat(TURTLE)
    graph = rdflib.Graph().parse(data=client.queryAndConvert(), format="turtle")  # type: ignore[arg-type]
    expected = list(built_store.query(STATES_GRAPH, use_default_graph_as_union=True))  # type: ignore[call-overload]
    assert len(graph) == len(expected) > 0
    assert (None, rdflib.RDF.type, rdflib.URIRef(ES + "State")) in graph

    client.setMethod("POST")
    client.setReturnFormat(JSON)
    client.setQuery("SELECT WHERE {")
    with pytest.raises(QueryBadFormed, match="expected"):
        client.queryAndConvert()


def test_rdflib_sparqlstore_runs_a_select_through_the_endpoint(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    graph = rdflib.Graph(store=SPARQLStore(sparql_service.sparql))
    rows = graph.query(STATES)
    got = [{"state": str(r.state), "label": str(r.label)} for r in rows]  # type: ignore[union-attr]
    assert got == expected_states(built_store)
    assert (None, rdflib.RDF.type, rdflib.URIRef(ES + "State")) in graph
    graph.close()


# --- limits: result size, body size, timeout, admission ---------------------------------

LIMITS = {
    "ECONSEC_RESULT_LIMIT": "5",
    "ECONSEC_MAX_BODY_BYTES": "2048",
    "ECONSEC_QUERY_TIMEOUT": "3",
    "ECONSEC_MAX_CONCURRENCY": "1",
    "ECONSEC_MAX_QUEUED": "0",
}
#: a count over the cross product of every triple with every triple (about 600 million
#: solutions): no row before it ends, far past any deadline; the query worker is killed at 3 s
EXPENSIVE = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }"


#: a service with tiny limits: 5 rows, 2 KiB bodies, 3 s, one query at a time, no queue
limited = module_service("limited", LIMITS)


def test_results_stop_at_the_result_limit_and_say_so(limited: RunningService) -> None:
    response = get(limited, "SELECT * WHERE { ?s ?p ?o }")
    assert len(bindings(response)) == 5
    assert response.headers["econsec-result-truncated"] == "5"
    graph = get(limited, "CONSTRUCT WHERE { ?s ?p ?o }", format="ntriples")
    assert len(graph_triples(graph.content, ox.RdfFormat.N_TRIPLES)) == 5
    assert graph.headers["econsec-result-truncated"] == "5"
    whole = get(limited, "SELECT * WHERE { ?s ?p ?o } LIMIT 5")
    assert len(bindings(whole)) == 5 and "econsec-result-truncated" not in whole.headers


def _rows(response: httpx.Response, key: str) -> int:
    if key == "csv":
        return len(list(csv.reader(io.StringIO(response.text)))) - 1
    formats = {
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
        "tsv": ox.QueryResultsFormat.TSV,
    }
    return len(list(ox.parse_query_results(response.content, format=formats[key])))  # type: ignore[arg-type]


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
def test_a_query_worker_cuts_at_the_result_limit_in_every_format(limited: RunningService, key: str) -> None:
    """The worker writes with the engine's writer until the answer passes the limit, then with ours."""
    classes = (
        f"SELECT ?c ?label WHERE {{ ?c a <http://www.w3.org/2002/07/owl#Class> ; <{RDFS_LABEL}> ?label }}"
    )
    cut = get(limited, classes, format=key)
    assert cut.status_code == 200 and cut.headers["econsec-result-truncated"] == "5"
    assert _rows(cut, key) == 5
    whole = get(limited, classes + " LIMIT 5", format=key)
    assert "econsec-result-truncated" not in whole.headers
    assert _rows(whole, key) == 5


def test_a_body_over_the_cap_is_413(limited: RunningService) -> None:
    padding = "#" + "x" * 4096 + "\n"
    response = post_direct(limited, padding + "ASK {}")
    assert response.status_code == 413 and "2,048 bytes" in response.text
    assert post_form(limited, {"query": padding + "ASK {}"}).status_code == 413
    assert post_direct(limited, "ASK {}").status_code == 200


def test_a_query_past_the_timeout_is_504_and_cheap_queries_are_still_served(limited: RunningService) -> None:
    response = get(limited, EXPENSIVE)
    assert response.status_code == 504
    assert "3 s" in response.text and "ECONSEC_QUERY_TIMEOUT" in response.text
    # its worker was killed at the deadline: nothing runs on, and a cheap query is served at once
    assert get(limited, "ASK { ?s ?p ?o }").json()["boolean"] is True
    queries = limited.health()["queries"]
    assert queries["running"] == 0 and queries["overrunning"] == 0
    assert queries["killed_at_deadline"] >= 1


def test_a_full_queue_is_refused_with_503_at_once(limited: RunningService) -> None:
    statuses: list[int] = []
    retry_after: list[str | None] = []

    def send() -> None:
        response = get(limited, EXPENSIVE)
        statuses.append(response.status_code)
        retry_after.append(response.headers.get("retry-after"))

    clients = [threading.Thread(target=send) for _ in range(2)]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    # one query holds the only slot (and times out); with no queue the other is turned away
    assert sorted(statuses) == [503, 504]
    assert retry_after[statuses.index(503)] is not None
