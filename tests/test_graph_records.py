"""Graph 0.2 rules the built graph keeps: no orphans, every status dated and attributed, records not short forms."""

from __future__ import annotations

import pyoxigraph as ox
from econsec.graph.coverage import orphans, section_coverage

ES = "https://w3id.org/econsec/ontology#"


def ask(store: ox.Store, query: str) -> bool:
    return bool(store.query(f"PREFIX es: <{ES}> " + query, use_default_graph_as_union=True))


def test_no_orphans(built_store: ox.Store) -> None:
    """Every entity takes part in a relation besides type, names, description and provenance."""
    assert orphans(built_store) == []


def test_no_status_without_its_date_and_source(built_store: ox.Store) -> None:
    assert ask(built_store, "ASK { ?a a es:StatusAssertion }")
    assert not ask(
        built_store,
        """ASK { GRAPH ?g { ?a a es:StatusAssertion }
                 FILTER NOT EXISTS { ?a es:asOf ?when ; es:statedIn ?document ; es:statusOf ?i ; es:assertedStatus ?s .
                                     ?document a es:SourceDocument } }""",
    )


def test_statuses_tenures_and_dependences_are_records_not_short_forms(built_store: ox.Store) -> None:
    asserted = "FILTER (?g != <https://w3id.org/econsec/graph/inferred>)"
    for prop in ("status", "heldBy", "dependsOn", "dependsOnFor"):
        assert not ask(built_store, f"ASK {{ GRAPH ?g {{ ?s es:{prop} ?o }} {asserted} }}"), prop
    # ... and the short forms are still there to query, inferred from the records
    assert ask(
        built_store, "ASK { GRAPH <https://w3id.org/econsec/graph/inferred> { ?i es:status es:Enacted } }"
    )
    assert ask(
        built_store,
        "ASK { GRAPH <https://w3id.org/econsec/graph/inferred> "
        "{ <https://w3id.org/econsec/id/post/us-president> es:heldBy <https://w3id.org/econsec/id/person/joe-biden> } }",
    )


def test_records_of_participation_have_their_own_types(built_store: ox.Store) -> None:
    for cls in ("Endorsement", "Negotiation", "Presidency", "ProposedMembership"):
        assert ask(built_store, f"ASK {{ ?r a es:{cls} }}"), cls


def test_every_document_section_yields_facts(built_store: ox.Store) -> None:
    rows = section_coverage(built_store)
    assert rows and all(r.facts >= 0 for r in rows)
    assert sum(r.facts for r in rows) > 1000
