"""`econsec build` end to end: release files, atomic switch, failures, VoID, stats, export."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pyoxigraph as ox
import pytest
import rdflib
from conftest import MiniCorpus
from econsec.graph.build import BuildResult, build
from econsec.graph.corpus import load_built_store
from econsec.graph.errors import ProvenanceError, RDFSyntaxError, ShapeViolation
from econsec.graph.export import ExportFormat, export_bytes
from econsec.graph.paths import DATASET_IRI, G_INFERRED, G_ONTOLOGY, G_REFERENCE
from econsec.graph.stats import compute_stats

ES = "https://w3id.org/econsec/ontology#"
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
DCTERMS = rdflib.Namespace("http://purl.org/dc/terms/")
G_DOC = "https://w3id.org/econsec/graph/test-doc"


def build_mini(corpus: MiniCorpus, out: Path, **kwargs: object) -> BuildResult:
    return build(
        out,
        sources_dir=corpus.sources,
        reference_dir=corpus.reference,
        shapes_path=corpus.shapes,
        **kwargs,  # type: ignore[arg-type]
    )


def leftovers(parent: Path) -> list[str]:
    """Staging or retired directories a build left beside its output."""
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def read_void(path: Path) -> rdflib.Graph:
    graph = rdflib.Graph()
    graph.parse(path, format="turtle", publicID=path.parent.as_uri() + "/")
    return graph


def test_build_writes_every_named_graph_and_the_reports(mini_corpus: MiniCorpus, tmp_path: Path) -> None:
    out = tmp_path / "site" / "build"
    result = build_mini(mini_corpus, out)
    for path in (result.paths.trig, result.paths.nquads, result.paths.void, result.paths.validation):
        assert path.is_file() and path.stat().st_size > 0, path
    store = load_built_store(result.paths.nquads)
    graphs = {g.value for g in store.named_graphs()}
    assert graphs == {G_ONTOLOGY.value, G_REFERENCE.value, G_DOC, G_INFERRED.value}
    assert not any("/passage/" in g for g in graphs), "passage graphs are expanded away"
    assert result.graphs == {
        g: len(list(store.quads_for_pattern(None, None, None, ox.NamedNode(g)))) for g in graphs
    }
    assert result.total_quads == len(store)
    assert result.inferred_triples == result.graphs[G_INFERRED.value] > 0
    assert result.validation.conforms
    assert [w.message for w in result.validation.warnings] == []
    assert result.files == [mini_corpus.reference / "reference.trig", mini_corpus.source_file]
    # the TriG holds the same quads as the N-Quads
    trig = ox.Dataset(ox.parse(path=str(result.paths.trig)))
    assert len(trig) == len(store)
    # the validation report is a SHACL report
    report = rdflib.Graph().parse(result.paths.validation)
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert (None, sh.conforms, rdflib.Literal(True)) in report


def test_the_build_id_is_a_hash_of_the_content_and_a_rebuild_switches_cleanly(
    mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    first = build_mini(mini_corpus, out, reason=False)
    (out / "stale-file").write_text("from an older release")
    second = build_mini(mini_corpus, out, reason=False)
    assert first.build_id == second.build_id and len(first.build_id) == 12
    assert not (out / "stale-file").exists(), "the new release replaces the old one as a whole"
    assert leftovers(tmp_path) == []
    void = read_void(second.paths.void)
    dataset = rdflib.URIRef(DATASET_IRI)
    assert str(void.value(dataset, DCTERMS.identifier)) == second.build_id
    assert void.value(dataset, DCTERMS.modified) is not None

    mini_corpus.add_source(
        "more.trig",
        """
        g:more { psg:more.a a es:Passage . }
        psg:more.a { country:japan es:partnersWith country:united-states . }
        """,
    )
    third = build_mini(mini_corpus, out, reason=False)
    assert third.build_id != first.build_id


def test_a_failed_build_leaves_the_previous_release_untouched(
    mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    good = build_mini(mini_corpus, out, reason=False)
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    mini_corpus.add_source(
        "unlabelled.trig",
        """
        g:unlabelled { psg:unlabelled.a a es:Passage . }
        psg:unlabelled.a { inst:nameless a es:Law . }
        """,
    )
    with pytest.raises(ShapeViolation) as info:
        build_mini(mini_corpus, out)
    violations = info.value.report.violations
    assert [v.focus for v in violations] == ["inst:nameless"]
    assert violations[0].path == "rdfs:label"
    assert [p.name for p in violations[0].files] == ["unlabelled.trig"]
    assert violations[0].passages == ("https://w3id.org/econsec/id/passage/unlabelled.a",)
    assert "unlabelled.trig" in str(info.value) and "inst:nameless" in str(info.value)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert leftovers(tmp_path) == []
    assert good.build_id in (out / "void.ttl").read_text()


def test_facts_outside_passages_and_syntax_errors_stop_the_build_before_anything_is_written(
    mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    out = tmp_path / "build"
    stray = mini_corpus.add_source("stray.trig", "inst:stray a es:Law .\n")
    with pytest.raises(ProvenanceError):
        build_mini(mini_corpus, out)
    stray.unlink()
    broken = mini_corpus.add_source("broken.trig", 'psg:x { inst:a a es:Law ; rdfs:label "oops }\n')
    with pytest.raises(RDFSyntaxError) as info:
        build_mini(mini_corpus, out)
    assert info.value.path == broken and info.value.line is not None
    assert not out.exists() and leftovers(tmp_path) == []


def test_no_reason_builds_without_an_inferred_graph(mini_corpus: MiniCorpus, tmp_path: Path) -> None:
    result = build_mini(mini_corpus, tmp_path / "build", reason=False)
    assert result.reasoner is None and result.inferred_triples == 0
    assert G_INFERRED.value not in result.graphs


def test_void_describes_each_named_graph_with_counts_that_add_up(
    mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    result = build_mini(mini_corpus, tmp_path / "build")
    void = read_void(result.paths.void)
    dataset = rdflib.URIRef(DATASET_IRI)
    total = int(void.value(dataset, VOID.triples))
    subsets = {s: int(void.value(s, VOID.triples)) for s in void.objects(dataset, VOID.subset)}
    assert {str(s) for s in subsets} == set(result.graphs)
    assert sum(subsets.values()) == total == result.total_quads
    for subset, n in subsets.items():
        assert n == result.graphs[str(subset)]
        assert (subset, DCTERMS.source, subset) in void
    # dumps resolve next to void.ttl, i.e. to the files of this build
    dumps = {Path(rdflib.URIRef(d).replace("file://", "")) for d in void.objects(dataset, VOID.dataDump)}
    assert dumps == {result.paths.trig, result.paths.nquads}
    assert str(void.value(dataset, DCTERMS.license)) == "https://creativecommons.org/licenses/by/4.0/"
    assert str(void.value(dataset, VOID.uriSpace)) == "https://w3id.org/econsec/id/"
    assert rdflib.URIRef("https://w3id.org/econsec/id/country/japan") in set(
        void.objects(dataset, VOID.exampleResource)
    )
    vocabularies = {str(v) for v in void.objects(dataset, VOID.vocabulary)}
    assert {ES, "http://www.w3.org/ns/prov#", "http://purl.org/dc/terms/"} <= vocabularies
    partitions = {
        str(void.value(p, VOID["class"])): int(void.value(p, VOID.entities))
        for p in void.objects(dataset, VOID.classPartition)
    }
    assert partitions[ES + "State"] == 2
    assert partitions[ES + "Actor"] == 2 + 5  # states + ministry, agencies, companies
    # entities: states, places, organisations, technologies, the framework, the membership
    assert int(void.value(dataset, VOID.entities)) == 2 + 2 + 5 + 2 + 1 + 1


def test_stats_count_instances_through_the_subclass_closure(mini_corpus: MiniCorpus, tmp_path: Path) -> None:
    result = build_mini(mini_corpus, tmp_path / "build", reason=False)
    stats = compute_stats(load_built_store(result.paths.nquads))
    assert stats.instances(ES + "State") == 2
    assert stats.instances(ES + "Economy") == 2
    assert stats.instances(ES + "GovernmentBody") == 3
    assert stats.instances(ES + "Actor") == 7
    assert stats.instances(ES + "Entity") == 13
    assert stats.graph_triples(G_DOC) == result.graphs[G_DOC]
    assert stats.total == result.total_quads
    assert dict(stats.properties)[ES + "issuedBy"] == 1


@pytest.mark.parametrize("fmt", list(ExportFormat))
def test_every_export_format_parses_back(mini_corpus: MiniCorpus, tmp_path: Path, fmt: ExportFormat) -> None:
    result = build_mini(mini_corpus, tmp_path / "build", reason=fmt is ExportFormat.trig)
    store = load_built_store(result.paths.nquads)
    data = export_bytes(store, fmt)
    union = {q.triple for q in store}
    if fmt is ExportFormat.jsonld:
        parsed = rdflib.Dataset()
        with warnings.catch_warnings():  # rdflib's JSON-LD parser uses its own deprecated API
            warnings.simplefilter("ignore", DeprecationWarning)
            parsed.parse(data=data, format="json-ld")
        assert len(parsed) == len(store)  # quads, every graph kept
        assert "@context" in json.loads(data)
        return
    syntax = {
        ExportFormat.turtle: ox.RdfFormat.TURTLE,
        ExportFormat.trig: ox.RdfFormat.TRIG,
        ExportFormat.nquads: ox.RdfFormat.N_QUADS,
        ExportFormat.rdfxml: ox.RdfFormat.RDF_XML,
    }[fmt]
    quads = list(ox.parse(data, syntax))
    if syntax.supports_datasets:
        assert ox.Dataset(quads) == ox.Dataset(store)
    else:
        assert {q.triple for q in quads} == union


def test_the_packaged_graph_builds_and_validates(built: BuildResult, built_store: ox.Store) -> None:
    assert built.validation.conforms, built.validation.text()
    assert built.paths.nquads.is_file() and built.paths.trig.is_file()
    assert {G_ONTOLOGY.value, G_REFERENCE.value} <= set(built.graphs)
    assert len(built_store) == built.total_quads
    void = read_void(built.paths.void)
    dataset = rdflib.URIRef(DATASET_IRI)
    subsets = [int(void.value(s, VOID.triples)) for s in void.objects(dataset, VOID.subset)]
    assert len(subsets) == len(built.graphs)
    assert sum(subsets) == int(void.value(dataset, VOID.triples)) == built.total_quads
    assert str(void.value(dataset, DCTERMS.identifier)) == built.build_id


def test_void_names_the_document_each_source_graph_was_taken_from(
    mini_corpus: MiniCorpus, tmp_path: Path
) -> None:
    result = build_mini(mini_corpus, tmp_path / "build")
    void = read_void(result.paths.void)
    store = rdflib.Dataset()
    store.parse(result.paths.trig, format="trig")
    es_document = rdflib.URIRef(ES + "SourceDocument")
    described = [g for g in store.graphs() if (None, rdflib.RDF.type, es_document) in g]
    assert described, "the mini corpus has no source document: the test would check nothing"
    for graph in described:
        documents = set(graph.subjects(rdflib.RDF.type, es_document))
        subset = graph.identifier
        assert documents <= set(void.objects(subset, DCTERMS.source)), f"{subset} does not name its document"
        title = str(void.value(subset, DCTERMS.title))
        for document in documents:
            assert str(graph.value(document, DCTERMS.title)) in title, f"{subset}'s title omits {document}'s"
