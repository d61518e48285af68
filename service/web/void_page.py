"""The VoID description as a page for people: what ``/.well-known/void`` shows a browser.

Machines get the VoID triples (``routers/linked_data.py``); a person opening the same URL gets
them read out: the dataset's title, licence and release, its size, the named graphs with their
counts and dumps, the endpoints, the vocabularies, the example resources, and how many
instances each class has. Everything comes from the same triples, so the page and the RDF
cannot disagree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

from econsec.graph.paths import DCTERMS_NS, VOID_NS
from pyoxigraph import BlankNode, Literal, NamedNode, Triple

from .resources import Link, curie, local_href

__all__ = ["VoidPage", "void_page"]


@dataclass(frozen=True)
class Subset:
    name: str
    title: str | None
    triples: int
    href: str | None
    dump: str | None


@dataclass
class VoidPage:
    iri: str
    title: str = ""
    description: str = ""
    licence: Link | None = None
    build: str | None = None
    modified: str | None = None
    figures: list[tuple[str, int]] = field(default_factory=list)
    endpoints: list[tuple[str, Link]] = field(default_factory=list)
    vocabularies: list[Link] = field(default_factory=list)
    examples: list[Link] = field(default_factory=list)
    subsets: list[Subset] = field(default_factory=list)
    classes: list[tuple[Link, int]] = field(default_factory=list)


_FIGURES = (
    ("triples", "triples"),
    ("entities", "entities"),
    ("classes", "classes"),
    ("properties", "properties"),
    ("distinctSubjects", "distinct subjects"),
    ("distinctObjects", "distinct objects"),
)
_ENDPOINTS = (
    ("sparqlEndpoint", "SPARQL endpoint"),
    ("uriLookupEndpoint", "IRI lookup"),
    ("uriSpace", "IRI space"),
)


def _number(term: object) -> int:
    try:
        return int(term.value) if isinstance(term, Literal) else 0
    except ValueError:
        return 0


def void_page(triples: Sequence[Triple], dataset: str, public_base: str, root: str) -> VoidPage:
    """The page's content, read from the VoID ``triples`` about ``dataset``."""
    about: dict[object, dict[str, list[object]]] = defaultdict(lambda: defaultdict(list))
    for t in triples:
        if isinstance(t.predicate, NamedNode):
            about[t.subject][t.predicate.value].append(t.object)
    node = about[NamedNode(dataset)]

    def first(predicate: str) -> str | None:
        values = node.get(predicate)
        return values[0].value if values else None  # type: ignore[attr-defined]

    def link(term: object) -> Link:
        iri = term.value  # type: ignore[attr-defined]
        return Link(curie(iri), local_href(iri, public_base, root) or iri)

    page = VoidPage(dataset)
    page.title = first(DCTERMS_NS + "title") or dataset
    page.description = first(DCTERMS_NS + "description") or ""
    licence = node.get(DCTERMS_NS + "license")
    page.licence = Link(licence[0].value, licence[0].value) if licence else None  # type: ignore[attr-defined]
    page.build = first(DCTERMS_NS + "identifier")
    page.modified = first(DCTERMS_NS + "modified")
    page.figures = [
        (label, _number(node[VOID_NS + key][0])) for key, label in _FIGURES if node.get(VOID_NS + key)
    ]
    for key, label in _ENDPOINTS:
        for value in node.get(VOID_NS + key, []):
            text = value.value  # type: ignore[attr-defined]
            page.endpoints.append((label, Link(text, text if isinstance(value, NamedNode) else None)))
    page.vocabularies = [Link(v.value, v.value) for v in node.get(VOID_NS + "vocabulary", [])]  # type: ignore[attr-defined]
    page.examples = [link(v) for v in node.get(VOID_NS + "exampleResource", [])]
    dumps = {d.value for d in node.get(VOID_NS + "dataDump", [])}  # type: ignore[attr-defined]
    for subset in node.get(VOID_NS + "subset", []):
        iri = subset.value  # type: ignore[attr-defined]
        facts = about.get(subset, {})
        title = facts.get(DCTERMS_NS + "title")
        dump = next((d for d in facts.get(VOID_NS + "dataDump", [])), None)
        name = iri.rsplit("/", 1)[-1]
        page.subsets.append(
            Subset(
                name,
                title[0].value if title else None,  # type: ignore[attr-defined]
                _number((facts.get(VOID_NS + "triples") or [None])[0]),
                local_href(iri, public_base, root),
                dump.value if dump is not None else next((d for d in dumps if d.endswith("/" + name)), None),  # type: ignore[attr-defined]
            )
        )
    for partition in node.get(VOID_NS + "classPartition", []):
        if not isinstance(partition, BlankNode | NamedNode):
            continue
        facts = about.get(partition, {})
        cls = facts.get(VOID_NS + "class")
        if cls:
            page.classes.append((link(cls[0]), _number((facts.get(VOID_NS + "entities") or [None])[0])))
    page.classes.sort(key=lambda item: (-item[1], item[0].text))
    page.subsets.sort(key=lambda s: s.name)
    return page
