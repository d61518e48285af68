"""The federation guard (service/security/federation.py) refuses SERVICE / LOAD targets off the allowlist.

No network beyond loopback: listeners are bound to 127.0.0.1 on a free port, DNS look-ups other
than ``localhost`` go through a fake resolver. Several tests run the real engine (pyoxigraph) to
prove that a payload is live, i.e. that without the guard the engine *does* connect; the guard
must refuse every such payload.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from econsec.service.security.federation import (
    SAFE_FOR_ENGINE_FETCH,
    SETTING_NAME,
    Allowlist,
    ForbiddenService,
    QueryInspectionError,
    Target,
    address_refusal,
    check_request,
    normalise_endpoint,
    resolve_and_check,
    service_targets,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from listener import Listener

EMPTY = Allowlist()
QUERIES_DIR = Path(__file__).resolve().parent.parent / "queries"


@pytest.fixture
def listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


@pytest.fixture(scope="module")
def shared_listener() -> Iterator[Listener]:
    lst = Listener()
    yield lst
    lst.close()


def seeded_store() -> ox.Store:
    """A store with data, so that a SERVICE joined after a triple pattern is really evaluated."""
    store = ox.Store()
    s, p = ox.NamedNode("http://example.org/s"), ox.NamedNode("http://example.org/p")
    store.add(ox.Quad(s, p, ox.Literal(True)))
    store.add(ox.Quad(s, p, ox.Literal(1)))
    store.add(ox.Quad(s, p, ox.Literal("x")))
    return store


def engine_connects(listener: Listener, text: str, *, update: bool, **kwargs: object) -> bool:
    """Run ``text`` on the real engine WITHOUT the guard; True if it connected to the listener."""
    before = listener.count
    store = seeded_store()
    try:
        if update:
            store.update(text, **kwargs)  # type: ignore[arg-type]
        else:
            result = store.query(text, **kwargs)  # type: ignore[arg-type]
            if not isinstance(result, ox.QueryBoolean):
                list(result)
    except (OSError, SyntaxError, RuntimeError, ValueError):
        pass
    return listener.count > before


def guarded_run(text: str, allowlist: Allowlist, *, update: bool) -> None:
    """What the service does: guard first, then the engine only if the guard passed."""
    check_request(text, allowlist, update=update)
    store = seeded_store()
    if update:
        store.update(text)
    else:
        list(store.query(text))  # type: ignore[arg-type]


def refused(text: str, allowlist: Allowlist = EMPTY, *, update: bool = False) -> ForbiddenService:
    with pytest.raises(ForbiddenService) as info:
        check_request(text, allowlist, update=update)
    return info.value


def iris(targets: list[Target]) -> list[str | None]:
    return [t.iri for t in targets]


# --------------------------------------------------------------------------------------------
# Allowed SERVICE passes; queries without SERVICE / LOAD pass untouched

ALLOWED = Allowlist.from_setting(
    "http://allowed.example:8080/sparql, https://query.example.org/api/, http://127.0.0.1:8001/sparql"
)


@pytest.mark.parametrize(
    "url",
    [
        "http://allowed.example:8080/sparql",
        "HTTP://ALLOWED.example:8080/sparql",  # scheme and host are case-insensitive
        "http://allowed.example:8080/sparql?default-graph-uri=x",  # query string not compared
        "http://allowed.example:8080/sparql#fragment",  # fragments are never sent
        "https://query.example.org/api/",
        "https://query.example.org:443/api/v1/sparql",  # default port, prefix entry
        "http://127.0.0.1:8001/sparql",
    ],
)
def test_allowed_service_passes(url: str) -> None:
    text = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    targets = check_request(text, ALLOWED, update=False)
    assert len(targets) == 1
    assert targets[0].kind == "SERVICE"
    assert targets[0].iri == url


def test_allowed_service_silent_and_several_allowed_targets_pass() -> None:
    text = """
        PREFIX peer: <http://allowed.example:8080/>
        SELECT * WHERE {
          SERVICE SILENT peer:sparql { ?s ?p ?o }
          OPTIONAL { SERVICE <https://query.example.org/api/x> { ?s ?q ?r } }
        }"""
    targets = check_request(text, ALLOWED, update=False)
    assert [(t.iri, t.silent) for t in targets] == [
        ("http://allowed.example:8080/sparql", True),
        ("https://query.example.org/api/x", False),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { ?s ?p ?o }",
        "ASK { ?s a ?o }",
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } } LIMIT 10",
        "DESCRIBE <http://example.org/x>",
        # the words service / load where the engine cannot read a keyword
        'SELECT ?service ?load WHERE { ?service <http://ex.org/service/load> "SERVICE <http://169.254.169.254/> {}" }',
        "SELECT * WHERE { ?s ?p ?o } # SERVICE <http://169.254.169.254/> { }",
        "PREFIX ex: <http://ex.org/> SELECT * WHERE { ?s ex:service ex:load ; ex:download ?x . ?x ex:payload $loader }",
        'SELECT * WHERE { ?s ?p """a long\nSERVICE <http://127.0.0.1/> {} string""" }',
        "SELECT * WHERE { ?s ?p ?o FILTER(?o < 3 && ?o > 1) } ORDER BY ?loading",
    ],
)
def test_queries_without_service_or_load_pass_untouched(text: str) -> None:
    assert service_targets(text, update=False) == []
    assert check_request(text, EMPTY, update=False) == []


@pytest.mark.parametrize(
    "text",
    [
        "INSERT DATA { <http://ex.org/s> <http://ex.org/p> 'Load factor' }",
        "DELETE WHERE { ?s <http://ex.org/serviceLevel> ?o }",
        "CLEAR GRAPH <http://ex.org/service> ; CREATE SILENT GRAPH <http://ex.org/load>",
        "ADD <http://127.0.0.1:1/g> TO <http://127.0.0.1:1/h> ; COPY DEFAULT TO <http://ex.org/g>",
    ],
)
def test_updates_without_load_pass_untouched(text: str) -> None:
    assert check_request(text, EMPTY, update=True) == []


def test_saved_queries_pass_the_guard() -> None:
    files = sorted(QUERIES_DIR.glob("*.rq"))
    assert files, "the project ships saved queries"
    for path in files:
        assert check_request(path.read_text(encoding="utf-8"), EMPTY, update=False) == [], path.name


# --------------------------------------------------------------------------------------------
# Refusals: the default empty allowlist, tricks, variables


def test_empty_allowlist_refuses_with_the_documented_message() -> None:
    exc = refused("SELECT * WHERE { SERVICE <http://169.254.169.254/> { ?s ?p ?o } }")
    assert str(exc) == (
        "SERVICE <http://169.254.169.254/> is not on this server's federation allowlist "
        "(ECONSEC_SERVICE_ALLOWLIST); allowed: none"
    )
    assert exc.target == "http://169.254.169.254/"
    assert exc.kind == "SERVICE"
    assert not isinstance(exc, QueryInspectionError)


def test_empty_setting_is_an_empty_allowlist() -> None:
    for value in (None, "", " ", " , ,"):
        allowlist = Allowlist.from_setting(value)
        assert not allowlist
        assert allowlist.describe() == "none"
        refused("SELECT * WHERE { SERVICE <https://query.wikidata.org/sparql> {} }", allowlist)


TRICKS = [
    # other spellings of a host that is not on the list
    "http://LOCALHOST:8080/sparql",
    "http://localhost:8080/sparql",
    "http://127.0.0.1:8080/sparql",
    "http://169.254.169.254/latest/meta-data/",
    # other spellings of the allowlisted host
    "http://allowed.example.:8080/sparql",
    "http://allowed@evil.example:8080/sparql",
    "http://allowed.example:8080@evil.example:8080/sparql",
    "http://allowed.example:8080:@evil.example/sparql",
    "http://evil.example#@allowed.example:8080/sparql",
    "http://evil.example?@allowed.example:8080/sparql",
    "http://%61llowed.example:8080/sparql",
    "http://allowed%2eexample:8080/sparql",
    "http://\uff41\uff4c\uff4c\uff4f\uff57\uff45\uff44.example:8080/sparql",  # fullwidth letters
    "http://allowed.example.evil.example:8080/sparql",
    "http://evilallowed.example:8080/sparql",
    "http://allowed-example:8080/sparql",
    # same host, other scheme / port / path
    "https://allowed.example:8080/sparql",
    "http://allowed.example/sparql",
    "http://allowed.example:8081/sparql",
    "http://allowed.example:8080/sparql2",
    "http://allowed.example:8080/sparql/",
    "http://allowed.example:8080/sparql/../admin",
    "http://allowed.example:8080/x/../sparql",
    "http://allowed.example:8080/%2e%2e/sparql",
    "http://allowed.example:8080/./sparql",
    "http://allowed.example:8080/SPARQL",
    "https://query.example.org/apix",
    "https://query.example.org/",
    # numeric spellings of 127.0.0.1 (the allowlist names 127.0.0.1:8001 exactly)
    "http://2130706433:8001/sparql",
    "http://0x7f000001:8001/sparql",
    "http://0x7F.0.0.1:8001/sparql",
    "http://0177.0.0.1:8001/sparql",
    "http://017700000001:8001/sparql",
    "http://127.1:8001/sparql",
    "http://127.0.1:8001/sparql",
    "http://127.000.000.001:8001/sparql",
    "http://127.0.0.1.:8001/sparql",
    "http://0:8001/sparql",
    "http://0.0.0.0:8001/sparql",
    "http://[::1]:8001/sparql",
    "http://[::ffff:127.0.0.1]:8001/sparql",
    "http://[::ffff:7f00:1]:8001/sparql",
    "http://[0:0:0:0:0:0:0:1]:8001/sparql",
    "http://[::1%25lo]:8001/sparql",
    "http://[fe80::1]:8001/sparql",
    "http://[64:ff9b::7f00:1]:8001/sparql",
    # not http(s)
    "file:///etc/passwd",
    "file://allowed.example:8080/sparql",
    "ftp://allowed.example:8080/sparql",
    "gopher://127.0.0.1:8001/_GET",
    "data:text/turtle,%3Ca%3E%20%3Cb%3E%20%3Cc%3E%20.",
    "jar:http://allowed.example:8080/sparql!/x",
    "javascript:alert(1)",
    "ldap://127.0.0.1:8001/sparql",
    "dict://127.0.0.1:8001/",
    "ws://allowed.example:8080/sparql",
    "urn:isbn:123",
    "http:allowed.example:8080/sparql",
    "http:/allowed.example:8080/sparql",
    "http:///sparql",
    "http://:8080/sparql",
    "http://allowed.example:0/sparql",
    "http://allowed.example:99999/sparql",
    "http://allowed.example:80a/sparql",
]


@pytest.mark.parametrize("url", TRICKS)
def test_trick_is_refused_with_a_message_naming_the_target(url: str) -> None:
    exc = refused(f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}", ALLOWED)
    assert exc.target == url
    assert f"SERVICE <{url}>" in str(exc)
    assert "allowed: http://allowed.example:8080/sparql, https://query.example.org/api/" in str(exc)
    assert not ALLOWED.allows(url)


@pytest.mark.parametrize("url", TRICKS)
def test_trick_as_load_source_is_refused(url: str) -> None:
    exc = refused(f"LOAD <{url}>", ALLOWED, update=True)
    assert exc.kind == "LOAD"
    assert f"LOAD <{url}>" in str(exc)


def test_one_forbidden_target_refuses_the_whole_request() -> None:
    text = """SELECT * WHERE {
        SERVICE <http://allowed.example:8080/sparql> { ?s ?p ?o }
        SERVICE <http://169.254.169.254/latest/> { ?s ?p ?o }
    }"""
    exc = refused(text, ALLOWED)
    assert exc.target == "http://169.254.169.254/latest/"


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE ?endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { SERVICE SILENT $endpoint { ?s ?p ?o } }",
        "SELECT * WHERE { VALUES ?e { <http://allowed.example:8080/sparql> } SERVICE ?e { ?s ?p ?o } }",
        "SELECT * WHERE { BIND(<http://allowed.example:8080/sparql> AS ?e) SERVICE ?e { ?s ?p ?o } }",
        "INSERT { ?s ?p ?o } WHERE { SERVICE ?e { ?s ?p ?o } }",
    ],
)
def test_variable_endpoint_is_refused_even_with_an_allowlist(text: str) -> None:
    exc = refused(text, ALLOWED, update=text.startswith("INSERT"))
    assert "variable" in str(exc)
    assert exc.target in ("?endpoint", "$endpoint", "?e")


def test_variable_endpoint_is_reported() -> None:
    (target,) = service_targets("SELECT * WHERE { SERVICE ?x {} }", update=False)
    assert target == Target("SERVICE", None, variable="x", written="?x")


# --------------------------------------------------------------------------------------------
# LOAD variants


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("LOAD <http://127.0.0.1:9/data.ttl>", ["http://127.0.0.1:9/data.ttl"]),
        ("LOAD SILENT <http://127.0.0.1:9/data.ttl>", ["http://127.0.0.1:9/data.ttl"]),
        ("load <http://127.0.0.1:9/a> into graph <http://ex.org/g>", ["http://127.0.0.1:9/a"]),
        ("LOAD SILENT <http://127.0.0.1:9/a> INTO GRAPH <http://ex.org/g>", ["http://127.0.0.1:9/a"]),
        (
            "PREFIX d: <http://127.0.0.1:9/one/> LOAD d:a ; PREFIX d: <http://127.0.0.1:9/two/> LOAD d:a",
            ["http://127.0.0.1:9/one/a", "http://127.0.0.1:9/two/a"],
        ),
        (
            "PREFIX d: <http://127.0.0.1:9/one/> INSERT DATA { <http://a> <http://b> 1 } ; LOAD d:later",
            ["http://127.0.0.1:9/one/later"],
        ),
        ("BASE <http://127.0.0.1:9/dir/> LOAD <../up.ttl>", ["http://127.0.0.1:9/up.ttl"]),
        (
            "LOAD <http://127.0.0.1:9/a> ; INSERT { ?s ?p ?o } WHERE { SERVICE <http://127.0.0.1:9/b> { ?s ?p ?o } }",
            ["http://127.0.0.1:9/a", "http://127.0.0.1:9/b"],
        ),
    ],
)
def test_load_variants_are_found_and_refused(text: str, expected: list[str]) -> None:
    assert iris(service_targets(text, update=True)) == expected
    exc = refused(text, update=True)
    assert exc.target == expected[0]


def test_load_silent_flag_is_reported() -> None:
    (target,) = service_targets("LOAD SILENT <http://127.0.0.1:9/a> INTO GRAPH <http://g>", update=True)
    assert target.kind == "LOAD"
    assert target.silent


def test_load_in_a_query_is_refused() -> None:
    # Not valid in a query: the engine would refuse it too; the guard must not wave it through.
    with pytest.raises(QueryInspectionError):
        check_request("LOAD <http://127.0.0.1:9/a>", EMPTY, update=False)


# --------------------------------------------------------------------------------------------
# SERVICE wherever a graph pattern can be


U = "http://127.0.0.1:9"


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        (f"SERVICE <{U}/a> {{ ?s ?p ?o }}", ["a"]),
        (f"SERVICE SILENT <{U}/a> {{ ?s ?p ?o }}", ["a"]),
        (
            f"SERVICE <{U}/outer> {{ SERVICE <{U}/inner> {{ SERVICE <{U}/innermost> {{}} }} }}",
            ["outer", "inner", "innermost"],
        ),
        (f"{{ SELECT * WHERE {{ SERVICE <{U}/sub> {{ ?s ?p ?o }} }} }}", ["sub"]),
        (f"?s ?p ?o FILTER EXISTS {{ SERVICE <{U}/exists> {{}} }}", ["exists"]),
        (f"?s ?p ?o FILTER (NOT EXISTS {{ SERVICE <{U}/notexists> {{}} }})", ["notexists"]),
        (f"?s ?p ?o BIND(EXISTS {{ SERVICE <{U}/bind> {{}} }} AS ?b)", ["bind"]),
        (f"?s ?p ?o OPTIONAL {{ SERVICE <{U}/optional> {{}} }}", ["optional"]),
        (f"{{ SERVICE <{U}/left> {{}} }} UNION {{ SERVICE <{U}/right> {{}} }}", ["left", "right"]),
        (f"?s ?p ?o MINUS {{ SERVICE <{U}/minus> {{}} }}", ["minus"]),
        (f"GRAPH ?g {{ SERVICE <{U}/graph> {{}} }}", ["graph"]),
        (
            f"?s ?p ?o FILTER NOT EXISTS {{ {{ SELECT * WHERE {{ OPTIONAL {{ GRAPH ?g {{ SERVICE SILENT <{U}/d1> "
            f"{{ SERVICE <{U}/d2> {{}} }} }} }} }} }} MINUS {{ SERVICE <{U}/d3> {{}} }} }}",
            ["d1", "d2", "d3"],
        ),
    ],
)
def test_service_is_found_wherever_a_pattern_can_be(where: str, expected: list[str]) -> None:
    text = f"SELECT * WHERE {{ {where} }}"
    assert iris(service_targets(text, update=False)) == [f"{U}/{name}" for name in expected]
    exc = refused(text)
    assert exc.target == f"{U}/{expected[0]}"


def test_service_in_subquery_of_the_select_clause_and_having() -> None:
    text = f"""SELECT ?s (COUNT(*) AS ?n) WHERE {{ ?s ?p ?o }} GROUP BY ?s
               HAVING (EXISTS {{ SERVICE <{U}/having> {{ ?s ?p ?o }} }})"""
    assert iris(service_targets(text, update=False)) == [f"{U}/having"]


@pytest.mark.parametrize(
    "text",
    [
        f"INSERT {{ ?s ?p ?o }} WHERE {{ SERVICE <{U}/w> {{ ?s ?p ?o }} }}",
        f"DELETE {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{U}/w> {{}} }} }}",
        f"WITH <http://g> DELETE {{ ?s ?p ?o }} INSERT {{ ?s ?p 1 }} WHERE {{ OPTIONAL {{ SERVICE <{U}/w> {{}} }} }}",
    ],
)
def test_service_in_update_where_is_found(text: str) -> None:
    assert iris(service_targets(text, update=True)) == [f"{U}/w"]
    refused(text, update=True)


# --------------------------------------------------------------------------------------------
# BASE / PREFIX resolution, the way the engine resolves


@pytest.mark.parametrize(
    ("text", "kwargs", "expected"),
    [
        (f"PREFIX e: <{U}/ns/> SELECT * WHERE {{ SERVICE e:sparql {{}} }}", {}, f"{U}/ns/sparql"),
        (f"PREFIX : <{U}/ns/> SELECT * WHERE {{ SERVICE :sparql {{}} }}", {}, f"{U}/ns/sparql"),
        (f"PREFIX e: <{U}/ns/> SELECT * WHERE {{ SERVICE e: {{}} }}", {}, f"{U}/ns/"),
        (f"PREFIX e: <{U}/> SELECT * WHERE {{ SERVICE e:a\\-b\\~c {{}} }}", {}, f"{U}/a-b~c"),
        (f"PREFIX e: <{U}/> SELECT * WHERE {{ SERVICE e:a%41b {{}} }}", {}, f"{U}/a%41b"),
        (f"BASE <{U}/base/> SELECT * WHERE {{ SERVICE <rel> {{}} }}", {}, f"{U}/base/rel"),
        (f"BASE <{U}/a/b> SELECT * WHERE {{ SERVICE <../c> {{}} }}", {}, f"{U}/c"),
        (f"BASE <{U}/a/b> SELECT * WHERE {{ SERVICE <?q=1> {{}} }}", {}, f"{U}/a/b?q=1"),
        (f"BASE <{U}/a/b> SELECT * WHERE {{ SERVICE <> {{}} }}", {}, f"{U}/a/b"),
        (f"BASE <{U}/b1/> BASE <../b2/> SELECT * WHERE {{ SERVICE <r> {{}} }}", {}, f"{U}/b2/r"),
        (f"BASE <{U}/b/> PREFIX p: <x/> SELECT * WHERE {{ SERVICE p:y {{}} }}", {}, f"{U}/b/x/y"),
        (
            "BASE <http://allowed.example/> SELECT * WHERE { SERVICE <//evil.example:80/> {} }",
            {},
            "http://evil.example:80/",
        ),
        ("SELECT * WHERE { SERVICE <rel> {} }", {"base_iri": f"{U}/kw/"}, f"{U}/kw/rel"),
        ("BASE <sub/> SELECT * WHERE { SERVICE <rel> {} }", {"base_iri": f"{U}/kw/"}, f"{U}/kw/sub/rel"),
        ("SELECT * WHERE { SERVICE p:x {} }", {"prefixes": {"p": f"{U}/pfx/"}}, f"{U}/pfx/x"),
        (
            f"PREFIX p: <{U}/mine/> SELECT * WHERE {{ SERVICE p:x {{}} }}",
            {"prefixes": {"p": f"{U}/pfx/"}},
            f"{U}/mine/x",
        ),
        (f"SELECT * WHERE {{ SERVICE <{U}/\\u0065sc> {{}} }}", {}, f"{U}/esc"),
        (f"SELECT * WHERE {{ SERVICE <{U}/\\U00000065sc> {{}} }}", {}, f"{U}/esc"),
        (f"SELECT * WHERE {{ SERVICE <{U}/\\u0023@evil.example/> {{}} }}", {}, f"{U}/#@evil.example/"),
    ],
)
def test_base_and_prefix_are_resolved_like_the_engine(
    text: str, kwargs: dict[str, object], expected: str, listener: Listener
) -> None:
    (target,) = service_targets(text, update=False, **kwargs)  # type: ignore[arg-type]
    assert target.iri == expected
    # The engine, pointed at the listener with the same text, requests exactly that resolved URL.
    if expected.startswith(U + "/"):
        live = text.replace(U, listener.url)
        live_kwargs = {
            k: (
                {p: v.replace(U, listener.url) for p, v in v.items()}
                if isinstance(v, dict)
                else str(v).replace(U, listener.url)
            )
            for k, v in kwargs.items()
        }
        assert engine_connects(listener, live, update=False, **live_kwargs)
        path = expected[len(U) :].split("#", 1)[0]
        assert listener.requests[-1] == f"POST {path} HTTP/1.1".encode()


def test_prefixed_target_message_shows_the_written_form() -> None:
    exc = refused(
        "PREFIX meta: <http://169.254.169.254/latest/> SELECT * WHERE { SERVICE meta:user-data {} }"
    )
    assert str(exc).startswith(
        "SERVICE <http://169.254.169.254/latest/user-data> (written meta:user-data) is not on this "
        "server's federation allowlist"
    )


def test_relative_target_without_base_is_refused() -> None:
    exc = refused("SELECT * WHERE { SERVICE <sparql> {} }", Allowlist.of("http://127.0.0.1:8001/"))
    assert "not an absolute URL" in str(exc)


def test_undeclared_prefix_is_refused() -> None:
    with pytest.raises(QueryInspectionError, match="not declared"):
        check_request("SELECT * WHERE { SERVICE nope:x {} }", ALLOWED, update=False)


# --------------------------------------------------------------------------------------------
# Parser differentials: texts on which rdflib and the engine disagree. Each payload is proven live
# (the engine, unguarded, connects to a loopback listener) and must be refused by the guard.

LIVE_PAYLOADS: list[tuple[str, str, bool]] = [
    ("plain", "SELECT * WHERE {{ ?s ?p ?o . SERVICE <{u}/plain> {{ }} }}", False),
    ("lower-case keyword", "select * where {{ ?s ?p ?o . service <{u}/lower> {{ }} }}", False),
    ("keyword glued to a boolean", "SELECT * WHERE {{ ?s ?p trueSERVICE <{u}/true> {{ }} }}", False),
    ("keyword glued to a number", "SELECT * WHERE {{ ?s ?p 1SERVICE <{u}/num> {{ }} }}", False),
    ("keyword glued to SILENT", "SELECT * WHERE {{ SERVICESILENT<{u}/glued>{{?a ?b ?c}} }}", False),
    (
        "keyword glued to a prefixed name",
        "PREFIX e: <{u}/pn/> SELECT * WHERE {{ SERVICEe:y {{?a ?b ?c}} }}",
        False,
    ),
    (
        "comment ended by a carriage return",
        "SELECT * WHERE {{ ?s ?p ?o #x\rSERVICE <{u}/cr> {{ }}\n }}",
        False,
    ),
    (
        "escaped quote hides the SERVICE from rdflib",
        'SELECT * WHERE {{ BIND("\\u0022" AS ?a) SERVICE <{u}/uchar> {{}} BIND("\\u0022" AS ?b) }}',
        False,
    ),
    (
        "escaped quote, single quotes",
        "SELECT * WHERE {{ BIND('\\u0027' AS ?a) SERVICE <{u}/uchar1> {{}} BIND('\\u0027' AS ?b) }}",
        False,
    ),
    (
        "less-than before a quote",
        "SELECT * WHERE {{ ?s ?p ?a FILTER(?a<'>') SERVICE <{u}/ambig> {{ }} }} #'",
        False,
    ),
    ("escaped IRI", "SELECT * WHERE {{ SERVICE <{u}/\\u0065scaped> {{ }} }}", False),
    ("inside EXISTS", "SELECT * WHERE {{ ?s ?p ?o FILTER EXISTS {{ SERVICE <{u}/exists> {{ }} }} }}", False),
    ("nested", "SELECT * WHERE {{ SERVICE <{u}/outer> {{ SERVICE <{u}/inner> {{ }} }} }}", False),
    ("LOAD", "LOAD <{u}/load>", True),
    ("LOAD glued to SILENT", "LOADSILENT<{u}/gl>", True),
    ("LOAD after a semicolon", "INSERT DATA {{ <http://a> <http://b> true }};LOAD<{u}/semi>", True),
    (
        "LOAD with a prefixed name",
        "PREFIX e: <{u}/u/> INSERT DATA {{ <http://a> <http://b> 1 }} ; LOAD e:x",
        True,
    ),
    ("SERVICE in an update", "INSERT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o . SERVICE <{u}/upd> {{ }} }}", True),
]


@pytest.mark.parametrize(("name", "template", "update"), LIVE_PAYLOADS, ids=[p[0] for p in LIVE_PAYLOADS])
def test_live_payload_is_refused(name: str, template: str, update: bool, shared_listener: Listener) -> None:
    text = template.format(u=shared_listener.url)
    assert engine_connects(shared_listener, text, update=update), f"payload {name!r} is not live"
    before = shared_listener.count
    with pytest.raises(ForbiddenService):
        guarded_run(text, EMPTY, update=update)
    with pytest.raises(ForbiddenService):
        guarded_run(text, Allowlist.of("http://allowed.example:8080/sparql"), update=update)
    assert shared_listener.count == before


@pytest.mark.parametrize(
    "text",
    [
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/a> { ?s ?p ?o }",  # unbalanced
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/a> { << <http://a> <http://b> <http://c> >> ?p ?o } }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/a> { ?s ?p 'unterminated } }",
        "SELECT * WHERE { SERVICE <http://127.0.0.1:9/\\u003e> { } }",
        "SELECT * WHERE { SERVICE \\u003chttp://127.0.0.1:9/a> { } }",
        "SELECT * WHERE { SERVICE SERVICE <http://127.0.0.1:9/a> { } }",
        "INSERT DATA { SERVICE <http://127.0.0.1:9/a> { <http://a> <http://b> <http://c> } }",
        "PREFIX : <http://127.0.0.1:9/> SELECT * WHERE { ?s ?p ?o . xSERVICE:a {} }",
    ],
)
def test_unparsable_text_containing_service_is_refused(text: str) -> None:
    with pytest.raises(QueryInspectionError) as info:
        check_request(text, ALLOWED, update=text.startswith("INSERT"))
    assert "inspection failed" in str(info.value)
    assert isinstance(info.value, ForbiddenService)


def test_deeply_nested_service_fails_closed() -> None:
    inner = "SERVICE <http://127.0.0.1:8001/sparql> { ?a ?b ?c }"
    for _ in range(60):
        inner = "{ " + inner + " }"
    with pytest.raises(ForbiddenService):
        check_request("SELECT * WHERE { " + inner + " }", ALLOWED, update=False)


def test_many_services_are_all_inspected() -> None:
    # how fast is bench's business (no wall-clock assertion on a shared machine); here: every
    # one of 200 SERVICE clauses is found, none lost in a long query
    clauses = " ".join(f"SERVICE <http://127.0.0.1:8001/sparql> {{ ?s{i} ?p ?o }}" for i in range(200))
    targets = check_request(f"SELECT * WHERE {{ {clauses} }}", ALLOWED, update=False)
    assert len(targets) == 200


# --------------------------------------------------------------------------------------------
# No connection is made


def test_refused_service_makes_no_connection(listener: Listener) -> None:
    text = f"SELECT * WHERE {{ ?s ?p ?o . SERVICE <{listener.url}/sparql> {{ ?a ?b ?c }} }}"
    with pytest.raises(ForbiddenService) as info:
        check_request(text, EMPTY, update=False)
    assert f"<{listener.url}/sparql>" in str(info.value)
    assert listener.count == 0
    # The caller: guard first, then the store only if the guard passed.
    with pytest.raises(ForbiddenService):
        guarded_run(text, EMPTY, update=False)
    assert listener.count == 0
    # Control: the listener does see the engine when the endpoint is allowlisted, so the zeros
    # above are not an artefact of a deaf listener.
    allowed = Allowlist.of(f"{listener.url}/sparql")
    with pytest.raises(OSError):
        guarded_run(text, allowed, update=False)
    assert listener.count == 1
    assert listener.requests == [b"POST /sparql HTTP/1.1"]


def test_refused_load_makes_no_connection(listener: Listener) -> None:
    text = f"LOAD <{listener.url}/data.ttl> INTO GRAPH <http://example.org/g>"
    with pytest.raises(ForbiddenService):
        guarded_run(text, EMPTY, update=True)
    assert listener.count == 0


def test_engine_does_not_follow_redirects_from_an_allowlisted_endpoint() -> None:
    """Pins SAFE_FOR_ENGINE_FETCH point 2: pyoxigraph 0.5.13 does not follow redirects.

    If an upgrade starts following them, this test fails: the README's trust statement and the
    guard's design must then be revisited (an allowlisted endpoint could bounce the engine to an
    internal address the guard never saw).
    """
    forbidden = Listener()
    try:
        for status in (301, 302, 303, 307, 308):
            location = f"{forbidden.url}/secret"

            def answer(status: int = status, location: str = location) -> bytes:
                return (
                    f"HTTP/1.1 {status} Redirect\r\nLocation: {location}\r\n"
                    "Content-Length: 0\r\nConnection: close\r\n\r\n"
                ).encode()

            allowed_peer = Listener(answer)
            try:
                allowlist = Allowlist.of(f"{allowed_peer.url}/")
                for text, update in (
                    (f"SELECT * WHERE {{ SERVICE <{allowed_peer.url}/sparql> {{ ?s ?p ?o }} }}", False),
                    (f"LOAD <{allowed_peer.url}/data.ttl>", True),
                ):
                    with pytest.raises(OSError):
                        guarded_run(text, allowlist, update=update)
                assert allowed_peer.count == 2
            finally:
                allowed_peer.close()
        assert forbidden.count == 0
    finally:
        forbidden.close()


def test_safe_for_engine_fetch_states_the_trust_assumptions() -> None:
    assert "must not redirect" in SAFE_FOR_ENGINE_FETCH
    assert SETTING_NAME in SAFE_FOR_ENGINE_FETCH
    import econsec.service.security.federation as federation

    assert federation.__doc__ is not None
    assert "an allowlisted endpoint is trusted not" in federation.__doc__
    assert "SAFE_FOR_ENGINE_FETCH" in federation.__doc__


# --------------------------------------------------------------------------------------------
# Allowlist setting


def test_allowlist_setting_is_normalised() -> None:
    allowlist = Allowlist.from_setting(
        " HTTP://Peer.Example:80/sparql ,https://b.example:443 , http://[::1]:8001/x/ "
    )
    assert allowlist.describe() == "http://peer.example/sparql, https://b.example/, http://[::1]:8001/x/"
    assert len(allowlist) == 3
    assert allowlist.allows("http://peer.example/sparql")
    assert allowlist.allows("https://b.example/anything")
    assert allowlist.allows("http://[::1]:8001/x/y")
    assert not allowlist.allows("http://[::1]:8001/xy")


@pytest.mark.parametrize(
    "entry",
    [
        "file:///etc/passwd",
        "ftp://peer.example/",
        "http://user@peer.example/",
        "http://peer.example/sparql?query=x",
        "http://peer.example/sparql#x",
        "http://2130706433/",
        "http://127.1:8001/",
        "http://peer.example./",
        "http://[0:0:0:0:0:0:0:1]/",
        "peer.example/sparql",
        "http://peer.example/a/../b",
    ],
)
def test_invalid_allowlist_entry_stops_start_up(entry: str) -> None:
    with pytest.raises(ValueError, match=SETTING_NAME) as info:
        Allowlist.from_setting(f"http://ok.example/, {entry}")
    assert repr(entry) in str(info.value)


def test_normalise_endpoint() -> None:
    endpoint = normalise_endpoint("HTTPS://Example.ORG:443")
    assert endpoint.url == "https://example.org/"
    assert (endpoint.scheme, endpoint.host, endpoint.port, endpoint.path) == (
        "https",
        "example.org",
        443,
        "/",
    )
    assert normalise_endpoint("http://b\u00fccher.example/x").host == "xn--bcher-kva.example"
    with pytest.raises(ValueError):
        normalise_endpoint("http://0x7f.1/")


# --------------------------------------------------------------------------------------------
# Connect-time address check


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1/",
        "http://127.8.9.10/",
        "http://10.1.2.3/",
        "http://172.16.0.1/",
        "http://172.31.255.255/",
        "http://192.168.1.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://100.64.0.1/",
        "http://100.100.100.200/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://239.255.255.250/",
        "http://240.0.0.1/",
        "http://255.255.255.255/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fc00::1]/",
        "http://[fd00:ec2::254]/",
        "http://[fe80::1]/",
        "http://[fec0::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:7f00:1]/",
        "http://[::ffff:a9fe:a9fe]/",
        "http://[64:ff9b::7f00:1]/",
        "http://[2002:7f00:1::]/",
    ],
)
def test_resolve_and_check_refuses_internal_addresses(url: str) -> None:
    with pytest.raises(ForbiddenService) as info:
        resolve_and_check(url)
    assert "address" in str(info.value)
    assert info.value.target == url


@pytest.mark.parametrize(
    "url",
    [
        "http://2130706433/",
        "http://0x7f000001/",
        "http://0177.0.0.1/",
        "http://127.1/",
        "http://0x7f.0x0.0x0.0x1/",
        "http://[::ffff:127.0.0.1]/",
    ],
)
def test_resolve_and_check_refuses_numeric_spellings_before_any_lookup(url: str) -> None:
    def no_dns(host: str, port: int) -> list[str]:
        raise AssertionError("must not resolve")

    with pytest.raises(ForbiddenService):
        resolve_and_check(url, Allowlist.of("http://127.0.0.1/"), resolver=no_dns)


def test_resolve_and_check_accepts_public_addresses() -> None:
    assert resolve_and_check("https://93.184.215.14/") == [ipaddress.ip_address("93.184.215.14")]
    assert resolve_and_check("http://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/") == [
        ipaddress.ip_address("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
    ]


def fake_dns(table: dict[str, list[str]]) -> Callable[[str, int], list[str]]:
    def resolver(host: str, port: int) -> list[str]:
        if host not in table:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return table[host]

    return resolver


def test_dns_name_resolving_to_an_internal_address_is_refused_even_when_allowlisted() -> None:
    dns = fake_dns(
        {
            "rebind.example": ["93.184.215.14", "127.0.0.1"],
            "meta.example": ["169.254.169.254"],
            "v6.example": ["::1"],
            "mapped.example": ["::ffff:10.0.0.1"],
            "public.example": ["93.184.215.14", "2606:2800:21f:cb07:6820:80da:af6b:8b2c"],
        }
    )
    allowlist = Allowlist.of(
        "http://rebind.example/",
        "http://meta.example/",
        "http://v6.example/",
        "http://mapped.example/",
        "http://public.example/",
    )
    for host, shown in (
        ("rebind", "127.0.0.1"),
        ("meta", "169.254.169.254"),
        ("v6", "::1"),
        ("mapped", "::ffff:a00:1"),
    ):
        with pytest.raises(ForbiddenService, match=f"resolves to {shown}"):
            resolve_and_check(f"http://{host}.example/sparql", allowlist, resolver=dns)
    assert len(resolve_and_check("http://public.example/sparql", allowlist, resolver=dns)) == 2
    with pytest.raises(ForbiddenService, match="could not be resolved"):
        resolve_and_check("http://unknown.example/", allowlist, resolver=dns)


def test_check_request_can_resolve_the_allowed_targets() -> None:
    dns = fake_dns({"peer.example": ["10.0.0.7"]})
    allowlist = Allowlist.of("http://peer.example/sparql")
    text = "SELECT * WHERE { SERVICE <http://peer.example/sparql> {} }"
    assert check_request(text, allowlist, update=False, resolver=dns)  # no look-up unless asked
    with pytest.raises(ForbiddenService) as info:
        check_request(text, allowlist, update=False, resolve=True, resolver=dns)
    assert str(info.value).startswith(
        "SERVICE <http://peer.example/sparql> is refused: the host peer.example resolves to 10.0.0.7"
    )
    assert info.value.kind == "SERVICE"


def test_an_entry_naming_the_address_itself_is_exempt() -> None:
    allowlist = Allowlist.of("http://127.0.0.1:8001/sparql", "http://[::1]:8002/", "http://localhost:8003/")
    assert resolve_and_check("http://127.0.0.1:8001/sparql", allowlist) == [ipaddress.ip_address("127.0.0.1")]
    assert resolve_and_check("http://[::1]:8002/x", allowlist) == [ipaddress.ip_address("::1")]
    # the real resolver: localhost is answered by /etc/hosts, no network
    addresses = resolve_and_check("http://localhost:8003/", allowlist)
    assert addresses and all(a.is_loopback for a in addresses)
    # the exemption is for the named host only, never for other spellings or other names
    with pytest.raises(ForbiddenService):
        resolve_and_check("http://127.0.0.2:8001/sparql", allowlist)
    with pytest.raises(ForbiddenService):
        resolve_and_check("http://[::ffff:7f00:1]:8001/sparql", allowlist)
    with pytest.raises(ForbiddenService):
        resolve_and_check(
            "http://loopback.example/", allowlist, resolver=fake_dns({"loopback.example": ["127.0.0.1"]})
        )
    with pytest.raises(ForbiddenService):
        resolve_and_check("http://localhost:8003/", allowlist, resolver=fake_dns({"localhost": ["10.0.0.1"]}))


def test_address_refusal_categories() -> None:
    assert address_refusal(ipaddress.ip_address("169.254.169.254")).startswith("link-local")  # type: ignore[union-attr]
    assert address_refusal(ipaddress.ip_address("127.0.0.1")) == "loopback"
    assert address_refusal(ipaddress.ip_address("::ffff:127.0.0.1")) == "IPv4-mapped loopback (127.0.0.1)"
    assert address_refusal(ipaddress.ip_address("8.8.8.8")) is None


# --------------------------------------------------------------------------------------------
# Property tests

ALLOWED_HOSTS = ("allowed.example", "127.0.0.1", "[::1]")
PROPERTY_ALLOWLIST = Allowlist.of(*(f"http://{h}:8080/sparql" for h in ALLOWED_HOSTS))


def _ipv4_spellings(value: int) -> list[str]:
    octets = value.to_bytes(4, "big")
    a, b, c, d = octets
    return [
        ".".join(str(o) for o in octets),
        str(value),
        hex(value),
        hex(value).upper().replace("0X", "0x"),
        oct(value).replace("0o", "0"),
        ".".join(f"0{o:o}" for o in octets),
        ".".join(hex(o) for o in octets),
        ".".join(f"{o:03d}" for o in octets),
        f"{a}.{(b << 16) | (c << 8) | d}",
        f"{a}.{b}.{(c << 8) | d}",
        ".".join(str(o) for o in octets) + ".",
        f"[::ffff:{a}.{b}.{c}.{d}]",
        f"[{ipaddress.IPv6Address((0xFFFF << 32) | value).compressed}]",
        f"[::{a}.{b}.{c}.{d}]",
    ]


ipv4_hosts = st.one_of(
    st.integers(0, 2**32 - 1), st.sampled_from([0x7F000001, 0xA9FEA9FE, 0x0A000001, 0, 0xC0A80001])
).flatmap(lambda v: st.sampled_from(_ipv4_spellings(v)))

ipv6_hosts = st.builds(
    lambda v, form: f"[{getattr(ipaddress.IPv6Address(v), form)}]",
    st.one_of(st.integers(0, 2**128 - 1), st.sampled_from([1, 0, (0xFFFF << 32) | 0x7F000001])),
    st.sampled_from(["compressed", "exploded"]),
)


def _case_variants(name: str) -> st.SearchStrategy[str]:
    return st.lists(st.booleans(), min_size=len(name), max_size=len(name)).map(
        lambda flags: "".join(c.upper() if f else c for c, f in zip(name, flags, strict=True))
    )


def _decorate(host: str) -> st.SearchStrategy[str]:
    encoded = "".join(f"%{ord(c):02x}" for c in host)
    fullwidth = "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in host)
    return st.sampled_from(
        [
            host,
            host + ".",
            f"user@{host}",
            f"{host}@evil.example",
            f"{host}:8080@evil.example",
            f"evil.example#@{host}",
            encoded,
            encoded[:3] + host[1:],
            fullwidth,
            f"{host}.evil.example",
            f"evil{host}",
            f"{host}%00",
            f"{host}\\@evil.example",
        ]
    )


name_hosts = (
    st.sampled_from(["allowed.example", "localhost", "127.0.0.1", "metadata.google.internal"])
    .flatmap(_case_variants)
    .flatmap(_decorate)
)

random_hosts = st.text(
    alphabet=st.sampled_from(
        [*"abcdefxlow.0123456789:[]@%-_~!$&'()*+,;=", "\uff41", "\u3002", "\u0131", "\u017f"]
    ),
    min_size=1,
    max_size=24,
)

any_host = st.one_of(ipv4_hosts, ipv6_hosts, name_hosts, random_hosts)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(host=any_host, scheme=st.sampled_from(["http", "HTTP", "Http"]))
def test_property_no_host_spelling_is_accepted_unless_exactly_allowlisted(host: str, scheme: str) -> None:
    url = f"{scheme}://{host}:8080/sparql"
    exact = host.lower() in ALLOWED_HOSTS
    assert PROPERTY_ALLOWLIST.allows(url) == exact, url
    text = f"SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}"
    try:
        check_request(text, PROPERTY_ALLOWLIST, update=False)
    except ForbiddenService:
        assert not exact, url
    else:
        assert exact, url


FRAGMENTS = [
    " ",
    "\n",
    "\r",
    "\t",
    "#c",
    "# x",
    ".",
    ";",
    ",",
    "{",
    "}",
    "{}",
    "(",
    ")",
    "[",
    "]",
    "?v",
    "?o",
    "$v",
    "1",
    "1.5",
    "true",
    "a",
    "SERVICE",
    "service",
    "SERVICESILENT",
    "SILENT",
    "LOAD",
    "<{u}/x>",
    "<{u}/\\u0061>",
    "<x>",
    ":a",
    "e:a",
    "e:a.b",
    "e:",
    "_:b",
    "'",
    '"',
    "'''",
    '"""',
    "\\u0022",
    "\\u0027",
    "\\",
    "'x'",
    '"x"',
    "@en",
    "^^",
    "FILTER(",
    "FILTER",
    "?o<",
    "<",
    ">",
    "'>'",
    "<'>",
    "<#>",
    "BIND(",
    " AS ?b)",
    "OPTIONAL",
    "EXISTS",
    "NOT",
    "GRAPH",
    "UNION",
    "MINUS",
    "VALUES ?v {",
    "SELECT * WHERE",
    "=",
    "&&",
    "SERVICE <{u}/s> {}",
    "SERVICE SILENT e:s {}",
    "SERVICE ?v {}",
    "SERVICE :s {}",
]


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(parts=st.lists(st.sampled_from(FRAGMENTS), min_size=1, max_size=12))
def test_property_guard_refuses_whatever_the_engine_would_fetch(
    parts: list[str], shared_listener: Listener
) -> None:
    """The engine is the oracle: whenever the unguarded engine connects, the guard must refuse."""
    body = "".join(parts).replace("{u}", shared_listener.url)
    text = (
        f"PREFIX e: <{shared_listener.url}/e/> PREFIX : <{shared_listener.url}/c/> "
        f"SELECT * WHERE {{ ?s ?p ?o . {body} }}"
    )
    try:
        check_request(text, EMPTY, update=False)
        passed = True
    except ForbiddenService:
        passed = False
    if passed:
        assert not engine_connects(shared_listener, text, update=False), repr(text)


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    parts=st.lists(
        st.sampled_from(
            [
                *FRAGMENTS,
                "LOAD <{u}/l>",
                "LOADSILENT<{u}/l>",
                "LOAD e:l",
                " INTO GRAPH <http://g>",
                "INSERT DATA { <http://a> <http://b> 1 }",
            ]
        ),
        min_size=1,
        max_size=8,
    )
)
def test_property_guard_refuses_whatever_the_engine_would_load(
    parts: list[str], shared_listener: Listener
) -> None:
    body = "".join(parts).replace("{u}", shared_listener.url)
    text = f"PREFIX e: <{shared_listener.url}/e/> {body}"
    try:
        check_request(text, EMPTY, update=True)
        passed = True
    except ForbiddenService:
        passed = False
    if passed:
        assert not engine_connects(shared_listener, text, update=True), repr(text)
