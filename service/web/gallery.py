"""HTML for the saved-query gallery: the catalogue of queries and one query's page.

One query's page holds its description, a form for its parameters (a drop-down where the
values are enumerated; things of the parameter's class offered by name, with suggestions from
``/search`` as one types), the answer as the table people read (``result_table.py``: names,
titles, formatted figures; sorted and filtered in the page by ``static/tables.js``), an
explanation when it is empty, page links, download links, the query text with a link that
opens it in the editor, and a chart when the data asks for one (the query header's ``chart``,
or its columns: ``service/web/charts.py``), with a link to its data in the table. Templates are
Jinja2 with autoescaping on (``query.html``, ``gallery.html``), so every value from the graph or
the request is escaped.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from html import escape
from typing import Any

from econsec.queries.catalogue import Parameter

from .charts import HREF_SUFFIX
from .render import environment
from .resources import local_href
from .result_table import PeopleTable

__all__ = [
    "Alternatives",
    "CatalogueEntry",
    "EmptyAnswer",
    "Gallery",
    "PageLinks",
    "catalogue_page",
    "result_page",
    "text",
]


def text(value: Any) -> str:
    """A value as escaped HTML text (``None`` as empty)."""
    return "" if value is None else escape(str(value), quote=True)


@dataclass(frozen=True)
class PageLinks:
    """Where the other pages of an answer are (``None`` where there is none)."""

    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


@dataclass(frozen=True)
class Alternatives:
    """For one parameter of an empty answer: the value chosen, and values that do have rows."""

    parameter: str
    chosen: str
    #: (name, URL of the same query with that value)
    offered: Sequence[tuple[str, str]] = ()
    #: whether running without the parameter means "any value" (an IRI in a pattern), so an
    #: empty run says nothing has rows; a literal in a FILTER fails unbound, which proves nothing
    wildcard: bool = False


@dataclass(frozen=True)
class EmptyAnswer:
    """Why an answer has no rows: per parameter, what else has some."""

    reasons: Sequence[Alternatives] = ()


@dataclass(frozen=True)
class CatalogueEntry:
    """One saved query as the catalogue page lists it."""

    name: str
    url: str
    summary: str
    description: str
    parameters: Sequence[str]
    tags: Sequence[str] = ()
    chart: str | None = None


@dataclass(frozen=True)
class Gallery:
    """What a query's page shows besides the table: the form, the chart, the query text."""

    name: str
    root: str
    public_base: str
    parameters: Sequence[Parameter] = ()
    chart: Mapping[str, Any] | None = None
    #: npm files the chart needs that are not installed (the page says so)
    chart_missing: Sequence[str] = ()
    sparql: str = ""
    editor_href: str = ""
    #: values offered for IRI parameters (IRI, name), by parameter
    choices: Mapping[str, Sequence[tuple[str, str]]] = field(default_factory=dict)
    #: the class of an IRI parameter's values (the search for suggestions is restricted to it)
    classes: Mapping[str, str] = field(default_factory=dict)


def _local(value: Any, gallery: Gallery | None) -> str | None:
    """The page here for an IRI under the public base, else None."""
    if gallery is None or not isinstance(value, str):
        return None
    return local_href(value, gallery.public_base, gallery.root)


def _chart_rows(columns: Sequence[str], records: Sequence[Mapping[str, Any]], gallery: Gallery) -> list[dict]:
    """The rows for the chart script, with the page of each of our IRIs beside it."""
    rows = []
    for record in records:
        row = {c: record.get(c) for c in columns}
        for c in columns:
            local = _local(record.get(c), gallery)
            if local is not None:
                row[c + HREF_SUFFIX] = local
        rows.append(row)
    return rows


def result_page(
    *,
    title: str,
    description: str,
    columns: Sequence[str],
    records: Iterable[Mapping[str, Any]],
    build: str | None,
    loaded_at: str | None,
    page: int,
    pages: int,
    total: int,
    links: PageLinks,
    downloads: Mapping[str, str],
    parameters: Mapping[str, str] | None = None,
    table: PeopleTable,
    gallery: Gallery | None = None,
    empty: EmptyAnswer | None = None,
) -> bytes:
    """One page of a saved query's answer: form, chart, table, page links and downloads."""
    from .pages import json_for_script

    rows = list(records)
    chart_data = None
    if gallery is not None and gallery.chart is not None and rows and not gallery.chart_missing:
        chart_data = json_for_script({"spec": gallery.chart, "rows": _chart_rows(columns, rows, gallery)})
    html = (
        environment()
        .get_template("query.html")
        .render(
            title=title,
            description=description,
            columns=columns,
            table=table,
            empty=empty,
            build=build,
            loaded_at=loaded_at,
            page=page,
            pages=pages,
            total=total,
            links=links,
            downloads=downloads,
            parameters=parameters or {},
            gallery=gallery,
            root=gallery.root if gallery else "",
            chart_data=chart_data,
            alternates=[],
        )
    )
    return html.encode()


def catalogue_page(entries: Iterable[CatalogueEntry], *, build: str | None, root: str = "") -> bytes:
    """The gallery: every saved query with its summary, description, parameters and chart."""
    html = (
        environment()
        .get_template("gallery.html")
        .render(entries=list(entries), build=build, root=root, alternates=[])
    )
    return html.encode()
