"""Counts over a built store: instances per class, triples per named graph and per property.

Plain data (lists of rows) so the CLI can render rich tables and tests can assert numbers.
Instances per class use the ontology's subclass closure, so ``es:Actor`` counts every state,
ministry and company, whether or not the inferred graph is present.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QuerySolutions, Store

from .paths import ES, G_ONTOLOGY, OWL_NS, RDFS_NS

__all__ = ["GraphCount", "Stats", "compute_stats"]


@dataclass(frozen=True)
class GraphCount:
    graph: str
    triples: int


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


def _rows(store: Store, query: str) -> QuerySolutions:
    result = store.query(query)
    assert isinstance(result, QuerySolutions)
    return result


def compute_stats(store: Store, *, namespace: str = ES) -> Stats:
    """Count ``store``; classes are those of ``namespace`` declared in the ontology graph."""
    classes = [
        (row["class"].value, int(row["n"].value))
        for row in _rows(
            store,
            f"""
            SELECT ?class (COUNT(DISTINCT ?i) AS ?n) WHERE {{
                {{ SELECT DISTINCT ?class ?sub WHERE {{
                    GRAPH <{G_ONTOLOGY.value}> {{
                        ?class a <{OWL_NS}Class> . ?sub <{RDFS_NS}subClassOf>* ?class
                    }}
                    FILTER (STRSTARTS(STR(?class), "{namespace}"))
                }} }}
                GRAPH ?g {{ ?i a ?sub }}
                FILTER (?g != <{G_ONTOLOGY.value}>)
            }} GROUP BY ?class
            """,
        )
    ]
    graphs = [
        GraphCount(row["g"].value, int(row["n"].value))
        for row in _rows(store, "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
    ]
    properties = [
        (row["p"].value, int(row["n"].value))
        for row in _rows(store, "SELECT ?p (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?p")
    ]
    classes.sort(key=lambda r: (-r[1], r[0]))
    graphs.sort(key=lambda g: (-g.triples, g.graph))
    properties.sort(key=lambda r: (-r[1], r[0]))
    return Stats(classes=classes, graphs=graphs, properties=properties, total=sum(g.triples for g in graphs))
