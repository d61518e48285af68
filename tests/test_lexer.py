"""The SPARQL lexer (service/security/lexer.py): spargebra's reading, linear work, a nesting limit.

The federation guard's tests (test_federation_guard.py) check the lexer through the guard against
the real engine; these check its public interface and its bounds. Work is counted in the scan's
``steps`` (characters examined), never timed.
"""

from __future__ import annotations

import pytest
from econsec.service.errors import BadRequest, NestingTooDeep, SparqlLexError
from econsec.service.security.lexer import (
    MAX_DEPTH,
    TokenKind,
    at_brace_depth,
    matching,
    scan_text,
    significant,
    tokenize,
)
from econsec.service.write.sparql_update import refuse_load
from hypothesis import given, settings
from hypothesis import strategies as st


def kinds_and_texts(text: str) -> list[tuple[str, str]]:
    return [(t.kind.value, t.text) for t in significant(tokenize(text))]


# --- spargebra's lexical rules ------------------------------------------------------------------


def test_tokens_of_a_query() -> None:
    assert kinds_and_texts('SELECT ?s WHERE { ?s ex:p "a\\"b"@en , 1.5e3 . } # done') == [
        ("word", "SELECT"),
        ("var", "?s"),
        ("word", "WHERE"),
        ("punct", "{"),
        ("var", "?s"),
        ("pname", "ex:p"),
        ("string", '"a\\"b"'),
        ("lang", "@en"),
        ("punct", ","),
        ("number", "1.5e3"),
        ("punct", "."),
        ("punct", "}"),
    ]


def test_a_prefixed_name_ends_after_its_first_dot_group() -> None:
    assert kinds_and_texts("ex:a.b.c") == [("pname", "ex:a.b"), ("punct", "."), ("word", "c")]


def test_a_comment_ends_at_carriage_return() -> None:
    assert kinds_and_texts("#x\rSERVICE") == [("word", "SERVICE")]


def test_unicode_escapes_are_decoded_inside_iris_only() -> None:
    (iri,) = significant(tokenize("<http://x/\\u0041>"))
    assert iri.kind is TokenKind.IRI and iri.decoded == "http://x/A"
    (forbidden,) = significant(tokenize("<http://x/\\u0020>"))
    assert forbidden.decoded is None  # a space cannot be in an IRI, escaped or not


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("1.", [("number", "1"), ("punct", ".")]),
        ("1.e5", [("number", "1.e5")]),
        (".5", [("number", ".5")]),
        ("1e", [("number", "1"), ("word", "e")]),
        ("1.5.3", [("number", "1.5"), ("number", ".3")]),
        ("1SERVICE", [("number", "1"), ("word", "SERVICE")]),
    ],
)
def test_numbers_end_where_spargebra_ends_them(text: str, expected: list[tuple[str, str]]) -> None:
    assert kinds_and_texts(text) == expected


def test_less_than_before_a_quote_in_parentheses_is_ambiguous() -> None:
    text = "SELECT * WHERE { FILTER(?a <'> ) # '\n}"
    scan = scan_text(text)
    position = text.index("<")
    assert scan.ambiguous == [position]
    assert ("comment", "# '") in [(t.kind.value, t.text) for t in scan.tokens]
    other = scan_text(text, less_than_at=frozenset({position}))
    assert ("string", "'> ) # '") in [(t.kind.value, t.text) for t in other.tokens]


def test_kinds_compare_equal_to_their_names() -> None:
    assert TokenKind.WORD == "word"
    assert TokenKind.IRI in {"iri"}


# --- helpers ------------------------------------------------------------------------------------


def test_matching_finds_the_closing_bracket() -> None:
    tokens = significant(tokenize("{ ( { } ) [ ] } }"))
    assert matching(tokens, 0) == 7
    assert matching(tokens, 1) == 4
    assert matching(tokens, 5) == 6
    assert matching(significant(tokenize("{ {")), 0) is None
    with pytest.raises(ValueError):
        matching(tokens, 3)


def test_at_brace_depth_yields_the_top_level_tokens() -> None:
    tokens = tokenize("INSERT { GRAPH <g> { ?s ?p ?o } } WHERE { ?s ?p ?o }")
    assert [t.text for _, t in at_brace_depth(tokens, 0)] == ["INSERT", "WHERE"]
    assert [t.text for _, t in at_brace_depth(tokens, 1)] == ["GRAPH", "<g>", "?s", "?p", "?o"]


# --- errors are typed ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ['"unterminated', "'''never closed", "a \\ b", '"bad \\q escape"'])
def test_unreadable_text_is_a_typed_400(text: str) -> None:
    with pytest.raises(SparqlLexError) as info:
        tokenize(text)
    assert isinstance(info.value, BadRequest) and info.value.status == 400
    assert 0 <= info.value.offset < len(text)


@given(st.text(max_size=300))
@settings(max_examples=400, deadline=None)
def test_property_random_text_raises_nothing_but_the_typed_error(text: str) -> None:
    _scans_or_refuses(text)


@given(st.text(alphabet="<>'\"#?$_:.0123456789eE+-(){}[]\\ \n\raSERVICE", max_size=300))
@settings(max_examples=400, deadline=None)
def test_property_sparql_alphabet_raises_nothing_but_the_typed_error(text: str) -> None:
    _scans_or_refuses(text)


def _scans_or_refuses(text: str) -> None:
    """Any text either scans, its tokens covering it in order and without gaps, within three steps
    a character, or is refused with the typed error (anything else escapes the ``except``)."""
    try:
        scan = scan_text(text)
    except SparqlLexError:
        return
    assert "".join(t.text for t in scan.tokens) == text
    assert scan.steps <= 3 * len(text)


# --- bounded by design --------------------------------------------------------------------------

ADVERSARIAL = {
    "long whitespace": "SELECT ?a" + " " * 100_000 + "x",
    "unclosed iris": "<a" * 50_000,
    "long strings then an iri opener": ("'a' " * 25_000) + "<",
    "quotes in long strings": "'''" + "''a" * 33_000 + "'''",
    "digits and dots": "1." * 50_000,
    "dots in prefixed names": "ex:a" + ".a" * 50_000,
    "comment lines": "#x\r" * 33_000,
    "ambiguous less-than": "(?a <'>) # '\n" * 7_000,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_work_is_linear_on_adversarial_input(name: str) -> None:
    text = ADVERSARIAL[name]
    assert len(text) >= 90_000
    try:
        scan = scan_text(text)
    except SparqlLexError:
        return  # refused: the typed error, no RecursionError, no other exception
    assert scan.steps <= 3 * len(text), f"{name}: {scan.steps} steps for {len(text)} characters"


@pytest.mark.parametrize("opener", ["(", "{", "["])
def test_nesting_beyond_the_limit_is_refused_with_a_typed_error(opener: str) -> None:
    closer = {"(": ")", "{": "}", "[": "]"}[opener]
    text = opener * 5_000 + closer * 5_000
    with pytest.raises(NestingTooDeep) as info:
        scan_text(text)
    assert info.value.limit == MAX_DEPTH
    assert info.value.offset == MAX_DEPTH  # the first bracket too many, not the end of the text
    assert isinstance(info.value, BadRequest)
    at_limit = opener * MAX_DEPTH + closer * MAX_DEPTH
    assert len(tokenize(at_limit)) == 2 * MAX_DEPTH


def test_deep_update_is_refused_before_the_engine_parses_it() -> None:
    """pyoxigraph 0.5.13's parser recurses: 3,000 nested braces crash the process. 400 instead."""
    update = "INSERT { " + "{ " * 3_000 + "} " * 3_000 + "} WHERE {}"
    with pytest.raises(NestingTooDeep):
        refuse_load(update)
