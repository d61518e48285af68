"""Jinja2 rendering for the browser pages (home, editor, gallery, search results).

The pages extend ``base.html`` like the linked-data pages do, so every page carries the same
navigation (ontology, SPARQL, API). Autoescaping is on for every template: values from the
graph or the request are never written into a page unescaped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

__all__ = ["environment", "render"]

_ENVIRONMENT = Environment(
    loader=FileSystemLoader(Path(__file__).resolve().parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)


def environment() -> Environment:
    """The one template environment (for callers that need bytes rather than a response)."""
    return _ENVIRONMENT


def render(
    template: str, *, status: int = 200, headers: dict[str, str] | None = None, **context: Any
) -> HTMLResponse:
    """``template`` rendered with ``context`` as an HTML response (``alternates`` defaults to none)."""
    context.setdefault("alternates", [])
    html = _ENVIRONMENT.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=headers)
