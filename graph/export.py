"""Serialise a built store in the usual RDF syntaxes.

Dataset syntaxes (TriG, N-Quads, JSON-LD) keep every named graph; graph syntaxes (Turtle,
RDF/XML) get the union of all graphs (ontology, asserted and inferred) as one graph, each
triple once. pyoxigraph writes everything but JSON-LD, which goes through rdflib so that it
can carry a compact ``@context`` with our prefixes.
"""

from __future__ import annotations

import warnings
from enum import StrEnum
from typing import BinaryIO

from pyoxigraph import RdfFormat, Store, Triple, serialize

from .paths import PREFIXES

__all__ = ["ExportFormat", "export", "export_bytes", "union_triples"]


class ExportFormat(StrEnum):
    """The formats ``econsec export --format`` accepts."""

    turtle = "turtle"
    trig = "trig"
    nquads = "nquads"
    jsonld = "jsonld"
    rdfxml = "rdfxml"

    @property
    def media_type(self) -> str:
        return {
            "turtle": "text/turtle",
            "trig": "application/trig",
            "nquads": "application/n-quads",
            "jsonld": "application/ld+json",
            "rdfxml": "application/rdf+xml",
        }[self.value]

    @property
    def extension(self) -> str:
        extensions = {"turtle": "ttl", "trig": "trig", "nquads": "nq", "jsonld": "jsonld", "rdfxml": "rdf"}
        return extensions[self.value]


def union_triples(store: Store) -> list[Triple]:
    """Every triple of every graph once, sorted so subjects group in the output."""
    triples = {q.triple for q in store.quads_for_pattern(None, None, None, None)}
    return sorted(triples, key=lambda t: (str(t.subject), str(t.predicate), str(t.object)))


def _sorted_quads(store: Store) -> list:  # type: ignore[type-arg]
    return sorted(
        store.quads_for_pattern(None, None, None, None),
        key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
    )


def export_bytes(store: Store, fmt: ExportFormat | str) -> bytes:
    """``store`` serialised as ``fmt``."""
    fmt = ExportFormat(fmt)
    if fmt is ExportFormat.turtle:
        return serialize(union_triples(store), format=RdfFormat.TURTLE, prefixes=PREFIXES) or b""
    if fmt is ExportFormat.rdfxml:
        return serialize(union_triples(store), format=RdfFormat.RDF_XML, prefixes=PREFIXES) or b""
    if fmt is ExportFormat.trig:
        return serialize(_sorted_quads(store), format=RdfFormat.TRIG, prefixes=PREFIXES) or b""
    if fmt is ExportFormat.nquads:
        return serialize(_sorted_quads(store), format=RdfFormat.N_QUADS) or b""
    # JSON-LD with a compact @context: rdflib's serializer
    import rdflib

    dataset = rdflib.Dataset()
    data = serialize(store.quads_for_pattern(None, None, None, None), format=RdfFormat.N_QUADS)
    with warnings.catch_warnings():  # rdflib 7.6's N-Quads and JSON-LD plugins use its deprecated API
        warnings.simplefilter("ignore", DeprecationWarning)
        if data:
            dataset.parse(data=data, format="nquads")
        out = dataset.serialize(format="json-ld", context=dict(PREFIXES), auto_compact=True, encoding="utf-8")
    return out if isinstance(out, bytes) else out.encode()


def export(store: Store, fmt: ExportFormat | str, output: BinaryIO) -> int:
    """Write ``store`` as ``fmt`` to a binary stream; return the number of bytes written."""
    data = export_bytes(store, fmt)
    output.write(data)
    return len(data)
