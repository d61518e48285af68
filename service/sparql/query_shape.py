"""Which queries can safely skip process isolation: the ones that stream by construction.

A query that is one triple pattern, with nothing that needs to see all of its solutions first
(no sort, group, aggregate, join, path or subquery), yields rows as the engine scans, so the
per-row deadline check stops it and the result limit bounds what it holds. Such queries (point
lookups above all, the most common request of a linked-data service) run on a service thread,
which saves the hand-off to a worker process (bench/RESULTS.md measured 22-36% more lookups per
second on threads). Everything else goes to a query worker.

The test is a whole-text pattern, deliberately narrow: a query it does not recognise is isolated,
so a mistake here costs speed, never safety. No comment, no FROM, no FILTER, no OPTIONAL.
"""

from __future__ import annotations

import re
from typing import NamedTuple

__all__ = ["Lookup", "is_streaming", "lookup_form"]

_IRI = r'<[^<>"{}|^`\\\x00-\x20]*>'
_PNAME = r"[A-Za-z][\w.-]*?:[\w-]*"
_VAR = r"[?$][A-Za-z_]\w*"
_LITERAL = rf'"[^"\\\n\r]*"(?:@[A-Za-z]+(?:-[A-Za-z0-9]+)*|\^\^(?:{_IRI}|{_PNAME}))?|[+-]?\d+(?:\.\d+)?'
_TERM = rf"(?:{_IRI}|{_PNAME}|{_VAR})"
_OBJECT = rf"(?:{_TERM}|{_LITERAL})"
_PREDICATE = rf"(?:{_TERM}|a)"
_PROLOGUE = rf"(?:\s*(?:PREFIX\s+[A-Za-z][\w.-]*?:\s*{_IRI}|BASE\s+{_IRI}))*"
_PATTERN = rf"\{{\s*{_TERM}\s+{_PREDICATE}\s+{_OBJECT}\s*\.?\s*\}}"
_MODIFIERS = r"(?:\s*(?:LIMIT|OFFSET)\s+\d+){0,2}"
_SELECT = rf"SELECT\s+(?:(?:DISTINCT|REDUCED)\s+)?(?:\*|(?:{_VAR}\s*)+)\s*(?:WHERE\s*)?{_PATTERN}{_MODIFIERS}"
_ASK = rf"ASK\s*(?:WHERE\s*)?{_PATTERN}"
_STREAMING = re.compile(rf"{_PROLOGUE}\s*(?:{_SELECT}|{_ASK})\s*", re.IGNORECASE)


def is_streaming(query: str) -> bool:
    """True only for a single-triple-pattern SELECT or ASK (see the module docstring)."""
    return len(query) < 10_000 and _STREAMING.fullmatch(query) is not None


#: ``_PATTERN`` with its three terms captured, for the lookup shape's repeated-variable check
_TERMS = rf"\{{\s*(?P<s>{_TERM})\s+(?P<p>{_PREDICATE})\s+(?P<o>{_OBJECT})\s*\.?\s*\}}"
_SELECT_LOOKUP = re.compile(
    rf"{_PROLOGUE}\s*SELECT\s+(?:\*|(?:{_VAR}\s*)+)\s*(?:WHERE\s*)?{_TERMS}(?:\s*LIMIT\s+(?P<limit>\d{{1,9}}))?\s*",
    re.IGNORECASE,
)
_ASK_LOOKUP = re.compile(rf"{_PROLOGUE}\s*ASK\s*(?:WHERE\s*)?{_TERMS}\s*", re.IGNORECASE)
_VAR_NAME = re.compile(r"[?$]([A-Za-z_]\w*)")


class Lookup(NamedTuple):
    form: str
    """``"SELECT"`` or ``"ASK"``"""
    limit: int | None
    """the query's own LIMIT, if any"""


def lookup_form(query: str) -> Lookup | None:
    """The form of a query the engine answers with one index step per row, else None.

    Narrower than :func:`is_streaming`: no DISTINCT / REDUCED (they drop rows, so the engine may
    scan many triples per row it returns), no OFFSET (skipped rows are scanned too) and no
    variable used twice in the pattern (``?x ?p ?x`` is a filter over a full scan). So the work
    to produce the first N rows is bounded by N. The text ends with the pattern's ``}`` or the
    LIMIT clause, so a LIMIT may be appended to one that has none.
    """
    if len(query) >= 10_000:
        return None
    match = _SELECT_LOOKUP.fullmatch(query)
    form = "SELECT"
    if match is None:
        match = _ASK_LOOKUP.fullmatch(query)
        form = "ASK"
    if match is None:
        return None
    names = [found.group(1) for part in "spo" if (found := _VAR_NAME.fullmatch(match[part]))]
    if len(set(names)) != len(names):
        return None
    limit = match.groupdict().get("limit")
    return Lookup(form, None if limit is None else int(limit))
