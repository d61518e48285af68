"""Counts over a store: instances per class, triples per named graph and per property.

The two counts the home page, VoID and ``econsec stats`` all show are defined once, here, as
internal queries (``queries/internal/``): :func:`triples_per_graph` and
:func:`instances_per_class`. Instances per class use the ontology's subclass closure over the
data graphs (asserted and inferred types alike, each thing once; the ontology graph's own
statements are not data), so ``es:Actor`` counts every state, ministry and company whether or
not the inferred graph is present. Both take a pyoxigraph store (the build, the CLI) or a
service store backend (the pages), so every place that shows a number asks the same question.

Plain data (lists of rows) so the CLI can render rich tables and tests can assert numbers.
"""

from __future__ import annotations

from dataclasses import dataclass

from econsec.queries import internal
from pyoxigraph import NamedNode, Store

from .paths import ES, G_ONTOLOGY

__all__ = [
    "INSTANCES_PER_CLASS",
    "ClassCount",
    "GraphCount",
    "Stats",
    "compute_stats",
    "instances_per_class",
    "triples_per_graph",
]

#: what "instances" means wherever a count of them is shown (pages, VoID, the CLI)
INSTANCES_PER_CLASS = (
    "typed with the class or any of its subclasses, asserted or inferred, each thing counted once "
    "(the ontology's own statements are not counted)"
)


@dataclass(frozen=True)
class GraphCount:
    graph: str
    triples: int


@dataclass(frozen=True)
class ClassCount:
    """A class of the ontology, its English name (if it has one) and its instances."""

    iri: str
    label: str | None
    instances: int


def triples_per_graph(store: Store | internal.QueryRunner, graph: str | None = None) -> dict[str, int]:
    """Triples in each named graph (a triple stated in two graphs counts in each), largest first;
    given ``graph``, that graph alone (absent when empty)."""
    terms = {} if graph is None else {"g": NamedNode(graph)}
    return {
        row["g"].value: int(row["n"].value) for row in internal.select(store, "triples-per-graph", **terms)
    }


def instances_per_class(
    store: Store | internal.QueryRunner, ontology_graph: str = G_ONTOLOGY.value
) -> list[ClassCount]:
    """Instances of each class the ontology graph declares (see ``INSTANCES_PER_CLASS``), most first;
    classes with none are left out."""
    return [
        ClassCount(
            row["class"].value,
            row["label"].value if row["label"] is not None else None,
            int(row["n"].value),
        )
        for row in internal.select(store, "instances-per-class", ontology=NamedNode(ontology_graph))
    ]


@dataclass(frozen=True)
class Stats:
    """Counts over a store; each list is sorted for display (largest first, then by IRI)."""

    #: (class IRI, distinct instances including those of subclasses), es: classes only
    classes: list[tuple[str, int]]
    #: (named graph IRI, triples in it)
    graphs: list[GraphCount]
    #: (property IRI, statements using it, over all graphs)
    properties: list[tuple[str, int]]
    #: statements over all named graphs
    total: int

    def graph_triples(self, graph: str) -> int:
        return next((g.triples for g in self.graphs if g.graph == graph), 0)

    def instances(self, class_iri: str) -> int:
        return next((n for c, n in self.classes if c == class_iri), 0)


def compute_stats(store: Store, *, namespace: str = ES) -> Stats:
    """Count ``store``; classes are those of ``namespace`` declared in the ontology graph."""
    classes = [(c.iri, c.instances) for c in instances_per_class(store) if c.iri.startswith(namespace)]
    graphs = [GraphCount(g, n) for g, n in triples_per_graph(store).items()]
    properties = [
        (row["p"].value, int(row["n"].value)) for row in internal.select(store, "statements-per-property")
    ]
    classes.sort(key=lambda r: (-r[1], r[0]))
    graphs.sort(key=lambda g: (-g.triples, g.graph))
    properties.sort(key=lambda r: (-r[1], r[0]))
    return Stats(classes=classes, graphs=graphs, properties=properties, total=sum(g.triples for g in graphs))
