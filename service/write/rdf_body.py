"""Parse a Graph Store Protocol request body (triples) with pyoxigraph, safely.

pyoxigraph parses every accepted syntax itself and fetches nothing: a JSON-LD remote
``@context`` fails to parse (no document loader is set) instead of making the server fetch a
URL. Its RDF/XML parser does not read external entities, but it *does* expand internal entity
declarations, so a "billion laughs" document of a few hundred bytes expands to gigabytes
(measured: 40 s and 1 GB for nine levels). RDF/XML bodies with a DTD (``<!DOCTYPE`` or
``<!ENTITY``) are therefore refused before parsing; RDF/XML never needs one. Bodies must be
UTF-8 (a UTF-16 document could hide a DTD from that check).

The parsers recurse into nested structures, so a body nested deeper than
:data:`~.nesting.MAX_RDF_NESTING` is refused (400) by a linear scan before parsing
(``nesting.py``): a parse then cannot overflow a service thread's stack, and its time is bounded
by the body cap.
"""

from __future__ import annotations

from pyoxigraph import DefaultGraph, Quad, RdfFormat, parse

from ..errors import BadRequest, UnsupportedMediaType
from .errors import MalformedRDF
from .nesting import check_nesting

__all__ = ["BODY_FORMATS", "parse_body"]


#: what a Graph Store Protocol body may be: graph syntaxes only (GSP bodies are triples)
BODY_FORMATS: dict[str, RdfFormat] = {
    "text/turtle": RdfFormat.TURTLE,
    "application/x-turtle": RdfFormat.TURTLE,
    "application/n-triples": RdfFormat.N_TRIPLES,
    "text/plain": RdfFormat.N_TRIPLES,
    "application/rdf+xml": RdfFormat.RDF_XML,
    "application/ld+json": RdfFormat.JSON_LD,
}


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def parse_body(body: bytes, content_type: str | None, base_iri: str) -> list[Quad]:
    """The triples of ``body`` (as default-graph quads); 415 for an unknown type, 400 if malformed."""
    media_type = _media_type(content_type)
    fmt = BODY_FORMATS.get(media_type)
    if fmt is None:
        raise UnsupportedMediaType(media_type, sorted(set(BODY_FORMATS) - {"application/x-turtle"}))
    if body.startswith(b"\xef\xbb\xbf"):
        body = body[3:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"the body is not UTF-8 ({exc}). Nothing was changed.") from None
    if fmt == RdfFormat.RDF_XML and ("<!DOCTYPE" in text or "<!ENTITY" in text):
        raise BadRequest(
            "RDF/XML with a DTD (<!DOCTYPE> or <!ENTITY>) is refused: entity expansion can blow up "
            "the server. Send the document without a DTD, or as Turtle or N-Triples. Nothing was changed."
        )
    check_nesting(text, fmt)
    try:
        quads = list(parse(body, format=fmt, base_iri=base_iri))
    except SyntaxError as exc:
        raise MalformedRDF(f"the {media_type} body does not parse: {exc}. Nothing was changed.") from None
    except ValueError as exc:
        raise MalformedRDF(f"the {media_type} body cannot be read: {exc}. Nothing was changed.") from None
    if any(not isinstance(q.graph_name, DefaultGraph) for q in quads):
        raise BadRequest(
            "the body holds named graphs; a Graph Store Protocol body is one graph's triples. "
            "Send each graph to its own /rdf-graphs?graph=IRI. Nothing was changed."
        )
    return quads
