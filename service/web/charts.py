"""Which chart a saved query's answer gets in the gallery, and which columns it is drawn from.

The charts themselves are drawn in the browser (``service/web/static/charts.js``, with d3). What
to draw is data: a query names its chart in its header (``#+ chart:``, read by
``queries/catalogue.py`` into a :class:`~econsec.queries.catalogue.Chart`). Any other query gets
one when its columns ask for it (a ``date`` and a ``label`` make a timeline, ``from`` and ``to`` a
network), so a new ``.rq`` file with such columns is charted without a header entry either. This
module only turns a chart into the specification the script reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from econsec.queries.catalogue import Chart, SavedQuery

__all__ = ["HREF_SUFFIX", "chart_for", "spec"]

#: an IRI column ``c`` under the public base also gets ``c + HREF_SUFFIX``: its page here
HREF_SUFFIX = "__href"
#: roles that name an IRI column whose page a mark links to (the script reads the page column)
_LINK_ROLES = frozenset({"href", "sourceHref", "targetHref"})


def spec(chart: Chart) -> dict[str, Any]:
    """The specification ``charts.js`` draws from: kind, title, the column of each role, panel
    titles, and each value column's unit (as text, or the column holding it)."""
    drawn: dict[str, Any] = {"kind": chart.kind, "title": chart.title}
    for role, column in chart.roles.items():
        if role in _LINK_ROLES and isinstance(column, str):
            drawn[role] = column + HREF_SUFFIX
        else:
            drawn[role] = list(column) if isinstance(column, tuple) else column
    if chart.titles:
        drawn["titles"] = dict(chart.titles)
    if chart.units:
        drawn["units"] = dict(chart.units)
    if chart.unit_columns:
        drawn["unit_columns"] = dict(chart.unit_columns)
    return drawn


def _from_columns(columns: Sequence[str]) -> Chart | None:
    """The chart a query without a header entry gets from its result columns, if any."""
    present = set(columns)
    if {"date", "label"} <= present:
        roles: dict[str, str | tuple[str, ...]] = {"date": "date", "label": "label"}
        if "kind" in present:
            roles["group"] = "kind"
        link = next((c for c in columns if c not in ("date", "label", "kind")), None)
        if link is not None:
            roles["href"] = link
        return Chart("timeline", "Timeline", roles)
    if {"from", "to"} <= present:
        return Chart(
            "network",
            "Network",
            {
                "source": "from",
                "sourceLabel": "fromLabel",
                "sourceHref": "from",
                "target": "to",
                "targetLabel": "toLabel",
                "targetHref": "to",
                "relation": "relation",
            },
        )
    return None


def chart_for(query: SavedQuery, columns: Sequence[str]) -> dict[str, Any] | None:
    """The chart specification for ``query`` with these result columns, or None for a table only."""
    chart = query.chart or _from_columns(columns)
    return spec(chart) if chart is not None else None
