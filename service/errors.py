"""The failures a client can cause, as types, each with its HTTP status and a readable message.

Store backends, the executor and the routers raise these; :func:`error_response` in ``app.py``
turns any of them into an answer in one place. Nothing here imports the web framework, so the
CLI and the store code raise the same types. The message is written for the person who sent the
request: what was wrong and, where there is one, what to do instead.
"""

from __future__ import annotations

import errno
import re
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, ClassVar

if TYPE_CHECKING:  # the hints module imports this one
    from .sparql.syntax_hints import Hint

__all__ = [
    "BadRequest",
    "EngineCrashed",
    "ExpressionTooLong",
    "Forbidden",
    "InsufficientStorage",
    "NestingTooDeep",
    "NotAcceptable",
    "Overloaded",
    "PayloadTooLarge",
    "QueryResourcesExceeded",
    "QuerySyntaxError",
    "QueryTimeout",
    "ReadOnly",
    "ServiceError",
    "ServiceRefused",
    "SparqlLexError",
    "StoreError",
    "TooManyRequests",
    "UnsupportedMediaType",
    "UpstreamFailed",
]


class ServiceError(Exception):
    """Base of every failure the service reports to a client; ``status`` is its HTTP code."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"

    def __init__(self, message: str, *, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: dict[str, str] = dict(headers or {})

    def details(self) -> dict[str, object]:
        """Extra machine-readable fields for the JSON error body."""
        return {}

    def text(self) -> str:
        """The plain-text body: title, then the message."""
        return f"{self.title}: {self.message}\n"


class BadRequest(ServiceError):
    """The request is not a valid SPARQL Protocol request (missing query, bad parameter...)."""

    status = 400
    title = "Bad request"


_POSITION = re.compile(r"\berror at (\d+):(\d+)\b")
#: characters of the offending line shown either side of the column in a syntax error's excerpt
_EXCERPT = 80


class QuerySyntaxError(BadRequest):
    """The query does not parse; carries the parser's own words, the position when it gives one,
    and an explanation for people (``sparql/syntax_hints.py``: which prefix is undeclared, which
    bracket is unclosed) with the spans of the query an editor should highlight."""

    title = "Malformed query"

    def __init__(self, message: str, query: str | None = None) -> None:
        super().__init__(message)
        match = _POSITION.search(message)
        self.line: int | None = int(match.group(1)) if match else None
        self.column: int | None = int(match.group(2)) if match else None
        self.query = query
        self.hint: Hint | None = None
        if query is not None and self.line is not None:
            # imported here: the lexer the hints read the query with imports this module
            from .sparql.syntax_hints import explain

            self.hint = explain(query, self.line, self.column, message)

    @classmethod
    def from_parser(cls, exc: SyntaxError, query: str) -> QuerySyntaxError:
        """From pyoxigraph's SyntaxError, whose text reads ``error at LINE:COLUMN: expected ...``."""
        return cls(str(exc), query)

    def details(self) -> dict[str, object]:
        found: dict[str, object] = {"line": self.line, "column": self.column}
        if self.hint is not None:
            found["explanation"] = self.hint.message
            found["marks"] = [mark.as_json() for mark in self.hint.marks]
        return found

    def excerpt(self) -> str | None:
        """The offending line with a caret under the column, when the position is known."""
        if self.query is None or self.line is None or self.column is None:
            return None
        lines = self.query.splitlines()
        if not 1 <= self.line <= len(lines):
            return None
        source = lines[self.line - 1]
        column = max(self.column - 1, 0)
        if len(source) > 2 * _EXCERPT:  # a window around the column, not a megabyte-long line
            start = max(column - _EXCERPT, 0)
            cut = source[start : column + _EXCERPT]
            source = ("…" if start else "") + cut + ("…" if column + _EXCERPT < len(source) else "")
            column = column - start + (1 if start else 0)
        prefix = f"{self.line:>4} | "
        caret = " " * (len(prefix) + column) + "^"
        return f"{prefix}{source}\n{caret}"

    def text(self) -> str:
        if self.hint is None:
            body = super().text()
            excerpt = self.excerpt()
            return f"{body}\n{excerpt}\n" if excerpt else body
        from .sparql.syntax_hints import condense

        parts = [f"{self.title}: {self.hint.message}\n"]
        excerpt = self.excerpt()
        if excerpt:
            parts.append(f"\n{excerpt}\n")
        parts.append(f"\nThe parser says: {condense(self.message)}\n")
        return "".join(parts)


class SparqlLexError(BadRequest):
    """The text cannot be split into SPARQL tokens (an unterminated string, a stray backslash)."""

    title = "Malformed query"

    def __init__(self, message: str, *, offset: int) -> None:
        super().__init__(f"{message} at offset {offset}")
        self.offset = offset

    def details(self) -> dict[str, object]:
        return {"offset": self.offset}


class ExpressionTooLong(SparqlLexError):
    """More operators in one text than the engine's recursive evaluator can take: refused before it
    sees them (a chain of 10,000 ``||`` kills pyoxigraph 0.5.13 with a stack overflow)."""

    title = "Expression too long"

    def __init__(self, limit: int, *, offset: int) -> None:
        super().__init__(
            f"the text holds more than {limit} operators (||, &&, |, +, -, *, /); write long "
            "alternatives as a VALUES block or an IN list instead",
            offset=offset,
        )
        self.limit = limit

    def details(self) -> dict[str, object]:
        return {"offset": self.offset, "limit": self.limit}


class NestingTooDeep(SparqlLexError):
    """Brackets nested deeper than the lexer's limit: refused before the engine's parser recurses."""

    title = "Query nested too deeply"

    def __init__(self, limit: int, *, offset: int) -> None:
        super().__init__(
            f"brackets are nested more than {limit} deep; flatten the query (a VALUES block or "
            "a UNION of simpler patterns instead of deeper nesting)",
            offset=offset,
        )
        self.limit = limit

    def details(self) -> dict[str, object]:
        return {"offset": self.offset, "limit": self.limit}


class ServiceRefused(BadRequest):
    """A SERVICE or LOAD target off the federation allowlist: refused before any connection."""

    title = "Federation target refused"

    def __init__(self, message: str, *, target: str | None, reason: str, kind: str | None) -> None:
        super().__init__(message)
        self.target, self.reason, self.kind = target, reason, kind

    def details(self) -> dict[str, object]:
        return {"target": self.target, "reason": self.reason, "kind": self.kind}


class Forbidden(ServiceError):
    """The request is understood and refused."""

    status = 403
    title = "Forbidden"


class ReadOnly(Forbidden):
    """A write (SPARQL Update) reached a service that does not accept writes."""

    title = "Read-only endpoint"


class NotAcceptable(ServiceError):
    """No representation the client accepts: says which ones there are."""

    status = 406
    title = "Not acceptable"

    def __init__(self, message: str, available: Iterable[str]) -> None:
        self.available = list(available)
        super().__init__(f"{message}. Available: {', '.join(self.available)}")

    def details(self) -> dict[str, object]:
        return {"available": self.available}


class PayloadTooLarge(ServiceError):
    """The request body is bigger than ``ECONSEC_MAX_BODY_BYTES``."""

    status = 413
    title = "Request body too large"

    def __init__(self, limit: int) -> None:
        self.limit = limit
        super().__init__(
            f"the request body exceeds {limit:,} bytes (ECONSEC_MAX_BODY_BYTES); "
            "send a shorter query, or load large data with `econsec load`"
        )

    def details(self) -> dict[str, object]:
        return {"limit": self.limit}


class UnsupportedMediaType(ServiceError):
    """The body's Content-Type is not one this operation reads: says which ones it does."""

    status = 415
    title = "Unsupported media type"

    def __init__(self, content_type: str, supported: Iterable[str]) -> None:
        self.supported = list(supported)
        shown = content_type or "(none)"
        super().__init__(f"cannot read a body of type {shown}. Send one of: {', '.join(self.supported)}")

    def details(self) -> dict[str, object]:
        return {"supported": self.supported}


class Overloaded(ServiceError):
    """Every worker is busy and the waiting line is full: come back shortly."""

    status = 503
    title = "Service busy"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class TooManyRequests(ServiceError):
    """This client already has as many long-running queries as one client may (fair admission)."""

    status = 429
    title = "Too many requests"

    def __init__(self, message: str, retry_after: int = 1) -> None:
        super().__init__(message, headers={"Retry-After": str(retry_after)})


class QueryTimeout(ServiceError):
    """The query did not finish within ``ECONSEC_QUERY_TIMEOUT``."""

    status = 504
    title = "Query timeout"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"the query did not finish within {seconds:g} s (ECONSEC_QUERY_TIMEOUT). "
            "Narrow it (more specific patterns, a LIMIT), or run it on a local build "
            "of the graph where no timeout applies"
        )

    def details(self) -> dict[str, object]:
        return {"timeout_seconds": self.seconds}


class QueryResourcesExceeded(ServiceError):
    """The query needed more memory than one query may have (``ECONSEC_QUERY_MEMORY_MB``)."""

    status = 503
    title = "Query too expensive"

    def __init__(self, memory_mb: int) -> None:
        self.memory_mb = memory_mb
        super().__init__(
            f"the query needed more than {memory_mb} MB of memory (ECONSEC_QUERY_MEMORY_MB) and was "
            "stopped. Narrow it: join on shared variables instead of forming a cross product, "
            "bound property paths, and add a LIMIT to sorted results"
        )

    def details(self) -> dict[str, object]:
        return {"memory_mb": self.memory_mb}


class StoreError(ServiceError):
    """The store failed while answering (I/O, a corrupt database): not the client's fault."""

    status = 500
    title = "Store error"


class InsufficientStorage(StoreError):
    """The disk (or quota) holding the store is full: the write was not committed, nothing changed.

    Raised instead of :class:`StoreError` for ``ENOSPC`` / ``EDQUOT`` (:meth:`from_os_error`), so a
    client is told 507 and that retrying will not help until space is freed.
    """

    status = 507
    title = "Insufficient storage"

    #: what the store's own errors say when they carry no errno (RocksDB's IO errors are text)
    _MARKS: ClassVar[tuple[str, ...]] = ("no space left on device", "disk quota exceeded")

    @classmethod
    def matches(cls, exc: BaseException) -> bool:
        """Whether ``exc`` means "the disk or the quota is full"."""
        if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
            return True
        return any(mark in str(exc).lower() for mark in cls._MARKS)

    @classmethod
    def from_os_error(cls, exc: BaseException, what: str) -> InsufficientStorage:
        return cls(
            f"{what}: the disk holding the store is full ({exc}). Nothing was changed. Free some "
            "space (or raise the quota) and restart the service: the store stops writing after a "
            "failed write and, reopened, replays its log with every write that was acknowledged"
        )


class EngineCrashed(StoreError):
    """The worker process evaluating the query died of a signal (a stack overflow in the engine's
    recursive evaluator is the usual one): that query's fault, reported as what happened, not as
    memory. The service and the other workers carry on."""

    title = "Query crashed the engine"

    def __init__(self, signal_name: str) -> None:
        self.signal_name = signal_name
        super().__init__(
            f"the query crashed the engine's worker ({signal_name}); the service is unaffected. "
            "Very long chains of || or && and deeply nested expressions are the usual cause: "
            "write them as a VALUES block or an IN list instead"
        )

    def details(self) -> dict[str, object]:
        return {"signal": self.signal_name}


class UpstreamFailed(ServiceError):
    """A federated SERVICE endpoint failed (unreachable, an error, a redirect): not this store."""

    status = 502
    title = "Federated endpoint failed"

    def __init__(self, endpoints: Iterable[str], cause: str) -> None:
        self.endpoints = list(endpoints)
        super().__init__(
            f"the query calls {', '.join(self.endpoints)} and the call failed: {cause}. "
            "Use SERVICE SILENT to get the local part of the answer when a remote endpoint fails"
        )

    def details(self) -> dict[str, object]:
        return {"endpoints": self.endpoints}
