"""Every kind of page an analyst meets, opened in Chromium at 1,280 px (issue 15, "done when").

One sweep over the site: each page answers 200, fits the window (no sideways scroll), has a
title and one heading that are names (never an IRI), shows no raw ``https://w3id.org/...`` text
outside code and links, and loads nothing from outside the service. Each page's screenshot goes
to ``tests/screenshots/page-<kind>.png`` (git-ignored) for a person to look at before a release.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from conftest import RunningService
from playwright.sync_api import Browser
from test_ui_browser import Visit, open_tab

SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"

#: one page of each kind: (kind, path)
PAGES = [
    ("home", "/"),
    ("search", "/search?q=japan+chip+export"),
    ("classes", "/classes"),
    ("class-list", "/classes/ExportControl"),
    ("entity-country", "/id/country/japan"),
    ("entity-instrument", "/id/instrument/japan-chip-equipment-export-controls-2023"),
    ("passage", "/id/passage/atlantic-council-2024.japan-chip-controls"),
    ("document", "/id/document/atlantic-council-2024"),
    ("named-graph", "/graph/atlantic-council-2024"),
    ("ontology", "/ontology"),
    ("editor", "/sparql"),
    ("gallery", "/queries"),
    ("saved-query", "/queries/dependence-table"),
    ("dataset", "/dataset"),
    ("api-docs", "/docs"),
]

#: text that is an IRI of the graph, shown to a person instead of a name
RAW_IRI = re.compile(r"https://w3id\.org/econsec/\S+")

#: what the visible text of a page is, leaving out code, query text and the editor's own widgets
VISIBLE_TEXT = """() => {
  const skip = 'code, pre, textarea, script, style, .CodeMirror, .yasqe, .yasr, .swagger-ui, dl.meta, .iri';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const parts = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!el || el.closest(skip) || el.closest('a[href]') && el.closest('a[href]').textContent.trim() === el.closest('a[href]').href) continue;
    if (el.closest('[hidden], details:not([open]) > :not(summary)')) continue;
    const style = getComputedStyle(el);
    if (style.display === 'none' || style.visibility === 'hidden') continue;
    parts.push(node.textContent);
  }
  return parts.join(' ');
}"""


def _open(browser: Browser, base: str, path: str) -> tuple[Visit, int]:
    tab = open_tab(browser, base, Visit, timeout_ms=30_000)
    response = tab.page.goto(base + path, wait_until="networkidle")
    assert response is not None
    return tab, response.status


@pytest.mark.parametrize(("kind", "path"), PAGES, ids=[kind for kind, _ in PAGES])
def test_every_page_kind_fits_1280px_and_reads_as_names(
    browser: Browser, sparql_service: RunningService, kind: str, path: str
) -> None:
    tab, status = _open(browser, sparql_service.base, path)
    page = tab.page
    try:
        assert status == 200, f"{path} answered {status}"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=SCREENSHOTS / f"page-{kind}.png", full_page=kind != "api-docs")

        tab.no_sideways_scroll()

        title = page.title().strip()
        assert title and not RAW_IRI.search(title) and "://" not in title, f"{path}: title {title!r}"
        headings = [h.strip() for h in page.locator("h1").all_inner_texts() if h.strip()]
        if kind != "api-docs":  # Swagger UI draws its own heading
            assert len(headings) == 1, f"{path}: expected one h1, found {headings}"
            assert not RAW_IRI.search(headings[0]), f"{path}: the heading is an IRI: {headings[0]!r}"

        shown = page.evaluate(VISIBLE_TEXT)
        raw = RAW_IRI.findall(shown)
        assert not raw, f"{path} shows IRIs where names belong: {raw[:5]}"

        assert not tab.outside(), f"{path} loaded resources from outside the service: {tab.outside()}"
    finally:
        page.context.close()
