"""The saved-query library: `.rq` files with grlc-compatible `#+` headers, read into typed records.

Adding a file to this folder adds a query; nothing else lists them. Parameters follow grlc's naming:
a variable `?_name` is a plain literal parameter, `?_name_iri` an IRI, `?_name_integer` /
`?_name_decimal` / `?_name_date` typed literals. Values are bound with pyoxigraph `substitutions`,
never pasted into the query text.

A query whose answer has a chart says so in its header, so the gallery needs no table of its own::

    #+ chart:
    #+   kind: bar                      # bar, timeline or network
    #+   title: Public support for semiconductors
    #+   category: countryLabel         # the chart's roles, each naming a result column
    #+   values: [amount, shareOfGDP]
    #+   titles: {amount: Total support}

The roles of each kind are in :data:`CHART_ROLES`; a ``href`` / ``sourceHref`` / ``targetHref`` role
names the IRI column whose page a mark links to. Queries without a ``chart`` entry still get one
when their columns ask for it (``service/web/charts.py``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

import pyoxigraph as ox
import yaml

QUERY_DIR = Path(str(resources.files("econsec.queries")))
_HEADER = re.compile(r"^#\+ ?(.*)$")
_PARAMETER = re.compile(r"\?(_[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z0-9]+)*)\b")
_TYPES = ("iri", "integer", "decimal", "date")
_XSD = "http://www.w3.org/2001/XMLSchema#"


ChartKind = Literal["bar", "timeline", "network"]
#: the roles each kind of chart takes, each naming a result column (``values``, ``category``: a list)
CHART_ROLES: dict[str, frozenset[str]] = {
    "bar": frozenset({"category", "values"}),
    "timeline": frozenset({"date", "label", "group", "href"}),
    "network": frozenset(
        {"source", "sourceLabel", "sourceHref", "target", "targetLabel", "targetHref", "relation"}
    ),
}


class QueryNotFound(LookupError):
    """No saved query has this name."""


class ParameterError(ValueError):
    """A parameter value is missing, unknown or of the wrong type."""

    def __init__(self, parameter: str, message: str) -> None:
        super().__init__(f"parameter '{parameter}': {message}")
        self.parameter = parameter


@dataclass(frozen=True)
class Parameter:
    """One query parameter: its public name, its type and its default (as text)."""

    name: str
    variable: str
    type: str
    default: str | None = None
    allowed: tuple[str, ...] = ()

    def to_term(self, value: str) -> ox.NamedNode | ox.Literal:
        """Turn a request value into an RDF term of this parameter's type, or refuse it."""
        try:
            if self.type == "iri":
                if not re.fullmatch(r"https?://[^\s<>\"{}|\\^`]+", value):
                    raise ValueError("expected an absolute http(s) IRI")
                return ox.NamedNode(value)
            if self.type == "integer":
                return ox.Literal(str(int(value)), datatype=ox.NamedNode(_XSD + "integer"))
            if self.type == "decimal":
                float(value)
                return ox.Literal(value, datatype=ox.NamedNode(_XSD + "decimal"))
            if self.type == "date":
                if not re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", value):
                    raise ValueError("expected YYYY, YYYY-MM or YYYY-MM-DD")
                kind = {4: "gYear", 7: "gYearMonth", 10: "date"}[len(value)]
                return ox.Literal(value, datatype=ox.NamedNode(_XSD + kind))
        except ValueError as error:
            raise ParameterError(self.name, f"{error} (got {value!r})") from None
        return ox.Literal(value)


class HeaderError(ValueError):
    """A query file's header says something the catalogue cannot use (named with the file)."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"query '{name}': {message}")
        self.name = name


@dataclass(frozen=True)
class Chart:
    """The chart a query's answer is drawn as: its kind, its title, and which column plays which role."""

    kind: ChartKind
    title: str
    #: role -> column name (or, for a bar chart's ``category`` and ``values``, a list of them)
    roles: dict[str, str | tuple[str, ...]] = field(default_factory=dict)
    #: column -> the title of its panel (bar charts with several ``values``)
    titles: dict[str, str] = field(default_factory=dict)

    @classmethod
    def from_header(cls, name: str, data: Any) -> Chart:
        """Read a ``chart`` header entry, refusing unknown kinds and roles (a typo would draw nothing)."""
        if not isinstance(data, dict):
            raise HeaderError(name, "chart must be a mapping with kind, title and the columns' roles")
        entry = dict(data)
        kind = entry.pop("kind", None)
        if kind not in CHART_ROLES:
            raise HeaderError(name, f"chart kind must be one of {sorted(CHART_ROLES)}, not {kind!r}")
        title = str(entry.pop("title", name))
        titles = entry.pop("titles", None) or {}
        if not isinstance(titles, dict):
            raise HeaderError(name, "chart titles must map columns to titles")
        unknown = sorted(set(entry) - CHART_ROLES[kind])
        if unknown:
            raise HeaderError(
                name, f"a {kind} chart has no role {unknown}; its roles: {sorted(CHART_ROLES[kind])}"
            )
        roles: dict[str, str | tuple[str, ...]] = {
            role: tuple(str(c) for c in column) if isinstance(column, list) else str(column)
            for role, column in entry.items()
        }
        return cls(cast(ChartKind, kind), title, roles, {str(k): str(v) for k, v in titles.items()})


@dataclass(frozen=True)
class SavedQuery:
    """A saved query and the metadata from its header."""

    name: str
    text: str
    summary: str
    description: str = ""
    tags: tuple[str, ...] = ()
    method: str = "GET"
    competency_question: int | None = None
    parameters: tuple[Parameter, ...] = field(default_factory=tuple)
    chart: Chart | None = None

    def substitutions(self, values: dict[str, str] | None = None) -> dict[ox.Variable, ox.Term]:
        """Bind every parameter to the given value or its default; unknown names are refused."""
        values = dict(values or {})
        known = {p.name: p for p in self.parameters}
        for unknown in sorted(set(values) - set(known)):
            raise ParameterError(unknown, f"unknown parameter; this query takes {sorted(known) or 'none'}")
        bound: dict[ox.Variable, ox.Term] = {}
        for parameter in self.parameters:
            value = values.get(parameter.name, parameter.default)
            if value is None:
                raise ParameterError(parameter.name, "required and has no default")
            if parameter.allowed and value not in parameter.allowed:
                raise ParameterError(parameter.name, f"must be one of {list(parameter.allowed)}")
            bound[ox.Variable(parameter.variable)] = parameter.to_term(value)
        return bound


def read_header(text: str) -> dict[str, Any]:
    """The `#+` lines of a query file read as YAML (empty when there are none)."""
    lines = [m.group(1) for line in text.splitlines() if (m := _HEADER.match(line))]
    data = yaml.safe_load("\n".join(lines)) if lines else {}
    return data if isinstance(data, dict) else {}


def without_header(text: str) -> str:
    """The query with its `#+` header lines taken out: what a person reads first in the editor is
    the query (the header stays in the file, where the API and the gallery read it)."""
    return "".join(line for line in text.splitlines(keepends=True) if not _HEADER.match(line.rstrip("\r\n")))


def _as_mapping(items: Any) -> dict[str, Any]:
    """grlc writes defaults and enumerations as a list of one-key mappings; accept a mapping too."""
    if isinstance(items, dict):
        return items
    merged: dict[str, Any] = {}
    for item in items or []:
        if isinstance(item, dict):
            merged.update(item)
    return merged


def parse(name: str, text: str) -> SavedQuery:
    """Read one query file's text into a SavedQuery."""
    header = read_header(text)
    defaults = _as_mapping(header.get("defaults"))
    enumerations = _as_mapping(header.get("enumerate"))
    parameters = []
    for variable in dict.fromkeys(_PARAMETER.findall(text)):
        base, _, suffix = variable[1:].rpartition("_")
        kind, public = (suffix, base) if suffix in _TYPES and base else ("string", variable[1:])
        default = defaults.get(public)
        allowed = tuple(str(v) for v in enumerations.get(public) or ())
        parameters.append(
            Parameter(public, variable, kind, None if default is None else str(default), allowed)
        )
    return SavedQuery(
        name=name,
        text=text,
        summary=str(header.get("summary", name)),
        description=str(header.get("description", "")).strip(),
        tags=tuple(str(t) for t in header.get("tags") or ()),
        method=str(header.get("method", "GET")).upper(),
        competency_question=header.get("competency_question"),
        parameters=tuple(parameters),
        chart=Chart.from_header(name, header["chart"]) if header.get("chart") is not None else None,
    )


def load(directory: Path = QUERY_DIR) -> dict[str, SavedQuery]:
    """All saved queries in a folder, by name (the file name without `.rq`)."""
    return {
        path.stem: parse(path.stem, path.read_text(encoding="utf-8"))
        for path in sorted(directory.glob("*.rq"))
    }


def get(name: str, directory: Path = QUERY_DIR) -> SavedQuery:
    """One saved query by name."""
    path = directory / f"{name}.rq"
    if not re.fullmatch(r"[A-Za-z0-9_-]+", name) or not path.is_file():
        raise QueryNotFound(name)
    return parse(name, path.read_text(encoding="utf-8"))
