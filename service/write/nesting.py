"""How deeply an RDF body nests, measured before any parser sees it.

pyoxigraph's parsers recurse into nested structures: JSON-LD objects and arrays, Turtle
collections ``( ... )``, blank-node property lists ``[ ... ]`` and quoted triples ``<< ... >>``,
RDF/XML elements. On a service thread a deep enough body overflows the stack and the whole
process dies (JSON-LD 4,000 deep, 224 KB, was enough), and a body nested a million deep keeps
the parser busy for minutes. Real data nests a handful of levels (a list of lists, a property
list inside a property list), so bodies nested deeper than :data:`MAX_RDF_NESTING` are refused
with 400 before parsing, which bounds both the stack a parse can use and its time.

The scan costs a few passes over the body in C and no backtracking over client text: strings,
IRIs and comments (which hold no structure) are blanked by a regular expression whose tokens
cannot fail once started, what remains is reduced to its brackets, and their depth is measured
by :func:`_bracket_depth`; RDF/XML tags become parentheses first (:func:`_xml_elements`). For
a well-formed body the depth is exact; a malformed one is left to the parser, which names the
syntax error.
"""

from __future__ import annotations

import re
from typing import Final

from pyoxigraph import RdfFormat

from .errors import RdfNestingTooDeep

__all__ = ["MAX_RDF_NESTING", "check_nesting"]

MAX_RDF_NESTING: Final = 256
"""Deepest nesting an RDF body may have (brackets of every kind together, or XML elements)."""

# Turtle and N-Triples (N-Triples has no brackets, but RDF 1.2 quoted triples nest in both):
# strings, comments and IRIs hold no structure and are blanked first. String tokens never fail
# once started (an unterminated one runs to the end of its line, or of the body for a long
# string); an IRI cannot contain '<', '>' or spaces, so a failed IRI scan stops at the next '<'.
_TURTLE_OPAQUE: Final = re.compile(
    r'"""(?:[^"\\]|\\[\s\S]?|"(?!""))*(?:"""|\Z)'
    r"|'''(?:[^'\\]|\\[\s\S]?|'(?!''))*(?:'''|\Z)"
    r'|"(?:[^"\\\n\r]|\\[^\n\r]?)*"?'
    r"|'(?:[^'\\\n\r]|\\[^\n\r]?)*'?"
    r"|#[^\n\r]*"
    r"|<[^<>\s]*>"
)
_JSON_OPAQUE: Final = re.compile(r'"(?:[^"\\]|\\[\s\S]?)*"?')
#: after blanking, what is left of the structure: (one form of) every bracket
_NOT_BRACKET: Final = re.compile(r"[^()\[\]{}<>]+")
_TO_PARENS: Final = str.maketrans("[{]}", "(())", "<>")
_RUN: Final = re.compile(r"\(+|\)+")
#: innermost pairs peeled by str.replace before the runs are counted (see _bracket_depth)
_PEEL_PASSES: Final = 16

# RDF/XML: comments, CDATA sections, processing instructions and declarations hold no elements
# (a DTD is refused before this scan, rdf_body.py); text may hold parentheses, which are dropped
# before tags become them; attribute values may hold '>' and '/' but never '<', so a failed tag
# scan stops at the next '<'.
_XML_OPAQUE: Final = re.compile(
    r"<!--[\s\S]*?(?:-->|\Z)|<!\[CDATA\[[\s\S]*?(?:\]\]>|\Z)|<\?[\s\S]*?(?:\?>|\Z)|<![^<>]*>?|[()]"
)
_XML_ATTRIBUTES: Final = r"""(?:[^<>"']|"[^"<]*"|'[^'<]*')*"""
_XML_EMPTY: Final = re.compile(rf"<[^!?/<>]{_XML_ATTRIBUTES}/>")
_XML_START: Final = re.compile(rf"<[^!?/<>]{_XML_ATTRIBUTES}>")
_XML_END: Final = re.compile(r"</[^<>]*>")
_NOT_PARENS: Final = re.compile(r"[^()]+")


def check_nesting(text: str, fmt: RdfFormat, limit: int = MAX_RDF_NESTING) -> int:
    """The deepest nesting of ``text`` (up to ``limit``); :class:`RdfNestingTooDeep` (400) past it."""
    if fmt == RdfFormat.RDF_XML:
        return _bracket_depth(_xml_elements(text), limit, "RDF/XML")
    if fmt in (RdfFormat.TURTLE, RdfFormat.N_TRIPLES):
        structure = _TURTLE_OPAQUE.sub(" ", text)
        structure = _NOT_BRACKET.sub("", structure).replace("<<", "(").replace(">>", ")")
    elif fmt == RdfFormat.JSON_LD:
        structure = _NOT_BRACKET.sub("", _JSON_OPAQUE.sub(" ", text))
    else:
        return 0
    return _bracket_depth(structure.translate(_TO_PARENS), limit, fmt.name)


def _bracket_depth(parens: str, limit: int, syntax: str) -> int:
    """The nesting depth of a string of parentheses, in time linear in its length.

    First a few passes peel innermost pairs: each ``str.replace`` (C, linear) removes every ``()``
    with nothing inside, which lowers the height of every pair by one, and after ``k`` passes
    every remaining run boundary sits on a structure at least ``k`` deep, so at most ``n / k`` runs
    are left. Those runs are then counted in one Python loop.
    """
    peeled = 0
    while peeled < _PEEL_PASSES and "()" in parens:
        parens = parens.replace("()", "")
        peeled += 1
    depth = deepest = 0
    for run in _RUN.finditer(parens):
        if run.group().startswith("("):
            depth += len(run.group())
            deepest = max(deepest, depth)
            if peeled + deepest > limit:
                raise RdfNestingTooDeep(limit, offset=None, syntax=syntax)
        else:
            depth = max(depth - len(run.group()), 0)
    return peeled + deepest


def _xml_elements(text: str) -> str:
    """The element structure of an XML text as parentheses: ``(`` per start tag, ``)`` per end tag."""
    text = _XML_OPAQUE.sub(" ", text)
    text = _XML_EMPTY.sub(" ", text)  # <empty/> opens and closes
    text = _XML_END.sub(")", _XML_START.sub("(", text))
    return _NOT_PARENS.sub("", text)
