"""Graph Store HTTP Protocol at /rdf-graphs: read, replace, merge and delete graphs, and every refusal.

A real ``econsec serve`` with writes enabled; each test uses graphs of its own.
"""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService
from test_update import AUTH, COMMENT, EX, TOKEN, G, dump, in_default, in_graph

TTL = "text/turtle"


def url(service: RunningService) -> str:
    return service.base + "/rdf-graphs"


def put(
    service: RunningService, graph: str, body: str | bytes, content_type: str = TTL, **kw
) -> httpx.Response:
    data = body.encode() if isinstance(body, str) else body
    headers = {"Content-Type": content_type, **AUTH, **kw.pop("headers", {})}
    return httpx.put(url(service), params={"graph": graph}, content=data, headers=headers, timeout=60, **kw)


def post(service: RunningService, graph: str, body: str, content_type: str = TTL) -> httpx.Response:
    headers = {"Content-Type": content_type, **AUTH}
    return httpx.post(
        url(service), params={"graph": graph}, content=body.encode(), headers=headers, timeout=60
    )


def triples(service: RunningService, graph: str) -> set[tuple[str, str, str]]:
    response = httpx.get(
        url(service), params={"graph": graph}, headers={"Accept": "application/n-triples"}, timeout=60
    )
    assert response.status_code == 200, response.text
    return {
        (str(q.subject), str(q.predicate), str(q.object))
        for q in ox.parse(response.content, format=ox.RdfFormat.N_TRIPLES)
    }


def test_put_creates_then_replaces_post_merges_delete_drops(writable: RunningService) -> None:
    graph = EX + "gsp-life"
    first = f'<{EX}g1> <{COMMENT}> "one" .'
    created = put(writable, graph, first)
    assert created.status_code == 201
    assert triples(writable, graph) == {(f"<{EX}g1>", f"<{COMMENT}>", '"one"')}
    assert in_default(writable, f"<{EX}g1>", f"<{COMMENT}>", '"one"')

    replaced = put(writable, graph, f'<{EX}g2> <{COMMENT}> "two" .')
    assert replaced.status_code == 204
    assert triples(writable, graph) == {(f"<{EX}g2>", f"<{COMMENT}>", '"two"')}
    assert not in_default(writable, f"<{EX}g1>", f"<{COMMENT}>", '"one"')

    merged = post(writable, graph, f'<{EX}g3> <{COMMENT}> "three" .', "application/n-triples")
    assert merged.status_code == 204
    assert len(triples(writable, graph)) == 2

    new_by_post = post(writable, EX + "gsp-life-2", f'<{EX}g4> <{COMMENT}> "four" .')
    assert new_by_post.status_code == 201

    deleted = httpx.delete(url(writable), params={"graph": graph}, headers=AUTH, timeout=30)
    assert deleted.status_code == 204
    assert httpx.get(url(writable), params={"graph": graph}, timeout=30).status_code == 404
    assert not in_default(writable, f"<{EX}g2>", f"<{COMMENT}>", '"two"')
    again = httpx.delete(url(writable), params={"graph": graph}, headers=AUTH, timeout=30)
    assert again.status_code == 404


def test_get_negotiates_the_rdf_syntax_and_head_has_no_body(writable: RunningService) -> None:
    graph = EX + "gsp-get"
    assert put(writable, graph, f'<{EX}n> <{COMMENT}> "negotiated"@en .').status_code == 201
    for accept, media_type in (
        ("text/turtle", "text/turtle"),
        ("application/rdf+xml", "application/rdf+xml"),
        ("application/ld+json", "application/ld+json"),
        ("application/n-triples", "application/n-triples"),
    ):
        response = httpx.get(url(writable), params={"graph": graph}, headers={"Accept": accept}, timeout=30)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith(media_type)
        assert "negotiated" in response.text
    head = httpx.head(url(writable), params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=30)
    got = httpx.get(url(writable), params={"graph": graph}, headers={"Accept": "text/turtle"}, timeout=30)
    assert head.status_code == 200 and head.content == b""
    assert head.headers["content-length"] == got.headers["content-length"] == str(len(got.content))
    assert head.headers["content-type"] == got.headers["content-type"]
    default = httpx.get(url(writable), params={"default": ""}, headers={"Accept": "application/n-triples"})
    assert default.status_code == 200 and "negotiated" in default.text
    assert httpx.head(url(writable), params={"graph": EX + "gsp-none"}, timeout=30).status_code == 404


def test_every_accepted_body_syntax_is_read(writable: RunningService) -> None:
    bodies = {
        "text/turtle": f'@prefix ex: <{EX}> . ex:s ex:p "v" .',
        "application/n-triples": f'<{EX}s> <{EX}p> "v" .',
        "application/rdf+xml": (
            '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
            f'xmlns:ex="{EX}"><rdf:Description rdf:about="{EX}s"><ex:p>v</ex:p></rdf:Description></rdf:RDF>'
        ),
        "application/ld+json": f'{{"@id": "{EX}s", "{EX}p": "v"}}',
    }
    for i, (content_type, body) in enumerate(bodies.items()):
        graph = f"{EX}gsp-syntax-{i}"
        response = put(writable, graph, body, content_type)
        assert response.status_code == 201, (content_type, response.text)
        assert triples(writable, graph) == {(f"<{EX}s>", f"<{EX}p>", '"v"')}, content_type


def test_blank_nodes_are_skolemised_so_they_can_be_deleted_later(writable: RunningService) -> None:
    graph = EX + "gsp-bnode"
    assert put(writable, graph, f'<{EX}b> <{EX}has> [ <{COMMENT}> "inner" ] .').status_code == 201
    (link,) = [t for t in triples(writable, graph) if t[1] == f"<{EX}has>"]
    assert "/.well-known/genid/" in link[2]
    text = f'DELETE DATA {{ GRAPH <{graph}> {{ {link[2]} <{COMMENT}> "inner" }} }}'
    response = httpx.post(
        writable.sparql, content=text.encode(), headers={"Content-Type": "application/sparql-update", **AUTH}
    )
    assert response.status_code == 200 and response.json()["deleted"] == 1


@pytest.mark.parametrize(
    ("graph", "body", "content_type", "status", "words"),
    [
        (EX + "gsp-bad", f'@prefix ex: <{EX}> .\nex:a ex:p "unterminated .', TTL, 400, "line 2"),
        (EX + "gsp-bad", f"<{EX}a> <{EX}p> .", "application/n-triples", 400, "column"),
        (EX + "gsp-bad", "{}", "text/n3", 415, "text/turtle"),
        (EX + "gsp-bad", "", "", 415, "text/turtle"),
        (
            EX + "gsp-bad",
            '{"@context": "http://example.org/ctx.jsonld", "@id": "http://a"}',
            "application/ld+json",
            400,
            "remote context",
        ),
        ("relative/iri", f"<{EX}a> <{EX}p> <{EX}o> .", TTL, 400, "absolute IRI"),
        (EX + "has space", "", TTL, 400, "absolute IRI"),
        (EX + 'quote"', "", TTL, 400, "absolute IRI"),
        (EX + "brace{", "", TTL, 400, "absolute IRI"),
        (EX + "new\nline", "", TTL, 400, "absolute IRI"),
        (EX + "gt>", "", TTL, 400, "absolute IRI"),
        (G + "ontology", "", TTL, 403, "econsec build"),
        (G + "inferred", "", TTL, 403, "econsec build"),
    ],
)
def test_bad_writes_are_refused_and_change_nothing(
    writable: RunningService, graph: str, body: str, content_type: str, status: int, words: str
) -> None:
    before = dump(writable)
    response = put(writable, graph, body, content_type)
    assert response.status_code == status, response.text
    assert words.lower() in response.text.lower()
    assert dump(writable) == before


def test_xml_entity_expansion_is_refused_before_parsing(writable: RunningService) -> None:
    laughs = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol;" if i == 1 else f"&lol{i - 1};") * 10}">' for i in range(1, 10)
    )
    body = (
        f'<?xml version="1.0"?><!DOCTYPE r [{laughs}]><rdf:RDF '
        'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:e="http://e/">'
        '<rdf:Description rdf:about="http://a"><e:p>&lol9;</e:p></rdf:Description></rdf:RDF>'
    )
    before = dump(writable)
    response = put(writable, EX + "gsp-laughs", body, "application/rdf+xml")
    assert response.status_code == 400 and "DTD" in response.text
    assert dump(writable) == before


def test_writes_without_a_token_are_refused_and_an_empty_default_put_adds_nothing(
    writable: RunningService,
) -> None:
    before = dump(writable)
    default = httpx.put(  # ?default writes go to the user graph (issue 14); an empty body adds nothing
        url(writable), params={"default": ""}, content=b"", headers={"Content-Type": TTL, **AUTH}, timeout=30
    )
    assert default.status_code in (201, 204), default.text
    anonymous = httpx.put(
        url(writable), params={"graph": EX + "gsp-anon"}, content=b"", headers={"Content-Type": TTL}
    )
    assert anonymous.status_code == 401 and anonymous.headers["WWW-Authenticate"].startswith("Bearer")
    in_url = httpx.delete(url(writable), params={"graph": G + "reference", "access_token": TOKEN}, timeout=30)
    assert in_url.status_code == 400
    neither = httpx.get(url(writable), timeout=30)
    assert neither.status_code == 400
    assert dump(writable) == before


def test_oversized_bodies_are_413_and_change_nothing(service_factory: Callable[..., RunningService]) -> None:
    service = service_factory(env={"ECONSEC_UPDATE_TOKEN": TOKEN, "ECONSEC_MAX_BODY_BYTES": "2000"})
    before = dump(service)
    body = "".join(f'<{EX}s{i}> <{COMMENT}> "{"x" * 40}" .\n' for i in range(100))
    assert put(service, EX + "gsp-big", body).status_code == 413
    update = f"INSERT DATA {{ GRAPH <{EX}big> {{ {body} }} }}"
    response = httpx.post(
        service.sparql,
        content=update.encode(),
        headers={"Content-Type": "application/sparql-update", **AUTH},
    )
    assert response.status_code == 413
    assert dump(service) == before


def test_curl_puts_a_turtle_file(writable: RunningService, tmp_path: Path) -> None:
    data = tmp_path / "data.ttl"
    data.write_text(f'@prefix ex: <{EX}> .\nex:from-curl ex:p "put by curl" .\n', encoding="utf-8")
    graph = EX + "gsp-curl"
    result = subprocess.run(
        [
            "curl",
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            "-X",
            "PUT",
            f"{url(writable)}?graph={graph}",
            "-H",
            f"Authorization: Bearer {TOKEN}",
            "-H",
            "Content-Type: text/turtle",
            "--data-binary",
            f"@{data}",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert result.stdout == "201"
    assert in_graph(writable, graph, f"<{EX}from-curl>", f"<{EX}p>", '"put by curl"')


def test_a_write_not_ready_by_the_deadline_is_504_and_changes_nothing(
    service_factory: Callable[..., RunningService],
) -> None:
    service = service_factory(env={"ECONSEC_UPDATE_TOKEN": TOKEN, "ECONSEC_QUERY_TIMEOUT": "1"})
    body = "".join(f'<{EX}slow{i}> <{COMMENT}> "comment {i}" .\n' for i in range(40_000))
    response = put(service, EX + "gsp-slow", body, "application/n-triples")
    assert response.status_code == 504, response.text
    assert "Nothing was changed" in response.text
    assert httpx.get(url(service), params={"graph": EX + "gsp-slow"}, timeout=30).status_code == 404
    assert not in_default(service, f"<{EX}slow0>", f"<{COMMENT}>", '"comment 0"')


def test_default_graph_writes_go_to_the_user_graph(service_factory) -> None:  # type: ignore[no-untyped-def]
    """``?default`` is writable as SPARQL Update without GRAPH is: into the user graph, which the
    union default graph includes, so a following query sees it; the build's graphs stay as they were."""
    service = service_factory(env={"ECONSEC_UPDATE_TOKEN": "t0ken"})
    auth = {"Authorization": "Bearer t0ken", "Content-Type": "text/turtle"}
    body = "<https://example.org/a> <https://example.org/p> <https://example.org/b> ."
    before = service.health()["triples"]
    put = httpx.put(service.base + "/rdf-graphs?default", content=body, headers=auth, timeout=60)
    assert put.status_code in (201, 204), put.text
    ask = "ASK { <https://example.org/a> <https://example.org/p> <https://example.org/b> }"
    seen = httpx.get(
        service.sparql, params={"query": ask}, headers={"Accept": "application/sparql-results+json"}
    )
    assert seen.json()["boolean"] is True
    in_user_graph = httpx.get(
        service.base + "/rdf-graphs",
        params={"graph": "https://w3id.org/econsec/graph/user"},
        headers={"Accept": "application/n-triples"},
        timeout=60,
    )
    assert in_user_graph.text.strip() == body
    dropped = httpx.delete(service.base + "/rdf-graphs?default", headers=auth, timeout=60)
    assert dropped.status_code == 204, dropped.text
    assert service.health()["triples"] == before
