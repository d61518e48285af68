"""The narrow test for queries that stream by construction (and so may run on a service thread)."""

from __future__ import annotations

import pytest
from econsec.service.sparql.query_shape import is_streaming

JAPAN = "<https://w3id.org/econsec/id/country/japan>"


@pytest.mark.parametrize(
    "query",
    [
        f"SELECT ?p ?o WHERE {{ {JAPAN} ?p ?o }}",
        f"select * {{ {JAPAN} ?p ?o . }}",
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10",
        'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?s WHERE { ?s rdfs:label "Japan"@en }',
        "PREFIX es: <https://w3id.org/econsec/ontology#> SELECT DISTINCT ?x WHERE { ?x a es:ExportControl } OFFSET 5 LIMIT 5",
        f"ASK {{ {JAPAN} ?p ?o }}",
        "SELECT ?s WHERE { ?s <https://w3id.org/econsec/ontology#value> 42 }",
    ],
)
def test_single_pattern_queries_stream(query: str) -> None:
    assert is_streaming(query)


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",  # a join: builds one side first
        "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o",
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?s",
        "SELECT * WHERE { ?s <http://x/p>* ?o }",  # a path
        "SELECT * WHERE { ?s ?p ?o FILTER(?o > 1) }",
        "SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } ORDER BY ?s } }",
        "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
        "SELECT * FROM <http://g> WHERE { ?s ?p ?o }",
        "CONSTRUCT WHERE { ?s ?p ?o }",
        "DESCRIBE <http://x>",
        "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o # a comment changes nothing",
        "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r } }",
        'SELECT * WHERE { ?s ?p "a\\" } ORDER BY ?s . ?x ?y ?z" }',
        "INSERT DATA { <http://a> <http://b> <http://c> }",
    ],
)
def test_anything_else_is_isolated(query: str) -> None:
    assert not is_streaming(query)


def test_a_comment_is_read_as_a_comment() -> None:
    """The lexer knows where a comment ends: words in it neither isolate a query nor hide a clause."""
    assert is_streaming("SELECT * WHERE { ?s ?p ?o } # ORDER BY ?o")
    assert not is_streaming("SELECT * WHERE { ?s ?p ?o } # LIMIT 5\nORDER BY ?o")
