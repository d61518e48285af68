"""SPARQL 1.1 Update at /sparql: who may write, what an update changes, and that refusals change nothing.

Every test talks to a real ``econsec serve`` on loopback, started with an update token, over the
session build. Each test writes into graphs of its own (``https://example.org/test/<name>``), so
tests do not see each other's data; the "nothing changed" checks compare a sorted dump of every
quad (named graphs and the materialised default graph) before and after.
"""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import rdflib
from conftest import WRITE_TOKEN, RunningService, ask, module_service, select
from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

TOKEN = WRITE_TOKEN  # the token of the `writable` service (tests/conftest.py)
AUTH = {"Authorization": f"Bearer {TOKEN}"}
EX = "https://example.org/test/"
G = "https://w3id.org/econsec/graph/"
COMMENT = "http://www.w3.org/2000/01/rdf-schema#comment"
UPDATE = "application/sparql-update"


# --- helpers (also used by the other write tests) ------------------------------------------


def post_update(
    service: RunningService, text: str, *, headers: dict[str, str] | None = None, params: dict | None = None
) -> httpx.Response:
    sent = {"Content-Type": UPDATE, **AUTH, **(headers or {})}
    return httpx.post(service.sparql, content=text.encode(), headers=sent, params=params, timeout=60)


def dump(service: RunningService) -> list[str]:
    """Every quad the store serves, named graphs and default graph, as sorted TSV lines."""
    response = httpx.post(
        service.sparql,
        data={"query": "SELECT ?g ?s ?p ?o WHERE { { GRAPH ?g { ?s ?p ?o } } UNION { ?s ?p ?o } }"},
        headers={"Accept": "text/tab-separated-values"},
        timeout=120,
    )
    assert response.status_code == 200, response.text
    assert "Econsec-Result-Truncated" not in response.headers
    return sorted(response.text.splitlines()[1:])


def in_graph(service: RunningService, graph: str, s: str, p: str, o: str) -> bool:
    return ask(service, f"ASK {{ GRAPH <{graph}> {{ {s} {p} {o} }} }}")


def in_default(service: RunningService, s: str, p: str, o: str) -> bool:
    return ask(service, f"ASK {{ {s} {p} {o} }}")


# --- who may write --------------------------------------------------------------------------


def test_a_read_only_service_refuses_updates_with_403_saying_how_to_enable_writes(
    sparql_service: RunningService,
) -> None:
    response = post_update(sparql_service, f'INSERT DATA {{ GRAPH <{EX}ro> {{ <{EX}a> <{COMMENT}> "x" }} }}')
    assert response.status_code == 403
    assert "read-only" in response.text and "ECONSEC_UPDATE_TOKEN" in response.text
    assert not ask(sparql_service, f"ASK {{ <{EX}a> ?p ?o }}")


def test_updates_without_or_with_a_wrong_token_are_401_and_change_nothing(writable: RunningService) -> None:
    before = dump(writable)
    text = f'INSERT DATA {{ GRAPH <{EX}auth> {{ <{EX}a> <{COMMENT}> "x" }} }}'
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"}):
        response = httpx.post(
            writable.sparql, content=text.encode(), headers={"Content-Type": UPDATE, **headers}, timeout=30
        )
        assert response.status_code == 401, headers
        assert response.headers["WWW-Authenticate"].startswith("Bearer")
    response = httpx.post(
        writable.sparql,
        data={"update": text},
        headers={"Authorization": "Bearer " + TOKEN[:-1]},
        timeout=30,
    )
    assert response.status_code == 401
    assert dump(writable) == before


def test_a_token_in_the_query_string_is_refused_even_when_right(writable: RunningService) -> None:
    before = dump(writable)
    text = f'INSERT DATA {{ GRAPH <{EX}qs> {{ <{EX}a> <{COMMENT}> "x" }} }}'
    for name in ("access_token", "token"):
        response = httpx.post(
            writable.sparql,
            content=text.encode(),
            params={name: TOKEN},
            headers={"Content-Type": UPDATE},
            timeout=30,
        )
        assert response.status_code == 400
        assert "Authorization: Bearer" in response.text
    assert dump(writable) == before


def test_updates_by_get_or_riding_on_a_query_are_refused(writable: RunningService) -> None:
    before = dump(writable)
    text = f'INSERT DATA {{ GRAPH <{EX}get> {{ <{EX}a> <{COMMENT}> "x" }} }}'
    by_get = httpx.get(writable.sparql, params={"update": text}, headers=AUTH, timeout=30)
    assert by_get.status_code == 400 and "POST" in by_get.text
    on_query = httpx.post(
        writable.sparql, data={"query": "ASK {}"}, params={"update": text}, headers=AUTH, timeout=30
    )
    assert on_query.status_code == 400
    on_query_body = httpx.post(
        writable.sparql,
        content=b"ASK {}",
        params={"update": text},
        headers={"Content-Type": "application/sparql-query", **AUTH},
        timeout=30,
    )
    assert on_query_body.status_code == 400
    both = httpx.post(writable.sparql, data={"query": "ASK {}", "update": text}, headers=AUTH, timeout=30)
    assert both.status_code == 400
    assert dump(writable) == before


def test_the_service_description_lists_sparql_update_only_when_writes_are_enabled(
    writable: RunningService, sparql_service: RunningService
) -> None:
    update_language = "http://www.w3.org/ns/sparql-service-description#SPARQL11Update"
    for service, expected in ((writable, True), (sparql_service, False)):
        graph = rdflib.Graph()
        graph.parse(data=httpx.get(service.sparql, headers={"Accept": "text/turtle"}, timeout=30).text)
        assert (rdflib.URIRef(update_language) in set(graph.objects())) is expected


# --- what updates do ------------------------------------------------------------------------


def test_insert_data_is_visible_in_its_graph_and_in_the_default_graph(writable: RunningService) -> None:
    graph = EX + "insert"
    response = post_update(writable, f'INSERT DATA {{ GRAPH <{graph}> {{ <{EX}i1> <{COMMENT}> "one" }} }}')
    assert response.status_code == 200, response.text
    assert response.json()["inserted"] == 1
    assert in_graph(writable, graph, f"<{EX}i1>", f"<{COMMENT}>", '"one"')
    assert in_default(writable, f"<{EX}i1>", f"<{COMMENT}>", '"one"')
    form = httpx.post(
        writable.sparql,
        data={"update": f'INSERT DATA {{ GRAPH <{graph}> {{ <{EX}i2> <{COMMENT}> "two" }} }}'},
        headers=AUTH,
        timeout=30,
    )
    assert form.status_code == 200, form.text
    assert in_default(writable, f"<{EX}i2>", f"<{COMMENT}>", '"two"')


def test_a_triple_in_two_graphs_deleted_from_one_stays_in_the_default_graph(writable: RunningService) -> None:
    a, b = EX + "two-a", EX + "two-b"
    triple = f'<{EX}shared> <{COMMENT}> "both"'
    assert post_update(
        writable, f"INSERT DATA {{ GRAPH <{a}> {{ {triple} }} GRAPH <{b}> {{ {triple} }} }}"
    ).is_success
    assert post_update(writable, f"DELETE DATA {{ GRAPH <{a}> {{ {triple} }} }}").is_success
    assert not in_graph(writable, a, f"<{EX}shared>", f"<{COMMENT}>", '"both"')
    assert in_graph(writable, b, f"<{EX}shared>", f"<{COMMENT}>", '"both"')
    assert in_default(writable, f"<{EX}shared>", f"<{COMMENT}>", '"both"')
    count = select(writable, f'SELECT (COUNT(*) AS ?n) WHERE {{ <{EX}shared> <{COMMENT}> "both" }}')
    assert count == [{"n": "1"}]  # the default graph is a set
    assert post_update(writable, f"DELETE DATA {{ GRAPH <{b}> {{ {triple} }} }}").is_success
    assert not in_default(writable, f"<{EX}shared>", f"<{COMMENT}>", '"both"')


def test_delete_insert_where_honours_with_and_fresh_blank_nodes_per_solution(
    writable: RunningService,
) -> None:
    graph = EX + "modify"
    setup = f"""PREFIX ex: <{EX}>
        INSERT DATA {{ GRAPH <{graph}> {{ ex:m1 ex:status "draft" . ex:m2 ex:status "draft" . ex:m3 ex:status "final" }} }}"""
    assert post_update(writable, setup).is_success
    change = f"""PREFIX ex: <{EX}>
        WITH <{graph}>
        DELETE {{ ?x ex:status "draft" }}
        INSERT {{ ?x ex:status "reviewed" ; ex:review [ ex:by "bot" ] }}
        WHERE {{ ?x ex:status "draft" }}"""
    response = post_update(writable, change)
    assert response.status_code == 200, response.text
    assert response.json()["deleted"] == 2
    rows = select(writable, f"SELECT ?x ?s WHERE {{ GRAPH <{graph}> {{ ?x <{EX}status> ?s }} }} ORDER BY ?x")
    assert [(r["x"].rsplit("/", 1)[1], r["s"]) for r in rows] == [
        ("m1", "reviewed"),
        ("m2", "reviewed"),
        ("m3", "final"),
    ]
    reviews = select(writable, f"SELECT DISTINCT ?r WHERE {{ GRAPH <{graph}> {{ ?x <{EX}review> ?r }} }}")
    assert len(reviews) == 2  # one fresh node per solution, skolemised
    assert all("/.well-known/genid/" in r["r"] for r in reviews)


def test_using_and_graph_templates_move_data_between_graphs(writable: RunningService) -> None:
    src, dst = EX + "using-src", EX + "using-dst"
    assert post_update(writable, f'INSERT DATA {{ GRAPH <{src}> {{ <{EX}u1> <{COMMENT}> "u" }} }}').is_success
    change = f"""INSERT {{ GRAPH <{dst}> {{ ?s ?p ?o }} }} USING <{src}> WHERE {{ ?s ?p ?o }}"""
    assert post_update(writable, change).is_success
    assert in_graph(writable, dst, f"<{EX}u1>", f"<{COMMENT}>", '"u"')
    by_protocol = post_update(
        writable,
        f"DELETE {{ GRAPH <{dst}> {{ ?s ?p ?o }} }} WHERE {{ ?s ?p ?o }}",
        params={"using-graph-uri": dst},
    )
    assert by_protocol.status_code == 200, by_protocol.text
    assert not in_graph(writable, dst, f"<{EX}u1>", f"<{COMMENT}>", '"u"')
    assert in_graph(writable, src, f"<{EX}u1>", f"<{COMMENT}>", '"u"')


def test_a_where_clause_sees_the_operations_before_it(writable: RunningService) -> None:
    graph = EX + "staged"
    text = f"""PREFIX ex: <{EX}>
        INSERT DATA {{ GRAPH <{graph}> {{ ex:t1 ex:state "draft" . ex:t2 ex:state "draft" }} }} ;
        DELETE {{ GRAPH <{graph}> {{ ?t ex:state "draft" }} }} INSERT {{ GRAPH <{graph}> {{ ?t ex:state "done" }} }}
            WHERE {{ GRAPH <{graph}> {{ ?t ex:state "draft" }} }} ;
        INSERT DATA {{ GRAPH <{graph}> {{ ex:t3 ex:state "draft" }} }} ;
        DELETE WHERE {{ GRAPH <{graph}> {{ ex:t1 ?p ?o }} }}"""
    response = post_update(writable, text)
    assert response.status_code == 200, response.text
    rows = select(writable, f"SELECT ?t ?s WHERE {{ GRAPH <{graph}> {{ ?t <{EX}state> ?s }} }} ORDER BY ?t")
    assert [(r["t"].rsplit("/", 1)[1], r["s"]) for r in rows] == [("t2", "done"), ("t3", "draft")]
    assert not in_default(writable, f"<{EX}t1>", "?p", "?o")


def test_later_operations_see_earlier_ones_and_graph_management_works(writable: RunningService) -> None:
    a, b, c = EX + "ops-a", EX + "ops-b", EX + "ops-c"
    text = f"""
        INSERT DATA {{ GRAPH <{a}> {{ <{EX}o1> <{COMMENT}> "1" . <{EX}o2> <{COMMENT}> "2" }} }} ;
        COPY <{a}> TO <{b}> ;
        DELETE DATA {{ GRAPH <{b}> {{ <{EX}o2> <{COMMENT}> "2" }} }} ;
        CREATE GRAPH <{c}> ;
        MOVE <{b}> TO <{c}> ;
        DROP GRAPH <{a}>"""
    response = post_update(writable, text)
    assert response.status_code == 200, response.text
    assert response.json()["operations"] == 6
    assert select(writable, f"SELECT ?s WHERE {{ GRAPH <{c}> {{ ?s ?p ?o }} }}") == [{"s": EX + "o1"}]
    assert not ask(writable, f"ASK {{ GRAPH <{a}> {{ ?s ?p ?o }} }}")
    assert not ask(writable, f"ASK {{ GRAPH <{b}> {{ ?s ?p ?o }} }}")
    assert in_default(writable, f"<{EX}o1>", f"<{COMMENT}>", '"1"')
    assert not in_default(writable, f"<{EX}o2>", f"<{COMMENT}>", '"2"')


# --- refusals change nothing --------------------------------------------------------------


def test_a_malformed_update_is_400_with_the_parsers_position(writable: RunningService) -> None:
    before = dump(writable)
    text = f'INSERT DATA {{ GRAPH <{EX}bad> {{\n  <{EX}a> <{COMMENT}> "x" \n}}'
    response = post_update(writable, text, headers={"Accept": "application/json"})
    assert response.status_code == 400
    body = response.json()
    assert body["error"] == "Malformed update"
    assert body["line"] == 3 and body["column"] is not None and "expected" in body["message"]
    assert dump(writable) == before


@pytest.mark.parametrize(
    ("text", "status", "words"),
    [
        # issue 14: writes without GRAPH go to the user graph; emptying everything is 403
        ("CLEAR ALL", 403, "ECONSEC_PLAIN_STORE"),
        ("DROP ALL", 403, "econsec build"),
        ("CLEAR NAMED", 403, "CLEAR GRAPH <iri>"),
        (f"CLEAR GRAPH <{G}ontology>", 403, "econsec build"),
        (f"DROP GRAPH <{G}inferred>", 403, "econsec build"),
        (f"DROP GRAPH <{EX}never-existed>", 400, "SILENT"),
        (f"LOAD <{EX}data.ttl> INTO GRAPH <{EX}load>", 400, "allowlist"),
        # staged writes (a WHERE after an earlier change) are reverted when a later step fails
        (
            f"INSERT DATA {{ GRAPH <{EX}st> {{ <https://w3id.org/econsec/id/org/staged> a "
            f"<https://w3id.org/econsec/ontology#Company> }} }} ; INSERT {{ GRAPH <{EX}st> {{ ?s <{COMMENT}> "
            f'"c" }} }} WHERE {{ GRAPH <{EX}st> {{ ?s ?p ?o }} }}',
            422,
            "Nothing was changed",
        ),
        (
            f"INSERT DATA {{ GRAPH <{EX}st2> {{ <{EX}a> <{COMMENT}> 1 }} }} ; DELETE {{ GRAPH <{EX}st2> "
            f"{{ ?s ?p ?o }} }} WHERE {{ GRAPH <{EX}st2> {{ ?s ?p ?o }} }} ; INSERT DATA {{ GRAPH <{EX}st2> "
            f"{{ <{EX}b> <{COMMENT}> 2 }} }} ; DELETE WHERE {{ GRAPH <{EX}st2> {{ ?s ?p 2 }} }} ; "
            f"DROP GRAPH <{EX}never-existed-2>",
            400,
            "SILENT",
        ),
    ],
)
def test_refused_updates_say_why_and_change_nothing(
    writable: RunningService, text: str, status: int, words: str
) -> None:
    before = dump(writable)
    response = post_update(writable, text)
    assert response.status_code == status, response.text
    assert words in response.text
    assert dump(writable) == before


def test_load_is_refused_even_for_an_allowlisted_source(
    service_factory: Callable[..., RunningService],
) -> None:
    service = service_factory(
        env={"ECONSEC_UPDATE_TOKEN": TOKEN, "ECONSEC_SERVICE_ALLOWLIST": "http://127.0.0.1:9/"}
    )
    response = post_update(service, "LOAD <http://127.0.0.1:9/data.ttl> INTO GRAPH <https://example.org/l>")
    assert response.status_code == 400
    assert "LOAD is not supported" in response.text and "Graph Store Protocol" in response.text


# --- real clients ---------------------------------------------------------------------------


def test_rdflib_sparql_update_store_inserts_and_reads_back_with_the_token(writable: RunningService) -> None:
    store = SPARQLUpdateStore(
        query_endpoint=writable.sparql,
        update_endpoint=writable.sparql,
        headers=dict(AUTH),
    )
    graph = rdflib.Graph(store=store, identifier=rdflib.URIRef(EX + "rdflib"))
    subject = rdflib.URIRef(EX + "from-rdflib")
    graph.add((subject, rdflib.RDFS.comment, rdflib.Literal("written by rdflib")))
    assert (subject, rdflib.RDFS.comment, rdflib.Literal("written by rdflib")) in graph
    assert in_default(writable, f"<{EX}from-rdflib>", f"<{COMMENT}>", '"written by rdflib"')
    graph.remove((subject, None, None))
    assert not in_default(writable, f"<{EX}from-rdflib>", f"<{COMMENT}>", '"written by rdflib"')
    store.close()


def test_curl_posts_an_update_with_the_bearer_token(writable: RunningService) -> None:
    text = f'INSERT DATA {{ GRAPH <{EX}curl> {{ <{EX}from-curl> <{COMMENT}> "curl" }} }}'
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-X",
            "POST",
            writable.sparql,
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "-H",
            "Content-Type: application/sparql-update",
            "--data-binary",
            text,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert json.loads(result.stdout)["inserted"] == 1
    assert in_graph(writable, EX + "curl", f"<{EX}from-curl>", f"<{COMMENT}>", '"curl"')


# --- one writer at a time, readers never wait ------------------------------------------------


def test_concurrent_writes_all_land_one_at_a_time(writable: RunningService) -> None:
    graph = EX + "concurrent"

    def write(i: int) -> httpx.Response:
        return post_update(writable, f'INSERT DATA {{ GRAPH <{graph}> {{ <{EX}c{i}> <{COMMENT}> "{i}" }} }}')

    with ThreadPoolExecutor(max_workers=8) as pool:
        responses = list(pool.map(write, range(16)))
    assert [r.status_code for r in responses] == [200] * 16
    rows = select(writable, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    assert rows == [{"n": "16"}]


def test_queries_are_answered_while_a_long_write_is_validated(writable: RunningService) -> None:
    """Readers do not wait for the writer, and never see half a write: every answer given while a
    20,000-triple write is validated counts either none of its triples or all of them."""
    graph = EX + "long"
    size = 20_000
    body = "".join(f'<{EX}long{i}> <{COMMENT}> "comment {i}" .\n' for i in range(size))
    outcome: dict[str, httpx.Response] = {}

    def long_write() -> None:
        outcome["response"] = httpx.put(
            writable.base + "/rdf-graphs",
            params={"graph": graph},
            content=body.encode(),
            headers={"Content-Type": "application/n-triples", **AUTH},
            timeout=300,
        )

    count = f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"
    writer = threading.Thread(target=long_write)
    writer.start()
    during: list[int] = []
    while writer.is_alive():
        seen = int(select(writable, count)[0]["n"])
        if writer.is_alive():  # answered while the write was still running
            during.append(seen)
    writer.join()
    assert outcome["response"].status_code == 201, outcome["response"].text
    assert during, "no query was answered while the write was being validated: readers waited for it"
    assert set(during) <= {0, size}, f"a reader saw part of a write: {sorted(set(during))}"
    assert int(select(writable, count)[0]["n"]) == size


def test_copying_a_graph_with_blank_nodes_skolemises_them(writable: RunningService) -> None:
    copy = EX + "ontology-copy"
    response = post_update(writable, f"COPY <{G}ontology> TO <{copy}>")
    assert response.status_code == 200, response.text
    rows = select(writable, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{copy}> {{ ?s ?p ?o }} }}")
    original = select(writable, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{G}ontology> {{ ?s ?p ?o }} }}")
    assert rows == original
    assert not ask(writable, f"ASK {{ GRAPH <{copy}> {{ ?s ?p ?o FILTER(isBlank(?s) || isBlank(?o)) }} }}")
    assert ask(
        writable, f'ASK {{ GRAPH <{copy}> {{ ?s ?p ?o FILTER(CONTAINS(STR(?s), "/.well-known/genid/")) }} }}'
    )
    assert post_update(writable, f"DROP GRAPH <{copy}>").status_code == 200


# --- issue 14: the default graph, as clients that name no graph use it ----------------------

USER_GRAPH = G + "user"


def test_rdflib_update_store_in_default_mode_writes_without_a_graph_and_reads_it_back(
    writable: RunningService,
) -> None:
    """rdflib's SPARQLUpdateStore behind a Dataset, adding a triple to its default graph, sends
    INSERT DATA { triple } with no GRAPH: it lands in the user graph, inside the union default
    graph, so rdflib (and any query) reads it back."""
    store = SPARQLUpdateStore(
        query_endpoint=writable.sparql, update_endpoint=writable.sparql, headers=dict(AUTH)
    )
    graph = rdflib.Dataset(store=store)
    triple = (rdflib.URIRef(EX + "no-graph"), rdflib.RDFS.comment, rdflib.Literal("written without GRAPH"))
    graph.add(triple)
    assert triple in graph
    assert ask(
        writable, f'ASK {{ GRAPH <{USER_GRAPH}> {{ <{EX}no-graph> <{COMMENT}> "written without GRAPH" }} }}'
    )
    graph.remove(triple)  # DELETE DATA without GRAPH: removed from the user graph
    assert triple not in graph
    store.close()


def test_delete_without_graph_never_reaches_the_builds_graphs(writable: RunningService) -> None:
    """DELETE DATA on the default graph removes from the writable graph only: a triple the build
    states stays, and the answer counts nothing deleted."""
    row = select(
        writable, f"SELECT ?s ?p ?o WHERE {{ GRAPH <{G}ontology> {{ ?s ?p ?o FILTER(isIRI(?o)) }} }} LIMIT 1"
    )[0]
    text = f"DELETE DATA {{ <{row['s']}> <{row['p']}> <{row['o']}> }}"
    response = post_update(writable, text)
    assert response.status_code == 200, response.text
    assert response.json()["deleted"] == 0
    assert ask(writable, f"ASK {{ GRAPH <{G}ontology> {{ <{row['s']}> <{row['p']}> <{row['o']}> }} }}")


def test_clear_default_empties_the_user_graph_only(writable: RunningService) -> None:
    assert post_update(writable, f'INSERT DATA {{ <{EX}to-clear> <{COMMENT}> "x" }}').status_code == 200
    assert ask(writable, f'ASK {{ <{EX}to-clear> <{COMMENT}> "x" }}')
    response = post_update(writable, "CLEAR DEFAULT")
    assert response.status_code == 200, response.text
    assert not ask(writable, f'ASK {{ <{EX}to-clear> <{COMMENT}> "x" }}')
    assert ask(writable, f"ASK {{ GRAPH <{G}ontology> {{ ?s ?p ?o }} }}")


def test_relative_iris_resolve_against_the_endpoints_configured_url(writable: RunningService) -> None:
    """No BASE: relative IRIs resolve against http://{host}:{port}/sparql (ECONSEC_PUBLIC_URL unset),
    in updates and queries alike; a BASE in the text still wins."""
    response = post_update(
        writable, f"INSERT DATA {{ GRAPH <{EX}relative> {{ <thing> <{COMMENT}> <other> }} }}"
    )
    assert response.status_code == 200, response.text
    assert ask(
        writable, f"ASK {{ GRAPH <{EX}relative> {{ <{writable.base}/thing> ?p <{writable.base}/other> }} }}"
    )
    assert ask(writable, f"ASK {{ GRAPH <{EX}relative> {{ <thing> ?p <other> }} }}")
    assert not ask(writable, f"BASE <{EX}> ASK {{ GRAPH <{EX}relative> {{ <thing> ?p ?o }} }}")


# --- a plain store: full SPARQL 1.1 Update semantics (ECONSEC_PLAIN_STORE) -----------------


#: the session build served as a plain store: every graph may be emptied
plain = module_service("plain", {"ECONSEC_UPDATE_TOKEN": TOKEN, "ECONSEC_PLAIN_STORE": "true"})


def test_a_plain_store_emptied_has_an_empty_default_graph_too(plain: RunningService) -> None:
    """SPARQL 1.1 Update §3.2.2-3.2.3: after DROP GRAPH a graph's triples are gone, and after CLEAR
    ALL every graph is empty. The ontology's OWL restrictions are blank nodes, which no delete can
    name: they must leave the default graph (the union the service keeps) with their graph."""
    blank = "ASK { ?s ?p ?o FILTER (isBlank(?s) || isBlank(?o)) }"
    assert ask(plain, blank)  # the build has them, in the ontology graph only
    response = post_update(plain, f"DROP GRAPH <{G}ontology>")
    assert response.status_code == 200, response.text
    assert not ask(plain, blank)
    response = post_update(plain, f"INSERT DATA {{ GRAPH <{EX}plain> {{ <{EX}a> <{COMMENT}> 'x' }} }}")
    assert response.status_code == 200, response.text
    response = post_update(plain, "CLEAR ALL")
    assert response.status_code == 200, response.text
    assert dump(plain) == []
