"""The result cache (issue 17): answers reused until the data changes, never one that must not be.

The cache class itself first (the byte bound, least-recently-used order, one data version at a
time), then real services on loopback: layout variants of one query share an entry, queries that
must not be reused are never stored, truncated answers are not kept, and reads interleaved with
writes never return data older than the last acknowledged write. Last, the data version is one
for all serving processes (``--workers 2``, and a second process mapping the same file).
"""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

import httpx
import pytest
from conftest import WRITE_TOKEN, BuildResult, RunningService, start_service
from econsec.service.execution.result_cache import ENTRY_OVERHEAD, CachedAnswer, ResultCache
from econsec.service.sparql.query_shape import read_query
from econsec.service.store.version import DataVersion

TOKEN = WRITE_TOKEN  # the token of the `writable` service (tests/conftest.py)
AUTH = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/sparql-update"}
JSON = "application/sparql-results+json"
NOTE = "http://www.w3.org/2000/01/rdf-schema#comment"
JAPAN = "https://w3id.org/econsec/id/country/japan"
LOOKUP = f"SELECT ?p ?o WHERE {{ <{JAPAN}> ?p ?o }}"


def _answer(size: int) -> CachedAnswer:
    return CachedAnswer(b"x" * size, "text/plain")


# --- the cache on its own -------------------------------------------------------------------


def test_the_byte_bound_evicts_the_least_recently_used() -> None:
    key = ("q",)
    entry = 1000 + len("a") + len("q") + ENTRY_OVERHEAD  # what one entry counts
    cache = ResultCache(max_bytes=3 * entry)
    assert cache.get("v1", ("a", "q")) is None
    for name in "abc":
        assert cache.put("v1", (name, *key), _answer(1000))
    assert cache.get("v1", ("a", "q")) is not None  # a is now the most recently used
    assert cache.put("v1", ("d", "q"), _answer(1000))
    counts = cache.counts()
    assert counts.entries == 3 and counts.bytes <= cache.max_bytes
    assert cache.get("v1", ("b", "q")) is None, "b was the least recently used"
    assert cache.get("v1", ("a", "q")) is not None


def test_an_answer_larger_than_the_budget_is_not_kept() -> None:
    cache = ResultCache(max_bytes=10_000)
    cache.get("v1", ("small",))
    assert cache.put("v1", ("small",), _answer(100))
    assert not cache.put("v1", ("big",), _answer(10_000))
    assert cache.get("v1", ("small",)) is not None, "a refused answer evicts nothing"
    assert cache.counts().bytes <= 10_000


def test_hits_and_misses_are_counted() -> None:
    cache = ResultCache(max_bytes=1 << 20)
    assert cache.get("v1", ("q",)) is None
    cache.put("v1", ("q",), _answer(10))
    assert cache.get("v1", ("q",)) == _answer(10)
    assert cache.get("v1", ("q",)) == _answer(10)
    counts = cache.counts()
    assert (counts.hits, counts.misses, counts.entries) == (2, 1, 1)


def test_a_new_version_empties_the_cache_and_refuses_older_answers() -> None:
    cache = ResultCache(max_bytes=1 << 20)
    cache.get("v1", ("q",))
    cache.put("v1", ("q",), _answer(10))
    assert cache.get("v2", ("q",)) is None, "an answer from before the write is never returned after it"
    assert cache.counts().entries == 0
    assert not cache.put("v1", ("q",), _answer(10)), "evaluated before the write: dropped"
    assert cache.get("v2", ("q",)) is None


def test_layout_variants_share_a_key_and_unrepeatable_queries_have_none() -> None:
    base = read_query(LOOKUP)
    commented = read_query(f"# n 17\nSELECT ?p ?o\n  WHERE {{\n <{JAPAN}> ?p ?o # why\n}}")
    assert base.key is not None and base.key == commented.key
    assert commented.shape is not None and commented.shape.lookup, "a comment keeps the fast path"
    prefixed = read_query(
        "PREFIX c: <https://w3id.org/econsec/id/country/>\nSELECT ?p ?o WHERE { c:japan ?p ?o }"
    )
    assert prefixed.shape is not None and prefixed.shape.lookup
    assert (
        read_query("SELECT ?o WHERE { ?s ?p ?o } LIMIT 2").key
        != read_query("SELECT ?o WHERE { ?s ?p ?o } LIMIT 3").key
    )
    assert (
        read_query('SELECT ?s WHERE { ?s ?p "a b" }').key
        != read_query('SELECT ?s WHERE { ?s ?p "a  b" }').key
    )
    for word in ("RAND()", "now()", "UUID()", "STRUUID()", "BNODE()"):
        assert read_query(f"SELECT ({word} AS ?x) WHERE {{}}").key is None, word
    assert read_query("SELECT * WHERE { SERVICE <http://example.org/sparql> { ?s ?p ?o } }").key is None
    assert read_query('SELECT * WHERE { ?s ?p "RAND()" }').key is not None, "a word in a string is no call"


# --- the cache in a running service ------------------------------------------------------------


def _post(service: RunningService, query: str) -> httpx.Response:
    response = httpx.post(service.sparql, data={"query": query}, headers={"Accept": JSON}, timeout=60)
    assert response.status_code == 200, response.text
    return response


def _cache(service: RunningService) -> dict:
    return service.health()["result_cache"]


def test_layout_variants_are_answered_from_one_entry(writable: RunningService) -> None:
    first = _post(writable, LOOKUP)
    before = _cache(writable)
    on_loop = writable.health()["queries"]["answered_on_loop"]
    for n in range(5):
        again = _post(writable, f"# n {n}\nSELECT ?p ?o\nWHERE {{\n  <{JAPAN}>   ?p ?o\n}}")
        assert again.content == first.content
    after = _cache(writable)
    assert after["hits"] == before["hits"] + 5
    assert after["entries"] == before["entries"]
    assert writable.health()["queries"]["answered_on_loop"] == on_loop, "hits evaluate nothing"


@pytest.mark.parametrize(
    ("path", "accept"),
    [("/queries/entity-lookup", "application/json"), ("/id/country/japan", "text/html"), ("/", "text/html")],
)
def test_get_answers_of_every_route_are_sent_again_without_evaluation(
    writable: RunningService, path: str, accept: str
) -> None:
    first = httpx.get(writable.base + path, headers={"Accept": accept}, timeout=60)
    assert first.status_code == 200, first.text
    before = writable.health()
    again = httpx.get(writable.base + path, headers={"Accept": accept}, timeout=60)
    after = writable.health()
    assert again.content == first.content
    assert again.headers["etag"] == first.headers["etag"]
    assert again.headers["content-type"] == first.headers["content-type"]
    assert after["result_cache"]["hits"] == before["result_cache"]["hits"] + 1
    assert after["queries"]["answered"] == before["queries"]["answered"], "nothing was evaluated"


def test_a_commented_lookup_takes_the_fast_path_when_not_cached(writable: RunningService) -> None:
    before = writable.health()["queries"]["answered_on_loop"]
    _post(
        writable,
        f"# a comment\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?l WHERE {{ <{JAPAN}> rdfs:label ?l }}",
    )
    assert writable.health()["queries"]["answered_on_loop"] == before + 1


def test_unrepeatable_queries_are_never_stored(writable: RunningService) -> None:
    before = _cache(writable)
    seen = {
        _post(writable, "SELECT (STRUUID() AS ?u) WHERE {}").json()["results"]["bindings"][0]["u"]["value"]
        for _ in range(3)
    }
    assert len(seen) == 3, "each request evaluated afresh"
    after = _cache(writable)
    assert (after["entries"], after["hits"], after["misses"]) == (
        before["entries"],
        before["hits"],
        before["misses"],
    )


def test_truncated_answers_are_not_kept(built: BuildResult, tmp_path: Path) -> None:
    service = start_service(tmp_path / "data", built.paths.out_dir, {"ECONSEC_RESULT_LIMIT": "5"})
    try:
        query = "SELECT ?s WHERE { ?s a ?c }"
        for _ in range(2):
            response = _post(service, query)
            assert response.headers.get("econsec-result-truncated") == "5"
        counts = _cache(service)
        assert counts["entries"] == 0 and counts["hits"] == 0 and counts["misses"] == 2
    finally:
        service.stop()


def test_the_service_keeps_to_its_byte_budget(built: BuildResult, tmp_path: Path) -> None:
    budget = 20_000
    service = start_service(
        tmp_path / "data", built.paths.out_dir, {"ECONSEC_RESULT_CACHE_BYTES": str(budget)}
    )
    try:
        sizes = [
            len(_post(service, f"SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }} LIMIT {n}").content)
            for n in (10, 40, 80, 120)
        ]
        assert sum(sizes) > budget, "the answers together exceed the budget"
        counts = _cache(service)
        assert counts["max_bytes"] == budget
        assert 0 < counts["bytes"] <= budget
        assert counts["entries"] < 4, "the least recently used answers were evicted"
        too_big = _post(service, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } LIMIT 2000")
        assert len(too_big.content) > budget
        assert _cache(service)["bytes"] <= budget
    finally:
        service.stop()


def test_reads_interleaved_with_writes_never_see_data_older_than_the_last_acknowledged_write(
    writable: RunningService,
) -> None:
    """One writer adds a note at a time; readers ask, over and over, how many notes there are, by
    the three paths a query can take (a lookup on the event loop, an aggregate in a worker process,
    a GET) and in several layouts (so they share cache entries). Every answer must count at least
    the notes whose write was acknowledged before the read was sent."""
    subject = "https://example.org/test/interleaved#it"
    graph = "https://example.org/test/interleaved"
    queries = [
        ("post", f"SELECT ?o WHERE {{ <{subject}> <{NOTE}> ?o }}"),
        ("post", f"# layout\nSELECT ?o\nWHERE {{ <{subject}> <{NOTE}> ?o }}"),
        ("post", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s <{NOTE}> ?o }} }}"),
        ("get", f"SELECT ?o WHERE {{ <{subject}> <{NOTE}> ?o }}"),
        ("get", f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s <{NOTE}> ?o }} }}"),
    ]
    acknowledged = 0
    stale: list[str] = []
    reads = 0
    done = threading.Event()

    def count(response: httpx.Response) -> int:
        rows = response.json()["results"]["bindings"]
        return int(rows[0]["n"]["value"]) if rows and "n" in rows[0] else len(rows)

    def reader(offset: int) -> None:
        nonlocal reads
        with httpx.Client(timeout=60) as client:
            i = offset
            while not done.is_set():
                method, query = queries[i % len(queries)]
                i += 1
                known = acknowledged
                if method == "post":
                    response = client.post(writable.sparql, data={"query": query}, headers={"Accept": JSON})
                else:
                    response = client.get(writable.sparql, params={"query": query}, headers={"Accept": JSON})
                assert response.status_code == 200, response.text
                seen = count(response)
                reads += 1
                if seen < known:
                    stale.append(f"{method} {query!r}: {seen} notes after {known} acknowledged writes")

    readers = [threading.Thread(target=reader, args=(n,)) for n in range(3)]
    for thread in readers:
        thread.start()
    try:
        with httpx.Client(timeout=60) as client:
            for n in range(12):
                text = f'INSERT DATA {{ GRAPH <{graph}> {{ <{subject}> <{NOTE}> "note {n}" }} }}'
                response = client.post(writable.sparql, content=text.encode(), headers=AUTH)
                assert response.status_code == 200, response.text
                acknowledged = n + 1
                for method, query in queries:  # right after the acknowledgement, by every path
                    if method == "post":
                        answer = client.post(writable.sparql, data={"query": query}, headers={"Accept": JSON})
                    else:
                        answer = client.get(
                            writable.sparql, params={"query": query}, headers={"Accept": JSON}
                        )
                    if count(answer) < acknowledged:
                        stale.append(f"{method} {query!r} right after write {acknowledged}: {count(answer)}")
    finally:
        done.set()
        for thread in readers:
            thread.join(timeout=120)
    assert not stale, stale[:5]
    assert reads > 0
    assert _cache(writable)["hits"] > 0, "the cache was in play"


# --- one version for every serving process ------------------------------------------------------


def test_a_second_process_sees_the_version_move(tmp_path: Path) -> None:
    version = DataVersion(tmp_path / "data-version", "release")
    before = version.tag
    script = (
        "import sys; from pathlib import Path; from econsec.service.store.version import DataVersion; "
        "print(DataVersion(Path(sys.argv[1]), 'release').bump())"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "data-version")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 1
    assert version.counter == 1 and version.tag != before
    assert DataVersion(tmp_path / "data-version", "another release").tag != version.tag, (
        "a new build, a new version"
    )


def test_two_serving_processes_share_the_version_and_the_tags(built: BuildResult, tmp_path: Path) -> None:
    service = start_service(tmp_path / "data", built.paths.out_dir, {"ECONSEC_WORKERS": "2"})
    try:
        processes: dict[int, str] = {}
        for _ in range(200):  # a connection each: the processes take turns accepting
            health = httpx.get(service.base + "/health", timeout=30).json()
            processes[health["process"]] = health["data_version"]
            if len(processes) == 2:
                break
        assert len(processes) == 2, "both processes answered"
        assert len(set(processes.values())) == 1, processes
        first = httpx.get(service.sparql, params={"query": LOOKUP}, headers={"Accept": JSON}, timeout=30)
        statuses = set()
        for _ in range(40):
            again = httpx.get(
                service.sparql,
                params={"query": LOOKUP},
                headers={"Accept": JSON, "If-None-Match": first.headers["etag"]},
                timeout=30,
            )
            statuses.add(again.status_code)
            assert again.headers["etag"] == first.headers["etag"]
        assert statuses == {304}, "every process honours the tag another one issued"
    finally:
        service.stop()
