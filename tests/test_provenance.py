"""Loading authored files: parsing with positions, and the passage-graph expansion (graph/AUTHORING.md)."""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import PREFIXES, MiniCorpus
from econsec.graph.corpus import load_corpus
from econsec.graph.errors import ProvenanceError, RDFSyntaxError, UnsupportedFormatError
from econsec.graph.load import load_file
from econsec.graph.paths import STATEMENT, Vocab, file_graph_iri
from econsec.graph.provenance import expand, find_passage_declarations, statement_iri

ES = "https://w3id.org/econsec/ontology#"
ID = "https://w3id.org/econsec/id/"
G_DOC = ox.NamedNode("https://w3id.org/econsec/graph/test-doc")
LAUNCH = ox.NamedNode(ID + "passage/test-doc.launch")
MEMBERS = ox.NamedNode(ID + "passage/test-doc.members")
IPEF = ox.NamedNode(ID + "instrument/ipef")
US = ox.NamedNode(ID + "country/united-states")


def write(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(PREFIXES + body, encoding="utf-8")
    return path


def test_facts_move_to_the_document_graph_with_axiom_annotations_and_prov_links(
    mini_corpus: MiniCorpus,
) -> None:
    quads = load_file(mini_corpus.source_file)
    expansion = expand(quads, path=mini_corpus.source_file)
    out = ox.Dataset(expansion.quads)
    issued_by = ox.NamedNode(ES + "issuedBy")

    # the fact itself, in the document graph, and no passage graph left over
    assert ox.Quad(IPEF, issued_by, US, G_DOC) in out
    assert {q.graph_name for q in out} == {G_DOC}

    # one owl:Axiom node annotating it, derived from the passage that states it
    axiom = statement_iri(IPEF, issued_by, US, G_DOC)
    assert re.fullmatch(re.escape(STATEMENT) + r"[0-9a-f]{20}", axiom.value)
    assert ox.Quad(axiom, Vocab.rdf_type, Vocab.owl_Axiom, G_DOC) in out
    assert ox.Quad(axiom, Vocab.owl_annotatedSource, IPEF, G_DOC) in out
    assert ox.Quad(axiom, Vocab.owl_annotatedProperty, issued_by, G_DOC) in out
    assert ox.Quad(axiom, Vocab.owl_annotatedTarget, US, G_DOC) in out
    assert ox.Quad(axiom, Vocab.prov_wasDerivedFrom, LAUNCH, G_DOC) in out
    # entity-level provenance
    assert ox.Quad(IPEF, Vocab.prov_wasDerivedFrom, LAUNCH, G_DOC) in out
    # metadata copied as it is
    doc = ox.NamedNode(ID + "document/test-doc")
    assert ox.Quad(doc, Vocab.rdf_type, Vocab.es_SourceDocument, G_DOC) in out
    assert not expansion.unannotated


def test_a_fact_stated_by_two_passages_has_one_axiom_node_with_both_passages(mini_corpus: MiniCorpus) -> None:
    expansion = expand(load_file(mini_corpus.source_file), path=mini_corpus.source_file)
    out = ox.Dataset(expansion.quads)
    framework = ox.NamedNode(ES + "EconomicFramework")
    axioms = [
        q.subject
        for q in out.quads_for_predicate(Vocab.owl_annotatedSource)
        if q.object == IPEF and ox.Quad(q.subject, Vocab.owl_annotatedTarget, framework, G_DOC) in out
    ]
    assert axioms == [statement_iri(IPEF, Vocab.rdf_type, framework, G_DOC)]
    derived = {q.object for q in out.quads_for_subject(axioms[0]) if q.predicate == Vocab.prov_wasDerivedFrom}
    assert derived == {LAUNCH, MEMBERS}
    assert statement_iri(IPEF, Vocab.rdf_type, framework, G_DOC) == axioms[0]  # stable


def test_default_graph_and_undeclared_graph_facts_are_collected_not_dropped(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "stray.trig",
        """
        inst:stray-law a es:Law .
        GRAPH psg:nobody-declared-me { inst:other a es:Law . }
        """,
    )
    expansion = expand(load_file(path), path=path)
    assert not expansion.quads
    assert {str(f.quad.subject) for f in expansion.unannotated} == {
        f"<{ID}instrument/stray-law>",
        f"<{ID}instrument/other>",
    }
    assert all(f.path == path for f in expansion.unannotated)
    wheres = {f.where for f in expansion.unannotated}
    assert any("default graph" in w for w in wheres)
    assert any("not declared as a passage" in w for w in wheres)


def test_a_passage_may_be_declared_in_another_file() -> None:
    declaring = ox.Quad(LAUNCH, Vocab.rdf_type, Vocab.es_Passage, G_DOC)
    fact = ox.Quad(IPEF, ox.NamedNode(ES + "issuedBy"), US, LAUNCH)
    known = find_passage_declarations([declaring])
    expansion = expand([fact], path=Path("other.trig"), known_passages=known)
    assert not expansion.unannotated
    assert ox.Quad(IPEF, fact.predicate, US, G_DOC) in expansion.quads


def test_build_refuses_unattributed_facts_naming_file_triple_and_fix(mini_corpus: MiniCorpus) -> None:
    stray = mini_corpus.add_source("stray.trig", 'inst:stray-law a es:Law ; rdfs:label "Stray law"@en .\n')
    with pytest.raises(ProvenanceError) as info:
        load_corpus(sources_dir=mini_corpus.sources, reference_dir=mini_corpus.reference)
    message = str(info.value)
    assert "stray.trig" in message
    assert f"<{ID}instrument/stray-law>" in message and "default graph" in message
    assert "passage graph" in message and "AUTHORING.md" in message
    assert {f.path for f in info.value.facts} == {stray}


def test_validate_keeps_unattributed_facts_in_a_graph_named_after_the_file(mini_corpus: MiniCorpus) -> None:
    stray = mini_corpus.add_source("stray.trig", "inst:stray-law a es:Law .\n")
    corpus = load_corpus(
        sources_dir=mini_corpus.sources, reference_dir=mini_corpus.reference, keep_unannotated=True
    )
    graph = file_graph_iri(stray)
    assert graph.value == "urn:econsec:file:stray.trig"
    assert ox.Quad(
        ox.NamedNode(ID + "instrument/stray-law"), Vocab.rdf_type, ox.NamedNode(ES + "Law"), graph
    ) in (corpus.store)
    assert [f.path for f in corpus.unannotated] == [stray]
    origins = corpus.index.lookup(f"<{ID}instrument/stray-law>")
    assert [o.path for o in origins] == [stray]


def test_the_provenance_index_names_file_and_passage(mini_corpus: MiniCorpus) -> None:
    corpus = load_corpus(sources_dir=mini_corpus.sources, reference_dir=mini_corpus.reference)
    origins = corpus.index.lookup(f"<{IPEF.value}>", f"<{ES}issuedBy>")
    assert [(o.path, o.graph, o.passage) for o in origins] == [
        (mini_corpus.source_file, G_DOC.value, LAUNCH.value)
    ]


def test_a_broken_line_gives_file_line_and_column(tmp_path: Path) -> None:
    body = 'g:d {\n    inst:a a es:Law ;\n        rdfs:label "unterminated .\n}\n'
    path = write(tmp_path, "broken.trig", body)
    expected_line = PREFIXES.count("\n") + 3
    with pytest.raises(RDFSyntaxError) as info:
        load_file(path)
    err = info.value
    assert err.path == path
    assert err.line == expected_line
    assert err.column == 20  # the opening quote, 1-based
    assert str(err).startswith(f"{path}:{expected_line}:20: ") or f"broken.trig:{expected_line}:20: " in str(
        err
    )
    assert "Parser error" not in err.message  # the position is in the prefix, not repeated


def test_a_missing_semicolon_is_reported_on_the_right_line(tmp_path: Path) -> None:
    body = 'psg:p {\n    inst:a a es:Law ; rdfs:label "A"@en\n    es:status es:Enacted .\n}\n'
    path = write(tmp_path, "semicolon.trig", body)
    with pytest.raises(RDFSyntaxError) as info:
        load_file(path)
    assert info.value.line == PREFIXES.count("\n") + 3
    assert f"semicolon.trig:{info.value.line}:" in str(info.value)


def test_remote_jsonld_contexts_and_external_xml_entities_are_refused(tmp_path: Path) -> None:
    jsonld = tmp_path / "remote.jsonld"
    jsonld.write_text('{"@context": "https://schema.org/", "@id": "https://example.org/a", "name": "A"}')
    with pytest.raises(RDFSyntaxError, match="remote JSON-LD contexts are not fetched"):
        load_file(jsonld)
    rdfxml = tmp_path / "entity.rdf"
    rdfxml.write_text(
        '<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]>'
        '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="https://example.org/">'
        '<rdf:Description rdf:about="https://example.org/a"><ex:p>&e;</ex:p></rdf:Description></rdf:RDF>'
    )
    with pytest.raises(RDFSyntaxError):
        load_file(rdfxml)


def test_every_supported_syntax_loads_by_extension(tmp_path: Path) -> None:
    quad = ox.Quad(IPEF, Vocab.rdf_type, ox.NamedNode(ES + "Law"), G_DOC)
    for suffix, fmt in [
        (".nq", ox.RdfFormat.N_QUADS),
        (".trig", ox.RdfFormat.TRIG),
        (".jsonld", ox.RdfFormat.JSON_LD),
    ]:
        path = tmp_path / f"data{suffix}"
        path.write_bytes(ox.serialize([quad], format=fmt))
        assert load_file(path) == [quad]
    for suffix, fmt in [
        (".ttl", ox.RdfFormat.TURTLE),
        (".nt", ox.RdfFormat.N_TRIPLES),
        (".rdf", ox.RdfFormat.RDF_XML),
    ]:
        path = tmp_path / f"data{suffix}"
        path.write_bytes(ox.serialize([quad.triple], format=fmt))
        assert [q.triple for q in load_file(path)] == [quad.triple]
    with pytest.raises(UnsupportedFormatError):
        load_file(tmp_path / "data.csv")


def test_blank_nodes_are_stable_per_file_and_distinct_between_files(tmp_path: Path) -> None:
    a = write(tmp_path, "a.trig", 'psg:p { inst:x es:hasCondition [ rdfs:label "c"@en ] . }\n')
    b = write(tmp_path, "b.trig", 'psg:p { inst:y es:hasCondition [ rdfs:label "d"@en ] . }\n')
    first, again, other = load_file(a), load_file(a), load_file(b)
    assert first == again
    blank_a = {q.object for q in first if isinstance(q.object, ox.BlankNode)}
    blank_b = {q.object for q in other if isinstance(q.object, ox.BlankNode)}
    assert blank_a and blank_b and not blank_a & blank_b
