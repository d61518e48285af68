"""SPARQL 1.1 Update turned into a delta, without executing it against the store.

pyoxigraph can run an update but cannot say what it *would* change, and a write must be
validated before it commits. So each operation is analysed and its effect computed, with
pyoxigraph doing every piece of SPARQL on the way (parsing, IRI and prefix resolution,
evaluating WHERE, instantiating templates), never a second SPARQL implementation:

- the whole request is first parsed by pyoxigraph (run against an empty in-memory store), so a
  malformed update gets the engine's own message and position. (LOAD is refused before that, so
  nothing is fetched; a SERVICE the federation allowlist admits may be called during this dry
  run as well as during the real evaluation of the WHERE clause.)
- the text is split into operations with the federation guard's lexer (spargebra's lexical
  rules), and each operation's clauses (WITH, DELETE/INSERT templates, USING, WHERE, graph
  names) are sliced out of the original text;
- ``INSERT DATA`` / ``DELETE DATA``: the data block is run as ``INSERT DATA`` on an empty
  in-memory store, which then holds exactly the quads it names;
- ``DELETE/INSERT ... WHERE`` (and ``DELETE WHERE``): the WHERE clause is evaluated on the store
  as a ``SELECT *`` with the operation's dataset (WITH, USING, USING NAMED, or the protocol's
  ``using-graph-uri`` / ``using-named-graph-uri``); the solutions are written into an in-memory
  store and each template is run there as ``INSERT { template } WHERE { <the solutions> }``, so
  pyoxigraph instantiates it, with GRAPH blocks, WITH, unbound variables skipped and fresh blank
  nodes per solution exactly as the standard says;
- ``CLEAR``, ``DROP``, ``CREATE``, ``ADD``, ``MOVE``, ``COPY`` read the graphs they name;
- ``LOAD`` is refused (see :data:`LOAD_REFUSAL`).

Operations apply one after the other to an :class:`~.overlay.Overlay`, so later operations see
the quads earlier ones wrote. A WHERE clause is evaluated by the engine on the store itself,
which cannot see the overlay: before a ``DELETE/INSERT ... WHERE`` that follows operations that
changed something, the pending changes are *staged* (written to the store under the undo
journal, see ``write/service.py``), so the WHERE sees them as the standard requires.

Rules of this service (documented in the README):

- **The default graph is the union of the named graphs** (:class:`~.service.GraphPolicy`). A
  quad written without GRAPH (or WITH) goes into the user graph (``ECONSEC_USER_GRAPH``), so a
  following query sees it. Deleting from the default graph, ``CLEAR DEFAULT`` and ``DROP DEFAULT``
  act on the user graph, or in a plain store (``ECONSEC_PLAIN_STORE``) on every graph; ``CLEAR
  ALL`` / ``DROP ALL`` / ``... NAMED`` are refused with 403 while the build's graphs are there,
  unless the store is plain. ``COPY`` / ``MOVE`` / ``ADD`` ``TO DEFAULT`` write into the user
  graph.
- **Blank nodes are skolemised.** A blank node written into the store becomes the IRI
  ``{public base}.well-known/genid/{id}`` (RDF 1.1 §3.5), so that a later write can name it to
  delete it: SPARQL has no way to name an existing blank node.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from pyoxigraph import BlankNode, DefaultGraph, Literal, NamedNode, Quad, Store

from ..errors import BadRequest, NestingTooDeep, SparqlLexError
from ..security.lexer import Token, at_brace_depth, check_nesting, matching, significant, tokenize
from ..store.base import StoreBackend
from .errors import UnsupportedUpdate, UpdateSyntaxError
from .overlay import Overlay
from .service import GraphPolicy

__all__ = ["LOAD_REFUSAL", "UpdateDataset", "apply_update", "check_syntax", "screen_update", "skolemise"]

LOAD_REFUSAL = (
    "LOAD is not supported by this service's write path: a loaded document could not be validated "
    "before it commits without the service fetching it itself. Fetch the document, then send it "
    "with the Graph Store Protocol (PUT or POST /rdf-graphs?graph=IRI), where it is validated "
    "like any other write. Nothing was changed."
)

_SOLUTIONS = NamedNode("urn:econsec:update:solutions")
_ROW = NamedNode("urn:econsec:update:row")
_VAR = "urn:econsec:update:var:"
_ROW_VAR = "econsec_update_row_7f3a"


def skolemise(term: object, base: str) -> object:
    """A blank node as the IRI ``{base}.well-known/genid/{id}``; other terms unchanged."""
    if isinstance(term, BlankNode):
        return NamedNode(f"{base}.well-known/genid/{term.value}")
    return term


@dataclass(frozen=True)
class UpdateDataset:
    """The protocol's ``using-graph-uri`` / ``using-named-graph-uri``: the WHERE dataset of every operation."""

    default_graphs: tuple[str, ...] = ()
    named_graphs: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.default_graphs or self.named_graphs)


@dataclass
class _Operation:
    tokens: list[Token]  # significant tokens
    prologue: str  # BASE / PREFIX declarations in force
    text: str  # the whole request

    def word(self, i: int) -> str:
        if i < len(self.tokens) and self.tokens[i].kind == "word":
            return self.tokens[i].text.upper()
        return ""

    def slice(self, start: int, end: int) -> str:
        """Text from token ``start`` to token ``end`` (inclusive)."""
        return self.text[self.tokens[start].start : self.tokens[end].end]

    def matching_brace(self, i: int) -> int:
        """The index of the ``}`` closing the first ``{`` at or after token ``i``."""
        opening = next(
            (
                j
                for j in range(i, len(self.tokens))
                if self.tokens[j].kind == "punct" and self.tokens[j].text == "{"
            ),
            None,
        )
        close = None if opening is None else matching(self.tokens, opening)
        if close is None:
            raise _Unanalysable("unbalanced braces")
        return close


class _Unanalysable(ValueError):
    pass


def check_syntax(text: str, *, base_iri: str | None = None) -> None:
    """Parse with pyoxigraph (on an empty in-memory store: nothing of ours is touched); 400 if malformed."""
    try:
        Store().update(text, base_iri=base_iri)
    except SyntaxError as exc:
        raise UpdateSyntaxError(str(exc), text) from None
    except (OSError, RuntimeError, ValueError):
        pass  # it parsed; what fails on an empty store (CLEAR of a missing graph...) is judged later


def screen_update(text: str, *, base_iri: str | None = None) -> None:
    """Everything about an update that can be judged without the store: its nesting (400 naming
    the limit), LOAD (refused), and the engine's parse and dry run on an empty store (the parser's
    400 and position). The endpoint runs this in a query worker (``isolation.QueryWorkers.dry_run``),
    because the engine's planning of a long flat group (thousands of BINDs, UNIONs or triple
    patterns) can overflow a thread's stack or take minutes whatever the data; a text that passed
    it is then evaluated by :func:`apply_update` on the writer's thread, whose stack is eight
    times the worker's (``write/service.py``)."""
    check_nesting(text)
    refuse_load(text)
    check_syntax(text, base_iri=base_iri)


def refuse_load(text: str) -> None:
    """Refuse LOAD before the text goes anywhere near the engine (which would fetch the URL itself).

    Any word at the top level that contains LOAD counts: spargebra reads keywords without a word
    boundary (``LOADSILENT<u>`` is LOAD SILENT), and no other update keyword contains it.
    """
    try:
        tokens = tokenize(text)
    except NestingTooDeep:
        raise  # the engine's parser would recurse that deep: refused here, before it runs
    except SparqlLexError:
        return  # the engine's parser reports it, with its own words
    for _, tok in at_brace_depth(tokens, 0):
        if tok.kind == "word" and "LOAD" in tok.text.upper():
            raise UnsupportedUpdate(LOAD_REFUSAL)


def _split(text: str) -> list[_Operation]:
    try:
        tokens = significant(tokenize(text))
    except SparqlLexError as exc:
        raise _Unanalysable(str(exc)) from None
    operations: list[_Operation] = []
    prologue: list[str] = []
    current: list[Token] = []
    depth = 0
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        upper = tok.text.upper() if tok.kind == "word" else ""
        if depth == 0 and not current and upper == "BASE" and i + 1 < len(tokens):
            prologue.append(text[tok.start : tokens[i + 1].end])
            i += 2
            continue
        if depth == 0 and not current and upper == "PREFIX" and i + 2 < len(tokens):
            prologue.append(text[tok.start : tokens[i + 2].end])
            i += 3
            continue
        if tok.kind == "punct" and tok.text == "{":
            depth += 1
        elif tok.kind == "punct" and tok.text == "}":
            depth -= 1
        if depth == 0 and tok.kind == "punct" and tok.text == ";":
            if current:
                operations.append(_Operation(current, "\n".join(prologue), text))
            current = []
        else:
            current.append(tok)
        i += 1
    if current:
        operations.append(_Operation(current, "\n".join(prologue), text))
    return operations


def _resolve_iri(op: _Operation, token: Token, base_iri: str | None) -> NamedNode:
    """An IRI or prefixed name as the engine resolves it, with the operation's prologue."""
    if token.kind not in ("iri", "pname"):
        raise _Unanalysable(f"expected an IRI, found {token.text!r}")
    query = f"{op.prologue}\nSELECT ?g WHERE {{ BIND({token.text} AS ?g) }}"
    try:
        row = next(iter(Store().query(query, base_iri=base_iri)))  # type: ignore[call-overload]
    except (SyntaxError, StopIteration) as exc:
        raise _Unanalysable(f"cannot resolve {token.text}: {exc}") from None
    value = row["g"]
    if not isinstance(value, NamedNode):
        raise _Unanalysable(f"{token.text} is not an IRI")
    return value


@dataclass
class _Context:
    overlay: Overlay
    backend: StoreBackend
    skolem_base: str
    base_iri: str | None
    dataset: UpdateDataset
    check_deadline: Callable[[], None]
    policy: GraphPolicy
    graphs_written: set[NamedNode] = field(default_factory=set)

    def skolemise(self, term: object) -> object:
        return skolemise(term, self.skolem_base)

    def graph(self, graph: object) -> NamedNode:
        """The named graph a quad of ``graph`` is written to: the user graph for the default graph."""
        target = self.policy.user_graph if isinstance(graph, DefaultGraph) else graph
        self.policy.protect(target)  # type: ignore[arg-type]
        return target  # type: ignore[return-value]

    def insert(self, quads: Sequence[Quad]) -> None:
        for quad in quads:
            graph = self.graph(quad.graph_name)
            self.overlay.insert(
                Quad(self.skolemise(quad.subject), quad.predicate, self.skolemise(quad.object), graph)  # type: ignore[arg-type]
            )

    def delete(self, quads: Sequence[Quad]) -> None:
        for quad in quads:
            if any(isinstance(t, BlankNode) for t in (quad.subject, quad.object)):
                continue  # a blank node can only match one that is in a protected graph
            if isinstance(quad.graph_name, DefaultGraph) and self.policy.plain_store:
                # the union: the triple leaves every graph that states it
                for held in list(self.overlay.quads(quad.subject, quad.predicate, quad.object)):  # type: ignore[arg-type]
                    self.overlay.delete(held)
                continue
            graph = self.graph(quad.graph_name)
            self.overlay.delete(Quad(quad.subject, quad.predicate, quad.object, graph))

    def all_graphs(self) -> list[NamedNode]:
        """Every named graph as the overlay has it (the store's, the write's created ones)."""
        graphs = {NamedNode(g) for g in self.backend.named_graphs()} | self.overlay.delta.created_graphs
        graphs |= {q.graph_name for q in self.overlay.delta.inserts}  # type: ignore[misc]
        return sorted((g for g in graphs if self.overlay.has_graph(g)), key=lambda g: g.value)


def _run_on_scratch(
    op: _Operation, update: str, base_iri: str | None, scratch: Store | None = None
) -> list[Quad]:
    """Run ``update`` (with the operation's prologue) on an in-memory store; return what it wrote."""
    store = scratch if scratch is not None else Store()
    try:
        store.update(f"{op.prologue}\n{update}", base_iri=base_iri)
    except SyntaxError as exc:
        raise _Unanalysable(f"{exc}") from None
    return [q for q in store if q.graph_name != _SOLUTIONS]


def _data_quads(op: _Operation, ctx: _Context) -> list[Quad]:
    """The quads of an INSERT DATA / DELETE DATA block."""
    close = op.matching_brace(2)
    block = op.slice(2, close)
    return _run_on_scratch(op, f"INSERT DATA {block}", ctx.base_iri)


def _graph_ref(op: _Operation, i: int, ctx: _Context) -> tuple[NamedNode | None, int]:
    """``GRAPH iri`` / ``iri`` / ``DEFAULT`` at token ``i``: (graph or None for DEFAULT, next index)."""
    word = op.word(i)
    if word == "DEFAULT":
        return None, i + 1
    if word == "GRAPH":
        i += 1
    return _resolve_iri(op, op.tokens[i], ctx.base_iri), i + 1


def _graph_quads(ctx: _Context, graph: NamedNode | None) -> list[Quad]:
    """A graph's quads as the overlay has them; the default graph is the merge of all named graphs."""
    if graph is not None:
        return list(ctx.overlay.quads(graph=graph))
    seen = {q.triple for q in ctx.overlay.quads()}
    return [Quad(t.subject, t.predicate, t.object, DefaultGraph()) for t in seen]


def _require_graph(ctx: _Context, graph: NamedNode, silent: bool, verb: str) -> bool:
    if ctx.overlay.has_graph(graph):
        return True
    if silent:
        return False
    raise BadRequest(
        f"{verb}: the graph {graph} does not exist (add SILENT to ignore that). Nothing was changed."
    )


def _empty(ctx: _Context, graph: NamedNode, verb: str) -> None:
    """CLEAR / DROP one graph. A graph holding blank nodes (the build's OWL restrictions, in a
    plain store) is dropped whole: a blank node cannot be named in a delete, only its graph."""
    blank = False
    for quad in list(ctx.overlay.quads(graph=graph)):
        if isinstance(quad.subject, BlankNode) or isinstance(quad.object, BlankNode):
            blank = True
        else:
            ctx.overlay.delete(quad)
    if verb == "DROP" or blank:
        ctx.overlay.drop_graph(graph)


def _clear_or_drop(op: _Operation, ctx: _Context, verb: str) -> None:
    i = 1
    silent = op.word(i) == "SILENT"
    i += silent
    which = op.word(i)
    if which in ("ALL", "NAMED") or (which == "DEFAULT" and ctx.policy.plain_store):
        graphs = ctx.all_graphs()
        if which != "DEFAULT":
            ctx.policy.may_empty_all(graphs, f"{verb} {which}")
        for graph in graphs:
            ctx.policy.protect(graph)
        for graph in graphs:
            _empty(ctx, graph, verb)
        return
    if which == "DEFAULT":  # the default graph's own triples: the user graph
        if ctx.overlay.has_graph(ctx.policy.user_graph):
            _empty(ctx, ctx.policy.user_graph, verb)
        return
    graph, _ = _graph_ref(op, i, ctx)
    assert graph is not None
    ctx.policy.protect(graph)
    if not _require_graph(ctx, graph, silent, verb):
        return
    ctx.policy.guard_whole_graph(graph, f"{verb} GRAPH")
    _empty(ctx, graph, verb)


def _create(op: _Operation, ctx: _Context) -> None:
    silent = op.word(1) == "SILENT"
    graph, _ = _graph_ref(op, 1 + silent, ctx)
    if graph is None:
        raise BadRequest(
            "CREATE DEFAULT is not SPARQL: the default graph always exists. Nothing was changed."
        )
    ctx.policy.protect(graph)
    if ctx.overlay.has_graph(graph):
        if silent:
            return
        raise BadRequest(
            f"CREATE: the graph {graph} already exists (add SILENT to ignore that). Nothing was changed."
        )
    ctx.overlay.create_graph(graph)


def _add_move_copy(op: _Operation, ctx: _Context, verb: str) -> None:
    i = 1
    silent = op.word(i) == "SILENT"
    i += silent
    source, i = _graph_ref(op, i, ctx)
    if op.word(i) != "TO":
        raise _Unanalysable("expected TO")
    destination, _ = _graph_ref(op, i + 1, ctx)
    if destination is None:  # TO DEFAULT: into the user graph, where the default graph's writes go
        if source is None:
            return  # DEFAULT TO DEFAULT: nothing to do (SPARQL 1.1 Update §3.2.3)
        destination = ctx.policy.user_graph
    ctx.policy.protect(destination)
    if source is not None and source == destination:
        return
    if source is not None:
        if verb == "MOVE":
            ctx.policy.protect(source)
        if not _require_graph(ctx, source, silent, verb):
            return
        if verb == "MOVE":
            ctx.policy.guard_whole_graph(source, "MOVE (from)")
    elif verb == "MOVE":  # MOVE DEFAULT empties the default graph afterwards: as CLEAR DEFAULT does
        source = ctx.policy.user_graph
        if ctx.policy.plain_store:
            raise BadRequest(
                "MOVE DEFAULT TO <g> would empty every graph of this plain store into one; use "
                "ADD DEFAULT TO <g> then CLEAR DEFAULT if that is meant. Nothing was changed."
            )
        if not ctx.overlay.has_graph(source):
            return
    quads = _graph_quads(ctx, source)
    if verb in ("MOVE", "COPY"):
        if ctx.overlay.has_graph(destination):
            ctx.policy.guard_whole_graph(destination, f"{verb} (to)")
        for quad in list(ctx.overlay.quads(graph=destination)):
            ctx.overlay.delete(quad)
    ctx.overlay.create_graph(destination)
    ctx.insert([Quad(q.subject, q.predicate, q.object, destination) for q in quads])
    if verb == "MOVE" and source is not None:
        ctx.overlay.drop_graph(source)


@dataclass
class _Modify:
    with_graph: Token | None = None
    delete_template: str | None = None
    insert_template: str | None = None
    using: list[Token] = field(default_factory=list)
    using_named: list[Token] = field(default_factory=list)
    where: str = "{}"
    variables: set[str] = field(default_factory=set)


def _template_variables(op: _Operation, start: int, end: int) -> set[str]:
    return {t.text[1:] for t in op.tokens[start:end] if t.kind == "var"}


def _parse_modify(op: _Operation) -> _Modify:
    m = _Modify()
    i = 0
    if op.word(0) == "DELETE" and op.word(1) == "WHERE":
        close = op.matching_brace(2)
        m.delete_template = op.slice(2, close)
        m.where = m.delete_template
        m.variables = _template_variables(op, 2, close)
        return m
    if op.word(i) == "WITH":
        m.with_graph = op.tokens[i + 1]
        i += 2
    if op.word(i) == "DELETE":
        close = op.matching_brace(i + 1)
        m.delete_template = op.slice(i + 1, close)
        m.variables |= _template_variables(op, i + 1, close)
        i = close + 1
    if op.word(i) == "INSERT":
        close = op.matching_brace(i + 1)
        m.insert_template = op.slice(i + 1, close)
        m.variables |= _template_variables(op, i + 1, close)
        i = close + 1
    while op.word(i) == "USING":
        if op.word(i + 1) == "NAMED":
            m.using_named.append(op.tokens[i + 2])
            i += 3
        else:
            m.using.append(op.tokens[i + 1])
            i += 2
    if op.word(i) != "WHERE":
        raise _Unanalysable("expected WHERE")
    close = op.matching_brace(i + 1)
    if close != len(op.tokens) - 1:
        raise _Unanalysable("text after the WHERE clause")
    m.where = op.slice(i + 1, close)
    return m


def _modify(op: _Operation, ctx: _Context) -> None:
    m = _parse_modify(op)
    if ctx.overlay.delta:  # the engine evaluates WHERE on the store: earlier changes must be in it
        if not ctx.overlay.can_stage:
            raise UnsupportedUpdate(
                "a DELETE/INSERT ... WHERE cannot follow another operation that changed data in the "
                "same request on this store: its WHERE clause would not see the earlier changes. Send "
                "it as a separate request. Nothing was changed."
            )
        ctx.overlay.stage()
    if ctx.dataset and (m.with_graph is not None or m.using or m.using_named):
        raise BadRequest(
            "using-graph-uri / using-named-graph-uri cannot be combined with WITH or USING in the update "
            "(SPARQL 1.1 Protocol §2.2.3). Nothing was changed."
        )
    options: dict[str, object] = {}
    if ctx.dataset:
        options = {
            "default_graph_uris": ctx.dataset.default_graphs,
            "named_graph_uris": ctx.dataset.named_graphs,
        }
    elif m.using or m.using_named:
        options = {
            "default_graph_uris": [_resolve_iri(op, t, ctx.base_iri).value for t in m.using],
            "named_graph_uris": [_resolve_iri(op, t, ctx.base_iri).value for t in m.using_named],
        }
    elif m.with_graph is not None:  # WITH sets the WHERE's default graph; named graphs stay all
        options = {
            "default_graph_uris": [_resolve_iri(op, m.with_graph, ctx.base_iri).value],
            "named_graph_uris": ctx.backend.named_graphs(),
        }
    names = sorted(m.variables)
    projection = " ".join(f"?{n}" for n in names) if names else "*"
    query = f"{op.prologue}\nSELECT {projection} WHERE {m.where}"
    result = ctx.backend.query(query, **options)  # type: ignore[arg-type]
    scratch_rows: list[Quad] = []
    count = 0
    for solution in result.solutions or ():
        row = BlankNode()
        scratch_rows.append(Quad(row, _ROW, Literal("1"), _SOLUTIONS))
        for name in names:
            value = solution[name]
            if value is not None:
                scratch_rows.append(Quad(row, NamedNode(_VAR + name), value, _SOLUTIONS))
        count += 1
        if count % 1000 == 0:
            ctx.check_deadline()
    if count == 0:
        return
    bindings = " ".join(f"OPTIONAL {{ ?{_ROW_VAR} <{_VAR}{n}> ?{n} }}" for n in names)
    where = f"WHERE {{ GRAPH {_SOLUTIONS} {{ ?{_ROW_VAR} {_ROW} ?any_{_ROW_VAR} {bindings} }} }}"
    with_clause = f"WITH {m.with_graph.text}\n" if m.with_graph is not None else ""

    def instantiate(template: str) -> list[Quad]:
        scratch = Store()
        scratch.extend(scratch_rows)
        return _run_on_scratch(op, f"{with_clause}INSERT {template}\n{where}", ctx.base_iri, scratch)

    if m.delete_template is not None:
        ctx.delete(instantiate(m.delete_template))
    if m.insert_template is not None:
        ctx.insert(instantiate(m.insert_template))


def _operation(op: _Operation, ctx: _Context) -> None:
    first, second = op.word(0), op.word(1)
    if first == "LOAD":
        raise UnsupportedUpdate(LOAD_REFUSAL)
    if first == "INSERT" and second == "DATA":
        ctx.insert(_data_quads(op, ctx))
    elif first == "DELETE" and second == "DATA":
        ctx.delete(_data_quads(op, ctx))
    elif first in ("INSERT", "DELETE", "WITH"):
        _modify(op, ctx)
    elif first in ("CLEAR", "DROP"):
        _clear_or_drop(op, ctx, first)
    elif first == "CREATE":
        _create(op, ctx)
    elif first in ("ADD", "MOVE", "COPY"):
        _add_move_copy(op, ctx, first)
    else:
        raise _Unanalysable(f"unknown operation {first or op.tokens[0].text!r}")


def apply_update(
    text: str,
    overlay: Overlay,
    backend: StoreBackend,
    *,
    skolem_base: str,
    dataset: UpdateDataset = UpdateDataset(),
    base_iri: str | None = None,
    check_deadline: Callable[[], None] = lambda: None,
    policy: GraphPolicy,
) -> int:
    """Compute the effect of the update ``text`` into ``overlay``; return how many operations it had.

    ``base_iri`` resolves relative IRIs (a BASE in the update wins); ``policy`` says where writes
    without GRAPH go and which graphs are protected. Raises :class:`UpdateSyntaxError` for a
    malformed update, :class:`UnsupportedUpdate` / ``BadRequest`` / ``Forbidden`` for updates
    this service refuses. The text must have passed :func:`screen_update` (the endpoint does it
    in a worker); LOAD is refused here again because it costs nothing.
    """
    refuse_load(text)
    try:
        operations = _split(text)
        ctx = _Context(overlay, backend, skolem_base, base_iri, dataset, check_deadline, policy)
        for op in operations:
            _operation(op, ctx)
            check_deadline()
    except _Unanalysable as exc:
        raise UnsupportedUpdate(
            f"the update parses, but this service could not analyse it ({exc}); write it with its "
            "keywords separated by spaces, one operation per clause. Nothing was changed."
        ) from None
    return len(operations)
