"""Locust load profile: researchers, analysts and linked-data clients on one service.

Run by ``bench/load.py`` (``make bench``): 60 s at 32 users, zero failed requests required, the
figures recorded in ``bench/RESULTS.md``. Each simulated user thinks between requests (0.2-1 s), as people and
polite clients do; the mix is point lookups (entity pages as RDF and DESCRIBE / SELECT by IRI),
saved queries with parameters, and the kind of query the editor sends (counts per class, label
search, a page of a sorted listing).
"""

from __future__ import annotations

import random

from locust import HttpUser, between, events, task

SPARQL_JSON = {"Accept": "application/sparql-results+json"}
ENTITIES: list[str] = []
BASE = "https://w3id.org/econsec/"

_LIST_ENTITIES = f"""
SELECT DISTINCT ?s WHERE {{
  ?s a ?type ; <http://www.w3.org/2000/01/rdf-schema#label> ?label .
  FILTER(STRSTARTS(STR(?s), "{BASE}id/") && !CONTAINS(STR(?s), "/statement/"))
}} ORDER BY ?s LIMIT 400
"""
_EDITOR_QUERIES = [
    """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?type (COUNT(?s) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY DESC(?n) LIMIT 20""",
    """PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?s ?label WHERE { ?s rdfs:label ?label FILTER(CONTAINS(LCASE(STR(?label)), "export")) } LIMIT 50""",
    """PREFIX es: <https://w3id.org/econsec/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?instrument ?label WHERE { ?instrument a es:ExportControl ; rdfs:label ?label } ORDER BY ?label LIMIT 25""",
    """SELECT ?g (COUNT(*) AS ?triples) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g""",
]
_SAVED = [
    ("cq08-semiconductor-spending", {}),
    ("cq04-dependence", {}),
    ("actor-network", {"relation": "backs", "format": "csv"}),
    ("cq19-actor-profile", {"actor": BASE + "id/country/japan"}),
    ("export-control-alignment", {"per_page": "20"}),
]


@events.test_start.add_listener
def _collect_entities(environment: object, **_kwargs: object) -> None:
    """Entity IRIs to look up, asked once from the service under test."""
    import requests

    host = environment.host  # type: ignore[attr-defined]
    answer = requests.post(f"{host}/sparql", data={"query": _LIST_ENTITIES}, headers=SPARQL_JSON, timeout=60)
    answer.raise_for_status()
    ENTITIES[:] = [b["s"]["value"] for b in answer.json()["results"]["bindings"]]


class Visitor(HttpUser):
    wait_time = between(0.2, 1.0)

    def _entity(self) -> str:
        return random.choice(ENTITIES) if ENTITIES else BASE + "id/country/japan"

    @task(4)
    def point_lookup(self) -> None:
        query = f"SELECT ?p ?o WHERE {{ <{self._entity()}> ?p ?o }}"
        self.client.post("/sparql", data={"query": query}, headers=SPARQL_JSON, name="/sparql [lookup]")

    @task(2)
    def entity_as_rdf(self) -> None:
        path = self._entity().removeprefix(BASE)
        self.client.get(f"/{path}", headers={"Accept": "text/turtle"}, name="/id/... [turtle]")

    @task(2)
    def saved_query(self) -> None:
        name, params = random.choice(_SAVED)
        self.client.get(f"/queries/{name}", params=params, name=f"/queries/{name}")

    @task(2)
    def editor_query(self) -> None:
        query = random.choice(_EDITOR_QUERIES)
        self.client.get("/sparql", params={"query": query}, headers=SPARQL_JSON, name="/sparql [editor]")
