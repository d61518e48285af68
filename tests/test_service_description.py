"""A plain GET on /sparql describes the service (SPARQL 1.1 Service Description), by content negotiation."""

from __future__ import annotations

import httpx
import pytest
import rdflib
from conftest import RunningService
from econsec.graph.build import BuildResult
from econsec.service.sparql.formats import FORMATS
from rdflib import RDF, Namespace, URIRef
from rdflib.compare import isomorphic

SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = Namespace("http://rdfs.org/ns/void#")

SYNTAXES = {
    "text/turtle": "turtle",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/n-triples": "nt",
}


def description(service: RunningService, accept: str | None = None) -> tuple[httpx.Response, rdflib.Graph]:
    headers = {"Accept": accept} if accept else {}
    response = httpx.get(service.sparql, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    media_type = response.headers["content-type"].split(";")[0]
    return response, rdflib.Graph().parse(data=response.content, format=SYNTAXES[media_type])


def test_the_description_is_turtle_by_default_and_names_the_endpoint(sparql_service: RunningService) -> None:
    response, graph = description(sparql_service)
    assert response.headers["content-type"].startswith("text/turtle")
    service = URIRef(sparql_service.sparql)
    assert (service, RDF.type, SD.Service) in graph
    assert (service, SD.endpoint, service) in graph
    assert (service, SD.supportedLanguage, SD.SPARQL11Query) in graph
    # a browser (text/html first, */* after) gets the editor page (tests/test_pages.py), not a 406
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    assert httpx.get(sparql_service.sparql, headers={"Accept": browser}).status_code == 200


def test_the_description_says_the_default_graph_is_the_union(sparql_service: RunningService) -> None:
    _, graph = description(sparql_service)
    assert (URIRef(sparql_service.sparql), SD.feature, SD.UnionDefaultGraph) in graph


def test_every_served_result_format_is_listed(sparql_service: RunningService) -> None:
    _, graph = description(sparql_service)
    listed = set(graph.objects(URIRef(sparql_service.sparql), SD.resultFormat))
    assert listed == {URIRef(f.iri) for f in FORMATS}


def test_every_named_graph_is_listed_with_its_triple_count(
    sparql_service: RunningService, built: BuildResult
) -> None:
    _, graph = description(sparql_service)
    (dataset,) = graph.objects(URIRef(sparql_service.sparql), SD.defaultDataset)
    named = {}
    for entry in graph.objects(dataset, SD.namedGraph):
        assert (entry, RDF.type, SD.NamedGraph) in graph
        name = graph.value(entry, SD.name)
        triples = graph.value(graph.value(entry, SD.graph), VOID.triples)
        named[str(name)] = int(triples)  # type: ignore[arg-type]
    assert named == built.graphs
    default = graph.value(dataset, SD.defaultGraph)
    union = int(graph.value(default, VOID.triples))  # type: ignore[arg-type]
    assert max(built.graphs.values()) < union <= sum(built.graphs.values())


@pytest.mark.parametrize("accept", ["application/ld+json", "application/rdf+xml", "application/n-triples"])
def test_the_description_in_other_syntaxes_is_the_same_graph(
    sparql_service: RunningService, accept: str
) -> None:
    _, turtle = description(sparql_service)
    response, other = description(sparql_service, accept)
    assert response.headers["content-type"].split(";")[0] == accept
    assert isomorphic(turtle, other)


def test_the_format_parameter_and_an_unsatisfiable_accept(sparql_service: RunningService) -> None:
    response = httpx.get(
        sparql_service.sparql, params={"format": "jsonld"}, headers={"Accept": "text/turtle"}
    )
    assert response.headers["content-type"].startswith("application/ld+json")
    refused = httpx.get(sparql_service.sparql, headers={"Accept": "application/sparql-results+json"})
    assert refused.status_code == 406 and "text/turtle" in refused.text
