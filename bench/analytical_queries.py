"""The analytical queries timed by :mod:`bench.analytical`: joins, GROUP BY, ORDER BY over the whole graph."""

from __future__ import annotations

__all__ = ["QUERIES"]

_PREFIXES = """PREFIX es: <https://w3id.org/econsec/ontology#>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
PREFIX owl: <http://www.w3.org/2002/07/owl#>
PREFIX prov: <http://www.w3.org/ns/prov#>
"""

QUERIES: dict[str, str] = {
    "instruments-per-issuer-per-year": _PREFIXES
    + """SELECT ?issuer ?issuerLabel ?year (COUNT(DISTINCT ?instrument) AS ?instruments)
WHERE {
  ?instrument a es:Instrument ; es:issuedBy ?issuer ; es:date ?date .
  ?issuer rdfs:label ?issuerLabel . FILTER (LANG(?issuerLabel) = "en")
  BIND (SUBSTR(STR(?date), 1, 4) AS ?year)
}
GROUP BY ?issuer ?issuerLabel ?year
ORDER BY DESC(?instruments) ?issuerLabel ?year""",
    "dependence-by-material-and-supplier": _PREFIXES
    + """SELECT ?materialLabel ?supplierLabel (COUNT(?observation) AS ?observations)
       (AVG(?share) AS ?meanShare) (MIN(?period) AS ?firstPeriod)
WHERE {
  ?observation a es:DependenceShare ; es:counterpart ?supplier ; es:material ?material ; es:value ?share .
  OPTIONAL { ?observation es:period ?period }
  ?material rdfs:label ?materialLabel . FILTER (LANG(?materialLabel) = "en")
  ?supplier rdfs:label ?supplierLabel . FILTER (LANG(?supplierLabel) = "en")
}
GROUP BY ?materialLabel ?supplierLabel
ORDER BY DESC(?observations) ?materialLabel ?supplierLabel""",
    "facts-per-document-section": _PREFIXES
    + """SELECT ?document ?section (COUNT(DISTINCT ?axiom) AS ?facts)
WHERE {
  ?axiom a owl:Axiom ; prov:wasDerivedFrom ?passage .
  ?passage es:inDocument ?document ; es:section ?section .
}
GROUP BY ?document ?section
ORDER BY DESC(?facts) ?document ?section""",
    "entities-per-class": _PREFIXES
    + """SELECT ?class ?classLabel (COUNT(DISTINCT ?entity) AS ?entities)
WHERE {
  ?entity a ?class .
  OPTIONAL { ?class rdfs:label ?classLabel . FILTER (LANG(?classLabel) = "en") }
}
GROUP BY ?class ?classLabel
ORDER BY DESC(?entities) ?class""",
    "triples-per-graph-and-predicate": """SELECT ?graph ?predicate (COUNT(*) AS ?triples)
WHERE { GRAPH ?graph { ?s ?predicate ?o } }
GROUP BY ?graph ?predicate
ORDER BY DESC(?triples) ?graph ?predicate
LIMIT 200""",
}
