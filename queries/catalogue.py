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
names the IRI column whose page a mark links to. A bar chart's ``period`` names the column that
splits one label into several bars (one per year: grouped bars, never drawn over each other);
``approximation`` the column with the source's qualifier ("nearly"), said with the value;
``units`` gives each value column's unit as text (``{share: percent}``) and ``unit_columns`` the
column holding it per row (``{amount: currencyCode}``), so the axis says what it counts. Queries
without a ``chart`` entry still get one when their columns ask for it (``service/web/charts.py``).

How the answer reads as a table for people is data too::

    #+ columns:
    #+   importer: Importer              # a title only
    #+   share: {title: Share, format: percent, approximation: approximation}
    #+   amount: {title: Amount, format: amount, unit: currencyCode}
    #+   instrument: {title: Export control, label: label}
    #+   notes: {hidden: true}

Each entry is a title, or a mapping of :data:`COLUMN_KEYS`. ``label`` names the column with an IRI
column's name (by default ``xLabel`` beside ``x``); ``unit`` and ``approximation`` name columns
folded into the figure; the columns so named, and every column whose name starts with ``_`` (a
parameter's value, echoed), are not shown on their own. Columns without an entry get a title
made from their name. An IRI parameter names the class its values belong to, so the form offers
things of that class by name (prefixed names use the query's own ``PREFIX`` lines)::

    #+ parameter_classes:
    #+   importer: es:Actor
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
    "bar": frozenset({"category", "values", "period", "approximation"}),
    "timeline": frozenset({"date", "label", "group", "href"}),
    "network": frozenset(
        {"source", "sourceLabel", "sourceHref", "target", "targetLabel", "targetHref", "relation"}
    ),
}


#: how a table cell is written: ``auto`` reads the RDF term's datatype (dates, booleans, numbers)
ColumnFormat = Literal["auto", "text", "number", "percent", "amount", "date", "boolean"]
COLUMN_FORMATS: tuple[str, ...] = ("auto", "text", "number", "percent", "amount", "date", "boolean")
#: what a ``#+ columns:`` entry may say about one column
COLUMN_KEYS = frozenset({"title", "label", "format", "unit", "approximation", "hidden"})
_PREFIX_LINE = re.compile(r"^\s*PREFIX\s+([A-Za-z][\w.-]*)?:\s*<([^>]*)>", re.IGNORECASE | re.MULTILINE)


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
    #: value column -> its unit as text (``percent``)
    units: dict[str, str] = field(default_factory=dict)
    #: value column -> the column holding its unit per row (``currencyCode``)
    unit_columns: dict[str, str] = field(default_factory=dict)

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
        maps: dict[str, dict[str, str]] = {}
        for key in ("titles", "units", "unit_columns"):
            value = entry.pop(key, None) or {}
            if not isinstance(value, dict):
                raise HeaderError(name, f"chart {key} must map columns to text")
            maps[key] = {str(k): str(v) for k, v in value.items()}
        unknown = sorted(set(entry) - CHART_ROLES[kind])
        if unknown:
            raise HeaderError(
                name, f"a {kind} chart has no role {unknown}; its roles: {sorted(CHART_ROLES[kind])}"
            )
        roles: dict[str, str | tuple[str, ...]] = {
            role: tuple(str(c) for c in column) if isinstance(column, list) else str(column)
            for role, column in entry.items()
        }
        return cls(cast(ChartKind, kind), title, roles, maps["titles"], maps["units"], maps["unit_columns"])


@dataclass(frozen=True)
class Column:
    """What the query's header says about one result column, for the table people read."""

    title: str | None = None
    #: the column holding this IRI column's name
    label: str | None = None
    format: ColumnFormat = "auto"
    #: the column holding the unit or currency code of this figure
    unit: str | None = None
    #: the column holding a qualifier of this figure ("nearly")
    approximation: str | None = None
    hidden: bool = False

    @classmethod
    def from_header(cls, name: str, column: str, data: Any) -> Column:
        """One ``columns`` entry: a title, or a mapping of :data:`COLUMN_KEYS` (others refused)."""
        if isinstance(data, str):
            return cls(title=data)
        if not isinstance(data, dict):
            raise HeaderError(
                name, f"columns: {column} must be a title or a mapping of {sorted(COLUMN_KEYS)}"
            )
        unknown = sorted(set(data) - COLUMN_KEYS)
        if unknown:
            raise HeaderError(
                name, f"columns: {column} has no key {unknown}; the keys: {sorted(COLUMN_KEYS)}"
            )
        fmt = str(data.get("format", "auto"))
        if fmt not in COLUMN_FORMATS:
            raise HeaderError(
                name, f"columns: {column} format must be one of {list(COLUMN_FORMATS)}, not {fmt!r}"
            )

        def named(key: str) -> str | None:
            value = data.get(key)
            return None if value is None else str(value)

        return cls(
            title=named("title"),
            label=named("label"),
            format=cast(ColumnFormat, fmt),
            unit=named("unit"),
            approximation=named("approximation"),
            hidden=bool(data.get("hidden", False)),
        )


def _columns(name: str, data: Any) -> dict[str, Column]:
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HeaderError(name, "columns must map result columns to a title or a mapping")
    return {str(column): Column.from_header(name, str(column), entry) for column, entry in data.items()}


def _parameter_classes(name: str, data: Any, text: str) -> dict[str, str]:
    """``parameter_classes`` as full IRIs: a prefixed name is expanded with the query's PREFIX lines."""
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise HeaderError(name, "parameter_classes must map parameter names to a class")
    prefixes = {(m.group(1) or ""): m.group(2) for m in _PREFIX_LINE.finditer(text)}
    classes: dict[str, str] = {}
    for parameter, value in data.items():
        written = str(value)
        prefix, colon, local = written.partition(":")
        if colon and prefix in prefixes and not local.startswith("//"):
            classes[str(parameter)] = prefixes[prefix] + local
        elif re.fullmatch(r"https?://\S+", written):
            classes[str(parameter)] = written
        else:
            raise HeaderError(
                name, f"parameter_classes: {written!r} is neither an IRI nor a declared prefixed name"
            )
    return classes


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
    #: result column -> what the header says about it (``#+ columns:``)
    columns: dict[str, Column] = field(default_factory=dict)
    #: IRI parameter name -> the IRI of the class its values belong to (``#+ parameter_classes:``)
    parameter_classes: dict[str, str] = field(default_factory=dict)

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
        columns=_columns(name, header.get("columns")),
        parameter_classes=_parameter_classes(name, header.get("parameter_classes"), text),
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
