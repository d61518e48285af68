"""``/classes`` and ``/classes/{LocalName}``: the ontology's classes and the things in each.

One definition of "instances of a class" serves every number a reader sees: the one of
``graph/stats.py`` (``INSTANCES_PER_CLASS``, the internal query ``instances-per-class``): typed
with the class or any subclass, asserted or inferred, each thing once. The list of a class reads
its members with ``class-instances``, which repeats those patterns, so a list has as many rows
as its class's count on the home page, in VoID and in ``econsec stats``; each row says which
subclass (or subclasses) the thing belongs to, as the sources state it.

HTML for browsers, JSON or CSV for programs (``format=`` or Accept, through
``http/negotiation.py``); the HTML tables sort in the page (``static/browse.js``).
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import asdict, dataclass, field
from typing import Annotated

from econsec.graph.paths import inferred_graph
from econsec.graph.stats import INSTANCES_PER_CLASS, instances_per_class
from econsec.queries import internal
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from pyoxigraph import NamedNode

from ..errors import NotAcceptable, ServiceError
from ..execution.executor import Deadline
from ..http.negotiation import best_offer, root_path
from ..state import service_state
from ..store.base import StoreBackend
from .amounts import date_in_words
from .pages import page_context
from .render import render
from .saved_queries import AnswerFormat
from .search_index import ClassTree, class_tree

__all__ = ["ClassCount", "ClassList", "Member", "class_counts", "class_members", "router"]

router = APIRouter(tags=["Browser pages"])

#: a list answers as JSON to programs that do not say (first), CSV, or a page to browsers
_FORMATS = (
    AnswerFormat("json", "application/json", (), "JSON"),
    AnswerFormat("csv", "text/csv", (), "CSV", "csv"),
    AnswerFormat("html", "text/html", ("application/xhtml+xml",), "HTML"),
)
_FormatParam = Annotated[str | None, Query(description="Answer format, overriding Accept: json, csv, html")]


class UnknownClass(ServiceError):
    """No class of the ontology has this local name."""

    status = 404
    title = "Not found"


@dataclass(frozen=True)
class ClassCount:
    """A class of the ontology: its name, where its list is, its parents and how many things it has."""

    iri: str
    name: str
    label: str
    href: str
    count: int
    definition: str
    parents: list[dict[str, str]]
    subclasses: int


@dataclass(frozen=True)
class Member:
    """One thing in a class's list: its page, its name and the subclasses it belongs to."""

    iri: str
    page: str
    label: str
    kinds: list[str]
    description: str
    #: its earliest ``es:date`` as given (ISO order sorts it) and in words
    date: str = ""
    when: str = ""


@dataclass
class ClassList:
    """A class with its members: the list page's whole content."""

    cls: ClassCount
    members: list[Member] = field(default_factory=list)
    subclasses: list[ClassCount] = field(default_factory=list)

    @property
    def dated(self) -> bool:
        """Whether some member has a date (the list then has a date column)."""
        return any(m.date for m in self.members)


def _local(iri: str) -> str:
    return iri.rsplit("#", 1)[-1]


def class_counts(store: StoreBackend, public_base: str, root: str, deadline: Deadline) -> list[ClassCount]:
    """Every class of our ontology with its instances (0 for none), most first: the home page's numbers."""
    terms = public_base + "ontology#"
    ontology = public_base + "graph/ontology"
    counted = {c.iri: c.instances for c in instances_per_class(store, ontology)}
    deadline.check()
    tree = class_tree(store, ontology)
    return sorted(
        (
            _count(tree, iri, counted.get(iri, 0), terms, root)
            for iri in tree.subclasses
            if iri.startswith(terms)
        ),
        key=lambda c: (-c.count, c.label.casefold()),
    )


def _count(tree: ClassTree, iri: str, n: int, terms: str, root: str) -> ClassCount:
    parents = [
        {"iri": p, "label": tree.name(p), "href": f"{root}/classes/{_local(p)}"}
        for p in tree.parents.get(iri, ())
        if p.startswith(terms)
    ]
    return ClassCount(
        iri,
        _local(iri),
        tree.name(iri),
        f"{root}/classes/{_local(iri)}",
        n,
        tree.definitions.get(iri, ""),
        parents,
        len(tree.subclasses.get(iri, ())) - 1,
    )


def class_members(
    store: StoreBackend, public_base: str, root: str, local: str, deadline: Deadline
) -> ClassList:
    """The class ``{public_base}ontology#{local}`` and every thing it counts, by name."""
    terms = public_base + "ontology#"
    iri = terms + local
    ontology = public_base + "graph/ontology"
    tree = class_tree(store, ontology)
    if iri not in tree.subclasses:
        raise UnknownClass(f"the ontology has no class named {local!r}; /classes lists them all")
    deadline.check()
    kinds: dict[str, dict[str, bool]] = {}
    names: dict[str, tuple[str, str]] = {}
    dates: dict[str, str] = {}
    for row in internal.select(
        store,
        "class-instances",
        ontology=NamedNode(ontology),
        **{"class": NamedNode(iri)},
        inferred=inferred_graph(public_base),
    ):
        deadline.check()
        thing = row["thing"].value
        stated = row["stated"] is not None and row["stated"].value == "true"
        seen = kinds.setdefault(thing, {})
        seen[row["kind"].value] = seen.get(row["kind"].value, False) or stated
        if row["date"] is not None and row["date"].value:
            dates[thing] = min(dates.get(thing, row["date"].value), row["date"].value)
        if thing not in names or names[thing][0] == "":
            names[thing] = (
                row["label"].value if row["label"] is not None else "",
                row["description"].value if row["description"] is not None else "",
            )
    ids = public_base + "id/"
    members = []
    for thing, typed in kinds.items():
        # the most specific kinds the sources state: drop any that is a superclass of another
        stated = {k for k, s in typed.items() if s} or set(typed)
        specific = [k for k in stated if not any(o != k and o in tree.subclasses.get(k, ()) for o in stated)]
        label, description = names[thing]
        page = f"{root}/id/{thing[len(ids) :]}" if thing.startswith(ids) else thing
        members.append(
            Member(
                thing,
                page,
                label or thing.rsplit("/", 1)[-1],
                sorted(tree.name(k) for k in specific),
                description,
                dates.get(thing, ""),
                date_in_words(dates.get(thing, "")),
            )
        )
    members.sort(key=lambda m: m.label.casefold())
    children = [
        _count(tree, sub, sum(1 for m in kinds.values() if set(m) & tree.subclasses[sub]), terms, root)
        for sub in tree.subclasses
        if iri in tree.parents.get(sub, ()) and sub.startswith(terms)
    ]
    children.sort(key=lambda c: (-c.count, c.label.casefold()))
    return ClassList(_count(tree, iri, len(members), terms, root), members, children)


def _choose(request: Request, key: str | None) -> AnswerFormat:
    """The answer format by ``format=``, else by Accept; 406 when the client accepts none."""
    if key:
        for offer in _FORMATS:
            if offer.key == key:
                return offer
        raise NotAcceptable(f"format={key} is not available here", [f"format={f.key}" for f in _FORMATS])
    chosen = best_offer(_FORMATS, request.headers.get("accept"))
    if chosen is None:
        raise NotAcceptable("none of the types in Accept is available", [f.media_type for f in _FORMATS])
    return chosen


def _csv(header: list[str], rows: list[list[object]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


def _answer(offer: AnswerFormat, body: object, text: str, filename: str) -> Response:
    headers = {"Vary": "Accept"}
    if offer.key == "csv":
        headers["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
        return Response(text, media_type=offer.content_type, headers=headers)
    return Response(
        json.dumps(body, ensure_ascii=False, indent=2), media_type=offer.media_type, headers=headers
    )


@router.get(
    "/classes",
    response_class=Response,
    responses={
        200: {"content": {f.media_type: {} for f in _FORMATS}, "description": "The classes"},
        406: {"description": "No acceptable format (Accept or format=); the body lists the available ones"},
    },
)
async def classes(request: Request, format: _FormatParam = None) -> Response:
    """Every class of the ontology with how many things it has (subclasses included) and its list."""
    offer = _choose(request, format)
    state = service_state(request)
    root = root_path(request)
    found = await state.executor.run(
        lambda deadline: class_counts(state.backend, state.settings.public_base, root, deadline)
    )
    if offer.key == "html":
        return render(
            "classes.html",
            **page_context(request),
            classes=found,
            counted=INSTANCES_PER_CLASS,
            headers={"Vary": "Accept"},
        )
    rows = [[c.iri, c.label, c.count, c.href] for c in found]
    return _answer(
        offer,
        {"counted": INSTANCES_PER_CLASS, "classes": [asdict(c) for c in found]},
        _csv(["class", "label", "instances", "list"], rows),
        "classes",
    )


@router.get(
    "/classes/{local}",
    response_class=Response,
    responses={
        200: {"content": {f.media_type: {} for f in _FORMATS}, "description": "The class's things"},
        404: {"description": "No class of the ontology has this name"},
        406: {"description": "No acceptable format (Accept or format=); the body lists the available ones"},
    },
)
async def class_list(request: Request, local: str, format: _FormatParam = None) -> Response:
    """The things of one class (``https://w3id.org/econsec/ontology#{local}``), subclasses included,
    each with the subclasses it belongs to."""
    offer = _choose(request, format)
    if len(local) > 100 or not local.replace("_", "").replace("-", "").isalnum():
        raise UnknownClass(f"the ontology has no class named {local[:100]!r}; /classes lists them all")
    state = service_state(request)
    root = root_path(request)
    found = await state.executor.run(
        lambda deadline: class_members(state.backend, state.settings.public_base, root, local, deadline)
    )
    if offer.key == "html":
        return render(
            "class.html",
            **page_context(request),
            listing=found,
            counted=INSTANCES_PER_CLASS,
            ontology_href=f"{root}/ontology#{local}",
            headers={"Vary": "Accept"},
        )
    rows = [[m.iri, m.label, "; ".join(m.kinds), m.date, m.page] for m in found.members]
    body = {
        "class": found.cls.iri,
        "label": found.cls.label,
        "count": found.cls.count,
        "counted": INSTANCES_PER_CLASS,
        "subclasses": [asdict(c) for c in found.subclasses],
        "instances": [asdict(m) for m in found.members],
    }
    return _answer(offer, body, _csv(["iri", "label", "kinds", "date", "page"], rows), local)
