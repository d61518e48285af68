"""A saved query's answer as a table people read: names instead of IRIs, titles instead of variables.

The SPARQL answer keeps its variables and terms for the machine formats (JSON, CSV, SPARQL
results). The page, and the ``labels=true`` downloads, show this table instead, built from what
the query's header says about its columns (``#+ columns:``, read by ``queries/catalogue.py``) and
from the terms themselves:

- an IRI column shows the thing's name, linked to its page here (or out, for an external IRI);
  the name comes from the column the header names (by default ``xLabel``, ``xTitle`` or
  ``xName`` beside ``x``, or a ``label`` column right after it), else from the graph's English
  label, else from the IRI's last segment, never the IRI itself; a web address given as text
  is a link shown by its site's name;
- columns used as names, units and qualifiers are folded into the cells they describe, and a
  parameter's echoed value (a variable starting with ``_``) is not shown;
- dates read as dates ("March 2023"), booleans as Yes/No, shares as per cent, amounts in words
  with their currency ("USD 280 billion"), other numbers with grouped digits;
- every cell keeps a sort key (the number, the ISO date) so the page can sort by meaning.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from econsec.queries.catalogue import Column, SavedQuery
from pyoxigraph import BlankNode, Literal, NamedNode, QuerySolution

__all__ = [
    "Cell",
    "PeopleTable",
    "ShownColumn",
    "amount_in_words",
    "build_table",
    "humanise",
    "shown_columns",
]

_XSD = "http://www.w3.org/2001/XMLSchema#"
_NUMERIC = frozenset(
    _XSD + t
    for t in (
        "integer",
        "decimal",
        "double",
        "float",
        "int",
        "long",
        "short",
        "nonNegativeInteger",
        "positiveInteger",
        "nonPositiveInteger",
        "negativeInteger",
        "unsignedInt",
        "unsignedLong",
    )
)
_DATE_TYPES = frozenset(_XSD + t for t in ("date", "dateTime", "gYear", "gYearMonth"))
_DATE_TEXT = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?(?:T.*)?$")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
#: large amounts are written with these words: 3,900,000,000,000 -> 3.9 trillion
_SCALES = ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"), (Decimal(10) ** 6, "million"))
_PERCENT_UNITS = frozenset({"percent", "per cent", "%"})
_CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")
#: ``x`` is named by the column ``x`` + one of these, when the answer has it
_NAME_SUFFIXES = ("Label", "Title", "Name")
#: words of variable names written as initials in a title (``workUrl`` -> "Work URL")
_INITIALISMS = frozenset({"url", "iri", "gdp", "id"})
_WEB_ADDRESS = re.compile(r"^https?://([^/\s?#]+)[^\s]*$")


@dataclass(frozen=True)
class ShownColumn:
    """One column of the table people read: the variable it shows, its title and the header's entry."""

    name: str
    title: str
    spec: Column
    #: the variable holding this IRI column's name, when there is one
    label: str | None


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown, where it links, and the key it sorts by."""

    text: str
    href: str | None = None
    external: bool = False
    #: the full IRI behind a name (a tooltip), or None
    iri: str | None = None
    sort: str = ""
    #: "number", "date" or "text": how the page's script compares sort keys
    kind: str = "text"


@dataclass(frozen=True)
class PeopleTable:
    """The shown columns and, per row, one cell per column."""

    columns: list[ShownColumn]
    rows: list[list[Cell]]

    def to_csv(self, delimiter: str = ",") -> str:
        """The table as shown: column titles as the header, names and formatted values as cells."""
        out = io.StringIO()
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
        writer.writerow([c.title for c in self.columns])
        writer.writerows([cell.text for cell in row] for row in self.rows)
        return out.getvalue()

    def records(self) -> list[dict[str, str]]:
        """The table as shown, one mapping of column title to text per row."""
        return [{c.title: cell.text for c, cell in zip(self.columns, row, strict=True)} for row in self.rows]


def humanise(variable: str) -> str:
    """A title from a variable name: ``countryLabel`` -> "Country", ``shareOfGDP`` -> "Share of GDP"."""
    name = variable.strip("_")
    name = re.sub(r"_(iri|integer|decimal|date)$", "", name)
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])|_|-", " ", name).split()
    if len(words) > 1 and words[-1] == "Label":
        words = words[:-1]
    words = [w.upper() if w.lower() in _INITIALISMS else w if w.isupper() else w.lower() for w in words]
    text = " ".join(words) or variable
    return text[:1].upper() + text[1:]


def shown_columns(query: SavedQuery, variables: Sequence[str]) -> list[ShownColumn]:
    """The columns people see, in the answer's order: helper and folded columns left out."""
    present = set(variables)
    folded: set[str] = set()
    labels: dict[str, str | None] = {}
    for index, variable in enumerate(variables):
        spec = query.columns.get(variable, Column())
        named = (variable + suffix for suffix in _NAME_SUFFIXES)
        label = spec.label or next((c for c in named if c in present), None)
        following = variables[index + 1] if index + 1 < len(variables) else None
        if label is None and following == "label" and not variable.startswith("_"):
            label = "label"  # the common ``?instrument ?label`` pair: the name of the thing before it
        labels[variable] = label if label in present else None
        folded.update(c for c in (labels[variable], spec.unit, spec.approximation) if c)
    shown = []
    for variable in variables:
        spec = query.columns.get(variable, Column())
        if variable in folded or variable.startswith("_") or spec.hidden:
            continue
        shown.append(ShownColumn(variable, spec.title or humanise(variable), spec, labels[variable]))
    return shown


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def _plain(number: Decimal) -> str:
    """Digits grouped, trailing zeros dropped: 1234.50 -> 1,234.5."""
    if number == number.to_integral_value():
        return f"{int(number):,}"
    return f"{number.normalize():,f}"


def _short(number: Decimal) -> str:
    """At most three significant digits, no trailing zeros: 3.90 -> 3.9, 280 -> 280."""
    rounded = Decimal(f"{number:.3g}")
    return _plain(rounded)


def amount_in_words(number: Decimal) -> str:
    """3,900,000,000,000 -> "3.9 trillion"; amounts under a million keep their digits."""
    for size, word in _SCALES:
        if abs(number) >= size:
            return f"{_short(number / size)} {word}"
    return _plain(number)


def _date_text(text: str) -> tuple[str, str] | None:
    """(shown, sort key) for YYYY, YYYY-MM, YYYY-MM-DD (a time is dropped); None for anything else."""
    match = _DATE_TEXT.match(text)
    if match is None:
        return None
    year, month, day = match.groups()
    if month is None:
        return year, year
    if not 1 <= int(month) <= 12:
        return None
    named = _MONTHS[int(month) - 1]
    if day is None:
        return f"{named} {year}", f"{year}-{month}"
    return f"{int(day)} {named} {year}", f"{year}-{month}-{day}"


def _figure(number: Decimal, fmt: str, unit: str | None, approximation: str | None) -> str:
    """A number with its unit: "nearly 70%", "USD 280 billion", "1,234"."""
    unit = (unit or "").strip()
    if fmt == "percent" or (fmt in ("auto", "number") and unit.lower() in _PERCENT_UNITS):
        text = f"{_plain(number)}%"
    elif _CURRENCY_CODE.match(unit):
        text = f"{unit} {amount_in_words(number)}"
    elif fmt == "amount":
        text = f"{amount_in_words(number)} {unit}".strip()
    else:
        text = f"{_plain(number)} {unit}".strip()
    return f"{approximation} {text}" if approximation else text


def _local_name(iri: str) -> str:
    """The last segment of an IRI, readable: .../japan-chip-controls -> "japan chip controls"."""
    tail = re.split(r"[/#]", iri.rstrip("/#"))[-1]
    return re.sub(r"[-_]+", " ", tail) or iri


def _value(solution: QuerySolution, variable: str | None) -> str | None:
    if variable is None:
        return None
    term = solution[variable]
    return None if term is None else str(term.value)


def _cell(
    solution: QuerySolution,
    column: ShownColumn,
    name_of: Callable[[str], str | None],
    page_of: Callable[[str], str | None],
) -> Cell:
    term = solution[column.name]
    spec = column.spec
    if term is None:
        return Cell("")
    if isinstance(term, NamedNode):
        iri = term.value
        name = _value(solution, column.label) or name_of(iri) or _local_name(iri)
        local = page_of(iri)
        href = local if local is not None else iri
        return Cell(name, href, local is None, iri, name.lower())
    if isinstance(term, BlankNode):
        return Cell("(unnamed)")
    assert isinstance(term, Literal)
    text, datatype = term.value, term.datatype.value
    if spec.format == "boolean" or datatype == _XSD + "boolean":
        yes = text.strip().lower() in ("true", "1")
        return Cell("Yes" if yes else "No", sort="1" if yes else "0")
    if spec.format == "date" or datatype in _DATE_TYPES:
        dated = _date_text(text)
        if dated is not None:
            return Cell(dated[0], sort=dated[1], kind="date")
    address = _WEB_ADDRESS.match(text)
    if address is not None:  # a web address as text: linked, shown by its site (addresses do not wrap)
        return Cell(address.group(1), text, True, text, text.lower())
    number = _decimal(text) if spec.format not in ("text", "date") else None
    if number is not None and (datatype in _NUMERIC or spec.format in ("number", "percent", "amount")):
        shown = _figure(
            number, spec.format, _value(solution, spec.unit), _value(solution, spec.approximation)
        )
        return Cell(shown, sort=str(number), kind="number")
    return Cell(text, sort=text.lower())


def build_table(
    query: SavedQuery,
    variables: Sequence[str],
    solutions: Iterable[QuerySolution],
    name_of: Callable[[str], str | None],
    page_of: Callable[[str], str | None],
) -> PeopleTable:
    """The answer as people read it. ``name_of`` gives an IRI's name when no column holds it
    (``None`` if it has none); ``page_of`` the local page of an IRI of ours, else ``None``."""
    columns = shown_columns(query, variables)
    rows = [[_cell(s, c, name_of, page_of) for c in columns] for s in solutions]
    return PeopleTable(columns, rows)
