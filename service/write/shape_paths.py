"""What the SHACL shapes read around a focus node, derived from the shapes themselves.

A write is validated on the nodes it touches (``validation.py``); pySHACL then needs every triple
a shape could look at from those nodes, and no more, or the check costs the size of the store.
Instead of a hand-written list of "statements, blank neighbours, inverse links...", this module
reads the shapes graph and turns what the shapes follow into a tree of :class:`Step`\\ s from the
focus node:

- targets: ``sh:targetClass`` (and implicit class targets) need the node's ``rdf:type``;
  ``sh:targetSubjectsOf`` / ``sh:targetObjectsOf`` its statements with that predicate, either way;
- ``sh:path``, with sequence, alternative, inverse and repeated (``sh:zeroOrMorePath``...) paths;
- what a constraint reads on the values the path reaches: ``sh:class`` their types, ``sh:node``,
  ``sh:property``, ``sh:qualifiedValueShape``, ``sh:and`` / ``sh:or`` / ``sh:xone`` / ``sh:not``
  the shapes nested in them (continued from the values), ``sh:equals`` and the other property-pair
  constraints a second path from the focus node;
- SPARQL targets and constraints: their triple patterns (``FILTER NOT EXISTS`` included) are
  walked from ``$this``/``?this``, each pattern read from the side that is reached first, forward
  before backward, so ``?axiom owl:annotatedTarget ?value`` is read from the annotation (a few
  statements) and not from the value (a hub with thousands of incoming links). A variable
  predicate is "any predicate". Patterns not connected to ``$this`` are about the vocabulary, which
  the validator adds whole.

The class hierarchy the targets and ``sh:class`` need is the ontology, which the validator adds
whole; the tree therefore stops at vocabulary terms.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import rdflib
import rdflib.collection
from rdflib.namespace import RDF, RDFS, SH
from rdflib.paths import AlternativePath, InvPath, MulPath, Path, SequencePath
from rdflib.term import BNode, Node, URIRef, Variable

__all__ = ["Reach", "Step", "reach_of_shapes"]


@dataclass(frozen=True)
class Step:
    """One link followed from a node: a predicate (None: any), forwards or backwards, once or repeated."""

    predicate: str | None
    inverse: bool = False
    #: follow the link zero or more times (``sh:zeroOrMorePath``, ``sh:oneOrMorePath``, ``*``, ``+``)
    repeat: bool = False


@dataclass
class Reach:
    """A tree of steps from a focus node: what the shapes read around it."""

    steps: dict[Step, Reach] = field(default_factory=dict)

    def child(self, step: Step) -> Reach:
        """The subtree after ``step``, created on first use."""
        return self.steps.setdefault(step, Reach())

    def merge(self, other: Reach) -> None:
        """Add every path of ``other`` to this tree."""
        for step, subtree in other.steps.items():
            self.child(step).merge(subtree)

    def paths(self) -> Iterator[tuple[Step, ...]]:
        """Every path from the root to a leaf (for tests and for reading the tree)."""
        for step, subtree in self.steps.items():
            if not subtree.steps:
                yield (step,)
            for rest in subtree.paths():
                yield (step, *rest)


_TYPE = Step(str(RDF.type))
_VALUE_SHAPES = (SH.node, SH.qualifiedValueShape, SH["not"])
_SHAPE_LISTS = (SH["and"], SH["or"], SH.xone)
_PAIR_CONSTRAINTS = (SH.equals, SH.disjoint, SH.lessThan, SH.lessThanOrEquals)
_REPEATS = (SH.zeroOrMorePath, SH.oneOrMorePath, SH.zeroOrOnePath)


def _shacl_path(graph: rdflib.Graph, node: Node) -> list[list[Step]]:
    """An ``sh:path`` value as the alternative step sequences it stands for."""
    if isinstance(node, URIRef):
        return [[Step(str(node))]]
    if (graph.value(node, RDF.first)) is not None:  # a sequence path: an RDF list
        sequences: list[list[Step]] = [[]]
        for member in rdflib.collection.Collection(graph, node):
            sequences = [head + tail for head in sequences for tail in _shacl_path(graph, member)]
        return sequences
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return [[_inverted(step) for step in reversed(seq)] for seq in _shacl_path(graph, inverse)]
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return [
            seq
            for member in rdflib.collection.Collection(graph, alternatives)
            for seq in _shacl_path(graph, member)
        ]
    for predicate in _REPEATS:
        repeated = graph.value(node, predicate)
        if repeated is not None:
            return [[_repeated(step) for step in seq] for seq in _shacl_path(graph, repeated)]
    return []


def _sparql_path(path: Node | Path) -> list[list[Step]]:
    """A SPARQL property path (rdflib's algebra) as the alternative step sequences it stands for."""
    if isinstance(path, URIRef):
        return [[Step(str(path))]]
    if isinstance(path, SequencePath):
        sequences: list[list[Step]] = [[]]
        for member in path.args:
            sequences = [head + tail for head in sequences for tail in _sparql_path(member)]
        return sequences
    if isinstance(path, AlternativePath):
        return [seq for member in path.args for seq in _sparql_path(member)]
    if isinstance(path, InvPath):
        return [[_inverted(step) for step in reversed(seq)] for seq in _sparql_path(path.arg)]
    if isinstance(path, MulPath):
        return [[_repeated(step) for step in seq] for seq in _sparql_path(path.path)]
    return [[Step(None)]]  # a variable predicate or a negated property set: any predicate


def _inverted(step: Step) -> Step:
    return Step(step.predicate, not step.inverse, step.repeat)


def _repeated(step: Step) -> Step:
    return Step(step.predicate, step.inverse, True)


def _extend(reach: Reach, sequences: Iterable[list[Step]]) -> list[Reach]:
    """Add each sequence under ``reach``; the subtrees where they end."""
    ends = []
    for sequence in sequences:
        node = reach
        for step in sequence:
            node = node.child(step)
        ends.append(node)
    return ends


class _ShapeReader:
    """Walks a shapes graph once, building the reach of each shape (memoised, cycles cut)."""

    def __init__(self, graph: rdflib.Graph) -> None:
        self.graph = graph
        self.prefixes = {
            str(graph.value(d, SH.prefix)): str(graph.value(d, SH.namespace))
            for d in graph.objects(None, SH.declare)
        }
        self.done: dict[Node, Reach] = {}

    def shape(self, shape: Node) -> Reach:
        """What validating ``shape`` on a node reads around that node."""
        if shape in self.done:
            return self.done[shape]
        reach = Reach()
        self.done[shape] = reach  # a recursive shape reuses the tree being built
        g = self.graph
        ends = [reach]
        path = g.value(shape, SH.path)
        if path is not None:  # a property shape: its constraints apply to the path's values
            ends = _extend(reach, _shacl_path(g, path))
        for end in ends:
            if g.value(shape, SH["class"]) is not None:
                end.child(_TYPE)
            for predicate in _VALUE_SHAPES:
                for nested in g.objects(shape, predicate):
                    end.merge(self.shape(nested))
            for predicate in _SHAPE_LISTS:
                for members in g.objects(shape, predicate):
                    for nested in rdflib.collection.Collection(g, members):
                        end.merge(self.shape(nested))
            for nested in g.objects(shape, SH.property):
                end.merge(self.shape(nested))
        for predicate in _PAIR_CONSTRAINTS:
            for other in g.objects(shape, predicate):
                reach.child(Step(str(other)))
        for constraint in g.objects(shape, SH.sparql):
            reach.merge(self.sparql(constraint))
        return reach

    def targets(self, shape: Node) -> Reach:
        """What finding out whether a node is a target of ``shape`` reads around the node."""
        g = self.graph
        reach = Reach()
        if (shape, SH.targetClass, None) in g or (shape, RDF.type, RDFS.Class) in g:
            reach.child(_TYPE)
        for predicate in g.objects(shape, SH.targetSubjectsOf):
            reach.child(Step(str(predicate)))
        for predicate in g.objects(shape, SH.targetObjectsOf):
            reach.child(Step(str(predicate), inverse=True))
        for target in g.objects(shape, SH.target):
            reach.merge(self.sparql(target))
        return reach

    def sparql(self, node: Node) -> Reach:
        """The triple patterns of a SPARQL constraint or target, as steps from ``$this``."""
        from rdflib.plugins.sparql import prepareQuery

        text = self.graph.value(node, SH.select) or self.graph.value(node, SH.ask)
        if text is None:
            return Reach()
        algebra = prepareQuery(str(text), initNs=self.prefixes).algebra
        return _bgp_reach(list(_patterns(algebra)))


def _patterns(algebra: object) -> Iterator[tuple[Node, Node | Path, Node]]:
    """Every triple pattern in a query's algebra, in ``FILTER (NOT) EXISTS`` and ``OPTIONAL`` too."""
    if isinstance(algebra, dict):
        for key, value in algebra.items():
            if key == "triples":
                for triples in value:
                    # an untranslated block (inside FILTER EXISTS) is one flat list `s p o s p o ...`
                    terms = list(triples)
                    for i in range(0, len(terms) - 2, 3):
                        yield terms[i], terms[i + 1], terms[i + 2]
            elif not key.startswith("_"):
                yield from _patterns(value)
    elif isinstance(algebra, list | tuple):
        for item in algebra:
            yield from _patterns(item)


def _is_variable(term: Node | Path) -> bool:
    return isinstance(term, Variable | BNode)


def _bgp_reach(patterns: list[tuple[Node, Node | Path, Node]]) -> Reach:
    """Walk the patterns from ``?this``: each variable from the cheapest side, forward first.

    A pattern is read forward from its subject when the subject is reached, else backward from its
    object. Variables are reached in order of cost (a backward link costs more than a forward one),
    so a variable joined to ``?this`` backward and to another variable backward is reached from
    ``?this``, and every pattern between two reached variables is read forward.
    """
    this = Variable("this")
    root = Reach()
    reached: dict[Node, list[Reach]] = {}
    used: set[int] = set()
    order = itertools.count(1)
    # (cost, tie-break, variable, where its subtrees are, the backward pattern still to add, if any)
    queue: list[tuple[float, int, Node, list[Reach], tuple[int, list[list[Step]]] | None]] = [
        (0.0, 0, this, [root], None)
    ]
    while queue:
        cost, _, variable, parents, pending = heapq.heappop(queue)
        if variable in reached:
            continue
        ends = parents
        if pending is not None:
            index, backward = pending
            if index in used:
                continue
            used.add(index)
            ends = [end for parent in parents for end in _extend(parent, backward)]
        reached[variable] = ends
        for index, (s, p, o) in enumerate(patterns):
            if index in used:
                continue
            sequences = [[Step(None)]] if _is_variable(p) else _sparql_path(p)
            if s == variable:
                used.add(index)
                forward = [end for parent in ends for end in _extend(parent, sequences)]
                if _is_variable(o) and o not in reached:
                    heapq.heappush(queue, (cost + 1, next(order), o, forward, None))
            elif o == variable:
                backward = [[_inverted(step) for step in reversed(seq)] for seq in sequences]
                if not _is_variable(s):  # a constant subject: read backward now, nothing to reach
                    used.add(index)
                    _extend_all(ends, backward)
                elif s not in reached:
                    heapq.heappush(queue, (cost + 1.5, next(order), s, ends, (index, backward)))
    return root


def _extend_all(parents: list[Reach], sequences: list[list[Step]]) -> None:
    for parent in parents:
        _extend(parent, sequences)


def reach_of_shapes(shapes: rdflib.Graph) -> Reach:
    """Everything any shape of ``shapes`` reads around a node: its targets and its constraints."""
    reader = _ShapeReader(shapes)
    reach = Reach()
    kinds = (SH.NodeShape, SH.PropertyShape)
    top = {s for kind in kinds for s in shapes.subjects(RDF.type, kind)}
    top |= {
        s
        for p in (SH.targetClass, SH.targetSubjectsOf, SH.targetObjectsOf, SH.target)
        for s in shapes.subjects(p)
    }
    for shape in sorted(top, key=str):
        reach.merge(reader.targets(shape))
        reach.merge(reader.shape(shape))
    return reach
