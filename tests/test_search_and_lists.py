"""Search and class lists as programs use them (issue 15, items 4 and 5): ``/search`` JSON and
``/classes`` JSON/CSV against the session's service, and the index's rebuild over a real store.

The browser journeys over the same routes are in ``tests/test_ui_browse.py``.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService
from econsec.graph.paths import ES, G_ONTOLOGY
from econsec.graph.stats import instances_per_class
from econsec.service.execution.executor import Deadline
from econsec.service.settings import Settings
from econsec.service.store.embedded import EmbeddedStore, StoreRecord, merge_into_default_graph
from econsec.service.web.search import find_entities
from econsec.service.web.search_index import edit_distance, fold

ID = "https://w3id.org/econsec/id/"
JAPAN_CHIP_CONTROLS = ID + "instrument/japan-chip-equipment-export-controls-2023"


def search(service: RunningService, q: str, **params: str) -> httpx.Response:
    return httpx.get(
        service.base + "/search",
        params={"q": q, **params},
        headers={"Accept": "application/json"},
        timeout=60,
    )


def first(service: RunningService, q: str, **params: str) -> dict[str, object]:
    response = search(service, q, **params)
    assert response.status_code == 200, response.text
    results = response.json()["results"]
    assert results, f"{q!r} finds something"
    return results[0]


def instances_of(store: ox.Store, class_iri: str) -> set[str]:
    """What SPARQL counts for a class: typed with it or a subclass, outside the ontology graph."""
    rows = store.query(
        f"SELECT DISTINCT ?x WHERE {{ GRAPH {G_ONTOLOGY} {{ ?sub "
        f"<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {ox.NamedNode(class_iri)} }} "
        f"GRAPH ?g {{ ?x a ?sub }} FILTER (?g != {G_ONTOLOGY}) }}"
    )
    return {row["x"].value for row in rows}


# --- Search: words, folding, prefixes, typos, ranking ---------------------------------------


@pytest.mark.parametrize("q", ["japan chip export", "export controls Japan", "Chip Export JAPAN"])
def test_words_in_any_order_and_case_find_japans_chip_equipment_controls_first(
    sparql_service: RunningService, q: str
) -> None:
    assert first(sparql_service, q)["iri"] == JAPAN_CHIP_CONTROLS


def test_results_carry_the_contracts_fields(sparql_service: RunningService) -> None:
    body = search(sparql_service, "japan chip export").json()
    assert body["q"] == "japan chip export"
    hit = body["results"][0]
    assert {"iri", "page", "label", "matched", "kinds"} <= set(hit)
    assert hit["page"] == "/id/instrument/japan-chip-equipment-export-controls-2023"
    assert hit["kinds"] == ["export control"] and hit["label"].startswith("Japanese export controls")


@pytest.mark.parametrize(
    ("q", "iri"),
    [
        ("galium", ID + "material/gallium"),  # one letter missing
        ("gallim", ID + "material/gallium"),
        ("semiconductr", ID + "technology/semiconductors"),  # typo in a long word
        ("semicond", ID + "technology/semiconductors"),  # the start of a word
        ("solis", ID + "person/mireya-solis"),  # the name is written Solís
        ("SOLÍS", ID + "person/mireya-solis"),
    ],
)
def test_typos_prefixes_case_and_accents_are_forgiven(
    sparql_service: RunningService, q: str, iri: str
) -> None:
    assert first(sparql_service, q)["iri"] == iri


def test_short_words_need_the_letters_as_typed() -> None:
    """Typo tolerance starts at five letters: "chin" must not find "chip" as a typo."""
    assert edit_distance("chin", "chip", 1) == 1
    assert fold("Solís Ōsaka") == "solis osaka"


def test_things_that_hold_every_word_come_before_those_that_hold_some(sparql_service: RunningService) -> None:
    results = search(sparql_service, "japan chip export", limit="50").json()["results"]
    matched_all = [
        all(word in (r["label"] + " " + r["matched"]).lower() for word in ("japan", "chip", "export"))
        for r in results
    ]
    assert matched_all[0]
    # once a result lacks a word in its names, no later one has all three there
    first_partial = matched_all.index(False)
    assert not any(matched_all[first_partial:])


def test_name_hits_rank_above_description_hits(sparql_service: RunningService) -> None:
    results = search(sparql_service, "chip", limit="50").json()["results"]
    fields = [r["field"] for r in results]
    assert "name" in fields and "description" in fields, "chip is in names and in descriptions"
    assert fields == sorted(fields, key=lambda f: f != "name"), "every name hit before any description hit"


def test_class_filter_keeps_instances_of_the_class_and_its_subclasses(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    export_controls = instances_of(built_store, ES + "ExportControl")
    body = search(sparql_service, "huawei", **{"class": ES + "ExportControl", "limit": "50"}).json()
    found = {r["iri"] for r in body["results"]}
    assert found and found <= export_controls
    assert ID + "instrument/us-fdpr-huawei-2020" in found, (
        "a foreign direct product rule is an export control"
    )
    assert ID + "org/huawei" not in found, "the company is not"
    by_name = search(sparql_service, "huawei", **{"class": "ExportControl", "limit": "50"}).json()
    assert {r["iri"] for r in by_name["results"]} == found, "a local name means the same class"


def test_input_is_bounded(sparql_service: RunningService) -> None:
    assert search(sparql_service, "x" * 201).status_code == 400
    assert search(sparql_service, "gallium", **{"class": "NoSuchClass"}).status_code == 400
    assert search(sparql_service, "gallium", limit="51").status_code == 400
    many = " ".join(["gallium"] + [f"word{i}" for i in range(40)])  # only the first words count
    response = search(sparql_service, many[:200])
    assert response.status_code == 200 and response.json()["results"][0]["iri"] == ID + "material/gallium"


def test_the_index_is_rebuilt_when_the_data_changes(tmp_path: Path) -> None:
    """Over a real embedded store: a thing added after the first search is found by the next one."""
    store = ox.Store()
    graph = ox.NamedNode("https://w3id.org/econsec/graph/test")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    store.add(
        ox.Quad(ox.NamedNode(ID + "material/gallium"), label, ox.Literal("gallium", language="en"), graph)
    )
    merge_into_default_graph(store, list(store))
    backend = EmbeddedStore(store, Settings(data_dir=tmp_path), StoreRecord(), "test")
    base = "https://w3id.org/econsec/"
    assert find_entities(backend, base, "", "germanium", 5, Deadline.after(30)) == []
    added = ox.Quad(
        ox.NamedNode(ID + "material/germanium"), label, ox.Literal("germanium", language="en"), graph
    )
    store.add(added)
    merge_into_default_graph(store, [added])
    found = find_entities(backend, base, "", "germanium", 5, Deadline.after(30))
    assert [m.iri for m in found] == [ID + "material/germanium"]


# --- Class lists ----------------------------------------------------------------------------


def test_class_counts_equal_the_shared_definition_and_sparql(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    body = httpx.get(
        sparql_service.base + "/classes", headers={"Accept": "application/json"}, timeout=60
    ).json()
    listed = {c["iri"]: c["count"] for c in body["classes"]}
    shared = {c.iri: c.instances for c in instances_per_class(built_store) if c.iri.startswith(ES)}
    assert {k: v for k, v in listed.items() if v} == shared
    assert listed[ES + "ExportControl"] == len(instances_of(built_store, ES + "ExportControl")) == 11


@pytest.mark.parametrize("local", ["ExportControl", "Actor", "CriticalMineral"])
def test_a_class_list_has_every_instance_and_says_which_subclass(
    sparql_service: RunningService, built_store: ox.Store, local: str
) -> None:
    body = httpx.get(f"{sparql_service.base}/classes/{local}", params={"format": "json"}, timeout=60).json()
    expected = instances_of(built_store, ES + local)
    assert body["count"] == len(body["instances"]) == len(expected)
    assert {m["iri"] for m in body["instances"]} == expected
    assert all(m["kinds"] for m in body["instances"]), "each thing names its kind"
    text = httpx.get(f"{sparql_service.base}/classes/{local}", headers={"Accept": "text/csv"}, timeout=60)
    assert text.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(text.text)))
    assert len(rows) == len(expected) and set(rows[0]) == {"iri", "label", "kinds", "date", "page"}


def test_subclass_instances_are_listed_under_their_subclass(sparql_service: RunningService) -> None:
    body = httpx.get(
        f"{sparql_service.base}/classes/ExportControl", params={"format": "json"}, timeout=60
    ).json()
    kinds = {m["iri"]: m["kinds"] for m in body["instances"]}
    assert kinds[ID + "instrument/us-fdpr-huawei-2020"] == ["foreign direct product rule"]
    assert {s["label"]: s["count"] for s in body["subclasses"]} == {
        "foreign direct product rule": 2,
        "entity listing": 1,
    }


def test_unknown_class_is_404_and_odd_names_are_refused(sparql_service: RunningService) -> None:
    assert httpx.get(f"{sparql_service.base}/classes/NoSuchClass", timeout=60).status_code == 404
    assert httpx.get(f"{sparql_service.base}/classes/a%3Cb", timeout=60).status_code == 404
    assert (
        httpx.get(f"{sparql_service.base}/classes", params={"format": "xml"}, timeout=60).status_code == 406
    )
