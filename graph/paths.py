"""Where the packaged knowledge files are, and the IRIs every module agrees on.

Files are found through ``importlib.resources`` so the same code works from a source checkout,
an editable install and a built wheel (the ``package-dir`` mapping in pyproject.toml ships
``ontology/*.ttl`` and ``graph/{sources,reference}/*.trig`` as package data). IRIs live here
once so no module spells ``https://w3id.org/econsec/...`` by hand.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from pyoxigraph import NamedNode

__all__ = [
    "BASE",
    "DATASET_IRI",
    "DCTERMS_NS",
    "ES",
    "FILE_GRAPH_PREFIX",
    "FOAF_NS",
    "GRAPH",
    "G_INFERRED",
    "G_ONTOLOGY",
    "G_REFERENCE",
    "ID",
    "ONTOLOGY_IRI",
    "ORG_NS",
    "OWL_NS",
    "PREFIXES",
    "PROV_NS",
    "QB_NS",
    "RDFS_NS",
    "RDF_NS",
    "SCHEMA_NS",
    "SD_NS",
    "SKOS_NS",
    "SPARQL_ENDPOINT",
    "STATEMENT",
    "VOID_NS",
    "XSD_NS",
    "Vocab",
    "file_graph_iri",
    "ontology_file",
    "reference_dir",
    "reference_files",
    "shapes_file",
    "source_files",
    "sources_dir",
    "sparql_prologue",
]

# --- Our namespace -------------------------------------------------------------------------

BASE = "https://w3id.org/econsec/"
ES = BASE + "ontology#"
ONTOLOGY_IRI = BASE + "ontology"
ID = BASE + "id/"
GRAPH = BASE + "graph/"
STATEMENT = ID + "statement/"
DATASET_IRI = BASE + "dataset"
SPARQL_ENDPOINT = BASE + "sparql"

G_REFERENCE = NamedNode(GRAPH + "reference")
G_INFERRED = NamedNode(GRAPH + "inferred")
G_ONTOLOGY = NamedNode(GRAPH + "ontology")


def inferred_graph(public_base: str) -> NamedNode:
    """The reasoner's graph under a service's public base (``G_INFERRED`` under the default one)."""
    return NamedNode(public_base + "graph/inferred")


#: graph names for facts `econsec validate` found outside passage graphs (kept so SHACL sees them)
FILE_GRAPH_PREFIX = "urn:econsec:file:"


def file_graph_iri(path: Path) -> NamedNode:
    """The graph that holds a validated file's unattributed facts, e.g. ``urn:econsec:file:x.trig``."""
    from urllib.parse import quote

    return NamedNode(FILE_GRAPH_PREFIX + quote(path.name, safe=""))


# --- Other vocabularies --------------------------------------------------------------------

RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
RDFS_NS = "http://www.w3.org/2000/01/rdf-schema#"
OWL_NS = "http://www.w3.org/2002/07/owl#"
XSD_NS = "http://www.w3.org/2001/XMLSchema#"
PROV_NS = "http://www.w3.org/ns/prov#"
DCTERMS_NS = "http://purl.org/dc/terms/"
SKOS_NS = "http://www.w3.org/2004/02/skos/core#"
ORG_NS = "http://www.w3.org/ns/org#"
SCHEMA_NS = "https://schema.org/"
QB_NS = "http://purl.org/linked-data/cube#"
VOID_NS = "http://rdfs.org/ns/void#"
SD_NS = "http://www.w3.org/ns/sparql-service-description#"
FOAF_NS = "http://xmlns.com/foaf/0.1/"


class Vocab:
    """The handful of terms the pipeline itself reads or writes, as pyoxigraph NamedNodes."""

    rdf_type = NamedNode(RDF_NS + "type")
    rdf_first = NamedNode(RDF_NS + "first")
    rdf_rest = NamedNode(RDF_NS + "rest")
    rdfs_subClassOf = NamedNode(RDFS_NS + "subClassOf")
    rdfs_subPropertyOf = NamedNode(RDFS_NS + "subPropertyOf")
    rdfs_Class = NamedNode(RDFS_NS + "Class")
    owl_Class = NamedNode(OWL_NS + "Class")
    owl_Thing = NamedNode(OWL_NS + "Thing")
    owl_Nothing = NamedNode(OWL_NS + "Nothing")
    owl_NamedIndividual = NamedNode(OWL_NS + "NamedIndividual")
    owl_ObjectProperty = NamedNode(OWL_NS + "ObjectProperty")
    owl_TransitiveProperty = NamedNode(OWL_NS + "TransitiveProperty")
    owl_SymmetricProperty = NamedNode(OWL_NS + "SymmetricProperty")
    owl_inverseOf = NamedNode(OWL_NS + "inverseOf")
    owl_equivalentClass = NamedNode(OWL_NS + "equivalentClass")
    owl_equivalentProperty = NamedNode(OWL_NS + "equivalentProperty")
    owl_propertyChainAxiom = NamedNode(OWL_NS + "propertyChainAxiom")
    owl_hasSelf = NamedNode(OWL_NS + "hasSelf")
    owl_onProperty = NamedNode(OWL_NS + "onProperty")
    owl_topObjectProperty = NamedNode(OWL_NS + "topObjectProperty")
    owl_bottomObjectProperty = NamedNode(OWL_NS + "bottomObjectProperty")
    owl_Axiom = NamedNode(OWL_NS + "Axiom")
    owl_annotatedSource = NamedNode(OWL_NS + "annotatedSource")
    owl_annotatedProperty = NamedNode(OWL_NS + "annotatedProperty")
    owl_annotatedTarget = NamedNode(OWL_NS + "annotatedTarget")
    prov_wasDerivedFrom = NamedNode(PROV_NS + "wasDerivedFrom")
    es_Entity = NamedNode(ES + "Entity")
    es_Passage = NamedNode(ES + "Passage")
    es_ReferenceSource = NamedNode(ES + "ReferenceSource")
    es_SourceDocument = NamedNode(ES + "SourceDocument")
    es_CitedWork = NamedNode(ES + "CitedWork")


#: Prefixes for every serialisation we write: the spellings of graph/AUTHORING.md, plus the
#: vocabularies the ontology and the VoID description use.
PREFIXES: dict[str, str] = {
    "es": ES,
    "g": GRAPH,
    "country": ID + "country/",
    "orgn": ID + "org/",
    "person": ID + "person/",
    "post": ID + "post/",
    "inst": ID + "instrument/",
    "tech": ID + "technology/",
    "mat": ID + "material/",
    "concept": ID + "concept/",
    "event": ID + "event/",
    "obs": ID + "observation/",
    "mem": ID + "membership/",
    "place": ID + "place/",
    "inv": ID + "investment/",
    "rec": ID + "recommendation/",
    "cond": ID + "condition/",
    "work": ID + "work/",
    "doc": ID + "document/",
    "psg": ID + "passage/",
    "sta": ID + "status/",
    "ten": ID + "tenure/",
    "dep": ID + "dependence/",
    "stmt": STATEMENT,
    "cur": "http://qudt.org/vocab/currency/",
    "unit": "http://qudt.org/vocab/unit/",
    "rdf": RDF_NS,
    "rdfs": RDFS_NS,
    "xsd": XSD_NS,
    "skos": SKOS_NS,
    "dcterms": DCTERMS_NS,
    "prov": PROV_NS,
    "schema": SCHEMA_NS,
    "owl": OWL_NS,
    "org": ORG_NS,
    "qb": QB_NS,
    "foaf": FOAF_NS,
    "void": VOID_NS,
    "sd": SD_NS,
}


def sparql_prologue(*names: str) -> str:
    """``PREFIX`` lines for query text, from :data:`PREFIXES` (the one list of vocabularies)."""
    return "".join(f"PREFIX {name}: <{PREFIXES[name]}>\n" for name in names)


# --- Packaged files ------------------------------------------------------------------------


def _package_dir(package: str) -> Path:
    """The directory of an installed package (editable installs and wheels both resolve)."""
    return Path(str(resources.files(package)))


def ontology_file() -> Path:
    """ontology/econsec.ttl: the OWL 2 ontology."""
    return _package_dir("econsec.ontology") / "econsec.ttl"


def shapes_file() -> Path:
    """ontology/shapes.ttl: the SHACL shapes (may be absent while it is being written)."""
    return _package_dir("econsec.ontology") / "shapes.ttl"


def sources_dir() -> Path:
    """graph/sources/: one TriG file per source document."""
    return _package_dir("econsec.graph") / "sources"


def reference_dir() -> Path:
    """graph/reference/: background facts (countries, organisations, taxonomies)."""
    return _package_dir("econsec.graph") / "reference"


def _trig_files(directory: Path) -> list[Path]:
    return sorted(directory.glob("*.trig")) if directory.is_dir() else []


def source_files(directory: Path | None = None) -> list[Path]:
    """The source documents' TriG files, in a stable (sorted) order."""
    return _trig_files(directory if directory is not None else sources_dir())


def reference_files(directory: Path | None = None) -> list[Path]:
    """The reference TriG files, in a stable (sorted) order."""
    return _trig_files(directory if directory is not None else reference_dir())
