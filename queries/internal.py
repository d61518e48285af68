"""The service's own SPARQL: `.rq` files in `queries/internal/`, loaded once by name, bound as terms.

The home page, the resource pages, VoID, `econsec stats` and the remote store ask the graph
their own questions. Each question is a file here with the saved queries' `#+` header
(`summary`, `description`, and `bound`: the variables the caller binds), never a string built
in Python: terms are bound with pyoxigraph `substitutions` (embedded store, build) or, for a
remote store that receives text, as a `VALUES` block of terms written by pyoxigraph's
serialiser (`service/store/binding.py`). The catalogue lists `queries/*.rq` only, so nothing
here shows in the gallery, the `/queries` API or `econsec queries`.

pyoxigraph binds only variables the query projects, so every bound variable is in the
top-level SELECT (and in any sub-SELECT that uses it).

The few SPARQL Updates the store runs on itself are `.ru` files here, read by :func:`update`;
they bind nothing (an update cannot be bound with substitutions).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import pyoxigraph as ox
from econsec.queries.catalogue import QUERY_DIR, QueryNotFound, read_header

__all__ = [
    "INTERNAL_DIR",
    "InternalQuery",
    "QueryRunner",
    "ask",
    "get",
    "names",
    "select",
    "update",
    "update_names",
]

INTERNAL_DIR = QUERY_DIR / "internal"
_NAME = re.compile(r"[a-z0-9-]+")


class QueryRunner(Protocol):
    """A store backend of the service: ``query(text, substitutions={name: term})``."""

    def query(self, text: str, *, substitutions: Mapping[str, Any] | None = None) -> Any: ...


@dataclass(frozen=True)
class InternalQuery:
    """One of the service's own queries: its text and the variables a caller must bind."""

    name: str
    text: str
    summary: str
    bound: tuple[str, ...]

    def check(self, terms: Mapping[str, ox.NamedNode | ox.Literal]) -> dict[str, ox.NamedNode | ox.Literal]:
        """The terms, refused unless they bind every variable the header names (and may narrow
        others the query projects, such as ``?g`` of triples-per-graph)."""
        missing = set(self.bound) - set(terms)
        if missing:
            raise TypeError(f"internal query {self.name} needs {sorted(missing)} bound")
        for name, term in terms.items():
            if not isinstance(term, ox.NamedNode | ox.Literal):
                raise TypeError(f"internal query {self.name}: ?{name} must be an IRI or a literal")
            if not re.search(rf"\?{name}\b", self.text):
                raise TypeError(f"internal query {self.name} has no ?{name} to bind")
        return dict(terms)


def _parse(name: str, path: Path) -> InternalQuery:
    text = path.read_text(encoding="utf-8")
    header = read_header(text)
    return InternalQuery(
        name=name,
        text=text,
        summary=str(header.get("summary", name)),
        bound=tuple(str(v) for v in header.get("bound") or ()),
    )


@cache
def get(name: str) -> InternalQuery:
    """The internal query ``name`` (the file name without `.rq`), read once per process."""
    path = INTERNAL_DIR / f"{name}.rq"
    if not _NAME.fullmatch(name) or not path.is_file():
        raise QueryNotFound(name)
    return _parse(name, path)


def names() -> list[str]:
    """Every internal query's name, sorted."""
    return sorted(path.stem for path in INTERNAL_DIR.glob("*.rq"))


@cache
def update(name: str) -> str:
    """The text of the internal SPARQL Update ``name`` (``{name}.ru``): fixed text, nothing bound."""
    path = INTERNAL_DIR / f"{name}.ru"
    if not _NAME.fullmatch(name) or not path.is_file():
        raise QueryNotFound(name)
    return path.read_text(encoding="utf-8")


def update_names() -> list[str]:
    """Every internal update's name, sorted."""
    return sorted(path.stem for path in INTERNAL_DIR.glob("*.ru"))


def _run(store: ox.Store | QueryRunner, name: str, terms: Mapping[str, ox.NamedNode | ox.Literal]) -> Any:
    query = get(name)
    bound = query.check(terms)
    if isinstance(store, ox.Store):  # the build and the CLI: the default graph is every graph's union
        return store.query(
            query.text,
            substitutions={ox.Variable(k): v for k, v in bound.items()},
            use_default_graph_as_union=True,
        )
    return store.query(query.text, substitutions=bound)


def select(
    store: ox.Store | QueryRunner, name: str, **terms: ox.NamedNode | ox.Literal
) -> Iterator[ox.QuerySolution]:
    """The solutions of internal SELECT query ``name`` with ``terms`` bound, on a pyoxigraph store
    or a service store backend."""
    result = _run(store, name, terms)
    solutions = result if isinstance(result, ox.QuerySolutions) else result.solutions
    if solutions is None:
        raise TypeError(f"internal query {name} is not a SELECT query")
    return iter(solutions)


def ask(store: ox.Store | QueryRunner, name: str, **terms: ox.NamedNode | ox.Literal) -> bool:
    """The answer of internal ASK query ``name`` with ``terms`` bound."""
    result = _run(store, name, terms)
    return bool(result if isinstance(result, ox.QueryBoolean) else result.boolean)
