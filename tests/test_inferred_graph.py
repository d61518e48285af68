"""What the reasoner adds to the real graph: kept apart in g:inferred, and only what the axioms license."""

from __future__ import annotations

import pyoxigraph as ox

PREFIXES = """
PREFIX es: <https://w3id.org/econsec/ontology#>
PREFIX country: <https://w3id.org/econsec/id/country/>
PREFIX inst: <https://w3id.org/econsec/id/instrument/>
PREFIX g: <https://w3id.org/econsec/graph/>
"""


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(PREFIXES + query, use_default_graph_as_union=True))


def test_actual_memberships_become_member_of_links(built_store: ox.Store) -> None:
    assert ask(built_store, "ASK { GRAPH g:inferred { country:japan es:memberOf inst:ipef } }")
    assert ask(built_store, "ASK { GRAPH g:inferred { inst:ipef es:hasMember country:vietnam } }")


def test_proposed_members_endorsers_and_negotiators_are_not_inferred_members(built_store: ox.Store) -> None:
    assert ask(built_store, "ASK { ?m es:role es:ProposedMember }"), "the graph records proposed members"
    wrongly_inferred = """
        ASK {
            GRAPH g:inferred { ?actor es:memberOf ?body }
            FILTER NOT EXISTS {
                ?record es:member ?actor ; es:body ?body ; es:role ?role .
                FILTER (?role IN (es:Member, es:FoundingMember, es:Convener))
            }
        }"""
    assert not ask(built_store, wrongly_inferred)


def test_inferred_triples_are_not_asserted_anywhere_else(built_store: ox.Store) -> None:
    duplicated = """
        ASK {
            GRAPH g:inferred { ?s ?p ?o }
            GRAPH ?asserted { ?s ?p ?o }
            FILTER (?asserted != g:inferred)
        }"""
    assert not ask(built_store, duplicated)
