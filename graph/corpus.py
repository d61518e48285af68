"""Load the whole graph (ontology, reference, sources, extra files) into one pyoxigraph Store.

pyoxigraph does the bulk work (parsing, storing, SPARQL); rdflib graphs are made only where a
library needs one (pySHACL, owlrl), by round-tripping N-Triples/N-Quads, which both sides
parse fast.

Loading is two-pass: every file is parsed first and all passage declarations collected, then
each file is expanded, so a file may state facts in a passage declared in another file.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import rdflib
from oxrdflib import OxigraphStore
from pyoxigraph import DefaultGraph, NamedNode, Quad, RdfFormat, Store, Triple, serialize

from .errors import ProvenanceError, UnannotatedFact
from .load import load_file
from .paths import G_INFERRED, G_ONTOLOGY, file_graph_iri, ontology_file, reference_files, source_files
from .provenance import (
    GraphName,
    Origin,
    PassageDeclarations,
    ProvenanceIndex,
    expand,
    find_passage_declarations,
)

__all__ = [
    "Corpus",
    "load_built_store",
    "load_corpus",
    "load_ontology_quads",
    "to_oxrdflib_graph",
    "to_rdflib_dataset",
    "to_rdflib_graph",
]


@dataclass
class Corpus:
    """The loaded graph and what we learnt while loading it."""

    store: Store
    files: list[Path] = field(default_factory=list)
    index: ProvenanceIndex = field(default_factory=ProvenanceIndex)
    unannotated: list[UnannotatedFact] = field(default_factory=list)
    #: graph IRI -> the authored files that contributed quads to it
    graph_files: dict[str, set[Path]] = field(default_factory=lambda: defaultdict(set))

    def named_graphs(self) -> list[NamedNode]:
        """Every named graph in the store, sorted by IRI."""
        return sorted((g for g in self.store.named_graphs() if isinstance(g, NamedNode)), key=str)

    def asserted_graphs(self) -> list[NamedNode]:
        """The data graphs: every named graph except the ontology and the inferred graph."""
        return [g for g in self.named_graphs() if g not in (G_ONTOLOGY, G_INFERRED)]


def load_ontology_quads(path: Path | None = None) -> list[Quad]:
    """The ontology's triples, placed in the graph ``g:ontology``."""
    quads = load_file(path or ontology_file())
    return [Quad(q.subject, q.predicate, q.object, G_ONTOLOGY) for q in quads]


def load_corpus(
    extra_files: Sequence[Path] = (),
    *,
    sources_dir: Path | None = None,
    reference_dir: Path | None = None,
    ontology_path: Path | None = None,
    include_packaged: bool = True,
    keep_unannotated: bool = False,
    on_file: Callable[[Path], None] | None = None,
) -> Corpus:
    """Load ontology + reference + sources (+ ``extra_files``) through the provenance expansion.

    Facts outside passage graphs raise :class:`ProvenanceError` (the build's rule) unless
    ``keep_unannotated`` is set, in which case they are stored in a graph named after their file
    (``urn:econsec:file:<name>``) so SHACL reports them (the rule of ``econsec validate``).
    ``on_file`` is called with each file as it is parsed (progress reporting).
    """
    files: list[Path] = []
    if include_packaged:
        files += reference_files(reference_dir) + source_files(sources_dir)
    seen = {f.resolve() for f in files}
    for extra in extra_files:
        if extra.resolve() not in seen:
            files.append(extra)
            seen.add(extra.resolve())

    store = Store()
    corpus = Corpus(store=store, files=files)
    store.extend(load_ontology_quads(ontology_path))

    parsed: list[tuple[Path, list[Quad]]] = []
    declarations: PassageDeclarations = {}
    for path in files:
        if on_file is not None:
            on_file(path)
        quads = load_file(path)
        parsed.append((path, quads))
        for passage, graphs in find_passage_declarations(quads).items():
            declarations.setdefault(passage, set()).update(graphs)

    for path, quads in parsed:
        expansion = expand(quads, path=path, known_passages=declarations)
        store.extend(expansion.quads)
        corpus.index.update(expansion.index)
        for q in expansion.quads:
            corpus.graph_files[_graph_key(q.graph_name)].add(path)
        corpus.unannotated += expansion.unannotated

    if corpus.unannotated:
        if not keep_unannotated:
            raise ProvenanceError(corpus.unannotated)
        _store_unannotated(corpus)
    return corpus


def _graph_key(graph: GraphName | DefaultGraph) -> str:
    return graph.value if isinstance(graph, NamedNode) else str(graph)


def _store_unannotated(corpus: Corpus) -> None:
    """Keep unattributed facts, each in a graph named after its file, for SHACL to report."""
    quads = []
    for fact in corpus.unannotated:
        graph = file_graph_iri(fact.path)
        q = Quad(fact.quad.subject, fact.quad.predicate, fact.quad.object, graph)
        quads.append(q)
        corpus.index.add(q, Origin(fact.path, graph.value))
        corpus.graph_files[graph.value].add(fact.path)
    corpus.store.extend(quads)


#: the graph name under which validation data sits in its private pyoxigraph store
SHACL_DATA_GRAPH = "urn:econsec:shacl-data"


def _triples_of(store: Store, graphs: Iterable[NamedNode] | None) -> Iterable[Triple]:
    if graphs is None:
        return (q.triple for q in store.quads_for_pattern(None, None, None, None))
    return (q.triple for g in graphs for q in store.quads_for_pattern(None, None, None, g))


def to_rdflib_graph(store: Store, graphs: Iterable[NamedNode] | None = None) -> rdflib.Graph:
    """The union of ``graphs`` (default: all graphs) as one rdflib Graph, via N-Triples."""
    data = serialize(_triples_of(store, graphs), format=RdfFormat.N_TRIPLES)
    graph = rdflib.Graph()
    if data:
        graph.parse(data=data, format="nt")
    return graph


def to_rdflib_dataset(store: Store, graphs: Iterable[NamedNode] | None = None) -> rdflib.Dataset:
    """The named graphs ``graphs`` (default: all) as an rdflib Dataset, via N-Quads."""
    if graphs is None:
        quads: Iterable[Quad] = store.quads_for_pattern(None, None, None, None)
    else:
        quads = (q for g in graphs for q in store.quads_for_pattern(None, None, None, g))
    data = serialize(quads, format=RdfFormat.N_QUADS)
    dataset = rdflib.Dataset()
    if data:
        dataset.parse(data=data, format="nquads")
    return dataset


_XSD_STRING = rdflib.XSD.string


def _plain(term: rdflib.term.Node | None) -> rdflib.term.Node | None:
    """``"x"^^xsd:string`` as rdflib's parsers write it, ``Literal("x")``.

    oxrdflib returns simple literals with an explicit xsd:string datatype, and rdflib does not
    consider ``Literal("x")`` (how the shapes graph spells ``sh:in ( "x" )``) equal to it.
    """
    if isinstance(term, rdflib.Literal) and term.datatype == _XSD_STRING:
        return rdflib.Literal(str(term))
    return term


class _ValidationStore(OxigraphStore):
    """oxrdflib's store, adjusted for pySHACL: rdflib-style plain literals, remembered ``len()``.

    oxrdflib answers ``len(graph)`` with a COUNT query; pySHACL asks hundreds of times while
    building results (6 of 8 seconds on the first corpus). The graph does not change while it
    is validated, so one count per graph is enough; adding or removing forgets the counts.
    """

    def __init__(self, *, store: Store) -> None:
        super().__init__(store=store)
        self._lengths: dict[object, int] = {}

    def __len__(self, context: rdflib.Graph | None = None) -> int:
        key = None if context is None else context.identifier
        if key not in self._lengths:
            self._lengths[key] = super().__len__(context)
        return self._lengths[key]

    def triples(self, triple_pattern, context=None):  # type: ignore[no-untyped-def, override]
        for (s, p, o), contexts in super().triples(triple_pattern, context):
            yield (s, p, _plain(o)), contexts

    def query(self, query, initNs, initBindings, queryGraph, **kwargs):  # type: ignore[no-untyped-def, override]
        result = super().query(query, initNs, initBindings, queryGraph, **kwargs)
        if result.type == "SELECT":
            rows = result.bindings
            result.bindings = [{k: _plain(v) for k, v in row.items()} for row in rows]
        return result

    def add(self, triple, context, quoted=False):  # type: ignore[no-untyped-def, override]
        self._lengths.clear()
        super().add(triple, context, quoted)

    def addN(self, quads):  # type: ignore[no-untyped-def, override]
        self._lengths.clear()
        super().addN(quads)

    def remove(self, triple, context=None):  # type: ignore[no-untyped-def, override]
        self._lengths.clear()
        super().remove(triple, context)


def to_oxrdflib_graph(store: Store, graphs: Iterable[NamedNode] | None = None) -> rdflib.Graph:
    """The union of ``graphs`` as an rdflib Graph whose SPARQL runs on pyoxigraph (oxrdflib).

    For pySHACL: its SPARQL targets and constraints then run on pyoxigraph instead of rdflib's
    own engine (DESIGN §3: 578 s against 0.07 s on the measured query). The triples are copied
    into a fresh in-memory pyoxigraph store, in one named graph, so nothing pySHACL does can
    touch ``store``.
    """
    inner = Store()
    name = NamedNode(SHACL_DATA_GRAPH)
    inner.extend(Quad(t.subject, t.predicate, t.object, name) for t in _triples_of(store, graphs))
    return rdflib.Graph(store=_ValidationStore(store=inner), identifier=rdflib.URIRef(SHACL_DATA_GRAPH))


def load_built_store(path: Path) -> Store:
    """An in-memory Store holding a build's ``econsec.nq``."""
    store = Store()
    store.load(path=str(path), format=RdfFormat.N_QUADS)
    return store
