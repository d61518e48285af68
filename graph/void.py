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
from pathlib import Path

from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolutions, RdfFormat, Store, Triple, serialize

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
    RDFS_NS,
    SCHEMA_NS,
    SD_NS,
    SKOS_NS,
    SPARQL_ENDPOINT,
    VOID_NS,
    XSD_NS,
)

__all__ = ["DUMP_FILES", "EXAMPLE_RESOURCES", "VoidCounts", "count_dataset", "void_triples", "write_void"]

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


def _count(store: Store, query: str) -> int:
    result = store.query(query, use_default_graph_as_union=True)
    assert isinstance(result, QuerySolutions)
    for row in result:
        value = row[0]
        return int(value.value) if value is not None else 0
    return 0


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
    """Count the dataset with SPARQL (pyoxigraph, default graph = union of all graphs)."""
    graphs: dict[str, int] = {}
    rows = store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    assert isinstance(rows, QuerySolutions)
    for row in rows:
        graphs[row["g"].value] = int(row["n"].value)

    partitions: dict[str, int] = {}
    rows = store.query(
        f"""
        SELECT ?class (COUNT(DISTINCT ?i) AS ?n) WHERE {{
            {{ SELECT DISTINCT ?class ?sub WHERE {{
                GRAPH <{G_ONTOLOGY.value}> {{ ?class a <{OWL_NS}Class> . ?sub <{RDFS_NS}subClassOf>* ?class }}
            }} }}
            GRAPH ?g {{ ?i a ?sub }}
            FILTER (isIRI(?class))
        }} GROUP BY ?class
        """
    )
    assert isinstance(rows, QuerySolutions)
    for row in rows:
        partitions[row["class"].value] = int(row["n"].value)

    entity_class = ES + "Entity"
    return VoidCounts(
        triples=sum(graphs.values()),
        entities=_count(
            store,
            f"""SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{
                GRAPH <{G_ONTOLOGY.value}> {{ ?c <{RDFS_NS}subClassOf>* <{entity_class}> }}
                ?e a ?c . FILTER (isIRI(?e)) }}""",
        ),
        classes=_count(store, "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?s a ?c }"),
        properties=_count(store, "SELECT (COUNT(DISTINCT ?p) AS ?n) WHERE { ?s ?p ?o }"),
        distinct_subjects=_count(store, "SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE { ?s ?p ?o }"),
        distinct_objects=_count(store, "SELECT (COUNT(DISTINCT ?o) AS ?n) WHERE { ?s ?p ?o }"),
        graphs=graphs,
        class_partitions=partitions,
    )


def _graph_title(iri: str) -> str:
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

    for graph_iri, n in sorted(counts.graphs.items()):
        subset = NamedNode(graph_iri)
        add(ds, _v("subset"), subset)
        add(subset, _TYPE, _v("Dataset"))
        add(subset, NamedNode(SD_NS + "name"), subset)
        add(subset, _d("source"), subset)
        add(subset, _d("title"), Literal(_graph_title(graph_iri), language="en"))
        add(subset, _v("triples"), _int(n))
    return t


def _exists(store: Store, iri: str) -> bool:
    result = store.query(f"ASK {{ GRAPH ?g {{ <{iri}> ?p ?o }} }}")
    return bool(result)


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
