"""The pages for people, over HTTP: home page, search, downloads, the editor by content
negotiation on /sparql, the gallery, and what the pages say when the npm assets are missing.

The browser tests (tests/test_ui_browser.py) drive the same pages in Chromium; these check what
a page must contain and which answer each kind of client gets, without a browser.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService, query_json
from econsec.graph.build import BuildResult
from econsec.queries import catalogue
from econsec.service.execution.executor import Deadline
from econsec.service.settings import Settings
from econsec.service.store.embedded import EmbeddedStore, StoreRecord, merge_into_default_graph
from econsec.service.web.search import find_entities

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
GALLIUM = "https://w3id.org/econsec/id/material/gallium"


def get(service: RunningService, path: str, accept: str | None = None, **params: str) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return httpx.get(service.base + path, params=params, headers=headers, timeout=60)


# --- Home page -----------------------------------------------------------------------------


def test_home_page_says_what_the_graph_holds(sparql_service: RunningService, built: BuildResult) -> None:
    response = get(sparql_service, "/", BROWSER)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert built.build_id in page, "the page names the build it shows"
    for graph in ("brookings-2022", "atlantic-council-2024", "reference", "inferred"):
        assert f'href="/graph/{graph}"' in page, f"the named graph {graph} is listed with a link"
    assert "Critical mineral" in page or "critical mineral" in page, "classes are counted by their labels"
    for entry in ("/sparql", "/queries", "/ontology", "/.well-known/void", "/downloads/econsec.trig"):
        assert f'href="{entry}"' in page, f"the home page links {entry}"


def test_home_page_counts_match_the_store(sparql_service: RunningService, built_store: ox.Store) -> None:
    page = get(sparql_service, "/", BROWSER).text
    (row,) = built_store.query(
        "SELECT (COUNT(*) AS ?n) WHERE { GRAPH <https://w3id.org/econsec/graph/reference> { ?s ?p ?o } }"
    )
    assert f"{int(row['n'].value):,}" in page, "the reference graph's triple count is shown"


# --- Search --------------------------------------------------------------------------------


def test_search_finds_by_label_prefix_case_insensitively(sparql_service: RunningService) -> None:
    body = get(sparql_service, "/search", q="GALL").json()
    assert body["results"], "something is named like 'gall'"
    first = body["results"][0]
    assert first["iri"] == GALLIUM and first["href"] == "/id/material/gallium"
    assert "critical mineral" in [t.lower() for t in first["types"]]


def test_search_matches_alternative_labels_and_ranks_prefixes_first(tmp_path: Path) -> None:
    """Over a real embedded store holding a few entities (the curated graph has no altLabel yet)."""
    store = ox.Store()
    store.load(
        b"""
        @prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
        @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
        @prefix es: <https://w3id.org/econsec/ontology#> .
        <https://w3id.org/econsec/id/org/meti> a es:Ministry ;
            rdfs:label "Ministry of Economy, Trade and Industry"@en ; skos:altLabel "METI"@en .
        <https://w3id.org/econsec/id/org/metis> rdfs:label "Ametist Holdings"@en .
        <https://w3id.org/econsec/id/passage/doc.metis> rdfs:label "meti passage"@en .
        """,
        format=ox.RdfFormat.TURTLE,
        to_graph=ox.NamedNode("https://w3id.org/econsec/graph/test"),
    )
    merge_into_default_graph(store, list(store))  # as the service's bulk load does
    settings = Settings(data_dir=tmp_path)
    backend = EmbeddedStore(store, settings, StoreRecord(), "test")
    found = find_entities(backend, settings.public_base, "", "meti", 10, Deadline.after(30))
    assert [m.iri.rsplit("/", 1)[-1] for m in found] == ["meti", "metis"], (
        "whole alt name first, passages out"
    )
    assert found[0].label == "Ministry of Economy, Trade and Industry" and found[0].matched == "METI"
    assert found[0].href == "/id/org/meti" and found[0].types == ["Ministry"]


def test_search_leaves_out_provenance_nodes_and_answers_html_to_browsers(
    sparql_service: RunningService,
) -> None:
    body = get(sparql_service, "/search", q="a", limit="50").json()
    assert not [m for m in body["results"] if "/id/passage/" in m["iri"] or "/id/statement/" in m["iri"]]
    page = get(sparql_service, "/search", BROWSER, q="<script>gallium").text
    assert "<script>gallium" not in page and "&lt;script&gt;gallium" in page
    assert get(sparql_service, "/search", q="").json()["results"] == []
    assert get(sparql_service, "/search", q="x", limit="0").status_code == 400


# --- Downloads -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "media_type", "syntax"),
    [
        ("econsec.trig", "application/trig", ox.RdfFormat.TRIG),
        ("econsec.nq", "application/n-quads", ox.RdfFormat.N_QUADS),
        ("econsec.jsonld", "application/ld+json", ox.RdfFormat.JSON_LD),
        ("void.ttl", "text/turtle", ox.RdfFormat.TURTLE),
    ],
)
def test_downloads_are_the_build(
    sparql_service: RunningService, built_store: ox.Store, name: str, media_type: str, syntax: ox.RdfFormat
) -> None:
    response = get(sparql_service, f"/downloads/{name}")
    assert response.status_code == 200 and response.headers["content-type"].startswith(media_type)
    assert f'filename="{name}"' in response.headers["content-disposition"]
    # the VoID names the dumps by relative IRIs: they resolve against where the file is served
    quads = list(ox.parse(response.content, format=syntax, base_iri=sparql_service.base + "/downloads/"))
    if name != "void.ttl":
        assert len(quads) == len(built_store), f"{name} holds every quad of the build"


def test_unknown_download_is_404(sparql_service: RunningService) -> None:
    assert get(sparql_service, "/downloads/secrets.txt").status_code == 404
    assert get(sparql_service, "/downloads/..%2Fpyproject.toml").status_code == 404


# --- The editor on /sparql -----------------------------------------------------------------


def test_browsers_get_the_editor_and_machines_the_service_description(sparql_service: RunningService) -> None:
    page = get(sparql_service, "/sparql", BROWSER)
    assert page.headers["content-type"].startswith("text/html") and "Accept" in page.headers["vary"]
    assert 'src="/assets/yasgui.js"' in page.text and 'id="editor-config"' in page.text
    for accept in (None, "*/*", "text/turtle", "application/ld+json"):
        answer = get(sparql_service, "/sparql", accept)
        assert not answer.headers["content-type"].startswith("text/html"), f"Accept {accept} gets RDF"
    # a browser asking for a format by name gets it, and a client naming JSON first gets results
    assert get(sparql_service, "/sparql", BROWSER, query="ASK {}", format="json").json()["boolean"] is True
    assert get(
        sparql_service, "/sparql", "application/sparql-results+json, text/html;q=0.5", query="ASK {}"
    ).json()


def test_editor_is_configured_with_prefixes_and_the_saved_queries(sparql_service: RunningService) -> None:
    page = get(sparql_service, "/sparql", "text/html").text
    start = page.index('id="editor-config">') + len('id="editor-config">')
    config = json.loads(page[start : page.index("</script>", start)])
    assert config["endpoint"] == sparql_service.sparql
    assert config["prefixes"]["es"] == "https://w3id.org/econsec/ontology#"
    assert "PREFIX es: <https://w3id.org/econsec/ontology#>" in config["starter"]
    assert {e["name"] for e in config["examples"]} == set(catalogue.load())
    network = next(e for e in config["examples"] if e["name"] == "actor-network")
    assert 'VALUES ?_relation { "any" }' in network["query"], "parameters get their defaults in the editor"


def test_every_example_runs_as_the_editor_opens_it(sparql_service: RunningService) -> None:
    page = get(sparql_service, "/sparql", "text/html").text
    start = page.index('id="editor-config">') + len('id="editor-config">')
    config = json.loads(page[start : page.index("</script>", start)])
    for example in config["examples"]:
        if "required parameter" in example["query"]:
            continue
        answer = query_json(sparql_service, example["query"])
        assert answer.status_code == 200, f"{example['name']}: {answer.text[:300]}"
        if example["name"] in ("actor-network", "cq08-semiconductor-spending", "cq04-dependence"):
            assert answer.json()["results"]["bindings"], f"{example['name']} finds rows with its defaults"


def test_vendor_assets_are_served_and_nothing_else_from_node_modules(sparql_service: RunningService) -> None:
    js = get(sparql_service, "/assets/yasgui.js")
    assert js.status_code == 200 and js.headers["content-type"].startswith("text/javascript")
    assert "max-age" in js.headers["cache-control"]
    assert js.headers["content-encoding"] == "gzip", "httpx asks for gzip, as browsers do"
    plain = httpx.get(sparql_service.base + "/assets/yasgui.js", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in plain.headers and plain.content == js.content
    assert get(sparql_service, "/assets/d3.js").status_code == 200
    assert get(sparql_service, "/assets/swagger-ui.js").status_code == 200
    assert get(sparql_service, "/assets/package.json").status_code == 404
    assert get(sparql_service, "/static/site.css").status_code == 200
    assert get(sparql_service, "/static/..%2F..%2Fpyproject.toml").status_code == 404


def test_without_npm_assets_the_pages_say_so(service_factory, tmp_path: Path) -> None:
    service = service_factory(env={"ECONSEC_ASSETS_DIR": str(tmp_path / "no-node-modules")})
    page = get(service, "/sparql", BROWSER)
    assert page.status_code == 200
    assert "assets are not installed" in page.text and "make setup" in page.text
    assert "yasgui.js" in page.text and 'src="/assets/yasgui.js"' not in page.text
    assert 'name="query"' in page.text, "a plain form still sends queries"
    gallery = get(service, "/queries/cq15-timeline", BROWSER).text
    assert 'id="assets-missing"' in gallery and "d3.js" in gallery
    assert "<td>" in gallery, "the table is there without the chart"
    assert get(service, "/assets/yasgui.js").status_code == 404
    assert get(service, "/sparql", query="ASK {}").status_code == 200, "the endpoint itself is unaffected"
    docs = get(service, "/docs", BROWSER).text
    assert 'id="assets-missing"' in docs and "swagger-ui.js" in docs and 'href="/openapi.json"' in docs


# --- The gallery ---------------------------------------------------------------------------


def test_gallery_lists_every_query_with_its_chart(sparql_service: RunningService) -> None:
    page = get(sparql_service, "/queries", BROWSER).text
    for name in catalogue.load():
        assert f'href="{sparql_service.base}/queries/{name}"' in page
    assert page.count('class="tag">timeline') >= 1 and page.count('class="tag">network') >= 1
    assert get(sparql_service, "/queries").headers["content-type"] == "application/json", "JSON stays default"


def test_query_page_has_a_form_with_drop_downs_for_enumerated_values(sparql_service: RunningService) -> None:
    page = get(sparql_service, "/queries/actor-network", BROWSER, relation="backs").text
    assert '<select id="param-relation" name="relation">' in page
    assert '<option value="backs" selected>backs</option>' in page
    assert 'id="chart-data"' in page and 'src="/assets/d3.js"' in page
    assert "format=csv" in page and "format=json" in page
    spending = get(sparql_service, "/queries/cq08-semiconductor-spending", BROWSER).text
    assert 'name="currency"' in spending and 'value="http://qudt.org/vocab/currency/JPY"' in spending
    assert '<a href="/id/country/japan"' in spending, "our IRIs link to their pages here"
    assert (
        '<select id="param-currency" name="currency" class="by-name"' in spending
        and '<option value="http://qudt.org/vocab/currency/USD">US dollar</option>' in spending
    ), "an IRI parameter offers the things of its class by name (issue 15)"
    assert "/sparql#query=" in spending, "the query opens in the editor"
    plain = get(sparql_service, "/queries/entity-lookup", BROWSER).text
    assert 'id="chart-data"' not in plain, "no chart where the data does not ask for one"


def test_a_browser_gets_errors_as_pages_and_curl_as_text(sparql_service: RunningService) -> None:
    bad = get(sparql_service, "/queries/actor-network", BROWSER, relation="admires")
    assert bad.status_code == 400 and bad.headers["content-type"].startswith("text/html")
    assert (
        "relation" in bad.text
        and "member-of" in bad.text
        and "<nav" in bad.text
        and 'href="/queries"' in bad.text
    )
    malformed = httpx.post(
        sparql_service.base + "/sparql",
        data={"query": "SELECT * WHERE { ?s ?p }"},
        headers={"Accept": BROWSER},
        timeout=30,
    )
    assert malformed.status_code == 400 and malformed.headers["content-type"].startswith("text/html")
    assert "Malformed query" in malformed.text and "error at 1:" in malformed.text
    plain = get(sparql_service, "/queries/actor-network", "*/*", relation="admires")
    assert plain.status_code == 400 and plain.headers["content-type"].startswith("text/plain")
    assert "relation" in plain.text and "<" not in plain.text


# --- An entity's neighbourhood -------------------------------------------------------------


def test_neighbourhood_lists_stated_links_both_ways(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    body = get(sparql_service, "/neighbourhood/material/gallium").json()
    assert body["iri"] == GALLIUM
    rows = body["rows"]
    assert {"from", "fromLabel", "relation", "to", "toLabel", "from__href", "to__href"} <= set(rows[0])
    assert all(GALLIUM in (r["from"], r["to"]) for r in rows), "every link touches the entity"
    outgoing = {r["to"] for r in rows if r["from"] == GALLIUM}
    incoming = {r["from"] for r in rows if r["to"] == GALLIUM}
    assert outgoing and incoming, "links in both directions"
    assert not [r for r in rows if "/id/passage/" in r["from"] + r["to"]], "no provenance nodes"
    stated = {
        row["s"].value
        for row in built_store.query(
            "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s ?p <" + GALLIUM + "> } "
            'FILTER (?g != <https://w3id.org/econsec/graph/inferred> && STRSTARTS(STR(?s), "https://w3id.org/econsec/id/") '
            '&& !CONTAINS(STR(?s), "/id/passage/") && !CONTAINS(STR(?s), "/id/statement/")) }'
        )
    }
    assert incoming == stated, "incoming links are the stated ones, the reasoner's left out"
    assert get(sparql_service, "/neighbourhood/x%3Ey").status_code == 404


# --- Figures on entity pages ---------------------------------------------------------------


def test_entity_page_lists_the_figures_about_it(sparql_service: RunningService) -> None:
    page = get(sparql_service, "/id/country/japan", BROWSER).text
    assert '<h2 id="figures">Figures</h2>' in page
    assert '<a href="/id/observation/japan-semiconductor-support-total">' in page
    assert "3,900,000,000,000 JPY" in page, "amounts with grouped digits and their currency"
    assert "nearly 70 percent" in page, "the source's approximation and the unit"
    gallium = get(sparql_service, "/id/material/gallium", BROWSER).text
    assert "japan-gallium-import-dependence" in gallium.split('id="figures"')[1].split("</section>")[0]
