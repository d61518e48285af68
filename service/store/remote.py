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

Engines differ, and the differences are handled here, not in callers (:class:`Engine`, found
from the ``Server`` header when the store is opened):

* Blank nodes. ``econsec publish`` and :meth:`RemoteStore.apply` skolemise them (RDF 1.1
  section 3.5): the store holds ``<{public base}.well-known/genid/{label}>`` IRIs, which every
  SPARQL Update form accepts (Virtuoso refuses blank nodes in ``INSERT DATA``) and which name the
  same node across requests. Answers map them back to blank nodes, and a blank node a caller
  binds goes out as its skolem IRI, so callers see the embedded store's term model. Virtuoso's
  own blank-node labels (``nodeID://b10003``, for data loaded by other means) are read as blank
  nodes too.
* The default graph. Oxigraph and most stores have a plain default graph, which publish fills
  with the set union of the named graphs. Virtuoso has none (its default graph is the bag of
  every graph, its system graphs included), so the union goes into one named graph of our own
  (:func:`union_graph`), and a query that names no dataset is sent with that graph as its
  ``default-graph-uri`` and the project's named graphs as its ``named-graph-uri`` (leaving out
  the union graph and Virtuoso's system graphs). Counts and graph lists leave those out too.
* Request sizes. Virtuoso compiles an update into SQL of bounded size: publish sends smaller
  ``INSERT DATA`` chunks there (:attr:`Engine.insert_chunk`).
* Values. Virtuoso has no booleans (an ``EXISTS`` test comes back 1/0) and concatenates unbound
  values to ``""``; where the query's own text fixes a variable's type, the answer is mapped back
  to what SPARQL 1.1 (and the embedded store) gives (:func:`_repair_virtuoso_values`). Its
  ``GROUP_CONCAT`` also drops language tags, which cannot be mapped back: the saved queries
  concatenate ``STR()`` of their labels instead.
"""

from __future__ import annotations

import ast
import contextlib
import json
import re
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from econsec.graph.stats import triples_per_graph
from econsec.queries import internal
from pyoxigraph import (
    BlankNode,
    NamedNode,
    Quad,
    QueryResultsFormat,
    RdfFormat,
    Store,
    Triple,
    parse,
    parse_query_results,
)
from SPARQLWrapper import INSERT, POST, SELECT, URLENCODED, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from ..errors import BadRequest, QuerySyntaxError, StoreError
from ..security.lexer import Token, TokenKind, at_brace_depth, significant, tokenize
from ..settings import Settings
from .base import QueryResult, ResultKind, Term, WriteDelta
from .binding import bind_rows, bind_values
from .embedded import update_text

__all__ = ["ACCEPT", "Engine", "RemoteStore", "genid_prefix", "union_graph", "void_graph"]

#: what the service asks a remote store for: results it can parse without rdflib
ACCEPT = (
    "application/sparql-results+json, application/sparql-results+xml;q=0.9, "
    "application/n-triples;q=0.9, text/turtle;q=0.8, application/rdf+xml;q=0.5"
)
#: the same preferences for one query form: Virtuoso answers the first type listed that it can write
#: (q-values aside), so it is offered only the types of the form asked (a CONSTRUCT would otherwise
#: come back as a JSON result set, a SELECT as N-Triples)
_ACCEPT_SOLUTIONS = "application/sparql-results+json, application/sparql-results+xml;q=0.9"
_ACCEPT_GRAPH = "application/n-triples, text/turtle;q=0.8, application/rdf+xml;q=0.5"
_FORMS = {
    "SELECT": _ACCEPT_SOLUTIONS,
    "ASK": _ACCEPT_SOLUTIONS,
    "CONSTRUCT": _ACCEPT_GRAPH,
    "DESCRIBE": _ACCEPT_GRAPH,
}
_RELEASE_TTL = 30.0  # seconds a looked-up release id is trusted before asking again


def void_graph(public_base: str) -> str:
    """The named graph ``econsec publish`` writes the release's VoID description into."""
    return public_base + "graph/void"


def union_graph(public_base: str) -> str:
    """The named graph that stands for the default graph on stores without a plain one (Virtuoso)."""
    return public_base + "graph/union"


def genid_prefix(public_base: str) -> str:
    """Where skolemised blank nodes live in the store (RDF 1.1 Concepts, section 3.5)."""
    return public_base + ".well-known/genid/"


#: graphs Virtuoso creates for itself (its RDF views, LDP and URIQA descriptions, the DAV store):
#: never part of the dataset the service serves or counts
VIRTUOSO_SYSTEM_GRAPHS = (
    "http://www.openlinksw.com/schemas/",
    "http://www.w3.org/ns/ldp#",
    "http://localuriqaserver/",
    "http://www.w3.org/2002/07/owl#",
)
_VIRTUOSO_BLANK = "nodeID://"
_NO_GRAPH = "urn:x-econsec:no-named-graph"  # an empty FROM NAMED list would mean "every graph" there


class Engine(StrEnum):
    """The store's engine, as far as the service has to know it."""

    SPARQL = "sparql"  # a SPARQL 1.1 store with a plain default graph (Oxigraph, Fuseki, GraphDB ...)
    VIRTUOSO = "virtuoso"

    @classmethod
    def from_server(cls, server: str | None) -> Engine:
        """The engine named by an HTTP ``Server`` header (``Virtuoso/07.20.3229 (Linux) ...``)."""
        return cls.VIRTUOSO if (server or "").lower().startswith("virtuoso") else cls.SPARQL

    @property
    def insert_chunk(self) -> int:
        """Triples per ``INSERT DATA`` that publish sends. Virtuoso turns an update into one SQL
        statement and refuses it past a size limit (2,000 triples of this graph exceed it)."""
        return 500 if self is Engine.VIRTUOSO else 2000

    @property
    def has_default_graph(self) -> bool:
        """Whether the store has a default graph of its own that publish can fill with the union."""
        return self is not Engine.VIRTUOSO


@dataclass(frozen=True)
class QueryReading:
    """What the backend needs to know of a query's text, read in one pass of the lexer."""

    #: the ``Accept`` header: the result types of its form, or every type we read
    accept: str
    #: it names its own dataset (``FROM`` / ``FROM NAMED`` outside every group)
    names_dataset: bool
    #: it declares its own ``BASE`` (Virtuoso refuses a second declaration, so none is added)
    declares_base: bool
    #: variables bound as ``(GROUP_CONCAT(...) AS ?v)``: a string, or unbound over no value
    concatenated: frozenset[str] = frozenset()
    #: variables bound as ``(EXISTS {...} AS ?v)`` or ``(NOT EXISTS {...} AS ?v)``: a boolean
    existence_tests: frozenset[str] = frozenset()
    #: graphs named by IRI (or prefixed name) right after ``GRAPH``
    graphs_named: frozenset[str] = frozenset()


def read_query(text: str) -> QueryReading:
    """The query's form, dataset clause and base declaration, from its tokens outside every group,
    and the variables whose values have a type the query itself fixes (see :class:`QueryReading`)."""
    tokens = significant(tokenize(text))
    accept: str | None = None
    names_dataset = declares_base = False
    for _, token in at_brace_depth(tokens):
        if token.kind is not TokenKind.WORD:
            continue
        word = token.text.upper()
        if word == "FROM":
            names_dataset = True
        elif word == "BASE":
            declares_base = True
        elif accept is None and word in _FORMS:
            accept = _FORMS[word]
    concatenated, existence_tests = _typed_bindings(tokens)
    return QueryReading(
        accept or ACCEPT, names_dataset, declares_base, concatenated, existence_tests, _graphs_named(tokens)
    )


def _graphs_named(tokens: Sequence[Token]) -> frozenset[str]:
    """The absolute IRIs written (or prefixed, with the prologue's ``PREFIX``) after ``GRAPH``."""
    prefixes: dict[str, str] = {}
    for k in range(len(tokens) - 2):
        declared = tokens[k + 1].kind is TokenKind.PNAME and tokens[k + 2].kind is TokenKind.IRI
        if _word(tokens[k]) == "PREFIX" and declared:
            prefixes[tokens[k + 1].text] = tokens[k + 2].text[1:-1]
    named: set[str] = set()
    for k in range(len(tokens) - 1):
        if _word(tokens[k]) != "GRAPH":
            continue
        token = tokens[k + 1]
        if token.kind is TokenKind.IRI:
            iri = token.text[1:-1]
        elif token.kind is TokenKind.PNAME and ":" in token.text:
            prefix, local = token.text.split(":", 1)
            if prefix + ":" not in prefixes:
                continue
            iri = prefixes[prefix + ":"] + local
        else:
            continue
        with contextlib.suppress(ValueError):  # relative, or with escapes: left out
            named.add(NamedNode(iri).value)
    return frozenset(named)


def _typed_bindings(tokens: Sequence[Token]) -> tuple[frozenset[str], frozenset[str]]:
    """Variables bound by ``( <expression> AS ?v )`` (a projection or a BIND) whose expression is
    one ``GROUP_CONCAT(...)`` call in a grouped ``SELECT``, or one ``EXISTS {...}`` /
    ``NOT EXISTS {...}`` test.

    A ``SELECT`` without ``GROUP BY`` is one group, which may be empty, and a concatenation over
    no row at all is ``""`` on every engine: only a grouped one is counted (every group has a row).
    One pass with a stack of open brackets, linear in the text whatever its nesting: when a ``)``
    closes, the brackets inside it are already matched.
    """
    existence_tests: set[str] = set()
    concatenations: list[tuple[str, int]] = []  # (variable, index of the ")" closing the binding)
    closer_of: dict[int, int] = {}  # index of an opening bracket -> index of its closing one
    open_at: list[int] = []
    for j, token in enumerate(tokens):
        if token.kind is not TokenKind.PUNCT:
            continue
        if token.text in ("(", "{"):
            open_at.append(j)
            continue
        if token.text not in (")", "}") or not open_at:
            continue
        i = open_at.pop()
        closer_of[i] = j
        # "( head ... AS ?v )", the shortest being "( EXISTS { } AS ?v )"
        if (
            token.text != ")"
            or j - i < 6
            or tokens[j - 1].kind is not TokenKind.VAR
            or _word(tokens[j - 2]) != "AS"
        ):
            continue
        head = i + 2 if _word(tokens[i + 1]) == "NOT" else i + 1
        name = tokens[j - 1].text[1:]
        if _word(tokens[head]) == "EXISTS" and _closes(tokens, closer_of, head + 1, "{", j - 3):
            existence_tests.add(name)
        elif (
            head == i + 1
            and _word(tokens[head]) == "GROUP_CONCAT"
            and _closes(tokens, closer_of, head + 1, "(", j - 3)
        ):
            concatenations.append((name, j))
    # the group after a projection is its WHERE clause: "GROUP BY" right after it makes it grouped
    next_group: list[int | None] = [None] * (len(tokens) + 1)
    for k in range(len(tokens) - 1, -1, -1):
        opens = tokens[k].kind is TokenKind.PUNCT and tokens[k].text == "{"
        next_group[k] = k if opens else next_group[k + 1]
    concatenated = set()
    for name, j in concatenations:
        where = next_group[j]
        close = None if where is None else closer_of.get(where)
        if close is not None and [_word(t) for t in tokens[close + 1 : close + 3]] == ["GROUP", "BY"]:
            concatenated.add(name)
    return frozenset(concatenated), frozenset(existence_tests)


def _word(token: Token) -> str:
    return token.text.upper() if token.kind is TokenKind.WORD else ""


def _closes(tokens: Sequence[Token], closer_of: Mapping[int, int], at: int, opener: str, end: int) -> bool:
    """Whether ``tokens[at]`` opens a bracket ``opener`` that closes at ``end``."""
    return tokens[at].kind is TokenKind.PUNCT and tokens[at].text == opener and closer_of.get(at) == end


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
        engine: Engine | None = None,
        base_iri: str | None = None,
    ) -> None:
        self.query_url = query_url
        #: relative IRIs in queries resolve against it, as on the embedded store (a query's own
        #: BASE still wins: a later declaration replaces an earlier one)
        self.prologue = "" if base_iri is None else f"BASE {NamedNode(base_iri)}\n"
        self.update_url = update_url
        self.timeout = timeout
        self.public_base = public_base
        self.genid = genid_prefix(public_base)
        self._engine = engine
        self._lock = threading.Lock()
        self._release: tuple[float, str | None, str | None] | None = None
        self._counts: dict[str | None, tuple[float, int]] = {}
        self._graphs: tuple[float, list[str]] | None = None
        #: the first write this service committed (a remote store keeps no record of its own)
        self._written_since: str | None = None

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
            base_iri=settings.sparql_base_iri,
        )

    # -- the StoreBackend protocol ------------------------------------------------------------

    @property
    def engine(self) -> Engine:
        """The store's engine, from the ``Server`` header of its answer to ``ASK {}`` (asked once)."""
        if self._engine is None:
            # any answer names the server, an error too (publish may only know the update endpoint)
            url = self.query_url + ("&" if "?" in self.query_url else "?") + "query=ASK%7B%7D"
            request = urllib.request.Request(url, headers={"Accept": ACCEPT})
            try:
                with urllib.request.urlopen(request, timeout=max(1, round(self.timeout))) as response:
                    server = response.headers.get("Server")
            except urllib.error.HTTPError as exc:
                server = exc.headers.get("Server")
            except (urllib.error.URLError, OSError) as exc:
                raise StoreError(f"cannot reach the remote store at {self.query_url}: {exc}") from None
            self._engine = Engine.from_server(server)
        assert self._engine is not None
        return self._engine

    @property
    def union_graph(self) -> str | None:
        """The named graph that holds the default graph, or None where the store has its own."""
        return None if self.engine.has_default_graph else union_graph(self.public_base)

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

    @property
    def written_since(self) -> str | None:
        return self._written_since

    def query(
        self,
        text: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Send the query; parse the answer by its content type (see :data:`ACCEPT`).

        On a store without a plain default graph (Virtuoso), a query that names no dataset gets
        the service's dataset: the union graph as default graph, the project's graphs as named.
        """
        if substitutions:
            text = bind_values(text, {name: self._skolem(term) for name, term in substitutions.items()})
        reading = read_query(text)
        if not default_graph_uris and not named_graph_uris and self.union_graph and not reading.names_dataset:
            default_graph_uris = [self.union_graph]
            named_graph_uris = self._dataset_named_graphs(reading)
        client = self._client(self.query_url, reading.accept)
        client.setQuery(text if reading.declares_base else self.prologue + text)
        client.queryType = SELECT  # never let SPARQLWrapper's keyword sniffing turn it into an update
        for uri in default_graph_uris:
            client.addDefaultGraph(uri)
        for uri in named_graph_uris:
            client.addNamedGraph(uri)
        try:
            body, media_type = self._send(client, text)
        except QuerySyntaxError as exc:
            raise _located(exc, text) from None
        return self._result(body, media_type, reading)

    def _dataset_named_graphs(self, reading: QueryReading) -> list[str]:
        """The named graphs a query is sent with on a store without a plain default graph.

        The project's graphs, and any graph the text names after ``GRAPH`` that the store lacks:
        Virtuoso 7 answers ``GRAPH <g> {...}`` for a ``g`` outside the dataset with one empty
        solution (an ``ASK`` is true, a ``COUNT(*)`` is 1); named in the dataset, the graph is
        simply empty, as on the embedded store. The union graph and Virtuoso's system graphs
        are never added.
        """
        graphs = self.named_graphs()
        hidden = (union_graph(self.public_base), *VIRTUOSO_SYSTEM_GRAPHS)
        missing = sorted(g for g in reading.graphs_named - set(graphs) if not g.startswith(hidden))
        return graphs + missing or [_NO_GRAPH]

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
        if self.union_graph is None:
            rows = internal.select(self, "named-graphs")
            return sorted(s["g"].value for s in rows if s["g"] is not None)
        now = time.monotonic()
        with self._lock:
            if self._graphs and now - self._graphs[0] < _RELEASE_TTL:
                return list(self._graphs[1])
        # every graph the store has, asked with an explicit (empty) dataset so that the query is not
        # itself given the project's graphs; Virtuoso's `GRAPH ?g {}` yields no graph names at all.
        # Grouped, not DISTINCT: Virtuoso 7.2.5 plans `SELECT DISTINCT ?g` as a scan of every quad
        # (10 s for this graph, past a loaded machine's start-up timeout) and the grouped count
        # from its graph index (milliseconds)
        client = self._client(self.query_url, _ACCEPT_SOLUTIONS)
        text = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g"
        client.setQuery(text)
        client.queryType = SELECT
        result = self._result(*self._send(client, text))
        assert result.solutions is not None
        hidden = (self.union_graph, *VIRTUOSO_SYSTEM_GRAPHS)
        graphs = sorted(
            {
                row["g"].value  # type: ignore[union-attr]
                for row in result.solutions
                if isinstance(row["g"], NamedNode) and not row["g"].value.startswith(hidden)
            }
        )
        with self._lock:
            self._graphs = (now, graphs)
        return list(graphs)

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
        """Whether the store holds a triple in ``graph`` (SPARQL stores keep no empty graphs).

        Asked with a dataset whose one named graph is ``graph``: Virtuoso 7 answers ``GRAPH <g>
        {...}`` for a ``g`` outside the dataset's named graphs with one empty solution, so asked
        with the project's graphs, a graph that is gone (or never was) would count as held.
        """
        text = bind_values(internal.get("graph-is-held").text, {"g": graph})
        return bool(self.query(text, named_graph_uris=[graph.value]).boolean)

    def apply(self, delta: WriteDelta) -> None:
        """Commit ``delta`` as one update request (one transaction on Oxigraph, Fuseki, GraphDB).

        The default graph is kept the merge of the named graphs, as ``econsec publish`` leaves
        it: inserted triples go into it too, and a deleted triple (or one of a dropped graph, blank
        nodes included) leaves it only when no named graph holds it afterwards (asked once, for
        all such triples, before the update).
        """
        if not delta:
            return
        # a dropped graph's quads with blank nodes are not listed as deletes (the overlay cannot
        # name a blank node); here they are skolem IRIs, which can be named: they leave the
        # default graph as deleted triples do
        gone = set(delta.deletes)
        for graph in delta.dropped_graphs:
            gone.update(self.quads(graph=graph))
        inserted = {q.triple for q in delta.inserts}
        deleted = {q.triple for q in gone} - inserted
        still_held: set[Triple] = set()
        if deleted:
            rows = [tuple(self._skolem(term) for term in (t.subject, t.predicate, t.object)) for t in deleted]
            result = self.query(bind_rows(internal.get("quads").text, ("s", "p", "o"), rows))
            assert result.solutions is not None
            for row in result.solutions:
                quad = Quad(row["s"], row["p"], row["o"], row["g"])  # type: ignore[arg-type]
                if quad not in gone:
                    still_held.add(quad.triple)
        default_inserts, default_deletes = inserted, deleted - still_held
        union = self.union_graph
        if union is not None:  # the default graph is a named graph of ours here
            graph = NamedNode(union)
            delta = WriteDelta(
                delta.inserts | {Quad(t.subject, t.predicate, t.object, graph) for t in default_inserts},
                delta.deletes | {Quad(t.subject, t.predicate, t.object, graph) for t in default_deletes},
                delta.created_graphs,
                delta.dropped_graphs,
            )
            default_inserts, default_deletes = set(), set()
        skolem = self._skolem_quads
        delta = WriteDelta(
            skolem(delta.inserts), skolem(delta.deletes), delta.created_graphs, delta.dropped_graphs
        )
        if union is not None:
            self.update(_per_graph_deletes(delta))
        else:
            self.update(
                update_text(
                    delta, self._skolem_triples(default_inserts), self._skolem_triples(default_deletes)
                )
            )
        if self._written_since is None:
            self._written_since = datetime.now(UTC).isoformat(timespec="seconds")

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
            self._graphs = None

    # -- helpers ------------------------------------------------------------------------------

    def _client(self, url: str, accept: str = ACCEPT) -> SPARQLWrapper:
        client = SPARQLWrapper(url)
        client.setMethod(POST)
        client.setRequestMethod(URLENCODED)
        client.setTimeout(max(1, round(self.timeout)))
        # content negotiation only: SPARQLWrapper otherwise adds format=xml&output=xml, which
        # Virtuoso obeys over the Accept header, and pyoxigraph's XML results parser reads a
        # whitespace-only literal ("\n") as "" (the JSON parser keeps it)
        client.setOnlyConneg(True)
        client.addCustomHttpHeader("Accept", accept)
        return client

    def _send(self, client: SPARQLWrapper, text: str) -> tuple[bytes, str]:
        with _store_errors(client, text):
            response = client.query().response
            return response.read(), _media_type(response.headers.get("Content-Type"))

    def _result(self, body: bytes, media_type: str, reading: QueryReading | None = None) -> QueryResult:
        results_format = QueryResultsFormat.from_media_type(media_type) if media_type else None
        if results_format is not None:
            body = self._readable_results(body, results_format, reading)
            return QueryResult.of(parse_query_results(body, format=results_format))
        rdf_format = RdfFormat.from_media_type(media_type) if media_type else None
        if rdf_format is None:
            raise StoreError(f"the remote store answered with an unreadable type {media_type or '(none)'}")
        term = self._unskolem
        triples = (
            Triple(term(q.subject), q.predicate, term(q.object))  # type: ignore[arg-type]
            for q in parse(body, format=rdf_format)
        )
        return QueryResult(ResultKind.GRAPH, triples=triples)

    def _readable_results(
        self, body: bytes, results_format: QueryResultsFormat, reading: QueryReading | None
    ) -> bytes:
        """The answer in the embedded store's terms: blank nodes (see :meth:`_unskolem_results`)
        and, on Virtuoso, the values whose type the query fixes (see :func:`_repair_virtuoso_values`)."""
        typed = reading is not None and (reading.concatenated or reading.existence_tests)
        if typed and self.engine is Engine.VIRTUOSO and results_format == QueryResultsFormat.JSON:
            assert reading is not None
            document = json.loads(body)
            _repair_virtuoso_values(document, reading)
            body = json.dumps(document).encode()
        return self._unskolem_results(body, results_format)

    # -- blank nodes at the boundary ----------------------------------------------------------

    def _skolem(self, term: Term) -> Term:
        """A blank node as the IRI the store holds it under (its skolem IRI, or Virtuoso's own)."""
        if not isinstance(term, BlankNode):
            return term
        if term.value.startswith("nodeID_"):
            return NamedNode(_VIRTUOSO_BLANK + term.value.removeprefix("nodeID_"))
        return NamedNode(self.genid + term.value)

    def _skolem_quads(self, quads: Iterable[Quad]) -> set[Quad]:
        skolem = self._skolem
        return {Quad(skolem(q.subject), q.predicate, skolem(q.object), q.graph_name) for q in quads}  # type: ignore[arg-type]

    def _skolem_triples(self, triples: Iterable[Triple]) -> set[Triple]:
        skolem = self._skolem
        return {Triple(skolem(t.subject), t.predicate, skolem(t.object)) for t in triples}  # type: ignore[arg-type]

    def _unskolem(self, term: Term) -> Term:
        if isinstance(term, NamedNode) and term.value.startswith(self.genid):
            return BlankNode(term.value[len(self.genid) :])
        if isinstance(term, BlankNode | NamedNode) and term.value.startswith(_VIRTUOSO_BLANK):
            return BlankNode("nodeID_" + term.value[len(_VIRTUOSO_BLANK) :])
        return term

    def _unskolem_results(self, body: bytes, results_format: QueryResultsFormat) -> bytes:
        """The answer with skolem IRIs and Virtuoso's ``nodeID://`` labels written as blank nodes."""
        if self.genid.encode() not in body and _VIRTUOSO_BLANK.encode() not in body:
            return body
        if results_format == QueryResultsFormat.JSON:
            document = json.loads(body)
            for row in document.get("results", {}).get("bindings", []):
                for value in row.values():
                    if value.get("type") in ("uri", "bnode"):
                        term = self._unskolem(
                            NamedNode(value["value"])
                            if value["type"] == "uri"
                            else _virtuoso_blank(value["value"])
                        )
                        if isinstance(term, BlankNode):
                            value["type"], value["value"] = "bnode", term.value
            return json.dumps(document).encode()
        if results_format == QueryResultsFormat.XML:
            text = body.decode("utf-8")
            text = re.sub(r"<uri>" + re.escape(self.genid) + r"([^<]*)</uri>", r"<bnode>\1</bnode>", text)
            text = text.replace("<bnode>" + _VIRTUOSO_BLANK, "<bnode>nodeID_")
            return text.encode()
        return body

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


@contextlib.contextmanager
def _store_errors(client: SPARQLWrapper, text: str) -> Iterator[None]:
    """Turn what can go wrong talking to the store into the service's error types."""
    try:
        yield
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


_XSD = "http://www.w3.org/2001/XMLSchema#"


def _repair_virtuoso_values(document: dict[str, Any], reading: QueryReading) -> None:
    """Virtuoso 7's values rewritten, in a JSON result set, as SPARQL 1.1 defines them.

    Where the query itself fixes a variable's type, what Virtuoso wrote is mapped back:

    * ``(EXISTS {...} AS ?v)``: Virtuoso has no boolean values and writes ``1`` / ``0`` (as
      ``xsd:integer``, or ``xsd:boolean`` after a cast); the test's value is ``true`` / ``false``.
    * ``(GROUP_CONCAT(...) AS ?v)`` over a group whose values are all unbound: Virtuoso skips them
      and gives ``""``; the standard's concatenation meets an unbound value (an error) and leaves
      the variable unbound, as Oxigraph does. ``""`` becomes unbound (in a grouped ``SELECT``
      only: see :func:`_typed_bindings`). The one answer this cannot tell apart is a
      concatenation of nothing but empty strings (also ``""`` on Oxigraph), which then comes
      back unbound too.

    The same variable name bound elsewhere in the query by another expression would be rewritten
    as well; the rewrite only touches values of exactly the form above.
    """
    for row in document.get("results", {}).get("bindings", []):
        for name in reading.concatenated & row.keys():
            value = row[name]
            plain = value.get("datatype") in (None, _XSD + "string") and "xml:lang" not in value
            if value.get("type") in ("literal", "typed-literal") and plain and value.get("value") == "":
                del row[name]
        for name in reading.existence_tests & row.keys():
            value = row[name]
            numeric = value.get("datatype") in (_XSD + "integer", _XSD + "boolean")
            if numeric and value.get("value") in ("0", "1"):
                row[name] = {
                    "type": "literal",
                    "datatype": _XSD + "boolean",
                    "value": "true" if value["value"] == "1" else "false",
                }


def _per_graph_deletes(delta: WriteDelta) -> str:
    """``delta`` as one update request with one ``DELETE DATA`` per graph.

    Virtuoso 7.2.5 deletes nothing at all from a ``DELETE DATA`` that names two graphs (and says
    it succeeded); one graph per operation it deletes. Its ``INSERT DATA`` over several graphs
    is fine, so inserts stay one operation.
    """
    by_graph: dict[str, set[Quad]] = {}
    for quad in delta.deletes:
        by_graph.setdefault(str(quad.graph_name), set()).add(quad)
    parts = [update_text(WriteDelta(set(), set(), delta.created_graphs, delta.dropped_graphs), (), ())]
    parts += [update_text(WriteDelta(set(), quads), (), ()) for _, quads in sorted(by_graph.items())]
    parts.append(update_text(WriteDelta(delta.inserts), (), ()))
    return " ;\n".join(part for part in parts if part)


def _located(refused: QuerySyntaxError, text: str) -> QuerySyntaxError:
    """The error the embedded store would give for a query the remote store refused as malformed.

    Stores report positions in their own terms (Virtuoso counts the ``define`` lines it puts in
    front of the query, so every error is "at line 3"). pyoxigraph's parser, run on an empty
    store, names the line and column in the caller's text, so a client gets the same 400 on
    every backend. A query that names a ``SERVICE`` is not re-run (an empty store would still
    call the service out for an ``ASK``); nor is one pyoxigraph accepts: then the store's own
    words stand, as the store meant something this parser does not share.
    """
    tokens = significant(tokenize(text))
    if any(token.kind is TokenKind.WORD and token.text.upper() == "SERVICE" for token in tokens):
        return refused
    try:
        Store().query(text)  # SELECT and CONSTRUCT answers are lazy: nothing is evaluated here
    except SyntaxError as exc:
        return QuerySyntaxError.from_parser(exc, text)
    except (OSError, RuntimeError, ValueError):
        pass
    return refused


def _virtuoso_blank(label: str) -> NamedNode | BlankNode:
    """A blank node label as a JSON answer gives it: Virtuoso's ``nodeID://b1`` is not a valid one."""
    return NamedNode(label) if label.startswith(_VIRTUOSO_BLANK) else BlankNode(label)


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
