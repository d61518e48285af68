"""The one interface the service needs from a store, and the result it gets back.

Results are expressed in pyoxigraph's term model (NamedNode, Literal, QuerySolution, Triple)
whatever the backend: the embedded store produces them natively, a remote store's answers parse
into them (``pyoxigraph.parse_query_results``, ``pyoxigraph.parse``). So the serialisers in
``formats.py`` are written once, and a backend only has to evaluate.

Results are lazy where the engine allows: iterating ``solutions`` or ``triples`` may still be
evaluating the query. The caller iterates inside its deadline (``executor.py``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable

from pyoxigraph import (
    BlankNode,
    Literal,
    NamedNode,
    Quad,
    QueryBoolean,
    QuerySolution,
    QuerySolutions,
    Triple,
)

__all__ = ["QuadSource", "QueryResult", "ResultKind", "StoreBackend", "Term", "WriteDelta"]

#: an RDF term as a query binds it
Term = NamedNode | BlankNode | Literal | Triple


class ResultKind(StrEnum):
    """What a query form returns; it decides which media types can carry the answer."""

    SOLUTIONS = "solutions"  # SELECT
    BOOLEAN = "boolean"  # ASK
    GRAPH = "graph"  # CONSTRUCT, DESCRIBE


@dataclass
class QueryResult:
    """A query's answer: exactly one of ``solutions``, ``boolean``, ``triples`` is set, as ``kind`` says."""

    kind: ResultKind
    variables: tuple[str, ...] = ()
    solutions: Iterator[QuerySolution] | None = None
    boolean: bool | None = None
    triples: Iterator[Triple] | None = None
    #: the engine's own solutions object, for writing them with its serialiser (native_results.py)
    engine_solutions: QuerySolutions | None = None

    @classmethod
    def of(cls, result: object) -> QueryResult:
        """Wrap what ``pyoxigraph.Store.query`` (or ``parse_query_results``) returned."""
        if isinstance(result, QuerySolutions):
            names = tuple(v.value for v in result.variables)
            return cls(ResultKind.SOLUTIONS, variables=names, solutions=iter(result), engine_solutions=result)
        if isinstance(result, QueryBoolean):
            return cls(ResultKind.BOOLEAN, boolean=bool(result))
        return cls(ResultKind.GRAPH, triples=iter(result))  # type: ignore[call-overload]


@dataclass
class WriteDelta:
    """One write, as the exact change it makes to the named graphs; what a backend commits at once.

    Only named-graph quads appear here: keeping the default graph the merge of the named graphs
    is the backend's business (the embedded store materialises it, a remote store may have a
    union default graph of its own). ``inserts`` are quads not yet in the store and ``deletes``
    quads that are, so the delta is exactly what changes. Graphs can exist empty (SPARQL
    ``CREATE GRAPH``), hence ``created_graphs`` and ``dropped_graphs``.
    """

    inserts: set[Quad] = field(default_factory=set)
    deletes: set[Quad] = field(default_factory=set)
    created_graphs: set[NamedNode] = field(default_factory=set)
    dropped_graphs: set[NamedNode] = field(default_factory=set)

    def __bool__(self) -> bool:
        return bool(self.inserts or self.deletes or self.created_graphs or self.dropped_graphs)


class QuadSource(Protocol):
    """What the write path reads: named-graph quads and graph existence. Every backend is one, and
    so is the write path's overlay of a pending delta (``write/overlay.py``), so a write reads
    the store as it will be the same way it reads the store as it is."""

    def quads(
        self,
        subject: NamedNode | BlankNode | None = None,
        predicate: NamedNode | None = None,
        object: Term | None = None,
        graph: NamedNode | None = None,
    ) -> Iterator[Quad]:
        """Named-graph quads matching the pattern (``None`` matches anything); never the default graph.

        The write path reads through this: it computes deltas and validation neighbourhoods.
        """
        ...

    def has_graph(self, graph: NamedNode) -> bool:
        """Whether the named graph exists (it may be empty after ``CREATE GRAPH``)."""
        ...


@runtime_checkable
class StoreBackend(QuadSource, Protocol):
    """A store the service can query. Implementations must be safe to call from several threads."""

    @property
    def description(self) -> str:
        """One line saying what and where the store is, for logs and ``/health``."""
        ...

    @property
    def build_id(self) -> str | None:
        """The id of the release the store was filled from (``dcterms:identifier`` in VoID), if known."""
        ...

    @property
    def loaded_at(self) -> str | None:
        """When the store was filled from that release (ISO 8601), if known."""
        ...

    @property
    def written_since(self) -> str | None:
        """When the first write through the service committed since the store was filled (ISO
        8601), or None. From then on the build's derived data (the inferred graph, its counts) no
        longer reflects what is stored: ``/health`` and VoID say so."""
        ...

    def query(
        self,
        text: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Evaluate a SPARQL 1.1 query.

        With no graph URIs the default graph is the union of all named graphs (unless the query
        has its own FROM / FROM NAMED). Given ``default_graph_uris`` and/or ``named_graph_uris``
        (the SPARQL Protocol's ``default-graph-uri`` / ``named-graph-uri``), the dataset is exactly
        those graphs, overriding the query's FROM clauses. ``substitutions`` binds variables to
        terms without editing the query text.

        Raises ``QuerySyntaxError`` for a malformed query, ``BadRequest`` for an invalid graph
        URI, ``StoreError`` when the store itself fails.
        """
        ...

    def triple_count(self, graph: str | None = None) -> int:
        """Triples in one named graph, or (``None``) in the default graph: the union of all named
        graphs, where a triple stated in two graphs counts once."""
        ...

    def named_graphs(self) -> list[str]:
        """IRIs of the named graphs, sorted."""
        ...

    def apply(self, delta: WriteDelta) -> None:
        """Commit ``delta`` atomically and durably: all of it or none, and once this returns it
        survives a crash of the process. The default graph stays the merge of the named graphs."""
        ...

    def close(self) -> None:
        """Release the store (files, locks, connections). Idempotent."""
        ...
