"""The store as a write will leave it: the backend's named graphs with a pending delta laid over them.

A request's operations are turned into one delta step by step; each step reads through the
overlay, so a later operation sees what earlier ones did (``INSERT DATA`` then ``CLEAR``, ``COPY``
after ``INSERT``...) while the store itself stays untouched until the whole delta is validated.
Every change goes through :meth:`Overlay.insert` / :meth:`Overlay.delete`, which keep the delta
exact: only quads that really appear or disappear are recorded.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator

from pyoxigraph import BlankNode, NamedNode, Quad

from ..store.base import QuadSource, Term, WriteDelta

__all__ = ["Overlay", "QuadSource"]


def _matches(quad: Quad, s: object, p: object, o: object, g: object) -> bool:
    return (
        (s is None or quad.subject == s)
        and (p is None or quad.predicate == p)
        and (o is None or quad.object == o)
        and (g is None or quad.graph_name == g)
    )


class Overlay:
    """``base`` with ``delta`` applied, readable like a backend; implements :class:`QuadSource`."""

    def __init__(
        self,
        base: QuadSource,
        delta: WriteDelta | None = None,
        *,
        stage: Callable[[Overlay], None] | None = None,
    ) -> None:
        self.base = base
        self._stage = stage
        self.reset()
        if delta is not None:
            self.replay(delta)

    def reset(self) -> None:
        """Forget the pending delta (after it has been written to ``base``)."""
        self.delta = WriteDelta()
        self._by_subject: dict[object, set[Quad]] = defaultdict(set)
        self._by_object: dict[object, set[Quad]] = defaultdict(set)
        self._by_graph: dict[object, set[Quad]] = defaultdict(set)

    @property
    def can_stage(self) -> bool:
        return self._stage is not None

    def stage(self) -> None:
        """Write the pending delta to the store now, so the engine itself sees it (``write/service.py``)."""
        if self._stage is None:
            raise RuntimeError("this overlay cannot stage its changes")
        if self.delta:
            self._stage(self)

    def replay(self, delta: WriteDelta) -> None:
        for graph in delta.created_graphs:
            self.create_graph(graph)
        for quad in delta.deletes:
            self.delete(quad)
        for graph in delta.dropped_graphs:
            self.drop_graph(graph)
        for quad in delta.inserts:
            self.insert(quad)

    # --- reading --------------------------------------------------------------------------

    def quads(
        self,
        subject: NamedNode | BlankNode | None = None,
        predicate: NamedNode | None = None,
        object: Term | None = None,
        graph: NamedNode | None = None,
    ) -> Iterator[Quad]:
        deletes = self.delta.deletes
        for quad in self.base.quads(subject, predicate, object, graph):
            if quad not in deletes:
                yield quad
        if subject is not None:
            pending: Iterable[Quad] = self._by_subject.get(subject, ())
        elif object is not None:
            pending = self._by_object.get(object, ())
        elif graph is not None:
            pending = self._by_graph.get(graph, ())
        else:
            pending = self.delta.inserts
        for quad in list(pending):
            if _matches(quad, subject, predicate, object, graph):
                yield quad

    def contains(self, quad: Quad) -> bool:
        if quad in self.delta.inserts:
            return True
        if quad in self.delta.deletes:
            return False
        return any(True for _ in self.base.quads(quad.subject, quad.predicate, quad.object, quad.graph_name))  # type: ignore[arg-type]

    def has_graph(self, graph: NamedNode) -> bool:
        if graph in self.delta.dropped_graphs:
            return bool(self._by_graph.get(graph))
        return (
            graph in self.delta.created_graphs
            or bool(self._by_graph.get(graph))
            or self.base.has_graph(graph)
        )

    # --- changing ---------------------------------------------------------------------------

    def insert(self, quad: Quad) -> None:
        graph = quad.graph_name
        if quad in self.delta.deletes:
            self.delta.deletes.discard(quad)
        elif quad not in self.delta.inserts and not self.contains(quad):
            self.delta.inserts.add(quad)
            self._by_subject[quad.subject].add(quad)
            self._by_object[quad.object].add(quad)
            self._by_graph[graph].add(quad)
        self.delta.dropped_graphs.discard(graph)  # type: ignore[arg-type]

    def delete(self, quad: Quad) -> None:
        if quad in self.delta.inserts:
            self.delta.inserts.discard(quad)
            self._by_subject[quad.subject].discard(quad)
            self._by_object[quad.object].discard(quad)
            self._by_graph[quad.graph_name].discard(quad)
        elif quad not in self.delta.deletes and self.contains(quad):
            self.delta.deletes.add(quad)

    def create_graph(self, graph: NamedNode) -> None:
        self.delta.dropped_graphs.discard(graph)
        if not self.has_graph(graph):
            self.delta.created_graphs.add(graph)

    def drop_graph(self, graph: NamedNode) -> None:
        """Empty the graph and make it cease to exist.

        Quads with blank nodes are not listed as deletes (a delete cannot name a blank node); the
        commit's ``DROP GRAPH`` removes them with the graph.
        """
        for quad in list(self.quads(graph=graph)):
            if not (isinstance(quad.subject, BlankNode) or isinstance(quad.object, BlankNode)):
                self.delete(quad)
        if graph in self.delta.created_graphs:
            self.delta.created_graphs.discard(graph)
        elif self.base.has_graph(graph):
            self.delta.dropped_graphs.add(graph)
