"""The SPARQL 1.1 Service Description of ``/sparql``, as RDF triples.

What a client can learn without reading our docs: where the endpoint is, that it speaks SPARQL
1.1 Query, every result format it writes (from the formats table, so the description cannot
drift from what is served), that the default graph is the union of the named graphs
(``sd:UnionDefaultGraph``), and the dataset: the default graph and one ``sd:namedGraph`` per
named graph, each with its triple count (``void:triples``). The dataset node is the IRI the
build's VoID file describes (``{public base}dataset``), so the two descriptions meet.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from ..settings import Settings
from ..store.base import StoreBackend
from .formats import FORMATS, Format

__all__ = ["SD", "describe_service"]

SD = "http://www.w3.org/ns/sparql-service-description#"
_RDF_TYPE = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
_VOID = "http://rdfs.org/ns/void#"
_DCTERMS = "http://purl.org/dc/terms/"
_XSD_INTEGER = NamedNode("http://www.w3.org/2001/XMLSchema#integer")
_SIMPLE_ENTAILMENT = NamedNode("http://www.w3.org/ns/entailment/Simple")


def _sd(name: str) -> NamedNode:
    return NamedNode(SD + name)


def _count(n: int) -> Literal:
    return Literal(str(n), datatype=_XSD_INTEGER)


def describe_service(
    endpoint: str,
    store: StoreBackend,
    settings: Settings,
    formats: Sequence[Format] = FORMATS,
) -> Iterator[Triple]:
    """The service description of the endpoint at ``endpoint`` (its absolute URL)."""
    service = NamedNode(endpoint)
    yield Triple(service, _RDF_TYPE, _sd("Service"))
    yield Triple(service, _sd("endpoint"), service)
    yield Triple(service, NamedNode(_DCTERMS + "title"), Literal("econsec-kg SPARQL endpoint", language="en"))
    yield Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Query"))
    if not settings.read_only:  # writes enabled (ECONSEC_UPDATE_TOKEN): see routers/update.py
        yield Triple(service, _sd("supportedLanguage"), _sd("SPARQL11Update"))
    for fmt in formats:
        yield Triple(service, _sd("resultFormat"), NamedNode(fmt.iri))
    yield Triple(service, _sd("feature"), _sd("UnionDefaultGraph"))
    if settings.service_allowlist:
        yield Triple(service, _sd("feature"), _sd("BasicFederatedQuery"))
    yield Triple(service, _sd("defaultEntailmentRegime"), _SIMPLE_ENTAILMENT)

    dataset = NamedNode(settings.public_base + "dataset")
    yield Triple(service, _sd("defaultDataset"), dataset)
    yield Triple(dataset, _RDF_TYPE, _sd("Dataset"))
    yield Triple(dataset, _RDF_TYPE, NamedNode(_VOID + "Dataset"))
    if store.build_id:
        yield Triple(dataset, NamedNode(_DCTERMS + "identifier"), Literal(store.build_id))

    default_graph = BlankNode()
    yield Triple(dataset, _sd("defaultGraph"), default_graph)
    yield Triple(default_graph, _RDF_TYPE, _sd("Graph"))
    yield Triple(default_graph, NamedNode(_VOID + "triples"), _count(store.triple_count()))

    for name in store.named_graphs():
        named, graph = BlankNode(), BlankNode()
        yield Triple(dataset, _sd("namedGraph"), named)
        yield Triple(named, _RDF_TYPE, _sd("NamedGraph"))
        yield Triple(named, _sd("name"), NamedNode(name))
        yield Triple(named, _sd("graph"), graph)
        yield Triple(graph, _RDF_TYPE, _sd("Graph"))
        yield Triple(graph, NamedNode(_VOID + "triples"), _count(store.triple_count(name)))
