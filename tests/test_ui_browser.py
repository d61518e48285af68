"""The pages in a real browser: Debian's Chromium, headless, driven by Playwright (from PyPI),
against the session's ``econsec serve`` on loopback.

One browser for the module, a fresh context (no storage, no cache) per test. Every test saves a
screenshot to ``test-output/screenshots/`` and fails if the page asked for anything outside the
service (no CDN, no font service, no autocompletion service). Chromium missing is a failure
with the command that installs it, not a skip: CI installs it (.ci/run).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar
from urllib.parse import quote, urlsplit

import httpx
import pytest
from conftest import RunningService
from playwright.sync_api import Browser, Page, Request, expect

SCREENSHOTS = Path(__file__).resolve().parent.parent / "test-output" / "screenshots"
#: the largest a page of ours may be, its data and the vendor bundles aside (issue 5)
PAGE_BUDGET = 1024 * 1024


@dataclass
class Visit:
    """A browser tab on the service, with every request it made and the errors it logged."""

    page: Page
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def go(self, path: str) -> Page:
        self.page.goto(self.base + path)
        return self.page

    def outside(self) -> list[str]:
        """Requests to anywhere but this service (data: and blob: URLs are in the page itself)."""
        own = urlsplit(self.base).netloc
        return [
            u for u in self.requests if not u.startswith(("data:", "blob:")) and urlsplit(u).netloc != own
        ]

    def no_sideways_scroll(self) -> None:
        overflow = self.page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow <= 0, f"{self.page.url} scrolls sideways by {overflow} px at 1,280 px"


V = TypeVar("V", bound=Visit)


def open_tab(browser: Browser, base: str, kind: type[V], *, timeout_ms: int = 20_000) -> V:
    """A tab in a fresh 1,280 px context (no storage, no cache) on ``base``, recording every request
    it makes and every script error: the set-up of every browser test (``test_ui_*.py``). The
    caller closes it with ``tab.page.context.close()``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    seen = kind(page, base)
    page.on("request", lambda r: seen.requests.append(r.url))
    page.on("pageerror", lambda e: seen.errors.append(str(e)))
    return seen


@pytest.fixture
def visit(
    browser: Browser, sparql_service: RunningService, request: pytest.FixtureRequest
) -> Iterator[Visit]:
    seen = open_tab(browser, sparql_service.base, Visit)
    yield seen
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    seen.page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    seen.page.context.close()
    assert not seen.outside(), f"the page loaded resources from outside the service: {seen.outside()}"
    assert not seen.errors, f"script errors on the page: {seen.errors}"


def test_search_for_an_entity_and_open_its_page(visit: Visit) -> None:
    page = visit.go("/")
    box = page.get_by_label("Name or other name")
    box.press_sequentially("galli", delay=40)  # typed, so the as-you-type search runs
    first = page.locator("#search-results a").first
    expect(first).to_have_text("gallium")
    box.press("ArrowDown")  # the keyboard reaches the matches
    expect(first).to_be_focused()
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/id/material/gallium$"))
    expect(page.locator("h1")).to_contain_text("gallium")


def test_run_a_saved_query_with_a_parameter(visit: Visit, sparql_service: RunningService) -> None:
    page = visit.go("/queries/actor-network")
    page.get_by_role("combobox", name=re.compile("^relation")).select_option("convenes")
    page.get_by_role("button", name="Run").click()
    page.wait_for_url(re.compile(r"relation=convenes"))
    expected = httpx.get(
        sparql_service.base + "/queries/actor-network", params={"relation": "convenes"}, timeout=60
    ).json()
    assert expected["total"] > 0
    header = page.locator("table thead th").all_inner_texts()
    relation = header.index("Relation")  # column titles are words (issue 15)
    cells = page.locator(f"table tbody tr td:nth-child({relation + 1})").all_inner_texts()
    assert len(cells) == expected["total"] and set(cells) == {"convenes"}
    first_from = page.locator("table tbody tr").first.locator("td").nth(header.index("From"))
    expect(first_from).to_have_text(expected["rows"][0]["fromLabel"])


def test_the_timeline_is_drawn(visit: Visit, sparql_service: RunningService) -> None:
    page = visit.go("/queries/cq15-timeline")
    rows = httpx.get(sparql_service.base + "/queries/cq15-timeline", timeout=60).json()["rows"]
    dots = page.locator("#chart svg circle.event")
    expect(dots).to_have_count(len(rows))
    assert len(rows) > 20
    # the dots follow the dates: the first item is left of the last
    first_x = float(dots.first.get_attribute("cx") or 0)
    last_x = float(dots.last.get_attribute("cx") or 0)
    assert first_x < last_x
    expect(page.locator("#chart svg text").filter(has_text=rows[0]["label"][:30]).first).to_be_visible()


def test_the_actor_network_is_drawn(visit: Visit, sparql_service: RunningService) -> None:
    page = visit.go("/queries/actor-network")
    rows = httpx.get(sparql_service.base + "/queries/actor-network", timeout=60).json()["rows"]
    actors = {r["from"] for r in rows} | {r["to"] for r in rows}
    expect(page.locator("#chart svg circle.node")).to_have_count(len(actors))
    expect(page.locator("#chart svg line.edge")).to_have_count(len(rows))
    # laid out, not piled up: the nodes are spread over the drawing
    xs = {round(float(t.split("(")[1].split(",")[0])) for t in _transforms(page, "#chart svg g > a")}
    assert len(xs) > len(actors) // 2
    # the keyboard goes from the form to the table, not through a hundred dots
    page.get_by_role("button", name="Run").focus()
    page.keyboard.press("Tab")  # the chart's link to its data in the table (issue 15) comes first
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#results"
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('table') !== null")


def _transforms(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.getAttribute('transform'))")


def test_spending_and_dependence_bars_are_drawn(visit: Visit) -> None:
    page = visit.go("/queries/cq08-semiconductor-spending")
    panels = page.locator("#chart svg")
    expect(panels).to_have_count(2)  # the amount, and the share of GDP
    expect(panels.nth(0).locator("rect.bar")).to_have_count(4)
    widths = [
        float(w)
        for w in panels.nth(0).locator("rect.bar").evaluate_all("rs => rs.map(r => r.getAttribute('width'))")
    ]
    data = json.loads(page.locator("#chart-data").text_content() or "{}")
    amounts = [float(r["amount"]) for r in data["rows"] if r.get("amount") not in (None, "")]
    assert len(amounts) == len(widths) == 4
    assert len(set(amounts)) > 1, "the amounts differ, so the bars must"
    # bars start at zero on a linear scale: each bar's share of the longest is its amount's share
    for width, amount in zip(widths, amounts, strict=True):
        expected = amount / max(amounts)
        assert abs(width / max(widths) - expected) <= 0.01 + 1 / max(widths), (widths, amounts)
    page = visit.go("/queries/dependence-table")
    expect(page.locator("#chart svg rect.bar").first).to_be_visible()


def test_type_a_query_in_the_editor_run_it_and_share_it(visit: Visit) -> None:
    page = visit.go("/sparql")
    editor = page.locator(".CodeMirror").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    query = (
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "SELECT ?label WHERE { <https://w3id.org/econsec/id/material/gallium> rdfs:label ?label }"
    )
    page.keyboard.insert_text(query)
    page.locator(".yasqe_queryButton:visible").click()
    expect(page.locator(".yasr:visible .dataTable tbody")).to_contain_text("gallium")
    page.locator(".yasqe_share:visible").click()
    link = page.locator(".yasqe_sharePopup input, .yasqe_sharePopup textarea").first.input_value()
    assert link.startswith(visit.base + "/sparql"), f"the share link points here, not elsewhere: {link}"
    # a fresh browser (no stored tabs) opening the link gets the same query in the editor
    other = page.context.browser.new_context()  # type: ignore[union-attr]
    try:
        shared = other.new_page()
        shared.on("request", lambda r: visit.requests.append(r.url))
        shared.goto(link)
        shared.locator(".CodeMirror").first.wait_for()
        text = shared.evaluate("window.econsecYasgui.getTab().getYasqe().getValue()")
        assert "material/gallium" in text
    finally:
        other.close()


def test_a_browser_opening_a_query_url_gets_the_editor_filled_in(visit: Visit) -> None:
    page = visit.go("/sparql?query=" + quote("ASK { ?s ?p ?o }"))
    page.locator(".CodeMirror").first.wait_for()
    assert page.evaluate("window.econsecYasgui.getTab().getYasqe().getValue()") == "ASK { ?s ?p ?o }"
    assert page.evaluate("window.econsecYasgui.getTab().getEndpoint()") == visit.base + "/sparql"


def test_saved_queries_are_examples_in_the_editor_and_charts_draw(visit: Visit) -> None:
    page = visit.go("/sparql")
    page.get_by_text("Examples: the").click()
    page.get_by_label("Filter").fill("semiconductor spending")
    expect(page.locator("#example-list li:visible")).to_have_count(1)
    page.get_by_role("button", name="cq08-semiconductor-spending").click()
    expect(page.locator(".tabsList .tab.active")).to_contain_text("cq08-semiconductor-spending")
    assert "es:SpendingFigure" in page.evaluate("window.econsecYasgui.getTab().getYasqe().getValue()")
    page.locator(".yasqe_queryButton:visible").click()
    expect(page.locator(".yasr:visible .dataTable tbody")).to_contain_text("Japan")
    page.locator(".yasr:visible .select_chart").click()
    expect(page.locator(".yasr:visible .chart svg rect.bar").first).to_be_visible()
    page.locator(".yasr:visible .select_response").click()
    expect(page.locator(".yasr:visible")).to_contain_text('"bindings"')


def test_entity_page_draws_its_neighbourhood(visit: Visit, sparql_service: RunningService) -> None:
    page = visit.go("/id/material/gallium")
    rows = httpx.get(sparql_service.base + "/neighbourhood/material/gallium", timeout=60).json()["rows"]
    things = {r["from"] for r in rows} | {r["to"] for r in rows}
    expect(page.locator("#neighbourhood svg circle.node")).to_have_count(len(things))
    expect(page.locator("#neighbourhood svg text").filter(has_text="Japan").first).to_be_visible()
    for label in ("Home", "SPARQL editor", "Saved queries", "Ontology"):
        expect(page.get_by_role("navigation", name="Service").get_by_role("link", name=label)).to_be_visible()


def test_follow_a_provenance_link(visit: Visit) -> None:
    page = visit.go("/id/material/gallium")
    for summary in page.locator("details summary").all():
        summary.click()
    # a passage of a source document (reference facts come from reference passages without one)
    passage = page.locator('a[href*="/id/passage/"]:not([href*="/id/passage/reference."])').first
    expect(passage).to_be_visible()
    target = passage.get_attribute("href")
    passage.click()
    page.wait_for_url(re.compile(re.escape(target or "") + "$"))
    assert page.locator('a[href*="/id/document/"]').count() > 0, "the passage page names its document"


def test_pages_load_nothing_from_outside_and_stay_small(visit: Visit) -> None:
    weights: dict[str, dict[str, int]] = {}
    for path in (
        "/",
        "/queries",
        "/queries/cq15-timeline",
        "/queries/actor-network",
        "/sparql",
        "/id/material/gallium",
    ):
        sizes: dict[str, int] = {}

        def measure(request: Request, sizes: dict[str, int] = sizes) -> None:
            response = request.response()
            sizes[request.url] = (
                len(response.body()) if response is not None and response.status == 200 else 0
            )

        started: list[str] = []

        def start(request: Request, started: list[str] = started) -> None:
            started.append(request.url)

        visit.page.on("request", start)
        visit.page.on("requestfinished", measure)
        visit.go(path)
        visit.page.wait_for_load_state("networkidle")
        # a big response's "finished" event can reach us after the network went idle: wait for
        # every request the page made to be measured (bounded), so none is silently left out
        for _ in range(100):
            if all(url in sizes for url in started):
                break
            visit.page.wait_for_timeout(100)
        visit.page.remove_listener("requestfinished", measure)
        visit.page.remove_listener("request", start)
        vendor = sum(n for u, n in sizes.items() if "/assets/" in u)
        ours = sum(n for u, n in sizes.items() if "/assets/" not in u)
        weights[path] = {"ours": ours, "vendor": vendor, "requests": len(sizes)}
        assert ours < PAGE_BUDGET, f"{path} loads {ours} bytes of our own"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS.parent / "page-weights.json").write_text(json.dumps(weights, indent=2))
    assert weights["/"]["vendor"] == 0 and weights["/queries"]["vendor"] == 0, "no vendor bundle where unused"
    assert weights["/sparql"]["vendor"] > 500_000, "the editor does load YASGUI"
    # visit's teardown checks that none of these requests left the service
