"""Query results written by the engine itself, with the service's row limit kept.

pyoxigraph's ``QuerySolutions.serialize`` writes a result document in Rust, about five times
faster than the service's row-by-row Python writers (``writers.py``; bench/RESULTS.md measured
2.9 against 16.3 µs a row), but it has no row limit: it writes every row the query yields. This
module adds the limit from outside: it counts the rows in the bytes as they are written and
stops the engine (an exception raised from ``write``) once there are more than the limit, so
the caller can answer the ordinary way instead, cut at the limit with the truncation header.

The rows are counted by a mark every row's text contains at least once and that the document
around the rows does not. A value may contain the mark too (a literal holding ``<result>``),
which can only make the count too high: a result is then sent the ordinary way sooner than it
had to be, never longer than the limit.
"""

from __future__ import annotations

from dataclasses import dataclass

from pyoxigraph import QueryResultsFormat, QuerySolutions

__all__ = ["NATIVE", "Native", "TooManyRows", "rows_at_most", "serialize_within"]


@dataclass(frozen=True)
class Native:
    """A results format the engine writes, and the marks that count its rows."""

    format: QueryResultsFormat
    #: byte strings whose occurrences, added up, are at least the number of rows
    marks: tuple[bytes, ...]
    #: occurrences that are not rows (the TSV / CSV header line)
    header_marks: int = 0


#: keyed by ``formats.Format.key``. JSON rows are objects in one array: the first opens with
#: ``[{`` and each next one with ``},{`` (term objects follow a key, ``},"``, and strings escape
#: nothing that would make ``[`` or ``},{`` structural). XML rows are ``<result>`` elements (text
#: escapes ``<``). TSV rows are lines (values escape newlines); CSV rows are lines too, where a
#: quoted value's newline adds one more.
NATIVE = {
    "json": Native(QueryResultsFormat.JSON, (b"[{", b"},{")),
    "xml": Native(QueryResultsFormat.XML, (b"<result>",)),
    "tsv": Native(QueryResultsFormat.TSV, (b"\n",), header_marks=1),
    "csv": Native(QueryResultsFormat.CSV, (b"\n",), header_marks=1),
}


class TooManyRows(Exception):
    """The engine was stopped: the answer has more rows than the limit."""


def rows_at_most(body: bytes, native: Native) -> int:
    """An upper bound on the rows in a whole document (exact unless a value holds a mark)."""
    return sum(body.count(mark) for mark in native.marks) - native.header_marks


class _Counting:
    """The ``output`` the engine writes to: keeps the chunks, counts marks across chunk edges."""

    def __init__(self, native: Native, limit: int) -> None:
        self._marks = native.marks
        self._keep = max(len(mark) for mark in native.marks) - 1
        self._limit = limit
        self._rows = -native.header_marks
        self._tail = b""
        self.chunks: list[bytes] = []

    def write(self, data: bytes) -> int:
        # a mark split between chunks is whole in tail + data (the tail is one byte shorter than
        # the longest mark, so it never holds a split one by itself)
        data = bytes(data)
        joined = self._tail + data
        # marks wholly inside the tail were counted with the chunk before
        self._rows += sum(joined.count(mark) - self._tail.count(mark) for mark in self._marks)
        if self._rows > self._limit:
            raise TooManyRows
        self._tail = joined[-self._keep :] if self._keep else b""
        self.chunks.append(data)
        return len(data)

    def flush(self) -> None:
        pass


def serialize_within(solutions: QuerySolutions, native: Native, limit: int) -> bytes:
    """The engine's document for ``solutions``, or :class:`TooManyRows` past ``limit`` rows."""
    output = _Counting(native, limit)
    try:
        solutions.serialize(output, format=native.format)
    except TooManyRows:
        raise
    except Exception as exc:
        if isinstance(exc.__cause__, TooManyRows) or isinstance(exc.__context__, TooManyRows):
            raise TooManyRows from None
        raise
    return b"".join(output.chunks)
