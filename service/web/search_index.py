"""An in-process word index over the names, other names and descriptions of the graph's things.

Why not SPARQL ``CONTAINS``: a reader types words in any order, with accents or without, half a
word, or a typo ("galium"), and expects the thing that matches all of them first. That needs
words, folding and edit distance, which a SPARQL filter cannot rank. The graph is small (a few
thousand names), so the index is built in memory from three internal queries
(``search-texts``, ``search-kinds``, ``class-closure``) and kept per store backend.

How it notices changes: every search computes a cheap fingerprint of the data - the release the
store was filled from, when, the data version (``store/version.py``: it moves on every write
committed by any serving process), and the triple count of each named graph (one grouped
``COUNT``, a few milliseconds here, for writes made to a remote store behind the service's back)
- and rebuilds the index when the fingerprint differs from the one it was built at.

Matching, per query word (folded: NFKD without combining marks, case-folded, split on anything
that is not a letter or digit): the whole word (4), a word it begins (3), a word that contains it
(2, for query words of three letters or more), or, for query words of five letters or more, a word within edit distance 1 (five to seven
letters) or 2 (eight or more) (1). Ranking: more query words matched first; then a name equal to
the whole query; then more words matched in a name (label or other name) than only in a
description; then better matches; then the shorter name that matched (so the words cover more
of it).

Bounds: at most :data:`MAX_WORDS` words of at most :data:`MAX_WORD` characters each; the route
caps the text at 200 characters. The index holds no query text and evaluates nothing.
"""

from __future__ import annotations

import re
import threading
import unicodedata
import weakref
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from econsec.graph.paths import inferred_graph
from econsec.graph.stats import triples_per_graph
from econsec.queries import internal
from pyoxigraph import Literal, NamedNode

from ..execution.executor import Deadline
from ..store.base import StoreBackend

__all__ = [
    "MAX_WORD",
    "MAX_WORDS",
    "ClassTree",
    "Hit",
    "SearchIndex",
    "class_tree",
    "closure",
    "edit_distance",
    "fold",
    "index_for",
    "words",
]

MAX_WORDS = 8
MAX_WORD = 40
#: kinds of node that are provenance or bookkeeping rather than things a reader looks for
SKIPPED_KINDS = ("passage/", "statement/", "status/")
_WORD = re.compile(r"\w+")
_NAME_FIELDS = ("label", "alt")


def fold(text: str) -> str:
    """``Solís`` -> ``solis``: compatibility-decomposed, combining marks dropped, case-folded."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def words(text: str) -> list[str]:
    """The folded words of ``text`` (``chip-making`` is two words)."""
    return _WORD.findall(fold(text))


def edit_distance(a: str, b: str, most: int) -> int:
    """Levenshtein distance of ``a`` and ``b``, or ``most + 1`` as soon as it must exceed ``most``."""
    if abs(len(a) - len(b)) > most:
        return most + 1
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > most:
            return most + 1
        previous = current
    return previous[-1]


def _typos_allowed(word: str) -> int:
    return 0 if len(word) < 5 else 1 if len(word) < 8 else 2


@dataclass(frozen=True)
class ClassTree:
    """The ontology's classes: each one's subclasses (itself included), name, definition, parents."""

    subclasses: dict[str, frozenset[str]]
    labels: dict[str, str]
    definitions: dict[str, str]
    parents: dict[str, tuple[str, ...]]

    def name(self, iri: str) -> str:
        return self.labels.get(iri) or iri.rsplit("#", 1)[-1].rsplit("/", 1)[-1]


def closure(edges: dict[str, set[str]], start: str) -> set[str]:
    """``start`` and everything reachable from it along ``edges`` (a walk, safe on cycles)."""
    seen = {start}
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def class_tree(store: StoreBackend, ontology_graph: str) -> ClassTree:
    """The subclass closure the class counts use (``class-closure``: direct edges, closed here)."""
    declared: set[str] = set()
    labels: dict[str, str] = {}
    definitions: dict[str, str] = {}
    parents: dict[str, set[str]] = defaultdict(set)
    children: dict[str, set[str]] = defaultdict(set)
    for row in internal.select(store, "class-closure", ontology=NamedNode(ontology_graph)):
        cls = row["class"].value
        if row["declared"] is not None and row["declared"].value == "true":
            declared.add(cls)
        if row["label"] is not None:
            labels[cls] = row["label"].value
        if row["definition"] is not None:
            definitions[cls] = row["definition"].value
        if row["parent"] is not None:
            parents[cls].add(row["parent"].value)
            children[row["parent"].value].add(cls)
    return ClassTree(
        {c: frozenset(closure(children, c)) for c in declared},
        labels,
        definitions,
        {c: tuple(sorted(p)) for c, p in parents.items()},
    )


@dataclass
class Entry:
    """One thing in the index: its IRI, English name, the texts it is found by, its kinds."""

    iri: str
    label: str = ""
    names: list[str] = field(default_factory=list)
    description: str = ""
    kinds: list[str] = field(default_factory=list)
    types: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Hit:
    """A thing found: the entry, the name (or description) that matched best, and its rank."""

    entry: Entry
    matched: str
    field: str
    rank: tuple[object, ...]


class SearchIndex:
    """Words -> (thing, field) postings, with a sorted vocabulary for prefix and typo look-ups."""

    def __init__(self, entries: list[Entry], tree: ClassTree) -> None:
        self.entries = entries
        self.tree = tree
        self._postings: dict[str, set[tuple[int, str, int]]] = defaultdict(set)
        #: per entry, per field, its texts (a name index is an index into ``names``)
        for number, entry in enumerate(entries):
            for position, name in enumerate(entry.names):
                for word in words(name):
                    self._postings[word].add((number, "name", position))
            for word in words(entry.description):
                self._postings[word].add((number, "description", 0))
        self._vocabulary = sorted(self._postings)
        self._by_length: dict[int, list[str]] = defaultdict(list)
        for word in self._vocabulary:
            self._by_length[len(word)].append(word)

    def _matches(self, word: str, check: Callable[[], None]) -> dict[str, int]:
        """Vocabulary words that ``word`` matches, each with its quality (4 best)."""
        found: dict[str, int] = {}
        start = bisect_left(self._vocabulary, word)
        for candidate in self._vocabulary[start:]:
            if not candidate.startswith(word):
                break
            found[candidate] = 4 if candidate == word else 3
        check()
        for candidate in self._vocabulary if len(word) >= 3 else ():  # "a" inside every word is noise
            if candidate not in found and word in candidate:
                found[candidate] = 2
        most = _typos_allowed(word)
        if most:
            for length in range(len(word) - most, len(word) + most + 1):
                check()
                for candidate in self._by_length.get(length, ()):
                    if candidate not in found and edit_distance(word, candidate, most) <= most:
                        found[candidate] = 1
        return found

    def search(self, text: str, limit: int, deadline: Deadline, within: str | None = None) -> list[Hit]:
        """The best ``limit`` things for ``text``, optionally only instances of class ``within``
        (or its subclasses)."""
        asked = list(dict.fromkeys(w[:MAX_WORD] for w in words(text)))[:MAX_WORDS]
        if not asked:
            return []
        allowed = self.tree.subclasses.get(within, frozenset({within})) if within else None
        # per entry: per query word, (best quality in a name, best quality anywhere, name position)
        scores: dict[int, dict[int, tuple[int, int, int]]] = defaultdict(dict)
        for index, word in enumerate(asked):
            for vocabulary_word, quality in self._matches(word, deadline.check).items():
                for number, where, position in self._postings[vocabulary_word]:
                    in_name = quality if where == "name" else 0
                    old = scores[number].get(index, (0, 0, -1))
                    best_position = position if where == "name" and in_name >= old[0] else old[2]
                    scores[number][index] = (max(old[0], in_name), max(old[1], quality), best_position)
        whole = " ".join(asked)
        hits = []
        for number, per_word in scores.items():
            entry = self.entries[number]
            if allowed is not None and not (entry.types & allowed):
                continue
            in_names = [s for s in per_word.values() if s[0]]
            positions = [s[2] for s in in_names if s[2] >= 0]
            position = max(set(positions), key=positions.count) if positions else -1
            matched = entry.names[position] if position >= 0 else entry.label
            exact = any(" ".join(words(n)) == whole for n in entry.names)
            rank = (
                -len(per_word),
                not exact,
                -len(in_names),
                -sum(s[0] for s in per_word.values()),
                -sum(s[1] for s in per_word.values()),
                len(matched),
                entry.label.casefold(),
            )
            hits.append(Hit(entry, matched, "name" if in_names else "description", rank))
        hits.sort(key=lambda h: h.rank)
        return hits[:limit]


def build_index(store: StoreBackend, public_base: str, deadline: Deadline) -> SearchIndex:
    """Read the texts and kinds of every thing under ``{public_base}id/`` into a new index."""
    ids = public_base + "id/"
    entries: dict[str, Entry] = {}

    def entry(iri: str) -> Entry | None:
        if iri[len(ids) :].startswith(SKIPPED_KINDS):
            return None
        return entries.setdefault(iri, Entry(iri))

    for row in internal.select(store, "search-texts", base=Literal(ids)):
        deadline.check()
        found = entry(row["entity"].value)
        if found is None:
            continue
        text, kind = row["text"], row["field"].value
        if kind in _NAME_FIELDS:
            found.names.append(text.value)
            if kind == "label" and (text.language == "en" or (not found.label and not text.language)):
                found.label = text.value
        elif not found.description or text.language == "en":
            found.description = text.value
    kinds: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for row in internal.select(
        store, "search-kinds", base=Literal(ids), inferred=inferred_graph(public_base)
    ):
        deadline.check()
        iri, type_iri = row["entity"].value, row["type"].value
        found = entries.get(iri)
        if found is None:
            continue
        found.types.add(type_iri)
        if row["asserted"] is not None and row["asserted"].value == "true":
            name = row["typeLabel"].value if row["typeLabel"] is not None else type_iri.rsplit("#", 1)[-1]
            kinds[iri].append((name, type_iri))
    for iri, named in kinds.items():
        entries[iri].kinds = [name for name, _ in sorted(set(named))]
    for found in entries.values():
        found.names.sort(key=lambda n: n != found.label)  # the English name first
        found.label = found.label or (found.names[0] if found.names else found.iri.rsplit("/", 1)[-1])
    tree = class_tree(store, public_base + "graph/ontology")
    return SearchIndex([e for e in entries.values() if e.names], tree)


def fingerprint(store: StoreBackend, version: str) -> tuple[object, ...]:
    """What changes whenever the data does (see the module's docstring)."""
    return (store.build_id, store.loaded_at, version, tuple(sorted(triples_per_graph(store).items())))


_INDEXES: weakref.WeakKeyDictionary[object, tuple[tuple[object, ...], SearchIndex]] = (
    weakref.WeakKeyDictionary()
)
_BUILDING = threading.Lock()


def index_for(store: StoreBackend, public_base: str, deadline: Deadline, version: str = "") -> SearchIndex:
    """The index of ``store``'s current data: the cached one, or a new one when the data changed.

    One thread builds while others wait for it (the build takes well under a second here).
    """
    seen = fingerprint(store, version)
    cached = _INDEXES.get(store)
    if cached is not None and cached[0] == seen:
        return cached[1]
    with _BUILDING:
        cached = _INDEXES.get(store)
        if cached is not None and cached[0] == seen:
            return cached[1]
        built = build_index(store, public_base, deadline)
        _INDEXES[store] = (seen, built)
        return built
