"""Remote mode against two real engines: publish the build, serve it, get the same answers.

Every test here runs on both stores: ``oxigraph serve`` (the Oxigraph server from the ``oxigraph``
package, the same engine as the embedded store) and OpenLink Virtuoso 7 (the session's
``virtuoso`` fixture in conftest.py, a different engine with a different idea of the default
graph, of blank nodes and of request sizes). ``econsec publish`` fills each with SPARQL Update
only, and ``econsec serve --store-query`` puts the service in front of it. Answers are compared
with the embedded store's, saved query by saved query, so the backends are held to one behaviour.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import BuildResult, RunningService, VirtuosoServer, start_service
from econsec.queries import catalogue
from econsec.service.errors import BadRequest, QuerySyntaxError, StoreError
from econsec.service.store.base import WriteDelta
from econsec.service.store.binding import bind_values, outer_group_start
from econsec.service.store.remote import RemoteStore, read_query, union_graph, void_graph
from econsec.service.write.overlay import Overlay
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from SPARQLWrapper import JSON, SPARQLWrapper

from bench.servers import econsec_command, free_port

BASE = "https://w3id.org/econsec/"
OXIGRAPH = shutil.which("oxigraph", path=str(Path(sys.executable).parent)) or shutil.which("oxigraph")


@dataclass
class StoreServer:
    """A SPARQL store the tests publish to: its endpoints, and how to ask its default graph."""

    name: str
    query: str
    update: str
    #: protocol parameters that make a direct query see the default graph the service serves
    default_graph: dict[str, str]


def _start_oxigraph(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StoreServer]:
    if OXIGRAPH is None:
        pytest.fail("the oxigraph server binary is missing: install the dev extras (pip install -e '.[dev]')")
    port = free_port()
    location = tmp_path_factory.mktemp("oxigraph-server")
    command = [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    server = StoreServer("oxigraph", url + "/query", url + "/update", {})
    for _ in range(300):
        try:
            if httpx.get(server.query, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("oxigraph serve did not start")
    yield server
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def store_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StoreServer]:
    """Each engine in turn: a fresh ``oxigraph serve``, or the session's Virtuoso."""
    if request.param == "oxigraph":
        yield from _start_oxigraph(tmp_path_factory)
        return
    virtuoso: VirtuosoServer = request.getfixturevalue("virtuoso")
    yield StoreServer("virtuoso", virtuoso.query, virtuoso.update, {"default-graph-uri": union_graph(BASE)})


def _econsec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(econsec_command(*args), capture_output=True, text=True, timeout=600)


def publish(server: StoreServer, build_dir: Path) -> subprocess.CompletedProcess[str]:
    """``econsec publish`` of the build into ``server`` (queried and updated there), which must succeed."""
    done = _econsec(
        "publish",
        "--store-update",
        server.update,
        "--store-query",
        server.query,
        "--build-dir",
        str(build_dir),
    )
    assert done.returncode == 0, done.stderr + done.stdout
    return done


@pytest.fixture(scope="module")
def published(store_server: StoreServer, built: BuildResult) -> subprocess.CompletedProcess[str]:
    return publish(store_server, built.paths.out_dir)


@pytest.fixture(scope="module")
def remote(store_server: StoreServer, published: object) -> RemoteStore:
    return RemoteStore.open(store_server.query, store_server.update, timeout=60, public_base=BASE)


@pytest.fixture(scope="module")
def remote_service(
    store_server: StoreServer, published: object, built: BuildResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    env = {"ECONSEC_STORE_QUERY": store_server.query, "ECONSEC_STORE_UPDATE": store_server.update}
    service = start_service(tmp_path_factory.mktemp("remote") / "data", built.paths.out_dir, env)
    yield service
    service.stop()


def _cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | None) -> str | None:
    """A comparable cell; GROUP_CONCAT lists ("a; b") have no defined order, so they are sorted
    (keeping the literal's language tag or datatype, which must agree too)."""
    if term is None:
        return None
    if isinstance(term, ox.Literal) and "; " in term.value:
        listed = "; ".join(sorted(term.value.split("; ")))
        if term.language:
            return str(ox.Literal(listed, language=term.language))
        return str(ox.Literal(listed, datatype=term.datatype))
    return str(term)


def _rows(solutions: object) -> set[tuple[str | None, ...]]:
    return {tuple(_cell(term) for term in solution) for solution in solutions}  # type: ignore[attr-defined]


# --- publishing ------------------------------------------------------------------------------


def test_publish_writes_every_named_graph_and_the_void_graph(remote: RemoteStore, built: BuildResult) -> None:
    expected = sorted({*built.graphs, void_graph(BASE)})
    assert remote.named_graphs() == expected
    for graph in built.graphs:
        assert remote.triple_count(graph) == built.graphs[graph]


def test_the_default_graph_is_the_set_union(remote: RemoteStore, built_store: ox.Store) -> None:
    distinct = next(
        iter(
            built_store.query(
                "SELECT (COUNT(*) AS ?n) { SELECT DISTINCT ?s ?p ?o { GRAPH ?g { ?s ?p ?o } } }"
            )
        )
    )
    void_triples = remote.triple_count(void_graph(BASE))
    assert remote.triple_count() == int(distinct["n"].value) + void_triples
    # each triple once, even a triple two graphs state (a bag would double it)
    twice = remote.query(
        "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o FILTER(?s = <https://w3id.org/econsec/id/country/japan>) }"
    )
    once = remote.query(
        "SELECT (COUNT(*) AS ?n) WHERE { SELECT DISTINCT ?s ?p ?o WHERE "
        "{ ?s ?p ?o FILTER(?s = <https://w3id.org/econsec/id/country/japan>) } }"
    )
    assert next(twice.solutions)["n"] == next(once.solutions)["n"]  # type: ignore[arg-type, index]


def test_the_release_id_comes_from_the_store(remote: RemoteStore, built: BuildResult) -> None:
    assert remote.build_id == built.build_id
    assert remote.loaded_at is not None


def test_publishing_again_replaces_rather_than_duplicates(
    store_server: StoreServer, built: BuildResult, remote: RemoteStore
) -> None:
    before = remote.triple_count()
    done = _econsec("publish", "--store-update", store_server.update, "--build-dir", str(built.paths.out_dir))
    assert done.returncode == 0, done.stderr
    fresh = RemoteStore(store_server.query, timeout=60, public_base=BASE)
    assert fresh.triple_count() == before


# --- same answers as the embedded store ------------------------------------------------------

SAVED = sorted(catalogue.load().values(), key=lambda q: q.name)


@pytest.mark.parametrize("query", SAVED, ids=[q.name for q in SAVED])
def test_every_saved_query_answers_the_same_remotely(
    query: catalogue.SavedQuery, remote: RemoteStore, built_store: ox.Store
) -> None:
    bound = query.substitutions()
    local = built_store.query(query.text, substitutions=bound, use_default_graph_as_union=True)
    answer = remote.query(query.text, substitutions={v.value: t for v, t in bound.items()})
    assert answer.solutions is not None
    expected = _rows(local)
    assert expected, f"{query.name} has no answer on the embedded store"
    assert _rows(answer.solutions) == expected


JAPAN = "<https://w3id.org/econsec/id/country/japan>"
#: queries Virtuoso 7.2.5 answers in its own way; the backend gives the answer SPARQL 1.1 defines
STANDARD_ANSWERS = {
    "a grouped concatenation over unbound values is unbound": (
        f'SELECT ?s (GROUP_CONCAT(?o; separator="; ") AS ?all) '
        f"WHERE {{ VALUES ?s {{ {JAPAN} <urn:x-test:nobody> }} OPTIONAL {{ ?s <urn:x-test:no-such-property> ?o }} }} "
        "GROUP BY ?s"
    ),
    "a concatenation over no row at all is the empty string": (
        "SELECT (GROUP_CONCAT(?o) AS ?all) WHERE { ?s <urn:x-test:no-such-property> ?o }"
    ),
    "an existence test is a boolean": (
        f"SELECT ?s ?held ?missing WHERE {{ VALUES ?s {{ {JAPAN} <urn:x-test:nobody> }} "
        "BIND (EXISTS { ?s ?p ?o } AS ?held) BIND (NOT EXISTS { ?s ?p ?o } AS ?missing) }"
    ),
    "a graph the store lacks is empty": "ASK { GRAPH <https://example.org/no-such-graph> { ?s ?p ?o } }",
    "a graph the store lacks has no triple to count": (
        "PREFIX none: <https://example.org/no-such-> SELECT (COUNT(*) AS ?n) { GRAPH none:graph { ?s ?p ?o } }"
    ),
}


def _terms(solutions: object) -> set[tuple[str | None, ...]]:
    """Rows with every term written out in full: a datatype or a missing cell counts."""
    return {tuple(None if t is None else str(t) for t in solution) for solution in solutions}  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", sorted(STANDARD_ANSWERS))
def test_answers_come_back_as_the_standard_defines_them(
    rule: str, remote: RemoteStore, built_store: ox.Store
) -> None:
    text = STANDARD_ANSWERS[rule]
    local = built_store.query(text, use_default_graph_as_union=True)
    answer = remote.query(text)
    if isinstance(local, ox.QueryBoolean):
        assert answer.boolean is bool(local), rule
        return
    assert answer.solutions is not None
    assert _terms(answer.solutions) == _terms(local), rule


def test_the_reading_finds_variables_a_concatenation_or_an_existence_test_binds() -> None:
    reading = read_query(
        'SELECT * { { SELECT ?y (GROUP_CONCAT(DISTINCT STR(?x); separator=")") AS ?c) WHERE { ?x ?p ?y } '
        "GROUP BY ?y } BIND (NOT EXISTS { ?y ?p ?q } AS ?e) BIND (EXISTS { ?a ?b ?c } && true AS ?f) }"
    )
    assert reading.concatenated == {"c"}
    assert reading.existence_tests == {"e"}  # ?f is bound by a larger expression: left as it is
    ungrouped = read_query("SELECT (GROUP_CONCAT(?x) AS ?c) WHERE { ?x ?p ?y }")
    assert ungrouped.concatenated == frozenset()


def test_the_reading_finds_graphs_named_by_iri_or_prefixed_name() -> None:
    reading = read_query(
        "PREFIX g: <https://example.org/g/> ASK { GRAPH g:one { ?s ?p ?o } GRAPH <https://example.org/two> {} "
        "GRAPH ?g {} GRAPH <relative> {} GRAPH h:undeclared {} }"
    )
    assert reading.graphs_named == {"https://example.org/g/one", "https://example.org/two"}


def test_protocol_dataset_parameters_reach_the_store(remote: RemoteStore) -> None:
    ask = "ASK { <https://w3id.org/econsec/id/country/japan> ?p ?o }"
    assert remote.query(ask, default_graph_uris=[BASE + "graph/reference"]).boolean is True
    assert remote.query(ask, default_graph_uris=[BASE + "graph/ontology"]).boolean is False


def test_construct_comes_back_as_triples(remote: RemoteStore) -> None:
    result = remote.query(
        "CONSTRUCT { ?s a ?t } WHERE { GRAPH <https://w3id.org/econsec/graph/reference> { ?s a ?t } } LIMIT 5"
    )
    assert result.triples is not None
    assert len(list(result.triples)) == 5


def test_a_malformed_query_is_the_clients_fault(remote: RemoteStore) -> None:
    """The position is the one in the caller's text, as on the embedded store (Virtuoso counts
    the lines it puts in front of the query, so its own report is no use to the caller)."""
    text = "PREFIX x: <http://x/>\nSELECT ?x\nWHERE { ?x }"
    with pytest.raises(QuerySyntaxError) as info:
        remote.query(text)
    with pytest.raises(SyntaxError) as embedded:
        ox.Store().query(text)
    assert (info.value.line, info.value.column) == (3, 13)
    assert info.value.message == str(embedded.value)


def test_an_unreachable_store_stops_start_up(built: BuildResult, tmp_path: Path) -> None:
    done = _econsec(
        "serve",
        "--port",
        str(free_port()),
        "--store-query",
        f"http://127.0.0.1:{free_port()}/query",
        "--data-dir",
        str(tmp_path / "data"),
        "--build-dir",
        str(built.paths.out_dir),
    )
    assert done.returncode == 1
    assert "does not answer SPARQL" in " ".join(done.stderr.split())


def test_an_unreachable_store_at_query_time_is_a_store_error() -> None:
    store = RemoteStore(f"http://127.0.0.1:{free_port()}/query", timeout=5)
    with pytest.raises(StoreError):
        store.query("ASK {}")


# --- parameters bound as terms, never as syntax --------------------------------------------


def test_the_outer_group_is_found_past_braces_in_strings_iris_and_comments() -> None:
    text = 'PREFIX a: <http://x/#a> # { not here\nSELECT ("{" AS ?b) (1 < 2 AS ?c) WHERE { ?s ?p ?o }'
    assert text[outer_group_start(text) :].startswith(" ?s ?p ?o }")
    with pytest.raises(BadRequest):
        outer_group_start("ASK")


def _count(remote: RemoteStore) -> int:
    """Quads in the whole store, asked afresh (``triple_count`` caches)."""
    result = remote.query("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
    return int(next(result.solutions)["n"].value)  # type: ignore[arg-type, index, union-attr]


HOSTILE = st.lists(
    st.sampled_from([*"\"'{}<>\\#;.\n\r\t ", "DROP ALL", "} ;", "\u00e9", "\u3042", "x"]),
    max_size=20,
).map("".join)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(value=HOSTILE)
def test_a_bound_literal_comes_back_exactly_and_changes_nothing(value: str, remote: RemoteStore) -> None:
    before = _count(remote)
    text = bind_values("SELECT ?v WHERE { }", {"v": ox.Literal(value)})
    result = remote.query(text)
    assert [s["v"].value for s in result.solutions] == [value]  # type: ignore[index, union-attr]
    assert _count(remote) == before


def test_only_iris_and_literals_can_be_bound() -> None:
    with pytest.raises(BadRequest):
        bind_values("SELECT * WHERE { }", {"v": ox.BlankNode()})
    with pytest.raises(BadRequest):
        bind_values("SELECT * WHERE { }", {"v } ; DROP ALL": ox.Literal("x")})


# --- the service in remote mode, driven by real clients -----------------------------------


def test_the_service_runs_over_the_remote_store(remote_service: RunningService, built: BuildResult) -> None:
    health = remote_service.health()
    assert health["store"].startswith("remote SPARQL store")
    assert health["build_id"] == built.build_id
    client = SPARQLWrapper(remote_service.sparql)
    client.setQuery(
        "SELECT ?label WHERE { <https://w3id.org/econsec/id/country/japan> "
        "<http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(lang(?label) = 'en') }"
    )
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [b["label"]["value"] for b in bindings] == ["Japan"]


def test_remote_mode_reports_a_malformed_query_with_its_position(remote_service: RunningService) -> None:
    response = httpx.post(remote_service.sparql, data={"query": "SELECT ?x WHERE { ?x }"}, timeout=30)
    assert response.status_code == 400
    assert "1:" in response.text


def test_remote_mode_negotiates_rdf(remote_service: RunningService) -> None:
    response = httpx.get(
        remote_service.sparql,
        params={"query": "DESCRIBE <https://w3id.org/econsec/id/country/japan>"},
        headers={"Accept": "text/turtle"},
        timeout=30,
    )
    assert response.status_code == 200
    graph = ox.parse(response.content, format=ox.RdfFormat.TURTLE)
    assert any(q.subject.value == "https://w3id.org/econsec/id/country/japan" for q in graph)


# --- writes through the service in remote mode -------------------------------------------

TOKEN = "remote-write-token"
NOTES = "https://example.org/notes"


@pytest.fixture(scope="module")
def writable_remote(
    store_server: StoreServer, published: object, built: BuildResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    env = {
        "ECONSEC_STORE_QUERY": store_server.query,
        "ECONSEC_STORE_UPDATE": store_server.update,
        "ECONSEC_UPDATE_TOKEN": TOKEN,
    }
    service = start_service(tmp_path_factory.mktemp("remote-writes") / "data", built.paths.out_dir, env)
    yield service
    service.stop()


def _update(service: RunningService, text: str) -> httpx.Response:
    return httpx.post(
        service.sparql,
        content=text,
        headers={"Content-Type": "application/sparql-update", "Authorization": f"Bearer {TOKEN}"},
        timeout=60,
    )


def _ask(store_server: StoreServer, text: str) -> bool:
    """Ask the store itself (not through the service), its default graph the one the service serves."""
    answer = httpx.post(
        store_server.query,
        data={"query": text, **store_server.default_graph},
        headers={"Accept": "application/sparql-results+json"},
    )
    return bool(answer.json()["boolean"])


def test_a_write_lands_in_the_remote_store_and_its_default_graph(
    writable_remote: RunningService, store_server: StoreServer
) -> None:
    triple = '<https://example.org/note/1> <http://www.w3.org/2000/01/rdf-schema#comment> "remote note"@en'
    response = _update(writable_remote, f"INSERT DATA {{ GRAPH <{NOTES}> {{ {triple} }} }}")
    assert response.status_code == 200, response.text
    assert _ask(store_server, f"ASK {{ GRAPH <{NOTES}> {{ {triple} }} }}")
    assert _ask(store_server, f"ASK {{ {triple} }}")  # the merge the service keeps
    response = _update(writable_remote, f"DELETE DATA {{ GRAPH <{NOTES}> {{ {triple} }} }}")
    assert response.status_code == 200, response.text
    assert not _ask(store_server, f"ASK {{ {triple} }}")


def test_a_triple_two_graphs_hold_stays_in_the_default_graph_when_one_drops_it(
    writable_remote: RunningService, store_server: StoreServer
) -> None:
    triple = '<https://example.org/note/2> <http://www.w3.org/2000/01/rdf-schema#comment> "twice"@en'
    other = "https://example.org/other-notes"
    assert (
        _update(
            writable_remote,
            f"INSERT DATA {{ GRAPH <{NOTES}> {{ {triple} }} GRAPH <{other}> {{ {triple} }} }}",
        ).status_code
        == 200
    )
    assert _update(writable_remote, f"DELETE DATA {{ GRAPH <{NOTES}> {{ {triple} }} }}").status_code == 200
    assert _ask(store_server, f"ASK {{ {triple} }}")
    assert _update(writable_remote, f"DROP GRAPH <{other}>").status_code == 200
    assert not _ask(store_server, f"ASK {{ {triple} }}")


def test_a_violating_write_is_refused_and_the_remote_store_unchanged(
    writable_remote: RunningService, store_server: StoreServer
) -> None:
    before = _count(RemoteStore(store_server.query, timeout=60, public_base=BASE))
    claim = '<https://w3id.org/econsec/id/country/japan> <http://www.w3.org/2000/01/rdf-schema#comment> "no source"@en'
    response = _update(writable_remote, f"INSERT DATA {{ GRAPH <{NOTES}> {{ {claim} }} }}")
    assert response.status_code == 422, response.text
    assert _count(RemoteStore(store_server.query, timeout=60, public_base=BASE)) == before


def test_a_dropped_graph_takes_its_blank_nodes_out_of_the_default_graph(
    remote: RemoteStore, store_server: StoreServer
) -> None:
    """As DROP GRAPH through the service does it: the overlay lists the graph's quads as deletes
    except those with a blank node (none can be named), and the backend must still take those
    out of the default graph it keeps (the store holds them under skolem IRIs)."""
    graph = ox.NamedNode("https://example.org/dropped-with-blank-nodes")
    node, thing = ox.BlankNode(), ox.NamedNode("https://example.org/thing")
    comment = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#comment")
    see_also = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#seeAlso")
    remote.apply(
        WriteDelta(
            {
                ox.Quad(node, comment, ox.Literal("held by a blank node"), graph),
                ox.Quad(thing, see_also, node, graph),
                ox.Quad(thing, comment, ox.Literal("named"), graph),
            }
        )
    )
    held = "ASK { ?b <http://www.w3.org/2000/01/rdf-schema#comment> 'held by a blank node' }"
    pointed = "ASK { <https://example.org/thing> ?p ?o }"
    assert _ask(store_server, held) and _ask(store_server, pointed)
    overlay = Overlay(remote)
    overlay.drop_graph(graph)
    assert len(overlay.delta.deletes) == 1  # the one quad without a blank node
    remote.apply(overlay.delta)
    assert not _ask(store_server, held)
    assert not _ask(store_server, pointed)
    assert not remote.has_graph(graph)
    assert not remote.has_graph(ox.NamedNode("https://example.org/never-was"))


def test_relative_iris_resolve_against_the_configured_endpoint(remote_service: RunningService) -> None:
    """As on the embedded store: the base is the service's own /sparql URL (ECONSEC_PUBLIC_URL, by
    default the listening address), never the remote store's; a query's own BASE still wins."""

    def resolved(query: str) -> str:
        answer = httpx.get(
            remote_service.sparql, params={"query": query}, headers={"Accept": "text/csv"}, timeout=60
        )
        assert answer.status_code == 200, answer.text
        return answer.text.splitlines()[1]

    assert resolved("SELECT (STR(<thing>) AS ?iri) {}") == remote_service.base + "/thing"
    assert (
        resolved("BASE <http://example.org/b/> SELECT (STR(<thing>) AS ?iri) {}")
        == "http://example.org/b/thing"
    )
