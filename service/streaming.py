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

__all__ = ["is_streaming"]

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
