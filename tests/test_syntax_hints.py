"""Malformed queries are explained in words, with the spans to mark, where the 400 is built.

Each case runs pyoxigraph's own parser on the text and builds the error the service answers
with (``QuerySyntaxError.from_parser``), so the explanation is checked against the positions the
real parser reports, not against positions written into the test.
"""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from econsec.graph.paths import PREFIXES
from econsec.service.errors import QuerySyntaxError
from econsec.service.sparql.syntax_hints import MAX_EXPLAINED, condense
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


def refused(text: str) -> QuerySyntaxError:
    with pytest.raises(SyntaxError) as parsed:
        ox.Store().query(text)
    return QuerySyntaxError.from_parser(parsed.value, text)


def test_an_undeclared_known_prefix_is_named_with_the_line_to_add() -> None:
    error = refused("SELECT * WHERE {\n  ?s rdfs:label ?o\n}")
    details = error.details()
    assert details["explanation"] == (
        f"prefix rdfs: is not declared; add PREFIX rdfs: <{PREFIXES['rdfs']}> at the top of the query"
    )
    assert details["marks"] == [{"line": 2, "column": 6, "length": 10}], "the prefixed name is marked"
    assert (details["line"], details["column"]) == (2, 16), "the parser's own position is kept"


def test_an_undeclared_prefix_the_project_does_not_know_asks_for_its_namespace() -> None:
    error = refused("PREFIX es: <https://w3id.org/econsec/ontology#>\nSELECT * WHERE { ?s xyz:p ?o }")
    assert error.hint is not None
    assert error.hint.message.startswith("prefix xyz: is not declared; add PREFIX xyz: <...>")
    assert error.hint.marks[0].line == 2


def test_a_declared_prefix_is_not_blamed() -> None:
    error = refused(f"PREFIX es: <{PREFIXES['es']}>\nSELECT * WHERE {{ ?s es:p ?o ")
    assert error.hint is not None and "prefix" not in error.hint.message
    assert "never closed" in error.hint.message


def test_a_brace_never_closed_names_where_it_was_opened() -> None:
    error = refused("SELECT *\nWHERE { ?s ?p ?o ")
    assert error.hint is not None
    assert error.hint.message.startswith("the '{' opened at line 2, column 7 is never closed: add '}'")
    assert [m.as_json() for m in error.hint.marks] == [{"line": 2, "column": 7, "length": 1}]


def test_a_bracket_closed_by_the_wrong_one_names_both() -> None:
    error = refused("SELECT * WHERE { ?s ?p ?o . FILTER(?o > 3 }")
    assert error.hint is not None
    assert error.hint.message == (
        "the '(' opened at line 1, column 35 is not closed before the '}' at line 1, column 43: add ')'"
    )


def test_a_closer_with_nothing_to_close() -> None:
    error = refused("SELECT * WHERE { ?s ?p ?o } }")
    assert error.hint is not None and error.hint.message.startswith("'}' at line 1, column 29 closes nothing")


def test_a_misspelt_keyword_gets_the_keyword() -> None:
    error = refused("SELECT * WHERE { ?s ?p ?o } ORDR BY ?s")
    assert error.hint is not None and error.hint.message.endswith("did you mean ORDER?")


def test_other_mistakes_get_the_parsers_words_without_character_ranges() -> None:
    error = refused("SELECT ?s WHERE { ?s ?p ?o } GROUP BY")
    assert error.hint is not None
    assert error.hint.message.startswith("the query cannot be read at line 1, column 38")
    assert "\\u{" not in error.hint.message and "a name" in error.hint.message


def test_the_text_body_leads_with_the_explanation_and_keeps_the_parsers_position() -> None:
    error = refused("SELECT * WHERE { ?s rdfs:label ?o }")
    body = error.text()
    first = body.splitlines()[0]
    assert first.startswith("Malformed query: prefix rdfs: is not declared")
    assert "error at 1:31: expected" in body and "\\u{" not in body
    assert "   1 | SELECT * WHERE { ?s rdfs:label ?o }" in body, "the line, with a caret under it"


def test_columns_count_characters_as_the_parser_does() -> None:
    error = refused('SELECT * WHERE { ?s ?p "日本語" . ?s rdfs:label ?o }')
    assert error.hint is not None and error.hint.marks[0].column == 35


def test_condense_folds_character_classes() -> None:
    raw = "error at 2:10: expected one of \",\", \".\", ['0' ..= '9' | '\\u{00B7}'], ['A' ..= 'Z' | 'a' ..= 'z'], [_]"
    assert condense(raw) == 'error at 2:10: expected one of ",", ".", a number, a name'


def test_text_the_lexer_refuses_keeps_the_parsers_words() -> None:
    error = refused('SELECT * WHERE { ?s ?p "open }')
    assert error.hint is not None and error.hint.message.startswith("the query cannot be read at line 1")


def test_a_long_query_gets_the_parsers_words_and_a_window_of_its_line() -> None:
    text = "SELECT * WHERE { " + "?s ?p ?o . " * 12_000 + "?s rdfs:label ?o }"
    assert len(text) > MAX_EXPLAINED
    error = refused(text)
    assert error.hint is not None and error.hint.message.startswith("the query cannot be read at line 1")
    assert all(len(line) < 300 for line in error.text().splitlines()), "no line of the answer is the query"
    excerpt = error.excerpt() or ""
    source, caret = excerpt.splitlines()
    assert source[caret.index("^")] == " ", "the caret stays under the parser's column (after rdfs:label)"
    assert source[caret.index("^") - 10 : caret.index("^")] == "rdfs:label"


def test_a_triple_pattern_without_its_object_is_named() -> None:
    error = refused("SELECT * WHERE {\n  ?s ?p ?o .\n  ?x ?y\n}")
    assert error.hint is not None
    assert error.hint.message == (
        "the triple pattern at line 3, column 3 ('?x ?y') has no object: add one after its predicate"
    )


def test_two_patterns_without_a_dot_between_them() -> None:
    error = refused("SELECT * WHERE {\n  ?s a <http://example.org/C>\n  ?s ?p ?o\n}")
    assert error.hint is not None
    assert error.hint.message.startswith("two triple patterns run together at line 3, column 3")
    assert [m.line for m in error.hint.marks] == [3, 2]


def test_values_rows_are_not_taken_for_patterns() -> None:
    error = refused("SELECT * WHERE { VALUES ?x { 1 2 3 4 } ?x ?p }")
    assert error.hint is not None and "triple pattern" not in error.hint.message


_PIECES = (
    "SELECT", "*", "WHERE", "{", "}", "(", ")", "[", "]", ".", ";", ",", "?s", "?p", "?o", "a",
    "rdfs:label", "es:", "xyz:q", "PREFIX", "es:", "<http://x/>", '"t"', "@en", "^^", "1", "2.5",
    "FILTER", "VALUES", "OPTIONAL", "SELEC", "ORDR", "BY", "\n", "\r\n", "#c\n", "日本", "'", '"',
)  # fmt: skip


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_PIECES), max_size=30))
def test_any_malformed_text_gets_an_explanation_and_marks_inside_it(pieces: list[str]) -> None:
    text = " ".join(pieces)
    try:
        ox.Store().query(text)
    except SyntaxError as exc:
        error = QuerySyntaxError.from_parser(exc, text)
    else:
        return
    assert error.hint is not None and error.hint.message
    lines = text.split("\n")
    for mark in error.hint.marks:
        assert 1 <= mark.line <= len(lines) and 1 <= mark.column <= len(lines[mark.line - 1]) + 1
    assert error.text().startswith("Malformed query: ")
