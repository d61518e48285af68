"""A store backend over any SPARQL 1.1 store (Oxigraph server, Fuseki, GraphDB, Virtuoso, QLever...).

This is how the service grows past one machine: the same routers, limits and guard in front of
an existing scalable store instead of the embedded one. Requests go through SPARQLWrapper (one
client per call: it is not thread-safe); answers are read back with pyoxigraph's parsers so the
service's writers see exactly the objects the embedded store produces.

Semantics the service documents, and how they hold here: ``econsec publish`` writes each named
graph and (by default) also the set union of them into the store's default graph, so the default
graph is the union with each triple once on every store, without relying on a store-specific
"union default graph" switch (Oxigraph's is a bag). The release's VoID description is published
in its own named graph, from which :attr:`RemoteStore.build_id` is read, so responses name the
release the *store* holds, not whatever the local build folder holds.
"""

from __future__ import annotations

import ast
import threading
import time
import urllib.error
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from econsec.graph.stats import triples_per_graph
from econsec.queries import internal
from pyoxigraph import (
    BlankNode,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Triple,
    parse,
    parse_query_results,
)
from SPARQLWrapper import INSERT, POST, SELECT, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from ..errors import BadRequest, QuerySyntaxError, StoreError
from ..settings import Settings
from .base import QueryResult, ResultKind, Term, WriteDelta
from .binding import bind_rows, bind_values
from .embedded import update_text

__all__ = ["ACCEPT", "RemoteStore", "void_graph"]

#: what the service asks a remote store for: results it can parse without rdflib
ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
_RELEASE_TTL = 30.0  # seconds a looked-up release id is trusted before asking again


def void_graph(public_base: str) -> str:
    """The named graph ``econsec publish`` writes the release's VoID description into."""
    return public_base + "graph/void"


def _media_type(header: str | None) -> str:
    return (header or "").split(";", 1)[0].strip().lower()


class RemoteStore:
    """The :class:`~econsec.service.store.base.StoreBackend` over SPARQL 1.1 Protocol endpoints."""

    def __init__(
        self,
        query_url: str,
        update_url: str | None = None,
        *,
        timeout: float = 30.0,
        public_base: str = "https://w3id.org/econsec/",
    ) -> None:
        self.query_url = query_url
        self.update_url = update_url
        self.timeout = timeout
        self.public_base = public_base
        self._lock = threading.Lock()
        self._release: tuple[float, str | None, str | None] | None = None
        self._counts: dict[str | None, tuple[float, int]] = {}

    @classmethod
    def open(cls, query_url: str, update_url: str | None = None, **options: Any) -> RemoteStore:
        """Connect and check the endpoint answers a trivial query (fail at start, not at first use)."""
        store = cls(query_url, update_url, **options)
        try:
            store.query("ASK { }")
        except StoreError as exc:
            raise StoreError(
                f"the remote store at {query_url} does not answer SPARQL: {exc.message}"
            ) from None
        return store

    @classmethod
    def from_settings(cls, settings: Settings) -> RemoteStore:
        """The store ``ECONSEC_STORE_QUERY`` / ``ECONSEC_STORE_UPDATE`` name, with the service's
        query timeout and public base (checked as :meth:`open` checks)."""
        if settings.store_query is None:
            raise StoreError("no remote store configured (ECONSEC_STORE_QUERY)")
        return cls.open(
            settings.store_query,
            settings.store_update,
            timeout=settings.query_timeout,
            public_base=settings.public_base,
        )

    # -- the StoreBackend protocol ------------------------------------------------------------

    @property
    def description(self) -> str:
        return f"remote SPARQL store {self.query_url}"

    @property
    def note(self) -> str:
        return self.description

    @property
    def build_id(self) -> str | None:
        return self._release_info()[0]

    @property
    def loaded_at(self) -> str | None:
        return self._release_info()[1]

    def query(
        self,
        text: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Send the query; parse the answer by its content type (see :data:`ACCEPT`)."""
        if substitutions:
            text = bind_values(text, substitutions)
        client = self._client(self.query_url)
        client.setQuery(text)
        client.queryType = SELECT  # never let SPARQLWrapper's keyword sniffing turn it into an update
        for uri in default_graph_uris:
            client.addDefaultGraph(uri)
        for uri in named_graph_uris:
            client.addNamedGraph(uri)
        body, media_type = self._send(client, text)
        return self._result(body, media_type)

    def triple_count(self, graph: str | None = None) -> int:
        now = time.monotonic()
        with self._lock:
            cached = self._counts.get(graph)
        if cached and now - cached[0] < _RELEASE_TTL:
            return cached[1]
        if graph is None:
            result = self.query(internal.get("default-graph-size").text)
            assert result.solutions is not None
            count = int(next(result.solutions)["n"].value)  # type: ignore[union-attr]
        else:
            count = triples_per_graph(self, graph).get(graph, 0)
        with self._lock:
            self._counts[graph] = (now, count)
        return count

    def named_graphs(self) -> list[str]:
        rows = internal.select(self, "named-graphs")
        return sorted(s["g"].value for s in rows if s["g"] is not None)

    def close(self) -> None:
        """Nothing to release: every call opens and closes its own connection."""

    # -- the write path (SPARQL Update and Graph Store Protocol through the service) --------

    def quads(
        self,
        subject: NamedNode | BlankNode | None = None,
        predicate: NamedNode | None = None,
        object: Term | None = None,
        graph: NamedNode | None = None,
    ) -> Iterator[Quad]:
        """Named-graph quads matching the pattern, asked with one SELECT (terms bound as VALUES)."""
        bound = {
            name: term
            for name, term in (("s", subject), ("p", predicate), ("o", object), ("g", graph))
            if term is not None
        }
        for row in internal.select(self, "quads", **bound):
            yield Quad(row["s"], row["p"], row["o"], row["g"])  # type: ignore[arg-type]

    def has_graph(self, graph: NamedNode) -> bool:
        """Whether the store holds a triple in ``graph`` (SPARQL stores keep no empty graphs)."""
        return internal.ask(self, "graph-is-held", g=graph)

    def apply(self, delta: WriteDelta) -> None:
        """Commit ``delta`` as one update request (one transaction on Oxigraph, Fuseki, GraphDB).

        The default graph is kept the merge of the named graphs, as ``econsec publish`` leaves
        it: inserted triples go into it too, and a deleted triple leaves it only when no named
        graph holds it afterwards (asked once, for all deleted triples, before the update).
        """
        if not delta:
            return
        inserted = {q.triple for q in delta.inserts}
        deleted = {q.triple for q in delta.deletes} - inserted
        still_held: set[Triple] = set()
        if deleted:
            rows = [(t.subject, t.predicate, t.object) for t in deleted]
            result = self.query(bind_rows(internal.get("quads").text, ("s", "p", "o"), rows))
            assert result.solutions is not None
            for row in result.solutions:
                quad = Quad(row["s"], row["p"], row["o"], row["g"])  # type: ignore[arg-type]
                if quad not in delta.deletes:
                    still_held.add(quad.triple)
        self.update(update_text(delta, inserted, deleted - still_held))

    # -- updates (used by ``econsec publish``) -----------------------------------------------

    def update(self, text: str) -> None:
        """Run a SPARQL Update on the update endpoint; raises ``StoreError`` with the store's message."""
        if self.update_url is None:
            raise StoreError("no update endpoint configured for the remote store (--store-update)")
        client = self._client(self.update_url)
        client.setQuery(text)
        client.queryType = INSERT  # any update form: sent as update= to the update endpoint
        self._send(client, text)
        with self._lock:
            self._counts.clear()
            self._release = None

    # -- helpers ------------------------------------------------------------------------------

    def _client(self, url: str) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(max(1, round(self.timeout)))
        client.addCustomHttpHeader("Accept", ACCEPT)
        return client

    def _send(self, client: SPARQLWrapper, text: str) -> tuple[bytes, str]:
        try:
            response = client.query().response
            return response.read(), _media_type(response.headers.get("Content-Type"))
        except QueryBadFormed as exc:
            raise QuerySyntaxError(f"the store refused the request: {_body(exc)}", text) from None
        except SPARQLWrapperException as exc:
            raise StoreError(f"the remote store failed: {type(exc).__name__}: {_body(exc)}") from None
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace")[:2000]
            if 400 <= exc.code < 500:
                raise BadRequest(f"the remote store answered {exc.code}: {detail}") from None
            raise StoreError(f"the remote store answered {exc.code}: {detail}") from None
        except (urllib.error.URLError, OSError) as exc:
            raise StoreError(f"cannot reach the remote store at {client.endpoint}: {exc}") from None

    @staticmethod
    def _result(body: bytes, media_type: str) -> QueryResult:
        results_format = QueryResultsFormat.from_media_type(media_type) if media_type else None
        if results_format is not None:
            parsed = parse_query_results(body, format=results_format)
            return QueryResult.of(parsed)
        rdf_format = RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is None:
            raise StoreError(f"the remote store answered with an unreadable type {media_type or '(none)'}")
        triples = (Triple(q.subject, q.predicate, q.object) for q in parse(body, format=rdf_format))
        return QueryResult(ResultKind.GRAPH, triples=triples)

    def _release_info(self) -> tuple[str | None, str | None]:
        """``(build id, modified)`` from the published VoID graph, looked up at most every 30 s."""
        now = time.monotonic()
        with self._lock:
            if self._release and now - self._release[0] < _RELEASE_TTL:
                return self._release[1], self._release[2]
        try:
            row = next(internal.select(self, "release", void=NamedNode(void_graph(self.public_base))), None)
        except StoreError:
            row = None
        build = row["id"].value if row is not None and row["id"] is not None else None  # type: ignore[union-attr]
        modified = row["modified"].value if row is not None and row["modified"] is not None else None  # type: ignore[union-attr]
        with self._lock:
            self._release = (now, build, modified)
        return build, modified


def _body(exc: SPARQLWrapperException) -> str:
    """The store's own message: SPARQLWrapper keeps it only as a repr inside its text."""
    text = str(exc)
    marker = "\n\nResponse:\n"
    if marker in text:
        raw = text.split(marker, 1)[1]
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            return raw.strip()[:2000]
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        return str(value).strip()[:2000]
    return text.strip()[:2000]
