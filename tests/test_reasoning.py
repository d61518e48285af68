"""Reasoning: HermiT through owlready2 into g:inferred, and the OWL-RL fallback without Java."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import MiniCorpus
from econsec.graph.build import BuildResult
from econsec.graph.corpus import load_corpus
from econsec.graph.errors import InconsistentOntology
from econsec.graph.paths import G_INFERRED, G_ONTOLOGY, ID, STATEMENT, Vocab
from econsec.ontology import reasoning
from econsec.ontology.reasoning import (
    HERMIT,
    JAVA_MISSING_MESSAGE,
    OWL_RL,
    reason,
    reasoning_input,
    run_hermit,
    run_owlrl,
)

ES = "https://w3id.org/econsec/ontology#"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
needs_java = pytest.mark.skipif(shutil.which("java") is None, reason="HermiT needs a Java runtime")


def n(iri: str) -> ox.NamedNode:
    return ox.NamedNode(iri if "://" in iri else ID + iri)


def t(s: str, p: str, o: str) -> ox.Triple:
    return ox.Triple(n(s), ox.NamedNode(p), n(o))


#: what the mini corpus entails, one case per kind of axiom
EXPECTED = {
    "inverse": t("country/united-states", ES + "issued", "instrument/ipef"),
    "inverse of es:member": t("country/japan", ES + "hasMembership", "membership/ipef-japan"),
    "property chain": t("country/japan", ES + "memberOf", "instrument/ipef"),
    "inverse of the chain": t("instrument/ipef", ES + "hasMember", "country/japan"),
    "super-property": t("country/japan", ORG + "memberOf", "instrument/ipef"),
    "transitive": t("org/division", ES + "subOrganizationOf", "org/meti"),
    "transitive located-in": t("country/japan", ES + "locatedIn", "place/asia"),
    "symmetric": t("org/firm-b", ES + "partnersWith", "org/firm-a"),
    "skos inverse": t("technology/chips", SKOS + "narrower", "technology/logic-chips"),
    "superclass": t("country/japan", str(Vocab.rdf_type.value), ES + "Actor"),
    "top class": t("membership/ipef-japan", str(Vocab.rdf_type.value), ES + "Entity"),
    "reused vocabulary class": t(
        "country/japan", str(Vocab.rdf_type.value), "http://www.w3.org/ns/prov#Agent"
    ),
    "range": t("instrument/ipef", str(Vocab.rdf_type.value), ES + "Agreement"),
}


@pytest.fixture
def mini_store(mini_corpus: MiniCorpus) -> ox.Store:
    return load_corpus(sources_dir=mini_corpus.sources, reference_dir=mini_corpus.reference).store


def check_inferences(triples: list[ox.Triple], store: ox.Store) -> None:
    found = set(triples)
    missing = {name: str(triple) for name, triple in EXPECTED.items() if triple not in found}
    assert not missing, missing
    asserted = {q.triple for q in store}
    for triple in triples:
        assert triple not in asserted, f"{triple} was asserted, not inferred"
        assert isinstance(triple.subject, ox.NamedNode) and triple.subject.value.startswith(ID)
        assert not triple.subject.value.startswith(STATEMENT)
        assert isinstance(triple.object, ox.NamedNode), "no literals in the inferred graph"
        assert triple.object not in (Vocab.owl_Thing, Vocab.owl_NamedIndividual)


def test_reasoning_input_leaves_out_literals_annotations_and_provenance(mini_store: ox.Store) -> None:
    inp = reasoning_input(mini_store)
    assert all(not isinstance(x.object, ox.Literal) for x in inp.facts)
    assert all(x.predicate != Vocab.prov_wasDerivedFrom for x in inp.facts)
    assert all(not x.subject.value.startswith(STATEMENT) for x in inp.facts)
    assert t("instrument/ipef", ES + "issuedBy", "country/united-states") in inp.facts
    # ontology literals outside the OWL 2 datatype map (dcterms:created "..."^^xsd:date) are dropped
    dropped = {x.object.datatype.value for x in inp.dropped}
    assert dropped <= {"http://www.w3.org/2001/XMLSchema#" + d for d in ("date", "gYear", "gYearMonth")}
    assert all(
        not isinstance(x.object, ox.Literal) or x.object.datatype.value in reasoning.OWL2_DATATYPES
        for x in inp.ontology
    )
    nt = inp.ntriples()
    assert b"^^<http://www.w3.org/2001/XMLSchema#date>" not in nt


@needs_java
def test_hermit_finds_the_mini_corpus_consistent_and_infers_each_kind(mini_store: ox.Store) -> None:
    result = reason(mini_store)
    assert result.reasoner == HERMIT and result.note is None
    check_inferences(result.triples, mini_store)
    assert all(q.graph_name == G_INFERRED for q in result.quads())


def test_without_java_the_build_says_so_and_falls_back_to_owl_rl(
    mini_store: ox.Store, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(reasoning.shutil, "which", lambda *args, **kwargs: None)
    result = reason(mini_store)
    assert result.reasoner == OWL_RL
    assert result.note == JAVA_MISSING_MESSAGE
    err = " ".join(capsys.readouterr().err.split())
    assert "Java not found: HermiT needs a Java runtime (apt install default-jre-headless)" in err
    assert "falling back to OWL-RL" in err
    check_inferences(result.triples, mini_store)


def test_a_jvm_that_will_not_start_also_falls_back(
    mini_store: ox.Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    fake = tmp_path / "java"
    fake.write_text("#!/bin/sh\necho 'Error: Could not create the Java Virtual Machine.' >&2\nexit 1\n")
    fake.chmod(0o755)
    monkeypatch.setattr(reasoning, "java_executable", lambda: str(fake))
    result = reason(mini_store)
    assert result.reasoner == OWL_RL
    assert result.note is not None and "Java could not start" in result.note
    assert "falling back to OWL-RL" in capsys.readouterr().err
    check_inferences(result.triples, mini_store)


@needs_java
def test_hermit_and_owl_rl_agree_on_this_ontology(mini_store: ox.Store) -> None:
    inp = reasoning_input(mini_store)
    assert set(run_hermit(inp)) == set(run_owlrl(inp))


def inconsistent_store() -> ox.Store:
    onto = """
        @prefix owl: <http://www.w3.org/2002/07/owl#> .
        @prefix ex: <https://w3id.org/econsec/ontology#> .
        <https://w3id.org/econsec/ontology> a owl:Ontology .
        ex:Cat a owl:Class . ex:Dog a owl:Class . ex:Cat owl:disjointWith ex:Dog .
    """
    store = ox.Store()
    store.extend(
        ox.Quad(q.subject, q.predicate, q.object, G_ONTOLOGY) for q in ox.parse(onto, ox.RdfFormat.TURTLE)
    )
    data = ox.NamedNode("https://w3id.org/econsec/graph/test")
    for cls in ("Cat", "Dog"):
        store.add(ox.Quad(n("animal/rex"), Vocab.rdf_type, ox.NamedNode(ES + cls), data))
    return store


@needs_java
def test_hermit_reports_an_inconsistent_graph() -> None:
    with pytest.raises(InconsistentOntology, match="inconsistent") as info:
        reason(inconsistent_store())
    assert info.value.explanations, "OWL-RL's explanation of the clash is attached"


def test_owl_rl_reports_an_inconsistent_graph(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(reasoning.shutil, "which", lambda *args, **kwargs: None)
    with pytest.raises(InconsistentOntology, match="inconsistent"):
        reason(inconsistent_store(), console=None)


@needs_java
def test_the_real_graph_is_consistent_and_inferences_stay_in_their_own_graph(
    built: BuildResult, built_store: ox.Store
) -> None:
    assert built.reasoner == HERMIT
    assert built.inferred_triples > 0
    inferred = {q.triple for q in built_store.quads_for_pattern(None, None, None, G_INFERRED)}
    asserted = {q.triple for q in built_store if q.graph_name != G_INFERRED and q.graph_name != G_ONTOLOGY}
    assert inferred and not inferred & asserted
    assert all(x.subject.value.startswith(ID) for x in inferred)
    # every actual membership record (member, founding member, convener) yields es:memberOf;
    # records of proposed members, endorsers and negotiating parties do not (tests/test_inferred_graph.py)
    member, body, role = ox.NamedNode(ES + "member"), ox.NamedNode(ES + "body"), ox.NamedNode(ES + "role")
    actual = {ox.NamedNode(ES + name) for name in ("Member", "FoundingMember", "Convener")}
    records = {q.subject for q in built_store.quads_for_pattern(None, role, None, None) if q.object in actual}
    for record in records:
        actors = {q.object for q in built_store.quads_for_pattern(record, member, None, None)}
        bodies = {q.object for q in built_store.quads_for_pattern(record, body, None, None)}
        for actor in actors:
            for target in bodies:
                assert ox.Triple(actor, ox.NamedNode(ES + "memberOf"), target) in inferred | asserted
    # inverse properties are materialised: every es:issuedBy has its es:issued
    issued_by, issued = ox.NamedNode(ES + "issuedBy"), ox.NamedNode(ES + "issued")
    for q in built_store.quads_for_pattern(None, issued_by, None, None):
        if q.graph_name != G_INFERRED and q.object.value.startswith(ID):
            assert ox.Triple(q.object, issued, q.subject) in inferred | asserted
