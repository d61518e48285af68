"""The analyst's browsing journeys in Chromium at 1,280 px (issue 15, items 4-7): search from the
home page, class lists, entity pages that lead with a summary, the neighbourhood drawing,
passage and document pages.

Same set-up as ``tests/test_ui_browser.py`` (Debian's Chromium through Playwright, the session's
``econsec serve`` on loopback, nothing loaded from outside). Each test saves a screenshot named
for the kind of page to ``tests/screenshots/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest
from conftest import RunningService
from econsec.graph.paths import ES, G_ONTOLOGY
from econsec.service.web.amounts import date_in_words
from playwright.sync_api import Browser, expect
from test_ui_browser import Visit, open_tab

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
ID = "https://w3id.org/econsec/id/"
JAPAN_CHIP_CONTROLS = ID + "instrument/japan-chip-equipment-export-controls-2023"
PASSAGE = "/id/passage/atlantic-council-2024.japan-chip-controls"
DOCUMENT = "/id/document/atlantic-council-2024"
#: what a passage page writes between subject, property and object (an en dash)
DASH = "\u2013"


@dataclass
class Tab(Visit):
    """A 1,280 px browser tab on the service that also saves screenshots and measures the width."""

    def shot(self, kind: str) -> None:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=SCREENSHOTS / f"{kind}.png", full_page=True)


@pytest.fixture
def tab(browser: Browser, sparql_service: RunningService) -> Iterator[Tab]:
    seen = open_tab(browser, sparql_service.base, Tab)
    yield seen
    seen.page.context.close()
    assert not seen.outside(), f"the page loaded resources from outside the service: {seen.outside()}"
    assert not seen.errors, f"script errors on the page: {seen.errors}"


def instances_of(store: ox.Store, class_iri: str) -> int:
    """The SPARQL count of a class: things typed with it or a subclass, outside the ontology graph."""
    (row,) = store.query(
        f"SELECT (COUNT(DISTINCT ?x) AS ?n) WHERE {{ GRAPH {G_ONTOLOGY} {{ ?sub "
        f"<http://www.w3.org/2000/01/rdf-schema#subClassOf>* {ox.NamedNode(class_iri)} }} "
        f"GRAPH ?g {{ ?x a ?sub }} FILTER (?g != {G_ONTOLOGY}) }}"
    )
    return int(row["n"].value)


def test_an_analyst_types_japan_chip_export_and_opens_the_control_with_its_dates(
    tab: Tab, built_store: ox.Store
) -> None:
    page = tab.go("/")
    tab.shot("home")
    box = page.get_by_label("Name or other name")
    box.press_sequentially("japan chip export", delay=30)  # typed: the as-you-type search answers
    first = page.locator("#search-results a").first
    expect(first).to_have_attribute("href", "/id/instrument/japan-chip-equipment-export-controls-2023")
    expect(first).to_have_text("Japanese export controls on chip-making equipment")
    first.click()  # one click
    page.wait_for_url(re.compile(r"/id/instrument/japan-chip-equipment-export-controls-2023$"))
    summary = page.locator("#summary")
    dates = {
        date_in_words(row["d"].value)
        for row in built_store.query(
            f"SELECT ?d WHERE {{ GRAPH ?g {{ <{JAPAN_CHIP_CONTROLS}> <{ES}announcedOn>|<{ES}date> ?d }} }}"
        )
    }
    assert dates == {"March 2023"}
    expect(summary).to_contain_text("March 2023")
    expect(summary).to_contain_text("enacted")  # the status, per source
    expect(summary.get_by_role("link", name="export control")).to_have_attribute(
        "href", "/classes/ExportControl"
    )
    tab.no_sideways_scroll()


def test_the_search_page_forgives_a_typo(tab: Tab) -> None:
    page = tab.go("/search?q=galium")
    first = page.locator("ul.results a").first
    expect(first).to_have_text("gallium")
    expect(first).to_have_attribute("href", "/id/material/gallium")
    page.get_by_label("Words in a name or description").fill("export controls Japan")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=export\+controls\+Japan"))
    expect(page.locator("ul.results a").first).to_have_text(
        "Japanese export controls on chip-making equipment"
    )
    # restricted to a kind, subclasses included
    page.get_by_label("Words in a name or description").fill("huawei")
    page.get_by_label("of kind").select_option(label="export control")
    page.get_by_role("button", name="Search").click()
    page.wait_for_url(re.compile(r"q=huawei&class="))
    kinds = page.locator("ul.results .kinds").all_inner_texts()
    assert sorted(kinds) == ["entity listing", "foreign direct product rule"], (
        "Huawei the company is left out"
    )
    tab.no_sideways_scroll()
    tab.shot("search")


def test_home_counts_open_class_lists_with_the_same_numbers(tab: Tab, built_store: ox.Store) -> None:
    page = tab.go("/")
    classes = page.locator('section[aria-labelledby="by-class"]')
    home_row = classes.locator("tr", has=page.locator('a[href="/classes/ExportControl"]'))
    if not home_row.is_visible():  # past the first rows: under "All N classes"
        classes.locator("summary").click()
    home_count = int(home_row.locator("td.n").inner_text().replace(",", ""))
    assert home_count == instances_of(built_store, ES + "ExportControl") == 11
    home_row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/classes/ExportControl$"))
    rows = page.locator("#member-table tbody tr")
    expect(rows).to_have_count(home_count)
    expect(page.locator("h1")).to_contain_text(f"({home_count})")
    expect(page.locator("#counted")).to_contain_text("subclass")  # says that subclasses are in
    # which subclass each belongs to, and sorting by it
    fdpr = rows.filter(has_text="Foreign Direct Product Rule applied to Huawei")
    expect(fdpr.locator("td").first).to_have_text("foreign direct product rule")
    page.locator("#member-table thead th", has_text="Kind").get_by_role("button").click()
    kinds = page.locator("#member-table tbody tr td:nth-child(2)").all_inner_texts()
    assert kinds == sorted(kinds, key=str.lower) and len(set(kinds)) == 3
    # the in-page filter narrows the list as one types
    page.get_by_label("Filter this list").fill("huawei")
    expect(page.locator("#member-table tbody tr:visible")).to_have_count(2)
    tab.no_sideways_scroll()
    page.get_by_label("Filter this list").fill("")
    tab.shot("class-list")
    for local in ("Actor", "CriticalMineral"):
        page = tab.go(f"/classes/{local}")
        expect(page.locator("#member-table tbody tr")).to_have_count(instances_of(built_store, ES + local))


def test_japans_page_leads_with_a_summary_and_stays_readable(tab: Tab) -> None:
    page = tab.go("/id/country/japan")
    page.wait_for_selector("#neighbourhood[data-drawn]")
    summary = page.locator("#summary")
    expect(summary).to_contain_text("state")
    wikidata = summary.get_by_role("link", name="Wikidata Q17")
    expect(wikidata).to_have_attribute("href", "http://www.wikidata.org/entity/Q17")
    expect(summary).to_contain_text("JPN")
    top_of = lambda selector: page.locator(selector).first.bounding_box()["y"]  # noqa: E731
    assert top_of("#summary") < top_of("#properties") < top_of("#sources"), "summary first, sources last"
    assert not page.locator("details.sources-all").evaluate("d => d.open"), "sources start folded"
    # each link once: memberships are not listed again from the organisations' side
    facts = page.locator("#properties").inner_text()
    assert "wasAttributedTo" not in facts and "org:memberOf" not in facts
    height = page.evaluate("document.documentElement.scrollHeight")
    assert height < 7000, f"Japan's page is {height} px tall (13,669 before)"
    tab.no_sideways_scroll()
    tab.shot("entity")


def test_the_neighbourhood_groups_links_by_relation(tab: Tab) -> None:
    page = tab.go("/id/country/japan")
    drawing = page.locator("#neighbourhood")
    page.wait_for_selector("#neighbourhood[data-drawn]")
    headings = drawing.locator("text.relation").evaluate_all("ts => ts.map(t => t.textContent)")
    assert len(headings) == len(set(headings)) > 5, "one heading per relation and direction"
    assert any(h.startswith("… jurisdiction this") for h in headings)
    more = drawing.locator("text.more")
    assert more.count() > 0, "busy relations fold behind +N more"
    # arrows, and a distinct colour-and-dash per relation
    edges = drawing.locator("path.edge")
    assert edges.count() > 20
    styles = drawing.locator("text.relation").evaluate_all("ts => ts.map(t => t.getAttribute('fill'))")
    assert all(styles)
    markers = set(edges.evaluate_all("es => es.map(e => e.getAttribute('marker-end'))"))
    looks = set(
        edges.evaluate_all(
            "es => es.map(e => e.getAttribute('stroke') + ' ' + e.getAttribute('stroke-dasharray'))"
        )
    )
    assert len(markers) == len(headings) == len(looks), "each relation has its own colour and arrow"
    # names are whole, never cut with an ellipsis
    names = drawing.locator("g.thing text").evaluate_all("ts => ts.map(t => t.textContent)")
    assert names and not [n for n in names if n.endswith(("...", "…"))]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    drawing.screenshot(path=SCREENSHOTS / "neighbourhood.png")  # as a reader first sees it
    # "+N more" shows the rest of its group
    before = drawing.locator("circle.node").count()
    more.first.click()
    expect(drawing.locator("circle.node")).not_to_have_count(before)
    # drag a thing, then zoom
    thing = drawing.locator("g.thing").first
    thing.scroll_into_view_if_needed()
    start = thing.get_attribute("transform")
    box = thing.locator("circle").bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 60, y + 40, steps=5)
    page.mouse.up()
    assert thing.get_attribute("transform") != start, "a dragged thing moves"
    layer = drawing.locator("svg > g").first
    page.get_by_role("button", name="Zoom in").click()
    expect(layer).to_have_attribute("transform", re.compile(r"scale\(1\.4"))
    page.get_by_role("button", name="Reset the view").click()
    expect(layer).not_to_have_attribute("transform", re.compile(r"scale\(1\.4"))
    tab.no_sideways_scroll()


def test_a_passage_says_what_it_supports_in_words(tab: Tab) -> None:
    page = tab.go(PASSAGE)
    expect(page.locator("h1")).to_have_text("Passage: Coordination on export controls")
    lines = page.locator("ul.supports li").all_inner_texts()
    assert (
        f"supports: Japanese export controls on chip-making equipment {DASH} jurisdiction {DASH} Japan"
        in lines
    )
    assert (
        f"supports: Japanese export controls on chip-making equipment {DASH} announced on {DASH} March 2023"
        in lines
    )
    assert all(line.startswith("supports: ") for line in lines)
    assert not [a for a in page.locator("main a").all_inner_texts() if a.startswith("stmt:")], "no hash links"
    expect(page.locator("#summary")).to_contain_text("Expanding the US-Japan economic security partnership")
    tab.no_sideways_scroll()
    tab.shot("passage")


def test_a_document_lists_its_sections_and_where_to_read_it(tab: Tab, built_store: ox.Store) -> None:
    page = tab.go(DOCUMENT)
    (row,) = built_store.query(
        f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ GRAPH ?g {{ ?p <{ES}inDocument> <{ID}document/atlantic-council-2024> ; "
        f"<{ES}section> ?s }} }}"
    )
    sections = page.locator("#sections-heading ~ ul li")
    expect(sections).to_have_count(int(row["n"].value))
    expect(sections.filter(has_text="Coordination on export controls").get_by_role("link")).to_have_attribute(
        "href", re.compile(r"^/id/passage/atlantic-council-2024\.")
    )
    addresses = [
        r["a"].value
        for r in built_store.query(
            f"SELECT ?a WHERE {{ GRAPH ?g {{ <{ID}document/atlantic-council-2024> <https://schema.org/url> ?a }} }}"
        )
    ]
    if addresses:
        expect(page.locator("#summary a.external").first).to_have_attribute("href", addresses[0])
    else:
        expect(page.locator("#summary")).to_contain_text("no public address")
    tab.no_sideways_scroll()
    tab.shot("document")
