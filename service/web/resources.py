"""What the service says about one IRI, gathered with SPARQL through the store backend.

A resource's description is the concise bounded description linked-data frontends (Pubby,
LodView) serve, widened by what a reader of this graph needs to judge a fact:

- every triple with the resource as subject, asserted or inferred;
- the OWL axioms that annotate those triples (``owl:annotatedSource`` the resource), i.e. the
  statement IRIs under ``id/statement/`` with their ``prov:wasDerivedFrom`` passage;
- those passages (document, section, note number, cited works) and the names and URLs of the
  documents and cited works, so a client can walk from any triple to the place that states it;
- the names of every resource and property it links to or is linked from;
- incoming links (capped: a hub such as a passage may be the object of thousands of triples).

Everything comes back as quads, each in the named graph that holds it, from two internal queries
(``queries/internal/resource-*.rq``, the resource bound as a term) run by
``StoreBackend.query``: no rdflib engine, and the same code serves the embedded store and a
remote SPARQL store. Triple syntaxes get the set of triples. Quad syntaxes (TriG, N-Quads) get
that same set in the default graph, where linked-data clients such as Comunica look, and every
quad again in the named graph that holds it, so a client can tell asserted from inferred.

:class:`ResourceView` reads the quads back into what the HTML page shows. It is plain Python
over a few hundred quads; it evaluates nothing.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import quote

from econsec.graph.paths import (
    DCTERMS_NS,
    ES,
    OWL_NS,
    PREFIXES,
    PROV_NS,
    RDF_NS,
    RDFS_NS,
    SCHEMA_NS,
    SKOS_NS,
    XSD_NS,
)
from econsec.graph.stats import triples_per_graph
from econsec.queries import internal
from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, QuerySolution

from ..execution.executor import Deadline
from ..store.base import StoreBackend, Term

__all__ = [
    "Description",
    "Link",
    "ResourceView",
    "curie",
    "describe_resource",
    "graph_counts",
    "graph_quads",
    "iri_ref",
    "is_ontology_version",
    "local_href",
]

#: incoming links gathered at most per resource (the page says when there were more): the LIMIT
#: of ``queries/internal/resource-incoming.rq``, which a test holds to this number
INCOMING_LIMIT = 2000

_TYPE = NamedNode(RDF_NS + "type")
_LABEL = NamedNode(RDFS_NS + "label")
_PREF_LABEL = NamedNode(SKOS_NS + "prefLabel")
_TITLE = NamedNode(DCTERMS_NS + "title")
_DESCRIPTION = NamedNode(DCTERMS_NS + "description")
_DEFINITION = NamedNode(SKOS_NS + "definition")
_COMMENT = NamedNode(RDFS_NS + "comment")
_ANNOTATED_SOURCE = NamedNode(OWL_NS + "annotatedSource")
_ANNOTATED_PROPERTY = NamedNode(OWL_NS + "annotatedProperty")
_ANNOTATED_TARGET = NamedNode(OWL_NS + "annotatedTarget")
_AXIOM = NamedNode(OWL_NS + "Axiom")
_DERIVED_FROM = NamedNode(PROV_NS + "wasDerivedFrom")
_IN_DOCUMENT = NamedNode(ES + "inDocument")
_SECTION = NamedNode(ES + "section")
_NOTE = NamedNode(ES + "noteNumber")
_CITES = NamedNode(ES + "citesWork")
_URL = NamedNode(SCHEMA_NS + "url")
_XSD_STRING = XSD_NS + "string"
_NAME_PROPERTIES = (_LABEL, _PREF_LABEL, _TITLE)
_PROVENANCE_PREDICATES = frozenset({_ANNOTATED_SOURCE, _ANNOTATED_TARGET})


def iri_ref(iri: str) -> str:
    """``<iri>`` as N-Triples writes it; raises ``ValueError`` on anything that is not an IRI."""
    return str(NamedNode(iri))  # raises ValueError on anything that is not an IRI


@dataclass
class Description:
    """The quads that describe an IRI, and whether the row limit cut them."""

    iri: str
    quads: list[Quad]
    truncated: bool = False

    @property
    def found(self) -> bool:
        """Known to the store: it is the subject or object of some triple."""
        node = NamedNode(self.iri)
        return any(q.subject == node or q.object == node for q in self.quads)

    def triples(self) -> list[Quad]:
        """The quads as a set of triples in the default graph, grouped by subject."""
        seen: set[tuple[object, object, object]] = set()
        out = []
        for q in self.grouped(by_graph=False):
            key = (q.subject, q.predicate, q.object)
            if key not in seen:
                seen.add(key)
                out.append(Quad(q.subject, q.predicate, q.object))
        return out

    def document(self) -> list[Quad]:
        """The description as a quad document: its triples in the default graph, then each quad in
        the named graph it comes from.

        Linked-data clients read a dereferenced document's default graph (Comunica asks for N-Quads
        first and, in its default settings, matches triple patterns there only), so the default
        graph says what the Turtle document says; the named graphs keep which graph states each
        triple (a source document's graph, the reference data, or the reasoner's), as the store does.
        """
        return [*self.triples(), *(q for q in self.grouped() if not isinstance(q.graph_name, DefaultGraph))]

    def grouped(self, *, by_graph: bool = True) -> list[Quad]:
        """The quads grouped by graph (unless ``by_graph`` is false), then by subject (the resource
        first, the others in order of appearance), so that Turtle and TriG state each subject once."""
        graphs: dict[object, int] = {}
        subjects: dict[object, int] = {NamedNode(self.iri): -1}  # the resource itself first
        for q in self.quads:
            graphs.setdefault(q.graph_name, len(graphs))
            subjects.setdefault(q.subject, len(subjects))
        if not by_graph:
            return sorted(self.quads, key=lambda q: subjects[q.subject])
        return sorted(self.quads, key=lambda q: (graphs[q.graph_name], subjects[q.subject]))


def _rows(
    solutions: Iterator[QuerySolution], deadline: Deadline, limit: int
) -> tuple[list[QuerySolution], bool]:
    """At most ``limit`` solutions, checking the deadline between rows."""
    rows: list[QuerySolution] = []
    for row in solutions:
        if len(rows) >= limit:
            return rows, True
        deadline.check()
        rows.append(row)
    return rows, False


def describe_resource(store: StoreBackend, iri: str, deadline: Deadline, limit: int) -> Description:
    """Gather the description of ``iri`` (``ValueError`` if it is not an IRI): what it states and
    what is said of its statements (``resource-description``), then the links into it, capped
    at ``INCOMING_LIMIT`` (``resource-incoming``)."""
    resource = NamedNode(iri)  # raises ValueError on anything that is not an IRI
    rows, truncated = _rows(internal.select(store, "resource-description", r=resource), deadline, limit)
    if not truncated:
        incoming, truncated = _rows(
            internal.select(store, "resource-incoming", r=resource), deadline, limit - len(rows)
        )
        rows += incoming
    quads = [Quad(r["s"], r["p"], r["o"], r["g"]) for r in rows]
    return Description(iri, quads, truncated)


def graph_quads(store: StoreBackend, graph_iri: str, deadline: Deadline, limit: int) -> Description:
    """Every triple of one named graph, as quads in that graph."""
    graph = NamedNode(graph_iri)
    rows, truncated = _rows(internal.select(store, "graph-triples", g=graph), deadline, limit)
    return Description(graph_iri, [Quad(r["s"], r["p"], r["o"], graph) for r in rows], truncated)


def graph_counts(store: StoreBackend) -> dict[str, int]:
    """Triples per named graph, counted by the store (the count VoID and the home page show)."""
    return triples_per_graph(store)


def is_ontology_version(store: StoreBackend, public_base: str, version_iri: str) -> bool:
    """Whether ``version_iri`` is the ``owl:versionIRI`` of the ontology the store holds."""
    return internal.ask(
        store,
        "ontology-version",
        graph=NamedNode(public_base + "graph/ontology"),
        ontology=NamedNode(public_base + "ontology"),
        version=NamedNode(version_iri),
    )


# --- Links: our IRIs resolve here, others link out -------------------------------------------


def local_href(iri: str, public_base: str, root: str = "") -> str | None:
    """The path at this service that answers for ``iri``, or None when it is not in our namespace."""
    if not iri.startswith(public_base):
        return None
    rest = iri[len(public_base) :]
    for prefix in ("id/", "graph/"):
        if rest.startswith(prefix):
            return f"{root}/{prefix}{quote(rest[len(prefix) :], safe='/#:.-_~')}"
    if rest == "ontology" or rest.startswith(("ontology#", "ontology/")):
        return f"{root}/{quote(rest, safe='/#:.-_~')}"
    if rest in ("dataset", "sparql"):
        return f"{root}/{rest}"
    return None


def curie(iri: str) -> str:
    """``es:Economy`` for an IRI in a namespace of ``PREFIXES`` (the longest that fits), else the IRI."""
    best = ""
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(namespace) and len(namespace) > len(best) and len(iri) > len(namespace):
            best, name = namespace, prefix
    return f"{name}:{iri[len(best) :]}" if best else iri


# --- The page's view of a description --------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """An IRI or literal as the page shows it."""

    text: str
    href: str | None = None
    iri: str | None = None
    lang: str | None = None
    datatype: str | None = None
    external: bool = False


@dataclass
class Source:
    """Where a statement comes from: a passage of a document, maybe citing works."""

    passage: Link
    document: Link | None
    section: str | None
    note: str | None
    cited: list[Link] = field(default_factory=list)


@dataclass
class Value:
    """One object of a property, with the provenance of that one triple."""

    term: Link
    statements: list[Link]
    sources: list[Source]
    inferred: bool


@dataclass
class PropertyRow:
    property: Link
    values: list[Value]


class ResourceView:
    """The description of one resource, arranged for the HTML page."""

    def __init__(
        self, description: Description, public_base: str, root: str = "", inferred_graph: str = ""
    ) -> None:
        self.iri = description.iri
        self.truncated = description.truncated
        self._base, self._root = public_base, root
        self._inferred = NamedNode(inferred_graph) if inferred_graph else None
        self._node = NamedNode(self.iri)
        self._spo: dict[object, dict[NamedNode, list[tuple[Term, object]]]] = defaultdict(
            lambda: defaultdict(list)
        )
        for q in description.quads:
            pairs = self._spo[q.subject][q.predicate]
            if (q.object, q.graph_name) not in pairs:
                pairs.append((q.object, q.graph_name))
        self._quads = description.quads

    # -- generic lookups

    def _objects(self, subject: object, predicate: NamedNode) -> list[Term]:
        seen: list[Term] = []
        for obj, _graph in self._spo.get(subject, {}).get(predicate, []):
            if obj not in seen:
                seen.append(obj)
        return seen

    def _literal(self, subject: object, predicate: NamedNode, lang: str | None = "en") -> str | None:
        values = [o for o in self._objects(subject, predicate) if isinstance(o, Literal)]
        for value in values:
            if lang is None or value.language == lang:
                return value.value
        if lang == "en":  # untagged next, then anything but another explicit language wanted
            for value in values:
                if not value.language:
                    return value.value
        return None

    def name(self, iri: NamedNode) -> str | None:
        """The English (or untagged) name the description holds for ``iri``, if any."""
        for predicate in _NAME_PROPERTIES:
            found = self._literal(iri, predicate)
            if found:
                return found
        return None

    def link(self, term: object) -> Link:
        if isinstance(term, NamedNode):
            local = local_href(term.value, self._base, self._root)
            external = local is None and term.value.startswith(("http://", "https://"))
            text = self.name(term) or curie(term.value)
            return Link(text, local or (term.value if external else None), term.value, external=external)
        if isinstance(term, Literal):
            datatype = term.datatype.value
            shown = None if term.language or datatype == _XSD_STRING else curie(datatype)
            return Link(term.value, lang=term.language or None, datatype=shown)
        if isinstance(term, BlankNode):
            return Link(f"_:{term.value}")
        return Link(str(term))

    # -- the page's parts

    @property
    def label(self) -> str:
        """Its name; for a statement, the triple it is about; else its compact IRI."""
        statement = self.statement
        if statement and not self.name(self._node):
            return "Statement: " + " — ".join(part.text for part in statement)
        return self.name(self._node) or curie(self.iri)

    @property
    def label_ja(self) -> str | None:
        for predicate in _NAME_PROPERTIES:
            found = self._literal(self._node, predicate, lang="ja")
            if found:
                return found
        return None

    @property
    def types(self) -> list[Link]:
        return sorted((self.link(t) for t in self._objects(self._node, _TYPE)), key=lambda x: x.text.lower())

    def asserted_types(self) -> list[str]:
        """The IRIs of the types a source or reference graph states (not only the reasoner's)."""
        pairs = self._spo.get(self._node, {}).get(_TYPE, [])
        return list(
            dict.fromkeys(
                t.value
                for t, g in pairs
                if isinstance(t, NamedNode) and (self._inferred is None or g != self._inferred)
            )
        )

    @property
    def description(self) -> str | None:
        for predicate in (_DESCRIPTION, _DEFINITION, _COMMENT):
            found = self._literal(self._node, predicate)
            if found:
                return found
        return None

    @property
    def statement(self) -> tuple[Link, Link, Link] | None:
        """For a statement IRI (an OWL axiom): the triple it is about."""
        if _AXIOM not in self._objects(self._node, _TYPE):
            return None
        parts = [
            self._objects(self._node, p) for p in (_ANNOTATED_SOURCE, _ANNOTATED_PROPERTY, _ANNOTATED_TARGET)
        ]
        if not all(parts):
            return None
        return self.link(parts[0][0]), self.link(parts[1][0]), self.link(parts[2][0])

    def source(self, passage: object) -> Source:
        documents = self._objects(passage, _IN_DOCUMENT)
        section = self._literal(passage, _SECTION, lang=None)
        note = self._literal(passage, _NOTE, lang=None)
        cited = []
        for work in self._objects(passage, _CITES):
            link = self.link(work)
            url = next((u for u in self._objects(work, _URL) if isinstance(u, NamedNode | Literal)), None)
            cited.append(link if url is None else Link(link.text, url.value, link.iri, external=True))
        return Source(
            self.link(passage), self.link(documents[0]) if documents else None, section, note, cited
        )

    @property
    def sources(self) -> list[Source]:
        """The passages the resource as a whole is derived from."""
        found = [self.source(p) for p in self._objects(self._node, _DERIVED_FROM)]
        return sorted(
            found, key=lambda s: (s.document.text if s.document else "~", s.section or "", s.passage.text)
        )

    @cached_property
    def _axioms(self) -> dict[tuple[object, object, object], list[object]]:
        """(source, property, target) -> the statement IRIs that annotate that triple."""
        found: dict[tuple[object, object, object], list[object]] = defaultdict(list)
        for axiom in list(self._spo):
            for source in self._objects(axiom, _ANNOTATED_SOURCE):
                for p in self._objects(axiom, _ANNOTATED_PROPERTY):
                    for o in self._objects(axiom, _ANNOTATED_TARGET):
                        found[(source, p, o)].append(axiom)
        return found

    def _value(self, shown: object, statements: list[object], graphs: list[object]) -> Value:
        passages: list[object] = []
        for statement in statements:
            passages += [p for p in self._objects(statement, _DERIVED_FROM) if p not in passages]
        return Value(
            self.link(shown),
            [self.link(s) for s in statements],
            [self.source(p) for p in passages],
            inferred=self._inferred is not None and bool(graphs) and all(g == self._inferred for g in graphs),
        )

    @property
    def properties(self) -> list[PropertyRow]:
        """Every property of the resource with its values, each value with its provenance."""
        axioms = self._axioms
        rows = []
        for predicate, pairs in self._spo.get(self._node, {}).items():
            objects = list(dict.fromkeys(o for o, _g in pairs))
            values = [
                self._value(o, axioms.get((self._node, predicate, o), []), [g for x, g in pairs if x == o])
                for o in objects
            ]
            values.sort(key=lambda v: v.term.text.lower())
            rows.append(PropertyRow(self.link(predicate), values))
        first = {_TYPE.value: 0, _LABEL.value: 1}
        rows.sort(key=lambda r: (first.get(r.property.iri or "", 2), r.property.text.lower()))
        return rows

    @property
    def incoming(self) -> list[PropertyRow]:
        """Who links here, by property, each link with its provenance."""
        axioms = self._axioms
        graphs: dict[tuple[object, NamedNode], list[object]] = defaultdict(list)
        for q in self._quads:
            linked = q.object == self._node and q.subject != self._node
            if linked and q.predicate not in _PROVENANCE_PREDICATES:
                graphs[(q.subject, q.predicate)].append(q.graph_name)
        by_property: dict[NamedNode, list[Value]] = defaultdict(list)
        for (subject, predicate), in_graphs in graphs.items():
            statements = axioms.get((subject, predicate, self._node), [])
            by_property[predicate].append(self._value(subject, statements, in_graphs))
        rows = [
            PropertyRow(self.link(p), sorted(values, key=lambda v: v.term.text.lower()))
            for p, values in by_property.items()
        ]
        return sorted(rows, key=lambda r: r.property.text.lower())
