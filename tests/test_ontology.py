"""The ontology is documented, versioned OWL 2 and the shapes are themselves valid SHACL."""

from __future__ import annotations

from importlib import resources

import pyshacl
import rdflib
from rdflib.namespace import DCTERMS, OWL, RDF, RDFS, SKOS

ES = rdflib.Namespace("https://w3id.org/econsec/ontology#")
ONTOLOGY = rdflib.URIRef("https://w3id.org/econsec/ontology")


def load(name: str) -> rdflib.Graph:
    return rdflib.Graph().parse(str(resources.files("econsec.ontology") / name))


def test_ontology_header_carries_version_creator_and_licence() -> None:
    graph = load("econsec.ttl")
    assert (ONTOLOGY, RDF.type, OWL.Ontology) in graph
    for predicate in (OWL.versionIRI, OWL.versionInfo, DCTERMS.creator, DCTERMS.license, DCTERMS.title):
        assert graph.value(ONTOLOGY, predicate) is not None, predicate


def test_every_term_has_an_english_label_and_definition() -> None:
    graph = load("econsec.ttl")
    kinds = (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty)
    terms = {s for kind in kinds for s in graph.subjects(RDF.type, kind) if str(s).startswith(str(ES))}
    assert len(terms) > 150
    for term in terms:
        labels = [o for o in graph.objects(term, RDFS.label) if getattr(o, "language", None) == "en"]
        definitions = [
            o for o in graph.objects(term, SKOS.definition) if getattr(o, "language", None) == "en"
        ]
        assert len(labels) == 1, f"{term} needs exactly one English label"
        assert len(definitions) == 1, f"{term} needs exactly one English definition"


def test_the_model_covers_the_required_kinds_of_thing() -> None:
    graph = load("econsec.ttl")
    required = [
        "State",
        "SupranationalUnion",
        "Ministry",
        "Agency",
        "Legislature",
        "Committee",
        "Company",
        "JointVenture",
        "InternationalOrganization",
        "Forum",
        "Coalition",
        "ResearchOrganization",
        "Person",
        "Post",
        "ExportControl",
        "EntityListing",
        "ForeignDirectProductRule",
        "InboundInvestmentScreening",
        "OutboundInvestmentRestriction",
        "Subsidy",
        "TaxCredit",
        "Tariff",
        "SanctionsPackage",
        "ProcurementBan",
        "ComprehensiveTradeAgreement",
        "SectoralTradeAgreement",
        "CriticalMineralsAgreement",
        "Law",
        "ExecutiveOrder",
        "StrategyDocument",
        "Dialogue",
        "EconomicFramework",
        "FrameworkPillar",
        "InfrastructureInitiative",
        "EconomicCorridor",
        "Embargo",
        "ExportCurb",
        "JointStatement",
        "Recommendation",
        "Technology",
        "CriticalMineral",
        "Incident",
        "Summit",
        "Invasion",
        "Pandemic",
        "Withdrawal",
        "PolicyConcept",
        "DependenceShare",
        "SpendingFigure",
        "SurveyResult",
        "SourceDocument",
        "CitedWork",
        "Passage",
    ]
    missing = [name for name in required if (ES[name], RDF.type, OWL.Class) not in graph]
    assert not missing


def test_inverse_and_characteristic_axioms_are_declared() -> None:
    graph = load("econsec.ttl")
    assert (ES.issuedBy, OWL.inverseOf, ES.issued) in graph
    assert (ES.partnersWith, RDF.type, OWL.SymmetricProperty) in graph
    assert (ES.subOrganizationOf, RDF.type, OWL.TransitiveProperty) in graph
    assert graph.value(ES.memberOf, OWL.propertyChainAxiom) is not None


def test_shapes_are_valid_shacl() -> None:
    conforms, _, report = pyshacl.validate(load("shapes.ttl"), meta_shacl=True, advanced=True)
    assert conforms, report


def test_shapes_use_sparql_constraints_and_both_severities() -> None:
    shapes = load("shapes.ttl")
    sh = rdflib.Namespace("http://www.w3.org/ns/shacl#")
    assert len(set(shapes.subjects(RDF.type, sh.SPARQLConstraint))) >= 4
    assert (None, sh.severity, sh.Warning) in shapes
