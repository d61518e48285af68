"""The figures about an entity: observations (shares, amounts, ranks, counts) that name it.

Numbers are observations in this graph (DESIGN §5): a node with ``es:value``, a unit or a
currency, a period and a measure, linked to the actor, material or technology it is about. An
entity's page lists them in one table, so a reader sees "Japan: 70 percent of gallium imports
from China" without opening each observation. The reading is SPARQL through the store backend,
run by the caller on the executor like every page's reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import islice

from econsec.queries import internal
from pyoxigraph import NamedNode, QuerySolution

from ..store.base import StoreBackend
from .amounts import amount_in_words, date_in_words, exact_amount

__all__ = ["Figure", "entity_figures"]


@dataclass(frozen=True)
class Figure:
    """One observation about the entity, ready to show: what, how much (in words: "$280 billion"),
    when, and its page."""

    href: str
    label: str
    role: str
    measure: str
    amount: str
    period: str
    #: the figure with every digit (``3,900,000,000,000 JPY``), shown next to the words
    exact: str = ""


def entity_figures(
    store: StoreBackend, iri: str, public_base: str, root: str, limit: int = 100
) -> list[Figure]:
    """The observations that name ``iri`` (as observed actor, material, counterpart...), one row each."""
    ids = public_base + "id/"
    seen: dict[tuple[str, str], Figure] = {}
    # the query orders the rows; at most ``limit`` are read (a LIMIT cannot be bound as a term)
    for row in islice(internal.select(store, "entity-figures", this=NamedNode(iri)), limit):
        obs, role = row["obs"].value, row["role"].value
        if (obs, role) in seen:
            continue

        def text(name: str, row: QuerySolution = row) -> str | None:
            term = row[name]
            return None if term is None else term.value

        href = root + "/id/" + obs[len(ids) :] if obs.startswith(ids) else obs
        seen[(obs, role)] = Figure(
            href=href,
            label=text("obsLabel") or obs.rsplit("/", 1)[-1],
            role=text("roleLabel") or role.rsplit("#", 1)[-1],
            measure=text("measureLabel") or "",
            amount=amount_in_words(
                row["value"].value, text("code"), text("unitLabel"), text("approximation")
            ),
            period=date_in_words(text("period") or ""),
            exact=exact_amount(row["value"].value, text("code"), text("unitLabel")),
        )
    return list(seen.values())
