"""The documentation pages, the editor's error display and Japanese text, in a real browser.

Debian's Chromium, headless, driven by Playwright, against the session's ``econsec serve`` on
loopback, as in ``test_ui_browser.py``. Here the browser is *offline*: every request to any
origin but the service's own is aborted and recorded, so a page that needs a CDN, a font service
or an autocompletion service shows it by looking broken and by failing the test. Each test saves
a screenshot to ``tests/screenshots/{page-kind}.png``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import RunningService
from playwright.sync_api import Browser, Page, Route, expect
from test_ui_browser import Visit, open_tab

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
NAV = ("Home", "SPARQL editor", "Saved queries", "Ontology", "API")


@dataclass
class Offline(Visit):
    """A tab that can reach the service and nothing else; ``blocked`` lists what it tried."""

    blocked: list[str] = field(default_factory=list)

    def shot(self, kind: str, *, full_page: bool = True) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{kind}.png", full_page=full_page)

    def width(self) -> int:
        return int(self.page.evaluate("document.documentElement.scrollWidth"))


@pytest.fixture
def offline(browser: Browser, sparql_service: RunningService) -> Iterator[Offline]:
    seen = open_tab(browser, sparql_service.base, Offline)
    context = seen.page.context
    own = urlsplit(sparql_service.base).netloc

    def gate(route: Route) -> None:
        url = route.request.url
        if url.startswith(("data:", "blob:")) or urlsplit(url).netloc == own:
            route.continue_()
        else:
            seen.blocked.append(url)
            route.abort()

    context.route("**/*", gate)
    yield seen
    context.close()
    assert not seen.blocked, f"the page asked for things outside the service: {seen.blocked}"
    assert not seen.errors, f"script errors on the page: {seen.errors}"


# --- /ontology -----------------------------------------------------------------------------


def test_ontology_page_has_its_title_the_site_navigation_and_a_class_index(offline: Offline) -> None:
    page = offline.go("/ontology")
    assert page.title() == "Economic Security Ontology · econsec-kg", "the tab names the ontology"
    expect(page.locator("h1")).to_have_count(1)
    expect(page.locator("h1")).to_have_text("Economic Security Ontology")
    nav = page.get_by_role("navigation", name="Service")
    for label in NAV:
        expect(nav.get_by_role("link", name=label)).to_be_visible()
    # the metadata names the ontology's own IRI, not one of its concept schemes
    expect(page.locator(".ontology-meta dd").first).to_have_text("https://w3id.org/econsec/ontology")
    # an index of classes comes before the entries, and its numbers open the class lists
    index = page.locator(".class-index")
    expect(index.get_by_role("link", name="policy instrument", exact=True)).to_be_visible()
    assert page.locator(".class-index").evaluate(
        "i => i.compareDocumentPosition(document.getElementById('Instrument')) & Node.DOCUMENT_POSITION_FOLLOWING"
    ), "the index comes before the class entries"
    lists = page.locator('a[href^="/classes/"]')
    assert lists.count() > 20
    instrument = page.locator("details#Instrument")
    instrument.locator("summary").click()  # entries are folded; a click opens one
    expect(instrument.locator('a[href="/classes/Instrument"]')).to_be_visible()
    examples = instrument.locator('a[href^="/id/instrument/"]')
    assert examples.count() >= 1, "a class shows a few of its things, linked to their pages"
    # the SPARQL snippet runs in the editor
    expect(instrument.locator("pre.query")).to_contain_text("<https://w3id.org/econsec/ontology#Instrument>")
    href = instrument.get_by_role("link", name="Open in the SPARQL editor").get_attribute("href") or ""
    assert href.startswith("/sparql?query=")
    assert offline.width() <= 1280, "nothing scrolls sideways at 1,280 px"
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 20_000, f"the page is {height} px tall"
    offline.shot("ontology")


def test_a_hash_iri_lands_on_its_term(offline: Offline) -> None:
    page = offline.go("/ontology#CriticalMineral")
    entry = page.locator("details#CriticalMineral")
    expect(entry).to_have_attribute("open", "")  # the folded entry a hash IRI names is opened
    expect(entry.locator('a[href="/classes/CriticalMineral"]')).to_be_in_viewport()
    page = offline.go("/ontology#memberOf")
    expect(page.locator("tr#memberOf")).to_be_in_viewport()
    page = offline.go("/ontology#Proposed")
    expect(page.locator("#Proposed")).to_be_attached()


# --- /docs ---------------------------------------------------------------------------------


def test_api_docs_work_offline(offline: Offline) -> None:
    page = offline.go("/docs")
    assert page.title() == "HTTP API · econsec-kg"
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("econsec-kg")
    operations = page.locator(".opblock")
    expect(operations.first).to_be_visible()
    assert operations.count() > 10, "the operations of /openapi.json are listed"
    expect(page.locator(".opblock-summary-path", has_text=re.compile(r"^/sparql$")).first).to_be_visible()
    offline.shot("docs", full_page=False)  # Chromium leaves a page this tall half unpainted


# --- The SPARQL editor ---------------------------------------------------------------------


def run_in_editor(offline: Offline, query: str) -> Page:
    """Open the editor, replace the query with ``query`` and run it."""
    page = offline.go("/sparql")
    page.locator(".CodeMirror").first.wait_for()
    page.evaluate("q => window.econsecYasgui.getTab().getYasqe().setValue(q)", query)
    page.locator(".yasqe_queryButton:visible").click()
    return page


def marks(page: Page) -> list[dict]:
    """The spans the editor marks as the error: their text and 1-based line."""
    return page.evaluate(
        """() => window.econsecYasgui.getTab().getYasqe().getAllMarks()
             .filter(m => /query-error/.test(m.className))
             .map(m => ({cls: m.className, line: m.find().from.line + 1,
                         text: window.econsecYasgui.getTab().getYasqe().getRange(m.find().from, m.find().to)}))"""
    )


def test_an_undeclared_prefix_is_explained_and_marked_where_it_is(offline: Offline) -> None:
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?thing ?label WHERE {\n"
        "  ?thing a es:Instrument ;\n"
        "         rdfs:label ?label .\n"
        "}"
    )
    page = run_in_editor(offline, query)
    report = page.locator(".yasr:visible .query-error-report")
    expect(report).to_contain_text(
        "prefix es: is not declared; add PREFIX es: <https://w3id.org/econsec/ontology#>"
    )
    expect(report).to_contain_text("line 3, column 12")
    assert "\\u{" not in report.locator(".explanation").inner_text(), "no wall of character ranges"
    assert not report.locator("pre").is_visible(), "the parser's own words are behind a click"
    assert marks(page)[0] == {"cls": "query-error", "line": 3, "text": "es:Instrument"}
    assert offline.width() <= 1280, "the error does not stretch the page"
    offline.shot("editor-error")


def test_a_missing_bracket_names_both_halves(offline: Offline) -> None:
    query = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER (?o > 3\n}\n"
    page = run_in_editor(offline, query)
    report = page.locator(".yasr:visible .query-error-report")
    expect(report).to_contain_text(
        "the '(' opened at line 3, column 10 is not closed before the '}' at line 4, column 1: add ')'"
    )
    found = marks(page)
    assert {(m["line"], m["text"]) for m in found} == {(4, "}"), (3, "(")}
    # the marks go when the query is run again, corrected
    page.evaluate("q => window.econsecYasgui.getTab().getYasqe().setValue(q)", query.replace("> 3", "> 3)"))
    page.locator(".yasqe_queryButton:visible").click()
    expect(page.locator(".yasr:visible .query-error-report")).to_have_count(0)
    assert marks(page) == []


def test_a_construct_error_reads_the_same_though_it_comes_as_plain_text(offline: Offline) -> None:
    page = run_in_editor(offline, "CONSTRUCT { ?s ?p ?o } WHERE {\n  ?s ?p ?o .\n  ?s rdfs:label ?o\n")
    report = page.locator(".yasr:visible .query-error-report")
    expect(report.locator(".explanation")).to_have_text(
        "prefix rdfs: is not declared; add PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> at the top of the query"
    )
    assert [m["line"] for m in marks(page)] == [3]


def test_examples_open_with_the_query_and_dated_answers_draw_a_timeline(offline: Offline) -> None:
    page = offline.go("/sparql")
    page.get_by_text("Examples: the").click()
    page.get_by_role("button", name="cq15-timeline").click()
    text = page.evaluate("window.econsecYasgui.getTab().getYasqe().getValue()")
    assert "#+" not in text and text.startswith("PREFIX"), "the header comments stay in the .rq file"
    page.locator(".yasqe_queryButton:visible").click()
    expect(page.locator(".yasr:visible .dataTable tbody tr").first).to_be_visible()
    # our IRIs open their page on this service, in this tab
    link = page.locator(".yasr:visible .dataTable a").first
    assert (link.get_attribute("href") or "").startswith("/id/")
    assert link.get_attribute("target") is None
    page.locator(".yasr:visible .select_timeline").click()
    expect(page.locator(".yasr:visible .chart.timeline svg circle.event").first).to_be_visible()
    assert page.locator(".yasr:visible .chart.timeline svg circle.event").count() > 10
    offline.shot("editor")


def test_a_construct_answer_draws_as_a_graph(offline: Offline) -> None:
    page = run_in_editor(offline, "DESCRIBE <https://w3id.org/econsec/id/material/gallium>")
    page.locator(".yasr:visible .select_graph").click()
    graph = page.locator(".yasr:visible .chart.graph svg")
    expect(graph.locator("circle.node").first).to_be_visible()
    expect(graph.locator("text").filter(has_text="gallium").first).to_be_visible()
    assert graph.locator('a[href="/id/technology/semiconductors"]').count() == 1


def test_only_our_own_pages_are_linked_locally(offline: Offline) -> None:
    query = (
        'SELECT ?ours ?odd ?other WHERE { BIND(IRI("https://w3id.org/econsec/id/country/japan") AS ?ours)'
        ' BIND(IRI("https://w3id.org/econsec//example.org/x") AS ?odd)'
        ' BIND(IRI("https://example.org/y") AS ?other) }'
    )
    page = run_in_editor(offline, query)
    cells = page.locator(".yasr:visible .dataTable tbody tr").first.locator("td a")
    expect(cells.first).to_be_visible()
    hrefs = [a.get_attribute("href") for a in cells.all()]
    assert hrefs == [
        "/id/country/japan",
        "https://w3id.org/econsec//example.org/x",  # not "//example.org/x", another site
        "https://example.org/y",
    ]


# --- Japanese text -------------------------------------------------------------------------


def test_japanese_labels_render_with_a_cjk_font(offline: Offline) -> None:
    page = offline.go("/id/place/tokyo")
    label = page.locator("p.ja[lang=ja]")
    expect(label).to_have_text("東京")
    # a missing font draws every character as the same empty box: compare the label's glyphs
    # with a character no font has (a noncharacter), drawn in the label's own font
    differs = label.evaluate(
        """el => {
          const font = getComputedStyle(el).font;
          const draw = (t) => { const c = document.createElement("canvas"); c.width = 80; c.height = 40;
            const x = c.getContext("2d"); x.font = font; x.fillText(t, 4, 30);
            return Array.from(x.getImageData(0, 0, 80, 40).data).join(","); };
          return draw("東") !== draw("\\uFFFF") && draw("東") !== draw("京");
        }"""
    )
    assert differs, "the Japanese label is drawn as empty boxes: no CJK font (scripts/system-packages.sh)"
    offline.shot("japanese")
