"""Shared fixtures: the real graph built once per session, and a small corpus to build in tmp_path.

``built`` runs ``econsec build`` on the packaged graph (ontology, graph/reference, graph/sources)
into a temporary directory once per test session and yields the :class:`BuildResult` (its
``paths`` name the written files); ``built_store`` is a pyoxigraph Store loaded from that
build's ``econsec.nq``, as the service will load it.

``sparql_service`` is that build served by a real ``econsec serve`` (uvicorn) on a free
loopback port, started once per session; ``service_factory`` starts more of them (other data
directories, other limits) and stops them after the test.

``mini_corpus`` writes a tiny, self-contained corpus (reference + one source document + a few
test-owned shapes) into ``tmp_path``: tests that check pipeline behaviour use it so that they
do not depend on what the curators are adding to the real graph.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pyoxigraph as ox
import pytest
from econsec.graph.build import BuildResult, build
from econsec.graph.corpus import load_built_store
from econsec.graph.errors import EconsecError
from playwright.sync_api import Browser, sync_playwright

from bench.servers import clean_environment, econsec_command, free_port, serve_arguments, wait_for_health

PREFIXES = """\
PREFIX es:      <https://w3id.org/econsec/ontology#>
PREFIX g:       <https://w3id.org/econsec/graph/>
PREFIX country: <https://w3id.org/econsec/id/country/>
PREFIX orgn:    <https://w3id.org/econsec/id/org/>
PREFIX inst:    <https://w3id.org/econsec/id/instrument/>
PREFIX tech:    <https://w3id.org/econsec/id/technology/>
PREFIX mem:     <https://w3id.org/econsec/id/membership/>
PREFIX place:   <https://w3id.org/econsec/id/place/>
PREFIX doc:     <https://w3id.org/econsec/id/document/>
PREFIX psg:     <https://w3id.org/econsec/id/passage/>
PREFIX rdfs:    <http://www.w3.org/2000/01/rdf-schema#>
PREFIX xsd:     <http://www.w3.org/2001/XMLSchema#>
PREFIX skos:    <http://www.w3.org/2004/02/skos/core#>
PREFIX dcterms: <http://purl.org/dc/terms/>
PREFIX prov:    <http://www.w3.org/ns/prov#>
PREFIX owl:     <http://www.w3.org/2002/07/owl#>
"""

REFERENCE_TRIG = (
    PREFIXES
    + """
g:reference {
    psg:reference.classification a es:ReferenceSource ; rdfs:label "test classification"@en .
}

psg:reference.classification {
    country:japan a es:State ; rdfs:label "Japan"@en ; es:locatedIn place:northeast-asia .
    country:united-states a es:State ; rdfs:label "United States"@en .
    place:northeast-asia a es:Place ; rdfs:label "Northeast Asia"@en ; es:locatedIn place:asia .
    place:asia a es:Place ; rdfs:label "Asia"@en .
    orgn:meti a es:Ministry ; rdfs:label "METI"@en ; es:jurisdiction country:japan .
    orgn:bureau a es:Agency ; rdfs:label "A bureau"@en ; es:subOrganizationOf orgn:meti .
    orgn:division a es:Agency ; rdfs:label "A division"@en ; es:subOrganizationOf orgn:bureau .
    orgn:firm-a a es:Company ; rdfs:label "Firm A"@en ; es:partnersWith orgn:firm-b .
    orgn:firm-b a es:Company ; rdfs:label "Firm B"@en .
    tech:chips a es:Technology ; rdfs:label "chips"@en .
    tech:logic-chips a es:Technology ; rdfs:label "logic chips"@en ; skos:broader tech:chips .
}
"""
)

SOURCE_TRIG = (
    PREFIXES
    + """
g:test-doc {
    doc:test-doc a es:SourceDocument ; dcterms:title "A test document" ; dcterms:issued "2024"^^xsd:gYear .
    psg:test-doc.launch a es:Passage ; es:inDocument doc:test-doc ; es:section "Launch" .
    psg:test-doc.members a es:Passage ; es:inDocument doc:test-doc ; es:section "Members" .
}

psg:test-doc.launch {
    inst:ipef a es:EconomicFramework ; rdfs:label "IPEF"@en ; es:issuedBy country:united-states ;
        es:date "2022-05-23"^^xsd:date ; es:status es:Announced .
}

psg:test-doc.members {
    inst:ipef a es:EconomicFramework .
    mem:ipef-japan a es:Membership ; rdfs:label "Japan in IPEF"@en ;
        es:member country:japan ; es:body inst:ipef ; es:role es:FoundingMember ;
        es:startDate "2022-05"^^xsd:gYearMonth .
}
"""
)

#: test-owned shapes: a label on every entity, a warning for instruments without status, and a
#: SHACL-SPARQL rule for claims without a provenance annotation
SHAPES_TTL = """\
@prefix sh:   <http://www.w3.org/ns/shacl#> .
@prefix es:   <https://w3id.org/econsec/ontology#> .
@prefix tsh:  <https://example.org/test-shapes#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix prov: <http://www.w3.org/ns/prov#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .

tsh: a owl:Ontology ;
    sh:declare [ sh:prefix "owl" ; sh:namespace "http://www.w3.org/2002/07/owl#"^^xsd:anyURI ] ,
               [ sh:prefix "prov" ; sh:namespace "http://www.w3.org/ns/prov#"^^xsd:anyURI ] .

tsh:EntityShape a sh:NodeShape ;
    sh:targetClass es:Entity ;
    sh:property [ sh:path rdfs:label ; sh:minCount 1 ; sh:message "An entity needs an rdfs:label." ] ;
    sh:sparql [
        a sh:SPARQLConstraint ;
        sh:message "Claim without provenance: no passage states it." ;
        sh:prefixes tsh: ;
        sh:select \"\"\"
            SELECT $this ?path ?value WHERE {
                $this ?path ?value .
                FILTER (?path != prov:wasDerivedFrom)
                FILTER NOT EXISTS {
                    ?axiom owl:annotatedSource $this ; owl:annotatedProperty ?path ;
                           owl:annotatedTarget ?value .
                }
            }
        \"\"\" ] .

tsh:StatusShape a sh:NodeShape ;
    sh:targetClass es:Instrument ;
    sh:property [ sh:path es:status ; sh:minCount 1 ; sh:severity sh:Warning ;
                  sh:message "Instrument without a status." ] .
"""


@dataclass(frozen=True)
class MiniCorpus:
    """Where ``mini_corpus`` wrote its files."""

    root: Path
    sources: Path
    reference: Path
    shapes: Path

    @property
    def source_file(self) -> Path:
        return self.sources / "test-doc.trig"

    def add_source(self, name: str, body: str) -> Path:
        """Write another source file (the PREFIX block is added)."""
        path = self.sources / name
        path.write_text(PREFIXES + body, encoding="utf-8")
        return path


def write_mini_corpus(root: Path) -> MiniCorpus:
    corpus = MiniCorpus(root, root / "sources", root / "reference", root / "shapes.ttl")
    corpus.sources.mkdir(parents=True)
    corpus.reference.mkdir(parents=True)
    (corpus.reference / "reference.trig").write_text(REFERENCE_TRIG, encoding="utf-8")
    corpus.source_file.write_text(SOURCE_TRIG, encoding="utf-8")
    corpus.shapes.write_text(SHAPES_TTL, encoding="utf-8")
    return corpus


@pytest.fixture
def mini_corpus(tmp_path: Path) -> MiniCorpus:
    """A small valid corpus in tmp_path (reference, one source document, test shapes)."""
    return write_mini_corpus(tmp_path / "corpus")


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> BuildResult:
    """The packaged graph, built once per session (with HermiT when Java is present)."""
    out = tmp_path_factory.mktemp("release") / "build"
    try:
        return build(out)
    except EconsecError as exc:  # show the readable report, not a traceback into the pipeline
        pytest.fail(f"econsec build failed on the packaged graph:\n{exc}", pytrace=False)


@pytest.fixture(scope="session")
def built_store(built: BuildResult) -> ox.Store:
    """A pyoxigraph Store holding the session build's econsec.nq (every named graph)."""
    return load_built_store(built.paths.nquads)


# --- A real SPARQL service on a loopback port ---------------------------------------------


#: the media type most tests ask /sparql for
SPARQL_JSON = "application/sparql-results+json"


def query_json(service: RunningService, query: str, *, timeout: float = 60) -> httpx.Response:
    """``query`` POSTed as a form to the service's /sparql, asking for SPARQL JSON results: how the
    tests read what a service holds (the caller checks the status it expects)."""
    return httpx.post(service.sparql, data={"query": query}, headers={"Accept": SPARQL_JSON}, timeout=timeout)


def post_direct(
    service: RunningService,
    query: str,
    *,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60,
) -> httpx.Response:
    """``query`` as the body of a POST (``application/sparql-query``): the Protocol's third way to
    send one, beside GET and the form; ``headers`` may add to the content type or replace it."""
    sent = {"Content-Type": "application/sparql-query", **(headers or {})}
    return httpx.post(service.sparql, params=params, content=query.encode(), headers=sent, timeout=timeout)


def select(service: RunningService, query: str) -> list[dict[str, str]]:
    """Rows of a SELECT at the service's /sparql, each value as a plain string; the answer must be 200."""
    response = query_json(service, query)
    assert response.status_code == 200, response.text
    return [{k: v["value"] for k, v in row.items()} for row in response.json()["results"]["bindings"]]


def ask(service: RunningService, query: str) -> bool:
    """The answer of an ASK at the service's /sparql; the answer must be 200."""
    response = query_json(service, query)
    assert response.status_code == 200, response.text
    return bool(response.json()["boolean"])


@dataclass
class RunningService:
    """An ``econsec serve`` process listening on 127.0.0.1."""

    base: str
    data_dir: Path
    build_dir: Path
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def sparql(self) -> str:
        return self.base + "/sparql"

    def health(self) -> dict:
        return httpx.get(self.base + "/health", timeout=30).json()

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=20)


def start_service(data_dir: Path, build_dir: Path, env: dict[str, str] | None = None) -> RunningService:
    """Start ``econsec serve`` in a subprocess and wait until /health answers (or fail with its log).

    Started as the benchmarks start it (``bench/servers.py``), so a figure there and a test here
    are about the same process."""
    clean = clean_environment(env)
    data_dir.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):  # a port taken between choosing and binding: choose again
        port = free_port()
        log = data_dir.parent / f"{data_dir.name}-serve-{port}.log"
        command = econsec_command("serve", *serve_arguments(port, data_dir, build_dir))
        with log.open("wb") as out:
            process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=clean)
        service = RunningService(f"http://127.0.0.1:{port}", data_dir, build_dir, process, log)
        # up to a minute for imports and the first bulk load
        if wait_for_health(service.base, process, tries=600):
            return service
        service.stop()
        if "address already in use" not in service.output().lower():
            break
    pytest.fail(f"econsec serve did not start:\n{service.output()}", pytrace=False)


@pytest.fixture(scope="session")
def sparql_service(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
    """The session's graph served by a real uvicorn on a free loopback port (default settings)."""
    service = start_service(tmp_path_factory.mktemp("service") / "data", built.paths.out_dir)
    yield service
    service.stop()


def module_service(name: str, env: dict[str, str] | None = None) -> Any:
    """A module-scoped fixture: the session build served with ``env`` from a data directory of its
    own (``name``), stopped after the module. For a module whose tests need other settings than
    ``sparql_service`` has, all of them the same: ``limited = module_service("limited", LIMITS)``."""

    @pytest.fixture(scope="module")
    def running(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningService]:
        service = start_service(tmp_path_factory.mktemp(name) / "data", built.paths.out_dir, env)
        yield service
        service.stop()

    return running


@pytest.fixture
def service_factory(built: BuildResult, tmp_path: Path) -> Iterator[Callable[..., RunningService]]:
    """Start services of your own (``factory(data_dir=None, env=None)``); all are stopped afterwards."""
    started: list[RunningService] = []

    def factory(data_dir: Path | None = None, env: dict[str, str] | None = None) -> RunningService:
        service = start_service(data_dir or tmp_path / "data", built.paths.out_dir, env)
        started.append(service)
        return service

    yield factory
    for service in started:
        service.stop()


# --- a second SPARQL engine: OpenLink Virtuoso 7 on loopback ------------------------------------

VIRTUOSO_INI = """\
[Database]
DatabaseFile       = {db}/virtuoso.db
ErrorLogFile       = {db}/virtuoso.log
LockFile           = {db}/virtuoso.lck
TransactionFile    = {db}/virtuoso.trx
xa_persistent_file = {db}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
Striping           = 0
TempStorage        = TempDatabase
[TempDatabase]
DatabaseFile       = {db}/virtuoso-temp.db
TransactionFile    = {db}/virtuoso-temp.trx
Striping           = 0
[Parameters]
ServerPort         = 127.0.0.1:{isql}
DisableUnixSocket  = 1
MaxClientConnections = 10
CheckpointInterval = 60
CaseMode           = 2
DirsAllowed        = .
NumberOfBuffers    = 10000
MaxDirtyBuffers    = 6000
[HTTPServer]
ServerPort         = 127.0.0.1:{http}
ServerRoot         = {db}
MaxClientConnections = 10
ServerThreads      = 10
Charset            = UTF-8
EnabledGzipContent = 0
[SPARQL]
; the packaged default (10,000) silently truncates larger answers
ResultSetMaxRows   = 1000000
MaxQueryExecutionTime = 120
"""


@dataclass
class VirtuosoServer:
    """A ``virtuoso-t`` process of the test session's own, its SPARQL endpoint open for update."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def query(self) -> str:
        return self.url + "/sparql"

    @property
    def update(self) -> str:
        return self.url + "/sparql"


@pytest.fixture(scope="session")
def virtuoso(tmp_path_factory: pytest.TempPathFactory) -> Iterator[VirtuosoServer]:
    """OpenLink Virtuoso 7 (Debian's ``virtuoso-opensource``) with its own database folder and ports,
    anonymous SPARQL update granted (``GRANT SPARQL_UPDATE TO "SPARQL"``) as the issue's setup has it."""
    binary, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    if binary is None or isql is None:
        pytest.fail(
            "Virtuoso is missing: run `make setup` (scripts/system-packages.sh installs virtuoso-opensource)"
        )
    db = tmp_path_factory.mktemp("virtuoso")
    http_port, isql_port = free_port(), free_port()
    (db / "virtuoso.ini").write_text(VIRTUOSO_INI.format(db=db, isql=isql_port, http=http_port))
    log = db / "stdout.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [binary, "+foreground", "+configfile", str(db / "virtuoso.ini")],
            cwd=db,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    server = VirtuosoServer(f"http://127.0.0.1:{http_port}", process, log)
    for _ in range(1200):  # a fresh database is created on first start: up to two minutes
        if process.poll() is not None:
            break
        try:
            if httpx.get(server.query, params={"query": "ASK {}"}, timeout=2).status_code == 200:
                break
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    else:
        process.kill()
        pytest.fail("virtuoso-t did not start:\n" + log.read_text(errors="replace"), pytrace=False)
    if process.poll() is not None:
        pytest.fail("virtuoso-t stopped:\n" + log.read_text(errors="replace"), pytrace=False)
    grant = subprocess.run(
        [isql, f"127.0.0.1:{isql_port}", "dba", "dba", 'exec=GRANT SPARQL_UPDATE TO "SPARQL";'],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert grant.returncode == 0, grant.stdout + grant.stderr
    yield server
    process.terminate()
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=20)


#: the bearer token of the ``writable`` service
WRITE_TOKEN = "test-write-token-Zq81"


@pytest.fixture(scope="module")
def writable(
    request: pytest.FixtureRequest, built: BuildResult, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningService]:
    """The session build served with writes enabled (``WRITE_TOKEN``): one service per test module,
    on a data folder of its own, so one module's writes never reach another's reads."""
    data_dir = tmp_path_factory.mktemp(request.module.__name__.removeprefix("test_")) / "data"
    service = start_service(data_dir, built.paths.out_dir, {"ECONSEC_UPDATE_TOKEN": WRITE_TOKEN})
    yield service
    service.stop()


# --- Headless Chromium, shared by the browser tests (tests/test_ui_*.py) ------------------------

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium driven by Playwright, headless; one per test module."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's Chromium "
            "(apt-get install chromium chromium-driver; `make test` installs it as root)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        yield launched
        launched.close()
