"""The table people read, from a saved query's answer: names, titles and figures as words.

Run against a small pyoxigraph store so the terms (IRIs, typed literals) are the engine's own.
"""

from __future__ import annotations

from decimal import Decimal

import pyoxigraph as ox
import pytest
from econsec.queries.catalogue import HeaderError, parse
from econsec.service.web.result_table import amount_in_words, build_table, humanise

EX = "https://w3id.org/econsec/id/"
DATA = f"""
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://example.org/> .
<{EX}country/japan> rdfs:label "Japan"@en ; ex:amount 3900000000000 ; ex:code "JPY" ; ex:share 70 ;
    ex:about "nearly" ; ex:when "2023-03"^^xsd:gYearMonth ; ex:on "2022-10-07"^^xsd:date ;
    ex:adopted true ; ex:peer <{EX}country/china> ; ex:other <https://example.org/thing/rare-earths> .
<{EX}country/china> rdfs:label "China"@en .
"""
QUERY = """#+ summary: test
#+ columns:
#+   amount: {title: Total support, format: amount, unit: code}
#+   share: {format: percent, approximation: about}
#+   notes: {hidden: true}
PREFIX ex: <https://example.org/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?_who_iri ?country ?countryLabel ?amount ?code ?share ?about ?when ?on ?adopted ?peer ?other ?notes
WHERE {
  ?country ex:amount ?amount ; ex:code ?code ; ex:share ?share ; ex:about ?about ; ex:when ?when ;
           ex:on ?on ; ex:adopted ?adopted ; ex:peer ?peer ; ex:other ?other ; rdfs:label ?countryLabel .
  BIND (?country AS ?_who_iri) BIND ("n" AS ?notes)
}
"""


@pytest.fixture(scope="module")
def table():  # type: ignore[no-untyped-def]
    store = ox.Store()
    store.load(DATA.encode(), ox.RdfFormat.TURTLE)
    query = parse("test", QUERY)
    result = store.query(query.text)
    variables = [v.value for v in result.variables]
    names = {EX + "country/china": "China"}

    def page_of(iri: str) -> str | None:
        return "/id/" + iri[len(EX) :] if iri.startswith(EX) else None

    return build_table(query, variables, list(result), names.get, page_of)


def test_titles_are_words_and_helper_columns_are_folded_or_hidden(table) -> None:  # type: ignore[no-untyped-def]
    titles = [c.title for c in table.columns]
    assert titles == ["Country", "Total support", "Share", "When", "On", "Adopted", "Peer", "Other"]


def test_cells_read_as_names_dates_and_figures(table) -> None:  # type: ignore[no-untyped-def]
    row = {c.title: cell for c, cell in zip(table.columns, table.rows[0], strict=True)}
    assert (row["Country"].text, row["Country"].href) == ("Japan", "/id/country/japan")
    assert row["Total support"].text == "JPY 3.9 trillion" and row["Total support"].sort == "3900000000000"
    assert row["Share"].text == "nearly 70%"
    assert (row["When"].text, row["When"].sort) == ("March 2023", "2023-03")
    assert row["On"].text == "7 October 2022"
    assert row["Adopted"].text == "Yes"
    assert row["Peer"].text == "China", "a name looked up when no column holds it"
    assert row["Other"].text == "rare earths" and row["Other"].external, "no name: the IRI's last segment"
    assert table.to_csv().splitlines()[0] == ",".join(c.title for c in table.columns)


@pytest.mark.parametrize(
    ("variable", "title"),
    [
        ("countryLabel", "Country"),
        ("shareOfGDP", "Share of GDP"),
        ("_importer_iri", "Importer"),
        ("asOf", "As of"),
        ("workUrl", "Work URL"),
    ],
)
def test_humanised_titles(variable: str, title: str) -> None:
    assert humanise(variable) == title


@pytest.mark.parametrize(
    ("number", "words"),
    [
        ("280000000000", "280 billion"),
        ("3900000000000", "3.9 trillion"),
        ("14000000", "14 million"),
        ("5000", "5,000"),
    ],
)
def test_amounts_in_words(number: str, words: str) -> None:
    assert amount_in_words(Decimal(number)) == words


def test_a_header_typo_is_refused_with_the_file_named() -> None:
    with pytest.raises(HeaderError, match="no key"):
        parse("bad", "#+ columns:\n#+   share: {titel: Share}\nSELECT * {}")
    with pytest.raises(HeaderError, match="format"):
        parse("bad", "#+ columns:\n#+   share: {format: money}\nSELECT * {}")
    with pytest.raises(HeaderError, match="parameter_classes"):
        parse("bad", "#+ parameter_classes:\n#+   who: nope:Thing\nSELECT ?_who_iri {}")


def test_parameter_classes_use_the_query_prefixes() -> None:
    query = parse(
        "ok",
        "#+ parameter_classes:\n#+   who: es:Actor\nPREFIX es: <https://w3id.org/econsec/ontology#>\n"
        "SELECT ?_who_iri {}",
    )
    assert query.parameter_classes == {"who": "https://w3id.org/econsec/ontology#Actor"}
