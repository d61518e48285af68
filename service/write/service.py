"""One writer at a time: compute the delta, validate it, commit it, within a deadline.

Every write (SPARQL Update, Graph Store Protocol) is a function that fills an
:class:`~.overlay.Overlay` with its change. :meth:`WriteService.write` runs it on a worker thread
under the single writer lock:

1. compute the delta into the overlay (the store is only read);
2. validate the nodes it touches (:mod:`.validation`); a violation is 422 with the report;
3. check the deadline (``ECONSEC_QUERY_TIMEOUT``, counted from arrival, waiting for the lock
   included; the change's own loops and the validation walk look at it too); past it the write
   is dropped with 504, so a client told "timeout" knows nothing changed;
4. commit: ``backend.apply(delta)``, one transaction; a full disk is 507 and commits nothing;
5. :meth:`WriteService._completed`, the one place where a commit completes: it tells the app
   (``on_commit``: a new query snapshot, and whatever else must follow every committed write).
   From here the answer is 2xx whatever fails, since the write is in the store.

Only step 4 changes the store, so a refusal at any earlier step leaves it exactly as it was.
Queries do not take the lock: they keep running during a write and see it all or not at all.

One exception to "the store is only read until step 4": a multi-operation update whose later
``DELETE/INSERT ... WHERE`` must see what earlier operations did (the WHERE is evaluated by the
engine, on the store). Such a write is *staged*: before that operation the pending delta is
applied, after its inverse has been appended to the backend's undo journal
(:meth:`EmbeddedStore.record_undo`). If anything later fails (a violation, a timeout, an error)
the staged steps are reverted from the journal; if the server dies, the next start reverts
them. The journal is removed only once the whole write has committed, and the client is
answered after that, so an acknowledged write is whole and an unacknowledged one is gone. While a
staged write is in progress, queries can see its intermediate steps; single-step writes (all
others) are never visible before they commit. Backends without an undo journal refuse such
updates (400, send the operations separately).
Writes do not use the query executor's pool: a query's deadline ends the *wait* for it, which
for a write would mean answering 504 for a change that still commits afterwards. They run on the
writer threads (:data:`WRITER_STACK_BYTES` of stack each): an update's WHERE is evaluated by the
engine there, after the same text passed its dry run in a worker process with the platform's
8 MiB stack (``sparql/update.py``), so what the dry run survived has eight times the room here.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import ClassVar

from econsec.graph.paths import G_INFERRED, G_ONTOLOGY
from pyoxigraph import NamedNode

from ..errors import BadRequest, Overloaded, QueryTimeout
from ..execution.executor import DaemonPool, Deadline
from ..settings import Settings
from ..store.base import StoreBackend, WriteDelta
from .errors import BuildGraphsProtected, ProtectedGraph, ShapeViolation, SourceGraphProtected, WriteTimeout
from .overlay import Overlay
from .validation import WriteReport, WriteValidator

__all__ = ["PROTECTED_GRAPHS", "GraphPolicy", "WriteOutcome", "WriteService"]

log = logging.getLogger("econsec.service")

#: graphs the build writes; the service refuses to write into them
PROTECTED_GRAPHS = frozenset({G_ONTOLOGY, G_INFERRED})

#: fills the overlay with a write's change; may call the deadline's check between steps
Change = Callable[[Overlay, Deadline], object]

#: stack of each writer thread: eight times the 8 MiB a worker's dry run of the same update had
WRITER_STACK_BYTES = 64 * 1024 * 1024
#: writer threads per process: one writes at a time (the lock); the others wait for it within
#: their deadline, so a write queued behind a long one is answered 503 rather than left waiting
_WRITER_THREADS = 4
_writers: DaemonPool | None = None
_writers_made = threading.Lock()


def _writer_pool() -> DaemonPool:
    """The process's writer threads, started on the first write."""
    global _writers
    with _writers_made:
        if _writers is None:
            _writers = DaemonPool(_WRITER_THREADS, "econsec-writer", stack_size=WRITER_STACK_BYTES)
        return _writers


@dataclass(frozen=True)
class WriteOutcome:
    """What a committed write did."""

    inserted: int
    deleted: int
    graphs_created: int
    graphs_dropped: int
    report: WriteReport
    result: object = None

    def summary(self) -> dict[str, object]:
        return {
            "inserted": self.inserted,
            "deleted": self.deleted,
            "graphs_created": self.graphs_created,
            "graphs_dropped": self.graphs_dropped,
            "validated_focus_nodes": self.report.focus_nodes,
            "validated_neighbourhood_triples": self.report.neighbourhood_triples,
            "warnings": self.report.warnings,
        }


def refuse_protected(graph: NamedNode) -> None:
    """Raise :class:`ProtectedGraph` for a graph the build owns."""
    if graph in PROTECTED_GRAPHS:
        raise ProtectedGraph(
            f"the graph {graph.value} is produced by `econsec build` (the ontology, or the reasoner's "
            "inferences) and cannot be written through the service: edit ontology/econsec.ttl or the "
            "source files and rebuild. Nothing was changed."
        )


@dataclass(frozen=True)
class GraphPolicy:
    """Which graphs a write may reach, and where the default graph's writes go (README, "Updates").

    The default graph is the union of the named graphs. A write that names no graph goes to
    ``user_graph``, a named graph like any other, so the next query sees it. In the default
    configuration the build's graphs (the curated namespace ``{public base}graph/``, except the
    user graph) are never emptied or reached through the default graph: ``DELETE`` without GRAPH
    removes from the user graph, ``CLEAR DEFAULT`` empties the user graph, and ``CLEAR ALL`` /
    ``DROP ALL`` / ``... NAMED`` are refused (403) while build graphs exist; the ontology and
    inferred graphs refuse every write. ``plain_store`` gives full SPARQL 1.1 Update semantics
    over the union: nothing is protected, ``DELETE`` without GRAPH removes the triple from every
    graph that holds it, ``CLEAR DEFAULT`` empties every graph.

    The SHACL gate: in the default configuration every write is validated, whatever its graph
    (all of them are in the union default graph the pages and saved queries read). In a plain
    store only quads in the curated namespace are (the build's graphs and the user graph); graphs
    of other names, data of one's own, are stored as given.

    Whole source graphs: removing or replacing a build graph at once (Graph Store ``DELETE`` or
    ``PUT`` of an existing one; SPARQL ``DROP``/``CLEAR GRAPH``, ``MOVE`` from it, ``MOVE``/``COPY``
    over it) is refused (403) unless the request says so with ``replace-source=true``
    (``replace_sources``): a stray request, token or not, cannot empty a document's graph.
    """

    user_graph: NamedNode
    curated_prefix: str
    plain_store: bool = False
    #: the request asked for it explicitly (``?replace-source=true``): whole build graphs may go
    replace_sources: bool = False

    #: the request parameter that allows removing or replacing a whole build graph
    REPLACE_SOURCE: ClassVar[str] = "replace-source"

    #: how many graph names a refusal lists before "and N more"
    LISTED: ClassVar[int] = 5

    @classmethod
    def from_settings(cls, settings: Settings) -> GraphPolicy:
        return cls(NamedNode(settings.user_graph), settings.public_base + "graph/", settings.plain_store)

    def protect(self, graph: NamedNode) -> None:
        """Refuse a write into a graph the build derives (not in a plain store)."""
        if not self.plain_store:
            refuse_protected(graph)

    def for_request(self, params: Mapping[str, str]) -> GraphPolicy:
        """This policy for one request: ``replace-source=true`` among its URL parameters allows
        whole build graphs to be removed or replaced; any other value is a 400."""
        value = params.get(self.REPLACE_SOURCE)
        if value is None or value == "false":
            return self
        if value != "true":
            raise BadRequest(f"{self.REPLACE_SOURCE}= is true or false, not {value[:40]!r}")
        return replace(self, replace_sources=True)

    def guard_whole_graph(self, graph: NamedNode, operation: str) -> None:
        """Refuse removing or replacing all of a build graph at once, unless the request said so."""
        if self.plain_store or self.replace_sources or not self.is_build_graph(graph):
            return
        raise SourceGraphProtected(
            f"{operation} would remove or replace the whole graph <{graph.value}>, which `econsec build` "
            f"made from a source document. That needs the explicit operation: repeat the request "
            f"with ?{self.REPLACE_SOURCE}=true (and the same token), or edit the source file and "
            "rebuild. Single statements can be changed without it. Nothing was changed.",
            graph.value,
            operation,
        )

    def is_build_graph(self, graph: NamedNode) -> bool:
        return graph.value.startswith(self.curated_prefix) and graph != self.user_graph

    def gated(self, graph: object) -> bool:
        """Whether quads in ``graph`` go through the SHACL gate."""
        if not self.plain_store:
            return True
        return isinstance(graph, NamedNode) and graph.value.startswith(self.curated_prefix)

    def may_empty_all(self, graphs: list[NamedNode], operation: str) -> None:
        """``CLEAR ALL`` and the like: allowed in a plain store or when no build graph is present."""
        if self.plain_store:
            return
        build = sorted(g.value for g in graphs if self.is_build_graph(g))
        if not build:
            return
        listed = ", ".join(f"<{g}>" for g in build[: self.LISTED])
        more = f" and {len(build) - self.LISTED} more" if len(build) > self.LISTED else ""
        raise BuildGraphsProtected(
            f"{operation} would empty {len(build)} graph(s) produced by `econsec build`: {listed}{more}. "
            f"Empty your own graphs one at a time (CLEAR GRAPH <iri>; CLEAR DEFAULT empties "
            f"<{self.user_graph.value}>, where writes without GRAPH go), or run the service as a plain "
            "store over data of your own (ECONSEC_PLAIN_STORE=true). Nothing was changed.",
            build,
        )


class WriteService:
    """The write path of one app: its lock, its validator, its backend."""

    def __init__(
        self,
        backend: StoreBackend,
        settings: Settings,
        *,
        on_commit: Callable[[], None] | None = None,
        on_revert: Callable[[], None] | None = None,
    ) -> None:
        self.backend = backend
        self.settings = settings
        #: told after each commit, on the writer's thread and under its lock (``ServiceState.committed``)
        self.on_commit = on_commit
        #: told after a refused write whose staged steps were applied and undone: readers of the
        #: live store may have seen them, so whatever was derived meanwhile (cached answers) goes
        self.on_revert = on_revert
        self._lock = threading.Lock()
        self._validator: WriteValidator | None = None
        self.policy = GraphPolicy.from_settings(settings)

    @property
    def validator(self) -> WriteValidator:
        if self._validator is None:
            self._validator = WriteValidator.for_store(self.backend)
        return self._validator

    async def write(self, change: Change, policy: GraphPolicy | None = None) -> WriteOutcome:
        """Run ``change`` under the writer lock, validate, commit (see the module docstring).

        ``policy`` is the request's (``GraphPolicy.for_request``: ``?replace-source=true``);
        without it, the service's."""
        deadline = Deadline.after(self.settings.query_timeout)
        chosen = policy if policy is not None else self.policy
        return await _writer_pool().call(lambda: self._write(change, deadline, chosen))

    def _write(self, change: Change, deadline: Deadline, policy: GraphPolicy) -> WriteOutcome:
        if not self._lock.acquire(timeout=max(deadline.remaining(), 0.0)):
            raise Overloaded(
                f"another write held the store for the whole {self.settings.query_timeout:g} s "
                "(ECONSEC_QUERY_TIMEOUT); nothing was changed, try again shortly"
            )
        staged: list[WriteDelta] = []
        backend = self.backend
        journal = hasattr(backend, "record_undo") and hasattr(backend, "undo")

        def stage(overlay: Overlay) -> None:
            self._check(deadline)
            backend.record_undo(overlay.delta)  # type: ignore[attr-defined]
            staged.append(overlay.delta)
            backend.apply(overlay.delta)
            overlay.reset()

        try:
            overlay = Overlay(backend, stage=stage if journal else None)
            result = change(overlay, deadline)
            self._check(deadline)
            delta = overlay.delta
            checked = _union([*staged, delta]) if staged else delta
            self._guard_emptied(checked, staged, policy)
            gated = self._gated(checked)
            report = (
                self.validator.validate(overlay, gated, lambda: self._check(deadline))
                if gated
                else WriteReport(0, 0)
            )
            if not report.conforms:
                raise ShapeViolation(
                    f"the write would break {len(report.violations)} SHACL constraint(s) "
                    f"(ontology/shapes.ttl) on the {report.focus_nodes} node(s) it touches. "
                    "Nothing was changed.",
                    report.violations,
                    report.focus_nodes,
                )
            self._check(deadline)
            if staged:
                backend.record_undo(delta)  # type: ignore[attr-defined]
                backend.apply(delta)
                backend.forget_undo()  # type: ignore[attr-defined]
            else:
                backend.apply(delta)
        except QueryTimeout:  # a step of the change looked at the deadline
            self._undo(staged)
            raise WriteTimeout(deadline.seconds) from None
        except BaseException:
            self._undo(staged)
            raise
        else:
            self._completed()
            return _outcome(checked, report, result)
        finally:
            self._lock.release()

    def _undo(self, staged: list[WriteDelta]) -> None:
        if not staged:
            return
        self.backend.undo()  # type: ignore[attr-defined]
        if self.on_revert is not None:
            try:
                self.on_revert()
            except Exception:
                log.exception("after an undone write, retiring what was derived meanwhile failed")

    def _completed(self) -> None:
        """The commit is done: from here on the answer is 2xx whatever fails (it is logged).

        Called under the writer lock, so the next write cannot commit before this one's
        consequences (a new query snapshot) are in place, and on the writer's thread, so a
        client that hangs up cannot cancel it.
        """
        if self.on_commit is None:
            return
        try:
            self.on_commit()
        except Exception:
            log.exception("after a committed write, refreshing what depends on the store failed")

    def _guard_emptied(self, checked: WriteDelta, staged: list[WriteDelta], policy: GraphPolicy) -> None:
        """Refuse a write that deletes every statement a build graph had, unless the request said
        ``replace-source=true``: ``DELETE WHERE { GRAPH <g> { ?s ?p ?o } }`` removes a source
        graph as surely as ``DROP GRAPH`` (measured: 7,560 statements of a source graph deleted,
        answered 200), whatever it inserts there afterwards.

        The graph's size before the write is its size now (staged steps are in the store, the
        pending delta is not) with the staged steps taken back."""
        deleted = Counter(q.graph_name for q in checked.deletes if isinstance(q.graph_name, NamedNode))
        for graph, count in deleted.items():
            if graph in checked.dropped_graphs or not policy.is_build_graph(graph):
                continue  # a DROP was judged where it was read (``sparql_update``)
            before = self.backend.triple_count(graph.value)
            for step in staged:
                before += sum(1 for q in step.deletes if q.graph_name == graph)
                before -= sum(1 for q in step.inserts if q.graph_name == graph)
            if count >= before:
                policy.guard_whole_graph(graph, "deleting every statement")

    def _gated(self, delta: WriteDelta) -> WriteDelta:
        """The part of ``delta`` the SHACL gate sees: quads in the curated namespace (GraphPolicy)."""
        gated = self.policy.gated
        return WriteDelta(
            inserts={q for q in delta.inserts if gated(q.graph_name)},
            deletes={q for q in delta.deletes if gated(q.graph_name)},
            created_graphs={g for g in delta.created_graphs if gated(g)},
            dropped_graphs={g for g in delta.dropped_graphs if gated(g)},
        )

    def _check(self, deadline: Deadline) -> None:
        if deadline.expired():
            raise WriteTimeout(deadline.seconds)


def _union(deltas: list[WriteDelta]) -> WriteDelta:
    """Every quad and graph the steps of a staged write touched (for validation and the summary)."""
    union = WriteDelta()
    for delta in deltas:
        union.inserts |= delta.inserts
        union.deletes |= delta.deletes
        union.created_graphs |= delta.created_graphs
        union.dropped_graphs |= delta.dropped_graphs
    return union


def _outcome(delta: WriteDelta, report: WriteReport, result: object) -> WriteOutcome:
    return WriteOutcome(
        inserted=len(delta.inserts),
        deleted=len(delta.deletes),
        graphs_created=len(delta.created_graphs),
        graphs_dropped=len(delta.dropped_graphs),
        report=report,
        result=result,
    )
