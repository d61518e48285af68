"""The ontology page documents every class and property, from the ontology graph, and needs no network."""

from __future__ import annotations

import re

import httpx
import rdflib
from conftest import RunningService
from econsec.graph.paths import ontology_file
from rdflib.namespace import OWL, RDF

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def test_documentation_lists_every_term_and_loads_nothing_remote(sparql_service: RunningService) -> None:
    response = httpx.get(sparql_service.base + "/ontology", headers={"Accept": BROWSER}, timeout=60)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    html = response.text
    graph = rdflib.Graph().parse(ontology_file())
    es = "https://w3id.org/econsec/ontology#"
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in graph.subjects(RDF.type, kind):
            if str(term).startswith(es):
                assert str(term) in html, f"{term} is not documented"
                assert f'id="{str(term)[len(es) :]}"' in html, f"{term} has no anchor for its hash IRI"
    assert not re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"https?://", html), (
        "page loads remote assets"
    )
    assert len(html.encode()) < 1_000_000
