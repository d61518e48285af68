"""Linked-data publishing: every IRI under https://w3id.org/econsec/ dereferences at the service.

Driven over real HTTP against the session's ``econsec serve`` on loopback. Answers are parsed
with rdflib (an independent parser) and checked for the triples a linked-data consumer needs:
the label, the type, and a path from a statement to its source document and cited work. What
the answers should contain is asked of the same service's /sparql, not written out here, so the
tests follow the curated data without being loosened by it.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from urllib.parse import urlsplit

import httpx
import pytest
import rdflib
import test_remote_store as remote_mode
from conftest import RunningService, select
from econsec.service.web import linked_data
from rdflib import OWL, RDF, RDFS, Literal, URIRef
from rdflib.namespace import DCTERMS, PROV

BASE = "https://w3id.org/econsec/"
ES = rdflib.Namespace(BASE + "ontology#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
SCHEMA_URL = URIRef("https://schema.org/url")
BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"

#: format= key -> (media type, rdflib parser name, is a dataset syntax)
FORMATS = {
    "turtle": ("text/turtle", "turtle", False),
    "ntriples": ("application/n-triples", "nt", False),
    "rdfxml": ("application/rdf+xml", "xml", False),
    "jsonld": ("application/ld+json", "json-ld", False),
    "trig": ("application/trig", "trig", True),
    "nquads": ("application/n-quads", "nquads", True),
}

#: (path under id/, a class the resource must have)
RESOURCES = {
    "country": ("country/japan", ES.State),
    "instrument": ("instrument/us-advanced-computing-export-controls-2022", ES.Instrument),
    "technology": ("technology/semiconductors", ES.Technology),
}


def get(url: str, accept: str | None = None, **params: str) -> httpx.Response:
    headers = {"Accept": accept} if accept else {}
    return httpx.get(url, headers=headers, params=params, timeout=60)


def parse(response: httpx.Response, parser: str, dataset: bool) -> rdflib.Graph:
    """The answer as one rdflib graph (a dataset syntax is read as a Dataset and merged)."""
    if not dataset:
        return rdflib.Graph().parse(data=response.content, format=parser)
    ds = rdflib.Dataset()
    ds.parse(data=response.content, format=parser)
    merged = rdflib.Graph()
    for s, p, o, _g in ds.quads((None, None, None, None)):
        merged.add((s, p, o))
    return merged


def english_label(service: RunningService, iri: str) -> str:
    rows = select(
        service,
        f'SELECT ?l WHERE {{ <{iri}> <{RDFS.label}> ?l FILTER (LANG(?l) = "en") }}',
    )
    assert rows, f"the graph has no English label for {iri}"
    return rows[0]["l"]


def cited_sources(graph: rdflib.Graph, iri: URIRef) -> set[tuple[URIRef, URIRef, str]]:
    """(document, cited work, its URL) reachable from the statements about ``iri`` in ``graph``."""
    statements = set(graph.subjects(OWL.annotatedSource, iri)) | set(graph.subjects(OWL.annotatedTarget, iri))
    if (iri, RDF.type, OWL.Axiom) in graph:
        statements.add(iri)
    found = set()
    for statement in statements:
        for passage in graph.objects(statement, PROV.wasDerivedFrom):
            for document in graph.objects(passage, ES.inDocument):
                for work in graph.objects(passage, ES.citesWork):
                    for url in graph.objects(work, SCHEMA_URL):
                        found.add((document, work, str(url)))
    return found


@pytest.fixture(scope="module")
def statement_iri(sparql_service: RunningService) -> str:
    """A statement about Japan whose passage cites a work with a URL."""
    rows = select(
        sparql_service,
        f"""PREFIX owl: <{OWL}> PREFIX prov: <{PROV}> PREFIX es: <{ES}>
        SELECT ?a WHERE {{
            ?a owl:annotatedSource <{BASE}id/country/japan> ; prov:wasDerivedFrom ?psg .
            ?psg es:inDocument ?doc ; es:citesWork ?w . ?w <{SCHEMA_URL}> ?url
        }} ORDER BY ?a LIMIT 1""",
    )
    assert rows, "no statement about Japan cites a work with a URL"
    assert rows[0]["a"].startswith(BASE + "id/statement/")
    return rows[0]["a"]


# --- /id/{path}: entities ------------------------------------------------------------------


@pytest.mark.parametrize("key", list(FORMATS))
@pytest.mark.parametrize("kind", list(RESOURCES))
def test_entity_dereferences_in_every_rdf_syntax_with_label_type_and_provenance(
    sparql_service: RunningService, kind: str, key: str
) -> None:
    path, klass = RESOURCES[kind]
    iri = URIRef(BASE + "id/" + path)
    media_type, parser, dataset = FORMATS[key]
    response = get(f"{sparql_service.base}/id/{path}", media_type)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "accept" in response.headers["vary"].lower()
    graph = parse(response, parser, dataset)

    assert (iri, RDFS.label, Literal(english_label(sparql_service, str(iri)), lang="en")) in graph
    assert (iri, RDF.type, klass) in graph
    sources = cited_sources(graph, iri)
    assert sources, f"no statement about {path} leads to a passage citing a work with a URL"
    for document, _work, url in sources:
        assert str(document).startswith(BASE + "id/document/")
        assert (document, DCTERMS.title, None) in graph, "the source document's title is in the description"
        assert urlsplit(url).scheme in ("http", "https")


def test_description_carries_names_of_linked_resources_and_incoming_links(
    sparql_service: RunningService,
) -> None:
    graph = parse(get(f"{sparql_service.base}/id/country/japan", "text/turtle"), "turtle", False)
    japan = URIRef(BASE + "id/country/japan")
    passages = set(graph.objects(japan, PROV.wasDerivedFrom))
    linked = {o for o in graph.objects(japan, None) if isinstance(o, URIRef) and o.startswith(BASE + "id/")}
    assert passages and linked - passages
    for entity in linked - passages:
        assert graph.value(entity, RDFS.label) is not None, f"linked entity {entity} is named"
    for passage in passages:  # document passages are known by their section, reference ones by name
        assert graph.value(passage, ES.section) or graph.value(passage, RDFS.label), passage
    rows = select(sparql_service, f"SELECT DISTINCT ?s WHERE {{ ?s <{ES.issuedBy}> <{japan}> }}")
    assert rows, "something is issued by Japan"
    assert {URIRef(r["s"]) for r in rows} <= set(graph.subjects(ES.issuedBy, japan))
    assert (japan, RDFS.label, Literal("日本", lang="ja")) in graph


@pytest.mark.parametrize("key", ["trig", "nquads"])
def test_quad_syntaxes_keep_asserted_and_inferred_facts_in_their_graphs(
    sparql_service: RunningService, key: str
) -> None:
    media_type, parser, _dataset = FORMATS[key]
    response = get(f"{sparql_service.base}/id/country/japan", media_type)
    ds = rdflib.Dataset()
    ds.parse(data=response.content, format=parser)
    japan = URIRef(BASE + "id/country/japan")
    named = [g for g in ds.graphs() if g.identifier != rdflib.graph.DATASET_DEFAULT_GRAPH_ID]
    label_graphs = {str(g.identifier) for g in named if (japan, RDFS.label, None) in g}
    assert label_graphs == {BASE + "graph/reference"}
    inferred = {str(g.identifier) for g in named if (japan, ES.memberOf, None) in g}
    assert BASE + "graph/inferred" in inferred


@pytest.mark.parametrize("key", ["trig", "nquads"])
def test_quad_syntaxes_give_the_turtle_description_in_the_default_graph(
    sparql_service: RunningService, key: str
) -> None:
    """Issue 14: a client that reads a dereferenced document's default graph (Comunica asks for
    N-Quads first) finds what a Turtle client finds; the named graphs add only where each comes from."""
    media_type, parser, _dataset = FORMATS[key]
    url = f"{sparql_service.base}/id/country/japan"
    ds = rdflib.Dataset()
    ds.parse(data=get(url, media_type).content, format=parser)
    turtle = parse(get(url, "text/turtle"), "turtle", False)
    default = ds.graph(rdflib.graph.DATASET_DEFAULT_GRAPH_ID)
    assert len(turtle) > 0 and set(default) == set(turtle)
    assert set(parse(get(url, media_type), parser, True)) == set(turtle)


# --- /id/statement/{hash} ------------------------------------------------------------------


@pytest.mark.parametrize("key", list(FORMATS))
def test_statement_iri_dereferences_to_its_triple_and_source(
    sparql_service: RunningService, statement_iri: str, key: str
) -> None:
    media_type, parser, dataset = FORMATS[key]
    path = statement_iri[len(BASE) :]
    response = get(f"{sparql_service.base}/{path}", media_type)
    assert response.status_code == 200, response.text
    graph = parse(response, parser, dataset)
    statement = URIRef(statement_iri)
    assert (statement, RDF.type, OWL.Axiom) in graph
    assert graph.value(statement, OWL.annotatedSource) == URIRef(BASE + "id/country/japan")
    assert graph.value(statement, OWL.annotatedProperty) is not None
    assert graph.value(statement, OWL.annotatedTarget) is not None
    assert cited_sources(graph, statement), "the statement leads to its document and cited work"
    assert (URIRef(BASE + "id/country/japan"), RDFS.label, Literal("Japan", lang="en")) in graph


# --- HTML ----------------------------------------------------------------------------------


class _Links(HTMLParser):
    """Collects every <a href> with its class, and the text of <h1>."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.h1 = ""
        self._in_h1 = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "a" and values.get("href"):
            self.links.append((values["href"] or "", values.get("class") or ""))
        self._in_h1 = tag == "h1"

    def handle_endtag(self, tag: str) -> None:
        if tag == "h1":
            self._in_h1 = False

    def handle_data(self, data: str) -> None:
        if self._in_h1:
            self.h1 += data


def page(response: httpx.Response) -> _Links:
    parser = _Links()
    parser.feed(response.text)
    return parser


def test_browser_gets_a_page_with_label_links_out_and_provenance(sparql_service: RunningService) -> None:
    response = get(f"{sparql_service.base}/id/country/japan", BROWSER)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "accept" in response.headers["vary"].lower()
    html = page(response)
    assert html.h1.strip() == "Japan"
    assert '<p class="ja" lang="ja">日本</p>' in response.text
    hrefs = {href for href, _cls in html.links}
    # our IRIs resolve here; Wikidata and cited works link out
    assert any(h.startswith("/id/instrument/") for h in hrefs), "the instruments Japan is party to link here"
    assert any(h.startswith("/ontology#") for h in hrefs), "types link to the ontology page"
    wikidata = select(
        sparql_service,
        f"SELECT ?w WHERE {{ <{BASE}id/country/japan> <http://www.w3.org/2004/02/skos/core#exactMatch> ?w }}",
    )
    assert wikidata, "Japan has a Wikidata match in the graph"
    for row in wikidata:
        assert (row["w"], "external") in html.links
    graph = parse(get(f"{sparql_service.base}/id/country/japan", "text/turtle"), "turtle", False)
    sources = cited_sources(graph, URIRef(BASE + "id/country/japan"))
    assert sources, "the page's Turtle names the documents behind Japan's facts"
    for document, _work, url in sources:
        assert "/id/document/" + str(document).rsplit("/", 1)[-1] in hrefs
        assert (url, "external") in html.links, f"cited work {url} is linked"
    assert any(h.startswith("/id/statement/") for h in hrefs), "each fact links to its statement"
    assert any(h.startswith("/id/passage/") for h in hrefs)
    assert "Linked from" in response.text


def test_statement_page_shows_the_triple_it_annotates(
    sparql_service: RunningService, statement_iri: str
) -> None:
    response = get(f"{sparql_service.base}/{statement_iri[len(BASE) :]}", "text/html")
    assert response.status_code == 200
    assert "This statement is about the triple" in response.text
    assert page(response).h1.startswith("Statement: Japan — ")
    assert "/id/country/japan" in {href for href, _ in page(response).links}


def test_format_parameter_overrides_accept(sparql_service: RunningService) -> None:
    response = get(f"{sparql_service.base}/id/country/japan", BROWSER, format="jsonld")
    assert response.headers["content-type"] == "application/ld+json"
    html = get(f"{sparql_service.base}/id/country/japan", "text/turtle", format="html")
    assert html.headers["content-type"].startswith("text/html")


def test_clients_without_a_preference_get_turtle(sparql_service: RunningService) -> None:
    for accept in (None, "*/*"):
        response = get(f"{sparql_service.base}/id/country/japan", accept)
        assert response.headers["content-type"].startswith("text/turtle"), accept


def test_alternates_are_listed_in_link_headers(sparql_service: RunningService) -> None:
    response = get(f"{sparql_service.base}/id/country/japan", "text/turtle")
    links = response.headers["link"]
    for key, (media_type, _parser, _dataset) in FORMATS.items():
        assert f'</id/country/japan?format={key}>; rel="alternate"; type="{media_type}"' in links
    assert 'type="text/html"' in links


@pytest.mark.parametrize(
    ("accept", "html"),
    [
        (BROWSER, True),  # browsers name text/html first; RDF/XML only through application/xml;q=0.9
        ("text/html", True),
        ("application/xhtml+xml", True),
        ("*/*", False),  # curl, most libraries
        ("text/*", False),
        ("text/turtle, text/html;q=0.5", False),
        ("text/html;q=0.9, application/ld+json", False),
        ("text/html, text/turtle", True),  # a tie goes to the page
        ("text/html;q=0", False),
        (None, False),
    ],
)
def test_html_only_when_the_client_names_it_and_ranks_it_first(accept: str | None, html: bool) -> None:
    assert linked_data.wants_html(accept) is html


def test_head_answers_like_get_without_a_body(sparql_service: RunningService) -> None:
    found = httpx.head(
        f"{sparql_service.base}/id/country/japan", headers={"Accept": "text/turtle"}, timeout=60
    )
    assert found.status_code == 200 and found.content == b""
    assert found.headers["content-type"].startswith("text/turtle")
    assert "accept" in found.headers["vary"].lower()
    assert httpx.head(f"{sparql_service.base}/id/country/atlantis", timeout=60).status_code == 404
    assert httpx.head(f"{sparql_service.base}/.well-known/void", timeout=60).status_code == 200


# --- Errors --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["id/country/atlantis", "id/statement/0000", "graph/no-such-graph"])
def test_unknown_iri_is_404_for_browsers_and_machines(sparql_service: RunningService, path: str) -> None:
    html = get(f"{sparql_service.base}/{path}", BROWSER)
    assert html.status_code == 404
    assert html.headers["content-type"].startswith("text/html")
    assert BASE + path in html.text
    rdf = get(f"{sparql_service.base}/{path}", "text/turtle")
    assert rdf.status_code == 404
    assert BASE + path in rdf.text
    assert "accept" in rdf.headers["vary"].lower()


def test_unsupported_accept_is_406_naming_what_is_available(sparql_service: RunningService) -> None:
    response = get(f"{sparql_service.base}/id/country/japan", "application/pdf")
    assert response.status_code == 406
    assert "text/turtle" in response.text and "text/html" in response.text
    assert "accept" in response.headers["vary"].lower()
    assert get(f"{sparql_service.base}/id/country/japan", None, format="csv").status_code == 406
    assert get(f"{sparql_service.base}/id/country/japan", None, format="bogus").status_code == 400


# --- /ontology -----------------------------------------------------------------------------


def test_ontology_is_a_page_for_browsers_and_owl_for_machines(sparql_service: RunningService) -> None:
    html = get(f"{sparql_service.base}/ontology", BROWSER)
    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    assert "Economic Security Ontology" in html.text
    assert 'id="Instrument"' in html.text, "hash IRIs ontology#Term find their anchor"
    assert "accept" in html.headers["vary"].lower()

    turtle = get(f"{sparql_service.base}/ontology", "text/turtle")
    assert turtle.headers["content-type"].startswith("text/turtle")
    graph = parse(turtle, "turtle", False)
    assert (URIRef(BASE + "ontology"), RDF.type, OWL.Ontology) in graph
    assert (ES.Instrument, RDF.type, OWL.Class) in graph
    count = select(
        sparql_service, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{BASE}graph/ontology> {{ ?s ?p ?o }} }}"
    )
    assert len(graph) == int(count[0]["n"])
    rdfxml = get(f"{sparql_service.base}/ontology", "application/rdf+xml")
    assert (ES.Instrument, RDF.type, OWL.Class) in parse(rdfxml, "xml", False)


# --- /graph/{name} -------------------------------------------------------------------------


def graph_size(service: RunningService, iri: str) -> int:
    rows = select(service, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{iri}> {{ ?s ?p ?o }} }}")
    return int(rows[0]["n"])


@pytest.mark.parametrize(
    ("name", "key"), [("brookings-2022", "trig"), ("reference", "nquads"), ("inferred", "turtle")]
)
def test_named_graph_downloads_whole_with_its_triple_count(
    sparql_service: RunningService, name: str, key: str
) -> None:
    iri = BASE + "graph/" + name
    media_type, parser, dataset = FORMATS[key]
    response = get(f"{sparql_service.base}/graph/{name}", media_type)
    assert response.status_code == 200
    assert response.headers["content-type"].split(";")[0] == media_type
    assert "accept" in response.headers["vary"].lower()
    expected = graph_size(sparql_service, iri)
    if dataset:
        ds = rdflib.Dataset()
        ds.parse(data=response.content, format=parser)
        assert {str(g) for *_spo, g in ds.quads((None, None, None, None))} == {iri}
        assert sum(1 for _ in ds.quads((None, None, None, None))) == expected
    else:
        assert len(parse(response, parser, False)) == expected


def test_named_graph_defaults_to_trig_and_has_a_summary_page(sparql_service: RunningService) -> None:
    assert (
        get(f"{sparql_service.base}/graph/brookings-2022", "*/*").headers["content-type"]
        == "application/trig"
    )
    html = get(f"{sparql_service.base}/graph/brookings-2022", BROWSER)
    assert html.status_code == 200
    count = graph_size(sparql_service, BASE + "graph/brookings-2022")
    assert f"{count:,} triples" in html.text
    assert "/graph/brookings-2022?format=trig" in {href for href, _ in page(html).links}


# --- VoID ----------------------------------------------------------------------------------


def test_void_has_a_subset_per_named_graph_with_the_stores_counts(sparql_service: RunningService) -> None:
    response = get(f"{sparql_service.base}/.well-known/void")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/turtle")
    assert "accept" in response.headers["vary"].lower()
    void = parse(response, "turtle", False)
    dataset = URIRef(BASE + "dataset")
    assert (dataset, RDF.type, VOID.Dataset) in void

    graphs = {r["g"] for r in select(sparql_service, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")}
    subsets = {str(s) for s in void.objects(dataset, VOID.subset)}
    assert subsets == graphs
    total = 0
    for graph in graphs:
        stated = int(void.value(URIRef(graph), VOID.triples))
        assert stated == graph_size(sparql_service, graph), graph
        total += stated
    assert int(void.value(dataset, VOID.triples)) == total

    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(sparql_service.base + "/sparql")
    assert str(void.value(dataset, VOID.uriLookupEndpoint)).startswith(sparql_service.base + "/")
    assert str(void.value(dataset, DCTERMS.identifier)) == sparql_service.health()["build_id"]
    assert void.value(dataset, DCTERMS.license) is not None
    assert void.value(dataset, DCTERMS.modified) is not None
    assert set(void.objects(dataset, VOID.vocabulary)) >= {URIRef(str(ES)), URIRef(str(PROV))}
    for example in void.objects(dataset, VOID.exampleResource):
        local = sparql_service.base + "/" + str(example)[len(BASE) :]
        assert get(local, "text/turtle").status_code == 200, f"example resource {example} dereferences"


def test_void_reads_as_a_page_in_a_browser(sparql_service: RunningService) -> None:
    """A person opening the VoID URL gets the same triples read out, every link working."""
    page = get(f"{sparql_service.base}/.well-known/void", "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'type="text/turtle"' in page.headers["link"] and 'type="text/html"' in page.headers["link"]
    void = parse(get(f"{sparql_service.base}/.well-known/void"), "turtle", False)
    dataset = URIRef(BASE + "dataset")
    text = " ".join(page.text.split())
    assert str(void.value(dataset, DCTERMS.title)) in text
    assert f"{int(void.value(dataset, VOID.triples)):,}" in text
    for subset in void.objects(dataset, VOID.subset):
        name = str(subset).rsplit("/", 1)[-1]
        count = f"{int(void.value(subset, VOID.triples)):,}"
        assert f'<a href="/graph/{name}">{name}</a>' in text and count in text
    economy = next(
        p for p in void.objects(dataset, VOID.classPartition) if void.value(p, VOID["class"]) == ES.Economy
    )
    assert f'es:Economy</a></td><td class="n">{int(void.value(economy, VOID.entities))}<' in text
    links = set(re.findall(r'href="(/[^"]*)"', page.text))
    assert "/id/country/japan" in links and "/sparql" in links
    for href in sorted(links):
        if href.startswith(("/id/", "/graph/")):
            assert httpx.head(sparql_service.base + href, timeout=60).status_code == 200, href


def test_void_dumps_and_aliases_resolve(sparql_service: RunningService) -> None:
    void = parse(get(f"{sparql_service.base}/void", "application/n-triples"), "nt", False)
    ontology_graph = URIRef(BASE + "graph/ontology")
    dump = void.value(ontology_graph, VOID.dataDump)
    assert dump is not None and str(dump).startswith(sparql_service.base)
    response = get(str(dump))
    assert response.status_code == 200
    ds = rdflib.Dataset()
    ds.parse(data=response.content, format="trig")
    assert sum(1 for _ in ds.quads((None, None, None, None))) == int(void.value(ontology_graph, VOID.triples))
    assert (URIRef(BASE + "dataset"), RDF.type, VOID.Dataset) in parse(
        get(f"{sparql_service.base}/dataset", "application/ld+json"), "json-ld", False
    )


def test_lookup_redirects_an_iri_to_where_it_is_answered(sparql_service: RunningService) -> None:
    response = httpx.get(
        f"{sparql_service.base}/lookup", params={"uri": BASE + "id/country/japan"}, timeout=30
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/id/country/japan"
    ontology_term = httpx.get(
        f"{sparql_service.base}/lookup", params={"uri": BASE + "ontology#State"}, timeout=30
    )
    assert ontology_term.headers["location"] == "/ontology#State"
    foreign = httpx.get(f"{sparql_service.base}/lookup", params={"uri": "http://example.org/x"}, timeout=30)
    assert foreign.status_code == 400


def test_every_kind_of_iri_in_the_graph_dereferences(sparql_service: RunningService) -> None:
    """One IRI of each kind under the public base (id/{kind}/, ontology#, the version IRI...) resolves."""
    rows = select(
        sparql_service,
        f"""SELECT ?kind (MIN(STR(?x)) AS ?example) WHERE {{
            {{ ?x ?p ?o }} UNION {{ ?s ?x ?o }} UNION {{ ?s ?p ?x }}
            FILTER (isIRI(?x) && STRSTARTS(STR(?x), "{BASE}"))
            BIND (STRAFTER(STR(?x), "{BASE}") AS ?rest)
            BIND (IF(STRSTARTS(?rest, "id/"), STRBEFORE(SUBSTR(?rest, 4), "/"),
                  IF(CONTAINS(?rest, "#"), STRBEFORE(?rest, "#"), ?rest)) AS ?kind)
        }} GROUP BY ?kind""",
    )
    kinds = {row["kind"]: row["example"] for row in rows}
    assert {"country", "instrument", "statement", "passage", "work", "ontology"} <= set(kinds)
    for kind, example in sorted(kinds.items()):
        response = httpx.get(
            f"{sparql_service.base}/lookup",
            params={"uri": example},
            headers={"Accept": "application/n-triples"},
            follow_redirects=True,
            timeout=60,
        )
        assert response.status_code == 200, f"{kind}: {example} does not dereference ({response.status_code})"
        graph = parse(response, "nt", False)
        assert (URIRef(example), None, None) in graph or (None, None, URIRef(example)) in graph, example


# --- Remote-store mode: the same answers over SPARQL to another store --------------------------

# the remote-mode fixtures (a real `oxigraph serve`, filled by `econsec publish`, served by
# `econsec serve --store-query`): started once for this module
store_server = remote_mode.store_server
published = remote_mode.published
remote_service = remote_mode.remote_service


def test_remote_store_mode_serves_the_same_descriptions(
    remote_service: RunningService, sparql_service: RunningService
) -> None:
    path = "id/instrument/us-advanced-computing-export-controls-2022"
    iri = URIRef(BASE + path)
    local = parse(get(f"{sparql_service.base}/{path}", "text/turtle"), "turtle", False)
    remote = parse(get(f"{remote_service.base}/{path}", "text/turtle"), "turtle", False)
    assert set(local.predicate_objects(iri)) == set(remote.predicate_objects(iri))
    assert cited_sources(remote, iri) == cited_sources(local, iri)
    assert get(f"{remote_service.base}/{path}", BROWSER).status_code == 200
    assert get(f"{remote_service.base}/id/country/atlantis", "text/turtle").status_code == 404

    void = parse(get(f"{remote_service.base}/.well-known/void"), "turtle", False)
    dataset = URIRef(BASE + "dataset")
    assert void.value(dataset, VOID.sparqlEndpoint) == URIRef(remote_service.base + "/sparql")
    for subset in void.objects(dataset, VOID.subset):
        assert int(void.value(subset, VOID.triples)) == graph_size(remote_service, str(subset)), subset
    reference = get(f"{remote_service.base}/graph/reference", "application/n-quads")
    ds = rdflib.Dataset()
    ds.parse(data=reference.content, format="nquads")
    assert sum(1 for _ in ds.quads((None, None, None, None))) == graph_size(
        sparql_service, BASE + "graph/reference"
    )


# --- Real clients, and the routes that were there before -----------------------------------


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_gets_turtle(sparql_service: RunningService) -> None:
    out = subprocess.run(
        ["curl", "-sS", "-f", "-H", "Accept: text/turtle", f"{sparql_service.base}/id/country/japan"],
        capture_output=True,
        check=True,
        timeout=60,
    ).stdout
    graph = rdflib.Graph().parse(data=out, format="turtle")
    assert (URIRef(BASE + "id/country/japan"), RDFS.label, Literal("Japan", lang="en")) in graph


def test_rdflib_dereferences_by_url_with_its_own_content_negotiation(sparql_service: RunningService) -> None:
    graph = rdflib.Graph().parse(f"{sparql_service.base}/id/instrument/ipef")
    ipef = URIRef(BASE + "id/instrument/ipef")
    assert (ipef, RDFS.label, None) in graph
    assert (ipef, RDF.type, ES.Instrument) in graph


@pytest.mark.parametrize("path", ["/sparql", "/health", "/openapi.json", "/docs"])
def test_linked_data_routes_shadow_nothing(sparql_service: RunningService, path: str) -> None:
    assert get(sparql_service.base + path).status_code == 200
    spec = get(sparql_service.base + "/openapi.json").json()
    assert "/id/{path}" in spec["paths"] and "/sparql" in spec["paths"]
