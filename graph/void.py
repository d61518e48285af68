"""The VoID description of a build (build/void.ttl): what the dataset holds, counted.

Counts come from SPARQL over the built pyoxigraph store. ``void:triples`` counts statements
over all named graphs (a triple in two graphs counts twice), so it equals the sum of the
``void:subset`` counts: one subset per named graph, the graph IRI itself being the subset IRI
(``sd:name`` and ``dcterms:source`` name the graph too, in the style of SPARQL service
descriptions). The build id and the build time are recorded (``dcterms:identifier``,
``dcterms:modified``) so a later answer can cite which build it came from.

``void:dataDump`` IRIs are written relative (``<econsec.nq>``): they resolve against wherever
void.ttl is read from, which is the build directory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from econsec.queries import internal
from pyoxigraph import BlankNode, Literal, NamedNode, RdfFormat, Store, Triple, parse, serialize

from .paths import (
    DATASET_IRI,
    DCTERMS_NS,
    ES,
    G_INFERRED,
    G_ONTOLOGY,
    G_REFERENCE,
    ID,
    ORG_NS,
    OWL_NS,
    PREFIXES,
    PROV_NS,
    QB_NS,
    RDF_NS,
    SCHEMA_NS,
    SD_NS,
    SKOS_NS,
    SPARQL_ENDPOINT,
    VOID_NS,
    XSD_NS,
)
from .stats import instances_per_class, triples_per_graph

__all__ = [
    "DUMP_FILES",
    "EXAMPLE_RESOURCES",
    "BuildInfo",
    "VoidCounts",
    "count_dataset",
    "read_build_info",
    "void_triples",
    "write_void",
]

LICENSE = "https://creativecommons.org/licenses/by/4.0/"
#: files of a build that the description advertises as dumps (relative to void.ttl)
DUMP_FILES = ("econsec.trig", "econsec.nq")
EXAMPLE_RESOURCES = (ID + "country/japan", ID + "instrument/ipef", ID + "material/gallium")
VOCABULARIES = (ES, PROV_NS, DCTERMS_NS, SKOS_NS, ORG_NS, SCHEMA_NS, QB_NS, OWL_NS)

# a placeholder base: IRIs under it are written relative and the @base line is dropped
_RELATIVE_BASE = "file:///econsec-build/"


def _v(name: str) -> NamedNode:
    return NamedNode(VOID_NS + name)


def _d(name: str) -> NamedNode:
    return NamedNode(DCTERMS_NS + name)


_TYPE = NamedNode(RDF_NS + "type")
_XSD_INTEGER = NamedNode(XSD_NS + "integer")


def _int(n: int) -> Literal:
    return Literal(str(n), datatype=_XSD_INTEGER)


@dataclass(frozen=True)
class VoidCounts:
    """The numbers the VoID description states."""

    triples: int
    entities: int
    classes: int
    properties: int
    distinct_subjects: int
    distinct_objects: int
    graphs: dict[str, int]
    class_partitions: dict[str, int]


def count_dataset(store: Store) -> VoidCounts:
    """Count the dataset with SPARQL (pyoxigraph, default graph = union of all graphs).

    The subsets and class partitions are the two counts every page shows
    (:func:`~econsec.graph.stats.triples_per_graph`, :func:`~econsec.graph.stats.instances_per_class`),
    so VoID, the home page and ``econsec stats`` state the same numbers.
    """
    graphs = triples_per_graph(store)
    partitions = {c.iri: c.instances for c in instances_per_class(store, G_ONTOLOGY.value)}
    entities = next(
        internal.select(store, "entity-count", ontology=G_ONTOLOGY, entityClass=NamedNode(ES + "Entity")),
        None,
    )
    sizes = next(internal.select(store, "dataset-sizes"))
    return VoidCounts(
        triples=sum(graphs.values()),
        entities=int(entities["n"].value) if entities is not None else 0,
        classes=int(sizes["classes"].value),
        properties=int(sizes["properties"].value),
        distinct_subjects=int(sizes["subjects"].value),
        distinct_objects=int(sizes["objects"].value),
        graphs=graphs,
        class_partitions=partitions,
    )


def _graph_title(iri: str, documents: list[tuple[NamedNode, str]]) -> str:
    if documents:  # a source graph: named after the document(s) its facts were taken from
        return "Facts stated in " + "; ".join(f"“{title}”" for _, title in documents)
    if iri == G_ONTOLOGY.value:
        return "The econsec OWL ontology"
    if iri == G_INFERRED.value:
        return "Facts inferred by the reasoner from the ontology and the asserted graphs"
    if iri == G_REFERENCE.value:
        return "Reference facts: countries, organisations, places, taxonomies"
    return f"Facts from source document graph {iri.rsplit('/', 1)[-1]}"


def void_triples(
    store: Store,
    *,
    build_id: str,
    built_at: datetime,
    counts: VoidCounts | None = None,
) -> list[Triple]:
    """The VoID description of ``store`` as triples (dump IRIs under a relative placeholder base)."""
    counts = counts or count_dataset(store)
    ds = NamedNode(DATASET_IRI)
    t: list[Triple] = []

    def add(s: NamedNode | BlankNode, p: NamedNode, o: NamedNode | BlankNode | Literal) -> None:
        t.append(Triple(s, p, o))

    add(ds, _TYPE, _v("Dataset"))
    add(ds, _d("title"), Literal("econsec-kg: economic security policy knowledge graph", language="en"))
    add(
        ds,
        _d("description"),
        Literal(
            "Actors, policy instruments, technologies, materials, events and figures of economic "
            "security policy, each fact annotated with the passage of the source document that "
            "states it; asserted and inferred facts in separate named graphs.",
            language="en",
        ),
    )
    add(ds, _d("license"), NamedNode(LICENSE))
    add(ds, _d("identifier"), Literal(build_id))
    modified = built_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    add(ds, _d("modified"), Literal(modified, datatype=NamedNode(XSD_NS + "dateTime")))
    add(ds, _v("triples"), _int(counts.triples))
    add(ds, _v("entities"), _int(counts.entities))
    add(ds, _v("classes"), _int(counts.classes))
    add(ds, _v("properties"), _int(counts.properties))
    add(ds, _v("distinctSubjects"), _int(counts.distinct_subjects))
    add(ds, _v("distinctObjects"), _int(counts.distinct_objects))
    for vocabulary in VOCABULARIES:
        add(ds, _v("vocabulary"), NamedNode(vocabulary))
    add(ds, _v("uriSpace"), Literal(ID))
    add(ds, _v("sparqlEndpoint"), NamedNode(SPARQL_ENDPOINT))
    for dump in DUMP_FILES:
        add(ds, _v("dataDump"), NamedNode(_RELATIVE_BASE + dump))
    for example in EXAMPLE_RESOURCES:
        if _exists(store, example):
            add(ds, _v("exampleResource"), NamedNode(example))

    for class_iri, n in sorted(counts.class_partitions.items()):
        partition = BlankNode()
        add(ds, _v("classPartition"), partition)
        add(partition, _v("class"), NamedNode(class_iri))
        add(partition, _v("entities"), _int(n))

    documents: dict[str, list[tuple[NamedNode, str]]] = {}
    for row in internal.select(store, "graph-documents"):
        documents.setdefault(row["g"].value, []).append((row["document"], row["title"].value))
    for graph_iri, n in sorted(counts.graphs.items()):
        subset = NamedNode(graph_iri)
        for document, _ in documents.get(graph_iri, ()):
            add(subset, _d("source"), document)
        add(ds, _v("subset"), subset)
        add(subset, _TYPE, _v("Dataset"))
        add(subset, NamedNode(SD_NS + "name"), subset)
        add(subset, _d("source"), subset)
        add(
            subset, _d("title"), Literal(_graph_title(graph_iri, documents.get(graph_iri, [])), language="en")
        )
        add(subset, _v("triples"), _int(n))
    return t


def _exists(store: Store, iri: str) -> bool:
    return internal.ask(store, "resource-is-subject", r=NamedNode(iri))


@dataclass(frozen=True)
class BuildInfo:
    """Which build a VoID file describes: its id (``dcterms:identifier``) and when it ran
    (``dcterms:modified``), each None when the file does not say."""

    id: str | None = None
    modified: str | None = None


def read_build_info(path: Path) -> BuildInfo:
    """The build a ``void.ttl`` describes (empty when there is no readable file), read once per
    version of the file: the store, the pages and ``econsec queries`` all ask this one function."""
    try:
        mtime_ns = path.stat().st_mtime_ns
    except OSError:
        return BuildInfo()
    return _build_info(path, mtime_ns)


@lru_cache(maxsize=8)
def _build_info(path: Path, mtime_ns: int) -> BuildInfo:
    del mtime_ns  # part of the cache key only: a rebuilt file is read again
    found: dict[str, str] = {}
    wanted = {DCTERMS_NS + "identifier": "id", DCTERMS_NS + "modified": "modified"}
    try:
        # the build names its dumps by relative IRIs; any base will do to read the dataset's two values
        for quad in parse(path=path, format=RdfFormat.TURTLE, base_iri=_RELATIVE_BASE):
            key = wanted.get(quad.predicate.value)
            if key and quad.subject.value.endswith("/dataset") and isinstance(quad.object, Literal):
                found.setdefault(key, quad.object.value)
    except (SyntaxError, OSError):
        return BuildInfo()
    return BuildInfo(**found)


def write_void(
    path: Path,
    store: Store,
    *,
    build_id: str,
    built_at: datetime,
    counts: VoidCounts | None = None,
) -> VoidCounts:
    """Write the VoID description of ``store`` to ``path`` (Turtle); return the counts."""
    counts = counts or count_dataset(store)
    triples = void_triples(store, build_id=build_id, built_at=built_at, counts=counts)
    # rdflib for this small graph: it nests the class partitions as [ ... ] and groups subjects
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data=serialize(triples, format=RdfFormat.N_TRIPLES) or b"", format="nt")
    for prefix in ("void", "dcterms", "sd", "xsd", "rdf", "rdfs", "owl", "g", "es", "prov", "skos", "org"):
        graph.bind(prefix, PREFIXES[prefix], replace=True)
    for prefix in ("schema", "qb", "foaf", "country", "inst", "mat"):
        graph.bind(prefix, PREFIXES[prefix], replace=True)
    data = graph.serialize(format="turtle", base=_RELATIVE_BASE)
    lines = [line for line in data.splitlines() if not line.startswith("@base ")]
    path.write_text("\n".join(lines).strip() + "\n", encoding="utf-8")
    return counts
