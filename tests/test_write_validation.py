"""Writes are validated against the SHACL shapes before they commit, on the nodes they touch only.

Over HTTP: a write that breaks a shape is 422 with the report (focus node, path, message; JSON or
text) and changes nothing; a write that carries its provenance is accepted; deleting what a shape
requires is refused too. In process: a one-triple write on a store of 200,000 triples validates
one node and a handful of triples, whatever the store's size.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import RunningService
from econsec.service.settings import Settings
from econsec.service.store.embedded import EmbeddedStore
from econsec.service.write.overlay import Overlay
from econsec.service.write.validation import WriteValidator
from pyoxigraph import Literal, NamedNode, Quad
from test_update import AUTH, dump, post_update, select

ES = "https://w3id.org/econsec/ontology#"
ID = "https://w3id.org/econsec/id/"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
RDFS_COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
PREFIXES = f"""PREFIX es: <{ES}>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
PREFIX org: <{ID}org/>
PREFIX st: <{ID}statement/>
"""


def a_passage(service: RunningService) -> str:
    rows = select(service, f"SELECT ?p WHERE {{ ?p a <{ES}Passage> }} ORDER BY ?p LIMIT 1")
    return rows[0]["p"]


def test_an_entity_without_label_or_provenance_is_422_with_the_report(writable: RunningService) -> None:
    before = dump(writable)
    text = PREFIXES + "INSERT DATA { GRAPH <https://example.org/test/v1> { org:nameless a es:Company } }"
    response = post_update(writable, text, headers={"Accept": "application/json"})
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["focus_nodes"] == 1
    results = body["results"]
    assert {r["focus"] for r in results} == {"orgn:nameless"}
    assert any(r["path"] == "rdfs:label" and "English" in r["message"] for r in results)
    assert any("provenance" in r["message"] for r in results)
    as_text = post_update(writable, text, headers={"Accept": "text/plain"})
    assert as_text.status_code == 422
    assert "orgn:nameless rdfs:label" in as_text.text and "Nothing was changed" in as_text.text
    assert dump(writable) == before


def test_an_entity_written_with_its_provenance_is_accepted(writable: RunningService) -> None:
    passage = a_passage(writable)
    text = (
        PREFIXES
        + f"""INSERT DATA {{ GRAPH <https://example.org/test/v2> {{
        org:newco a es:Company ; rdfs:label "NewCo"@en .
        st:newco-type a owl:Axiom ; owl:annotatedSource org:newco ; owl:annotatedProperty rdf:type ;
            owl:annotatedTarget es:Company ; prov:wasDerivedFrom <{passage}> .
        st:newco-label a owl:Axiom ; owl:annotatedSource org:newco ; owl:annotatedProperty rdfs:label ;
            owl:annotatedTarget "NewCo"@en ; prov:wasDerivedFrom <{passage}> .
    }} }}"""
    ).replace("rdf:type", "<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>")
    response = post_update(writable, text)
    assert response.status_code == 200, response.text
    summary = response.json()
    assert summary["inserted"] == 12
    # org:newco, its two annotations and the passage they cite; not rdf:type / rdfs:label (vocabulary)
    assert summary["validated_focus_nodes"] == 4
    rows = select(writable, f"SELECT ?l WHERE {{ <{ID}org/newco> <{RDFS_LABEL}> ?l }}")
    assert rows == [{"l": "NewCo"}]


def test_deleting_what_a_shape_requires_is_refused(writable: RunningService) -> None:
    before = dump(writable)
    reference = "https://w3id.org/econsec/graph/reference"
    text = f"""DELETE DATA {{ GRAPH <{reference}> {{
        <{ID}country/japan> <{RDFS_LABEL}> "Japan"@en , "日本"@ja }} }}"""
    response = post_update(writable, text, headers={"Accept": "application/json"})
    assert response.status_code == 422, response.text
    assert {r["focus"] for r in response.json()["results"]} == {"country:japan"}
    assert dump(writable) == before


def test_a_violating_graph_store_put_is_422_and_changes_nothing(writable: RunningService) -> None:
    before = dump(writable)
    body = f"<{ID}org/gsp-nameless> a <{ES}Company> ."
    response = httpx.put(
        writable.base + "/rdf-graphs",
        params={"graph": "https://example.org/test/v3"},
        content=body.encode(),
        headers={"Content-Type": "text/turtle", "Accept": "application/json", **AUTH},
        timeout=60,
    )
    assert response.status_code == 422
    assert response.json()["results"][0]["focus"] == "orgn:gsp-nameless"
    assert dump(writable) == before


# --- validation follows the size of the change -----------------------------------------------


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStore]:
    """An embedded store with 200,000 triples (no build: it is filled here)."""
    root = tmp_path_factory.mktemp("big")
    settings = Settings(data_dir=root / "data", build_dir=root / "no-build")
    store = EmbeddedStore.open(settings)
    graph = NamedNode("https://example.org/big/graph")
    link = NamedNode("https://example.org/big/next")
    nodes = [NamedNode(f"https://example.org/big/n{i}") for i in range(100_001)]
    store.store.bulk_extend(Quad(nodes[i], link, nodes[i + 1], graph) for i in range(100_000))
    store.store.bulk_extend(
        Quad(nodes[i], NamedNode(RDFS_COMMENT), Literal(f"node {i}"), graph) for i in range(100_000)
    )
    assert len(store.store) == 200_000
    yield store
    store.close()


def test_a_one_triple_write_on_a_big_store_validates_a_few_nodes(big_store: EmbeddedStore) -> None:
    validator = WriteValidator.for_store(big_store)  # the packaged ontology: this store has none
    overlay = Overlay(big_store)
    graph = NamedNode("https://example.org/big/graph")
    overlay.insert(
        Quad(NamedNode("https://example.org/big/n5"), NamedNode(RDFS_LABEL), Literal("five"), graph)
    )
    report = validator.validate(overlay, overlay.delta)
    assert report.conforms
    assert report.focus_nodes == 1
    # n5's statements (next, comment, the new label): no shape follows a link into n5 backwards
    # (only es:hasCondition, es:recommends and owl:annotatedSource), so n4's link is not read
    assert report.neighbourhood_triples == 3


def test_a_one_triple_violation_on_a_big_store_is_reported_on_its_node(big_store: EmbeddedStore) -> None:
    validator = WriteValidator.for_store(big_store)
    overlay = Overlay(big_store)
    graph = NamedNode("https://example.org/big/graph")
    entity = NamedNode(f"{ID}org/big-company")
    overlay.insert(
        Quad(
            entity,
            NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type"),
            NamedNode(ES + "Company"),
            graph,
        )
    )
    overlay.insert(
        Quad(entity, NamedNode(ES + "partnersWith"), NamedNode("https://example.org/big/n7"), graph)
    )
    report = validator.validate(overlay, overlay.delta)
    assert report.focus_nodes == 2  # the company and n7
    assert report.neighbourhood_triples < 10
    assert {v["focus"] for v in report.violations} == {"orgn:big-company"}


def test_apply_keeps_the_default_graph_the_merge_of_the_named_graphs(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", build_dir=tmp_path / "no-build")
    store = EmbeddedStore.open(settings)
    try:
        s, p, o = NamedNode("https://example.org/s"), NamedNode(RDFS_COMMENT), Literal("x")
        a, b = NamedNode("https://example.org/a"), NamedNode("https://example.org/b")
        overlay = Overlay(store)
        overlay.insert(Quad(s, p, o, a))
        overlay.insert(Quad(s, p, o, b))
        store.apply(overlay.delta)
        assert store.triple_count() == 1 and store.triple_count(a.value) == 1
        overlay = Overlay(store)
        overlay.drop_graph(a)
        store.apply(overlay.delta)
        assert not store.has_graph(a) and store.triple_count() == 1
        overlay = Overlay(store)
        overlay.delete(Quad(s, p, o, b))
        store.apply(overlay.delta)
        assert store.triple_count() == 0
        assert store.record.written_since is not None and store.record.modified
    finally:
        store.close()


# --- the neighbourhood follows the shapes ---------------------------------------------------

TWO_LINKS_SHAPE = f"""@prefix sh: <http://www.w3.org/ns/shacl#> .
@prefix es: <{ES}> .
@prefix ex: <https://example.org/shapes#> .

ex:MemberIsAPolityShape a sh:NodeShape ;
    sh:targetClass es:Membership ;
    sh:property [ sh:path ( es:member es:jurisdiction ) ; sh:maxCount 0 ;
        sh:message "A membership's member is a polity, not a body that belongs to one." ] .
"""


def test_a_shape_that_reaches_two_links_away_is_checked_on_writes(tmp_path: Path) -> None:
    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(TWO_LINKS_SHAPE, encoding="utf-8")
    settings = Settings(data_dir=tmp_path / "data", build_dir=tmp_path / "no-build")
    store = EmbeddedStore.open(settings)
    graph = NamedNode("https://example.org/test/two-links")
    agency, country = NamedNode(f"{ID}org/an-agency"), NamedNode(f"{ID}country/a-country")
    rdf_type = NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    try:
        # already in the store, untouched by the write: the agency belongs to a country
        store.store.add(Quad(agency, NamedNode(ES + "jurisdiction"), country, graph))
        validator = WriteValidator.for_store(store, shapes)

        def write_membership(member: NamedNode) -> Overlay:
            overlay = Overlay(store)
            record = NamedNode(f"{ID}membership/of-{member.value.rsplit('/', 1)[1]}")
            overlay.insert(Quad(record, rdf_type, NamedNode(ES + "Membership"), graph))
            overlay.insert(Quad(record, NamedNode(ES + "member"), member, graph))
            return overlay

        breaking = write_membership(agency)
        report = validator.validate(breaking, breaking.delta)
        assert not report.conforms, (
            "the agency's es:jurisdiction, two links from the record, breaks the shape"
        )
        assert {v["focus_iri"] for v in report.violations} == {f"{ID}membership/of-an-agency"}
        assert {v["path"] for v in report.violations} == {"es:member/es:jurisdiction"}
        assert all("polity" in (v["message"] or "") for v in report.violations)
        focus = validator.focus_nodes(breaking.delta)
        assert any(
            t.subject == agency and t.object == country for t in validator.neighbourhood(breaking, focus)
        ), "the triple two links away is in the neighbourhood the shapes asked for"

        fine = write_membership(country)  # a country has no jurisdiction: nothing two links away
        assert validator.validate(fine, fine.delta).conforms
    finally:
        store.close()


def test_the_neighbourhood_is_derived_from_the_packaged_shapes() -> None:
    """What write validation reads around a node comes from ontology/shapes.ttl, not a list in code."""
    import rdflib
    from econsec.graph.paths import shapes_file
    from econsec.service.write.shape_paths import Step, reach_of_shapes

    owl, prov, rdf = "http://www.w3.org/2002/07/owl#", "http://www.w3.org/ns/prov#", RDF_TYPE
    paths = set(reach_of_shapes(rdflib.Graph().parse(shapes_file())).paths())
    # a class target: the node's types; sh:class: the types of what it points to
    # (a path that goes on past the types, rdf:type/rdfs:subClassOf*, reads them on its way)
    assert any(path[:1] == (Step(rdf),) for path in paths)
    assert (Step(ES + "jurisdiction"), Step(rdf)) in paths
    # the inverse path of the condition shape, and "somebody recommends it" from a SPARQL constraint
    assert (Step(ES + "hasCondition", inverse=True),) in paths
    assert (Step(ES + "recommends", inverse=True),) in paths
    # the provenance constraint: the annotations about the node, and the types of their passages
    assert (Step(owl + "annotatedSource", inverse=True), Step(prov + "wasDerivedFrom"), Step(rdf)) in paths
    # ... read from the annotation, never backwards from a value (a hub with thousands of links in)
    assert not any(Step(owl + "annotatedTarget", inverse=True) in path for path in paths)
