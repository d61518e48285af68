"""Standard SPARQL clients in their default settings, against a real server.

Researchers use SPARQLWrapper and rdflib as they come; a setting that makes a request pass
(``setOnlyConneg``, ``returnFormat`` tweaks) would be our bug, not theirs. SPARQLWrapper sends
the format three times over (``format=``, ``output=``, ``results=``), sometimes as a short name and
a media type together; the endpoint reads them together and answers when they agree.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from urllib.parse import urlencode

import httpx
import pytest
import rdflib
from conftest import RunningService
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, JSONLD, N3, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

ES = "https://w3id.org/econsec/ontology#"
JAPAN = "https://w3id.org/econsec/id/country/japan"
SELECT = f"SELECT ?s WHERE {{ ?s a <{ES}ExportControl> }} LIMIT 3"
ASK = f"ASK {{ <{JAPAN}> ?p ?o }}"
CONSTRUCT = f"CONSTRUCT {{ <{JAPAN}> ?p ?o }} WHERE {{ <{JAPAN}> ?p ?o }} LIMIT 5"
DESCRIBE = f"DESCRIBE <{JAPAN}>"

#: every return format SPARQLWrapper 2 offers for each query form without a warning
MATRIX = [
    *((SELECT, fmt) for fmt in (JSON, XML, CSV, TSV)),
    *((ASK, fmt) for fmt in (JSON, XML, CSV, TSV)),
    *((query, fmt) for query in (CONSTRUCT, DESCRIBE) for fmt in (XML, RDFXML, TURTLE, N3, JSONLD)),
]


@pytest.mark.parametrize("method", ["GET", "POST"])
@pytest.mark.parametrize(("query", "return_format"), MATRIX)
def test_sparqlwrapper_in_its_default_mode(
    sparql_service: RunningService, query: str, return_format: str, method: str
) -> None:
    client = SPARQLWrapper(sparql_service.sparql)
    client.setQuery(query)
    client.setReturnFormat(return_format)
    client.setMethod(method)
    with warnings.catch_warnings():
        # SPARQLWrapper warns (RuntimeWarning) when an answer is not of the type it asked for
        warnings.filterwarnings("error", category=RuntimeWarning, module=r"SPARQLWrapper\.")
        converted = client.queryAndConvert()
    if query is ASK:
        if return_format == JSON:
            assert converted["boolean"] is True
        elif return_format == XML:
            assert "true" in converted.toxml()
        else:
            assert converted.decode().strip().splitlines()[-1] == "true"
    elif query is SELECT:
        if return_format == JSON:
            assert len(converted["results"]["bindings"]) == 3
        elif return_format == XML:
            assert converted.getElementsByTagName("result").length == 3
        else:
            assert len(converted.decode().strip().splitlines()) == 4  # the header and three rows
    else:
        graph = converted if isinstance(converted, rdflib.Graph) else rdflib.Graph().parse(data=converted)
        assert (rdflib.URIRef(JAPAN), None, None) in graph


def test_rdflib_sparqlstore_reads_the_endpoint(sparql_service: RunningService) -> None:
    graph = rdflib.Graph(store=SPARQLStore(sparql_service.sparql))
    rows = list(graph.query(SELECT))
    assert len(rows) == 3
    assert graph.query(ASK).askAnswer is True
    assert len(graph.query(CONSTRUCT)) == 5


def _get(service: RunningService, params: list[tuple[str, str]], **kwargs: object) -> httpx.Response:
    return httpx.get(f"{service.sparql}?{urlencode(params)}", timeout=60, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("params", "media_type"),
    [
        ([("format", "tsv"), ("format", "text/tab-separated-values")], "text/tab-separated-values"),
        ([("output", "json")], "application/sparql-results+json"),
        (
            [("format", "srx"), ("results", "application/sparql-results+xml")],
            "application/sparql-results+xml",
        ),
    ],
)
def test_format_parameters_that_agree_are_one_choice(
    sparql_service: RunningService, params: list[tuple[str, str]], media_type: str
) -> None:
    answer = _get(sparql_service, [("query", SELECT), *params])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(media_type)


@pytest.mark.parametrize(
    ("query", "spec", "media_type"),
    [
        (CONSTRUCT, "xml", "application/rdf+xml"),
        (SELECT, "xml", "application/sparql-results+xml"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "rdf+xml,application/rdf+xml", "application/rdf+xml"),
        (CONSTRUCT, "n3", "text/turtle"),
    ],
)
def test_a_format_name_means_what_it_means_for_the_query_form(
    sparql_service: RunningService, query: str, spec: str, media_type: str
) -> None:
    answer = _get(sparql_service, [("query", query), ("format", spec)])
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(media_type)


def test_format_parameters_that_contradict_each_other_are_refused(sparql_service: RunningService) -> None:
    answer = _get(sparql_service, [("query", SELECT), ("format", "json"), ("output", "csv")])
    assert answer.status_code == 400
    assert "json and csv" in answer.text


@pytest.mark.parametrize("name", ["query", "version"])
def test_a_repeated_query_or_version_is_refused_on_every_method(
    sparql_service: RunningService, name: str
) -> None:
    value = SELECT if name == "query" else "1.1"
    params = [("query", SELECT)] if name == "version" else []
    by_get = _get(sparql_service, [*params, (name, value), (name, value)])
    by_post = httpx.post(
        sparql_service.sparql,
        content=urlencode([*params, (name, value), (name, value)]),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=60,
    )
    for answer in (by_get, by_post):
        assert answer.status_code == 400, answer.text
        assert f"give {name}= once" in answer.text


def test_a_get_with_a_body_is_refused(sparql_service: RunningService) -> None:
    answer = httpx.request(
        "GET", f"{sparql_service.sparql}?{urlencode({'query': SELECT})}", content=b"x" * 10, timeout=60
    )
    assert answer.status_code == 400
    assert "no body" in answer.text


@pytest.mark.parametrize("charset", ["ISO-8859-1", "UTF-16", "x-klingon"])
def test_a_body_in_another_charset_than_utf8_is_415(sparql_service: RunningService, charset: str) -> None:
    """The protocol fixes UTF-8 (W3C protocol test bad_query_non_utf8): refuse rather than guess."""
    answer = httpx.post(
        sparql_service.sparql,
        content='SELECT ?x WHERE { BIND("café" AS ?x) }'.encode("latin-1"),
        headers={"Content-Type": f"application/sparql-query; charset={charset}"},
        timeout=60,
    )
    assert answer.status_code == 415, answer.text
    assert "charset=utf-8" in answer.text


def test_utf8_declared_in_another_spelling_is_read(sparql_service: RunningService) -> None:
    answer = httpx.post(
        sparql_service.sparql,
        content='SELECT ?x WHERE { BIND("café" AS ?x) }'.encode(),
        headers={"Content-Type": "application/sparql-query; charset=utf8", "Accept": "text/csv"},
        timeout=60,
    )
    assert answer.status_code == 200, answer.text
    assert answer.text.splitlines()[1] == "café"


@pytest.mark.parametrize("isolated", [True, False])
def test_a_query_nested_past_the_limit_is_a_400_and_the_service_stays_up(
    service_factory: Callable[..., RunningService], isolated: bool
) -> None:
    """pyoxigraph's parser overflows its stack past ~2,000 levels, killing whichever process
    parses; the endpoint refuses the text first, naming the limit, on either execution path."""
    service = service_factory(env={"ECONSEC_ISOLATE_QUERIES": "true" if isolated else "false"})
    deep = "SELECT * WHERE " + "{ " * 3000 + "?s ?p ?o " + "} " * 3000
    answer = httpx.post(
        service.sparql, content=deep, headers={"Content-Type": "application/sparql-query"}, timeout=60
    )
    assert answer.status_code == 400, answer.text
    assert "nested more than 256 deep" in answer.text
    assert _get(service, [("query", ASK)], headers={"Accept": "application/sparql-results+json"}).json()[
        "boolean"
    ]
