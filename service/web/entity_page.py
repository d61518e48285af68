"""An entity page that leads with the answer: a summary, facts grouped by who/what/when/figures,
each link shown once, sources last.

The grouping and the folding are read from the ontology, not written here:

- a property's group is its ``es:pageGroup`` annotation, else "who" when its range is an agent
  class, "figures" when its range is a number, else "what"; a dated value (``xsd:date``,
  ``gYear``, ``gYearMonth``, ``dateTime``) goes under "when" whatever its property
  (``queries/internal/property-groups.rq``);
- a link stated under a property and again under one of its super-properties (``es:issuedBy``
  and ``prov:wasAttributedTo``), or from the other side under the inverse property (Japan
  ``memberOf`` IPEF, IPEF ``hasMember`` Japan), is shown once, under the most specific property
  and as the entity's own statement (``property-relations.rq``); properties of one group with the
  same values (``date`` and ``enacted on``) share a row.

The ontology part is read once per store and release (:func:`ontology_facts`); the page's own
reads (statuses, what a passage supports, a document's sections) are internal queries run on
the executor by the caller, like the description itself.
"""

from __future__ import annotations

import threading
import weakref
from collections import defaultdict
from dataclasses import dataclass, field

from econsec.graph.paths import PROV_NS
from econsec.queries import internal
from pyoxigraph import Literal, NamedNode, QuerySolution

from ..store.base import StoreBackend
from .amounts import amount_in_words, date_in_words, exact_amount, number_in_words
from .resources import Link, PropertyRow, ResourceView, Source, Value, curie, local_href
from .search_index import ClassTree, class_tree, closure

__all__ = [
    "EntityPage",
    "FactRow",
    "Group",
    "OntologyFacts",
    "StatusLine",
    "Supported",
    "entity_page",
    "ontology_facts",
]

#: the groups a page shows in its body, in order, with their headings
GROUPS = (("who", "Who"), ("what", "What"), ("when", "When"), ("figures", "Figures"))
#: values per row shown at once; the rest fold behind "+N more"
SHOWN = 6
_DATE_TYPES = frozenset({"xsd:date", "xsd:gYear", "xsd:gYearMonth", "xsd:dateTime"})
_NUMBER_TYPES = frozenset({"xsd:decimal", "xsd:integer", "xsd:double", "xsd:float"})
_RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
_RDFS_LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
#: the class whose instances (and its subclasses') make a property a "who" property
_AGENT = PROV_NS + "Agent"


@dataclass(frozen=True)
class OntologyFacts:
    """What the ontology says about presenting properties and classes."""

    groups: dict[str, str]
    supers: dict[str, frozenset[str]]
    inverses: dict[str, frozenset[str]]
    classes: ClassTree

    def group(self, property_iri: str, value: Link) -> str:
        declared = self.groups.get(property_iri)
        if declared not in (None, "who", "figures", "what"):
            return declared
        if value.datatype in _DATE_TYPES:
            return "when"
        if value.datatype in _NUMBER_TYPES:
            return "figures"
        return declared or "what"


_FACTS: weakref.WeakKeyDictionary[object, tuple[tuple[object, ...], OntologyFacts]] = (
    weakref.WeakKeyDictionary()
)
_LOCK = threading.Lock()


def ontology_facts(store: StoreBackend, public_base: str) -> OntologyFacts:
    """The ontology's presentation facts, read once per store and release (the ontology graph
    cannot be written through the service, so the release identifies it)."""
    key = (store.build_id, store.loaded_at)
    cached = _FACTS.get(store)
    if cached is not None and cached[0] == key:
        return cached[1]
    ontology = NamedNode(public_base + "graph/ontology")
    classes = class_tree(store, ontology.value)
    agents = classes.subclasses.get(_AGENT, frozenset({_AGENT}))
    groups: dict[str, str] = {}
    for row in internal.select(store, "property-groups", ontology=ontology):
        prop, declared, range_ = row["property"].value, row["declared"], row["range"]
        if declared is not None:
            groups[prop] = declared.value
        elif range_ is not None and range_.value in agents:
            groups[prop] = "who"
        elif range_ is not None and curie(range_.value) in _NUMBER_TYPES and groups.get(prop) != "who":
            groups[prop] = "figures"
    direct: dict[str, set[str]] = defaultdict(set)
    inverses: dict[str, set[str]] = defaultdict(set)
    for row in internal.select(store, "property-relations", ontology=ontology):
        sub, sup, kind = row["sub"].value, row["super"].value, row["kind"].value
        if kind == "inverse":
            inverses[sub].add(sup)
            inverses[sup].add(sub)
        else:
            direct[sub].add(sup)
            if kind == "equivalent":
                direct[sup].add(sub)
    supers = {p: frozenset(closure(direct, p) - {p}) for p in direct}
    facts = OntologyFacts(groups, supers, {k: frozenset(v) for k, v in inverses.items()}, classes)
    with _LOCK:
        _FACTS[store] = (key, facts)
    return facts


@dataclass
class FactRow:
    """One row of a group: the properties that state these values (most specific first) and them."""

    properties: list[Link]
    values: list[Value]
    incoming: bool = False

    @property
    def shown(self) -> list[Value]:
        return self.values[:SHOWN]

    @property
    def more(self) -> list[Value]:
        return self.values[SHOWN:]


@dataclass
class Group:
    key: str
    title: str
    rows: list[FactRow]


@dataclass(frozen=True)
class StatusLine:
    """A stage one source gives the instrument, and as of / since when."""

    status: str
    source: Link | None
    as_of: str
    since: str
    #: the stated dates as given (ISO order), for ordering the lines in time
    sort_key: str = ""


@dataclass(frozen=True)
class Supported:
    """One thing a passage supports, in words: subject - property - object (or a thing as a whole)."""

    subject: Link
    property: str | None
    target: Link | None


@dataclass(frozen=True)
class Section:
    """A section of a document: its heading, how many passages the graph holds, one of them."""

    heading: str
    passages: int
    example: str


@dataclass
class EntityPage:
    """Everything the entity page shows besides the raw description."""

    kinds: list[Link]
    names: list[str]
    identifiers: list[Link]
    dates: list[tuple[str, str]]
    statuses: list[StatusLine]
    groups: list[Group]
    incoming: list[FactRow]
    supports: list[Supported] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    #: a passage's title: the heading of its section (the last part after " > ")
    heading: str = ""
    #: a passage's document, section, note and cited works
    passage: Source | None = None
    #: an observation's own figure, in words and with every digit
    amount: tuple[str, str] | None = None
    addresses: list[str] = field(default_factory=list)


def _shown_value(value: Value) -> Value:
    """Dates and numbers in words; the exact form stays in the tooltip (``Link.iri``)."""
    term = value.term
    if term.datatype in _DATE_TYPES:
        text = date_in_words(term.text)
    elif term.datatype in _NUMBER_TYPES:
        text = number_in_words(term.text)
    else:
        return value
    shown = Link(text, term.href, f"{term.text} ({term.datatype})", term.lang, None, term.external)
    return Value(shown, value.statements, value.sources, value.inferred)


def _identifier(value: Value) -> Link:
    """A Wikidata match reads "Wikidata Q17"; other identifiers as they are."""
    term = value.term
    if term.iri and term.iri.startswith(
        ("http://www.wikidata.org/entity/", "https://www.wikidata.org/entity/")
    ):
        return Link(f"Wikidata {term.iri.rsplit('/', 1)[-1]}", term.iri, term.iri, external=True)
    return term


def _plain_name(prop: Link) -> str:
    """A property's name for a sentence: its label, or the local part of a compact IRI ("issued")."""
    return prop.text.split(":", 1)[-1] if prop.iri and prop.text == curie(prop.iri) else prop.text


def _fold(rows: list[PropertyRow], facts: OntologyFacts) -> list[PropertyRow]:
    """Drop a value stated under a property when a sub-property of it states the same value."""
    by_property = {row.property.iri: {v.term for v in row.values} for row in rows}
    kept = []
    for row in rows:
        narrower = [
            other
            for other, terms in by_property.items()
            if other != row.property.iri and row.property.iri in facts.supers.get(other or "", ())
        ]
        covered = set().union(*(by_property[o] for o in narrower)) if narrower else set()
        values = [v for v in row.values if v.term not in covered]
        if values:
            kept.append(PropertyRow(row.property, values))
    return kept


def entity_page(
    store: StoreBackend, view: ResourceView, public_base: str, root: str, inferred_graph: str
) -> EntityPage:
    """The page's parts for ``view``: summary, grouped facts, incoming links, passage and document parts."""
    facts = ontology_facts(store, public_base)
    terms = public_base + "ontology#"
    this = NamedNode(view.iri)

    asserted = view.asserted_types()
    specific = [
        t for t in asserted if not any(o != t and o in facts.classes.subclasses.get(t, ()) for o in asserted)
    ]
    kinds = [
        Link(facts.classes.name(t), f"{root}/classes/{t[len(terms) :]}" if t.startswith(terms) else None, t)
        for t in sorted(specific, key=lambda t: facts.classes.name(t))
    ]

    outgoing = _fold([r for r in view.properties if r.property.iri not in (_RDF_TYPE, _RDFS_LABEL)], facts)
    names: list[str] = []
    identifiers: list[Link] = []
    status_values: list[Value] = []
    grouped: dict[str, list[FactRow]] = defaultdict(list)
    linked_out: set[tuple[str, str]] = set()
    for row in outgoing:
        for value in row.values:
            if value.term.iri:
                linked_out.add((row.property.iri or "", value.term.iri))
        by_group: dict[str, list[Value]] = defaultdict(list)
        for value in row.values:
            by_group[facts.group(row.property.iri or "", value.term)].append(value)
        for key, values in by_group.items():
            if key == "names":
                names += [v.term.text for v in values if v.term.text not in names]
            elif key == "identifiers":
                identifiers += [_identifier(v) for v in values]
            elif key == "status":  # the stages (terms), not the assertion nodes (things under id/)
                status_values += [v for v in values if not (v.term.iri or "").startswith(public_base + "id/")]
            elif key in dict(GROUPS):
                grouped[key].append(FactRow([row.property], [_shown_value(v) for v in values]))

    # rows of one group with the same values share a row ("date" and "enacted on")
    groups = []
    for key, title in GROUPS:
        merged: list[FactRow] = []
        for row in grouped.get(key, []):
            same = next(
                (m for m in merged if [v.term for v in m.values] == [v.term for v in row.values]), None
            )
            if same is None:
                merged.append(row)
            else:
                same.properties += row.properties
                for mine, theirs in zip(same.values, row.values, strict=True):
                    mine.sources.extend(s for s in theirs.sources if s not in mine.sources)
        for row in merged:  # the most specific name first: a property with a super-property leads
            row.properties.sort(key=lambda p: (not facts.supers.get(p.iri or ""), p.text.lower()))
        if merged:
            groups.append(Group(key, title, merged))
    dates = [
        (" · ".join(_plain_name(p) for p in row.properties), v.term.text)
        for g in groups
        if g.key == "when"
        for row in g.rows
        for v in row.values
    ]

    # links into the entity that it does not already state from its side (inverse or narrower)
    incoming_rows = _fold(view.incoming, facts)
    incoming = []
    for row in incoming_rows:
        inverse = facts.inverses.get(row.property.iri or "", frozenset())
        values = [
            v
            for v in row.values
            if not any((q, v.term.iri or "") in linked_out for q in inverse)
            and facts.groups.get(row.property.iri or "") not in ("status", "sources")
        ]
        if values:
            incoming.append(FactRow([row.property], values, incoming=True))

    statuses = []
    for found in internal.select(store, "entity-statuses", this=this):
        document = found["document"]
        source = None
        if document is not None:
            title = found["publisher"].value if found["publisher"] is not None else None
            title = title or (found["title"].value if found["title"] is not None else document.value)
            issued = found["issued"].value if found["issued"] is not None else ""
            text = f"{title}, {date_in_words(issued)}" if issued else title
            source = Link(text, local_href(document.value, public_base, root), document.value)
        label = found["statusLabel"]
        statuses.append(
            StatusLine(
                label.value if label is not None else found["status"].value.rsplit("#", 1)[-1],
                source,
                date_in_words(found["asOf"].value) if found["asOf"] is not None else "",
                date_in_words(found["since"].value) if found["since"] is not None else "",
                (found["since"] or found["asOf"] or Literal("")).value,
            )
        )

    statuses.sort(key=lambda s: (s.sort_key, s.status))
    if not statuses:  # stages without assertions behind them: say them plainly
        statuses = [StatusLine(v.term.text, None, "", "") for v in status_values]
    page = EntityPage(kinds, names, identifiers, dates, statuses, groups, incoming)
    _passage_parts(store, page, this, public_base, root)
    for row in internal.select(store, "figure-amount", this=this):

        def text(name: str, row: QuerySolution = row) -> str | None:
            term = row[name]
            return None if term is None else term.value

        value = row["value"].value
        page.amount = (
            amount_in_words(value, text("code"), text("unitLabel"), text("approximation")),
            exact_amount(value, text("code"), text("unitLabel")),
        )
    if page.supports:
        page.passage = view.source(this)
        page.heading = (page.passage.section or "").rsplit(" > ", 1)[-1]
    return page


def _link(term: object, label: object, public_base: str, root: str) -> Link:
    iri = getattr(term, "value", str(term))
    text = getattr(label, "value", None) or iri.rsplit("/", 1)[-1]
    href = local_href(iri, public_base, root) if isinstance(term, NamedNode) else None
    return Link(text, href, iri if isinstance(term, NamedNode) else None)


def _passage_parts(
    store: StoreBackend, page: EntityPage, this: NamedNode, public_base: str, root: str
) -> None:
    """What a passage supports; a document's sections and addresses (empty for other things)."""
    seen = set()
    for row in internal.select(store, "passage-supports", passage=this):
        if row["property"] is not None and row["property"].value == _RDFS_LABEL:
            continue  # "X - label - X" says nothing a reader can use
        if row["property"] is None:
            subject = _link(row["statement"], row["sourceLabel"], public_base, root)
            item = Supported(subject, None, None)
        else:
            target = row["target"]
            if isinstance(target, NamedNode):
                shown = _link(target, row["targetLabel"], public_base, root)
            else:
                datatype = curie(target.datatype.value)
                value = target.value
                if datatype in _DATE_TYPES:
                    value = date_in_words(value)
                elif datatype in _NUMBER_TYPES:
                    value = number_in_words(value)
                shown = Link(value)
            prop = (
                row["propertyLabel"].value
                if row["propertyLabel"] is not None
                else row["property"].value.rsplit("#", 1)[-1]
            )
            item = Supported(_link(row["source"], row["sourceLabel"], public_base, root), prop, shown)
        key = (item.subject.iri, item.property, item.target.text if item.target else None)
        if key not in seen:
            seen.add(key)
            page.supports.append(item)
    # "supports X as a whole" only where nothing more precise is said of X
    precise = {s.subject.iri for s in page.supports if s.property}
    page.supports = [s for s in page.supports if s.property or s.subject.iri not in precise]
    page.supports.sort(
        key=lambda s: (s.subject.text.lower(), s.property or "", s.target.text if s.target else "")
    )
    sections = [
        Section(
            row["section"].value,
            int(row["passages"].value),
            local_href(row["example"].value, public_base, root) or row["example"].value,
        )
        for row in internal.select(store, "document-sections", document=this)
    ]
    page.sections = sections
    page.addresses = [
        row["address"].value for row in internal.select(store, "document-addresses", document=this)
    ]
