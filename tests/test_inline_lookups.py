"""The endpoint's lookup branch: it answers exactly the bounded lookups on the event loop, as the
other paths would, after the same guard and admission, and leaves everything else to them.

In process (the real app over a small pyoxigraph store; the executor's counters say which path
answered) for which requests it takes, and against two real servers, one with the branch and
one without (``ECONSEC_INLINE_LOOKUP_ROWS=0``), for the answers themselves.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, replace
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService, module_service, post_direct
from econsec.service.app import create_app
from econsec.service.settings import Settings
from econsec.service.sparql.native_results import NATIVE, TooManyRows, rows_at_most, serialize_within
from econsec.service.sparql.query_shape import lookup_form
from econsec.service.store.embedded import EmbeddedStore, StoreRecord
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EX = "http://example.org/"
RDFS = "http://www.w3.org/2000/01/rdf-schema#"
ES = "https://w3id.org/econsec/ontology#"
ID = "https://w3id.org/econsec/id/"
JSON_RESULTS = "application/sparql-results+json"


def small_store() -> ox.Store:
    """Five facts about ex:a in the default graph, one about ex:b."""
    store = ox.Store()
    a, b, label = ox.NamedNode(EX + "a"), ox.NamedNode(EX + "b"), ox.NamedNode(RDFS + "label")
    for i in range(4):
        store.add(ox.Quad(a, ox.NamedNode(f"{EX}p{i}"), ox.Literal(str(i), datatype=ox.NamedNode(f"{EX}t"))))
    store.add(ox.Quad(a, label, ox.Literal("A", language="en")))
    store.add(ox.Quad(b, label, ox.Literal("B")))
    return store


class RecordingGuard:
    """The federation guard's contract (allow local queries), recording every text it is shown."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, text: str, *, update: bool = False) -> list[str]:
        self.seen.append(text)
        return []


@dataclass
class Endpoint:
    """The real app over a small in-memory store, with the counters that tell which path answered."""

    app: FastAPI
    guard: RecordingGuard

    @property
    def on_loop(self) -> int:
        return self.app.state.service.executor.answered_now

    @property
    def answered(self) -> int:
        return self.app.state.service.executor.answered


def endpoint(max_rows: int = 1000, *, real_guard: bool = False) -> Endpoint:
    """The app over :func:`small_store`; with ``real_guard`` the service's own SERVICE allowlist
    (empty: every remote endpoint refused), else a guard that allows and records."""
    settings = replace(Settings(), inline_lookup_rows=max_rows, access_log=False, isolate_queries=False)
    backend = EmbeddedStore(small_store(), settings, StoreRecord(), "in memory")
    guard = RecordingGuard()
    app = create_app(settings, backend=backend, query_guard=None if real_guard else guard)
    return Endpoint(app, guard)


@pytest.fixture
def layer() -> Endpoint:
    return endpoint()


def request(
    layer: Endpoint, method: str, params: dict[str, str] | None = None, **kwargs: object
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=layer.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.request(method, "/sparql", params=params, **kwargs)  # type: ignore[arg-type]

    return asyncio.run(go())


LOOKUP_A = f"SELECT ?p ?o WHERE {{ <{EX}a> ?p ?o }}"


def values(response: httpx.Response) -> Counter[tuple[str, ...]]:
    data = response.json()
    names = data["head"]["vars"]
    return Counter(
        tuple(row.get(n, {}).get("value", "") for n in names) for row in data["results"]["bindings"]
    )


@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_a_lookup_is_answered_on_the_event_loop(layer: Endpoint, how: str) -> None:
    headers = {"Accept": JSON_RESULTS}
    if how == "get":
        answer = request(layer, "GET", {"query": LOOKUP_A}, headers=headers)
    elif how == "form":
        answer = request(layer, "POST", data={"query": LOOKUP_A}, headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        answer = request(layer, "POST", content=LOOKUP_A.encode(), headers=headers)
    assert layer.on_loop == 1 and layer.answered == 1  # counted in /health like any query
    assert layer.guard.seen == [LOOKUP_A]  # and shown to the guard, once
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JSON_RESULTS
    assert "Accept" in answer.headers["vary"]
    assert values(answer) == Counter([*((f"{EX}p{i}", str(i)) for i in range(4)), (RDFS + "label", "A")])


@pytest.mark.parametrize(
    ("key", "media_type", "rows"),
    [
        ("json", JSON_RESULTS, None),
        ("xml", "application/sparql-results+xml", None),
        ("csv", "text/csv; charset=utf-8", 5),
        ("tsv", "text/tab-separated-values; charset=utf-8", 5),
    ],
)
def test_each_result_format_is_written_by_the_engine(
    layer: Endpoint, key: str, media_type: str, rows: int | None
) -> None:
    answer = request(layer, "GET", {"query": LOOKUP_A, "format": key})
    assert layer.on_loop == 1 and answer.status_code == 200
    assert answer.headers["content-type"] == media_type
    if rows is not None:
        assert len(answer.text.strip().splitlines()) == rows + 1  # the header line


def test_ask_is_answered_on_the_loop(layer: Endpoint) -> None:
    yes = request(layer, "GET", {"query": f"ASK {{ <{EX}b> ?p ?o }}"}, headers={"Accept": JSON_RESULTS})
    no = request(layer, "GET", {"query": f"ASK {{ <{EX}c> ?p ?o }}"}, headers={"Accept": JSON_RESULTS})
    assert layer.on_loop == 2
    assert yes.json()["boolean"] is True and no.json()["boolean"] is False


def test_a_cors_request_gets_the_lookup_with_its_headers(layer: Endpoint) -> None:
    answer = request(layer, "GET", {"query": LOOKUP_A}, headers={"Origin": "http://elsewhere.example"})
    assert answer.status_code == 200 and layer.on_loop == 1
    assert answer.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("params", "headers", "status"),
    [
        ({"query": f"SELECT DISTINCT ?p WHERE {{ <{EX}a> ?p ?o }}"}, {}, 200),  # may scan many rows per row
        ({"query": f"SELECT * WHERE {{ <{EX}a> ?p ?o }} OFFSET 2"}, {}, 200),  # skipped rows are scanned
        ({"query": "SELECT ?x WHERE { ?x ?p ?x }"}, {}, 200),  # a filter over a full scan
        ({"query": "SELECT * WHERE { ?s ?p ?o . ?o ?q ?r }"}, {}, 200),  # a join
        ({"query": "SELECT * WHERE { ex:a ?p ?o }"}, {}, 400),  # undeclared prefix: the parser's message
        ({"query": LOOKUP_A, "default-graph-uri": EX + "g"}, {}, 200),  # a dataset of its own
        ({"query": LOOKUP_A, "named-graph-uri": EX + "g"}, {}, 200),
        ({"query": LOOKUP_A}, {"Accept": "text/html"}, 200),  # a browser: the editor
        ({"query": LOOKUP_A, "format": "turtle"}, {}, 406),  # not a results format
        ({"query": LOOKUP_A}, {"Accept": "application/x-unknown"}, 406),
        ({"query": LOOKUP_A, "format": "nonsense"}, {}, 400),
        ({}, {}, 200),  # the service description
    ],
)
def test_other_requests_take_the_ordinary_path(
    layer: Endpoint, params: dict[str, str], headers: dict[str, str], status: int
) -> None:
    answer = request(layer, "GET", params, headers=headers)
    assert answer.status_code == status, answer.text
    assert layer.on_loop == 0


def test_a_repeated_query_is_refused(layer: Endpoint) -> None:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=layer.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/sparql?" + urlencode([("query", LOOKUP_A), ("query", LOOKUP_A)]))

    answer = asyncio.run(go())
    assert answer.status_code == 400 and "once" in answer.text
    assert layer.on_loop == 0 and layer.guard.seen == []


@pytest.mark.parametrize(
    ("content_type", "body", "status"),
    [
        ("application/x-www-form-urlencoded", urlencode({"update": "CLEAR ALL"}).encode(), 403),
        ("application/x-www-form-urlencoded", b"query=%FF%FE", 400),
        ("application/sparql-update", b"CLEAR ALL", 403),
        ("text/plain", LOOKUP_A.encode(), 415),
        ("application/sparql-query", b"\xff\xfe", 400),
        ("application/sparql-query", f"SELECT DISTINCT ?p WHERE {{ <{EX}a> ?p ?o }}".encode(), 200),
    ],
)
def test_a_post_that_is_not_a_lookup_takes_the_ordinary_path(
    layer: Endpoint, content_type: str, body: bytes, status: int
) -> None:
    answer = request(layer, "POST", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == status, answer.text
    assert layer.on_loop == 0


def test_a_long_lookup_body_is_still_a_lookup(layer: Endpoint) -> None:
    """Whitespace padding changes nothing: the body is read whole, once, by the one handler."""
    answer = request(layer, "POST", data={"query": LOOKUP_A + " " * 20_000}, headers={"Accept": JSON_RESULTS})
    assert answer.status_code == 200 and len(values(answer)) == 5


def test_more_rows_than_the_budget_take_the_thread_path() -> None:
    small = endpoint(max_rows=3)
    assert request(small, "GET", {"query": LOOKUP_A}).status_code == 200  # five rows
    assert small.on_loop == 0 and small.answered == 1
    assert request(small, "GET", {"query": LOOKUP_A + " LIMIT 3"}).status_code == 200
    assert request(small, "GET", {"query": f"SELECT * WHERE {{ <{EX}b> ?p ?o }}"}).status_code == 200
    assert small.on_loop == 2 and small.answered == 3
    assert len(small.guard.seen) == 3  # once per query, whichever path answered


def test_without_a_budget_every_query_takes_the_thread_path() -> None:
    none = endpoint(max_rows=0)
    assert request(none, "GET", {"query": LOOKUP_A}).status_code == 200
    assert none.on_loop == 0 and none.answered == 1


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT <http://127.0.0.1:9/> { ?s ?p ?o } }",
        "PREFIX s: <http://127.0.0.1:9/> SELECT * WHERE { SERVICE s: { ?s ?p ?o } }",
    ],
)
def test_the_lookup_branch_never_evaluates_service(query: str) -> None:
    """Nothing that names another endpoint is a lookup, so the loop never waits on a network."""
    assert lookup_form(query) is None
    refusing = endpoint(real_guard=True)
    answer = request(refusing, "GET", {"query": query}, headers={"Accept": JSON_RESULTS})
    assert refusing.on_loop == 0
    assert answer.status_code == 400, answer.text


# --- the check the branch's safety rests on ----------------------------------------------------


MARKS = ['{"type":', "<result>", "\n", "\r\n", '"', ",", "\t", "}", "{", "\\"]


@given(
    st.lists(
        st.tuples(
            st.lists(st.sampled_from([*MARKS, "a", "é", " "]), max_size=6).map("".join),
            st.sampled_from(["literal", "iri", "lang"]),
        ),
        min_size=0,
        max_size=8,
    )
)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_the_row_count_is_never_too_low(objects: list[tuple[str, str]]) -> None:
    """Whatever the values hold, the count read from the bytes is at least the rows written."""
    store = ox.Store()
    subject = ox.NamedNode(EX + "s")
    for i, (text, kind) in enumerate(objects):
        if kind == "iri":
            obj: ox.NamedNode | ox.Literal = ox.NamedNode(EX + str(i))
        elif kind == "lang":
            obj = ox.Literal(text, language="en")
        else:
            obj = ox.Literal(text)
        store.add(ox.Quad(subject, ox.NamedNode(f"{EX}p{i}"), obj))
    for query in (f"SELECT ?p ?o WHERE {{ <{EX}s> ?p ?o }}", f"SELECT ?x WHERE {{ <{EX}s> ?p ?o }}"):
        for native in NATIVE.values():
            body = store.query(query).serialize(format=native.format)
            counted = rows_at_most(body, native)
            assert counted >= len(objects)
            if counted == len(objects):  # no value holds a mark: the count is exact
                assert serialize_within(store.query(query), native, len(objects)) == body
            if objects:
                with pytest.raises(TooManyRows):
                    serialize_within(store.query(query), native, len(objects) - 1)


@pytest.mark.parametrize("key", sorted(NATIVE))
def test_rows_are_counted_across_the_engines_chunks(key: str) -> None:
    """3,000 rows reach ``write`` in dozens of chunks; marks split between two still count once."""
    store = ox.Store()
    for i in range(3000):
        store.add(ox.Quad(ox.NamedNode(f"{EX}s{i}"), ox.NamedNode(EX + "p"), ox.Literal("v" * (i % 7))))
    query = "SELECT * WHERE { ?s ?p ?o }"
    body = serialize_within(store.query(query), NATIVE[key], 3000)
    assert body == store.query(query).serialize(format=NATIVE[key].format)
    with pytest.raises(TooManyRows):
        serialize_within(store.query(query), NATIVE[key], 2999)


# which queries are lookups at all: tests/test_query_shape.py


# --- the same answers as the app, over real HTTP -----------------------------------------------


app_only = module_service("no-inline", {"ECONSEC_INLINE_LOOKUP_ROWS": "0"})


REAL_LOOKUPS = [
    f"SELECT ?p ?o WHERE {{ <{ID}country/japan> ?p ?o }}",
    f"PREFIX rdfs: <{RDFS}>\nSELECT ?label WHERE {{ <{ID}country/japan> rdfs:label ?label }}",
    f"PREFIX es: <{ES}> SELECT ?x WHERE {{ ?x a es:ExportControl }}",
    f"PREFIX es: <{ES}> SELECT * WHERE {{ ?obs es:value ?v }} LIMIT 40",
    f"SELECT ?s ?p WHERE {{ ?s ?p <{ID}country/japan> }}",
    f"ASK {{ <{ID}country/japan> ?p ?o }}",
    f"ASK {{ <{ID}nothing-here> ?p ?o }}",
    f"SELECT ?p ?o WHERE {{ <{ID}nothing-here> ?p ?o }}",
]


def _comparable(response: httpx.Response, key: str) -> object:
    assert response.status_code == 200, response.text
    if key == "csv":
        return sorted(map(tuple, csv.reader(io.StringIO(response.text))))
    if key == "json":
        data = json.loads(response.content)
        if "boolean" in data:
            return data["boolean"]
    parsed = ox.parse_query_results(response.content, format=NATIVE[key].format)
    if isinstance(parsed, ox.QueryBoolean):
        return bool(parsed)
    names = [v.value for v in parsed.variables]
    return sorted(tuple(str(row[n]) if row[n] is not None else "" for n in names) for row in parsed)


@pytest.mark.parametrize("key", ["json", "xml", "csv", "tsv"])
@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_inline_answers_equal_the_apps(
    sparql_service: RunningService, app_only: RunningService, key: str, how: str
) -> None:
    for query in REAL_LOOKUPS:
        answers = []
        for service in (sparql_service, app_only):
            if how == "get":
                r = httpx.get(service.sparql, params={"query": query, "format": key}, timeout=30)
            elif how == "form":
                r = httpx.post(service.sparql, data={"query": query, "format": key}, timeout=30)
            else:
                r = post_direct(service, query, params={"format": key}, timeout=30)
            answers.append((r.headers["content-type"], _comparable(r, key)))
        assert answers[0] == answers[1], query
