"""Expand passage graphs into the published form (graph/AUTHORING.md, "Passage graphs").

Authors write each fact inside the named graph of the passage that states it, and declare the
passage in the file's document graph. The published graph instead has, in the document graph:

* the fact ``s p o`` itself;
* one ``owl:Axiom`` node per (fact, document graph), IRI ``id/statement/{hash}``, with
  ``owl:annotatedSource/Property/Target`` and one ``prov:wasDerivedFrom`` per passage stating it;
* ``s prov:wasDerivedFrom <passage>`` for entity-level provenance.

A quad in the default graph, or in a named graph that is neither a declared passage nor a
metadata graph, is a claim we cannot attribute: it is never dropped silently but returned as an
:class:`UnannotatedFact`, so ``econsec build`` can refuse it and ``econsec validate`` can show it.

Alongside the quads the expansion records, for every subject and every fact, which file and
passage it came from (:class:`ProvenanceIndex`): validation uses it to name the file behind a
violation.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad

from .errors import UnannotatedFact
from .paths import STATEMENT, Vocab

__all__ = [
    "METADATA_TYPES",
    "PASSAGE_TYPES",
    "Expansion",
    "Origin",
    "PassageDeclarations",
    "ProvenanceIndex",
    "expand",
    "find_metadata_graphs",
    "find_passage_declarations",
    "statement_iri",
]

#: a named graph is a passage graph when another graph types its name with one of these
PASSAGE_TYPES: frozenset[NamedNode] = frozenset({Vocab.es_Passage, Vocab.es_ReferenceSource})
#: a named graph holding any node of these types is a metadata (document) graph, copied as is
METADATA_TYPES: frozenset[NamedNode] = PASSAGE_TYPES | {Vocab.es_SourceDocument, Vocab.es_CitedWork}

GraphName = NamedNode | BlankNode
#: passage graph name -> the document graph(s) that declare it
PassageDeclarations = dict[GraphName, set[GraphName]]


@dataclass(frozen=True, order=True)
class Origin:
    """Where a statement came from: the file, the output graph, and the passage (if any)."""

    path: Path
    graph: str
    passage: str | None = None


@dataclass
class ProvenanceIndex:
    """Subject -> origins and (subject, predicate) -> origins, keyed by N-Triples term strings.

    Strings rather than terms, so rdflib terms from a SHACL report (``term.n3()``) and
    pyoxigraph terms (``str(term)``) meet on the same key for IRIs.
    """

    subjects: dict[str, set[Origin]] = field(default_factory=lambda: defaultdict(set))
    statements: dict[tuple[str, str], set[Origin]] = field(default_factory=lambda: defaultdict(set))

    def add(self, quad: Quad, origin: Origin) -> None:
        s, p = str(quad.subject), str(quad.predicate)
        self.subjects[s].add(origin)
        self.statements[(s, p)].add(origin)

    def update(self, other: ProvenanceIndex) -> None:
        for key, origins in other.subjects.items():
            self.subjects[key] |= origins
        for skey, origins in other.statements.items():
            self.statements[skey] |= origins

    def lookup(self, subject: str, predicate: str | None = None) -> list[Origin]:
        """Origins of a statement if we know it, else of its subject; sorted, possibly empty."""
        if predicate is not None:
            found = self.statements.get((subject, predicate))
            if found:
                return sorted(found)
        return sorted(self.subjects.get(subject, ()))


@dataclass
class Expansion:
    """The result of expanding one authored file."""

    path: Path
    quads: list[Quad]
    unannotated: list[UnannotatedFact]
    passages: PassageDeclarations
    metadata_graphs: set[GraphName]
    index: ProvenanceIndex

    @property
    def facts(self) -> int:
        """How many authored facts found a passage."""
        return sum(1 for q in self.quads if q.predicate == Vocab.owl_annotatedSource)


def statement_iri(s: object, p: object, o: object, graph: object) -> NamedNode:
    """The IRI of the OWL axiom node annotating fact (s, p, o) in document graph ``graph``.

    A hash of the N-Triples forms, 20 hex characters: stable across builds, one node per fact
    and graph however many passages state it.
    """
    digest = hashlib.sha256(f"{s} {p} {o} {graph}".encode()).hexdigest()[:20]
    return NamedNode(STATEMENT + digest)


def find_passage_declarations(quads: Iterable[Quad]) -> PassageDeclarations:
    """Passage graph name -> declaring graphs, from ``G a es:Passage`` / ``es:ReferenceSource``.

    Only declarations inside a named graph count, and a graph cannot declare itself.
    """
    found: PassageDeclarations = defaultdict(set)
    for q in quads:
        if (
            q.predicate == Vocab.rdf_type
            and q.object in PASSAGE_TYPES
            and isinstance(q.subject, NamedNode | BlankNode)
            and not isinstance(q.graph_name, DefaultGraph)
            and q.subject != q.graph_name
        ):
            found[q.subject].add(q.graph_name)
    return dict(found)


def find_metadata_graphs(quads: Iterable[Quad]) -> set[GraphName]:
    """Named graphs that describe documents, passages or cited works."""
    return {
        q.graph_name
        for q in quads
        if q.predicate == Vocab.rdf_type
        and q.object in METADATA_TYPES
        and not isinstance(q.graph_name, DefaultGraph)
    }


def _merge(
    a: Mapping[GraphName, set[GraphName]], b: Mapping[GraphName, set[GraphName]]
) -> PassageDeclarations:
    merged: PassageDeclarations = {k: set(v) for k, v in a.items()}
    for k, v in b.items():
        merged.setdefault(k, set()).update(v)
    return merged


def expand(
    quads: Iterable[Quad],
    *,
    path: Path,
    known_passages: Mapping[GraphName, set[GraphName]] | None = None,
) -> Expansion:
    """Expand one authored file's quads.

    ``known_passages`` are passage declarations from the rest of the corpus, so a file may put
    facts in a passage declared elsewhere. Passage graphs win over metadata graphs when a graph
    is both; a passage declared in several document graphs is published in each.
    """
    quads = list(quads)
    local = find_passage_declarations(quads)
    passages = _merge(known_passages or {}, local)
    metadata = find_metadata_graphs(quads)

    out: list[Quad] = []
    unannotated: list[UnannotatedFact] = []
    index = ProvenanceIndex()
    T, DERIVED = Vocab.rdf_type, Vocab.prov_wasDerivedFrom

    for q in quads:
        g = q.graph_name
        doc_graphs = passages.get(g) if not isinstance(g, DefaultGraph) else None
        if doc_graphs:
            s, p, o = q.subject, q.predicate, q.object
            for m in sorted(doc_graphs, key=str):
                axiom = statement_iri(s, p, o, m)
                out += (
                    Quad(s, p, o, m),
                    Quad(axiom, T, Vocab.owl_Axiom, m),
                    Quad(axiom, Vocab.owl_annotatedSource, s, m),
                    Quad(axiom, Vocab.owl_annotatedProperty, p, m),
                    Quad(axiom, Vocab.owl_annotatedTarget, o, m),
                    Quad(axiom, DERIVED, g, m),
                    Quad(s, DERIVED, g, m),
                )
                origin = Origin(path, _iri(m) or str(m), _iri(g) or str(g))
                index.add(Quad(s, p, o, m), origin)
                index.add(Quad(axiom, T, Vocab.owl_Axiom, m), origin)
        elif g in metadata:
            out.append(q)
            index.add(q, Origin(path, _iri(g) or str(g)))
        else:
            unannotated.append(UnannotatedFact(path, q))

    return Expansion(
        path=path,
        quads=out,
        unannotated=unannotated,
        passages=local,
        metadata_graphs=metadata,
        index=index,
    )


def _iri(term: object) -> str | None:
    """The bare IRI of a NamedNode (``NamedNode.value``), else None."""
    return term.value if isinstance(term, NamedNode) else None
