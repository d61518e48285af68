"""THE table of media types: every route that answers with RDF or query results negotiates here.

One row per format (as rdflib registers its serialisers in one plugin table): the ``format=``
name a browser can put in the URL, the canonical media type sent back, the other media types
clients ask for it by, the W3C format IRI the service description lists, which result kinds it
can carry, and the writer that produces it. Adding a format is adding a row.

Negotiation is ``http/negotiation.py``'s, as for every route: the table order is the service's
preference. Answers are remembered per (kind, Accept, ``format=``): clients send a few headers all day. A ``format=`` parameter, when given, replaces the Accept header.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from econsec.graph.paths import PREFIXES
from pyoxigraph import RdfFormat

from ..errors import BadRequest, NotAcceptable
from ..http.negotiation import MediaTyped, best_offer
from ..store.base import ResultKind
from .writers import Writer, graph_writer, write_csv, write_json, write_tsv, write_xml

__all__ = [
    "FORMATS",
    "Format",
    "check_acceptable",
    "formats_for",
    "negotiate",
]

_RESULTS = frozenset({ResultKind.SOLUTIONS, ResultKind.BOOLEAN})
_GRAPH = frozenset({ResultKind.GRAPH})
_FORMATS_NS = "http://www.w3.org/ns/formats/"


@dataclass(frozen=True)
class Format(MediaTyped):
    """One row of the table."""

    #: the ``format=`` value (json, turtle...)
    key: str
    #: the canonical media type, sent in Content-Type
    media_type: str
    #: the W3C "Unique URIs for file formats" IRI (``sd:resultFormat``)
    iri: str
    #: which query forms it can answer
    kinds: frozenset[ResultKind]
    write: Writer
    #: other media types that select this format
    aliases: tuple[str, ...] = ()
    label: str = ""
    #: other names clients send in ``format=`` / ``output=`` for it (SPARQLWrapper, Fuseki, Virtuoso)
    names: tuple[str, ...] = ()

    def serves(self, kind: ResultKind) -> bool:
        return kind in self.kinds


_TURTLE_PREFIXES = dict(PREFIXES)

#: the table; order is preference (the first format of a kind is its default)
FORMATS: tuple[Format, ...] = (
    Format(
        "json",
        "application/sparql-results+json",
        _FORMATS_NS + "SPARQL_Results_JSON",
        _RESULTS,
        write_json,
        ("application/json",),
        "SPARQL 1.1 Query Results JSON",
        ("srj", "sparql-results+json"),
    ),
    Format(
        "xml",
        "application/sparql-results+xml",
        _FORMATS_NS + "SPARQL_Results_XML",
        _RESULTS,
        write_xml,
        ("application/xml", "text/xml"),
        "SPARQL Query Results XML",
        ("srx", "sparql-results+xml"),
    ),
    Format("csv", "text/csv", _FORMATS_NS + "SPARQL_Results_CSV", _RESULTS, write_csv, (), "SPARQL 1.1 CSV"),
    Format(
        "tsv",
        "text/tab-separated-values",
        _FORMATS_NS + "SPARQL_Results_TSV",
        _RESULTS,
        write_tsv,
        (),
        "SPARQL 1.1 TSV",
    ),
    Format(
        "turtle",
        "text/turtle",
        _FORMATS_NS + "Turtle",
        _GRAPH,
        graph_writer(RdfFormat.TURTLE, prefixes=_TURTLE_PREFIXES),
        ("application/x-turtle", "application/turtle"),
        "Turtle",
        ("ttl", "n3", "text/n3", "text/rdf+n3"),
    ),
    Format(
        "ntriples",
        "application/n-triples",
        _FORMATS_NS + "N-Triples",
        _GRAPH,
        graph_writer(RdfFormat.N_TRIPLES),
        ("text/plain",),
        "N-Triples",
        ("nt", "n-triples"),
    ),
    Format(
        "rdfxml",
        "application/rdf+xml",
        _FORMATS_NS + "RDF_XML",
        _GRAPH,
        graph_writer(RdfFormat.RDF_XML),
        ("application/xml", "text/xml"),
        "RDF/XML",
        ("rdf+xml", "rdf", "xml", "owl"),
    ),
    Format(
        "jsonld",
        "application/ld+json",
        _FORMATS_NS + "JSON-LD",
        _GRAPH,
        graph_writer(RdfFormat.JSON_LD),
        ("application/json",),
        "JSON-LD",
        ("json-ld", "json", "application/x-json+ld"),
    ),
    Format(
        "trig",
        "application/trig",
        _FORMATS_NS + "TriG",
        _GRAPH,
        graph_writer(RdfFormat.TRIG, prefixes=_TURTLE_PREFIXES),
        ("application/x-trig",),
        "TriG",
        (),
    ),
    Format(
        "nquads",
        "application/n-quads",
        _FORMATS_NS + "N-Quads",
        _GRAPH,
        graph_writer(RdfFormat.N_QUADS),
        ("text/x-nquads",),
        "N-Quads",
        ("nq", "n-quads"),
    ),
)

_KIND_NAMES = {
    ResultKind.SOLUTIONS: "SELECT results",
    ResultKind.BOOLEAN: "ASK results",
    ResultKind.GRAPH: "graph results (CONSTRUCT, DESCRIBE)",
}


def formats_for(kind: ResultKind, table: Sequence[Format] = FORMATS) -> tuple[Format, ...]:
    """The formats that can carry ``kind``, in preference order."""
    return tuple(f for f in table if f.serves(kind))


def _named(token: str) -> list[Format]:
    """The rows a ``format=`` token names: a key, another name, or a media type (parameters dropped)."""
    if "/" in token:
        media_type = token.split(";", 1)[0].strip()
        return [f for f in FORMATS if media_type in f.media_types or media_type in f.names]
    return [f for f in FORMATS if token == f.key or token in f.names]


def _by_spec(spec: str, kind: ResultKind) -> Format:
    """The format a ``format=`` value asks for ``kind``.

    Liberal where clients differ and strict where they contradict themselves: the value may be
    a key (``json``), another common name (``rdf+xml``, ``n3``), a media type, or several of
    these separated by commas (SPARQLWrapper sends a name and a media type, repeated under
    ``format``, ``output`` and ``results``: the endpoint joins them). Names mean what they mean
    for the query's form (``xml`` is SPARQL XML for SELECT, RDF/XML for CONSTRUCT). Tokens that
    name two different formats for one answer are a 400; an unknown token is a 400; a format
    that cannot carry the answer is a 406.
    """
    chosen: list[Format] = []
    unfit: list[str] = []
    for token in (t.strip().lower() for t in spec.split(",")):
        if not token:
            continue
        named = _named(token)
        if not named:
            known = ", ".join(f.key for f in FORMATS)
            raise BadRequest(f"unknown format={token!r}; use one of: {known} (or a media type)")
        fitting = [f for f in named if f.serves(kind)]
        if not fitting:
            unfit.append(token)
        elif fitting[0] not in chosen:
            chosen.append(fitting[0])
    if len(chosen) > 1:
        raise BadRequest(
            f"format={spec!r} asks for {' and '.join(f.key for f in chosen)} at once; give one format"
        )
    if chosen:
        return chosen[0]
    raise NotAcceptable(
        f"format={','.join(unfit) or spec} cannot carry {_KIND_NAMES[kind]}",
        [f"format={f.key}" for f in formats_for(kind)],
    )


@lru_cache(maxsize=1024)
def negotiate(
    kind: ResultKind, accept: str | None, format_key: str | None = None, table: Sequence[Format] = FORMATS
) -> Format:
    """The format to answer ``kind`` in, from ``format=`` if given, else from Accept.

    Raises ``NotAcceptable`` (406) listing the media types that would do, or ``BadRequest`` for
    an unknown ``format=`` name.
    """
    candidates = formats_for(kind, table)
    if format_key and format_key.strip(" ,"):
        fmt = _by_spec(format_key, kind)
        if fmt in candidates:
            return fmt
        raise NotAcceptable(
            f"format={fmt.key} cannot carry {_KIND_NAMES[kind]} here",
            [f"format={f.key}" for f in candidates],
        )
    best = best_offer(candidates, accept)
    if best is None:
        raise NotAcceptable(
            f"no media type in Accept: {accept} can carry {_KIND_NAMES[kind]}",
            [f.media_type for f in candidates],
        )
    return best


@lru_cache(maxsize=1024)
def check_acceptable(accept: str | None, format_key: str | None, kinds: Iterable[ResultKind]) -> None:
    """Refuse before any work when no format for any of ``kinds`` suits the request."""
    kinds = list(kinds)
    for kind in kinds:
        try:
            negotiate(kind, accept, format_key)
            return
        except NotAcceptable:
            continue
    available = [f.key if format_key else f.media_type for f in FORMATS if any(f.serves(k) for k in kinds)]
    shown = f"format={format_key}" if format_key else f"Accept: {accept}"
    raise NotAcceptable(f"nothing this endpoint writes matches {shown}", available)
