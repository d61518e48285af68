"""Expensive queries under attack: they are stopped (504 at the deadline, 503 at the memory cap),
and cheap queries sent at the same time keep being answered, through the executor's reserve slot
when long queries hold every ordinary one.

The attack mixes the three shapes a public endpoint meets: an aggregate over a cross product (no
row until the end), a sort over one (it would need tens of gigabytes), and an unbounded
property path over every node in both directions. Each runs in a query worker process that is
killed at the deadline or stops at its memory cap, so nothing keeps grinding after the answer.
"""

from __future__ import annotations

import threading
import time

import httpx
import pytest
from conftest import RunningService, module_service, query_json

LIMITS = {
    # long enough that a cheap query has seconds to pass while every ordinary slot is held
    "ECONSEC_QUERY_TIMEOUT": "8",
    "ECONSEC_MAX_CONCURRENCY": "3",
    "ECONSEC_RESERVE_CONCURRENCY": "1",
    "ECONSEC_MAX_QUEUED": "8",
    "ECONSEC_QUERY_MEMORY_MB": "1024",
    # every client of this module (attackers and the cheap one) shares 127.0.0.1: the per-address
    # share of heavy queries must let them all in (tests/test_hostile_input.py checks the share)
    "ECONSEC_MAX_HEAVY_PER_CLIENT": "8",
}
PATH = "(<http://www.w3.org/2000/01/rdf-schema#subClassOf>|^<http://www.w3.org/2000/01/rdf-schema#subClassOf>|<http://www.w3.org/2004/02/skos/core#broader>|^<http://www.w3.org/2004/02/skos/core#broader>|a|^a)*"
ATTACKS = {
    "product count": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f }",
    "product sort": "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f } ORDER BY ?a ?d",
    "unbounded path": f"SELECT (COUNT(*) AS ?n) WHERE {{ ?x {PATH} ?y }}",
}
#: a join of two patterns: the executor evaluates it (a single pattern could be answered as a lookup)
CHEAP = """SELECT ?p ?o ?label WHERE {
  <https://w3id.org/econsec/id/country/japan> ?p ?o .
  ?o <http://www.w3.org/2000/01/rdf-schema#label> ?label
}"""


service = module_service("expensive", LIMITS)


def _query(service: RunningService, text: str, timeout: float = 120) -> httpx.Response:
    return query_json(service, text, timeout=timeout)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_each_expensive_query_is_stopped_with_a_clear_answer(name: str, service: RunningService) -> None:
    response = _query(service, ATTACKS[name])
    assert response.status_code in (503, 504), response.text[:300]
    text = response.text
    assert "ECONSEC_QUERY_TIMEOUT" in text or "ECONSEC_QUERY_MEMORY_MB" in text
    health = service.health()["queries"]
    # stopped, not finished: nothing is left evaluating or grinding past its deadline
    assert health["isolated"] is True and health["running"] == 0 and health["overrunning"] == 0


def _answered(response: httpx.Response) -> str | None:
    """None when a cheap query got its rows, else what went wrong."""
    if response.status_code != 200 or not response.json()["results"]["bindings"]:
        return f"{response.status_code}: {response.text[:200]}"
    return None


def test_cheap_queries_are_answered_during_an_attack(service: RunningService) -> None:
    attack_statuses: list[int] = []
    answered = 0
    failures: list[str] = []
    stop = threading.Event()

    def attacker(text: str) -> None:
        attack_statuses.append(_query(service, text).status_code)

    def cheap_client() -> None:
        nonlocal answered
        while not stop.is_set():
            problem = _answered(_query(service, CHEAP, timeout=60))
            if problem is None:
                answered += 1
            else:
                failures.append(problem)
            stop.wait(0.05)

    attackers = [threading.Thread(target=attacker, args=(t,)) for t in ATTACKS.values()]
    cheap = threading.Thread(target=cheap_client)
    cheap.start()
    for thread in attackers:
        thread.start()
    for thread in attackers:
        thread.join(timeout=180)
    stop.set()
    cheap.join(timeout=120)

    assert len(attack_statuses) == len(ATTACKS), "every attack got an answer"
    assert attack_statuses and set(attack_statuses) <= {503, 504}, attack_statuses
    assert not failures, failures[:3]
    assert answered >= 1


def test_a_cheap_join_gets_the_reserve_slot_while_long_queries_hold_every_ordinary_one(
    service: RunningService,
) -> None:
    """With ECONSEC_MAX_CONCURRENCY long queries running, a two-pattern query is still evaluated
    (a reserve slot opens to it) and answered before any of them is: without the reserve it would
    wait for one of them to be stopped at its deadline."""
    slots = int(LIMITS["ECONSEC_MAX_CONCURRENCY"])
    statuses: list[int] = []

    def attacker() -> None:
        statuses.append(_query(service, ATTACKS["product count"]).status_code)

    attackers = [threading.Thread(target=attacker) for _ in range(slots)]
    for thread in attackers:
        thread.start()
    polling_until = time.monotonic() + 60  # a polling limit, not a speed requirement
    while service.health()["queries"]["running"] < slots and not statuses:
        assert time.monotonic() < polling_until, "the long queries never all started"
        time.sleep(0.05)
    assert not statuses, f"a long query was answered before all of them ran: {statuses}"

    response = _query(service, CHEAP, timeout=60)
    still_running = not statuses  # no long query had been answered when the cheap one was
    for thread in attackers:
        thread.join(timeout=180)

    assert _answered(response) is None, _answered(response)
    assert still_running, f"the cheap query waited for a long one to be stopped: {statuses}"
    assert sorted(statuses) == [504] * slots, statuses
