"""Parse one RDF file into pyoxigraph quads, with errors that point at the line.

pyoxigraph's parsers are an order of magnitude faster than rdflib's and their ``SyntaxError``
carries a position; we turn that into :class:`RDFSyntaxError` naming file, line and column.
Nothing here fetches anything: pyoxigraph has no document loader for remote JSON-LD contexts
and refuses external XML entities, and we do not give it one.

Blank nodes are relabelled deterministically per file (content hash + order of appearance)
so two files cannot share a blank node by accident and a rebuild of the same files yields
the same N-Quads (the build id is a hash of them).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from pathlib import Path

from pyoxigraph import BlankNode, Quad, RdfFormat, Triple, parse

from .errors import RDFSyntaxError, UnsupportedFormatError

__all__ = ["FORMATS_BY_EXTENSION", "load_file", "parse_bytes", "rdf_format_for"]

FORMATS_BY_EXTENSION: dict[str, RdfFormat] = {
    ".trig": RdfFormat.TRIG,
    ".ttl": RdfFormat.TURTLE,
    ".turtle": RdfFormat.TURTLE,
    ".nq": RdfFormat.N_QUADS,
    ".nquads": RdfFormat.N_QUADS,
    ".nt": RdfFormat.N_TRIPLES,
    ".ntriples": RdfFormat.N_TRIPLES,
    ".jsonld": RdfFormat.JSON_LD,
    ".json": RdfFormat.JSON_LD,
    ".rdf": RdfFormat.RDF_XML,
    ".owl": RdfFormat.RDF_XML,
    ".xml": RdfFormat.RDF_XML,
}

# "Parser error at line 2 column 13: msg" / "Parser error between line 4 column 12 and line 5 column 1: msg"
_POSITION_PREFIX = re.compile(
    r"^Parser error (?:at|between) line \d+ (?:column \d+|between columns \d+ and \d+)"
    r"(?: and line \d+ column \d+)?: ",
    re.IGNORECASE,
)


def rdf_format_for(path: Path) -> RdfFormat:
    """The RDF syntax a file is written in, from its extension."""
    fmt = FORMATS_BY_EXTENSION.get(path.suffix.lower())
    if fmt is None:
        raise UnsupportedFormatError(path, sorted(FORMATS_BY_EXTENSION))
    return fmt


def _explain(message: str, fmt: RdfFormat) -> str:
    """Strip the position (we print it as file:line:col) and explain refusals we cause on purpose."""
    message = _POSITION_PREFIX.sub("", message).strip()
    if fmt == RdfFormat.JSON_LD and "LoadDocumentCallback" in message:
        return "remote JSON-LD contexts are not fetched; inline the @context in the file"
    if fmt == RdfFormat.RDF_XML and "ENTITY" in message:
        return f"external or malformed XML entities are refused ({message})"
    return message


def _relabel_blank_nodes(quads: Iterable[Quad], file_key: str) -> list[Quad]:
    """Give blank nodes labels unique to this file and stable across runs."""
    labels: dict[BlankNode, BlankNode] = {}

    def term(t):  # type: ignore[no-untyped-def]
        if isinstance(t, BlankNode):
            new = labels.get(t)
            if new is None:
                new = labels[t] = BlankNode(f"f{file_key}b{len(labels)}")
            return new
        if isinstance(t, Triple):
            return Triple(term(t.subject), t.predicate, term(t.object))
        return t

    out: list[Quad] = []
    for q in quads:
        s, o, g = q.subject, q.object, q.graph_name
        if isinstance(s, BlankNode | Triple) or isinstance(o, BlankNode | Triple) or isinstance(g, BlankNode):
            q = Quad(term(s), q.predicate, term(o), term(g))
        out.append(q)
    return out


def parse_bytes(data: bytes, fmt: RdfFormat, *, path: Path) -> list[Quad]:
    """Parse ``data`` (the content of ``path``) into quads; ``path`` is used for messages and labels."""
    try:
        quads = list(parse(data, fmt))
    except SyntaxError as exc:
        line, column = exc.lineno, exc.offset
        raise RDFSyntaxError(
            path, line if line else None, column if line and column else None, _explain(exc.msg, fmt)
        ) from None
    except ValueError as exc:  # e.g. an invalid IRI or language tag reported outside the grammar
        raise RDFSyntaxError(path, None, None, str(exc)) from None
    file_key = hashlib.sha256(data).hexdigest()[:10]
    return _relabel_blank_nodes(quads, file_key)


def load_file(path: str | Path) -> list[Quad]:
    """Read and parse one RDF file (TriG, Turtle, N-Quads, N-Triples, JSON-LD, RDF/XML)."""
    path = Path(path)
    fmt = rdf_format_for(path)
    data = path.read_bytes()
    return parse_bytes(data, fmt, path=path)
