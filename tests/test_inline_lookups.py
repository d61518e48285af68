"""The inline lookup layer: it answers exactly the bounded lookups, as the app would, and hands
everything else to the app untouched.

In process (the layer over a real pyoxigraph store, with an app behind it that records what
reaches it) for which requests it takes, and against two real servers, one with the layer and
one without (``ECONSEC_INLINE_LOOKUP_ROWS=0``), for the answers themselves.
"""

from __future__ import annotations

import asyncio
import csv
import io
import json
from collections import Counter
from collections.abc import Iterator
from urllib.parse import parse_qsl, urlencode

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService
from econsec.service.sparql.inline_lookups import MAX_BODY, InlineLookups, _parameters
from econsec.service.sparql.native_results import NATIVE, TooManyRows, rows_at_most, serialize_within
from econsec.service.sparql.query_shape import lookup_form
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message, Receive, Scope, Send

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


class RecordingApp:
    """Stands for the framework: records each request that reaches it and answers 299 with the body."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, bytes]] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        self.seen.append((scope["method"], body))
        await send({"type": "http.response.start", "status": 299, "headers": []})
        await send({"type": "http.response.body", "body": b"app:" + body})


@pytest.fixture
def layer() -> tuple[InlineLookups, RecordingApp]:
    app = RecordingApp()
    store = small_store()
    return InlineLookups(app, store=lambda: store, max_rows=1000), app


def request(
    layer: InlineLookups, method: str, params: dict[str, str] | None = None, **kwargs: object
) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=layer)
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
def test_a_lookup_is_answered_without_the_app(layer: tuple[InlineLookups, RecordingApp], how: str) -> None:
    inline, app = layer
    headers = {"Accept": JSON_RESULTS}
    if how == "get":
        answer = request(inline, "GET", {"query": LOOKUP_A}, headers=headers)
    elif how == "form":
        answer = request(inline, "POST", data={"query": LOOKUP_A}, headers=headers)
    else:
        headers["Content-Type"] = "application/sparql-query"
        answer = request(inline, "POST", content=LOOKUP_A.encode(), headers=headers)
    assert app.seen == []
    assert answer.status_code == 200
    assert answer.headers["content-type"] == JSON_RESULTS
    assert answer.headers["vary"] == "Accept"
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
    layer: tuple[InlineLookups, RecordingApp], key: str, media_type: str, rows: int | None
) -> None:
    inline, app = layer
    answer = request(inline, "GET", {"query": LOOKUP_A, "format": key})
    assert app.seen == [] and answer.status_code == 200
    assert answer.headers["content-type"] == media_type
    if rows is not None:
        assert len(answer.text.strip().splitlines()) == rows + 1  # the header line


def test_ask_is_answered_inline(layer: tuple[InlineLookups, RecordingApp]) -> None:
    inline, app = layer
    yes = request(inline, "GET", {"query": f"ASK {{ <{EX}b> ?p ?o }}"}, headers={"Accept": JSON_RESULTS})
    no = request(inline, "GET", {"query": f"ASK {{ <{EX}c> ?p ?o }}"}, headers={"Accept": JSON_RESULTS})
    assert app.seen == []
    assert yes.json()["boolean"] is True and no.json()["boolean"] is False


@pytest.mark.parametrize(
    ("params", "headers"),
    [
        ({"query": f"SELECT DISTINCT ?p WHERE {{ <{EX}a> ?p ?o }}"}, {}),  # may scan many rows per row
        ({"query": f"SELECT * WHERE {{ <{EX}a> ?p ?o }} OFFSET 2"}, {}),  # skipped rows are scanned
        ({"query": "SELECT ?x WHERE { ?x ?p ?x }"}, {}),  # a filter over a full scan
        ({"query": "SELECT * WHERE { ?s ?p ?o . ?o ?q ?r }"}, {}),  # a join
        ({"query": "SELECT * WHERE { ex:a ?p ?o }"}, {}),  # undeclared prefix: the app's 400 to give
        ({"query": LOOKUP_A, "default-graph-uri": EX + "g"}, {}),  # a dataset of its own
        ({"query": LOOKUP_A, "named-graph-uri": EX + "g"}, {}),
        ({"query": LOOKUP_A}, {"Origin": "http://elsewhere.example"}),  # CORS: the app adds headers
        ({"query": LOOKUP_A}, {"Accept": "text/html"}),  # a browser: the editor
        ({"query": LOOKUP_A, "format": "turtle"}, {}),  # not a results format: the app's 406
        ({"query": LOOKUP_A}, {"Accept": "application/x-unknown"}),
        ({"query": LOOKUP_A, "format": "nonsense"}, {}),
        ({"query": LOOKUP_A, "timeout": "5"}, {}),  # a parameter it does not know
        ({}, {}),  # the service description
    ],
)
def test_it_steps_aside(
    layer: tuple[InlineLookups, RecordingApp], params: dict[str, str], headers: dict[str, str]
) -> None:
    inline, app = layer
    answer = request(inline, "GET", params, headers=headers)
    assert answer.status_code == 299 and len(app.seen) == 1


def test_a_repeated_parameter_goes_to_the_app(layer: tuple[InlineLookups, RecordingApp]) -> None:
    inline, app = layer

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=inline)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/sparql?" + urlencode([("query", LOOKUP_A), ("query", LOOKUP_A)]))

    assert asyncio.run(go()).status_code == 299 and len(app.seen) == 1


@pytest.mark.parametrize(
    ("content_type", "body"),
    [
        ("application/x-www-form-urlencoded", urlencode({"update": "CLEAR ALL"}).encode()),
        ("application/x-www-form-urlencoded", urlencode({"query": LOOKUP_A, "using-graph-uri": EX}).encode()),
        ("application/x-www-form-urlencoded", b"query=%ZZ"),
        ("application/x-www-form-urlencoded", b"query=%FF%FE"),
        ("application/sparql-update", b"CLEAR ALL"),
        ("text/plain", LOOKUP_A.encode()),
        ("application/sparql-query", b"\xff\xfe"),
        ("application/sparql-query", f"SELECT DISTINCT ?p WHERE {{ <{EX}a> ?p ?o }}".encode()),
    ],
)
def test_a_post_it_does_not_take_reaches_the_app_whole(
    layer: tuple[InlineLookups, RecordingApp], content_type: str, body: bytes
) -> None:
    inline, app = layer
    answer = request(inline, "POST", content=body, headers={"Content-Type": content_type})
    assert answer.status_code == 299
    assert app.seen == [("POST", body)]
    assert answer.content == b"app:" + body


def test_a_body_over_the_cap_is_handed_on_as_sent(layer: tuple[InlineLookups, RecordingApp]) -> None:
    inline, app = layer
    padding = " " * (MAX_BODY + 10)
    body = urlencode({"query": LOOKUP_A + padding}).encode()
    chunks = [body[i : i + 4096] for i in range(0, len(body), 4096)]

    async def go() -> list[Message]:
        sent: list[Message] = []
        incoming = [
            {"type": "http.request", "body": c, "more_body": i < len(chunks) - 1}
            for i, c in enumerate(chunks)
        ]

        async def receive() -> Message:
            return incoming.pop(0)

        async def send(message: Message) -> None:
            sent.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": "/sparql",
            "query_string": b"",
            "headers": [(b"content-type", b"application/x-www-form-urlencoded")],  # no length: chunked
        }
        await inline(scope, receive, send)
        return sent

    sent = asyncio.run(go())
    assert sent[0]["status"] == 299
    assert app.seen == [("POST", body)]


def test_more_rows_than_the_budget_go_to_the_app() -> None:
    app = RecordingApp()
    store = small_store()
    inline = InlineLookups(app, store=lambda: store, max_rows=3)
    assert request(inline, "GET", {"query": LOOKUP_A}).status_code == 299  # five rows
    assert request(inline, "GET", {"query": LOOKUP_A + " LIMIT 3"}).status_code == 200
    assert request(inline, "GET", {"query": f"SELECT * WHERE {{ <{EX}b> ?p ?o }}"}).status_code == 200
    assert len(app.seen) == 1


def test_without_a_store_or_budget_everything_goes_to_the_app() -> None:
    app = RecordingApp()
    store = small_store()
    for inline in (
        InlineLookups(app, store=lambda: None, max_rows=1000),
        InlineLookups(app, store=lambda: store, max_rows=0),
    ):
        assert request(inline, "GET", {"query": LOOKUP_A}).status_code == 299
    assert len(app.seen) == 2


# --- the two checks the layer's safety rests on ------------------------------------------------


@given(st.dictionaries(st.sampled_from(["query", "format"]), st.text(max_size=40)))
@settings(max_examples=300, deadline=None)
def test_parameters_parse_as_parse_qsl_does(params: dict[str, str]) -> None:
    raw = urlencode(params).encode()
    assert _parameters(raw) == dict(parse_qsl(raw.decode(), keep_blank_values=True))


@given(st.binary(max_size=60))
@settings(max_examples=300, deadline=None)
def test_parameters_never_disagree_with_parse_qsl(raw: bytes) -> None:
    parsed = _parameters(raw)
    if parsed is not None:  # None: the app parses it
        assert parsed == dict(parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict"))


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


@pytest.mark.parametrize(
    "query",
    [
        "SELECT DISTINCT ?p WHERE { ?s ?p ?o }",
        "SELECT REDUCED ?p WHERE { ?s ?p ?o }",
        "SELECT * WHERE { ?s ?p ?o } OFFSET 1000000",
        "SELECT * WHERE { ?s ?p ?o } LIMIT 1 OFFSET 1000000",
        "SELECT ?s WHERE { ?s ?p $s }",
        "SELECT ?s WHERE { ?s ?s ?o }",
        "SELECT * WHERE { ?s ?p ?o } ORDER BY ?o",
        "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }",
        "SELECT * WHERE { ?s <http://x/p>+ ?o }",
    ],
)
def test_queries_that_may_scan_without_answering_are_not_lookups(query: str) -> None:
    assert lookup_form(query) is None


# --- the same answers as the app, over real HTTP -----------------------------------------------


@pytest.fixture(scope="module")
def app_only(built: object, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    from conftest import start_service

    service = start_service(
        tmp_path_factory.mktemp("no-inline") / "data",
        built.paths.out_dir,  # type: ignore[attr-defined]
        env={"ECONSEC_INLINE_LOOKUP_ROWS": "0"},
    )
    yield service
    service.stop()


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
                r = httpx.post(
                    service.sparql,
                    params={"format": key},
                    content=query.encode(),
                    headers={"Content-Type": "application/sparql-query"},
                    timeout=30,
                )
            answers.append((r.headers["content-type"], _comparable(r, key)))
        assert answers[0] == answers[1], query
