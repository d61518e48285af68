"""OWL 2 reasoning with owlready2 + HermiT, with an OWL-RL fallback, into the inferred graph.

What goes in (DESIGN §7): the ontology, minus literals whose datatype is outside the OWL 2
datatype map (HermiT refuses ``xsd:date``, ``xsd:gYear`` ...), plus the individuals'
``rdf:type`` and object-property triples between IRIs. No literals, no ``owl:Axiom`` annotation
nodes, no ``prov:wasDerivedFrom``: provenance is not something to reason over. owlready2 does
not read Turtle, so the input is handed over as N-Triples, into a fresh ``World()`` per run.

What comes out: only the *new* triples about individuals in ``https://w3id.org/econsec/id/``:
types to named classes (never ``owl:Thing`` / ``owl:NamedIndividual``) and object-property
values (inverses, symmetric and transitive closures, super-properties, the ``es:memberOf``
property chain). The build puts them in the named graph ``g:inferred``, so asserted and
inferred facts stay apart.

Two details of the tools shape the code:

* HermiT's realisation (``-I``) reports each individual's *direct* types only, and its
  property-instance output (``-Y``) leaves out super-property values. owlready2, for its part,
  skips any inferred value whose inverse is already asserted (it treats inverses as implicit).
  So after HermiT has checked consistency and classified, we complete the result under the
  same OWL semantics: superclass closure of the types, and a small fixpoint over
  sub-/inverse/symmetric/transitive properties and property chains.
* Without a Java runtime (or when the JVM will not start) we say so and fall back to the
  OWL-RL closure (owlrl) over the same input, filtered the same way.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
from collections import defaultdict
from collections.abc import Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field

from econsec.graph.errors import InconsistentOntology, ReasonerError
from econsec.graph.paths import (
    G_INFERRED,
    G_ONTOLOGY,
    ID,
    ONTOLOGY_IRI,
    OWL_NS,
    RDF_NS,
    RDFS_NS,
    STATEMENT,
    XSD_NS,
    Vocab,
)
from pyoxigraph import BlankNode, Literal, NamedNode, Quad, RdfFormat, Store, Triple, parse, serialize
from rich.console import Console

__all__ = [
    "HERMIT",
    "JAVA_MISSING_MESSAGE",
    "OWL2_DATATYPES",
    "OWL_RL",
    "ReasoningInput",
    "ReasoningResult",
    "complete_entailments",
    "java_executable",
    "reason",
    "reasoning_input",
    "run_hermit",
    "run_owlrl",
]

HERMIT = "HermiT"
OWL_RL = "OWL-RL"

#: heap for the HermiT JVM, in MB (owlready2.reasoning.JAVA_MEMORY); ECONSEC_JAVA_MEMORY overrides
JAVA_MEMORY = int(os.environ.get("ECONSEC_JAVA_MEMORY", "2000"))

JAVA_MISSING_MESSAGE = (
    "Java not found: HermiT needs a Java runtime (apt install default-jre-headless); falling back to OWL-RL"
)

#: the OWL 2 datatype map (OWL 2 Structural Specification §4); anything else is kept out of HermiT
OWL2_DATATYPES: frozenset[str] = frozenset(
    [OWL_NS + "real", OWL_NS + "rational", RDF_NS + "PlainLiteral", RDF_NS + "XMLLiteral"]
    + [RDF_NS + "langString", RDFS_NS + "Literal"]
    + [
        XSD_NS + name
        for name in [
            *("decimal", "integer", "nonNegativeInteger", "nonPositiveInteger", "positiveInteger"),
            *("negativeInteger", "long", "int", "short", "byte", "unsignedLong", "unsignedInt"),
            *("unsignedShort", "unsignedByte", "double", "float", "string", "normalizedString"),
            *("token", "language", "Name", "NCName", "NMTOKEN", "boolean", "hexBinary", "base64Binary"),
            *("anyURI", "dateTime", "dateTimeStamp"),
        ]
    ]
)

#: markers in a failed Java run that mean the JVM itself did not start (so: fall back)
_JVM_START_FAILURES = (
    "Could not create the Java Virtual Machine",
    "Error occurred during initialization of VM",
    "Could not reserve enough space",
    "UnsupportedClassVersionError",
)

# predicates that never enter the reasoner from the data graphs
_NOT_REASONED = frozenset(
    {
        Vocab.prov_wasDerivedFrom,
        Vocab.owl_annotatedSource,
        Vocab.owl_annotatedProperty,
        Vocab.owl_annotatedTarget,
    }
)
_NOT_A_NAMED_CLASS = frozenset({Vocab.owl_Thing, Vocab.owl_NamedIndividual, Vocab.owl_Nothing})
_PROPERTY_TYPES = frozenset(
    {
        Vocab.owl_ObjectProperty,
        Vocab.owl_TransitiveProperty,
        Vocab.owl_SymmetricProperty,
        NamedNode(OWL_NS + "FunctionalProperty"),
        NamedNode(OWL_NS + "InverseFunctionalProperty"),
        NamedNode(OWL_NS + "AsymmetricProperty"),
        NamedNode(OWL_NS + "ReflexiveProperty"),
        NamedNode(OWL_NS + "IrreflexiveProperty"),
    }
)
_DATATYPE_PROPERTY = NamedNode(OWL_NS + "DatatypeProperty")
_ANNOTATION_PROPERTY = NamedNode(OWL_NS + "AnnotationProperty")


@dataclass(frozen=True)
class ReasoningInput:
    """What the reasoner sees: filtered ontology triples and the individuals' IRI-to-IRI facts."""

    ontology: list[Triple]
    facts: list[Triple]
    classes: frozenset[NamedNode]
    object_properties: frozenset[NamedNode]
    dropped: list[Triple] = field(default_factory=list)

    @property
    def triples(self) -> list[Triple]:
        return self.ontology + self.facts

    def ntriples(self) -> bytes:
        """The input as N-Triples (the only RDF syntax both owlready2 and owlrl take from us)."""
        return serialize(self.triples, format=RdfFormat.N_TRIPLES) or b""


@dataclass
class ReasoningResult:
    """New triples about ``id/`` individuals, and which reasoner produced them."""

    triples: list[Triple]
    reasoner: str
    note: str | None = None
    input_triples: int = 0

    def quads(self) -> list[Quad]:
        """The triples placed in the inferred graph."""
        return [Quad(t.subject, t.predicate, t.object, G_INFERRED) for t in self.triples]


def _is_reasonable_literal(term: object) -> bool:
    return not isinstance(term, Literal) or term.datatype.value in OWL2_DATATYPES


def reasoning_input(store: Store, data_graphs: Iterable[NamedNode] | None = None) -> ReasoningInput:
    """Select the reasoner's input from a store holding ``g:ontology`` and the data graphs.

    ``data_graphs`` defaults to every named graph except the ontology and the inferred graph.
    """
    ontology: list[Triple] = []
    dropped: list[Triple] = []
    classes: set[NamedNode] = set()
    properties: set[NamedNode] = set()
    other_properties: set[NamedNode] = set()
    for q in store.quads_for_pattern(None, None, None, G_ONTOLOGY):
        t = q.triple
        if not _is_reasonable_literal(t.object):
            dropped.append(t)
            continue
        ontology.append(t)
        if t.predicate == Vocab.rdf_type and isinstance(t.subject, NamedNode):
            if t.object in (Vocab.owl_Class, Vocab.rdfs_Class):
                classes.add(t.subject)
            elif t.object in _PROPERTY_TYPES:
                properties.add(t.subject)
            elif t.object in (_DATATYPE_PROPERTY, _ANNOTATION_PROPERTY):
                other_properties.add(t.subject)
    # a property declared both ways (punning) is not an object property for our purposes
    properties -= other_properties
    properties -= {Vocab.owl_topObjectProperty, Vocab.owl_bottomObjectProperty}

    if data_graphs is None:
        data_graphs = [
            g for g in store.named_graphs() if isinstance(g, NamedNode) and g not in (G_ONTOLOGY, G_INFERRED)
        ]
    facts: set[Triple] = set()
    for g in data_graphs:
        for q in store.quads_for_pattern(None, None, None, g):
            s, p, o = q.subject, q.predicate, q.object
            if not isinstance(s, NamedNode) or not isinstance(o, NamedNode) or p in _NOT_REASONED:
                continue
            if s.value.startswith(STATEMENT):
                continue  # owl:Axiom annotation nodes
            if (p == Vocab.rdf_type and o in classes) or p in properties:
                facts.add(Triple(s, p, o))
    return ReasoningInput(
        ontology=ontology,
        facts=sorted(facts, key=str),
        classes=frozenset(classes),
        object_properties=frozenset(properties),
        dropped=dropped,
    )


# --------------------------------------------------------------------------------------------
# Completing HermiT's answer: class and property closure under the ontology's axioms
# --------------------------------------------------------------------------------------------


def _closure(edges: dict[NamedNode, set[NamedNode]]) -> dict[NamedNode, set[NamedNode]]:
    """Reflexive-transitive closure of a small relation (class or property hierarchy)."""
    result: dict[NamedNode, set[NamedNode]] = {}

    def visit(node: NamedNode) -> set[NamedNode]:
        if node in result:
            return result[node]
        seen = {node}
        stack = [node]
        while stack:
            for nxt in edges.get(stack.pop(), ()):
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
        result[node] = seen
        return seen

    for node in list(edges):
        visit(node)
    return result


def _rdf_list(triples_by_subject: dict[object, dict[NamedNode, list[object]]], head: object) -> list[object]:
    items: list[object] = []
    nil = NamedNode(RDF_NS + "nil")
    while head != nil and len(items) < 64:
        props = triples_by_subject.get(head)
        if not props or Vocab.rdf_first not in props or Vocab.rdf_rest not in props:
            return []
        items.append(props[Vocab.rdf_first][0])
        head = props[Vocab.rdf_rest][0]
    return items


def complete_entailments(
    triples: Iterable[Triple],
    *,
    classes: frozenset[NamedNode],
    object_properties: frozenset[NamedNode],
) -> set[Triple]:
    """Types and object-property values entailed by ``triples`` under its class/property axioms.

    ``triples`` holds the ontology (hierarchies, inverses, characteristics, chains) and the
    individuals' facts, including the reasoner's own conclusions. Returns all type and
    object-property triples (asserted ones too); callers subtract the input.
    """
    triples = list(triples)
    sub_class: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    sub_prop: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    inverse: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    symmetric: set[NamedNode] = set()
    transitive: set[NamedNode] = set()
    by_subject: dict[object, dict[NamedNode, list[object]]] = defaultdict(lambda: defaultdict(list))
    chain_heads: list[tuple[NamedNode, object]] = []
    types: set[tuple[NamedNode, NamedNode]] = set()
    facts: set[tuple[NamedNode, NamedNode, NamedNode]] = set()

    restricted: list[tuple[NamedNode, BlankNode]] = []  # (class, anonymous superclass)

    for t in triples:
        s, p, o = t.subject, t.predicate, t.object
        if isinstance(s, BlankNode):
            by_subject[s][p].append(o)
        if not isinstance(s, NamedNode):
            continue
        if p == Vocab.owl_propertyChainAxiom:
            chain_heads.append((s, o))
        if p == Vocab.rdfs_subClassOf and isinstance(o, BlankNode):
            restricted.append((s, o))
        if not isinstance(o, NamedNode):
            continue
        if p == Vocab.rdfs_subClassOf:
            sub_class[s].add(o)
        elif p == Vocab.owl_equivalentClass:
            sub_class[s].add(o)
            sub_class[o].add(s)
        elif p == Vocab.rdfs_subPropertyOf:
            sub_prop[s].add(o)
        elif p == Vocab.owl_equivalentProperty:
            sub_prop[s].add(o)
            sub_prop[o].add(s)
        elif p == Vocab.owl_inverseOf:
            inverse[s].add(o)
            inverse[o].add(s)
        elif p == Vocab.rdf_type:
            if o == Vocab.owl_SymmetricProperty:
                symmetric.add(s)
            elif o == Vocab.owl_TransitiveProperty:
                transitive.add(s)
            elif o in classes:
                types.add((s, o))
        elif p in object_properties:
            facts.add((s, p, o))

    chains: list[tuple[list[NamedNode], NamedNode]] = []
    for prop, head in chain_heads:
        links = _rdf_list(by_subject, head)
        if links and all(isinstance(link, NamedNode) for link in links):
            chains.append(([link for link in links if isinstance(link, NamedNode)], prop))

    super_classes = _closure(sub_class)
    super_props = _closure(sub_prop)

    # OWL 2 RL has no rule for self restrictions (C ⊑ ∃p.Self), which the ontology uses to let
    # the member-of chain pass only through actual memberships; apply it here so the fallback
    # reaches the same conclusions as HermiT.
    self_properties: dict[NamedNode, set[NamedNode]] = defaultdict(set)
    for cls, node in restricted:
        restriction = by_subject.get(node, {})
        if restriction.get(Vocab.owl_hasSelf):
            for prop in restriction.get(Vocab.owl_onProperty, ()):
                if isinstance(prop, NamedNode):
                    self_properties[cls].add(prop)
    for individual, cls in types:
        for ancestor in super_classes.get(cls, (cls,)):
            for prop in self_properties.get(ancestor, ()):
                facts.add((individual, prop, individual))

    # fixpoint over the property axioms (tiny relations: naive iteration is fast enough)
    while True:
        new: set[tuple[NamedNode, NamedNode, NamedNode]] = set()
        out_edges: dict[NamedNode, dict[NamedNode, set[NamedNode]]] = defaultdict(lambda: defaultdict(set))
        for s, p, o in facts:
            out_edges[p][s].add(o)
            for q in super_props.get(p, (p,)):
                new.add((s, q, o))
            for q in inverse.get(p, ()):
                new.add((o, q, s))
            if p in symmetric:
                new.add((o, p, s))
        for p in transitive:
            edges = out_edges.get(p, {})
            for s, objects in edges.items():
                for o in objects:
                    for x in edges.get(o, ()):
                        new.add((s, p, x))
        for links, prop in chains:
            frontier: dict[NamedNode, set[NamedNode]] = {
                s: set(objs) for s, objs in out_edges.get(links[0], {}).items()
            }
            for link in links[1:]:
                step = out_edges.get(link, {})
                frontier = {s: {x for o in objs for x in step.get(o, ())} for s, objs in frontier.items()}
            for s, objs in frontier.items():
                for o in objs:
                    new.add((s, prop, o))
        new = {f for f in new if f[1] in object_properties} - facts
        if not new:
            break
        facts |= new

    entailed: set[Triple] = set()
    for individual, cls in types:
        for ancestor in super_classes.get(cls, (cls,)):
            if ancestor in classes and ancestor not in _NOT_A_NAMED_CLASS:
                entailed.add(Triple(individual, Vocab.rdf_type, ancestor))
    for s, p, o in facts:
        entailed.add(Triple(s, p, o))
    return entailed


def _new_about_individuals(entailed: Iterable[Triple], inp: ReasoningInput) -> list[Triple]:
    """Keep what is new and about an ``id/`` individual (never the annotation nodes)."""
    given = set(inp.facts)
    return sorted(
        (
            t
            for t in entailed
            if t not in given
            and isinstance(t.subject, NamedNode)
            and t.subject.value.startswith(ID)
            and not t.subject.value.startswith(STATEMENT)
            and isinstance(t.object, NamedNode)
        ),
        key=str,
    )


# --------------------------------------------------------------------------------------------
# The two reasoners
# --------------------------------------------------------------------------------------------


class _JavaUnavailable(Exception):
    """The JVM is missing or would not start: the caller falls back to OWL-RL."""


def java_executable() -> str | None:
    """The Java runtime HermiT would use, or None when there is none on PATH."""
    return shutil.which("java")


def run_hermit(inp: ReasoningInput) -> list[Triple]:
    """Consistency check, classification and realisation with HermiT, then completion.

    Raises :class:`InconsistentOntology`, :class:`ReasonerError`, or ``_JavaUnavailable``.
    """
    java = java_executable()
    if java is None:
        raise _JavaUnavailable(JAVA_MISSING_MESSAGE)

    import owlready2  # heavy import: only when we reason
    import owlready2.reasoning

    owlready2.JAVA_EXE = java
    owlready2.reasoning.JAVA_MEMORY = JAVA_MEMORY

    world = owlready2.World()  # fresh per run: nothing leaks between builds
    try:
        try:
            world.get_ontology(ONTOLOGY_IRI).load(fileobj=io.BytesIO(inp.ntriples()), format="ntriples")
        except Exception as exc:  # owlready2 raises bare exceptions from its parser
            raise ReasonerError(f"owlready2 could not read the reasoning input: {exc}") from exc
        inferred = world.get_ontology(G_INFERRED.value)
        try:
            with inferred:
                owlready2.sync_reasoner_hermit(world, infer_property_values=True, debug=0)
        except owlready2.OwlReadyInconsistentOntologyError:
            raise InconsistentOntology(
                "HermiT: the ontology and the asserted facts are inconsistent (no interpretation "
                "satisfies them all).",
                _owlrl_explanations(inp),
            ) from None
        except owlready2.OwlReadyJavaError as exc:
            text = str(exc)
            if any(marker in text for marker in _JVM_START_FAILURES):
                first = next((line for line in text.splitlines()[1:] if line.strip()), text)
                raise _JavaUnavailable(
                    f"Java could not start ({first.strip()}): HermiT needs a working Java runtime; "
                    "falling back to OWL-RL"
                ) from exc
            raise ReasonerError(f"HermiT failed: {_tail(text)}") from exc
        except (OSError, subprocess.SubprocessError) as exc:
            raise _JavaUnavailable(
                f"Java could not start ({exc}): HermiT needs a working Java runtime; falling back to OWL-RL"
            ) from exc
        buffer = io.BytesIO()
        world.save(buffer, format="ntriples")
    finally:
        world.close()

    reasoned = [q.triple for q in parse(buffer.getvalue(), RdfFormat.N_TRIPLES)]
    entailed = complete_entailments(reasoned, classes=inp.classes, object_properties=inp.object_properties)
    return _new_about_individuals(entailed, inp)


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _owlrl_expand(inp: ReasoningInput) -> tuple[list[Triple], list[str]]:
    """OWL-RL closure of the input: (IRI-to-IRI triples after closure, inconsistency messages).

    owlrl works on generalised RDF (literal subjects and the like), so only triples whose
    subject, predicate and object are all IRIs are brought back; that is all we publish.
    """
    import owlrl
    import rdflib

    graph = rdflib.Graph()
    graph.parse(data=inp.ntriples(), format="nt")
    owlrl.DeductiveClosure(owlrl.OWLRL_Semantics).expand(graph)
    err = rdflib.Namespace("http://www.daml.org/2002/03/agents/agent-ont#")
    errors = sorted(str(m) for m in graph.objects(None, err.error))
    closed = [
        Triple(NamedNode(str(s)), NamedNode(str(p)), NamedNode(str(o)))
        for s, p, o in graph
        if isinstance(s, rdflib.URIRef) and isinstance(p, rdflib.URIRef) and isinstance(o, rdflib.URIRef)
    ]
    return closed, errors


def _owlrl_explanations(inp: ReasoningInput) -> list[str]:
    """OWL-RL's inconsistency messages, as hints when HermiT finds no model."""
    try:
        return _owlrl_expand(inp)[1]
    except Exception:  # explanations are best effort; the inconsistency itself stands
        return []


def run_owlrl(inp: ReasoningInput) -> list[Triple]:
    """OWL-RL closure (owlrl) of the same input, filtered like HermiT's output."""
    closed, errors = _owlrl_expand(inp)
    if errors:
        raise InconsistentOntology("OWL-RL: the ontology and the asserted facts are inconsistent.", errors)
    entailed = complete_entailments(
        inp.ontology + closed, classes=inp.classes, object_properties=inp.object_properties
    )
    return _new_about_individuals(entailed, inp)


def reason(
    store: Store,
    *,
    data_graphs: Iterable[NamedNode] | None = None,
    use_hermit: bool = True,
    console: Console | None = None,
    show_status: bool = False,
) -> ReasoningResult:
    """Reason over ``store`` (ontology + data graphs) and return the new triples for ``g:inferred``.

    HermiT first; if Java is missing or will not start, print why on ``console`` (stderr by
    default) and use OWL-RL. ``show_status`` wraps the run in a rich spinner (for the CLI).
    """
    inp = reasoning_input(store, data_graphs)
    out = console or Console(stderr=True)
    note: str | None = None
    if use_hermit:
        try:
            with _status(out, "Reasoning with HermiT…", show_status):
                triples = run_hermit(inp)
            return ReasoningResult(triples, HERMIT, None, len(inp.triples))
        except _JavaUnavailable as exc:
            note = str(exc)
            out.print(note, style="yellow", markup=False, highlight=False)
    with _status(out, "Reasoning with OWL-RL…", show_status):
        triples = run_owlrl(inp)
    return ReasoningResult(triples, OWL_RL, note, len(inp.triples))


def _status(console: Console, message: str, show: bool) -> AbstractContextManager[object]:
    """A rich spinner for the CLI, or nothing."""
    return console.status(message) if show else nullcontext()
