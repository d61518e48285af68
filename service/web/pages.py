"""Pages for people: the home page, the SPARQL editor, downloads, and the files the pages load.

| path | what |
|---|---|
| ``/`` | what the graph holds (classes, named graphs, build), search, the ways in |
| ``/sparql`` (browsers) | the YASGUI editor; :func:`editor_page` is called by ``routers/sparql.py`` |
| ``/downloads/{file}`` | the build's TriG, N-Quads and VoID, and a JSON-LD dump made from them |
| ``/assets/{file}`` | the npm files the pages use (``service/web/assets.py``), cached by browsers |
| ``/static/{file}`` | our own small scripts and the stylesheet (``service/web/static``) |

Browsers get a page only when they name HTML and rank it at least as high as every machine
format they name (:func:`wants_page`), so scripts, curl (``*/*``) and SPARQL clients keep their
answers. Vendor bundles are loaded only by the pages that use them: the home page and the
gallery list stay a few kilobytes.
"""

from __future__ import annotations

import gzip
import json
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from econsec.graph.paths import PREFIXES, sparql_prologue
from econsec.graph.stats import INSTANCES_PER_CLASS, instances_per_class, triples_per_graph
from econsec.graph.void import read_build_info
from econsec.queries import catalogue as query_catalogue
from econsec.queries.catalogue import SavedQuery, without_header
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response
from markupsafe import Markup
from pyoxigraph import RdfFormat, parse, serialize
from starlette.concurrency import run_in_threadpool

from ..errors import ServiceError
from ..execution.executor import Deadline
from ..http.negotiation import root_path, wants_html
from ..settings import Settings
from ..sparql.formats import FORMATS
from ..state import ServiceState, service_state
from ..store.base import StoreBackend
from .assets import OWN_DIR, VENDOR, Assets, default_assets_dir
from .charts import HREF_SUFFIX
from .charts import spec as chart_spec
from .render import render

__all__ = [
    "DOWNLOADS",
    "EDITOR_ASSETS",
    "Download",
    "MissingFile",
    "editor_page",
    "editor_text",
    "json_for_script",
    "page_context",
    "router",
    "wants_page",
]

router = APIRouter(tags=["Browser pages"])

#: what machines ask for by name: every result and RDF syntax, and plain JSON
_MACHINE_TYPES = (*{m for f in FORMATS for m in f.media_types}, "application/json")
#: the vendor files the editor page loads
EDITOR_ASSETS = ("yasgui.js", "yasgui.css")
_OWN_TYPES = {".js": "text/javascript", ".css": "text/css"}
#: vendor files carry their version in package-lock.json; a day's caching is safe and saves a megabyte
_VENDOR_CACHE = "public, max-age=86400"


class MissingFile(ServiceError):
    """A download or asset that this installation does not have."""

    status = 404
    title = "Not found"


def wants_page(accept: str | None) -> bool:
    """A page when HTML is named explicitly and ranked no lower than any machine format named."""
    return wants_html(accept, _MACHINE_TYPES)


def assets_of(settings: Settings) -> Assets:
    return Assets(settings.assets_dir or default_assets_dir())


def page_context(request: Request) -> dict[str, Any]:
    """What every page template needs: the service root (for links) and the asset check."""
    return {"root": root_path(request)}


def json_for_script(value: object) -> Markup:
    """JSON safe inside ``<script type="application/json">`` (no ``</script>`` can close it early)."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


# --- The home page -------------------------------------------------------------------------


@dataclass(frozen=True)
class Count:
    """A class or named graph, and how much of it there is."""

    iri: str
    label: str
    count: int
    href: str | None = None


@dataclass(frozen=True)
class Overview:
    """What the graph holds, for the home page."""

    build_id: str | None
    loaded_at: str | None
    built_at: str | None
    classes: list[Count]
    graphs: list[Count]


def overview(store: StoreBackend, settings: Settings, root: str, deadline: Deadline) -> Overview:
    """Instances per class of our ontology (``INSTANCES_PER_CLASS``: the count VoID and
    ``econsec stats`` give), triples per named graph, and the build."""
    base = settings.public_base
    terms = base + "ontology#"
    classes = []
    for counted in instances_per_class(store, base + "graph/ontology"):
        deadline.check()
        if not counted.iri.startswith(terms):
            continue
        local = counted.iri.rsplit("#", 1)[-1]
        classes.append(
            Count(counted.iri, counted.label or local, counted.instances, f"{root}/classes/{local}")
        )
    graphs = []
    for iri, n in triples_per_graph(store).items():
        name = iri[len(base + "graph/") :] if iri.startswith(base + "graph/") else iri
        href = f"{root}/graph/{name}" if iri.startswith(base + "graph/") else None
        graphs.append(Count(iri, name, n, href))
    built_at = read_build_info(settings.void_path).modified
    return Overview(store.build_id, store.loaded_at, built_at, classes, graphs)


@router.get("/", response_class=HTMLResponse)
async def home(request: Request) -> Response:
    """The home page: what the graph holds, a search box, the editor, the gallery, the downloads."""
    state = service_state(request)
    root = root_path(request)
    seen = await state.executor.run(lambda deadline: overview(state.backend, state.settings, root, deadline))
    return render(
        "home.html",
        **page_context(request),
        overview=seen,
        counted=INSTANCES_PER_CLASS,
        total=sum(g.count for g in seen.graphs),
        downloads=available_downloads(state.settings),
    )


# --- Downloads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Download:
    """A file of the release offered for download."""

    name: str
    media_type: str
    label: str


DOWNLOADS: dict[str, Download] = {
    d.name: d
    for d in (
        Download("econsec.trig", "application/trig", "TriG: every named graph, asserted and inferred"),
        Download("econsec.nq", "application/n-quads", "N-Quads: the same, one quad a line"),
        Download("econsec.jsonld", "application/ld+json", "JSON-LD: the same as a JSON document"),
        Download("void.ttl", "text/turtle", "VoID: the build's statistics (Turtle)"),
    )
}
_JSONLD_LOCK = threading.Lock()


def _build_file(settings: Settings, name: str) -> Path:
    return settings.build_dir / name


def available_downloads(settings: Settings) -> list[Download]:
    """The downloads this installation can serve (JSON-LD whenever the N-Quads are there)."""
    source = {"econsec.jsonld": "econsec.nq"}
    return [d for d in DOWNLOADS.values() if _build_file(settings, source.get(d.name, d.name)).is_file()]


def jsonld_dump(settings: Settings) -> Path:
    """The JSON-LD dump of the build, written once per build next to the store (``data_dir``).

    Made from ``econsec.nq`` on first request rather than at startup, so a service that nobody
    downloads from never spends the time; one thread writes it while others wait for it.
    """
    nquads = _build_file(settings, "econsec.nq")
    if not nquads.is_file():
        raise MissingFile("this service has no build to download (it serves a remote store)")
    target = settings.data_dir / "downloads" / f"econsec-{nquads.stat().st_mtime_ns}.jsonld"
    with _JSONLD_LOCK:
        if not target.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            quads = list(parse(path=nquads, format=RdfFormat.N_QUADS))
            partial = target.with_suffix(".partial")
            serialize(quads, output=partial, format=RdfFormat.JSON_LD, prefixes=PREFIXES)
            partial.replace(target)
            for old in target.parent.glob("econsec-*.jsonld"):
                if old != target:
                    old.unlink(missing_ok=True)
    return target


@router.get(
    "/downloads/{name}",
    response_class=FileResponse,
    responses={
        200: {"description": "The file", "content": {d.media_type: {} for d in DOWNLOADS.values()}},
        404: {"description": "No such download, or no build directory (remote store)"},
    },
)
async def download(request: Request, name: str) -> Response:
    """A dump of the graph as built: TriG, N-Quads, JSON-LD, or the VoID statistics."""
    settings = service_state(request).settings
    item = DOWNLOADS.get(name)
    if item is None:
        raise MissingFile(f"no download named {name!r}; there are {', '.join(DOWNLOADS)}")
    if name == "econsec.jsonld":
        path = await run_in_threadpool(jsonld_dump, settings)
    else:
        path = _build_file(settings, name)
        if not path.is_file():
            raise MissingFile(f"{name} is not in this service's build directory (run `econsec build`)")
    return FileResponse(path, media_type=item.media_type, filename=name)


# --- Files the pages load ------------------------------------------------------------------


@router.get("/favicon.ico", include_in_schema=False)
async def favicon() -> Response:
    """No icon: an empty answer rather than a 404 in every browser console."""
    return Response(status_code=204)


def _gzipped(path: Path) -> bytes:
    """The file gzipped, kept in memory per file version (YASGUI: 1 MB becomes about 300 KB)."""
    version = path.stat().st_mtime_ns
    cached = _GZIPPED.get(path)
    if cached is None or cached[0] != version:
        cached = (version, gzip.compress(path.read_bytes(), compresslevel=6))
        _GZIPPED[path] = cached
    return cached[1]


_GZIPPED: dict[Path, tuple[int, bytes]] = {}


@router.get("/assets/{name}", include_in_schema=False)
async def vendor_asset(request: Request, name: str) -> Response:
    """An npm file a page uses (only those listed in ``assets.VENDOR``), gzipped for browsers
    that take it: the editor's bundle is the largest thing any page loads."""
    path = assets_of(service_state(request).settings).path(name)
    if path is None:
        known = name in VENDOR
        raise MissingFile(
            f"{name} is not installed: run `make setup` (npm ci) to fetch the browser assets"
            if known
            else f"no asset named {name!r}"
        )
    headers = {"Cache-Control": _VENDOR_CACHE, "Vary": "Accept-Encoding"}
    if "gzip" in request.headers.get("accept-encoding", "").lower():
        body = await run_in_threadpool(_gzipped, path)
        return Response(
            body, media_type=VENDOR[name].media_type, headers={**headers, "Content-Encoding": "gzip"}
        )
    return FileResponse(path, media_type=VENDOR[name].media_type, headers=headers)


@router.get("/static/{name}", include_in_schema=False)
async def own_asset(name: str) -> Response:
    """One of our own scripts or the stylesheet (a plain name in ``service/web/static``, nothing else)."""
    path = OWN_DIR / name
    kind = _OWN_TYPES.get(path.suffix)
    if kind is None or "/" in name or name.startswith(".") or not path.is_file():
        raise MissingFile(f"no file named {name!r}")
    return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})


# --- The SPARQL editor ---------------------------------------------------------------------

_WHERE = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def editor_text(query: SavedQuery) -> str:
    """The saved query as the editor opens it: runnable as it stands, and the query first (its
    ``#+`` header, a dozen lines of YAML for the API and the gallery, is left out).

    A saved query's parameters are variables the API binds; in the editor they would stay
    unbound. Each one with a default gets a ``VALUES`` line at the top of the outer ``WHERE``
    group (where its filters see it), so the example runs and shows where to change the value.
    """
    lines = []
    for parameter in query.parameters:
        if parameter.default is None:
            lines.append(
                f"  # ?{parameter.variable}: required parameter ({parameter.type}); bind it with VALUES"
            )
        else:
            term = parameter.to_term(parameter.default)
            lines.append(f"  VALUES ?{parameter.variable} {{ {term} }}  # parameter {parameter.name}")
    text = without_header(query.text)
    match = _WHERE.search(text)
    if not lines or match is None:
        return text
    return text[: match.end()] + "\n" + "\n".join(lines) + text[match.end() :]


@lru_cache(maxsize=1)
def _examples() -> list[dict[str, Any]]:
    """The saved queries as editor examples (read once per process, like the /queries routes),
    each with the chart its header names, which the editor draws when that example runs."""
    return [
        {
            "name": name,
            "summary": q.summary,
            "query": editor_text(q),
            "chart": chart_spec(q.chart) if q.chart is not None else None,
        }
        for name, q in query_catalogue.load().items()
    ]


_STARTER = """\
SELECT ?class (COUNT(?thing) AS ?things) WHERE {
  ?thing a ?class .
  FILTER (STRSTARTS(STR(?class), STR(es:)))
}
GROUP BY ?class
ORDER BY DESC(?things)
LIMIT 25
"""
#: the prefixes a new query starts with (the rest are known to the editor and to the result table)
_STARTER_PREFIXES = ("es", "rdfs", "skos", "xsd", "dcterms", "prov", "country", "orgn", "inst", "tech", "mat")


def editor_page(request: Request, state: ServiceState) -> HTMLResponse:
    """The YASGUI editor, with the graph's prefixes, the saved queries as examples and an offline
    share link; or, when the npm assets are missing, a page that says so and how to fix it."""
    root = root_path(request)
    assets = assets_of(state.settings)
    missing = assets.missing(*EDITOR_ASSETS)
    endpoint = state.settings.public("/sparql")  # configured, never the client's Host header
    starter = sparql_prologue(*(p for p in _STARTER_PREFIXES if p in PREFIXES))
    config = {
        "endpoint": endpoint,
        "prefixes": PREFIXES,
        "starter": starter + "\n" + _STARTER,
        "examples": _examples(),
        "chartScripts": None
        if assets.missing("d3.js")
        else [f"{root}/assets/d3.js", f"{root}/static/charts.js"],
        # result IRIs under the public base open their page here (``{root}/id/...``), not w3id.org
        "publicBase": state.settings.public_base,
        "root": root,
        "hrefSuffix": HREF_SUFFIX,
    }
    return render(
        "editor.html",
        headers={"Vary": "Accept"},
        **page_context(request),
        missing=missing,
        assets_dir=str(assets.root),
        editor_bytes=assets.size(*EDITOR_ASSETS),
        config=json_for_script(config),
        examples=config["examples"],
    )
