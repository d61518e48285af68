"""How much of each source document the graph covers, and which entities hang loose.

``section_coverage`` counts, per document section (``es:section`` of its passages), the facts
the passages of that section yield (the OWL axiom annotations whose ``prov:wasDerivedFrom`` is
one of them), so sections that yield nothing stand out. ``orphans`` lists the entities that take
part in no relation besides type, names, description and provenance. Both read a built store
(asserted graphs; the inferred graph adds nothing a curator could fix) and return plain rows,
for the ``econsec coverage`` command and for tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QuerySolutions, Store

from .paths import ES, G_INFERRED, G_ONTOLOGY, ID

__all__ = ["NON_RELATIONS", "SectionCoverage", "orphans", "section_coverage"]

#: properties that say what a thing is called or where a statement came from, not how it relates
NON_RELATIONS = (
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#type",
    "http://www.w3.org/2000/01/rdf-schema#label",
    "http://www.w3.org/2004/02/skos/core#altLabel",
    "http://www.w3.org/2004/02/skos/core#prefLabel",
    "http://purl.org/dc/terms/description",
    "http://www.w3.org/ns/prov#wasDerivedFrom",
    "http://www.w3.org/2002/07/owl#annotatedSource",
    "http://www.w3.org/2002/07/owl#annotatedProperty",
    "http://www.w3.org/2002/07/owl#annotatedTarget",
    "http://purl.org/dc/terms/subject",
    "http://www.w3.org/2004/02/skos/core#inScheme",
    "http://www.w3.org/2004/02/skos/core#topConceptOf",
)

#: IRIs under id/ that are provenance machinery, not entities of the domain
_NOT_ENTITIES = ("statement/", "passage/", "document/", "work/")


@dataclass(frozen=True)
class SectionCoverage:
    document: str
    title: str
    section: str
    passages: int
    facts: int


def _rows(store: Store, query: str) -> QuerySolutions:
    result = store.query(query)
    assert isinstance(result, QuerySolutions)
    return result


def section_coverage(store: Store) -> list[SectionCoverage]:
    """Facts per document section, in document then section order (sections by first passage IRI)."""
    query = f"""
        PREFIX es: <{ES}>
        PREFIX prov: <http://www.w3.org/ns/prov#>
        PREFIX owl: <http://www.w3.org/2002/07/owl#>
        PREFIX dcterms: <http://purl.org/dc/terms/>
        SELECT ?document ?title ?section (COUNT(DISTINCT ?passage) AS ?passages) (COUNT(DISTINCT ?axiom) AS ?facts)
        WHERE {{
            GRAPH ?g {{ ?passage a es:Passage ; es:inDocument ?document ; es:section ?section }}
            OPTIONAL {{ GRAPH ?g2 {{ ?document dcterms:title ?title }} }}
            OPTIONAL {{ GRAPH ?g3 {{ ?axiom a owl:Axiom ; prov:wasDerivedFrom ?passage }} }}
        }}
        GROUP BY ?document ?title ?section
    """
    rows = [
        SectionCoverage(
            document=r["document"].value,
            title=r["title"].value if r["title"] is not None else "",
            section=r["section"].value,
            passages=int(r["passages"].value),
            facts=int(r["facts"].value),
        )
        for r in _rows(store, query)
    ]
    # the document order of sections: the order their first passage appears is not in the data,
    # so keep a stable, readable order: by document, then by section heading path
    rows.sort(key=lambda c: (c.document, c.section))
    return rows


def orphans(store: Store) -> list[str]:
    """Entities (typed IRIs under id/) with no link to another IRI but type, names, description, provenance."""
    excluded = ", ".join(f"<{p}>" for p in NON_RELATIONS)
    not_entities = " && ".join(f'!STRSTARTS(STR(?e), "{ID}{n}")' for n in _NOT_ENTITIES)
    query = f"""
        SELECT DISTINCT ?e WHERE {{
            GRAPH ?g {{ ?e a ?class }}
            FILTER (?g != <{G_ONTOLOGY.value}> && ?g != <{G_INFERRED.value}>)
            FILTER (STRSTARTS(STR(?e), "{ID}") && {not_entities})
            FILTER NOT EXISTS {{
                GRAPH ?h {{ ?e ?p ?o }}
                FILTER (?h != <{G_INFERRED.value}> && isIRI(?o) && ?p NOT IN ({excluded}))
            }}
            FILTER NOT EXISTS {{
                GRAPH ?h {{ ?s ?p ?e }}
                FILTER (?h != <{G_INFERRED.value}> && ?p NOT IN ({excluded}))
            }}
        }} ORDER BY ?e
    """
    return [r["e"].value for r in _rows(store, query)]


def render_report(store: Store, source: str = "") -> str:
    """Plain-text coverage report: facts per section per document, sections with none, orphans."""
    rows = section_coverage(store)
    lines = [f"Coverage{f' ({source})' if source else ''}: facts per document section"]
    for document in sorted({r.document for r in rows}):
        mine = [r for r in rows if r.document == document]
        title = mine[0].title or document
        lines.append("")
        lines.append(f"{title}  [{sum(r.facts for r in mine)} facts, {len(mine)} sections]")
        width = max(len(r.section) for r in mine)
        for r in mine:
            lines.append(f"  {r.section.ljust(width)}  {r.passages:>3} passage(s)  {r.facts:>5} fact(s)")
    empty = [r for r in rows if r.facts == 0]
    lines.append("")
    lines.append(f"Sections with no facts: {len(empty)}")
    lines.extend(f"  {r.title or r.document} > {r.section}" for r in empty)
    loose = orphans(store)
    lines.append(f"Orphan entities (no relation besides type, names, description, provenance): {len(loose)}")
    lines.extend(f"  {iri}" for iri in loose)
    return "\n".join(lines)
