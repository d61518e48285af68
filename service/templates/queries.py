"""HTML for the saved-query API: the catalogue as a list and one query's answer as a table.

Kept deliberately simple and accessible (a captioned table with column headers, a navigation
landmark for the pages, no script) so that the browser gallery can grow from here. Every value
that comes from the graph or the request goes through :func:`text`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

__all__ = ["CatalogueEntry", "PageLinks", "catalogue_page", "result_page", "text"]

_STYLE = """
body { font-family: system-ui, sans-serif; margin: 1.5rem; line-height: 1.4; color: #111; }
table { border-collapse: collapse; margin: 1rem 0; }
caption { text-align: left; font-weight: 600; padding-bottom: .5rem; }
th, td { border: 1px solid #bbb; padding: .3rem .5rem; text-align: left; vertical-align: top; }
thead th { background: #eee; }
.meta { color: #444; font-size: .9rem; }
nav ul, .formats { list-style: none; padding: 0; display: flex; gap: 1rem; flex-wrap: wrap; }
"""


def text(value: Any) -> str:
    """A value as escaped HTML text (``None`` as empty)."""
    return "" if value is None else escape(str(value), quote=True)


def _cell(value: Any) -> str:
    """IRIs become links so a reader can follow them; everything else is text."""
    if isinstance(value, str) and value.startswith(("https://", "http://")):
        return f'<a href="{text(value)}">{text(value)}</a>'
    return text(value)


def _document(title: str, body: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{text(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
        f"<body>\n<main>\n{body}\n</main>\n</body>\n</html>\n"
    ).encode()


@dataclass(frozen=True)
class PageLinks:
    """Where the other pages of an answer are (``None`` where there is none)."""

    first: str | None = None
    prev: str | None = None
    next: str | None = None
    last: str | None = None


@dataclass(frozen=True)
class CatalogueEntry:
    """One saved query as the catalogue page lists it."""

    name: str
    url: str
    summary: str
    description: str
    parameters: Sequence[str]


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
) -> bytes:
    """One page of a saved query's answer as a captioned table, with its parameters, page links and downloads."""
    head = "".join(f'<th scope="col">{text(c)}</th>' for c in columns)
    rows = "\n".join(
        "<tr>" + "".join(f"<td>{_cell(record.get(c))}</td>" for c in columns) + "</tr>" for record in records
    )
    nav_items = [
        f'<li><a rel="{rel}" href="{text(url)}">{label}</a></li>'
        for rel, label, url in (
            ("first", "First", links.first),
            ("prev", "Previous", links.prev),
            ("next", "Next", links.next),
            ("last", "Last", links.last),
        )
        if url
    ]
    bound = "".join(f"<dt>{text(k)}</dt><dd>{_cell(v)}</dd>" for k, v in (parameters or {}).items())
    formats = "".join(f'<li><a href="{text(url)}">{text(label)}</a></li>' for label, url in downloads.items())
    body = (
        f"<h1>{text(title)}</h1>\n"
        + (f"<p>{text(description)}</p>\n" if description else "")
        + f'<p class="meta">{total} rows · page {page} of {pages} · build {text(build or "unknown")}'
        + (f" · loaded {text(loaded_at)}" if loaded_at else "")
        + "</p>\n"
        + (f'<h2>Parameters</h2>\n<dl class="parameters">{bound}</dl>\n' if bound else "")
        + f"<table>\n<caption>{text(title)} (page {page} of {pages})</caption>\n"
        + f"<thead><tr>{head}</tr></thead>\n<tbody>\n{rows}\n</tbody>\n</table>\n"
        + (f'<nav aria-label="Pages"><ul>{"".join(nav_items)}</ul></nav>\n' if nav_items else "")
        + f'<h2>Download</h2>\n<ul class="formats">{formats}</ul>\n'
    )
    return _document(title, body)


def catalogue_page(entries: Iterable[CatalogueEntry], *, build: str | None) -> bytes:
    """The saved queries as a list of links with their summaries and parameters."""
    items = []
    for entry in entries:
        params = (
            f" <small>(parameters: {text(', '.join(entry.parameters))})</small>" if entry.parameters else ""
        )
        items.append(
            f'<li><a href="{text(entry.url)}">{text(entry.name)}</a>: {text(entry.summary)}{params}'
            + (f"<br><span class='meta'>{text(entry.description)}</span>" if entry.description else "")
            + "</li>"
        )
    body = (
        "<h1>Saved queries</h1>\n"
        f'<p class="meta">build {text(build or "unknown")}</p>\n'
        f"<ul>\n{chr(10).join(items)}\n</ul>\n"
    )
    return _document("Saved queries", body)
