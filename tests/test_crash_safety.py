"""An acknowledged write survives SIGKILL of the server; a write is never half there.

A thread streams INSERT DATA updates (three triples each) at a real ``econsec serve``; the server
is killed with SIGKILL at a random moment, restarted on the same data directory, and killed
again, three times. Then every acknowledged update must be in the store whole (in its named graph
and in the default graph), and no update may be there in part. Restarting on the same build must
not reload the store from the build; publishing a new build must not throw written data away.
"""

from __future__ import annotations

import itertools
import random
import shutil
import threading
import time
from pathlib import Path

import httpx
from conftest import RunningService, start_service
from econsec.graph.build import BuildResult
from econsec.service.settings import Settings
from econsec.service.store.embedded import EmbeddedStore
from econsec.service.write.overlay import Overlay
from pyoxigraph import Literal, NamedNode, Quad
from test_update import AUTH, TOKEN, select

GRAPH = "https://example.org/test/crash"
EX = "https://example.org/test/crash/"


def _update(i: int) -> str:
    s = f"<{EX}w{i}>"
    return (
        f'INSERT DATA {{ GRAPH <{GRAPH}> {{ {s} <{EX}n> {i} ; <{EX}label> "write {i}" ; '
        f"<{EX}next> <{EX}w{i + 1}> }} }}"
    )


def _stream(service: RunningService, counter: itertools.count, acked: list[int], sent: list[int]) -> None:
    """Send updates one after another until the server dies; note which ones were acknowledged."""
    with httpx.Client(timeout=30) as client:
        while True:
            i = next(counter)
            sent.append(i)
            try:
                response = client.post(
                    service.sparql,
                    content=_update(i).encode(),
                    headers={"Content-Type": "application/sparql-update", **AUTH},
                )
            except httpx.TransportError:
                return
            assert response.status_code == 200, response.text
            acked.append(i)


def _counts(service: RunningService, graph: str | None) -> dict[int, int]:
    where = f"GRAPH <{graph}> {{ ?s ?p ?o }}" if graph else "?s ?p ?o"
    rows = select(
        service,
        f'SELECT ?s (COUNT(*) AS ?n) WHERE {{ {where} FILTER(STRSTARTS(STR(?s), "{EX}w")) }} GROUP BY ?s',
    )
    return {int(r["s"].rsplit("w", 1)[1]): int(r["n"]) for r in rows}


def test_acknowledged_writes_survive_sigkill_and_none_is_partial(built: BuildResult, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    counter = itertools.count()
    acked: list[int] = []
    sent: list[int] = []
    rng = random.Random()
    for _round in range(3):
        service = start_service(data_dir, built.paths.out_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
        before = len(acked)
        thread = threading.Thread(target=_stream, args=(service, counter, acked, sent), daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while len(acked) < before + 3 and time.monotonic() < deadline:  # at least a few acknowledged
            time.sleep(0.02)
        time.sleep(rng.uniform(0.0, 1.0))
        service.process.kill()  # SIGKILL: no shutdown, no flush
        service.process.wait(timeout=20)
        thread.join(timeout=30)
        assert not thread.is_alive()
        assert len(acked) >= before + 3, "the server acknowledged too few writes to test anything"
    service = start_service(data_dir, built.paths.out_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
    try:
        assert "reloaded" not in service.output() and "filled" not in service.output()
        named, default = _counts(service, GRAPH), _counts(service, None)
        missing = sorted(set(acked) - set(named))
        assert not missing, f"acknowledged writes lost after SIGKILL: {missing}"
        assert all(n == 3 for n in named.values()), f"partial writes: {named}"
        assert set(named) <= set(sent)
        assert {i: n for i, n in default.items() if i in named} == named  # the default graph kept up
    finally:
        service.stop()


def test_a_new_build_does_not_wipe_written_data(built: BuildResult, tmp_path: Path) -> None:
    build_dir = tmp_path / "build"
    build_dir.mkdir()
    for name in ("econsec.nq", "void.ttl"):
        shutil.copy(built.paths.out_dir / name, build_dir / name)
    data_dir = tmp_path / "data"
    service = start_service(data_dir, build_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
    try:
        response = httpx.post(
            service.sparql,
            content=_update(1).encode(),
            headers={"Content-Type": "application/sparql-update", **AUTH},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        old_build = service.health()["build_id"]
    finally:
        service.stop()
    void = build_dir / "void.ttl"
    void.write_text(void.read_text(encoding="utf-8").replace(old_build, "a-newer-build"), encoding="utf-8")
    service = start_service(data_dir, build_dir, {"ECONSEC_UPDATE_TOKEN": TOKEN})
    try:
        assert _counts(service, GRAPH) == {1: 3}
        assert service.health()["build_id"] == old_build  # still the old build, plus the writes
        assert "a-newer-build" in service.output() and "Kept as it is" in service.output()
    finally:
        service.stop()


def test_a_staged_write_cut_short_is_rolled_back_at_the_next_start(tmp_path: Path) -> None:
    """The undo journal: steps of a write that never completed are reverted when the store opens."""
    settings = Settings(data_dir=tmp_path / "data", build_dir=tmp_path / "no-build")
    store = EmbeddedStore.open(settings)
    graph = NamedNode(GRAPH)
    kept = Quad(NamedNode(EX + "kept"), NamedNode(EX + "p"), Literal("kept"), graph)
    overlay = Overlay(store)
    overlay.insert(kept)
    store.apply(overlay.delta)  # an earlier, completed write
    step = Overlay(store)
    step.delete(kept)
    step.insert(Quad(NamedNode(EX + "staged"), NamedNode(EX + "p"), Literal("staged"), graph))
    store.record_undo(step.delta)
    store.apply(step.delta)  # staged, then the process "dies": no forget_undo()
    store.close()
    del store
    warnings: list[str] = []
    reopened = EmbeddedStore.open(settings, warn=warnings.append)
    try:
        assert [q.object for q in reopened.quads(graph=graph)] == [Literal("kept")]
        assert reopened.triple_count() == 1
        assert any("rolled back" in w for w in warnings)
        assert not reopened.journal_path.exists()
    finally:
        reopened.close()
