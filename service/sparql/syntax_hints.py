"""Plain-language explanations of the SPARQL syntax errors people make most.

pyoxigraph's parser says where it stopped and lists every character class it could have read
next: an undeclared prefix comes back as ``expected one of Prefix not found, ['%'], ['-' | '0'
..= '9' | '\\u{00B7}' ...`` and a missing ``}`` as a list of twenty tokens. That is right and no
help to a person. :func:`explain` reads the query with the project's SPARQL lexer (the one the
federation guard uses, linear in the text) and says what is wrong in words, for the common cases:

- a prefix used without a ``PREFIX`` line: which one, and the line to add, with the namespace from
  ``graph/paths.PREFIXES`` when the project knows it;
- brackets that do not match: the ``{``, ``(`` or ``[`` never closed, or a closer with nothing
  to close, naming where the other half is;
- a misspelt keyword (``SELEC``): the keyword it is closest to;
- a triple pattern without its object, or two patterns without the ``.`` between them;
- anything else: where the parser stopped and what it expected, the character-class lists
  folded into "a name" or "a number".

The explanation is built where the error is (``errors.QuerySyntaxError``), so every path that
reports a malformed query (the service process, a query worker, a remote store's refusal)
carries it: in the JSON error body as ``explanation`` and ``marks`` (the spans to highlight,
1-based line and column counted in characters, as the parser counts) and in the text body.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from econsec.graph.paths import PREFIXES

from ..errors import SparqlLexError
from ..security.lexer import Token, TokenKind, scan_text, significant

__all__ = ["MAX_EXPLAINED", "Hint", "Mark", "condense", "explain"]

_OPENERS = {"{": "}", "(": ")", "[": "]"}
_CLOSERS = {v: k for k, v in _OPENERS.items()}
#: SPARQL 1.1 keywords a misspelling is compared with (the grammar's, not the project's)
_KEYWORDS = (
    "SELECT", "CONSTRUCT", "DESCRIBE", "ASK", "WHERE", "PREFIX", "BASE", "DISTINCT", "REDUCED",
    "FROM", "NAMED", "GRAPH", "OPTIONAL", "UNION", "MINUS", "FILTER", "BIND", "VALUES", "SERVICE",
    "SILENT", "GROUP", "ORDER", "BY", "HAVING", "LIMIT", "OFFSET", "ASC", "DESC", "EXISTS", "NOT",
    "COUNT", "SUM", "MIN", "MAX", "AVG", "SAMPLE", "GROUP_CONCAT", "SEPARATOR", "STR", "LANG",
    "LANGMATCHES", "DATATYPE", "BOUND", "IRI", "URI", "BNODE", "CONTAINS", "STRSTARTS", "STRENDS",
    "REGEX", "REPLACE", "LCASE", "UCASE", "YEAR", "MONTH", "DAY", "NOW", "COALESCE", "IF", "IN",
    "isIRI", "isURI", "isBLANK", "isLITERAL", "isNUMERIC", "INSERT", "DELETE", "DATA", "WITH",
    "USING", "CLEAR", "DROP", "CREATE", "LOAD", "COPY", "MOVE", "ADD", "DEFAULT", "ALL", "AS",
    "UNDEF", "true", "false", "a",
)  # fmt: skip
_KNOWN_WORDS = frozenset(k.upper() for k in _KEYWORDS)
_EXPECTED = re.compile(r"^error at \d+:\d+: expected (?:one of )?(?P<items>.*)$", re.DOTALL)
_MAX_EXPECTED = 14
#: longer queries are not read again for an explanation (the lexer is linear, but a query worker
#: has a deadline and real queries are a few kilobytes): they get the parser's words, made readable
MAX_EXPLAINED = 100_000
#: how many tokens up to the parser's position may hold a misspelt keyword
_NEAR_ERROR = 4
#: the longest prefix name an explanation repeats (the client chose it; the message stays short)
_MAX_NAME = 60


@dataclass(frozen=True)
class Mark:
    """A span of the query to highlight: 1-based line and column, length in characters."""

    line: int
    column: int
    length: int

    def as_json(self) -> dict[str, int]:
        return {"line": self.line, "column": self.column, "length": self.length}


@dataclass(frozen=True)
class Hint:
    """What went wrong, in words, and where."""

    message: str
    marks: tuple[Mark, ...]


def _place(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` (lines end at ``\\n``, as the parser counts them)."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def _offset(text: str, line: int, column: int) -> int:
    """The offset of a 1-based line and column (clamped to the text)."""
    start = 0
    for _ in range(line - 1):
        found = text.find("\n", start)
        if found < 0:
            return len(text)
        start = found + 1
    return min(start + max(column - 1, 0), len(text))


def _mark(text: str, token: Token) -> Mark:
    line, column = _place(text, token.start)
    return Mark(line, column, max(token.end - token.start, 1))


def _where(mark: Mark) -> str:
    return f"line {mark.line}, column {mark.column}"


def condense(parser_message: str) -> str:
    """The parser's message with its character-class lists folded into words (``a name``)."""
    match = _EXPECTED.match(parser_message.strip())
    if match is None:
        return parser_message.strip()
    head = parser_message.strip()[: match.start("items")]
    items: list[str] = []
    for raw in re.findall(r"\[[^\]]*\]|\"(?:[^\"\\]|\\.)*\"|[^,\s][^,]*", match.group("items")):
        item = raw.strip()
        if item.startswith("["):  # a character class; [_] is "any character", no help to anyone
            word = "a name" if "'A'" in item or "'a'" in item else "a number" if "'0'" in item else None
        elif item == "Prefix not found":
            word = "a declared prefix"
        else:
            word = item
        if word and word not in items:
            items.append(word)
    shown = items[:_MAX_EXPECTED] + (["…"] if len(items) > _MAX_EXPECTED else [])
    return head + (", ".join(shown) or "something else here")


def _undeclared_prefix(text: str, tokens: list[Token], error_at: int, parser_message: str) -> Hint | None:
    declared: set[str] = set()
    undeclared: list[Token] = []
    for i, token in enumerate(tokens):
        if token.kind is not TokenKind.PNAME:
            continue
        before = tokens[i - 1] if i else None
        if before is not None and before.kind is TokenKind.WORD and before.text.upper() == "PREFIX":
            declared.add(token.prefix)
        elif token.prefix not in declared:
            undeclared.append(token)
    if not undeclared:
        return None
    # the parser stops at the end of the name, or at the token after it; or it says it was
    # looking for a prefix (then the last undeclared one before where it stopped)
    before = [t for t in undeclared if t.start < error_at] or undeclared[:1]
    token = before[-1]
    following = next((t for t in tokens if t.start >= token.end), None)
    just_before = following is None or following.start >= error_at
    if not just_before and "Prefix not found" not in parser_message:
        return None
    name = token.prefix if len(token.prefix) <= _MAX_NAME else token.prefix[:_MAX_NAME] + "…"
    namespace = PREFIXES.get(name)
    if namespace is not None:
        message = f"prefix {name}: is not declared; add PREFIX {name}: <{namespace}> at the top of the query"
    else:
        close = difflib.get_close_matches(name, list(PREFIXES), n=1, cutoff=0.6)
        message = (
            f"prefix {name}: is not declared; add PREFIX {name}: <...> with the namespace IRI it stands for"
        )
        if close:
            message += f" (or did you mean {close[0]}:, which is <{PREFIXES[close[0]]}>?)"
    return Hint(message, (_mark(text, token),))


def _brackets(text: str, tokens: list[Token], error_at: int) -> Hint | None:
    stack: list[Token] = []
    for token in tokens:
        if token.kind is not TokenKind.PUNCT:
            continue
        if token.text in _OPENERS:
            stack.append(token)
        elif token.text in _CLOSERS:
            if not stack:
                if token.start > error_at:
                    return None
                mark = _mark(text, token)
                return Hint(
                    f"'{token.text}' at {_where(mark)} closes nothing: remove it, or add the "
                    f"'{_CLOSERS[token.text]}' it should close",
                    (mark,),
                )
            opener = stack.pop()
            if _OPENERS[opener.text] != token.text:
                if token.start > error_at:
                    return None
                opened, closer = _mark(text, opener), _mark(text, token)
                return Hint(
                    f"the '{opener.text}' opened at {_where(opened)} is not closed before the "
                    f"'{token.text}' at {_where(closer)}: add '{_OPENERS[opener.text]}'",
                    (closer, opened),
                )
    if not stack:
        return None
    last = tokens[-1] if tokens else None
    if last is not None and error_at < last.start:
        return None  # the parser stopped earlier, at another mistake
    opener = stack[-1]
    opened = _mark(text, opener)
    end_line, end_column = _place(text, min(error_at, len(text)))
    return Hint(
        f"the '{opener.text}' opened at {_where(opened)} is never closed: add '{_OPENERS[opener.text]}'"
        f" (the query ends at line {end_line}, column {end_column})",
        (opened,),
    )


#: tokens that are one RDF term each (a language tag belongs to the string before it)
_TERMS = frozenset(
    {TokenKind.VAR, TokenKind.IRI, TokenKind.PNAME, TokenKind.STRING, TokenKind.NUMBER, TokenKind.BNODE}
)
_TERM_WORDS = frozenset({"a", "true", "false"})


def _is_term(token: Token) -> bool:
    return token.kind in _TERMS or (token.kind is TokenKind.WORD and token.text in _TERM_WORDS)


def _triple_runs(tokens: list[Token]) -> list[list[Token]]:
    """Runs of plain terms that stand alone as a statement: after ``{`` or ``.``, before ``.`` or
    ``}``. Anything else (a path operator, a bracket, ``;``, a keyword, a ``^^`` datatype) ends a
    run and keeps it out, so only patterns whose shape is certain are judged; ``VALUES ?x { ... }``
    blocks are data rows, not patterns."""
    runs: list[list[Token]] = []
    i = 0
    while i < len(tokens):
        token = tokens[i]
        opens = token.kind is TokenKind.PUNCT and token.text in ("{", ".")
        if opens and token.text == "{" and i >= 1:
            before = tokens[i - 1]
            if before.text == ")" or (i >= 2 and tokens[i - 2].text.upper() == "VALUES"):
                i += 1
                continue
        if not opens:
            i += 1
            continue
        j = i + 1
        run: list[Token] = []
        while j < len(tokens) and (_is_term(tokens[j]) or tokens[j].kind is TokenKind.LANG):
            if tokens[j].kind is not TokenKind.LANG:
                run.append(tokens[j])
            j += 1
        if run and j < len(tokens) and tokens[j].kind is TokenKind.PUNCT and tokens[j].text in (".", "}"):
            runs.append(run)
        i = j if j > i + 1 else i + 1
    return runs


def _triple_shape(text: str, tokens: list[Token], error_at: int) -> Hint | None:
    for run in _triple_runs(tokens):
        if run[0].start > error_at:
            return None
        if len(run) == 3:
            continue
        first = _mark(text, run[0])
        shown = (
            " ".join(t.text for t in run[:3]) if sum(len(t.text) for t in run[:3]) <= 80 else run[0].text[:40]
        )
        if len(run) == 1:
            return Hint(
                f"the triple pattern at {_where(first)} ('{shown}') has only a subject: add a predicate and an object",
                (first,),
            )
        if len(run) == 2:
            return Hint(
                f"the triple pattern at {_where(first)} ('{shown}') has no object: add one after its predicate",
                (first,),
            )
        nxt = _mark(text, run[3])
        return Hint(
            f"two triple patterns run together at {_where(nxt)}: end the one that starts at "
            f"{_where(first)} ('{shown}') with ' .'",
            (nxt, first),
        )
    return None


def _misspelt_keyword(text: str, tokens: list[Token], error_at: int) -> Hint | None:
    # the parser stops within a few tokens of a misspelt keyword: look at those only, so a long
    # query costs no more than a short one (and a name a mile long is no keyword)
    upto = [t for t in tokens if t.start <= error_at][-_NEAR_ERROR:]
    for token in upto:
        if token.kind is not TokenKind.WORD or token.text.upper() in _KNOWN_WORDS or len(token.text) > 30:
            continue
        close = difflib.get_close_matches(token.text.upper(), sorted(_KNOWN_WORDS), n=1, cutoff=0.75)
        if close:
            mark = _mark(text, token)
            return Hint(
                f"'{token.text}' at {_where(mark)} is not a SPARQL keyword; did you mean {close[0]}?", (mark,)
            )
    return None


def explain(text: str, line: int | None, column: int | None, parser_message: str) -> Hint:
    """A plain-language account of why ``text`` does not parse, from the parser's position and
    words; the common mistakes get a specific one, the rest the parser's words made readable."""
    error_at = _offset(text, line, column) if line is not None and column is not None else len(text)
    tokens: list[Token] | None = None
    if len(text) <= MAX_EXPLAINED:
        try:
            tokens = significant(scan_text(text).tokens)
        except SparqlLexError:  # the lexer says why itself (an unterminated string, too deep)
            tokens = None
    if tokens is not None:
        for rule in (
            lambda: _undeclared_prefix(text, tokens, error_at, parser_message),
            lambda: _brackets(text, tokens, error_at),
            lambda: _misspelt_keyword(text, tokens, error_at),
            lambda: _triple_shape(text, tokens, error_at),
        ):
            hint = rule()
            if hint is not None:
                return hint
    if line is None or column is None:
        return Hint(condense(parser_message), ())
    found = next((t for t in tokens or () if t.start <= error_at < t.end), None)
    mark = _mark(text, found) if found is not None else Mark(line, column, 1)
    what = f" ('{found.text}')" if found is not None and len(found.text) <= 40 else ""
    expected = _EXPECTED.match(parser_message.strip())
    told = condense(parser_message).split(": ", 1)[-1] if expected else parser_message.strip()
    return Hint(f"the query cannot be read at line {line}, column {column}{what}: {told}", (mark,))
