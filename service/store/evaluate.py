"""One query over a pyoxigraph store with the protocol's dataset rules: shared by every caller.

The service process (``EmbeddedStore.query``) and the isolated query workers
(``econsec.service.execution.query_worker``) evaluate queries the same way; this is that way, once.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from pyoxigraph import NamedNode, Store, Variable

from ..errors import BadRequest, QuerySyntaxError, StoreError
from .base import QueryResult, Term

__all__ = ["evaluate", "graph_iri"]


def graph_iri(value: str, what: str) -> NamedNode:
    """A protocol graph URI as a term, or 400 naming the parameter."""
    try:
        return NamedNode(value)
    except ValueError as exc:
        raise BadRequest(f"{what} {value!r} is not a valid IRI: {exc}") from None


def evaluate(
    store: Store,
    text: str,
    *,
    default_graph_uris: Sequence[str] = (),
    named_graph_uris: Sequence[str] = (),
    substitutions: Mapping[str, Term] | None = None,
    base_iri: str | None = None,
) -> QueryResult:
    """Evaluate ``text``; see ``StoreBackend.query`` for the dataset rules.

    ``base_iri`` resolves the query's relative IRIs (``CONSTRUCT { <s> <p> 1 } WHERE {}``); a
    ``BASE`` in the query itself still wins, as SPARQL's prologue rules say.

    Given protocol graph URIs, the dataset is exactly those graphs (the query's FROM clauses and
    the store's default graph are replaced); otherwise the query's own FROM / FROM NAMED apply,
    or the store's default graph, which the embedded store keeps as the merge of every named
    graph.
    """
    options: dict[str, object] = {}
    if base_iri is not None:
        options["base_iri"] = base_iri
    if default_graph_uris or named_graph_uris:
        options["default_graph"] = [graph_iri(u, "default-graph-uri") for u in default_graph_uris]
        options["named_graphs"] = [graph_iri(u, "named-graph-uri") for u in named_graph_uris]
    if substitutions:
        options["substitutions"] = {Variable(name): term for name, term in substitutions.items()}
    try:
        result = store.query(text, **options)  # type: ignore[arg-type]
    except SyntaxError as exc:
        raise QuerySyntaxError.from_parser(exc, text) from None
    except OSError as exc:
        raise StoreError(str(exc)) from exc
    except RuntimeError as exc:  # raised while planning: the query asks for what cannot be done
        raise BadRequest(f"the query cannot be evaluated: {exc}") from None
    return QueryResult.of(result)
