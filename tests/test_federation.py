"""Federation end to end: two real services on loopback, SERVICE between them, and the refusals.

Instance A (the peer) holds one fact the other does not; instance B allowlists A's endpoint and
answers a query that joins its own labels with A's fact. Every refusal is checked against a
loopback listener that counts connections, so "refused" means "no connection was made".
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from conftest import BuildResult, RunningService, query_json, start_service
from listener import Listener
from SPARQLWrapper import JSON, SPARQLWrapper

JAPAN = "https://w3id.org/econsec/id/country/japan"
NOTE = "http://example.org/peer#note"
PEER_GRAPH = "http://example.org/peer-graph"

JOIN = f"""
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label ?note WHERE {{
  ?country rdfs:label ?label . FILTER(lang(?label) = "en")
  SERVICE <{{peer}}> {{ ?country <{NOTE}> ?note }}
}}
"""


def _load(data_dir: Path, build_dir: Path, file: Path, graph: str) -> None:
    command = [sys.executable, "-m", "econsec.service.cli", "load", str(file), "--graph", graph]
    command += ["--data-dir", str(data_dir), "--build-dir", str(build_dir)]
    subprocess.run(command, check=True, capture_output=True, timeout=300)


@pytest.fixture(scope="module")
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def redirector(listener: Listener) -> Iterator[Listener]:
    """An endpoint that answers every request with a redirect to the (forbidden) listener."""
    answer = f"HTTP/1.1 302 Found\r\nLocation: {listener.url}/sparql\r\nContent-Length: 0\r\n\r\n".encode()
    lst = Listener(response=lambda: answer)
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def pair(
    built: BuildResult, tmp_path_factory: pytest.TempPathFactory, redirector: Listener
) -> Iterator[tuple[RunningService, RunningService]]:
    """(peer, federating): the peer holds an extra fact; the federating one allowlists the peer."""
    root = tmp_path_factory.mktemp("federation")
    extra = root / "peer.ttl"
    extra.write_text(f'<{JAPAN}> <{NOTE}> "stated only on the peer" .\n', encoding="utf-8")
    _load(root / "peer", built.paths.out_dir, extra, PEER_GRAPH)
    peer = start_service(root / "peer", built.paths.out_dir)
    allow = f"{peer.sparql},{redirector.url}/sparql"
    try:
        home = start_service(root / "home", built.paths.out_dir, {"ECONSEC_SERVICE_ALLOWLIST": allow})
    except BaseException:
        peer.stop()
        raise
    yield peer, home
    home.stop()
    peer.stop()


def test_the_fact_lives_only_on_the_peer(pair: tuple[RunningService, RunningService]) -> None:
    peer, home = pair
    ask = f"ASK {{ <{JAPAN}> <{NOTE}> ?note }}"
    assert query_json(peer, ask).json()["boolean"] is True
    assert query_json(home, ask).json()["boolean"] is False


def test_service_joins_local_labels_with_the_peers_fact(pair: tuple[RunningService, RunningService]) -> None:
    peer, home = pair
    response = query_json(home, JOIN.replace("{peer}", peer.sparql))
    assert response.status_code == 200, response.text
    rows = [(b["label"]["value"], b["note"]["value"]) for b in response.json()["results"]["bindings"]]
    assert rows == [("Japan", "stated only on the peer")]


def test_a_real_client_runs_the_federated_query(pair: tuple[RunningService, RunningService]) -> None:
    peer, home = pair
    client = SPARQLWrapper(home.sparql)
    client.setQuery(JOIN.replace("{peer}", peer.sparql))
    client.setReturnFormat(JSON)
    bindings = client.queryAndConvert()["results"]["bindings"]  # type: ignore[index]
    assert [b["note"]["value"] for b in bindings] == ["stated only on the peer"]


def test_the_peer_itself_allows_no_service(pair: tuple[RunningService, RunningService]) -> None:
    peer, home = pair
    response = query_json(peer, JOIN.replace("{peer}", home.sparql))
    assert response.status_code == 400
    assert "allowlist" in response.text and home.sparql in response.text


def _forbidden_spellings(port: int) -> list[str]:
    return [
        f"http://127.0.0.1:{port}/sparql",
        f"http://localhost:{port}/sparql",
        f"http://LOCALHOST.:{port}/sparql",
        f"http://[::1]:{port}/sparql",
        f"http://[::ffff:127.0.0.1]:{port}/sparql",
        f"http://2130706433:{port}/sparql",
        f"http://0x7f000001:{port}/sparql",
        f"http://0177.0.0.1:{port}/sparql",
        f"http://127.1:{port}/sparql",
        f"http://user@127.0.0.1:{port}/sparql",
        "http://169.254.169.254/latest/meta-data/",
        f"file:///etc/passwd#{port}",
    ]


@pytest.mark.parametrize("index", range(12))
def test_service_off_the_allowlist_is_refused_without_a_connection(
    index: int, pair: tuple[RunningService, RunningService], listener: Listener
) -> None:
    _peer, home = pair
    target = _forbidden_spellings(listener.port)[index]
    before = listener.count
    response = httpx.post(
        home.sparql,
        data={"query": f"SELECT * WHERE {{ SERVICE <{target}> {{ ?s ?p ?o }} }}"},
        headers={"Accept": "application/json"},
        timeout=60,
    )
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "Federation target refused"
    assert "ECONSEC_SERVICE_ALLOWLIST" in body["message"]
    assert listener.count == before


@pytest.mark.parametrize(
    "template",
    [
        "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
        "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }} LIMIT 1",
        "SELECT * WHERE {{ SERVICE <{peer}> {{ SERVICE <{url}> {{ ?s ?p ?o }} }} }}",
        "SELECT * WHERE {{ SERVICE ?endpoint {{ ?s ?p ?o }} VALUES ?endpoint {{ <{url}> }} }}",
    ],
)
def test_hidden_and_variable_services_are_refused(
    template: str, pair: tuple[RunningService, RunningService], listener: Listener
) -> None:
    peer, home = pair
    before = listener.count
    query = template.format(url=listener.url + "/sparql", peer=peer.sparql)
    response = query_json(home, query)
    assert response.status_code == 400, response.text
    assert listener.count == before


def test_an_allowlisted_endpoint_that_redirects_does_not_lead_the_engine_on(
    pair: tuple[RunningService, RunningService], listener: Listener, redirector: Listener
) -> None:
    _peer, home = pair
    before, hops = listener.count, redirector.count
    response = query_json(home, JOIN.replace("{peer}", redirector.url + "/sparql"))
    assert redirector.count > hops  # the allowed endpoint was asked ...
    assert listener.count == before  # ... and its redirect was not followed
    assert response.status_code == 502, response.text
    assert "redirect" in response.text.lower()


def test_service_silent_keeps_the_local_answer_when_the_peer_fails(
    pair: tuple[RunningService, RunningService], redirector: Listener
) -> None:
    _peer, home = pair
    query = JOIN.replace("SERVICE", "OPTIONAL { SERVICE SILENT").replace("?note }", "?note } }")
    response = query_json(home, query.replace("{peer}", redirector.url + "/sparql"))
    assert response.status_code == 200, response.text
    labels = {b["label"]["value"] for b in response.json()["results"]["bindings"]}
    assert "Japan" in labels


def test_a_bad_allowlist_entry_stops_start_up(built: BuildResult, tmp_path: Path) -> None:
    command = [sys.executable, "-m", "econsec.service.cli", "serve", "--port", "0"]
    command += ["--data-dir", str(tmp_path / "data"), "--build-dir", str(built.paths.out_dir)]
    env = {"ECONSEC_SERVICE_ALLOWLIST": "ftp://peer.example/sparql", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=env)
    assert done.returncode == 2
    assert "ECONSEC_SERVICE_ALLOWLIST" in done.stderr and "ftp://peer.example/sparql" in done.stderr
