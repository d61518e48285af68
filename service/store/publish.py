"""``econsec publish``: push a finished build into a remote SPARQL 1.1 store with plain SPARQL Update.

Only SPARQL Update is used (no Graph Store Protocol, no bulk-load endpoint), so any conformant
store accepts it. Each named graph is dropped and re-inserted in chunks of INSERT DATA; triples
with blank nodes travel in one request per graph, because a blank-node label names the same node
only within one request. With ``merge_default`` every chunk is also inserted into the store's
default graph, which makes the default graph the set union of the named graphs (the semantics
the service documents) on stores that have no union-default switch or a bag-valued one.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from pyoxigraph import BlankNode, DefaultGraph, Quad, RdfFormat, parse

from ..errors import StoreError
from .remote import RemoteStore, void_graph

__all__ = ["PublishReport", "publish"]


@dataclass(frozen=True)
class PublishReport:
    """What went where: quads per named graph, and how many requests it took."""

    graphs: dict[str, int]
    requests: int
    merged_default: bool


def _line(quad: Quad) -> str:
    return f"{quad.subject} {quad.predicate} {quad.object} ."


def _has_blank(quad: Quad) -> bool:
    return isinstance(quad.subject, BlankNode) or isinstance(quad.object, BlankNode)


def _insert(graph: str, lines: list[str], merge_default: bool) -> str:
    body = "\n".join(lines)
    default = f"\n{body}\n" if merge_default else ""
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
    chunk: int = 2000,
    progress: Callable[[str, int], None] | None = None,
) -> PublishReport:
    """Replace the build's named graphs (and the VoID graph) in ``store``; return what was sent."""
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
            graphs[target].append(Quad(quad.subject, quad.predicate, quad.object))
    requests = 0
    if drop_all:
        store.update("DROP SILENT ALL")
        requests += 1
    elif merge_default:
        store.update("DROP SILENT DEFAULT")
        requests += 1
    for graph, quads in sorted(graphs.items()):
        store.update(f"DROP SILENT GRAPH <{graph}>")
        requests += 1
        ground = [_line(q) for q in quads if not _has_blank(q)]
        blank = [_line(q) for q in quads if _has_blank(q)]
        for lines in _chunks(ground, chunk):
            store.update(_insert(graph, lines, merge_default))
            requests += 1
        if blank:
            store.update(_insert(graph, blank, merge_default))
            requests += 1
        if progress is not None:
            progress(graph, len(quads))
    return PublishReport({g: len(q) for g, q in sorted(graphs.items())}, requests, merge_default)
