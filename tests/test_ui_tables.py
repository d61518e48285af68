# ruff: noqa: F811  (pytest fixtures imported from test_ui_browser are the test arguments)
"""Saved-query pages as an analyst reads them, in Debian's Chromium at 1,280 px (issue 15, items 1-3).

What a person checks: the page does not scroll sideways, tables show names (linked) under
column titles that are words, figures carry their unit, the table sorts and filters, a thing is
picked by its name, an empty answer says why and what else has data, the download can have
names for columns, and the dependence chart draws 2010 and 2023 as two bars. Every page's
screenshot is saved to ``tests/screenshots/query-<name>.png``.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import httpx
import pytest
from conftest import RunningService
from econsec.queries import catalogue
from playwright.sync_api import Page, expect
from test_ui_browser import Visit, visit  # noqa: F401  (the browser fixtures)

SHOTS = Path(__file__).resolve().parent / "screenshots"
SAVED = catalogue.load()
#: a column title is words: no camelCase, no underscores, no IRI
TITLE = re.compile(r"^[A-Z0-9][A-Za-z0-9 ,'()%-]*$")
OUR_IRI = re.compile(r"https?://w3id\.org/econsec/")


def _shoot(page: Page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SHOTS / f"query-{name}.png", full_page=True)


def _settled(page: Page) -> None:
    """The chart (if any) has been drawn: its script marks the element when done."""
    if page.locator("#chart").count():
        page.wait_for_selector("#chart[data-drawn]", state="attached")


def test_every_saved_query_page_fits_the_screen_and_reads_as_names(visit: Visit) -> None:
    assert len(SAVED) > 30
    problems: list[str] = []
    for name in SAVED:
        page = visit.go(f"/queries/{name}")
        _settled(page)
        scroll, inner = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
        if scroll > inner:
            problems.append(f"{name}: the page is {scroll} px wide in a {inner} px window")
        table = page.evaluate(
            "(() => { const t = document.getElementById('results');"
            " return t ? [t.scrollWidth, t.closest('.table-wrap').clientWidth] : [0, 0]; })()"
        )
        if table[0] > table[1]:
            problems.append(f"{name}: the table is {table[0]} px wide in a {table[1]} px column")
        titles = page.locator("#results thead th").all_inner_texts()
        problems += [f"{name}: column title {t!r} is not words" for t in titles if not TITLE.match(t)]
        cells = page.locator("#results tbody td").all_inner_texts()
        problems += [f"{name}: a cell shows an IRI: {c!r}" for c in cells if OUR_IRI.search(c)]
        _shoot(page, name)
    assert not problems, "\n".join(problems)


def test_dependence_chart_draws_one_bar_per_label_and_period(visit: Visit) -> None:
    for name in ("dependence-table", "cq04-dependence"):
        page = visit.go(f"/queries/{name}")
        bars = page.locator('#chart svg rect.bar[data-name*="rare earth"]')
        expect(bars).to_have_count(2)
        assert sorted(bars.evaluate_all("rs => rs.map(r => r.dataset.period)")) == ["2010", "2023"]
        first, second = (bars.nth(i).bounding_box() for i in range(2))
        assert first and second
        assert first["y"] + first["height"] <= second["y"], "the 2010 and 2023 bars do not overlap"
        assert abs(first["width"] / second["width"] - 90 / 60) < 0.05, "bars are drawn to scale from 0"
        for said in ("2010: nearly 90%", "2023: 60%"):  # as the source gives it
            expect(page.locator("#chart svg text.value", has_text=said)).to_be_visible()
        expect(page.locator("#chart svg .axis-title")).to_have_text("per cent")
        smallest = page.evaluate(
            "Math.min(...[...document.querySelectorAll('#chart svg text')]"
            ".map(t => parseFloat(getComputedStyle(t).fontSize)))"
        )
        assert smallest >= 12, f"chart text is {smallest} px"
        _shoot(page, f"{name}-chart")


def test_amounts_are_in_words_with_their_currency(visit: Visit) -> None:
    page = visit.go("/queries/cq08-semiconductor-spending")
    titles = page.locator("#results thead th").all_inner_texts()
    japan = page.locator("#results tbody tr", has_text="Japan").locator("td")
    assert japan.nth(titles.index("Total support")).inner_text() == "JPY 3.9 trillion"
    assert japan.nth(titles.index("Share of GDP")).inner_text() == "0.71%"
    expect(page.locator("#chart svg text.value", has_text="JPY 3.9 trillion")).to_be_visible()
    expect(page.locator("#chart svg .axis-title").first).to_have_text("JPY")


def test_sort_and_filter_the_table_in_the_page(visit: Visit) -> None:
    page = visit.go("/queries/cq08-semiconductor-spending")
    country = page.locator("#results tbody tr td:first-child")
    page.get_by_role("button", name="Total support").click()
    assert country.all_inner_texts() == ["France", "Germany", "Japan", "United States"]  # by amount
    page.get_by_role("button", name="Total support").click()
    assert country.all_inner_texts()[0] == "United States"
    page.get_by_label("Filter rows").fill("germ")
    expect(page.locator("#results tbody tr:visible")).to_have_count(1)
    expect(page.locator("#table-count")).to_have_text("1 of 4 rows")


def test_pick_an_importer_by_name_and_an_empty_answer_says_why(visit: Visit) -> None:
    page = visit.go("/queries/cq04-dependence")
    box = page.get_by_label("importer by name")
    expect(box).to_have_value("Japan")
    box.fill("Atlantis")  # a name nothing has: the form refuses to run the old choice
    page.get_by_role("button", name="Run").click()
    assert box.evaluate("b => !b.validity.valid") and "importer=" not in page.url
    box.fill("")
    with page.expect_response(lambda r: "/search?" in r.url) as answer:
        box.press_sequentially("United St", delay=30)
    assert "class=https" in answer.value.url, "suggestions are asked for things of the parameter's class"
    page.wait_for_function(
        "[...document.querySelectorAll('#param-importer-suggestions option')]"
        ".some(o => o.value === 'United States')"
    )
    box.fill("United States")
    page.get_by_role("button", name="Run").click()
    page.wait_for_url(
        re.compile(r"importer=https%3A%2F%2Fw3id\.org%2Feconsec%2Fid%2Fcountry%2Funited-states")
    )
    why = page.locator("#empty-answer")
    expect(why).to_contain_text("importer")
    expect(why).to_contain_text("United States")
    _shoot(page, "cq04-dependence-empty")
    why.get_by_role("link", name="Japan").click()
    expect(page.locator("#results tbody tr")).to_have_count(3)


def test_download_a_table_whose_columns_are_names(visit: Visit, tmp_path: Path) -> None:
    page = visit.go("/queries/export-control-alignment")
    shown = page.locator("#results thead th").all_inner_texts()
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV with names").click()
    saved = tmp_path / "table.csv"
    download.value.save_as(saved)
    rows = list(csv.reader(saved.open(encoding="utf-8")))
    assert rows[0] == shown and all(TITLE.match(t) for t in rows[0])
    assert len(rows) == 1 + page.locator("#results tbody tr").count()
    assert not [c for row in rows[1:] for c in row if OUR_IRI.search(c)], "names, not IRIs"
    adopted = rows[0].index("Adopted")
    assert {row[adopted] for row in rows[1:]} <= {"Yes", "No"}


@pytest.mark.parametrize("name", ["cq15-timeline", "export-control-alignment", "instrument-lifecycle"])
def test_timelines_wrap_names_and_keep_legends_meaningful(visit: Visit, name: str) -> None:
    page = visit.go(f"/queries/{name}")
    _settled(page)
    lines = page.locator("#chart svg tspan").evaluate_all("ts => ts.map(t => t.textContent)")
    assert lines and not [t for t in lines if t.endswith("…")], "no name is cut short"
    legend = page.locator("#chart .legend")
    entries = [e.strip() for e in re.split(r"●", legend.inner_text()) if e.strip()] if legend.count() else []
    assert not entries or (len(entries) >= 2 and "other" not in entries), "a legend tells groups apart"
    if name == "export-control-alignment":  # coloured by government, so the legend names them
        assert set(entries) == {"United States", "Japan", "Netherlands"}
    page.get_by_role("link", name="The data behind this chart, as a table").click()
    page.wait_for_url(re.compile(r"#results$"))


def test_an_empty_answer_names_the_parameter_and_what_has_rows(sparql_service: RunningService) -> None:
    url = sparql_service.base + "/queries/cq04-dependence"
    us = "https://w3id.org/econsec/id/country/united-states"
    body = httpx.get(url, params={"importer": us, "format": "json"}, timeout=60).json()
    assert body["total"] == 0
    assert body["empty"] == [{"parameter": "importer", "chosen": "United States", "with_rows": ["Japan"]}]
    # a text parameter is matched in a FILTER: without it nothing runs, which proves nothing
    lookup = httpx.get(
        sparql_service.base + "/queries/entity-lookup",
        params={"text": "zzzz"},
        headers={"Accept": "text/html"},
        timeout=60,
    ).text
    assert "Nothing matches <strong>text</strong> = zzzz" in lookup and "Even with any" not in lookup


def test_labelled_json_has_titles_and_names(sparql_service: RunningService) -> None:
    url = sparql_service.base + "/queries/cq08-semiconductor-spending"
    body = httpx.get(url, params={"labels": "true"}, timeout=60).json()
    assert body["columns"] == ["Country", "Total support", "Over how many years", "Share of GDP"]
    japan = next(r for r in body["rows"] if r["Country"] == "Japan")
    assert japan["Total support"] == "JPY 3.9 trillion" and japan["Share of GDP"] == "0.71%"
    plain = httpx.get(url, timeout=60).json()
    assert "countryLabel" in plain["columns"], "without labels=true the variables stay"
