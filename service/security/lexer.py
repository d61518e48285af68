"""A SPARQL lexer that reads text the way pyoxigraph's parser (spargebra 0.5) does.

Two modules need to see SPARQL as the engine will: the federation guard (``federation.py``), which
must find every place the engine could read ``SERVICE`` or ``LOAD``, and the write path
(``write/sparql_update.py``), which slices an update into operations and clauses. Both read the
same tokens, so the rules that make a guard bypassable when they drift from the engine's
(comments end at ``\\r`` as well as ``\\n``; ``\\uXXXX`` is decoded only inside IRIs and strings;
a prefixed name ends after its first dot group: ``ex:a.b.c`` is ``ex:a.b`` ``.`` ``c``) are
written once, here. The federation module docstring lists the measurements behind them.

Usage::

    scan = scan_text(text)  # or tokenize(text) for the tokens alone
    for token in significant(scan.tokens):
        if token.kind is TokenKind.WORD and token.text.upper() == "WHERE":
            ...

Bounded by design
-----------------
The lexer runs in time linear in its input and never recurses, so a hostile request costs no
more than reading it:

* every regular expression is anchored at the current position and its repetition is possessive
  (``*+``): it never gives characters back, so it cannot backtrack, and the alternatives inside a
  repetition start with different characters (an escape starts with ``\\``, which the plain
  alternative excludes), so there is one way to match;
* the scanner only moves forward: a regular expression reads the *body* of a token and the
  scanner checks the terminator itself, so it knows how far each attempt read. The sum of those
  distances is :attr:`Scan.steps`, which the tests bound by a small multiple of the input length
  for adversarial inputs, instead of timing them;
* nesting (``(``, ``[``, ``{``) deeper than :data:`MAX_DEPTH` is refused with
  :class:`~econsec.service.errors.NestingTooDeep`. The lexer itself keeps a counter, not a stack,
  but the engine's parser recurses: measured with pyoxigraph 0.5.13, a query nested 3,000 braces
  deep kills the process with a segmentation fault (2,000 parses). Refusing at 256 leaves every
  real query alone (the saved queries nest at most 4 deep) and keeps the callers that hand the
  text on far from that edge;
* operators (``||``, ``&&``, path ``|`` and ``/``, arithmetic) beyond :data:`MAX_OPERATORS` in
  one text are refused with :class:`~econsec.service.errors.ExpressionTooLong`: a flat chain of
  them is as deep for the engine's evaluator as nesting (10,000 ``||`` overflow its stack; 8,000
  pass on a service thread), so the limit keeps a margin of four.

Every failure is a :class:`~econsec.service.errors.SparqlLexError` (a ``BadRequest``, so 400),
never another exception: a property test feeds random text to :func:`scan_text`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, NamedTuple

from ..errors import ExpressionTooLong, NestingTooDeep, SparqlLexError

__all__ = [
    "IRI_FORBIDDEN",
    "MAX_DEPTH",
    "Scan",
    "Token",
    "TokenKind",
    "at_brace_depth",
    "matching",
    "scan_text",
    "significant",
    "tokenize",
]

MAX_DEPTH: Final = 256
#: operator tokens (each ``|``, ``&``, ``+``, ``-``, ``*``, ``/``) one text may hold
MAX_OPERATORS: Final = 4_000
_OPERATORS: Final = frozenset("|&+-*/")
"""Deepest nesting of ``(``, ``[`` and ``{`` (together) that :func:`scan_text` accepts."""

IRI_FORBIDDEN: Final = frozenset('<>"{}|^`\\') | frozenset(chr(i) for i in range(0x21))
"""Characters an IRI cannot hold once its ``\\u`` escapes are decoded."""


class TokenKind(StrEnum):
    """What a token is. A ``StrEnum``: ``token.kind == "word"`` reads as well as ``is TokenKind.WORD``."""

    WS = "ws"
    COMMENT = "comment"
    IRI = "iri"  # <...>, with \u escapes
    STRING = "string"  # the four quoted forms, quotes included
    LANG = "lang"  # @en-GB after a string
    VAR = "var"  # ?name or $name
    BNODE = "bnode"  # _:label
    NUMBER = "number"  # unsigned: a sign is punctuation
    PNAME = "pname"  # prefix:local or prefix:
    WORD = "word"  # keywords, "a", true/false, function names: letters without a colon
    PUNCT = "punct"  # one character: { } ( ) [ ] . ; , * ^ < > = ! + - / | & ? ...


class Token(NamedTuple):
    """One token: its kind, its place in the text (``text[start:end]``) and, for some kinds, parts.

    A named tuple rather than a frozen dataclass: a query is a few dozen tokens read on every
    request that misses the caches, and a frozen dataclass costs about twice as much to build.
    """

    kind: TokenKind
    start: int
    end: int
    text: str
    prefix: str = ""
    """a prefixed name's prefix, without the colon"""
    local: str | None = None
    """a prefixed name's local part; None for a bare ``ex:``"""
    decoded: str | None = None
    """an IRI's value with ``\\u`` escapes decoded; None when that cannot be an IRI"""


@dataclass(slots=True)
class Scan:
    """The result of :func:`scan_text`: the tokens, the ambiguous ``<`` positions, the work done."""

    tokens: list[Token]
    ambiguous: list[int] = field(default_factory=list)
    """offsets of ``<`` that the engine may read as less-than where this scan read an IRI, and where
    the two readings disagree about what is a string or a comment (see ``less_than_at``)"""
    steps: int = 0
    """characters examined, summed over every attempt to read a token: linear in the input"""


# spargebra 0.5's character classes (SPARQL 1.1 grammar, productions 164-172).
_PN_CHARS_BASE: Final = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd"
)
_PN_CHARS_U: Final = "_" + _PN_CHARS_BASE
_PN_CHARS: Final = "\\-0-9\u00b7\u0300-\u036f\u203f-\u2040" + _PN_CHARS_U
_VARNAME_TAIL: Final = "0-9\u00b7\u0300-\u036f\u203f-\u2040" + _PN_CHARS_U
_PLX: Final = r"(?:%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%])"
_UCHAR: Final = r"\\u[0-9A-Fa-f]{4}|\\U[0-9A-Fa-f]{8}"
_ECHAR: Final = r"\\[tbnrf\"'\\]"

_WS_RE: Final = re.compile(r"[ \t\r\n]++")
_COMMENT_RE: Final = re.compile(r"#[^\r\n]*+")
# Token bodies: the scanner checks the closing '>' or quotes itself, so it knows where each stopped.
_IRI_BODY_RE: Final = re.compile(r'(?:[^<>"{}|^`\\\x00-\x20]|' + _UCHAR + r")*+")
_STRING_FORMS: Final = (  # (quote, body): long forms first, as the grammar's longest match wants
    ("'''", re.compile(r"(?:(?:''|')?+(?:[^'\\]|" + _ECHAR + "|" + _UCHAR + r"))*+")),
    ('"""', re.compile(r'(?:(?:""|")?+(?:[^"\\]|' + _ECHAR + "|" + _UCHAR + r"))*+")),
    ("'", re.compile(r"(?:[^'\\\n\r]|" + _ECHAR + "|" + _UCHAR + r")*+")),
    ('"', re.compile(r'(?:[^"\\\n\r]|' + _ECHAR + "|" + _UCHAR + r")*+")),
)
_LANG_RE: Final = re.compile(r"@[a-zA-Z]++(?:-[a-zA-Z0-9]++)*+(?:--[a-zA-Z]++)?+")
_VAR_RE: Final = re.compile(f"[?$][{_PN_CHARS_U}0-9][{_VARNAME_TAIL}]*+")
_BNODE_RE: Final = re.compile(f"_:[{_PN_CHARS_U}0-9][{_PN_CHARS}]*+(?:\\.++[{_PN_CHARS}]++)*+")
# Digits, then an optional fraction, then an optional exponent, each read once (no alternation
# that would re-read the digits); the scanner trims what spargebra would not take.
_NUMBER_RE: Final = re.compile(r"[0-9]*+(?:\.[0-9]*+)?+(?:[eE][+-]?+[0-9]++)?+")
_PN_BASE_CHAR_RE: Final = re.compile(f"[{_PN_CHARS_BASE}]")
_PN_PREFIX_RE: Final = re.compile(f"[{_PN_CHARS_BASE}][{_PN_CHARS}]*+(?:\\.++[{_PN_CHARS}]++)*+")
# spargebra's PN_LOCAL allows a single dot group: "ex:a.b.c" lexes as "ex:a.b" "." "c".
_PN_LOCAL_RE: Final = re.compile(
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:[{_PN_CHARS}:]|{_PLX})*+(?:\\.++(?:[{_PN_CHARS}:]|{_PLX})++)?+"
)
_UCHAR_RE: Final = re.compile(_UCHAR)
_ESCAPE_IN_IRI_RE: Final = re.compile("['#]")
_OPERAND_KINDS: Final = frozenset(
    {
        TokenKind.VAR,
        TokenKind.NUMBER,
        TokenKind.STRING,
        TokenKind.LANG,
        TokenKind.IRI,
        TokenKind.PNAME,
        TokenKind.WORD,
        TokenKind.BNODE,
    }
)
_OPENERS: Final = {"(": ")", "[": "]", "{": "}"}
_CLOSERS: Final = frozenset(_OPENERS.values())


def _decode_iri(content: str) -> str | None:
    """Decode ``\\u`` escapes as spargebra does; None if the result cannot be an IRI."""
    out: list[str] = []
    pos = 0
    for m in _UCHAR_RE.finditer(content):
        out.append(content[pos : m.start()])
        code = int(m.group()[2:], 16)
        if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        out.append(chr(code))
        pos = m.end()
    out.append(content[pos:])
    value = "".join(out)
    if not IRI_FORBIDDEN.isdisjoint(value):  # any forbidden character (checked in C, per character)
        return None
    return value


def _number_end(text: str, start: int, read_to: int) -> int:
    """Where spargebra's number ends, within what ``_NUMBER_RE`` read: a dot needs digits after it."""
    token = text[start:read_to]
    mantissa, _, _exponent = token.partition("e") if "e" in token else token.partition("E")
    if "." in mantissa:
        whole, fraction = mantissa.split(".", 1)
        if not fraction and len(mantissa) < len(token):
            return read_to  # "1.e5": digits, a dot and an exponent are one DOUBLE
        if not fraction:
            return start + len(whole)  # "1." is the number 1 and a dot (the end of a triple)
    return read_to


def scan_text(text: str, *, less_than_at: frozenset[int] = frozenset(), max_depth: int = MAX_DEPTH) -> Scan:
    """Tokenise ``text``; raise :class:`SparqlLexError` (or :class:`NestingTooDeep`) if it cannot be.

    ``less_than_at`` lists offsets of ``<`` to read as the less-than operator even where an IRI
    could start there: the federation guard lexes a second time with the positions of
    :attr:`Scan.ambiguous` to see the engine's other possible reading.
    """
    tokens: list[Token] = []
    scan = Scan(tokens)
    n = len(text)
    i = 0
    depth = 0  # ( [ { together, for the nesting limit
    parens = 0  # ( only: inside parentheses '<' can be an operator
    last: Token | None = None  # last significant token
    steps = 0

    append = tokens.append  # a few dozen tokens per query, on every request the caches miss

    def add(kind: TokenKind, start: int, end: int) -> None:
        nonlocal last
        last = Token(kind, start, end, text[start:end])
        append(last)

    while i < n:
        c = text[i]
        start = i
        if c in " \t\r\n":
            end = _WS_RE.match(text, i).end()  # type: ignore[union-attr]
            append(Token(TokenKind.WS, i, end, text[i:end]))  # not ``last``: not significant
        elif c == "#":
            end = _COMMENT_RE.match(text, i).end()  # type: ignore[union-attr]
            append(Token(TokenKind.COMMENT, i, end, text[i:end]))
        elif c == "<":
            body_end = _IRI_BODY_RE.match(text, i + 1).end()  # type: ignore[union-attr]
            steps += body_end - i
            if body_end < n and text[body_end] == ">" and i not in less_than_at:
                body = text[i + 1 : body_end]
                operand_before = last is not None and (
                    last.kind in _OPERAND_KINDS or (last.kind is TokenKind.PUNCT and last.text in ")]}")
                )
                if parens > 0 and operand_before and _ESCAPE_IN_IRI_RE.search(body):
                    # The engine may read this '<' as less-than; then a string or comment starts
                    # inside what is lexed here as an IRI. The guard explores both readings.
                    scan.ambiguous.append(i)
                end = body_end + 1
                last = Token(TokenKind.IRI, i, end, text[i:end], "", None, _decode_iri(body))
                append(last)
            else:
                end = i + 1
                add(TokenKind.PUNCT, i, end)
        elif c in "\"'":
            for quote, body_re in _STRING_FORMS:
                if not text.startswith(quote, i):
                    continue
                body_end = body_re.match(text, i + len(quote)).end()  # type: ignore[union-attr]
                steps += body_end - i
                if text.startswith(quote, body_end):
                    end = body_end + len(quote)
                    break
            else:
                raise SparqlLexError("unterminated or malformed string", offset=i)
            add(TokenKind.STRING, i, end)
            if end < n and text[end] == "@":
                lang = _LANG_RE.match(text, end)
                if lang is not None:
                    add(TokenKind.LANG, end, lang.end())
                    end = lang.end()
        elif c in "?$":
            m = _VAR_RE.match(text, i)
            end = m.end() if m else i + 1
            add(TokenKind.VAR if m else TokenKind.PUNCT, i, end)
        elif c == "_" and text.startswith("_:", i):
            m = _BNODE_RE.match(text, i)
            end = m.end() if m else i + 1
            add(TokenKind.BNODE if m else TokenKind.PUNCT, i, end)
        elif "0" <= c <= "9" or (c == "." and i + 1 < n and "0" <= text[i + 1] <= "9"):
            read_to = _NUMBER_RE.match(text, i).end()  # type: ignore[union-attr]
            steps += read_to - i
            end = _number_end(text, i, read_to)
            add(TokenKind.NUMBER, i, end)
        elif c == ":" or _PN_BASE_CHAR_RE.match(c):
            m = _PN_PREFIX_RE.match(text, i) if c != ":" else None
            j = m.end() if m is not None else i
            if j < n and text[j] == ":":
                lm = _PN_LOCAL_RE.match(text, j + 1)
                end = lm.end() if lm is not None else j + 1
                local = lm.group() if lm is not None else None
                last = Token(TokenKind.PNAME, i, end, text[i:end], text[i:j], local)
                append(last)
            else:
                end = j
                add(TokenKind.WORD, i, end)
        elif c == "\\":
            raise SparqlLexError("backslash outside a string, IRI or prefixed name", offset=i)
        else:
            if c in _OPENERS:
                depth += 1
                if depth > max_depth:
                    raise NestingTooDeep(max_depth, offset=i)
                parens += c == "("
            elif c in _CLOSERS:
                depth = max(0, depth - 1)
                if c == ")":
                    parens = max(0, parens - 1)
            end = i + 1
            add(TokenKind.PUNCT, i, end)
        steps += end - start
        i = end
    scan.steps = steps
    return scan


def tokenize(text: str) -> list[Token]:
    """Every token of ``text``, whitespace and comments included (see :func:`scan_text`)."""
    return scan_text(text).tokens


def significant(tokens: Sequence[Token]) -> list[Token]:
    """The tokens without whitespace and comments: what the grammar reads."""
    return [t for t in tokens if t.kind is not TokenKind.WS and t.kind is not TokenKind.COMMENT]


def matching(tokens: Sequence[Token], i: int) -> int | None:
    """The index of the token that closes the bracket opened at ``tokens[i]``, or None if unclosed.

    Only brackets of the same kind are counted: a ``{`` is closed by the ``}`` at the same brace
    depth whatever parentheses stand between (the scan refused unbalanced nesting beyond
    :data:`MAX_DEPTH`, not unbalanced text: that is the engine's to report).
    """
    opener = tokens[i].text
    closer = _OPENERS.get(opener) if tokens[i].kind is TokenKind.PUNCT else None
    if closer is None:
        raise ValueError(f"token {i} is {opener!r}, not an opening bracket")
    depth = 0
    for j in range(i, len(tokens)):
        token = tokens[j]
        if token.kind is not TokenKind.PUNCT:
            continue
        if token.text == opener:
            depth += 1
        elif token.text == closer:
            depth -= 1
            if depth == 0:
                return j
    return None


def at_brace_depth(tokens: Sequence[Token], depth: int = 0) -> Iterator[tuple[int, Token]]:
    """``(index, token)`` for the significant tokens at brace depth ``depth`` (0: outside every ``{}``)."""
    current = 0
    for index, token in enumerate(tokens):
        if token.kind is TokenKind.PUNCT and token.text == "{":
            current += 1
            continue
        if token.kind is TokenKind.PUNCT and token.text == "}":
            current -= 1
            continue
        if current == depth and token.kind is not TokenKind.WS and token.kind is not TokenKind.COMMENT:
            yield index, token


def needs_nesting_scan(text: str, limit: int = MAX_DEPTH) -> bool:
    """Whether :func:`check_nesting` has to lex ``text`` (more than ``limit`` opening brackets, or
    more than :data:`MAX_OPERATORS` operator characters); when it has neither, the check costs a
    few ``str.count`` calls."""
    if text.count("{") + text.count("(") + text.count("[") > limit:
        return True
    return sum(text.count(c) for c in _OPERATORS) > MAX_OPERATORS


def check_nesting(text: str, limit: int = MAX_DEPTH) -> None:
    """Refuse text nested deeper than ``limit`` (:class:`NestingTooDeep`, a 400 naming the limit)
    before an engine's recursive parser sees it: pyoxigraph's parser overflows the stack, and
    kills the process, somewhere past 2,000 levels.

    Cheap for ordinary text: only text with more than ``limit`` opening brackets is scanned. A
    lexical error found on the way is left to the engine, whose message names it better.
    """
    if not needs_nesting_scan(text, limit):
        return
    try:
        scan = scan_text(text, max_depth=limit)
    except NestingTooDeep:
        raise
    except SparqlLexError:
        return
    seen = 0
    for token in scan.tokens:  # operators outside strings, IRIs and comments
        if token.kind is TokenKind.PUNCT and token.text in _OPERATORS:
            seen += 1
            if seen > MAX_OPERATORS:
                raise ExpressionTooLong(MAX_OPERATORS, offset=token.start)
