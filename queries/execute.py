"""Run a saved query against a pyoxigraph store and shape its answer for people and programs.

The CLI (and later the REST API) share this: parameters are bound as RDF terms through
pyoxigraph `substitutions`, the default graph is the union of the named graphs, and rows come
back as typed Python values so CSV, JSON records and tables all agree.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from econsec.graph.void import read_build_info
from econsec.queries.catalogue import SavedQuery

_XSD = "http://www.w3.org/2001/XMLSchema#"
_INTEGERS = {_XSD + t for t in ("integer", "int", "long", "short", "nonNegativeInteger", "positiveInteger")}
_DECIMALS = {_XSD + t for t in ("decimal", "double", "float")}


@dataclass(frozen=True)
class ResultTable:
    """A query answer: column names, rows of Python values, and the build that answered."""

    columns: list[str]
    rows: list[list[Any]]
    build_id: str | None = None

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]

    def to_csv(self, delimiter: str = ",") -> str:
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n")
        writer.writerow(self.columns)
        writer.writerows([["" if v is None else v for v in row] for row in self.rows])
        return out.getvalue()

    def to_json(self) -> str:
        return json.dumps(
            {"build": self.build_id, "columns": self.columns, "rows": self.records()},
            ensure_ascii=False,
            indent=2,
            default=str,
        )


def python_value(term: ox.Term | None) -> Any:
    """IRIs and strings as text, numbers as numbers (decimals kept exact), dates as their lexical form."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in _INTEGERS:
            return int(term.value)
        if datatype in _DECIMALS:
            number = Decimal(term.value)
            return int(number) if number == number.to_integral_value() and "." not in term.value else number
        if datatype == _XSD + "boolean":
            return term.value in ("true", "1")
    return term.value


def run(
    store: ox.Store, query: SavedQuery, params: dict[str, str] | None = None, *, build: str | None = None
) -> ResultTable:
    """Evaluate a saved SELECT query with its parameters bound; other query forms are refused."""
    solutions = store.query(
        query.text, substitutions=query.substitutions(params), use_default_graph_as_union=True
    )
    if not isinstance(solutions, ox.QuerySolutions):
        raise TypeError(f"saved query {query.name} is not a SELECT query")
    columns = [v.value for v in solutions.variables]
    rows = [[python_value(solution[c]) for c in columns] for solution in solutions]
    return ResultTable(columns, rows, build)


def build_id(build_dir: Path) -> str | None:
    """The identifier of a build, from the dcterms:identifier its VoID description records."""
    return read_build_info(build_dir / "void.ttl").id


def open_build(build_dir: Path) -> ox.Store:
    """An in-memory store holding a finished build's named graphs."""
    nquads = build_dir / "econsec.nq"
    if not nquads.is_file():
        raise FileNotFoundError(f"no built graph at {nquads}: run `econsec build` first")
    store = ox.Store()
    store.bulk_load(path=str(nquads), format=ox.RdfFormat.N_QUADS)
    return store
