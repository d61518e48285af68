"""The ontology page for people (``/ontology`` in a browser), read from the ontology graph itself.

The ontology is data: every class, property, concept scheme, label and definition on the page
comes from the store's ``graph/ontology`` (the graph the machine formats of ``/ontology`` serve),
and nothing about them is written out here. The page adds what only the data graphs know: how
many things each class has (``instances_per_class``, the count the home page and VoID give),
a few of them as examples linked to their pages, a SPARQL snippet that lists them, and a link to
the class's list page (``/classes/{LocalName}``).

Layout (the old pyLODE page was 77,000 px tall with its vocabulary titles run together): the
ontology's own metadata, then an index of the classes as a tree (subclasses under their
superclass), then one compact entry per class, the properties as tables, and the concept
schemes with their concepts folded. Terms keep their ``id="LocalName"`` anchors, so every hash
IRI ``ontology#Term`` still lands on its entry.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

from econsec.graph.paths import DCTERMS_NS, OWL_NS, RDF_NS, RDFS_NS, SKOS_NS
from econsec.graph.stats import instances_per_class
from econsec.queries import internal
from econsec.queries.catalogue import without_header
from pyoxigraph import BlankNode, Literal, NamedNode, Quad

from ..execution.executor import Deadline
from ..store.base import StoreBackend
from ..store.binding import bind_values
from .resources import curie, graph_quads, local_href

__all__ = [
    "EXAMPLES_PER_CLASS",
    "ClassEntry",
    "OntologyView",
    "PropertyEntry",
    "SchemeEntry",
    "TermLink",
    "ontology_view",
]

#: instances shown per class (the list page has them all)
EXAMPLES_PER_CLASS = 3
#: the vann terms that name the ontology's preferred prefix and namespace
_VANN = "http://purl.org/vocab/vann/"
_TYPE = RDF_NS + "type"
_PROPERTY_KINDS = {
    OWL_NS + "ObjectProperty": "object",
    OWL_NS + "DatatypeProperty": "datatype",
}
#: property characteristics shown beside a property's name, by their OWL class
_CHARACTERISTICS = ("TransitiveProperty", "SymmetricProperty", "FunctionalProperty", "AsymmetricProperty")


@dataclass(frozen=True)
class TermLink:
    """A term as a link: its anchor on this page for our own terms, its IRI otherwise."""

    iri: str
    label: str
    href: str
    external: bool


@dataclass(frozen=True)
class Example:
    """One instance of a class, linked to its page here."""

    label: str
    href: str


@dataclass
class ClassEntry:
    """One class of the ontology with what the data says about it."""

    iri: str
    local: str
    label: str
    definition: str | None
    superclasses: list[TermLink] = field(default_factory=list)
    subclasses: list[TermLink] = field(default_factory=list)
    properties: list[TermLink] = field(default_factory=list)
    """properties whose domain is this class"""
    ranges_of: list[TermLink] = field(default_factory=list)
    """properties whose values are of this class"""
    instances: int = 0
    examples: list[Example] = field(default_factory=list)
    list_href: str = ""
    query: str = ""
    editor_href: str = ""


@dataclass(frozen=True)
class PropertyEntry:
    """One property of the ontology."""

    iri: str
    local: str
    curie: str
    label: str
    definition: str | None
    domain: list[TermLink]
    range: list[TermLink]
    superproperties: list[TermLink]
    inverse: list[TermLink]
    characteristics: list[str]


@dataclass(frozen=True)
class SchemeEntry:
    """A SKOS concept scheme of the ontology and its concepts."""

    iri: str
    local: str
    label: str
    definition: str | None
    concepts: list[tuple[TermLink, str | None]]


@dataclass(frozen=True)
class TreeNode:
    """A class in the index, with its subclasses under it (a class with two superclasses shows
    under each)."""

    entry: ClassEntry
    children: list[TreeNode]


@dataclass
class OntologyView:
    """Everything the page shows."""

    iri: str
    title: str
    description: str | None
    definition: str | None
    version_iri: str | None
    version: str | None
    license: str | None
    creators: list[str]
    created: str | None
    modified: str | None
    prefix: str | None
    namespace: str | None
    classes: list[ClassEntry]
    tree: list[TreeNode]
    properties: dict[str, list[PropertyEntry]]
    schemes: list[SchemeEntry]
    reused: list[TermLink]


class _Graph:
    """The ontology graph's triples, indexed by subject and predicate (a few thousand at most)."""

    def __init__(self, quads: Iterable[Quad]) -> None:
        self.out: dict[str, dict[str, list[NamedNode | BlankNode | Literal]]] = defaultdict(
            lambda: defaultdict(list)
        )
        self.subjects_by_type: dict[str, list[str]] = defaultdict(list)
        self.blank: dict[str, dict[str, list[NamedNode | BlankNode | Literal]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for quad in quads:
            subject, predicate, obj = quad.subject, quad.predicate.value, quad.object
            if isinstance(subject, BlankNode):
                self.blank[subject.value][predicate].append(obj)  # type: ignore[arg-type]
                continue
            if not isinstance(subject, NamedNode):
                continue
            self.out[subject.value][predicate].append(obj)  # type: ignore[arg-type]
            if predicate == _TYPE and isinstance(obj, NamedNode):
                self.subjects_by_type[obj.value].append(subject.value)

    def values(self, subject: str, predicate: str) -> list[NamedNode | BlankNode | Literal]:
        return self.out.get(subject, {}).get(predicate, [])

    def text(self, subject: str, predicate: str) -> str | None:
        """An English (else untagged, else any) literal of ``subject``'s ``predicate``."""
        literals = [v for v in self.values(subject, predicate) if isinstance(v, Literal)]
        for wanted in ("en", None):
            for literal in literals:
                if (literal.language or None) == wanted:
                    return literal.value
        return literals[0].value if literals else None

    def iris(self, subject: str, predicate: str) -> list[str]:
        """The IRIs among the values, with ``owl:unionOf`` lists opened (a domain of two classes)."""
        found: list[str] = []
        for value in self.values(subject, predicate):
            if isinstance(value, NamedNode):
                found.append(value.value)
            elif isinstance(value, BlankNode):
                found += self._union(value.value)
        return found

    def _union(self, node: str) -> list[str]:
        members: list[str] = []
        for head in self.blank.get(node, {}).get(OWL_NS + "unionOf", []):
            seen = 0
            while isinstance(head, BlankNode) and seen < 1000:  # a list; bounded against cycles
                seen += 1
                cell = self.blank.get(head.value, {})
                first = cell.get(RDF_NS + "first", [])
                if first and isinstance(first[0], NamedNode):
                    members.append(first[0].value)
                rest = cell.get(RDF_NS + "rest", [])
                head = rest[0] if rest else None  # type: ignore[assignment]
        return members


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def example_query(class_iri: str) -> str:
    """The query that lists a class's things by name (``queries/internal/class-things.rq``, the
    class bound by a ``VALUES`` block), as a person would paste it into the editor."""
    text = internal.get("class-things").text
    return without_header(bind_values(text, {"class": NamedNode(class_iri)}))


class _Terms:
    """Names, links and definitions of terms, read from the ontology graph; our own terms
    (``{base}ontology#...``) link to their entry on the page, others out to their IRI."""

    def __init__(self, graph: _Graph, namespace: str) -> None:
        self.graph = graph
        self.namespace = namespace

    def ours(self, iri: str) -> bool:
        return iri.startswith(self.namespace)

    def label(self, iri: str) -> str:
        graph = self.graph
        return graph.text(iri, RDFS_NS + "label") or graph.text(iri, SKOS_NS + "prefLabel") or _local(iri)

    def definition(self, iri: str) -> str | None:
        return self.graph.text(iri, SKOS_NS + "definition") or self.graph.text(iri, RDFS_NS + "comment")

    def link(self, iri: str) -> TermLink:
        if self.ours(iri):
            return TermLink(iri, self.label(iri), f"#{quote(_local(iri), safe='')}", False)
        return TermLink(iri, curie(iri), iri, True)

    def links(self, iris: Iterable[str]) -> list[TermLink]:
        return sorted((self.link(i) for i in dict.fromkeys(iris)), key=lambda t: t.label.lower())

    def of_type(self, type_iri: str, *, ours: bool = True) -> list[str]:
        """The IRIs typed ``type_iri``, ours (or, with ``ours`` false, the others), by label."""
        found = {i for i in self.graph.subjects_by_type.get(type_iri, []) if self.ours(i) == ours}
        return sorted(found, key=lambda i: self.label(i).lower())


def _examples(
    store: StoreBackend, ontology_graph: str, base: str, root: str, deadline: Deadline
) -> dict[str, list[Example]]:
    """A few things of each class, linked to their pages (``queries/internal/class-examples.rq``)."""
    examples: dict[str, list[Example]] = defaultdict(list)
    for row in internal.select(store, "class-examples", ontology=NamedNode(ontology_graph)):
        deadline.check()
        cls, thing = row["class"].value, row["thing"].value
        if len(examples[cls]) >= EXAMPLES_PER_CLASS:
            continue
        href = local_href(thing, base, root)
        if href is not None:
            shown = row["label"].value if row["label"] is not None else _local(thing.rstrip("/"))
            examples[cls].append(Example(shown, href))
    return examples


def _classes(
    terms: _Terms, counts: dict[str, int], examples: dict[str, list[Example]], root: str
) -> tuple[list[ClassEntry], list[TreeNode]]:
    """Our classes with their neighbours in the hierarchy and the properties that reach them, and
    the index tree (roots: classes with no superclass of ours)."""
    graph = terms.graph
    class_iris = terms.of_type(OWL_NS + "Class")
    subclasses: dict[str, list[str]] = defaultdict(list)
    for iri in class_iris:
        for parent in graph.iris(iri, RDFS_NS + "subClassOf"):
            subclasses[parent].append(iri)
    domain_of: dict[str, list[str]] = defaultdict(list)
    range_of: dict[str, list[str]] = defaultdict(list)
    for prop in (p for kind in _PROPERTY_KINDS for p in terms.of_type(kind)):
        for cls in graph.iris(prop, RDFS_NS + "domain"):
            domain_of[cls].append(prop)
        for cls in graph.iris(prop, RDFS_NS + "range"):
            range_of[cls].append(prop)

    entries: dict[str, ClassEntry] = {}
    for iri in class_iris:
        local = _local(iri)
        query = example_query(iri)
        entries[iri] = ClassEntry(
            iri=iri,
            local=local,
            label=terms.label(iri),
            definition=terms.definition(iri),
            superclasses=terms.links(graph.iris(iri, RDFS_NS + "subClassOf")),
            subclasses=terms.links(subclasses.get(iri, [])),
            properties=terms.links(domain_of.get(iri, [])),
            ranges_of=terms.links(range_of.get(iri, [])),
            instances=counts.get(iri, 0),
            examples=examples.get(iri, []),
            list_href=f"{root}/classes/{quote(local, safe='')}",
            query=query,
            editor_href=f"{root}/sparql?query={quote(query, safe='')}",
        )

    def tree(iris: Sequence[str], depth: int = 0) -> list[TreeNode]:
        if depth > 20:  # subclass cycles are not OWL 2 DL; stop rather than recurse forever
            return []
        by_label = sorted((i for i in iris if i in entries), key=lambda i: entries[i].label.lower())
        return [TreeNode(entries[i], tree(subclasses.get(i, []), depth + 1)) for i in by_label]

    roots = [i for i in class_iris if not any(p in entries for p in graph.iris(i, RDFS_NS + "subClassOf"))]
    return list(entries.values()), tree(roots)


def _properties(terms: _Terms) -> dict[str, list[PropertyEntry]]:
    """Our object and datatype properties, by kind."""
    graph = terms.graph
    properties: dict[str, list[PropertyEntry]] = {}
    for kind_iri, kind in _PROPERTY_KINDS.items():
        found = []
        for prop in terms.of_type(kind_iri):
            types = {v.value for v in graph.values(prop, _TYPE) if isinstance(v, NamedNode)}
            found.append(
                PropertyEntry(
                    iri=prop,
                    local=_local(prop),
                    curie=curie(prop),
                    label=terms.label(prop),
                    definition=terms.definition(prop),
                    domain=terms.links(graph.iris(prop, RDFS_NS + "domain")),
                    range=terms.links(graph.iris(prop, RDFS_NS + "range")),
                    superproperties=terms.links(graph.iris(prop, RDFS_NS + "subPropertyOf")),
                    inverse=terms.links(graph.iris(prop, OWL_NS + "inverseOf")),
                    characteristics=[
                        c[: -len("Property")].lower() for c in _CHARACTERISTICS if OWL_NS + c in types
                    ],
                )
            )
        properties[kind] = found
    return properties


def _schemes(terms: _Terms) -> list[SchemeEntry]:
    """Our concept schemes with the concepts the ontology puts in them."""
    in_scheme: dict[str, list[str]] = defaultdict(list)
    for subject, by_predicate in terms.graph.out.items():
        for scheme in by_predicate.get(SKOS_NS + "inScheme", []):
            if isinstance(scheme, NamedNode):
                in_scheme[scheme.value].append(subject)
    return [
        SchemeEntry(
            iri=s,
            local=_local(s),
            label=terms.label(s),
            definition=terms.definition(s),
            concepts=[
                (terms.link(c), terms.definition(c))
                for c in sorted(in_scheme.get(s, []), key=lambda c: terms.label(c).lower())
            ],
        )
        for s in terms.of_type(SKOS_NS + "ConceptScheme")
    ]


def ontology_view(store: StoreBackend, base: str, root: str, deadline: Deadline) -> OntologyView:
    """Read the ontology graph and the class counts and examples from ``store``."""
    ontology_graph = base + "graph/ontology"
    graph = _Graph(graph_quads(store, ontology_graph, deadline, 200_000).quads)
    terms = _Terms(graph, base + "ontology#")
    deadline.check()
    counts = {c.iri: c.instances for c in instances_per_class(store, ontology_graph)}
    classes, tree = _classes(terms, counts, _examples(store, ontology_graph, base, root, deadline), root)
    iri = base + "ontology"
    version_iris = graph.iris(iri, OWL_NS + "versionIRI")
    licenses = graph.iris(iri, DCTERMS_NS + "license")
    return OntologyView(
        iri=iri,
        title=graph.text(iri, DCTERMS_NS + "title") or terms.label(iri),
        description=graph.text(iri, DCTERMS_NS + "description"),
        definition=graph.text(iri, SKOS_NS + "definition"),
        version_iri=version_iris[0] if version_iris else None,
        version=graph.text(iri, OWL_NS + "versionInfo"),
        license=licenses[0] if licenses else None,
        creators=sorted(v.value for v in graph.values(iri, DCTERMS_NS + "creator") if isinstance(v, Literal)),
        created=graph.text(iri, DCTERMS_NS + "created"),
        modified=graph.text(iri, DCTERMS_NS + "modified"),
        prefix=graph.text(iri, _VANN + "preferredNamespacePrefix"),
        namespace=graph.text(iri, _VANN + "preferredNamespaceUri"),
        classes=classes,
        tree=tree,
        properties=_properties(terms),
        schemes=_schemes(terms),
        reused=terms.links(terms.of_type(OWL_NS + "Class", ours=False)),
    )
