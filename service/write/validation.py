"""Validate a write against the SHACL shapes, on the nodes it touches only (DESIGN §6).

Validating the whole store for each write would cost the size of the store; a write must cost
the size of the change. So:

1. **Focus nodes** are the subjects and objects of the quads the write inserts or deletes. Left
   out: vocabulary, which is not data and has thousands of incoming links: classes and
   properties in object position (``rdf:type``, ``owl:annotatedProperty``...), terms of the
   RDF, RDFS, OWL and XSD namespaces, and terms the ontology defines (``es:Enacted``, units,
   schemes...).
2. **A neighbourhood** of the focus nodes is read from the store *as the write would leave it*
   (an :class:`~.overlay.Overlay`), from the asserted graphs only, as the build validates (the
   inferred and ontology graphs are left out, the ontology is added whole, as in
   ``graph/validate.py``). Around each focus node it holds what the shapes look at:
   its statements; the types of the nodes it points to (``sh:class``, undeclared references) and
   the statements of blank nodes it points to; the statements pointing at it (inverse paths,
   "somebody recommends it") with the types of their subjects; and the provenance annotations
   about it (``owl:Axiom`` nodes with ``owl:annotatedSource`` = the node) with the types of the
   passages they cite. The size of this graph follows the degree of the focus nodes, not the size
   of the store.
3. pySHACL validates that small graph (SPARQL constraints on pyoxigraph through oxrdflib, as the
   build does) and only results whose focus node is one of ours count: a neighbour is only
   partly present, so what it seems to lack is not its fault. ``sh:Violation`` blocks the
   write; warnings are counted and let through.

Known limit: effects two links away are not re-checked. Removing ``es:Passage`` from a passage's
types, for instance, makes the claims it supports unattributed, but those claims are not focus
nodes of that write (the passage is). The next full ``econsec build`` validation still sees it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from econsec.graph.corpus import SHACL_DATA_GRAPH, to_oxrdflib_graph
from econsec.graph.paths import G_INFERRED, G_ONTOLOGY, OWL_NS, RDF_NS, RDFS_NS, XSD_NS, Vocab, shapes_file
from econsec.graph.validate import compact
from pyoxigraph import BlankNode, NamedNode, Quad, Store, Triple
from rdflib.namespace import RDF, SH

from ..store.base import WriteDelta
from .overlay import QuadSource

__all__ = ["WriteReport", "WriteValidator"]

#: graphs the build derives; validation reads asserted data, as the build's validation does
_NOT_ASSERTED = frozenset({G_ONTOLOGY, G_INFERRED})
#: predicates whose objects are classes or properties, never data
_VOCABULARY_LINKS = frozenset(
    {Vocab.rdf_type, Vocab.owl_annotatedProperty, Vocab.rdfs_subClassOf, Vocab.rdfs_subPropertyOf}
)
_VOCABULARY_NAMESPACES = (RDF_NS, RDFS_NS, OWL_NS, XSD_NS, str(SH))
#: links into a node that the shapes never follow backwards, and that every hub has thousands of
_SKIP_INCOMING = frozenset({Vocab.rdf_type, Vocab.owl_annotatedTarget, Vocab.prov_wasDerivedFrom})


@dataclass
class WriteReport:
    """What validating one write found."""

    focus_nodes: int
    neighbourhood_triples: int
    violations: list[dict[str, str | None]] = field(default_factory=list)
    warnings: int = 0

    @property
    def conforms(self) -> bool:
        return not self.violations


def _first(graph: rdflib.Graph, node: rdflib.term.Node, predicate: rdflib.URIRef) -> rdflib.term.Node | None:
    return next(iter(graph.objects(node, predicate)), None)


def _path_text(report: rdflib.Graph, node: rdflib.term.Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, rdflib.URIRef):
        return compact(node)
    inverse = _first(report, node, SH.inversePath)
    if inverse is not None:
        return "^" + (_path_text(report, inverse) or "?")
    return str(node)


class WriteValidator:
    """The shapes and the ontology, loaded once; :meth:`validate` checks one write."""

    def __init__(self, ontology: Iterable[Triple], shapes_path: Path | None = None) -> None:
        self.ontology = list(ontology)
        self.vocabulary = {t.subject for t in self.ontology if isinstance(t.subject, NamedNode)}
        path = shapes_path or shapes_file()
        self.shapes: rdflib.Graph | None = None
        if path.is_file():
            self.shapes = rdflib.Graph()
            self.shapes.parse(path, format="turtle")

    @classmethod
    def for_store(cls, source: QuadSource, shapes_path: Path | None = None) -> WriteValidator:
        """Use the ontology the store serves (``g:ontology``), or the packaged one when the store has none."""
        triples = [q.triple for q in source.quads(graph=G_ONTOLOGY)]
        if not triples:
            from econsec.graph.corpus import load_ontology_quads

            triples = [q.triple for q in load_ontology_quads()]
        return cls(triples, shapes_path)

    def focus_nodes(self, delta: WriteDelta) -> set[NamedNode | BlankNode]:
        """The subjects and objects the write touches, vocabulary left out (see the module docstring)."""
        nodes: set[NamedNode | BlankNode] = set()
        for quad in (*delta.inserts, *delta.deletes):
            nodes.add(quad.subject)  # type: ignore[arg-type]
            obj = quad.object
            if (
                isinstance(obj, NamedNode | BlankNode)
                and quad.predicate not in _VOCABULARY_LINKS
                and obj not in self.vocabulary
                and not (isinstance(obj, NamedNode) and obj.value.startswith(_VOCABULARY_NAMESPACES))
            ):
                nodes.add(obj)
        return nodes

    def neighbourhood(self, after: QuadSource, focus: set[NamedNode | BlankNode]) -> set[Triple]:
        """The asserted statements around ``focus`` that the shapes read, in the store after the write."""
        triples: set[Triple] = set()

        def asserted(quads: Iterable[Quad]) -> Iterable[Triple]:
            return (q.triple for q in quads if q.graph_name not in _NOT_ASSERTED)

        def types(node: object) -> None:
            if isinstance(node, NamedNode | BlankNode) and node not in self.vocabulary:
                triples.update(asserted(after.quads(node, Vocab.rdf_type)))

        def statements(node: NamedNode | BlankNode) -> list[Triple]:
            found = list(asserted(after.quads(node)))
            triples.update(found)
            return found

        for node in focus:
            for triple in statements(node):
                types(triple.object)
                if isinstance(triple.object, BlankNode):
                    statements(triple.object)
            for triple in list(asserted(after.quads(None, None, node))):
                if triple.predicate in _SKIP_INCOMING:
                    continue
                triples.add(triple)
                types(triple.subject)
                if triple.predicate == Vocab.owl_annotatedSource:  # a provenance annotation about node
                    for annotation in statements(triple.subject):  # type: ignore[arg-type]
                        if annotation.predicate == Vocab.prov_wasDerivedFrom:
                            types(annotation.object)
        return triples

    def validate(self, after: QuadSource, delta: WriteDelta) -> WriteReport:
        """Validate the nodes ``delta`` touches, reading the store as it will be (``after``)."""
        focus = self.focus_nodes(delta)
        if self.shapes is None or not focus:
            return WriteReport(focus_nodes=len(focus), neighbourhood_triples=0)
        triples = self.neighbourhood(after, focus)
        report = self._run_shacl(triples)
        names = {rdflib.URIRef(n.value) if isinstance(n, NamedNode) else rdflib.BNode(n.value) for n in focus}
        violations: list[dict[str, str | None]] = []
        warnings = 0
        for result in report.subjects(RDF.type, SH.ValidationResult):
            node = _first(report, result, SH.focusNode)
            if node not in names:
                continue
            severity = _first(report, result, SH.resultSeverity)
            if severity != SH.Violation:
                warnings += 1
                continue
            value = _first(report, result, SH.value)
            messages = sorted(str(m) for m in report.objects(result, SH.resultMessage))
            component = _first(report, result, SH.sourceConstraintComponent)
            violations.append(
                {
                    "focus": compact(node),
                    "focus_iri": str(node),
                    "path": _path_text(report, _first(report, result, SH.resultPath)),
                    "value": compact(value) if value is not None else None,
                    "message": " / ".join(messages) or compact(component),
                    "constraint": compact(component) if component is not None else None,
                }
            )
        violations.sort(key=lambda r: (r["focus"] or "", r["path"] or "", r["message"] or ""))
        return WriteReport(len(focus), len(triples), violations, warnings)

    def _run_shacl(self, triples: set[Triple]) -> rdflib.Graph:
        import pyshacl  # heavy import: only when a write is validated

        graph = NamedNode(SHACL_DATA_GRAPH)
        scratch = Store()
        scratch.extend(Quad(t.subject, t.predicate, t.object, graph) for t in (*self.ontology, *triples))
        data = to_oxrdflib_graph(scratch, [graph])
        _conforms, report, _text = pyshacl.validate(
            data,
            shacl_graph=self.shapes,
            inference="none",
            advanced=True,
            allow_warnings=True,
            inplace=True,
        )
        return report
