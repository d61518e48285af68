"""Hostile writes under a valid token: refused cleanly, answered honestly, and the store unchanged.

- RDF bodies nested past the documented depth are 400 naming the limit, before any parser runs
  (JSON-LD 4,000 deep used to kill the process), and the service keeps answering;
- a whole source graph cannot be deleted or replaced by a stray request: 403 naming the explicit
  ``?replace-source=true``, which does allow it;
- provenance must point at a passage: deleting a passage that facts cite is 422 naming them;
- a write is 2xx only if it committed: a query snapshot that cannot be refreshed after a commit
  (a full disk) leaves the answer 2xx, and queries are refused rather than served a stale state;
  a disk that is full for the store itself gives 507 and commits nothing (a real tmpfs, as root);
- after a write, ``/health`` and VoID say the build's inferred graph is stale.

Every refusal is checked against a fingerprint of the whole store taken before it.
"""

from __future__ import annotations

import asyncio
import errno
import hashlib
import os
import subprocess
import threading
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService, start_service
from econsec.graph.build import BuildResult
from econsec.service.errors import InsufficientStorage
from econsec.service.execution.isolation import Snapshots
from econsec.service.settings import Settings
from econsec.service.store.embedded import EmbeddedStore
from econsec.service.write.errors import RdfNestingTooDeep
from econsec.service.write.nesting import MAX_RDF_NESTING, check_nesting
from econsec.service.write.rdf_body import parse_body
from econsec.service.write.service import WriteService
from pyoxigraph import Literal, NamedNode, Quad
from test_update import AUTH, COMMENT, EX, TOKEN, G, dump, post_update, select

ES = "https://w3id.org/econsec/ontology#"
GSP = "/rdf-graphs"


def fingerprint(service: RunningService) -> str:
    """A digest of every quad the store serves (named graphs and the default graph)."""
    return hashlib.sha256("\n".join(dump(service)).encode()).hexdigest()


def send(service: RunningService, method: str, graph: str, body: str | bytes = b"", **kw) -> httpx.Response:
    content_type = kw.pop("content_type", "text/turtle")
    params = {"graph": graph, **kw.pop("params", {})}
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": content_type, **AUTH}
    return httpx.request(
        method, service.base + GSP, params=params, content=data, headers=headers, timeout=120
    )


def still_up(service: RunningService) -> None:
    response = httpx.get(service.base + "/health", timeout=10)
    assert response.status_code == 200
    assert select(service, "SELECT (1 AS ?one) WHERE {}") == [{"one": "1"}]


# --- bodies nested too deeply ---------------------------------------------------------------------

JSON_LD_4000 = '{"@id": "https://example.org/a", "https://example.org/p": ' * 4000 + '"x"' + "}" * 4000
TURTLE_COLLECTIONS = f"<{EX}a> <{COMMENT}> " + "(" * 200_000 + ")" * 200_000 + " ."
RDF_XML_DEEP = (
    '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="https://example.org/">'
    + "<rdf:Description><e:p>" * 50_000
    + "</e:p></rdf:Description>" * 50_000
    + "</rdf:RDF>"
)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (JSON_LD_4000, "application/ld+json"),
        (TURTLE_COLLECTIONS, "text/turtle"),
        (RDF_XML_DEEP, "application/rdf+xml"),
        (
            "<<" * 2_000 + f"<{EX}a> <{COMMENT}> <{EX}b>" + f">> <{COMMENT}> <{EX}b>" * 2_000 + " .",
            "text/turtle",
        ),
    ],
    ids=["json-ld-4000-deep", "turtle-collections-200000-deep", "rdf-xml-100000-deep", "quoted-triples"],
)
def test_a_body_nested_past_the_limit_is_400_naming_it_and_the_service_stays_up(
    writable: RunningService, body: str, content_type: str
) -> None:
    before = fingerprint(writable)
    for method in ("PUT", "POST"):
        response = send(writable, method, EX + "deep", body, content_type=content_type)
        assert response.status_code == 400, response.text[:500]
        assert f"the limit is {MAX_RDF_NESTING}" in response.text
    still_up(writable)
    assert fingerprint(writable) == before


def test_an_update_nested_5000_deep_is_400_and_the_service_stays_up(writable: RunningService) -> None:
    """Issue 16: 5,000 nested parentheses (10 KB) used to overflow the parser's stack."""
    text = (
        f"INSERT {{ <{EX}a> <{COMMENT}> ?x }} WHERE {{ BIND(" + "(" * 5_000 + "1" + ")" * 5_000 + " AS ?x) }"
    )
    response = post_update(writable, text)
    assert response.status_code == 400, response.text[:500]
    assert "nested" in response.text
    still_up(writable)


@pytest.mark.parametrize(
    ("text", "fmt", "depth"),
    [
        (f"<{EX}a> <{COMMENT}> ( 1 [ <{COMMENT}> ( 2 ) ] ) .", ox.RdfFormat.TURTLE, 3),
        (f'<{EX}a> <{COMMENT}> "((( [[[ " . # (((((', ox.RdfFormat.TURTLE, 0),
        (f"<{EX}a> <{COMMENT}> '''(\n(''' , \"\\\")\" .", ox.RdfFormat.TURTLE, 0),
        ('{"@graph": [{"@id": "x", "p": {"q": "[[{{"}}]}', ox.RdfFormat.JSON_LD, 4),
        ('<r><!-- <a><b> --><a x="/>"><b/><![CDATA[<c><d>]]></a></r>', ox.RdfFormat.RDF_XML, 2),
        ("(" * 20 + ")" * 20 + "(" * 7 + ")" * 7 + "[]" * 1000, ox.RdfFormat.TURTLE, 20),
    ],
    ids=[
        "nested-lists",
        "brackets-in-strings-and-comments",
        "long-string-and-escape",
        "json",
        "xml",
        "two-peaks",
    ],
)
def test_the_nesting_scan_counts_structure_only(text: str, fmt: ox.RdfFormat, depth: int) -> None:
    assert check_nesting(text, fmt) == depth


def test_a_body_at_the_limit_parses_on_a_thread_without_crashing() -> None:
    """The limit is low enough that the deepest accepted body is safe on a service thread."""
    body = ('{"@id": "https://example.org/a", "https://example.org/p": ' * MAX_RDF_NESTING) + '"x"'
    body += "}" * MAX_RDF_NESTING
    parsed: list[int] = []
    thread = threading.Thread(
        target=lambda: parsed.append(len(parse_body(body.encode(), "application/ld+json", EX)))
    )
    thread.start()
    thread.join(60)
    assert parsed == [MAX_RDF_NESTING]
    with pytest.raises(RdfNestingTooDeep):
        check_nesting("[" * (MAX_RDF_NESTING + 1) + "]" * (MAX_RDF_NESTING + 1), ox.RdfFormat.JSON_LD)


# --- whole source graphs ------------------------------------------------------------------------------


def test_deleting_or_replacing_a_source_graph_is_403_naming_the_explicit_operation(
    writable: RunningService,
) -> None:
    before = fingerprint(writable)
    refused = [
        send(writable, "DELETE", G + "brookings-2022"),
        send(writable, "PUT", G + "atlantic-council-2024", f'<{EX}junk> <{COMMENT}> "junk" .'),
        post_update(writable, f"DROP GRAPH <{G}brookings-2022>"),
        post_update(writable, f"CLEAR GRAPH <{G}atlantic-council-2024>"),
        post_update(writable, f"MOVE <{G}brookings-2022> TO <{EX}elsewhere>"),
        post_update(
            writable,
            f"INSERT DATA {{ GRAPH <{EX}x> {{ <{EX}x> <{COMMENT}> 'x' }} }} ; COPY <{EX}x> TO <{G}reference>",
        ),
    ]
    for response in refused:
        assert response.status_code == 403, response.text[:500]
        assert "replace-source=true" in response.text
    assert fingerprint(writable) == before


def test_replace_source_true_is_the_explicit_way_and_other_values_are_400(writable: RunningService) -> None:
    graph = G + "test-integrity-scratch"  # in the build's namespace: treated as a source graph
    assert send(writable, "POST", graph, f'<{EX}s1> <{COMMENT}> "one" .').status_code == 201
    assert send(writable, "DELETE", graph).status_code == 403
    assert send(writable, "DELETE", graph, params={"replace-source": "yes"}).status_code == 400
    replaced = send(
        writable, "PUT", graph, f'<{EX}s2> <{COMMENT}> "two" .', params={"replace-source": "true"}
    )
    assert replaced.status_code == 204, replaced.text
    dropped = post_update(writable, f"DROP GRAPH <{graph}>", params={"replace-source": "true"})
    assert dropped.status_code == 200, dropped.text
    assert send(writable, "DELETE", graph).status_code == 404


def test_deleting_every_statement_of_a_source_graph_is_the_same_as_dropping_it(
    writable: RunningService,
) -> None:
    """A stray ``DELETE WHERE`` over a whole source graph (7,560 statements of Brookings were
    deleted with 200 before) is refused like ``DROP GRAPH``, with or without something inserted
    in their place; deleting part of it is an ordinary write; ``replace-source=true`` allows it."""
    before = fingerprint(writable)
    source = G + "brookings-2022"
    refused = [
        post_update(writable, f"DELETE WHERE {{ GRAPH <{source}> {{ ?s ?p ?o }} }}"),
        post_update(
            writable,
            f"DELETE {{ GRAPH <{source}> {{ ?s ?p ?o }} }} INSERT {{ GRAPH <{source}> {{ <{EX}junk> <{COMMENT}> 'junk' }} }} "
            f"WHERE {{ GRAPH <{source}> {{ ?s ?p ?o }} }}",
        ),
    ]
    for response in refused:
        assert response.status_code == 403, response.text[:500]
        assert "deleting every statement" in response.text and "replace-source=true" in response.text
    assert fingerprint(writable) == before

    scratch = G + "test-integrity-emptied"  # in the build's namespace: treated as a source graph
    body = f'<{EX}e1> <{COMMENT}> "one" .\n<{EX}e2> <{COMMENT}> "two" .'
    assert send(writable, "POST", scratch, body).status_code == 201
    part = post_update(writable, f"DELETE DATA {{ GRAPH <{scratch}> {{ <{EX}e1> <{COMMENT}> 'one' }} }}")
    assert part.status_code == 200, part.text[:500]
    last = f"DELETE DATA {{ GRAPH <{scratch}> {{ <{EX}e2> <{COMMENT}> 'two' }} }}"
    assert post_update(writable, last).status_code == 403
    allowed = post_update(writable, last, params={"replace-source": "true"})
    assert allowed.status_code == 200 and allowed.json()["deleted"] == 1, allowed.text[:500]


# --- provenance points at a passage -----------------------------------------------------------------


def test_deleting_a_cited_passage_is_422_naming_the_facts_left_without_provenance(
    writable: RunningService,
) -> None:
    passage = "https://w3id.org/econsec/id/passage/brookings-2022.fdi-screening"
    citing = select(
        writable, f"SELECT DISTINCT ?x WHERE {{ ?x <http://www.w3.org/ns/prov#wasDerivedFrom> <{passage}> }}"
    )
    assert citing, "the fixture passage is cited by facts"
    before = fingerprint(writable)
    response = post_update(
        writable,
        f"DELETE WHERE {{ GRAPH <{G}brookings-2022> {{ <{passage}> ?p ?o }} }}",
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 422, response.text[:500]
    results = response.json()["results"]
    dangling = [r for r in results if r["focus_iri"] == passage and "prov:wasDerivedFrom" in r["message"]]
    assert len(dangling) == len(citing)  # one result per fact left citing nothing
    assert all(r["value"] for r in dangling)
    assert fingerprint(writable) == before


# --- derived data is marked stale --------------------------------------------------------------------


def test_after_a_write_health_and_void_say_the_inferred_graph_is_stale(
    built: BuildResult, tmp_path: Path
) -> None:
    service = start_service(tmp_path / "data", built.paths.out_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
    try:
        assert service.health()["inferred_stale_since"] is None
        assert send(service, "POST", EX + "stale", f'<{EX}s> <{COMMENT}> "s" .').status_code == 201
        since = service.health()["inferred_stale_since"]
        assert since
        void = httpx.get(
            service.base + "/.well-known/void", headers={"Accept": "application/n-triples"}, timeout=60
        )
        assert void.status_code == 200
        assert f'<{G}inferred> <http://www.w3.org/ns/prov#invalidatedAtTime> "{since}"' in void.text
    finally:
        service.stop()


# --- honest answers: commit first, then the snapshot ----------------------------------------------


class _DiskFillsAfterCommit:
    """A real store whose checkpoints fail with ENOSPC while ``full`` is set (fault injection at the
    one call a full disk breaks after a commit: RocksDB flushes its memtable to take a checkpoint)."""

    def __init__(self, store: ox.Store) -> None:
        self.store = store
        self.full = False

    def backup(self, path: str) -> None:
        if self.full:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.store.backup(path)


def test_a_snapshot_that_fails_after_the_commit_leaves_the_write_acknowledged_and_never_stale(
    tmp_path: Path,
) -> None:
    settings = Settings(data_dir=tmp_path / "data", build_dir=tmp_path / "no-build")
    backend = EmbeddedStore.open(settings)
    disk = _DiskFillsAfterCommit(backend.store)
    snapshots = Snapshots(disk, tmp_path / "snapshots")  # type: ignore[arg-type]
    writes = WriteService(backend, settings, on_commit=snapshots.refresh)
    quad = Quad(NamedNode(EX + "s"), NamedNode(COMMENT), Literal("committed"), NamedNode(EX + "g"))

    def change(overlay, _deadline) -> None:  # type: ignore[no-untyped-def]
        overlay.insert(quad)

    disk.full = True
    outcome = asyncio.run(writes.write(change))  # answered: committed
    assert outcome.inserted == 1
    assert quad in set(backend.quads(graph=NamedNode(EX + "g")))
    assert snapshots.stale
    with pytest.raises(InsufficientStorage) as refused, snapshots.use():
        pass
    assert refused.value.status == 507
    disk.full = False  # space again: the next query retakes the snapshot first
    with snapshots.use() as path:
        seen = ox.Store.read_only(str(path))
        assert quad in set(seen.quads_for_pattern(None, None, None, NamedNode(EX + "g")))
        del seen
    assert not snapshots.stale
    backend.close()


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a small tmpfs needs root")
def test_a_full_disk_gives_507_and_every_acknowledged_write_is_kept(
    built: BuildResult, tmp_path: Path
) -> None:
    mount = tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", str(mount)], check=True)
    service = None
    try:
        service = start_service(mount / "data", built.paths.out_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
        free = os.statvfs(mount)
        with (mount / "filler").open("wb") as out:
            out.write(b"\0" * max(free.f_bavail * free.f_frsize - 64 * 1024, 0))
        statuses: dict[int, int] = {}
        for i in range(40):
            body = f'<{EX}full/{i}> <{COMMENT}> "{i} {"x" * 2000}" .'
            statuses[i] = send(service, "POST", EX + "full", body).status_code
        assert set(statuses.values()) <= {201, 204, 507}, statuses
        assert 507 in statuses.values()
        acknowledged = {i for i, status in statuses.items() if status < 300}
        service.stop()
        (mount / "filler").unlink()
        service = start_service(mount / "data", built.paths.out_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
        rows = select(service, f"SELECT ?s WHERE {{ GRAPH <{EX}full> {{ ?s ?p ?o }} }}")
        kept = {int(r["s"].rsplit("/", 1)[1]) for r in rows}
        assert kept == acknowledged  # 2xx only if committed, and non-2xx only if not
    finally:
        if service is not None:
            service.stop()
        subprocess.run(["umount", str(mount)], check=False)
