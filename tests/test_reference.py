"""Background facts in the reference graph are checked against the standards they come from."""

from __future__ import annotations

from importlib import resources

import pycountry
import pyoxigraph as ox

ES = "https://w3id.org/econsec/ontology#"
SKOS_EXACT = ox.NamedNode("http://www.w3.org/2004/02/skos/core#exactMatch")


def reference() -> list[ox.Quad]:
    return list(ox.parse(path=str(resources.files("econsec.graph") / "reference" / "reference.trig")))


def values(quads: list[ox.Quad], predicate: str) -> dict[str, str]:
    return {q.subject.value: q.object.value for q in quads if q.predicate.value == predicate}


def test_country_codes_match_iso_3166() -> None:
    quads = reference()
    alpha2, alpha3 = values(quads, ES + "iso3166Alpha2"), values(quads, ES + "iso3166Alpha3")
    assert len(alpha2) >= 20
    for country, code in alpha2.items():
        record = pycountry.countries.get(alpha_2=code)
        assert record is not None, f"{country}: {code} is not an ISO 3166-1 code"
        assert alpha3[country] == record.alpha_3, country


def test_currency_codes_match_iso_4217() -> None:
    for currency, code in values(reference(), ES + "iso4217Code").items():
        assert pycountry.currencies.get(alpha_3=code) is not None, currency
        assert currency.endswith("/" + code)


def test_wikidata_links_are_exact_matches_to_entity_iris() -> None:
    links = [q for q in reference() if q.predicate == SKOS_EXACT]
    assert len(links) >= 40
    for link in links:
        assert link.object.value.startswith("http://www.wikidata.org/entity/Q"), link
    # Checked identifiers, including one a first draft had wrong (Q875 is not gallium).
    by_subject = {q.subject.value.rsplit("/", 1)[1]: q.object.value.rsplit("/", 1)[1] for q in links}
    assert by_subject["japan"] == "Q17" and by_subject["gallium"] == "Q861"
