"""The ontology documentation page documents every class and property and needs no network."""

from __future__ import annotations

import re

import rdflib
from econsec.ontology.documentation import ontology_html, ontology_path
from rdflib.namespace import OWL, RDF


def test_documentation_lists_every_term_and_loads_nothing_remote() -> None:
    html = ontology_html()
    graph = rdflib.Graph().parse(ontology_path())
    es = "https://w3id.org/econsec/ontology#"
    for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty):
        for term in graph.subjects(RDF.type, kind):
            if str(term).startswith(es):
                assert str(term) in html, f"{term} is not documented"
    assert not re.findall(r"<(?:script|link|img)[^>]+(?:src|href)=\"https?://", html), (
        "page loads remote assets"
    )
    assert len(html.encode()) < 1_000_000
