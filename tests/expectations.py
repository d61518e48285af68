"""Expected answers of the saved queries, as the source documents give them, shared by every way of running a query.

Each check takes a ``run(name, **params)`` callable returning the query's rows as plain strings
(IRIs and lexical forms, ``None`` when unbound) and asserts what seed 000 (Brookings 2022) and
seed 003 (Atlantic Council 2024) state. ``tests/test_competency.py`` runs them over the built
store in process; ``tests/test_queries_api.py`` runs the same checks through ``GET /queries/{name}``
of a real server, so the API is held to the same answers, not to a copy of them.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyoxigraph as ox

ID = "https://w3id.org/econsec/id/"

Rows = list[dict[str, str | None]]
#: runs a saved query by name with parameters and returns its rows as plain strings
Runner = Callable[..., Rows]


def column(rows: Rows, name: str) -> set[str]:
    return {r[name] for r in rows if r[name] is not None}


def number(value: str | None) -> Decimal:
    assert value is not None
    return Decimal(value)


# --- Competency questions (../shared/competency-questions.md) ------------------------------


def cq01_us_technology_controls_on_china(run: Runner) -> None:
    rows = run("cq01-us-technology-controls-on-china")
    by_iri = {r["instrument"]: r for r in rows}
    expected = {
        "instrument/us-export-control-reform-act-2018": "2018",
        "instrument/huawei-entity-listing-2019": "2019-05",
        "instrument/us-advanced-computing-export-controls-2022": "2022-10-07",
    }
    for slug, date in expected.items():
        assert ID + slug in by_iri, f"{slug} missing from US controls on China"
        assert by_iri[ID + slug]["date"] == date
    fdpr = [
        r for r in rows if "direct product" in r["label"].lower() and (r["date"] or "").startswith("2020-05")
    ]
    assert fdpr, "the May 2020 use of the Foreign Direct Product Rule is missing"
    assert "Commerce" in fdpr[0]["issuers"]
    assert (
        "Bureau of Industry and Security"
        in by_iri[ID + "instrument/us-advanced-computing-export-controls-2022"]["issuers"]
    )
    outbound = [r for r in rows if r["kind"] == "outbound investment restriction"]
    assert outbound, "restrictions on outbound US investment are missing"
    covered = " ".join(r["covers"] or "" for r in outbound).lower()
    for sector in ("semiconductor", "quantum", "artificial intelligence"):
        assert sector in covered
    assert not any("russia" in (r["targets"] or "").lower() for r in rows), (
        "controls aimed at Russia are not China controls"
    )


def cq02_allied_alignment_on_chip_equipment(run: Runner) -> None:
    rows = run("cq02-allied-chip-equipment-controls")
    by_country = {r["countryLabel"]: r for r in rows}
    assert set(by_country) == {"Japan", "Netherlands"}
    assert by_country["Japan"]["date"] == "2023-03"
    assert number(by_country["Japan"]["equipmentTypes"]) == 23
    assert by_country["Netherlands"]["date"] == "2023-06"


def cq03_china_retaliates_with_gallium_and_germanium_curbs(run: Runner) -> None:
    rows = run("cq03-retaliation")
    assert rows, "no Chinese response to semiconductor controls recorded"
    curbs = [r for r in rows if "gallium" in (r["covers"] or "") and "germanium" in (r["covers"] or "")]
    assert curbs and curbs[0]["date"] == "2023-07"


def cq04_japan_dependence_on_china(run: Runner) -> None:
    rows = run("cq04-dependence")
    china = [r for r in rows if r["supplier"] == ID + "country/china"]
    rare_earths = {r["period"]: r for r in china if r["material"] == ID + "material/rare-earth-elements"}
    assert number(rare_earths["2010"]["share"]) == 90 and rare_earths["2010"]["approximation"] == "nearly"
    assert number(rare_earths["2023"]["share"]) == 60
    gallium = [r for r in china if r["material"] == ID + "material/gallium"]
    assert gallium and number(gallium[0]["share"]) == 70 and gallium[0]["approximation"] == "nearly"
    assert all(r["document"] for r in china), "every dependence figure names the document graph it comes from"


def cq05_us_japan_critical_minerals_agreement(run: Runner) -> None:
    rows = run("cq05-critical-minerals-agreements")
    cma = [r for r in rows if r["agreement"] == ID + "instrument/us-japan-critical-minerals-agreement"]
    assert cma, "the US-Japan Critical Minerals Agreement is missing"
    assert cma[0]["signed"] == "2023-03"
    assert set(cma[0]["minerals"].split("; ")) == {"cobalt", "graphite", "lithium", "manganese", "nickel"}
    assert {"United States", "Japan"} <= set(cma[0]["parties"].split("; "))


def cq06_ipef_launch_participants(run: Runner) -> None:
    rows = run("cq06-framework-membership")
    founders = {r["memberLabel"] for r in rows if r["roleLabel"] == "founding member"}
    assert founders == {
        "United States",
        "Japan",
        "Australia",
        "Brunei",
        "India",
        "Indonesia",
        "Malaysia",
        "New Zealand",
        "Philippines",
        "Singapore",
        "South Korea",
        "Thailand",
        "Vietnam",
    }


def cq07_ipef_pillar_status(run: Runner) -> None:
    rows = run("cq07-framework-pillars")
    status = {
        r["label"]: r for r in rows if r["source"] == "https://w3id.org/econsec/graph/atlantic-council-2024"
    }

    def pillar(word: str) -> dict[str, str | None]:
        matches = [row for label, row in status.items() if word in label.lower()]
        assert len(matches) == 1, f"expected one IPEF {word} pillar, got {len(matches)}"
        return matches[0]

    assert pillar("supply chain")["statusLabel"] == "concluded"
    for word in ("clean energy", "anticorruption"):
        row = pillar(word)
        assert row["statusLabel"] == "announced" and row["announced"] == "2023-11"
        assert row["placeLabel"] == "San Francisco"
    assert pillar("trade")["statusLabel"] == "postponed"


def cq07_pillar_announcement_summit_is_apec_san_francisco(run: Runner) -> None:
    rows = run("cq07-framework-pillars")
    announced = [r for r in rows if r["statusLabel"] == "announced"]
    assert announced and all(r["placeLabel"] == "San Francisco" for r in announced)
    assert all(
        "Asia-Pacific Economic Cooperation" in r["occasionLabel"] or "APEC" in r["occasionLabel"]
        for r in announced
    )


def cq08_semiconductor_spending(run: Runner) -> None:
    rows = {r["countryLabel"]: r for r in run("cq08-semiconductor-spending")}
    expected = {
        "Japan": (Decimal("3.9e12"), 3, Decimal("0.71")),
        "United States": (Decimal("7.1e12"), 5, Decimal("0.21")),
        "Germany": (Decimal("2.5e12"), 5, Decimal("0.41")),
        "France": (Decimal("7e11"), 5, Decimal("0.2")),
    }
    assert set(rows) == set(expected)
    for country, (amount, years, share) in expected.items():
        assert number(rows[country]["amount"]) == amount, country
        assert number(rows[country]["years"]) == years, country
        assert number(rows[country]["shareOfGDP"]) == share, country
        assert rows[country]["currencyCode"] == "JPY"


def cq09_rapidus(run: Runner) -> None:
    rows = run("cq09-company-backing")
    backers = {r["itemLabel"] for r in rows if r["aspect"] == "backed by"}
    assert {"Toyota", "Sony", "NEC", "Denso", "NTT", "Kioxia", "SoftBank", "MUFG Bank"} <= backers
    goals = [r for r in rows if r["aspect"] == "goal"]
    assert any(r["detail"] == "2 nm logic chips" and r["date"] == "2027" for r in goals)
    subsidies = {
        (r["currencyCode"], number(r["amount"])) for r in rows if r["aspect"] == "subsidy" and r["amount"]
    }
    assert ("JPY", Decimal("1e12")) in subsidies and ("USD", Decimal("6.3e9")) in subsidies
    assert "IBM" in {r["itemLabel"] for r in rows if r["aspect"] == "partner"}


def cq10_japanese_ev_investment_in_north_america(run: Runner) -> None:
    rows = {r["investorLabel"]: r for r in run("cq10-north-american-ev-investment")}
    assert (
        number(rows["Toyota"]["amount"]) == Decimal("14e9")
        and rows["Toyota"]["placeLabel"] == "North Carolina"
    )
    assert rows["Toyota"]["approximation"] == "nearly"
    assert number(rows["Panasonic"]["amount"]) == Decimal("4e9")
    assert number(rows["Honda"]["amount"]) == Decimal("11e9") and rows["Honda"]["placeLabel"] == "Canada"
    assert all(r["currencyCode"] == "USD" for r in rows.values())


def cq11_legal_and_strategic_basis_in_order(run: Runner) -> None:
    rows = run("cq11-legal-and-strategic-basis")
    us = [(r["date"], r["label"]) for r in rows if r["countryLabel"] == "United States"]
    japan = [(r["date"], r["label"]) for r in rows if r["countryLabel"] == "Japan"]
    assert [d for d, _ in us] == sorted(d for d, _ in us) and [d for d, _ in japan] == sorted(
        d for d, _ in japan
    )

    def year_of(rows: list[tuple[str, str]], *words: str) -> str:
        hits = [d for d, label in rows if all(w.lower() in label.lower() for w in words)]
        assert hits, f"nothing labelled with {words}"
        return hits[0][:4]

    assert year_of(us, "National Security Strategy", "2017") == "2017"
    assert year_of(us, "Foreign Investment Risk Review") == "2018"
    assert year_of(us, "Export Control Reform") == "2018"
    assert year_of(us, "Interim") == "2021"
    assert year_of(us, "CHIPS") == "2022"
    assert year_of(us, "Inflation Reduction") == "2022"
    assert year_of(us, "National Security Strategy", "2022") == "2022"
    cfius = [d for d, label in us if "CFIUS" in label or "Committee on Foreign Investment" in label]
    assert "2022-09-15" in cfius or "2022-09" in cfius
    assert year_of(japan, "telecom") == "2018"
    assert year_of(japan, "screening") == "2019"
    assert [d for d, label in japan if label == "Economic Security Promotion Act"] == ["2022-05"]
    assert year_of(japan, "National Security Strategy") == "2022"


def cq12_economic_two_plus_two(run: Runner) -> None:
    rows = {r["mechanism"]: r for r in run("cq12-coordination-bodies")}
    epcc = rows.get(ID + "instrument/us-japan-epcc")
    assert epcc, "the Economic 2+2 is missing from the coordination bodies"
    assert epcc["created"] == "2022-07"
    participants = epcc["participants"]
    for who in (
        "US Secretary of State",
        "US Secretary of Commerce",
        "Ministry of Foreign Affairs of Japan",
        "Ministry of Economy, Trade and Industry",
    ):
        assert who in participants
    assert len(rows) >= 3, "the documents name several US-Japan coordination mechanisms"


def cq13_recommendations(run: Runner) -> None:
    rows = run("cq13-recommendations")
    labels = " | ".join(r["instrumentLabel"] for r in rows).lower()
    for proposal in ("g7 plus", "critical minerals", "sectoral", "trade pillar"):
        assert proposal in labels, f"no recommendation about {proposal}"
    export_regime = [r for r in rows if "Wassenaar Arrangement" in (r["wouldReplace"] or "")]
    assert export_regime and export_regime[0]["statusLabel"] == "proposed"
    assert "Amy Searight" in {r["recommenderLabel"] for r in rows}
    assert all(r["document"].startswith("https://w3id.org/econsec/graph/") for r in rows)


def cq14_economic_coercion_episodes(run: Runner) -> None:
    rows = run("cq14-economic-coercion")
    embargo = [r for r in rows if r["measure"] == ID + "instrument/china-rare-earth-embargo-2010"]
    assert embargo and "Japan" in embargo[0]["targets"] and embargo[0]["date"] == "2010"
    responses = " | ".join(r["responseLabel"] or "" for r in embargo).lower()
    assert "recycl" in responses and "divers" in responses and "wto" in responses
    assert any(r["outcomeLabel"] == "ruled in favour of the complainant" for r in embargo)
    curbs = [r for r in rows if "gallium" in (r["covers"] or "") and "germanium" in (r["covers"] or "")]
    assert curbs and curbs[0]["date"] == "2023-07"


def cq15_timeline_is_in_date_order_with_actors(run: Runner) -> None:
    rows = run("cq15-timeline")
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates)
    assert len(rows) >= 40
    labels = {r["label"] for r in rows}
    assert "CHIPS and Science Act" in labels and "Senkaku boat collision incident" in labels
    dated_instruments = [r for r in rows if r["kind"] == "instrument"]
    assert sum(1 for r in dated_instruments if r["actors"]) / len(dated_instruments) > 0.9


def cq16_southeast_asian_minerals(run: Runner) -> None:
    rows = run("cq16-southeast-asian-minerals")
    produced = {(r["countryLabel"], r["materialLabel"]) for r in rows}
    assert {
        ("Indonesia", "nickel"),
        ("Indonesia", "tin"),
        ("Indonesia", "bauxite"),
        ("Philippines", "nickel"),
        ("Philippines", "cobalt"),
        ("Philippines", "copper"),
        ("Vietnam", "bismuth"),
        ("Vietnam", "tungsten"),
        ("Malaysia", "processed rare earth elements"),
    } <= produced
    ranks = {(r["countryLabel"], r["materialLabel"]): number(r["worldRank"]) for r in rows if r["worldRank"]}
    assert ranks[("Indonesia", "nickel")] == 1 and ranks[("Philippines", "nickel")] == 2
    assert ranks[("Vietnam", "bismuth")] == 2 and ranks[("Vietnam", "tungsten")] == 2


def cq17_ev_tax_credit_conditions(run: Runner) -> None:
    rows = run("cq17-ev-tax-credit")
    maximum = [r for r in rows if r["aspect"] == "maximum benefit"]
    assert maximum and number(maximum[0]["value"]) == 7500 and maximum[0]["unitOrCurrency"] == "USD"
    conditions = [r for r in rows if r["aspect"] == "condition"]
    assert any(r["refersTo"] == "North America" for r in conditions)
    sourcing = [r for r in conditions if r["value"] and number(r["value"]) == 40]
    assert sourcing and sourcing[0]["deadline"] == "2024" and sourcing[0]["unitOrCurrency"] == "percent"
    japan = [r for r in rows if r["aspect"] == "eligible" and r["itemLabel"] == "Japan"]
    assert japan and any("Critical Minerals Agreement" in (r["via"] or "") for r in japan)


def cq18_provenance_of_a_fact(run: Runner) -> None:
    rows = run("cq18-provenance")
    assert rows, "no provenance recorded for the Critical Minerals Agreement"
    assert all(r["document"] and r["section"] for r in rows)
    assert any(r["workUrl"] and r["workUrl"].startswith("https://") for r in rows), "no cited work with a URL"
    # Any fact in a source graph can be traced the same way.
    huawei = run("cq18-provenance", subject=ID + "instrument/huawei-entity-listing-2019")
    documents = {r["document"] for r in huawei}
    assert {ID + "document/brookings-2022", ID + "document/atlantic-council-2024"} <= documents


def cq19_actor_profile(run: Runner) -> None:
    rows = run("cq19-actor-profile")
    relations = {r["relation"] for r in rows}
    assert {"issued", "targeted by", "member of", "figure", "depends on", "body of"} <= relations
    members = {r["itemLabel"] for r in rows if r["relation"] == "member of"}
    assert "Indo-Pacific Economic Framework for Prosperity" in members
    china = run("cq19-actor-profile", actor=ID + "country/china")
    assert "Chinese rare earth export embargo on Japan" in {
        r["itemLabel"] for r in china if r["relation"] == "issued"
    }


def cq20_technology_exposure(run: Runner) -> None:
    rows = run("cq20-technology-exposure")
    relations = {r["relation"] for r in rows}
    assert {"covered by", "depended on by", "dependence figure"} <= relations
    figures = [number(r["value"]) for r in rows if r["relation"] == "dependence figure"]
    assert Decimal(70) in figures
    chips = run("cq20-technology-exposure", technology=ID + "technology/semiconductors")
    covering = {r["item"] for r in chips if r["relation"] == "covered by"}
    assert ID + "instrument/us-advanced-computing-export-controls-2022" in covering
    assert ID + "instrument/chips-and-science-act" in covering


# --- Analyst views (queries without a competency question) ----------------------------------


def export_control_alignment(run: Runner) -> None:
    """Seed 000 §2 and seed 003 "Coordination on export controls": who adopted which controls, when."""
    rows = run("export-control-alignment")
    adopted = {(r["countryLabel"], r["date"]) for r in rows if r["adopted"] == "true"}
    # the October 2022 BIS rules, then Japan (March 2023) and the Netherlands (June 2023) aligning
    assert ("United States", "2022-10-07") in adopted
    assert ("Japan", "2023-03") in adopted and ("Netherlands", "2023-06") in adopted
    assert ("United States", "2018") in adopted, "the Export Control Reform Act of 2018"
    assert ("United States", "2019-05") in adopted, "Huawei on the Entity List, May 2019"
    japan = [r for r in rows if r["countryLabel"] == "Japan" and r["date"] == "2023-03"]
    assert "China" in japan[0]["targets"] and "chip-making equipment" in japan[0]["covers"]
    # Washington has asked Japan to restrict servicing: asked for, not adopted
    servicing = [r for r in rows if r["countryLabel"] == "Japan" and "servicing" in r["label"].lower()]
    assert servicing and servicing[0]["adopted"] == "false" and servicing[0]["statuses"] == "proposed"
    # controls on Russia after February 2022 are in the matrix too, with their own target
    assert any("Russia" in (r["targets"] or "") and r["date"] == "2022" for r in rows)
    assert all(r["sources"] for r in rows), "every control names the document that states it"
    assert {r["countryLabel"] for r in rows} == {"United States", "Japan", "Netherlands"}


def dependence_table(run: Runner) -> None:
    """Seed 003: nearly 90% of rare earths from China in 2010, 60% in 2023; nearly 70% of gallium imports."""
    rows = run("dependence-table")
    table = {(r["importerLabel"], r["materialLabel"], r["supplierLabel"], r["year"]): r for r in rows}
    rare_2010 = table[("Japan", "rare earth elements", "China", "2010")]
    assert number(rare_2010["share"]) == 90 and rare_2010["approximation"] == "nearly"
    assert number(table[("Japan", "rare earth elements", "China", "2023")]["share"]) == 60
    gallium = table[("Japan", "gallium", "China", None)]
    assert number(gallium["share"]) == 70 and gallium["measureLabel"] == "share of imports"
    assert all(r["unitLabel"] == "percent" for r in rows)
    for row in rows:
        assert row["sources"] and "US-Japan economic security partnership" in row["sources"]
        assert row["sections"], "each figure names the section that states it"


def actor_network(run: Runner) -> None:
    """Seed 003: Rapidus backed by eight firms, partnering with IBM; the Economic 2+2's conveners.
    Seed 000: the Quad is the US, Japan, India and Australia."""
    everything = run("actor-network")
    backs = run("actor-network", relation="backs")
    assert {r["relation"] for r in backs} == {"backs"}
    rapidus_backers = {r["fromLabel"] for r in backs if r["to"] == ID + "org/rapidus"}
    assert rapidus_backers == {"Toyota", "Sony", "NEC", "Denso", "NTT", "Kioxia", "SoftBank", "MUFG Bank"}
    partners = {(r["fromLabel"], r["toLabel"]) for r in run("actor-network", relation="partners-with")}
    assert ("Rapidus", "IBM") in partners
    conveners = {
        r["fromLabel"]
        for r in everything
        if r["relation"] == "convenes" and r["to"] == ID + "instrument/us-japan-epcc"
    }
    assert {
        "US Secretary of State",
        "US Secretary of Commerce",
        "Ministry of Economy, Trade and Industry",
    } <= conveners
    quad = {r["fromLabel"] for r in everything if r["relation"] == "member-of" and r["to"] == ID + "org/quad"}
    assert quad == {"United States", "Japan", "India", "Australia"}
    assert {r["relation"] for r in everything} >= {"member-of", "convenes", "backs", "partners-with"}
    assert len(everything) > len(backs)


def entity_lookup(run: Runner) -> None:
    """Finding IRIs by name, in English or Japanese: Rapidus, and Japan by its Japanese name."""
    rapidus = run("entity-lookup", text="rapidus")
    assert ID + "org/rapidus" in {r["entity"] for r in rapidus}
    assert all("rapidus" in r["label"].lower() for r in rapidus)
    japan = run("entity-lookup", text="日本")
    assert any(r["entity"] == ID + "country/japan" and r["language"] == "ja" for r in japan)
    assert run("entity-lookup", text="no such name anywhere") == []


#: every check for each saved query, by query name

# --- Graph 0.2 competency questions (time, n-ary records, provenance) --------------------


def _document_title(name: str) -> str:
    """A source document's title as its graph records it (read, not restated: it is the graph's)."""
    path = Path(__file__).parents[1] / "graph" / "sources" / f"{name}.trig"
    title = ox.NamedNode("http://purl.org/dc/terms/title")
    document = ox.NamedNode(ID + "document/" + name)
    return next(
        q.object.value for q in ox.parse(path=str(path)) if q.subject == document and q.predicate == title
    )


BROOKINGS = _document_title("brookings-2022")
ATLANTIC = _document_title("atlantic-council-2024")


def cq21_in_force_mid_2023(run: Runner) -> None:
    rows = run("cq21-in-force-mid-2023")
    in_force = column(rows, "instrument")
    for slug in (
        "chips-and-science-act",
        "inflation-reduction-act",
        "us-japan-critical-minerals-agreement",
        "us-advanced-computing-export-controls-2022",
        "japan-economic-security-promotion-act",
    ):
        assert ID + "instrument/" + slug in in_force, slug
    # announced in March 2023, put in place later; the July 2023 curbs came after the date
    assert ID + "instrument/japan-chip-equipment-export-controls-2023" not in in_force
    assert ID + "instrument/china-gallium-germanium-export-curbs-2023" not in in_force
    assert ID + "instrument/china-gallium-germanium-export-curbs-2023" in column(
        run("cq21-in-force-mid-2023", as_of="2023-12-31"), "instrument"
    )


def cq22_status_history(run: Runner) -> None:
    rows = run("cq22-status-history")
    order = list(dict.fromkeys((r["statusLabel"], r["documentTitle"]) for r in rows))
    assert order == [("proposed", BROOKINGS), ("announced", ATLANTIC), ("enacted", ATLANTIC)]
    announced = next(r for r in rows if r["statusLabel"] == "announced")
    assert announced["since"] == "2023-03" and announced["asOf"] == "2024-09"


def cq23_who_depends_on_whom(run: Runner) -> None:
    rows = run("cq23-who-depends-on-whom")
    shares = {(r["materialLabel"], r["period"]): r for r in rows if r["share"] is not None}
    assert (
        number(shares[("gallium", None)]["share"]) == 70
        and shares[("gallium", None)]["approximation"] == "nearly"
    )
    assert number(shares[("rare earth elements", "2010")]["share"]) == 90
    assert number(shares[("rare earth elements", "2023")]["share"]) == 60
    assert all(r["supplierLabel"] == "China" for r in rows)
    assert {"Japan", "United States"} <= column(rows, "dependentLabel")
    assert BROOKINGS in column(rows, "documentTitle") and ATLANTIC in column(rows, "documentTitle")


def cq24_single_source_instruments(run: Runner) -> None:
    rows = {r["instrument"]: r["documentTitle"] for r in run("cq24-single-source-instruments")}
    assert rows[ID + "instrument/ipef-trade-pillar"] == ATLANTIC
    assert rows[ID + "instrument/us-entity-list"] == BROOKINGS
    assert ID + "instrument/chips-and-science-act" not in rows  # both documents speak of it


def cq25_post_holders(run: Runner) -> None:
    rows = run("cq25-post-holders")
    kishida = [r for r in rows if r["holderLabel"] == "Fumio Kishida"]
    assert (
        kishida and kishida[0]["postLabel"] == "Prime Minister of Japan" and kishida[0]["start"] == "2021-10"
    )
    csis = [r for r in rows if "CSIS" in r["postLabel"]]
    assert csis and (csis[0]["start"], csis[0]["end"]) == ("2016", "2020")
    presidents = {r["holderLabel"] for r in rows if r["postLabel"] == "President of the United States"}
    assert presidents == {"Joe Biden", "Donald Trump"}
    assert "2017" in {r["heldOn"] for r in rows if r["holderLabel"] == "Donald Trump"}


def cq26_endorsements(run: Runner) -> None:
    rows = {(r["actorLabel"], r["bodyLabel"]): r["start"] for r in run("cq26-endorsements")}
    assert rows == {
        ("Australia", "G7 principles on economic coercion"): "2023-06",
        ("New Zealand", "G7 principles on economic coercion"): "2023-06",
        ("European Union", "G7 principles on economic coercion"): "2023-05",
        ("South Korea", "G7 principles for resilient and reliable supply chains"): "2024-06",
    }


def cq27_negotiations(run: Runner) -> None:
    rows = {(r["actorLabel"], r["bodyLabel"]) for r in run("cq27-negotiations")}
    assert rows == {
        ("United States", "US-EU critical minerals agreement"),
        ("European Union", "US-EU critical minerals agreement"),
        ("United States", "US-UK critical minerals agreement"),
        ("United Kingdom", "US-UK critical minerals agreement"),
    }


def cq28_presidencies(run: Runner) -> None:
    rows = run("cq28-presidencies")
    assert [(r["actorLabel"], r["bodyLabel"], r["start"]) for r in rows] == [
        ("Japan", "Group of Seven", "2023")
    ]


def cq29_proposed_members(run: Runner) -> None:
    rows = run("cq29-proposed-members")
    regime = {r["actorLabel"] for r in rows if "export control regime" in r["bodyLabel"].lower()}
    assert regime >= {
        "United States",
        "Japan",
        "Netherlands",
        "Germany",
        "Australia",
        "South Korea",
        "Taiwan",
    }
    assert {"India", "Fiji"} <= {r["actorLabel"] for r in rows if "IPEF" in r["bodyLabel"]}


def cq30_status_disagreements(run: Runner) -> None:
    rows = run("cq30-status-disagreements")
    by = {}
    for r in rows:
        by.setdefault(r["instrument"], set()).add((r["statusLabel"], r["documentTitle"]))
    assert by[ID + "instrument/ipef"] == {("under negotiation", BROOKINGS), ("announced", ATLANTIC)}
    assert ("proposed", BROOKINGS) in by[ID + "instrument/netherlands-chip-equipment-export-controls-2023"]


def cq31_survey_results(run: Runner) -> None:
    rows = run("cq31-survey-results")
    assert column(rows, "conductedByLabel") == {"ISEAS-Yusof Ishak Institute"}
    fear = [r for r in rows if r["questionLabel"].startswith("fears")]
    assert len(fear) == 1 and fear[0]["approximation"] == "more than"
    assert Decimal("33") < number(fear[0]["lowerBound"]) < Decimal("34")
    influence = {
        r["aboutLabel"]: number(r["share"]) for r in rows if r["questionLabel"].startswith("most influential")
    }
    assert influence == {"China": Decimal("59.5"), "United States": Decimal("14.3")}


def cq32_material_uses(run: Runner) -> None:
    rows = run("cq32-material-uses")
    assert {r["itemLabel"] for r in rows if r["relation"] == "used in"} == {
        "semiconductors",
        "mobile phones",
        "light-emitting diodes",
        "liquid-crystal displays",
    }
    curbs = [r for r in rows if r["item"] == ID + "instrument/china-gallium-germanium-export-curbs-2023"]
    assert curbs and curbs[0]["date"] == "2023-07"


def cq33_drivers(run: Runner) -> None:
    rows = run("cq33-drivers")
    assert {r["driver"] for r in rows} >= {
        ID + "event/xi-jinping-power-consolidation",
        ID + "event/us-china-trade-war",
    }


def cq34_executive_agreements(run: Runner) -> None:
    rows = run("cq34-executive-agreements")
    ipef = [r for r in rows if r["agreement"] == ID + "instrument/ipef"]
    assert ipef and ipef[0]["legislatureLabel"] == "United States Congress"
    assert BROOKINGS in ipef[0]["documents"] and ATLANTIC in ipef[0]["documents"]


def cq35_section_coverage(run: Runner) -> None:
    rows = run("cq35-section-coverage")
    assert {r["documentTitle"] for r in rows} == {BROOKINGS, ATLANTIC}
    facts = {r["section"]: int(r["facts"] or 0) for r in rows}
    assert facts["Executive summary"] > 0 and facts["Introduction"] > 0


def instruments_in_force(run: Runner) -> None:
    cq21_in_force_mid_2023(lambda name, **p: run("instruments-in-force", **p))


def instrument_status_history(run: Runner) -> None:
    cq22_status_history(lambda name, **p: run("instrument-status-history", **p))


def instrument_lifecycle(run: Runner) -> None:
    """One mark per dated step of an instrument, in date order, with the documents that date it."""
    rows = run("instrument-lifecycle")
    marks = [(r["date"], r["step"], r["item"]) for r in rows]
    assert marks and len(marks) == len(set(marks)), "one mark per instrument, step and date"
    assert [r["date"] for r in rows] == sorted(r["date"] for r in rows)  # type: ignore[type-var]
    japan = ID + "instrument/japan-chip-equipment-export-controls-2023"
    assert ("2023-03", "announced", japan) in marks
    assert {r["step"] for r in rows} >= {"announced", "enacted", "proposed"}
    assert all(r["document"] and int(r["documents"] or 0) >= 1 for r in rows)
    assert any(r["documents"] == "2" for r in rows), "a step both documents date is one mark"


CHECKS: dict[str, tuple[Callable[[Runner], None], ...]] = {
    "cq01-us-technology-controls-on-china": (cq01_us_technology_controls_on_china,),
    "cq02-allied-chip-equipment-controls": (cq02_allied_alignment_on_chip_equipment,),
    "cq03-retaliation": (cq03_china_retaliates_with_gallium_and_germanium_curbs,),
    "cq04-dependence": (cq04_japan_dependence_on_china,),
    "cq05-critical-minerals-agreements": (cq05_us_japan_critical_minerals_agreement,),
    "cq06-framework-membership": (cq06_ipef_launch_participants,),
    "cq07-framework-pillars": (
        cq07_ipef_pillar_status,
        cq07_pillar_announcement_summit_is_apec_san_francisco,
    ),
    "cq08-semiconductor-spending": (cq08_semiconductor_spending,),
    "cq09-company-backing": (cq09_rapidus,),
    "cq10-north-american-ev-investment": (cq10_japanese_ev_investment_in_north_america,),
    "cq11-legal-and-strategic-basis": (cq11_legal_and_strategic_basis_in_order,),
    "cq12-coordination-bodies": (cq12_economic_two_plus_two,),
    "cq13-recommendations": (cq13_recommendations,),
    "cq14-economic-coercion": (cq14_economic_coercion_episodes,),
    "cq15-timeline": (cq15_timeline_is_in_date_order_with_actors,),
    "cq16-southeast-asian-minerals": (cq16_southeast_asian_minerals,),
    "cq17-ev-tax-credit": (cq17_ev_tax_credit_conditions,),
    "cq18-provenance": (cq18_provenance_of_a_fact,),
    "cq19-actor-profile": (cq19_actor_profile,),
    "cq20-technology-exposure": (cq20_technology_exposure,),
    "export-control-alignment": (export_control_alignment,),
    "dependence-table": (dependence_table,),
    "actor-network": (actor_network,),
    "entity-lookup": (entity_lookup,),
    "cq21-in-force-mid-2023": (cq21_in_force_mid_2023,),
    "cq22-status-history": (cq22_status_history,),
    "cq23-who-depends-on-whom": (cq23_who_depends_on_whom,),
    "cq24-single-source-instruments": (cq24_single_source_instruments,),
    "cq25-post-holders": (cq25_post_holders,),
    "cq26-endorsements": (cq26_endorsements,),
    "cq27-negotiations": (cq27_negotiations,),
    "cq28-presidencies": (cq28_presidencies,),
    "cq29-proposed-members": (cq29_proposed_members,),
    "cq30-status-disagreements": (cq30_status_disagreements,),
    "cq31-survey-results": (cq31_survey_results,),
    "cq32-material-uses": (cq32_material_uses,),
    "cq33-drivers": (cq33_drivers,),
    "cq34-executive-agreements": (cq34_executive_agreements,),
    "cq35-section-coverage": (cq35_section_coverage,),
    "instruments-in-force": (instruments_in_force,),
    "instrument-status-history": (instrument_status_history,),
    "instrument-lifecycle": (instrument_lifecycle,),
}
