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
   ``graph/validate.py``). It holds exactly the triples the shapes' paths reach from each focus
   node, derived from the shapes file (``shape_paths.py``): the targets (types, ``targetSubjectsOf``
   ...), every ``sh:path`` (sequences, inverse and repeated paths, ``sh:node`` / ``sh:property``
   nesting), the types ``sh:class`` checks, and the triple patterns of the SPARQL targets and
   constraints (so, with today's shapes: the node's statements, the types of what it points to,
   the links that recommend it or give it a condition, its provenance annotations and the types of
   the passages they cite). A new shape that reaches two links away is checked two links away with
   no change here. The size of this graph follows the degree of the focus nodes along those paths,
   not the size of the store.
3. pySHACL validates that small graph (SPARQL constraints on pyoxigraph through oxrdflib, as the
   build does) and only results whose focus node is one of ours count: a neighbour is only
   partly present, so what it seems to lack is not its fault. ``sh:Violation`` blocks the
   write; warnings are counted and let through.

Known limit: the focus nodes are still the nodes the write touches, so a node whose paths reach
a changed triple from afar is not re-checked unless a shape targets the touched side. Provenance
is such a case and has such a shape: removing a passage (or its ``es:Passage`` type) would leave
the facts citing it pointing at nothing, and ``esh:CitedProvenanceShape`` targets what
``prov:wasDerivedFrom`` cites, so the passage the write touches is checked and the report names
every fact left dangling. The next full ``econsec build`` validation sees any other case.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
import rdflib.collection
from econsec.graph.corpus import SHACL_DATA_GRAPH, to_oxrdflib_graph
from econsec.graph.paths import G_INFERRED, G_ONTOLOGY, OWL_NS, RDF_NS, RDFS_NS, XSD_NS, Vocab, shapes_file
from econsec.graph.validate import compact
from pyoxigraph import BlankNode, NamedNode, Quad, Store, Triple
from rdflib.namespace import RDF, SH

from ..store.base import WriteDelta
from .overlay import QuadSource
from .shape_paths import Reach, Step, reach_of_shapes

__all__ = ["WriteReport", "WriteValidator"]

#: graphs the build derives; validation reads asserted data, as the build's validation does
_NOT_ASSERTED = frozenset({G_ONTOLOGY, G_INFERRED})
#: predicates whose objects are classes or properties, never data
_VOCABULARY_LINKS = frozenset(
    {Vocab.rdf_type, Vocab.owl_annotatedProperty, Vocab.rdfs_subClassOf, Vocab.rdfs_subPropertyOf}
)
_VOCABULARY_NAMESPACES = (RDF_NS, RDFS_NS, OWL_NS, XSD_NS, str(SH))


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
    if _first(report, node, RDF.first) is not None:  # a sequence path
        return "/".join(
            _path_text(report, step) or "?" for step in rdflib.collection.Collection(report, node)
        )
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
        #: what the shapes read around a focus node, derived from them (``shape_paths.py``)
        self.reach = reach_of_shapes(self.shapes) if self.shapes is not None else Reach()

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

    def neighbourhood(
        self, after: QuadSource, focus: set[NamedNode | BlankNode], check: Callable[[], None] = lambda: None
    ) -> set[Triple]:
        """The asserted statements the shapes' paths reach from ``focus``, in the store after the write.

        ``check`` is called before each read of the store (the write's deadline: a write touching
        many nodes stops at it instead of holding the writer until the walk ends).
        """
        triples: set[Triple] = set()
        #: each node's statements are read once, however many of the shapes' steps start from it
        outgoing: dict[NamedNode | BlankNode, list[Triple]] = {}

        def asserted(quads: Iterable[Quad]) -> list[Triple]:
            return [q.triple for q in quads if q.graph_name not in _NOT_ASSERTED]

        def read(node: NamedNode | BlankNode, step: Step) -> list[Triple]:
            check()
            if step.inverse:
                predicate = None if step.predicate is None else NamedNode(step.predicate)
                return asserted(after.quads(None, predicate, node))
            if node not in outgoing:
                outgoing[node] = asserted(after.quads(node))
            if step.predicate is None:
                return outgoing[node]
            return [t for t in outgoing[node] if t.predicate.value == step.predicate]

        def follow(nodes: set[NamedNode | BlankNode], step: Step) -> set[NamedNode | BlankNode]:
            """Read one step from every node; the nodes at the other end (vocabulary stops the walk)."""
            found: set[NamedNode | BlankNode] = set()
            frontier, seen = set(nodes), set(nodes)
            while frontier:
                reached: set[NamedNode | BlankNode] = set()
                for node in frontier:
                    statements = read(node, step)
                    triples.update(statements)
                    ends = (t.subject if step.inverse else t.object for t in statements)
                    reached.update(
                        e for e in ends if isinstance(e, NamedNode | BlankNode) and e not in self.vocabulary
                    )
                found |= reached
                # a repeated step (zero or more times) goes on from what it reached, each node once
                frontier = reached - seen if step.repeat else set()
                seen |= reached
            return found | (nodes if step.repeat else set())

        def walk(nodes: set[NamedNode | BlankNode], reach: Reach) -> None:
            # single steps are taken together: each node's statements (and, when several backward
            # steps start here, the links into it) are read once and sorted to the steps whose
            # predicate they have; a shapes file has dozens of paths, a node a few statements
            single = [s for s in reach.steps if not s.repeat]
            ends: dict[Step, set[NamedNode | BlankNode]] = {}
            for inverse in (False, True):
                steps = [s for s in single if s.inverse == inverse]
                if not steps:
                    continue
                by_predicate: dict[str | None, list[Step]] = {}
                for step in steps:
                    by_predicate.setdefault(step.predicate, []).append(step)
                wildcard = by_predicate.get(None, [])
                together = not inverse or wildcard or len(by_predicate) > 1
                for node in nodes:
                    statements = read(node, Step(None, inverse)) if together else read(node, steps[0])
                    for triple in statements:
                        matched = by_predicate.get(triple.predicate.value)
                        if matched is None and not wildcard:
                            continue
                        triples.add(triple)
                        end = triple.subject if inverse else triple.object
                        if isinstance(end, NamedNode | BlankNode) and end not in self.vocabulary:
                            for step in (*(matched or ()), *wildcard):
                                ends.setdefault(step, set()).add(end)
            for step, subtree in reach.steps.items():
                reached = follow(nodes, step) if step.repeat else ends.get(step, set())
                if subtree.steps and reached:
                    walk(reached, subtree)

        walk(set(focus), self.reach)
        return triples

    def validate(
        self, after: QuadSource, delta: WriteDelta, check: Callable[[], None] = lambda: None
    ) -> WriteReport:
        """Validate the nodes ``delta`` touches, reading the store as it will be (``after``);
        ``check`` raises to stop at the write's deadline (see :meth:`neighbourhood`)."""
        focus = self.focus_nodes(delta)
        if self.shapes is None or not focus:
            return WriteReport(focus_nodes=len(focus), neighbourhood_triples=0)
        triples = self.neighbourhood(after, focus, check)
        check()
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
