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
from collections.abc import Mapping

from pyoxigraph import BlankNode, Literal, NamedNode

from ..errors import BadRequest
from .base import Term

__all__ = ["bind_values", "outer_group_start"]

# SPARQL 1.1 grammar: IRIREF, the string forms, comments (the tokens in which a brace is not one)
_IRIREF = re.compile(r'<[^<>"{}|^`\\\x00-\x20]*>')
_STRINGS = (
    re.compile(r"'''(?:[^'\\]|\\.|'(?!''))*'''", re.S),
    re.compile(r'"""(?:[^"\\]|\\.|"(?!""))*"""', re.S),
    re.compile(r"'(?:[^'\\\n\r]|\\.)*'"),
    re.compile(r'"(?:[^"\\\n\r]|\\.)*"'),
)
_VARIABLE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def outer_group_start(text: str) -> int:
    """Index just after the ``{`` that opens the query's WHERE clause (the first real brace)."""
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
        if char == "{":
            return i + 1
        i += 1
    raise BadRequest("the query has no group pattern ({ ... }) to bind parameters in")


def bind_values(text: str, substitutions: Mapping[str, Term]) -> str:
    """``text`` with ``VALUES (?a ?b) { (term term) }`` first inside its outermost group."""
    if not substitutions:
        return text
    names, terms = [], []
    for name, term in substitutions.items():
        if not _VARIABLE.fullmatch(name):
            raise BadRequest(f"cannot bind {name!r}: not a SPARQL variable name")
        if isinstance(term, BlankNode) or not isinstance(term, NamedNode | Literal):
            raise BadRequest(f"cannot bind ?{name} to {term}: only IRIs and literals can be bound")
        names.append(f"?{name}")
        terms.append(str(term))
    at = outer_group_start(text)
    block = f" VALUES ({' '.join(names)}) {{ ({' '.join(terms)}) }} "
    return text[:at] + block + text[at:]
