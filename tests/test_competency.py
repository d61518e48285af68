"""Each competency question (../shared/competency-questions.md) answered by its saved query over the built graph.

The expected answers are the ones the source documents give; they live in ``expectations.py``,
shared with the REST API tests. Here queries run in pyoxigraph with the union of all named graphs
as default graph, as the service will run them.
"""

from __future__ import annotations

from functools import partial

import expectations
import pyoxigraph as ox
import pytest
from econsec.queries import catalogue


def run(store: ox.Store, name: str, **params: str) -> list[dict[str, str | None]]:
    """Rows of a saved query as plain strings (IRIs and lexical forms)."""
    query = catalogue.get(name)
    solutions = store.query(
        query.text, substitutions=query.substitutions(params), use_default_graph_as_union=True
    )
    names = [v.value for v in solutions.variables]
    return [{n: (s[n].value if s[n] is not None else None) for n in names} for s in solutions]


def test_every_competency_question_has_exactly_one_saved_query() -> None:
    answered = sorted(q.competency_question for q in catalogue.load().values() if q.competency_question)
    assert answered == list(range(1, 36))


def test_cq01_us_technology_controls_on_china(built_store: ox.Store) -> None:
    expectations.cq01_us_technology_controls_on_china(partial(run, built_store))


def test_cq02_allied_alignment_on_chip_equipment(built_store: ox.Store) -> None:
    expectations.cq02_allied_alignment_on_chip_equipment(partial(run, built_store))


def test_cq03_china_retaliates_with_gallium_and_germanium_curbs(built_store: ox.Store) -> None:
    expectations.cq03_china_retaliates_with_gallium_and_germanium_curbs(partial(run, built_store))


def test_cq04_japan_dependence_on_china(built_store: ox.Store) -> None:
    expectations.cq04_japan_dependence_on_china(partial(run, built_store))


def test_cq05_us_japan_critical_minerals_agreement(built_store: ox.Store) -> None:
    expectations.cq05_us_japan_critical_minerals_agreement(partial(run, built_store))


def test_cq06_ipef_launch_participants(built_store: ox.Store) -> None:
    expectations.cq06_ipef_launch_participants(partial(run, built_store))


def test_cq07_ipef_pillar_status(built_store: ox.Store) -> None:
    expectations.cq07_ipef_pillar_status(partial(run, built_store))


def test_cq07_pillar_announcement_summit_is_apec_san_francisco(built_store: ox.Store) -> None:
    expectations.cq07_pillar_announcement_summit_is_apec_san_francisco(partial(run, built_store))


def test_cq08_semiconductor_spending(built_store: ox.Store) -> None:
    expectations.cq08_semiconductor_spending(partial(run, built_store))


def test_cq09_rapidus(built_store: ox.Store) -> None:
    expectations.cq09_rapidus(partial(run, built_store))


def test_cq10_japanese_ev_investment_in_north_america(built_store: ox.Store) -> None:
    expectations.cq10_japanese_ev_investment_in_north_america(partial(run, built_store))


def test_cq11_legal_and_strategic_basis_in_order(built_store: ox.Store) -> None:
    expectations.cq11_legal_and_strategic_basis_in_order(partial(run, built_store))


def test_cq12_economic_two_plus_two(built_store: ox.Store) -> None:
    expectations.cq12_economic_two_plus_two(partial(run, built_store))


def test_cq13_recommendations(built_store: ox.Store) -> None:
    expectations.cq13_recommendations(partial(run, built_store))


def test_cq14_economic_coercion_episodes(built_store: ox.Store) -> None:
    expectations.cq14_economic_coercion_episodes(partial(run, built_store))


def test_cq15_timeline_is_in_date_order_with_actors(built_store: ox.Store) -> None:
    expectations.cq15_timeline_is_in_date_order_with_actors(partial(run, built_store))


def test_cq16_southeast_asian_minerals(built_store: ox.Store) -> None:
    expectations.cq16_southeast_asian_minerals(partial(run, built_store))


def test_cq17_ev_tax_credit_conditions(built_store: ox.Store) -> None:
    expectations.cq17_ev_tax_credit_conditions(partial(run, built_store))


def test_cq18_provenance_of_a_fact(built_store: ox.Store) -> None:
    expectations.cq18_provenance_of_a_fact(partial(run, built_store))


def test_cq19_actor_profile(built_store: ox.Store) -> None:
    expectations.cq19_actor_profile(partial(run, built_store))


def test_cq20_technology_exposure(built_store: ox.Store) -> None:
    expectations.cq20_technology_exposure(partial(run, built_store))


def test_unknown_and_badly_typed_parameters_are_refused() -> None:
    query = catalogue.get("cq19-actor-profile")
    with pytest.raises(catalogue.ParameterError, match="'country'"):
        query.substitutions({"country": "x"})
    with pytest.raises(catalogue.ParameterError, match="'actor'"):
        query.substitutions({"actor": "not an iri> } ; DROP ALL #"})


GRAPH_02_QUESTIONS = [name for name in expectations.CHECKS if name[:2] == "cq" and 21 <= int(name[2:4]) <= 35]


@pytest.mark.parametrize("name", GRAPH_02_QUESTIONS)
def test_graph_02_competency_questions(built_store: ox.Store, name: str) -> None:
    for check in expectations.CHECKS[name]:
        check(partial(run, built_store))


@pytest.mark.parametrize(
    "name", ["instruments-in-force", "instrument-status-history", "instrument-lifecycle"]
)
def test_time_views(built_store: ox.Store, name: str) -> None:
    for check in expectations.CHECKS[name]:
        check(partial(run, built_store))
