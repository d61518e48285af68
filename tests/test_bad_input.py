"""Bad input on every entry point: the right 4xx with a message, the server up, the store unchanged.

One writable service for the module; before and after each refused request the whole store is
dumped (every quad, named graphs and default graph, sorted) and compared. The Graph Store
``graph=`` value is also attacked with generated strings (quotes, braces, newlines, comment
markers, query fragments): each is refused, or accepted as exactly the IRI that was sent.
"""

from __future__ import annotations

from urllib.parse import quote

import httpx
import pytest
from conftest import RunningService, module_service
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_update import AUTH, EX, TOKEN, dump

TTL = "text/turtle"
GOOD = f"<{EX}s> <{EX}p> <{EX}o> ."


service = module_service("bad-input", {"ECONSEC_UPDATE_TOKEN": TOKEN})


def _gsp(service: RunningService, method: str, graph: str, body: bytes, content_type: str) -> httpx.Response:
    headers = {"Content-Type": content_type, **AUTH}
    return httpx.request(
        method,
        service.base + "/rdf-graphs",
        params={"graph": graph},
        content=body,
        headers=headers,
        timeout=60,
    )


BODIES = [
    ("turtle", TTL, b'@prefix ex: <https://example.org/> .\nex:a ex:p "open', "line"),
    ("n-triples", "application/n-triples", b"<https://example.org/a> <https://example.org/p> .", "column"),
    (
        "rdf/xml",
        "application/rdf+xml",
        b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><rdf:Desc",
        "",
    ),
    ("json-ld", "application/ld+json", b'{"@id": "https://example.org/a", "https://example.org/p": ', ""),
    ("json-ld not an object", "application/ld+json", b"[1, 2", ""),
    ("invalid utf-8", TTL, b'<https://example.org/a> <https://example.org/p> "\xff\xfe" .', ""),
    ("trig is not a graph body", "application/trig", GOOD.encode(), "text/turtle"),
    ("n-quads is not a graph body", "application/n-quads", GOOD.encode(), "text/turtle"),
    ("no content type", "", GOOD.encode(), "text/turtle"),
    ("a form", "application/x-www-form-urlencoded", b"a=b", "text/turtle"),
]


@pytest.mark.parametrize(("name", "content_type", "body", "words"), BODIES, ids=[b[0] for b in BODIES])
@pytest.mark.parametrize("method", ["PUT", "POST"])
def test_a_malformed_graph_store_body_is_refused_and_changes_nothing(
    service: RunningService, method: str, name: str, content_type: str, body: bytes, words: str
) -> None:
    before = dump(service)
    response = _gsp(service, method, EX + "bad-input", body, content_type)
    assert response.status_code in (400, 415), f"{name}: {response.status_code} {response.text}"
    assert response.text.strip() and words.lower() in response.text.lower()
    assert dump(service) == before


QUERIES = [
    ("empty query", {"query": ""}, 400),
    ("malformed query", {"query": "SELECT * WHERE { ?s ?p }"}, 400),
    ("unknown function", {"query": "SELECT (<urn:nope>(1) AS ?x) WHERE {}"}, 400),
    ("bad graph uri", {"query": "ASK {}", "default-graph-uri": "not an iri"}, 400),
    ("both query and update", {"query": "ASK {}", "update": "CLEAR ALL"}, 400),
]


@pytest.mark.parametrize(("name", "form", "status"), QUERIES, ids=[q[0] for q in QUERIES])
def test_a_bad_query_request_is_refused_with_a_message(
    service: RunningService, name: str, form: dict[str, str], status: int
) -> None:
    response = httpx.post(service.sparql, data=form, timeout=60)
    assert response.status_code == status, f"{name}: {response.text}"
    assert response.text.strip()


@pytest.mark.parametrize(
    ("name", "body", "content_type"),
    [
        ("invalid utf-8 query", b'SELECT * WHERE { ?s ?p "\xff" }', "application/sparql-query"),
        (
            "invalid utf-8 update",
            b'INSERT DATA { GRAPH <https://example.org/g> { <a:b> <a:c> "\xff" } }',
            "application/sparql-update",
        ),
        ("empty update", b"", "application/sparql-update"),
        (
            "malformed update",
            b"INSERT DATA { GRAPH <https://example.org/g> { <a:b> <a:c> } }",
            "application/sparql-update",
        ),
    ],
)
def test_bad_bodies_on_the_sparql_endpoint_are_400_and_change_nothing(
    service: RunningService, name: str, body: bytes, content_type: str
) -> None:
    before = dump(service)
    response = httpx.post(
        service.sparql, content=body, headers={"Content-Type": content_type, **AUTH}, timeout=60
    )
    assert response.status_code == 400, f"{name}: {response.status_code} {response.text}"
    assert response.text.strip()
    assert dump(service) == before


def test_an_unknown_graph_is_404_and_an_unknown_path_too(service: RunningService) -> None:
    response = httpx.get(service.base + "/rdf-graphs", params={"graph": EX + "never-written"}, timeout=30)
    assert response.status_code == 404 and response.text.strip()
    assert httpx.get(service.base + "/id/country/atlantis", timeout=30).status_code == 404
    assert httpx.get(service.base + "/queries/no-such-query", timeout=30).status_code == 404


HOSTILE = st.lists(
    st.sampled_from(
        [*"\"'{}<>\\#;. \n\r\t|^`", "} ; DROP ALL ; {", "#", "?", "/", "%", "\u00e9", "x", "SELECT"]
    ),
    min_size=1,
    max_size=12,
).map("".join)


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(tail=HOSTILE)
def test_hostile_graph_names_are_refused_or_taken_literally(service: RunningService, tail: str) -> None:
    graph = EX + "g/" + tail
    before = dump(service)
    response = _gsp(service, "PUT", graph, GOOD.encode(), TTL)
    if response.status_code in (201, 204):
        # accepted: then it is exactly the graph that was named, holding exactly the one triple
        listing = httpx.get(
            service.base + "/rdf-graphs",
            params={"graph": graph},
            headers={"Accept": "application/n-triples"},
            timeout=30,
        )
        assert listing.status_code == 200 and listing.text.strip() == GOOD
        assert _gsp(service, "DELETE", graph, b"", TTL).status_code in (200, 204)
    else:
        assert response.status_code == 400, f"{quote(graph)}: {response.status_code} {response.text}"
        assert "graph" in response.text.lower()
    assert dump(service) == before
