"""Conditional GET (issue 17): every GET answer carries a strong ETag made from the data version and
the request's meaning, a matching ``If-None-Match`` is answered 304 without evaluating anything, and
a write moves the data version so no old tag is honoured after it is acknowledged.

Real services on loopback: the session build served writable (embedded store), and served over
``oxigraph serve`` (remote mode), each written to through the service.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from conftest import WRITE_TOKEN, BuildResult, RunningService, start_service
from test_remote_store import StoreServer, _start_oxigraph, publish

TOKEN = WRITE_TOKEN  # the token of the `writable` service (tests/conftest.py)
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
JSON = "application/sparql-results+json"
TEST_GRAPH = "https://example.org/test/conditional"
NOTE = "http://www.w3.org/2000/01/rdf-schema#comment"
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/econsec/id/country/japan> ?p ?o }"
COUNT_NOTES = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{TEST_GRAPH}> {{ ?s <{NOTE}> ?o }} }}"

#: one GET of each kind the service answers: (path, query parameters, Accept)
READS = [
    ("/sparql", {"query": LOOKUP}, JSON),
    ("/sparql", {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?c }"}, JSON),
    ("/queries/entity-lookup", {}, "application/json"),
    ("/id/country/japan", {}, "text/turtle"),
    ("/id/country/japan", {}, "text/html"),
    ("/graph/brookings-2022", {}, "application/n-triples"),
    ("/.well-known/void", {}, "text/turtle"),
    ("/", {}, "text/html"),
    ("/sparql", {}, "text/turtle"),  # the service description
]


def _get(
    service: RunningService, path: str, params: dict[str, str], accept: str, **headers: str
) -> httpx.Response:
    return httpx.get(service.base + path, params=params, headers={"Accept": accept, **headers}, timeout=60)


def _update(service: RunningService, text: str) -> None:
    response = httpx.post(service.sparql, content=text.encode(), headers=AUTH, timeout=60)
    assert response.status_code == 200, response.text


def _notes(service: RunningService, **headers: str) -> httpx.Response:
    return _get(service, "/sparql", {"query": COUNT_NOTES}, JSON, **headers)


def _count(response: httpx.Response) -> int:
    return int(response.json()["results"]["bindings"][0]["n"]["value"])


@pytest.mark.parametrize(("path", "params", "accept"), READS)
def test_a_repeated_get_with_its_etag_is_answered_304(
    writable: RunningService, path: str, params: dict[str, str], accept: str
) -> None:
    first = _get(writable, path, params, accept)
    assert first.status_code == 200, first.text
    tag = first.headers["etag"]
    assert tag.startswith('"') and tag.endswith('"'), "a strong validator (no W/ prefix)"
    assert "must-revalidate" in first.headers["cache-control"]
    assert first.headers["x-data-version"] == writable.health()["data_version"]
    vary = {v.strip().lower() for v in first.headers["vary"].split(",")}
    assert {"accept", "accept-language"} <= vary, "Vary names every header the tag depends on"

    again = _get(writable, path, params, accept, **{"If-None-Match": tag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == tag

    plain = _get(writable, path, params, accept)
    assert plain.status_code == 200 and plain.headers["etag"] == tag, "same request, same data: same tag"


def test_a_304_evaluates_nothing(writable: RunningService) -> None:
    first = _notes(writable)
    before = writable.health()
    for _ in range(5):
        assert _notes(writable, **{"If-None-Match": first.headers["etag"]}).status_code == 304
    after = writable.health()
    assert after["queries"]["answered"] == before["queries"]["answered"]
    cache_before, cache_after = before["result_cache"], after["result_cache"]
    assert (cache_after["hits"], cache_after["misses"]) == (cache_before["hits"], cache_before["misses"])


def test_the_tag_depends_on_the_negotiated_representation(writable: RunningService) -> None:
    as_json = _get(writable, "/id/country/japan", {}, "text/turtle")
    as_page = _get(writable, "/id/country/japan", {}, "text/html")
    assert as_json.headers["etag"] != as_page.headers["etag"]
    other_tag = _get(
        writable, "/id/country/japan", {}, "text/html", **{"If-None-Match": as_json.headers["etag"]}
    )
    assert other_tag.status_code == 200, "a tag of another representation is no match"
    in_list = _get(
        writable,
        "/id/country/japan",
        {},
        "text/turtle",
        **{"If-None-Match": f'"x", {as_json.headers["etag"]}'},
    )
    assert in_list.status_code == 304, "If-None-Match may list several tags"


def test_a_write_moves_the_version_and_old_tags_stop_matching(writable: RunningService) -> None:
    before = _notes(writable)
    version = writable.health()["data_version"]
    _update(writable, f'INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{TEST_GRAPH}#a> <{NOTE}> "one" }} }}')
    assert writable.health()["data_version"] != version

    after = _notes(writable, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200, "the old tag describes data from before the write"
    assert after.headers["etag"] != before.headers["etag"]
    assert after.headers["x-data-version"] != before.headers["x-data-version"]
    assert _count(after) == _count(before) + 1


def test_graph_store_writes_move_the_version_too(writable: RunningService) -> None:
    url = writable.base + "/rdf-graphs"
    graph = TEST_GRAPH + "/gsp"
    first = httpx.get(url, params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=60)
    put = httpx.put(
        url,
        params={"graph": graph},
        content=f'<{graph}#a> <{NOTE}> "gsp" .'.encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "text/turtle"},
        timeout=60,
    )
    assert put.status_code in (200, 201, 204), put.text
    tag = first.headers.get("etag", '"none"')
    second = httpx.get(
        url, params={"graph": graph}, headers={"Accept": "text/turtle", "If-None-Match": tag}, timeout=60
    )
    assert second.status_code == 200 and "gsp" in second.text


def test_answers_that_must_not_be_reused_carry_no_tag(writable: RunningService) -> None:
    for query in (
        "SELECT (RAND() AS ?r) WHERE {}",
        "SELECT (NOW() AS ?t) WHERE {}",
        "SELECT (STRUUID() AS ?u) WHERE {}",
        "SELECT ?b WHERE { BIND(BNODE() AS ?b) }",
    ):
        response = _get(writable, "/sparql", {"query": query}, JSON)
        assert response.status_code == 200, response.text
        assert "etag" not in response.headers, query
        assert response.headers["cache-control"] == "no-store", query
    health = httpx.get(writable.base + "/health", timeout=30)
    assert "etag" not in health.headers, "/health describes the process, not the data"


def test_errors_and_posts_are_not_validated(writable: RunningService) -> None:
    bad = _get(writable, "/sparql", {"query": "SELECT ?x WHERE { ?x }"}, JSON)
    assert bad.status_code == 400 and "etag" not in bad.headers
    missing = _get(writable, "/id/country/no-such-country", {}, "text/turtle")
    assert missing.status_code == 404 and "etag" not in missing.headers
    post = httpx.post(writable.sparql, data={"query": LOOKUP}, headers={"Accept": JSON}, timeout=60)
    assert post.status_code == 200 and "etag" not in post.headers


# --- remote mode: oxigraph serve behind the service --------------------------------------------


@pytest.fixture(scope="module")
def remote_writable(
    built: BuildResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[StoreServer, RunningService]]:
    for server in _start_oxigraph(tmp_path_factory):
        publish(server, built.paths.out_dir)
        env = {
            "ECONSEC_STORE_QUERY": server.query,
            "ECONSEC_STORE_UPDATE": server.update,
            "ECONSEC_UPDATE_TOKEN": TOKEN,
        }
        service = start_service(
            tmp_path_factory.mktemp("remote-conditional") / "data", built.paths.out_dir, env
        )
        yield server, service
        service.stop()


def test_remote_mode_writes_through_the_service_invalidate(
    remote_writable: tuple[StoreServer, RunningService],
) -> None:
    _server, service = remote_writable
    before = _notes(service)
    assert before.status_code == 200, before.text
    assert _notes(service, **{"If-None-Match": before.headers["etag"]}).status_code == 304
    _update(service, f'INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{TEST_GRAPH}#r> <{NOTE}> "remote" }} }}')
    after = _notes(service, **{"If-None-Match": before.headers["etag"]})
    assert after.status_code == 200
    assert _count(after) == _count(before) + 1


def test_remote_mode_direct_writes_are_not_seen_until_the_version_moves(
    remote_writable: tuple[StoreServer, RunningService],
) -> None:
    """A write made on the engine itself bypasses the service: the documented limit (README,
    "Caching"). Clients revalidate after max-age and still get the old answer until a write through
    the service, or a restart, moves the version; this test pins that behaviour down."""
    server, service = remote_writable
    before = _notes(service)
    direct = httpx.post(
        server.update,
        content=f'INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{TEST_GRAPH}#d> <{NOTE}> "direct" }} }}'.encode(),
        headers={"Content-Type": "application/sparql-update"},
        timeout=60,
    )
    assert direct.status_code in (200, 204), direct.text
    assert _count(_notes(service)) == _count(before), "answered from the result cache"
    _update(service, f'INSERT DATA {{ GRAPH <{TEST_GRAPH}> {{ <{TEST_GRAPH}#s> <{NOTE}> "via" }} }}')
    assert _count(_notes(service)) == _count(before) + 2, "the service's own write brings both in"
