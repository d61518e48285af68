"""Which queries can safely skip process isolation: the ones that stream by construction.

A query that is one triple pattern, with nothing that needs to see all of its solutions first
(no sort, group, aggregate, join, path or subquery), yields rows as the engine scans, so the
per-row deadline check stops it and the result limit bounds what it holds. Such queries (point
lookups above all, the most common request of a linked-data service) run on a service thread,
which saves the hand-off to a worker process (bench/RESULTS.md measured 22-36% more lookups per
second on threads). Everything else goes to a query worker.

The test reads the lexer's tokens (``security/lexer.py``: one linear pass, a step count and a
nesting limit, no backtracking regex over client text) and is deliberately narrow: a query it
does not recognise is isolated, so a mistake here costs speed, never safety. Comments, PREFIX
and BASE lines are fine; FROM, FILTER, OPTIONAL, SERVICE, paths and a second pattern are not.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Literal, NamedTuple

from ..errors import SparqlLexError
from ..security.lexer import Token, TokenKind, significant, tokenize

__all__ = [
    "UNREPEATABLE",
    "Lookup",
    "QueryReading",
    "Shape",
    "is_streaming",
    "layout_free",
    "lookup_form",
    "query_shape",
    "read_query",
    "shape_of",
]


class Lookup(NamedTuple):
    form: str
    """``"SELECT"`` or ``"ASK"``"""
    limit: int | None
    """the query's own LIMIT, if any"""


# --------------------------------------------------------------------------------------------
# Shapes read from the lexer's tokens. The small patterns below match one token's text each
# (bounded, no nested repetition). Terms stay narrow: IRIs without escapes, literals in plain
# double quotes without escapes, integers and decimals.

MAX_SHAPE_LENGTH = 10_000
"""Longer texts are not classified: a query this long is not a point lookup."""

_NAME_RE = re.compile(r"[A-Za-z][\w.-]*")  # a prefix as the regexes allow it
_LOCAL_RE = re.compile(r"[\w-]*")
_DECIMAL_RE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LIMIT_RE = re.compile(r"[0-9]{1,9}")


class Shape(NamedTuple):
    """A single-triple-pattern SELECT or ASK (what :func:`is_streaming` accepts)."""

    form: Literal["SELECT", "ASK"]
    limit: int | None
    """the query's own LIMIT, if any"""
    lookup: bool
    """also what :func:`lookup_form` accepts: no DISTINCT / REDUCED / OFFSET, no repeated variable"""


class _Reader:
    """A cursor over significant tokens, with the few tests the shape grammar needs."""

    def __init__(self, tokens: Sequence[Token]) -> None:
        self.tokens = significant(tokens)
        self.i = 0

    def peek(self, ahead: int = 0) -> Token | None:
        j = self.i + ahead
        return self.tokens[j] if j < len(self.tokens) else None

    def word(self, *words: str) -> str | None:
        """Consume a keyword (ASCII case-insensitive) among ``words``; return it upper-cased."""
        token = self.peek()
        if token is not None and token.kind is TokenKind.WORD and token.text.upper() in words:
            self.i += 1
            return token.text.upper()
        return None

    def punct(self, char: str) -> bool:
        token = self.peek()
        if token is not None and token.kind is TokenKind.PUNCT and token.text == char:
            self.i += 1
            return True
        return False

    def take(self) -> Token | None:
        token = self.peek()
        if token is not None:
            self.i += 1
        return token

    @property
    def done(self) -> bool:
        return self.i == len(self.tokens)


def _iri(token: Token) -> bool:
    return token.kind is TokenKind.IRI and "\\" not in token.text


def _pname(token: Token) -> bool:
    return (
        token.kind is TokenKind.PNAME
        and _NAME_RE.fullmatch(token.prefix) is not None
        and _LOCAL_RE.fullmatch(token.local or "") is not None
    )


def _term(token: Token | None) -> bool:
    """An IRI, prefixed name or variable: what may stand as subject (and predicate and object)."""
    return token is not None and (_iri(token) or _pname(token) or token.kind is TokenKind.VAR)


def _object(reader: _Reader) -> Token | None:
    """Consume an object term (a term or a literal); return its first token, None if it is not one."""
    token = reader.take()
    if token is None:
        return None
    if _term(token):
        return token
    if token.kind is TokenKind.PUNCT and token.text in "+-":
        number = reader.take()  # the regex allows a sign, written against the digits
        ok = number is not None and number.kind is TokenKind.NUMBER and number.start == token.end
        return token if ok and _DECIMAL_RE.fullmatch(number.text) else None  # type: ignore[union-attr]
    if token.kind is TokenKind.NUMBER:
        return token if _DECIMAL_RE.fullmatch(token.text) else None
    plain = token.text[:1] == '"' and not token.text.startswith('"""') and "\\" not in token.text
    if token.kind is not TokenKind.STRING or not plain:
        return None
    following = reader.peek()
    if following is not None and following.kind is TokenKind.LANG:
        reader.take()
    elif reader.punct("^"):
        datatype = reader.take() if reader.punct("^") else None
        if datatype is None or not (_iri(datatype) or _pname(datatype)):
            return None
    return token


def _pattern(reader: _Reader) -> list[Token] | None:
    """``{ s p o [.] }``: the three terms, or None."""
    if not reader.punct("{"):
        return None
    subject = reader.take()
    predicate = reader.take()
    if not _term(subject) or predicate is None:
        return None
    if not (_term(predicate) or (predicate.kind is TokenKind.WORD and predicate.text == "a")):
        return None
    obj = _object(reader)
    if obj is None:
        return None
    reader.punct(".")
    if not reader.punct("}"):
        return None
    return [subject, predicate, obj]  # type: ignore[list-item]


def query_shape(tokens: Sequence[Token]) -> Shape | None:
    """The shape of a tokenised query if it is a single-triple-pattern SELECT or ASK, else None.

    The grammar (keywords in any ASCII case, comments anywhere)::

        (PREFIX name: <iri> | BASE <iri>)*
        ( SELECT [DISTINCT | REDUCED] (* | ?var+) [WHERE] { s p o [.] } ((LIMIT | OFFSET) n){0,2}
        | ASK [WHERE] { s p o [.] } )

    Nothing else: no FROM, no SERVICE, no FILTER, no second pattern. ``lookup`` is True when the
    query is also a bounded lookup (no DISTINCT, REDUCED or OFFSET, at most one LIMIT of up to nine
    digits, no variable twice in the pattern).
    """
    reader = _Reader(tokens)
    while True:
        if reader.word("PREFIX"):
            declared, iri = reader.take(), reader.take()
            if declared is None or declared.kind is not TokenKind.PNAME or declared.local is not None:
                return None
            if _NAME_RE.fullmatch(declared.prefix) is None or iri is None or not _iri(iri):
                return None
        elif reader.word("BASE"):
            iri = reader.take()
            if iri is None or not _iri(iri):
                return None
        else:
            break
    form = reader.word("SELECT", "ASK")
    if form is None:
        return None
    lookup = True
    limit: int | None = None
    if form == "SELECT":
        if reader.word("DISTINCT", "REDUCED"):
            lookup = False
        if not reader.punct("*"):
            variables = 0
            while (token := reader.peek()) is not None and token.kind is TokenKind.VAR:
                reader.take()
                variables += 1
            if variables == 0:
                return None
    reader.word("WHERE")
    terms = _pattern(reader)
    if terms is None:
        return None
    if form == "SELECT":
        for _ in range(2):
            modifier = reader.word("LIMIT", "OFFSET")
            if modifier is None:
                break
            count = reader.take()
            if count is None or count.kind is not TokenKind.NUMBER or not count.text.isdigit():
                return None
            if modifier == "OFFSET" or limit is not None or not _LIMIT_RE.fullmatch(count.text):
                lookup = False
            else:
                limit = int(count.text)
    if not reader.done:
        return None
    names = [t.text[1:] for t in terms if t.kind is TokenKind.VAR]
    if len(set(names)) != len(names):
        lookup = False
    return Shape(form, limit, lookup)  # type: ignore[arg-type]


#: texts up to this long have their reading remembered (at most ``_SHAPES_KEPT`` of them: a few MB)
_SHAPE_CACHED_LENGTH = 1_000
_SHAPES_KEPT = 4_096

#: functions whose value changes from one evaluation to the next, and SERVICE (another endpoint's
#: data, which changes without this service knowing): a query naming one is never reused
UNREPEATABLE = frozenset({"RAND", "NOW", "UUID", "STRUUID", "BNODE", "SERVICE"})


class QueryReading(NamedTuple):
    """What one pass of the lexer tells about a query text."""

    shape: Shape | None
    """its shape when it is a single-triple-pattern SELECT or ASK (:func:`query_shape`)"""
    key: str | None
    """its meaning without its layout (:func:`layout_free`), or None when its answer must never
    be reused (a function in :data:`UNREPEATABLE`, or a text the lexer refuses or too long to read)"""


def layout_free(tokens: Sequence[Token]) -> str:
    """The significant tokens joined by single spaces: two texts that differ only in comments, line
    breaks and spacing give one string, two that differ in anything the parser reads give two.

    One kind of spacing is meaning: between punctuation characters (``<=`` is an operator, ``< =``
    a syntax error; ``^^`` a datatype, ``^ ^`` two inverse paths) and between a sign and a number
    (``-1``), so there the text's own adjacency is kept.
    """
    parts: list[str] = []
    previous: Token | None = None
    for token in tokens:
        if token.kind is TokenKind.WS or token.kind is TokenKind.COMMENT:
            continue
        if previous is not None:
            joined = (
                previous.end == token.start
                and previous.kind is TokenKind.PUNCT
                and (token.kind is TokenKind.PUNCT or token.kind is TokenKind.NUMBER)
            )
            if not joined:
                parts.append(" ")
        parts.append(token.text)
        previous = token
    return "".join(parts)


def read_query(query: str) -> QueryReading:
    """:func:`query_shape` and :func:`layout_free` of the text from one tokenisation.

    Short texts are remembered: clients repeat the same lookups all day, and reading the tokens
    in Python costs more than the engine's answer to a small lookup.
    """
    if len(query) <= _SHAPE_CACHED_LENGTH:
        return _remembered_reading(query)
    if len(query) < MAX_SHAPE_LENGTH:  # saved and analytical queries: fewer, longer, repeated too
        return _remembered_long_reading(query)
    return _UNREAD


_UNREAD = QueryReading(None, None)


def _reading(query: str) -> QueryReading:
    if len(query) >= MAX_SHAPE_LENGTH:
        return _UNREAD
    try:
        tokens = tokenize(query)
    except SparqlLexError:
        return _UNREAD
    repeatable = not any(t.kind is TokenKind.WORD and t.text.upper() in UNREPEATABLE for t in tokens)
    return QueryReading(query_shape(tokens), layout_free(tokens) if repeatable else None)


_remembered_reading = lru_cache(maxsize=_SHAPES_KEPT)(_reading)
#: at most this many texts up to ``MAX_SHAPE_LENGTH`` long are remembered (a few MB at most)
_LONG_KEPT = 256
_remembered_long_reading = lru_cache(maxsize=_LONG_KEPT)(_reading)


def shape_of(query: str) -> Shape | None:
    """:func:`query_shape` of the query text; None when it is too long or does not tokenise."""
    return read_query(query).shape


def is_streaming(query: str) -> bool:
    """True only for a single-triple-pattern SELECT or ASK (see the module docstring)."""
    return shape_of(query) is not None


def lookup_form(query: str) -> Lookup | None:
    """The form of a query the engine answers with one index step per row, else None.

    Narrower than :func:`is_streaming`: no DISTINCT / REDUCED (they drop rows, so the engine may
    scan many triples per row it returns), no OFFSET (skipped rows are scanned too) and no
    variable used twice in the pattern (``?x ?p ?x`` is a filter over a full scan), so the work
    to produce the first N rows is bounded by N.
    """
    shape = shape_of(query)
    return Lookup(shape.form, shape.limit) if shape is not None and shape.lookup else None
