"""The token-based query shape (is_streaming, lookup_form) gives the answers the whole-text
regexes it replaced gave, for every query of ``test_streaming.py`` and the lookup cases of
``test_inline_lookups.py``. The one deliberate difference: a comment is harmless to the lexer,
which knows where it ends, while the regexes refused any comment (and backtracked on long text).
"""

from __future__ import annotations

import pytest
from econsec.service.security.lexer import tokenize
from econsec.service.sparql.query_shape import Lookup, Shape, is_streaming, lookup_form, query_shape, shape_of

JAPAN = "<https://w3id.org/econsec/id/country/japan>"

STREAMING = [
    f"SELECT ?p ?o WHERE {{ {JAPAN} ?p ?o }}",
    f"select * {{ {JAPAN} ?p ?o . }}",
    "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 10",
    'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?s WHERE { ?s rdfs:label "Japan"@en }',
    "PREFIX es: <https://w3id.org/econsec/ontology#> SELECT DISTINCT ?x WHERE { ?x a es:ExportControl } OFFSET 5 LIMIT 5",
    f"ASK {{ {JAPAN} ?p ?o }}",
    "SELECT ?s WHERE { ?s <https://w3id.org/econsec/ontology#value> 42 }",
]

ISOLATED = [
    "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o",
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?s WHERE { ?s ?p ?o } GROUP BY ?s",
    "SELECT * WHERE { ?s <http://x/p>* ?o }",
    "SELECT * WHERE { ?s ?p ?o FILTER(?o > 1) }",
    "SELECT * WHERE { { SELECT * WHERE { ?s ?p ?o } ORDER BY ?s } }",
    "SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }",
    "SELECT * WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r } }",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o # a comment changes nothing",
    "SELECT * FROM <http://g> WHERE { ?s ?p ?o }",
    "CONSTRUCT WHERE { ?s ?p ?o }",
    "DESCRIBE <http://x>",
    'SELECT * WHERE { ?s ?p "a\\" } ORDER BY ?s . ?x ?y ?z" }',
    "INSERT DATA { <http://a> <http://b> <http://c> }",
]

NOT_LOOKUPS = [
    "SELECT DISTINCT ?p WHERE { ?s ?p ?o }",
    "SELECT REDUCED ?p WHERE { ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } OFFSET 1000000",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1 OFFSET 1000000",
    "SELECT ?s WHERE { ?s ?p $s }",
    "SELECT ?s WHERE { ?s ?s ?o }",
    "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o",
    "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
    "SELECT * WHERE { ?s <http://x/p>+ ?o }",
]

MORE = [
    "SELECT * WHERE { ?s ?p -4.5 } LIMIT 3",
    'SELECT * WHERE { ?s ?p "x"^^<http://www.w3.org/2001/XMLSchema#string> }',
    "BASE <http://example.org/> SELECT * WHERE { <a> ?p ?o }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT 1234567890",
    "SELECT * WHERE { ?s ?p ?o . ?s ?p ?o }",
    "SELECT * WHERE { ?s ?p 'single quotes' }",
    "SELECT * WHERE { ?s ?p ?o } LIMIT",
    "SELECT WHERE { ?s ?p ?o }",
    "ASK { ?s ?p ?o } LIMIT 1",
]


#: what the whole-text regexes that the token reading replaced answered for MORE (shape, lookup)
MORE_ANSWERS = [
    (Shape("SELECT", 3, True), Lookup("SELECT", 3)),
    (Shape("SELECT", None, True), Lookup("SELECT", None)),
    (Shape("SELECT", None, True), Lookup("SELECT", None)),
    (Shape("SELECT", None, False), None),  # a LIMIT past nine digits is no lookup budget
    (None, None),
    (None, None),
    (None, None),
    (None, None),
    (None, None),
]


@pytest.mark.parametrize(("query", "answers"), zip(MORE, MORE_ANSWERS, strict=True))
def test_edge_cases_keep_the_regexes_answers(query: str, answers: tuple[Shape | None, Lookup | None]) -> None:
    shape, lookup = answers
    assert shape_of(query) == shape
    assert is_streaming(query) is (shape is not None)
    assert lookup_form(query) == lookup


@pytest.mark.parametrize("query", NOT_LOOKUPS)
def test_queries_that_may_scan_without_answering_are_not_lookups(query: str) -> None:
    assert lookup_form(query) is None


@pytest.mark.parametrize("query", STREAMING)
def test_single_pattern_queries_have_a_shape(query: str) -> None:
    """They stream by construction, so they may run on a service thread."""
    assert query_shape(tokenize(query)) is not None
    assert is_streaming(query)


@pytest.mark.parametrize("query", ISOLATED)
def test_anything_else_has_none(query: str) -> None:
    """Everything else goes to a query worker."""
    assert query_shape(tokenize(query)) is None
    assert not is_streaming(query)


def test_a_comment_does_not_change_the_shape() -> None:
    """The lexer reads past a comment, so the query keeps its shape (the old regexes refused any)."""
    query = "SELECT * WHERE { ?s ?p ?o } # ORDER BY ?o"
    assert is_streaming(query)
    assert shape_of(query) == Shape("SELECT", None, True)
    assert not is_streaming("SELECT * WHERE { ?s ?p ?o } # LIMIT 5\nORDER BY ?o")
    commented = "# who\nPREFIX ex: <http://example.org/> # the vocabulary\nASK { ex:a ?p ?o } # done"
    assert shape_of(commented) == Shape("ASK", None, True)


def test_keywords_inside_strings_and_iris_do_not_count() -> None:
    query = 'SELECT ?s WHERE { ?s <http://x/SERVICE> "ORDER BY ?o . ?x ?y ?z" } LIMIT 5'
    assert shape_of(query) == Shape("SELECT", 5, True)


def test_limit_and_lookup_flags() -> None:
    assert shape_of("SELECT * WHERE { ?s ?p ?o } LIMIT 7") == Shape("SELECT", 7, True)
    assert shape_of("SELECT DISTINCT * WHERE { ?s ?p ?o } LIMIT 7") == Shape("SELECT", 7, False)
    assert shape_of("SELECT * WHERE { ?s ?p ?o } OFFSET 2") == Shape("SELECT", None, False)


def test_long_or_unreadable_text_has_no_shape() -> None:
    assert shape_of("SELECT * WHERE { ?s ?p ?o }" + " " * 10_000) is None
    assert shape_of('SELECT * WHERE { ?s ?p "unterminated }') is None
