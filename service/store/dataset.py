"""Does a query name its own dataset (FROM / FROM NAMED)? Decides whether the union default applies.

pyoxigraph's ``use_default_graph_as_union=True`` overrides a query's FROM clauses, but SPARQL
says a query's FROM defines its dataset. So the union default graph is only switched on for
queries without a dataset clause. pyoxigraph does not expose its parser, and rdflib's costs
milliseconds per query, so this is a small lexer: it skips comments, strings and IRIs, then
looks for the keyword FROM as a token of its own (``?from``, ``ex:from``, ``"from"`` are not it).
"""

from __future__ import annotations

import re

__all__ = ["declares_dataset"]

_TOKENS = re.compile(
    r"""
      \#[^\n\r]*                              # comment
    | '''(?:[^'\\]|\\.|'(?!''))*'''           # long strings
    | \"\"\"(?:[^"\\]|\\.|"(?!""))*\"\"\"
    | '(?:[^'\\\n\r]|\\.)*'                   # short strings
    | "(?:[^"\\\n\r]|\\.)*"
    | <[^<>"{}|^`\\\x00-\x20]*>               # IRI reference (not the < operator: no spaces)
    | (?P<word>[\w:?$@\-.]+)                  # names, prefixed names, variables, language tags
    | .                                       # anything else, one character at a time
    """,
    re.VERBOSE | re.DOTALL,
)


def declares_dataset(query: str) -> bool:
    """True if the query text has a FROM or FROM NAMED clause."""
    if "from" not in query.lower():  # the common case, decided without lexing
        return False
    for match in _TOKENS.finditer(query):
        word = match.group("word")
        if word is not None and word.lower() == "from":
            return True
    return False
