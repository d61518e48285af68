"""Serialisers for query results that stop at the deadline and at the result-size limit.

pyoxigraph serialises a whole ``QuerySolutions`` in one call that cannot be interrupted or
capped, so SELECT/ASK results are written here, row by row, in the four SPARQL result formats
(JSON, XML, CSV, TSV); the deadline is checked before every row, and at the limit writing stops
with ``truncated`` set. Graph results (CONSTRUCT/DESCRIBE) go through pyoxigraph's own streaming
serialisers, fed by a generator that makes the same checks, so Turtle, N-Triples, RDF/XML,
JSON-LD, TriG and N-Quads are written at native speed.

Which writer serves which media type is decided in one place: the table in ``formats.py``.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar
from xml.sax.saxutils import escape, quoteattr

from pyoxigraph import BlankNode, Literal, NamedNode, Quad, QuerySolution, RdfFormat, Triple, serialize

from ..errors import StoreError
from ..store.base import QueryResult, ResultKind

if TYPE_CHECKING:
    from ..execution.executor import Deadline

__all__ = [
    "Payload",
    "Writer",
    "graph_writer",
    "write_csv",
    "write_json",
    "write_tsv",
    "write_xml",
]

_XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
_RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
_RDF_DIR_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#dirLangString"


@dataclass(frozen=True)
class Payload:
    """A serialised answer: the bytes, how many rows or triples they hold, and whether the limit cut it."""

    body: bytes
    count: int
    truncated: bool = False


#: a serialiser: (result, deadline, row limit) -> payload
Writer = Callable[[QueryResult, "Deadline", int], Payload]


_T = TypeVar("_T")


class _Tally:
    """Counts what a generator let through and whether it stopped at the limit."""

    __slots__ = ("count", "truncated")

    def __init__(self) -> None:
        self.count = 0
        self.truncated = False


def _bounded(items: Iterator[_T], deadline: Deadline, limit: int, tally: _Tally) -> Iterator[_T]:
    """Yield at most ``limit`` items, checking the deadline before each (one more is read to know if there are more)."""
    try:
        for item in items:
            if tally.count >= limit:
                tally.truncated = True
                return
            deadline.check()
            tally.count += 1
            yield item
    except OSError as exc:  # the engine failed while evaluating lazily (I/O, a SERVICE call...)
        raise StoreError(str(exc)) from exc


def _solutions(result: QueryResult, deadline: Deadline, limit: int, tally: _Tally) -> Iterator[QuerySolution]:
    deadline.check()
    assert result.solutions is not None
    return _bounded(result.solutions, deadline, limit, tally)


# --- SPARQL 1.1 Query Results JSON ---------------------------------------------------------


def _json_term(term: object) -> dict[str, object]:
    if isinstance(term, NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, BlankNode):
        return {"type": "bnode", "value": term.value}
    if isinstance(term, Literal):
        out: dict[str, object] = {"type": "literal", "value": term.value}
        if term.language:
            out["xml:lang"] = term.language
            if term.direction:
                out["its:dir"] = str(term.direction).lower()
        elif term.datatype.value != _XSD_STRING:
            out["datatype"] = term.datatype.value
        return out
    if isinstance(term, Triple):
        return {
            "type": "triple",
            "value": {
                "subject": _json_term(term.subject),
                "predicate": _json_term(term.predicate),
                "object": _json_term(term.object),
            },
        }
    raise TypeError(f"not an RDF term: {term!r}")


def write_json(result: QueryResult, deadline: Deadline, limit: int) -> Payload:
    """``application/sparql-results+json``."""
    if result.kind is ResultKind.BOOLEAN:
        return Payload(json.dumps({"head": {}, "boolean": bool(result.boolean)}).encode(), 1)
    tally = _Tally()
    names = result.variables
    bindings = []
    for row in _solutions(result, deadline, limit, tally):
        binding = {}
        for name, term in zip(names, row, strict=True):
            if term is not None:
                binding[name] = _json_term(term)
        bindings.append(binding)
    doc = {"head": {"vars": list(names)}, "results": {"bindings": bindings}}
    body = json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode()
    return Payload(body, tally.count, tally.truncated)


# --- SPARQL Query Results XML --------------------------------------------------------------

_XML_HEAD = '<?xml version="1.0" encoding="utf-8"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">'


def _xml_term(term: object) -> str:
    if isinstance(term, NamedNode):
        return f"<uri>{escape(term.value)}</uri>"
    if isinstance(term, BlankNode):
        return f"<bnode>{escape(term.value)}</bnode>"
    if isinstance(term, Literal):
        if term.language:
            attrs = f" xml:lang={quoteattr(term.language)}"
            if term.direction:
                attrs += f' its:dir={quoteattr(str(term.direction).lower())} xmlns:its="http://www.w3.org/2005/11/its"'
        elif term.datatype.value != _XSD_STRING:
            attrs = f" datatype={quoteattr(term.datatype.value)}"
        else:
            attrs = ""
        return f"<literal{attrs}>{escape(term.value)}</literal>"
    if isinstance(term, Triple):
        return (
            f"<triple><subject>{_xml_term(term.subject)}</subject>"
            f"<predicate>{_xml_term(term.predicate)}</predicate>"
            f"<object>{_xml_term(term.object)}</object></triple>"
        )
    raise TypeError(f"not an RDF term: {term!r}")


def write_xml(result: QueryResult, deadline: Deadline, limit: int) -> Payload:
    """``application/sparql-results+xml``."""
    if result.kind is ResultKind.BOOLEAN:
        value = "true" if result.boolean else "false"
        return Payload(f"{_XML_HEAD}<head/><boolean>{value}</boolean></sparql>\n".encode(), 1)
    tally = _Tally()
    names = result.variables
    parts = [_XML_HEAD, "<head>"]
    parts.extend(f"<variable name={quoteattr(name)}/>" for name in names)
    parts.append("</head><results>")
    for row in _solutions(result, deadline, limit, tally):
        parts.append("<result>")
        for name, term in zip(names, row, strict=True):
            if term is not None:
                parts.append(f"<binding name={quoteattr(name)}>{_xml_term(term)}</binding>")
        parts.append("</result>")
    parts.append("</results></sparql>\n")
    return Payload("".join(parts).encode(), tally.count, tally.truncated)


# --- SPARQL 1.1 Query Results CSV and TSV --------------------------------------------------


def _csv_value(term: object) -> str:
    """CSV loses types by design: IRIs and literals as their plain text, blank nodes as ``_:id``."""
    if term is None:
        return ""
    if isinstance(term, NamedNode | Literal):
        return term.value
    if isinstance(term, BlankNode):
        return f"_:{term.value}"
    if isinstance(term, Triple):  # as pyoxigraph writes it: the three values, space-separated
        return " ".join(_csv_value(t) for t in (term.subject, term.predicate, term.object))
    raise TypeError(f"not an RDF term: {term!r}")


def _boolean_text(result: QueryResult) -> Payload:
    # CSV/TSV define no ASK form; this is what pyoxigraph, Jena and rdflib write
    return Payload(b"true" if result.boolean else b"false", 1)


def write_csv(result: QueryResult, deadline: Deadline, limit: int) -> Payload:
    """``text/csv`` (RFC 4180 lines ending CRLF, as the SPARQL CSV spec says)."""
    if result.kind is ResultKind.BOOLEAN:
        return _boolean_text(result)
    tally = _Tally()
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in _solutions(result, deadline, limit, tally):
        writer.writerow([_csv_value(term) for term in row])
    return Payload(out.getvalue().encode(), tally.count, tally.truncated)


def _tsv_value(term: object) -> str:
    """TSV keeps types: terms in N-Triples syntax (pyoxigraph's ``str``, which escapes tabs and newlines)."""
    if term is None:
        return ""
    if isinstance(term, Triple):  # an RDF 1.2 triple term
        return f"<<( {_tsv_value(term.subject)} {_tsv_value(term.predicate)} {_tsv_value(term.object)} )>>"
    return str(term)


def write_tsv(result: QueryResult, deadline: Deadline, limit: int) -> Payload:
    """``text/tab-separated-values``."""
    if result.kind is ResultKind.BOOLEAN:
        return _boolean_text(result)
    tally = _Tally()
    lines = ["\t".join(f"?{name}" for name in result.variables)]
    for row in _solutions(result, deadline, limit, tally):
        lines.append("\t".join(_tsv_value(term) for term in row))
    return Payload(("\n".join(lines) + "\n").encode(), tally.count, tally.truncated)


# --- RDF graphs (CONSTRUCT, DESCRIBE) ------------------------------------------------------


def graph_writer(fmt: RdfFormat, *, prefixes: dict[str, str] | None = None) -> Writer:
    """A writer for graph results in ``fmt``, through pyoxigraph's streaming serialiser.

    Dataset syntaxes (TriG, N-Quads) get the triples as quads of the default graph.
    """
    as_quads = fmt in (RdfFormat.TRIG, RdfFormat.N_QUADS)

    def write(result: QueryResult, deadline: Deadline, limit: int) -> Payload:
        deadline.check()
        assert result.triples is not None
        tally = _Tally()
        triples = _bounded(result.triples, deadline, limit, tally)
        items = (Quad(t.subject, t.predicate, t.object) for t in triples) if as_quads else triples
        try:
            body = serialize(items, format=fmt, prefixes=prefixes) or b""
        except (ValueError, TypeError) as exc:  # a graph this syntax cannot express
            raise StoreError(f"cannot write the result as {fmt.name}: {exc}") from exc
        return Payload(body, tally.count, tally.truncated)

    write.__doc__ = f"``{fmt.media_type}`` via pyoxigraph."
    return write
