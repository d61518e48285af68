"""Point lookups answered on the event loop: the endpoint's cheap branch.

A linked-data service mostly answers lookups (``SELECT ?p ?o WHERE { <iri> ?p ?o }``): a few
rows each, where the engine needs about 15 µs and a hand-off to a thread or a worker process
and back costs ten times that (bench/RESULTS.md). The endpoint (``endpoint.py``) therefore
evaluates exactly those queries on the event loop, with the engine's own result writer, after
the same parsing, guard, admission and negotiation as every other query.

Why running on the event loop is safe here: it only takes queries
:func:`~.query_shape.lookup_form` accepts (one triple pattern, no DISTINCT / OFFSET / repeated
variable, no SERVICE, no FROM, so the engine does one index step per row), and it asks the engine
for one row more than ``ECONSEC_INLINE_LOOKUP_ROWS``. An answer with more rows than that is
thrown away and the query takes the ordinary path (thread, deadline, result limit, truncation
header). So the longest this branch holds the loop is one index scan and one serialisation of
that many rows: a few milliseconds at the default of 1,000. The rows are counted in the written
bytes (:func:`.native_results.rows_at_most`), a count that can be too high but never too low.
"""

from __future__ import annotations

from pyoxigraph import Store

from .native_results import NATIVE, rows_at_most
from .query_shape import Shape

__all__ = ["answer_lookup"]


def answer_lookup(store: Store, query: str, lookup: Shape, format_key: str, max_rows: int) -> bytes | None:
    """The answer document of a bounded lookup, or None when the ordinary path must answer it
    (a format the engine does not write, more rows than ``max_rows``, or an engine refusal, which
    the ordinary path then reports with its message)."""
    native = NATIVE.get(format_key)
    if native is None or max_rows <= 0:
        return None
    ask = lookup.form == "ASK"
    if ask or (lookup.limit is not None and lookup.limit <= max_rows):
        text = query
    elif lookup.limit is None:  # one row more than the budget tells an answer that is too long
        text = f"{query}\nLIMIT {max_rows + 1}"
    else:
        return None
    try:
        body = store.query(text).serialize(format=native.format)
    except (SyntaxError, OSError, ValueError):
        return None
    if body is None or (not ask and rows_at_most(body, native) > max_rows):
        return None
    return body
