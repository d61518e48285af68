"""Which chart a saved query's answer gets in the gallery, and which columns it is drawn from.

The charts themselves are drawn in the browser (``service/web/static/charts.js``, with d3); this
table only says what to draw. Queries named here get the chart their data was written for;
any other query gets one when its columns ask for it (a ``date`` and a ``label`` make a
timeline, ``from`` and ``to`` a network), so a new ``.rq`` file with such columns is charted
without a code change.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["CHARTS", "HREF_SUFFIX", "chart_for"]

#: an IRI column ``c`` under the public base also gets ``c + HREF_SUFFIX``: its page here
HREF_SUFFIX = "__href"

_TIMELINE = {
    "kind": "timeline",
    "date": "date",
    "label": "label",
    "group": "kind",
    "href": "item" + HREF_SUFFIX,
}
_NETWORK = {
    "kind": "network",
    "source": "from",
    "sourceLabel": "fromLabel",
    "sourceHref": "from" + HREF_SUFFIX,
    "target": "to",
    "targetLabel": "toLabel",
    "targetHref": "to" + HREF_SUFFIX,
    "relation": "relation",
}

CHARTS: dict[str, dict[str, Any]] = {
    "cq15-timeline": {**_TIMELINE, "title": "Timeline of dated instruments and events"},
    "cq08-semiconductor-spending": {
        "kind": "bar",
        "title": "Public support for semiconductors",
        "category": "countryLabel",
        "values": ["amount", "shareOfGDP"],
        "titles": {
            "amount": "Total support, in the currency chosen above",
            "shareOfGDP": "Support as a share of GDP (per cent)",
        },
    },
    "actor-network": {**_NETWORK, "title": "Who is member of, convenes, backs or partners with whom"},
    "dependence-table": {
        "kind": "bar",
        "title": "Dependence on one supplier, by material and importer",
        "category": ["materialLabel", "importerLabel", "supplierLabel"],
        "values": ["share"],
        "titles": {"share": "Share from the supplier (per cent, as the source gives it)"},
    },
    "cq04-dependence": {
        "kind": "bar",
        "title": "What the importer depends on, and on whom",
        "category": ["materialLabel", "supplierLabel"],
        "values": ["share"],
        "titles": {"share": "Share from the supplier (per cent, as the source gives it)"},
    },
}


def chart_for(name: str, columns: Sequence[str]) -> Mapping[str, Any] | None:
    """The chart for saved query ``name`` with these result columns, or None for a table only."""
    if name in CHARTS:
        return CHARTS[name]
    present = set(columns)
    if {"date", "label"} <= present:
        group = "kind" if "kind" in present else None
        href = next((c + HREF_SUFFIX for c in columns if c not in ("date", "label", "kind")), None)
        return {**_TIMELINE, "group": group, "href": href, "title": "Timeline"}
    if {"from", "to"} <= present:
        return {**_NETWORK, "title": "Network"}
    return None
