"""``econsec publish``: push a finished build into a remote SPARQL 1.1 store with plain SPARQL Update.

Only SPARQL Update is used (no Graph Store Protocol, no bulk-load endpoint), so any conformant
store accepts it. Each named graph is dropped and re-inserted in chunks of INSERT DATA. Blank
nodes are skolemised first (``<{public base}.well-known/genid/{label}>``, RDF 1.1 Concepts 3.5):
a blank-node label names the same node only within one request, and some stores (Virtuoso)
refuse blank nodes in INSERT DATA altogether; the remote backend turns them back into blank
nodes when it reads answers. With ``merge_default`` every chunk is also inserted into the
store's default graph, which makes the default graph the set union of the named graphs (the
semantics the service documents) on stores that have no union-default switch or a bag-valued
one; on a store without a plain default graph (Virtuoso) that union goes into the backend's
union graph instead (see ``remote.py``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, NamedNode, Quad, RdfFormat, parse

from ..errors import StoreError
from .remote import RemoteStore, void_graph

__all__ = ["PublishReport", "publish"]


@dataclass(frozen=True)
class PublishReport:
    """What went where: quads per named graph, and how many requests it took."""

    graphs: dict[str, int]
    requests: int
    merged_default: bool


def _skolem(term: object, genid: str) -> object:
    return NamedNode(genid + term.value) if isinstance(term, BlankNode) else term


def _line(quad: Quad, genid: str) -> str:
    return f"{_skolem(quad.subject, genid)} {quad.predicate} {_skolem(quad.object, genid)} ."


def _insert(graph: str, lines: list[str], merge_default: bool, union: str | None) -> str:
    body = "\n".join(lines)
    default = ""
    if merge_default:
        default = f"\n{body}\n" if union is None else f" GRAPH <{union}> {{\n{body}\n}}"
    return f"INSERT DATA {{ GRAPH <{graph}> {{\n{body}\n}}{default}}}"


def _chunks(items: list[str], size: int) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def publish(
    store: RemoteStore,
    nquads: Path,
    void: Path | None = None,
    *,
    merge_default: bool = True,
    drop_all: bool = False,
    chunk: int | None = None,
    progress: Callable[[str, int], None] | None = None,
) -> PublishReport:
    """Replace the build's named graphs (and the VoID graph) in ``store``; return what was sent.

    ``chunk`` is the number of triples per INSERT DATA, by default what the store's engine takes.
    ``drop_all`` empties every graph the service serves first; on Virtuoso that leaves the
    engine's own system graphs alone (a SPARQL ``DROP ALL`` would remove them too).
    """
    if not nquads.is_file():
        raise StoreError(f"no built graph at {nquads}: run `econsec build` first")
    graphs: dict[str, list[Quad]] = defaultdict(list)
    for quad in parse(path=str(nquads), format=RdfFormat.N_QUADS):
        if isinstance(quad.graph_name, DefaultGraph):
            raise StoreError(f"{nquads} has a triple outside any named graph; every build triple has one")
        graphs[quad.graph_name.value].append(quad)
    if void is not None and void.is_file():
        target = void_graph(store.public_base)
        # the build names its dumps relative to itself; published, they hang under the public base
        for quad in parse(path=str(void), format=RdfFormat.TURTLE, base_iri=store.public_base):
            # its blank nodes get labels of their own, apart from the N-Quads file's
            subject, object_ = (
                BlankNode("void" + t.value) if isinstance(t, BlankNode) else t
                for t in (quad.subject, quad.object)
            )
            graphs[target].append(Quad(subject, quad.predicate, object_))  # type: ignore[arg-type]
    union = store.union_graph
    size = chunk or store.engine.insert_chunk
    requests = 0
    if drop_all and union is None:
        store.update("DROP SILENT ALL")
        requests += 1
    elif drop_all:
        for graph in store.named_graphs():
            store.update(f"DROP SILENT GRAPH <{graph}>")
            requests += 1
    if merge_default and not (drop_all and union is None):
        store.update("DROP SILENT DEFAULT" if union is None else f"DROP SILENT GRAPH <{union}>")
        requests += 1
    for graph, quads in sorted(graphs.items()):
        store.update(f"DROP SILENT GRAPH <{graph}>")
        requests += 1
        for lines in _chunks([_line(q, store.genid) for q in quads], size):
            store.update(_insert(graph, lines, merge_default, union))
            requests += 1
        if progress is not None:
            progress(graph, len(quads))
    return PublishReport({g: len(q) for g, q in sorted(graphs.items())}, requests, merge_default)
