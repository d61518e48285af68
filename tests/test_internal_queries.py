"""The service's own SPARQL: files in queries/internal/, bound as terms, one definition of each count.

The rules checked: every internal query parses and binds the variables its header names; none
shows in the saved-query catalogue; no module under service/ (nor the graph statistics) builds
query text by formatting; and the home page, VoID and `econsec stats` give the same numbers
for instances per class and triples per graph.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from conftest import RunningService
from econsec.graph.paths import ES, G_ONTOLOGY
from econsec.graph.stats import compute_stats, instances_per_class, triples_per_graph
from econsec.graph.void import count_dataset
from econsec.queries import catalogue, internal
from econsec.service.store.binding import bind_values, outer_group_start
from econsec.service.web.resources import INCOMING_LIMIT

ROOT = Path(__file__).resolve().parent.parent
#: rewrites of the client's own update text (not the service's questions): the write path
_CLIENT_TEXT = {"service/write/sparql_update.py"}
_SPARQL_IN_TEXT = re.compile(
    r"\b(SELECT\s+(DISTINCT\s+)?[?*(]|CONSTRUCT\s*\{|ASK\s*\{|DESCRIBE\s+[?<]|WHERE\s*\{)", re.IGNORECASE
)


def _term_for(name: str) -> ox.NamedNode | ox.Literal:
    return (
        ox.Literal("x") if name in {"needle", "base", "ids"} else ox.NamedNode(f"http://example.org/{name}")
    )


@pytest.mark.parametrize("name", internal.names())
def test_every_internal_query_parses_with_its_terms_bound(name: str) -> None:
    query = internal.get(name)
    assert query.summary != name, f"{name}.rq says in its #+ summary what it answers"
    substitutions = {ox.Variable(v): _term_for(v) for v in query.bound}
    ox.Store().query(query.text, substitutions=substitutions)  # raises on a syntax or binding error


@pytest.mark.parametrize("name", internal.update_names())
def test_every_internal_update_parses_and_says_what_it_does(name: str) -> None:
    text = internal.update(name)
    assert text.startswith("#+ summary:"), f"{name}.ru says in its #+ summary what it does"
    ox.Store().update(text)  # raises on a syntax error


def test_internal_queries_stay_out_of_the_catalogue() -> None:
    saved = catalogue.load()
    assert internal.names(), "the internal queries are found"
    assert not set(internal.names()) & set(saved), "no internal query is listed as a saved query"
    with pytest.raises(catalogue.QueryNotFound):
        catalogue.get("internal/triples-per-graph")


def test_a_missing_binding_is_refused() -> None:
    with pytest.raises(TypeError, match="ontology"):
        next(internal.select(ox.Store(), "instances-per-class"))


def test_the_incoming_links_cap_is_the_queries_limit() -> None:
    assert re.search(rf"\bLIMIT {INCOMING_LIMIT}\b", internal.get("resource-incoming").text)


def test_a_construct_is_bound_in_its_where_clause_not_its_template() -> None:
    text = internal.get("graph-as-rdf").text
    bound = bind_values(text, {"g": ox.NamedNode("http://example.org/g")})
    assert bound.index("VALUES") > bound.index("WHERE"), "the VALUES block opens the WHERE clause"
    assert outer_group_start(text) == text.index("WHERE {") + len("WHERE {")
    store = ox.Store()
    store.add(
        ox.Quad(
            ox.NamedNode("http://a"),
            ox.NamedNode("http://b"),
            ox.NamedNode("http://c"),
            ox.NamedNode("http://example.org/g"),
        )
    )
    assert len(list(store.query(bound))) == 1


def _formatted_sparql(path: Path) -> list[int]:
    """Lines of f-strings, ``.format`` calls and ``%`` formats whose text holds SPARQL syntax."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.JoinedStr):
            text = "".join(v.value for v in node.values if isinstance(v, ast.Constant))
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"format", "replace"}
            and isinstance(node.func.value, ast.Constant | ast.Name)
        ):
            value = node.func.value
            text = value.value if isinstance(value, ast.Constant) and isinstance(value.value, str) else ""
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
            text = " ".join(
                side.value
                for side in (node.left, node.right)
                if isinstance(side, ast.Constant) and isinstance(side.value, str)
            )
        else:
            continue
        if _SPARQL_IN_TEXT.search(text):
            found.append(node.lineno)
    return found


def test_no_module_builds_sparql_by_formatting_text() -> None:
    modules = [
        *sorted((ROOT / "service").rglob("*.py")),
        ROOT / "graph" / "stats.py",
        ROOT / "graph" / "void.py",
    ]
    offenders = {
        str(path.relative_to(ROOT)): lines
        for path in modules
        if str(path.relative_to(ROOT)) not in _CLIENT_TEXT and (lines := _formatted_sparql(path))
    }
    assert not offenders, f"query text built by formatting (move it to queries/internal/): {offenders}"


def test_the_formatting_check_sees_an_f_string_query(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        'iri = "x"\nq = f"SELECT ?s WHERE {{ <{iri}> ?p ?s }}"\nr = "ASK {{ {x} }}".format(x=1)\n'
    )
    assert _formatted_sparql(sample) == [2, 3]
    prose = tmp_path / "prose.py"
    prose.write_text('msg = f"select {1} of the rows where the table is"\n')
    assert _formatted_sparql(prose) == []


# --- One definition of each count -------------------------------------------------------------


def test_stats_and_void_count_instances_and_graphs_alike(built_store: ox.Store) -> None:
    stats = compute_stats(built_store)
    void = count_dataset(built_store)
    shared = instances_per_class(built_store, G_ONTOLOGY.value)
    assert dict(stats.classes) == {c.iri: c.instances for c in shared if c.iri.startswith(ES)}
    assert {c: n for c, n in void.class_partitions.items() if c.startswith(ES)} == dict(stats.classes)
    assert void.graphs == {g.graph: g.triples for g in stats.graphs} == triples_per_graph(built_store)
    assert void.class_partitions[ES + "Actor"] >= void.class_partitions[ES + "State"] > 0


def test_the_home_page_shows_the_same_instances_and_graph_counts(
    sparql_service: RunningService, built_store: ox.Store
) -> None:
    page = " ".join(
        httpx.get(sparql_service.base + "/", headers={"Accept": "text/html"}, timeout=60).text.split()
    )
    # each count links to its class's list (issue 15), which shows the same number
    rows = dict(re.findall(r'href="/classes/(\w+)">[^<]*</a></th><td class="n">([\d,]+)<', page))
    stats = compute_stats(built_store)
    assert rows, "the home page lists classes with counts"
    for class_iri, n in stats.classes:
        assert rows[class_iri[len(ES) :]] == f"{n:,}", f"{class_iri}: home page and econsec stats agree"
    for graph, n in triples_per_graph(built_store).items():
        name = graph.rsplit("/", 1)[-1]
        assert re.search(rf'href="/graph/{name}">{name}</a></th><td class="n">{n:,}<', page), graph
    assert "asserted or inferred" in page, "the page says which count it shows"
