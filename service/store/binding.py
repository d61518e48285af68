"""Bind variables to RDF terms in query text, for stores that have no ``substitutions`` argument.

The embedded store binds saved-query parameters with pyoxigraph's ``substitutions``. A remote
SPARQL 1.1 store has no such thing, so the binding travels as an inline ``VALUES`` block placed
first in the query's outermost group pattern: the same solutions for the queries this project
saves (the parameter joins every pattern of the group and its FILTERs see it bound). The value
never becomes query syntax: each term is written by pyoxigraph's N-Triples serialiser, which
escapes quotes, newlines and ``>``, so a value cannot close the block it sits in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence

from pyoxigraph import BlankNode, Literal, NamedNode

from ..errors import BadRequest
from .base import Term

__all__ = ["bind_rows", "bind_values", "outer_group_start"]

# SPARQL 1.1 grammar: IRIREF, the string forms, comments (the tokens in which a brace is not one)
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_STRINGS = (
    re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.S),
    re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S),
    re.compile(r"'(?:[^'\\\n\r]|\\.)*'"),
    re.compile(r'"(?:[^"\\\n\r]|\\.)*"'),
)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# a ``{`` right after the keyword opens a CONSTRUCT template, not the WHERE clause
_CONSTRUCT_TEMPLATE = re.compile(r"\bCONSTRUCT\s*$", re.IGNORECASE)
_COMMENT = re.compile(r"#[^\n]*")


def _braces(text: str) -> Iterator[int]:
    """Offsets of the ``{`` and ``}`` that are syntax (not inside an IRI, a string or a comment)."""
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "#":
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if char == "<":
            match = _IRIREF.match(text, i)
            if match:
                i = match.end()
                continue
        if char in "'\"":
            for pattern in _STRINGS:
                match = pattern.match(text, i)
                if match:
                    i = match.end()
                    break
            else:
                raise BadRequest(f"unterminated string at offset {i} of the query")
            continue
        if char in "{}":
            yield i
        i += 1


def outer_group_start(text: str) -> int:
    """Index just after the ``{`` that opens the query's WHERE clause: the first real brace, or for
    ``CONSTRUCT { template } WHERE { ... }`` the first one after the template."""
    braces = _braces(text)
    for at in braces:
        if text[at] == "{" and _CONSTRUCT_TEMPLATE.search(_COMMENT.sub("", text[:at])):
            depth = 1
            for end in braces:
                depth += 1 if text[end] == "{" else -1
                if depth == 0:
                    break
            continue
        if text[at] == "{":
            return at + 1
    raise BadRequest("the query has no group pattern ({ ... }) to bind parameters in")


def _term(name: str, term: Term) -> str:
    if isinstance(term, BlankNode) or not isinstance(term, NamedNode | Literal):
        raise BadRequest(f"cannot bind ?{name} to {term}: only IRIs and literals can be bound")
    return str(term)


def bind_values(text: str, substitutions: Mapping[str, Term]) -> str:
    """``text`` with ``VALUES (?a ?b) { (term term) }`` first inside its outermost group."""
    if not substitutions:
        return text
    return bind_rows(text, list(substitutions), [list(substitutions.values())])


def bind_rows(text: str, names: Sequence[str], rows: Iterable[Sequence[Term]]) -> str:
    """``text`` with ``VALUES (?a ?b) { (a1 b1) (a2 b2) ... }`` first inside its outermost group:
    a question asked of many terms at once (which ``substitutions`` cannot do)."""
    for name in names:
        if not _VARIABLE.fullmatch(name):
            raise BadRequest(f"cannot bind {name!r}: not a SPARQL variable name")
    written = []
    for row in rows:
        if len(row) != len(names):
            raise BadRequest(f"cannot bind {len(row)} terms to {len(names)} variables")
        written.append("(" + " ".join(_term(n, t) for n, t in zip(names, row, strict=True)) + ")")
    at = outer_group_start(text)
    block = f" VALUES ({' '.join('?' + n for n in names)}) {{ {' '.join(written)} }} "
    return text[:at] + block + text[at:]
