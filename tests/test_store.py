"""The embedded store: filled from the build once, kept across restarts, one owner, dataset rules."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import RunningService
from econsec.graph.build import BuildResult
from econsec.service.errors import BadRequest, QuerySyntaxError
from econsec.service.settings import Settings
from econsec.service.store.base import ResultKind, StoreBackend
from econsec.service.store.embedded import EmbeddedStore, StoreLocked, read_build_id

G = "https://w3id.org/econsec/graph/"


@pytest.fixture
def settings(built: BuildResult, tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", build_dir=built.paths.out_dir)


def count(
    store: EmbeddedStore, query: str = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", **kwargs: object
) -> int:
    result = store.query(query, **kwargs)  # type: ignore[arg-type]
    assert result.kind is ResultKind.SOLUTIONS and result.solutions is not None
    return int(next(result.solutions)[0].value)  # type: ignore[union-attr]


def test_the_first_open_fills_the_store_from_the_build(settings: Settings, built: BuildResult) -> None:
    store = EmbeddedStore.open(settings)
    try:
        assert isinstance(store, StoreBackend)
        assert store.note.startswith("filled from")
        assert store.build_id == built.build_id == read_build_id(settings.void_path)
        assert store.named_graphs() == sorted(built.graphs)
        assert {g: store.triple_count(g) for g in built.graphs} == built.graphs
        distinct = (
            "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE { GRAPH ?g { ?s ?p ?o } } }"
        )
        # the default graph is the merge of every named graph: each distinct triple once
        assert count(store) == count(store, distinct) == store.triple_count() < built.total_quads
    finally:
        store.close()


def test_reopening_keeps_the_store_without_reloading(settings: Settings, built: BuildResult) -> None:
    first = EmbeddedStore.open(settings)
    loaded_at, triples = first.loaded_at, first.triple_count()
    first.close()
    again = EmbeddedStore.open(settings)
    try:
        assert again.note.startswith("opened")
        assert again.loaded_at == loaded_at and again.triple_count() == triples
    finally:
        again.close()


def _copy_build(built: BuildResult, target: Path, build_id: str) -> Path:
    """The session build with another build id in its VoID (a 'new release' of the same data)."""
    shutil.copytree(built.paths.out_dir, target)
    void = target / "void.ttl"
    void.write_text(void.read_text(encoding="utf-8").replace(built.build_id, build_id), encoding="utf-8")
    return target


def test_a_new_build_replaces_a_store_that_holds_only_an_older_build(
    settings: Settings, built: BuildResult, tmp_path: Path
) -> None:
    first = EmbeddedStore.open(settings)
    triples = first.triple_count()
    first.close()
    newer = settings.with_overrides(build_dir=_copy_build(built, tmp_path / "newer", "0123456789ab"))
    store = EmbeddedStore.open(newer)
    try:
        assert store.note.startswith("reloaded") and store.build_id == "0123456789ab"
        assert store.triple_count() == triples  # the same data, loaded once (not twice)
    finally:
        store.close()


def test_a_store_with_loaded_files_is_kept_and_warned_about_when_the_build_moves_on(
    settings: Settings, built: BuildResult, tmp_path: Path
) -> None:
    extra = tmp_path / "extra.ttl"
    extra.write_text("<urn:x:a> <urn:x:b> <urn:x:c> .\n", encoding="utf-8")
    store = EmbeddedStore.open(settings)
    assert store.load_file(extra, graph="urn:x:graph") == 1
    store.close()
    warnings: list[str] = []
    newer = settings.with_overrides(build_dir=_copy_build(built, tmp_path / "newer", "ba9876543210"))
    store = EmbeddedStore.open(newer, warn=warnings.append)
    try:
        assert store.build_id == built.build_id and "urn:x:graph" in store.named_graphs()
        assert len(warnings) == 1 and "ba9876543210" in warnings[0] and "1 loaded file" in warnings[0]
    finally:
        store.close()


def test_one_process_owns_the_store(settings: Settings) -> None:
    store = EmbeddedStore.open(settings)
    try:
        with pytest.raises(StoreLocked, match="another process"):
            EmbeddedStore.open(settings)
    finally:
        store.close()


def test_protocol_datasets_and_query_errors(settings: Settings, built: BuildResult) -> None:
    store = EmbeddedStore.open(settings)
    try:
        reference, inferred = G + "reference", G + "inferred"
        assert count(store, default_graph_uris=[reference]) == built.graphs[reference]
        assert count(store, named_graph_uris=[inferred]) == 0  # named graphs only: empty default graph
        named = "SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } }"
        assert count(store, named, named_graph_uris=[inferred]) == built.graphs[inferred]
        assert count(store, named, default_graph_uris=[inferred]) == 0
        with pytest.raises(BadRequest, match="default-graph-uri"):
            store.query("ASK {}", default_graph_uris=["no iri"])
        with pytest.raises(QuerySyntaxError) as error:
            store.query("SELECT ?x WHERE { ?x }")
        assert error.value.line == 1 and error.value.column and "expected" in error.value.message
    finally:
        store.close()


def test_a_triple_stated_in_two_graphs_is_answered_once(settings: Settings) -> None:
    store = EmbeddedStore.open(settings)
    try:
        label = (
            "SELECT ?label WHERE { <https://w3id.org/econsec/id/instrument/chips-and-science-act> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label }"
        )
        in_graphs = (
            "SELECT ?g WHERE { GRAPH ?g { <https://w3id.org/econsec/id/instrument/chips-and-science-act> "
            "<http://www.w3.org/2000/01/rdf-schema#label> ?label } }"
        )
        result = store.query(label)
        assert result.solutions is not None and len(list(result.solutions)) == 1
        result = store.query(in_graphs)
        assert result.solutions is not None and len({row[0] for row in result.solutions}) == 2
    finally:
        store.close()


def test_a_query_from_clause_chooses_its_own_dataset(settings: Settings, built: BuildResult) -> None:
    store = EmbeddedStore.open(settings)
    try:
        only_reference = (
            "SELECT (COUNT(*) AS ?n) FROM <https://w3id.org/econsec/graph/reference> WHERE { ?s ?p ?o }"
        )
        assert count(store, only_reference) == built.graphs["https://w3id.org/econsec/graph/reference"]
    finally:
        store.close()


def test_a_restarted_service_serves_the_same_store_without_reloading(
    service_factory: Callable[..., RunningService], built: BuildResult
) -> None:
    first = service_factory()
    before = first.health()
    assert before["build_id"] == built.build_id and before["named_graphs"] == len(built.graphs)
    assert "filled from" in first.output()
    first.stop()

    second = service_factory(data_dir=first.data_dir)
    after = second.health()
    assert after["loaded_at"] == before["loaded_at"]  # not filled again
    assert after["triples"] == before["triples"]
    assert "opened" in second.output() and "filled from" not in second.output()
