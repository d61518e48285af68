"""The failures a write can meet, as types the app's one error handler turns into answers."""

from __future__ import annotations

from typing import ClassVar

from ..errors import BadRequest, Forbidden, QuerySyntaxError, ServiceError

__all__ = [
    "BuildGraphsProtected",
    "GraphNotFound",
    "MalformedRDF",
    "ProtectedGraph",
    "RdfNestingTooDeep",
    "ShapeViolation",
    "SourceGraphProtected",
    "UnsupportedUpdate",
    "UpdateSyntaxError",
    "WriteTimeout",
]


class UpdateSyntaxError(QuerySyntaxError):
    """The update does not parse: pyoxigraph's own message and position."""

    title = "Malformed update"


class UnsupportedUpdate(BadRequest):
    """A well-formed update this service will not run (LOAD, for one); says what to do instead."""

    title = "Update not supported"


class ProtectedGraph(Forbidden):
    """A write into a graph the build owns (the ontology, the inferred graph)."""

    title = "Graph maintained by the build"


class BuildGraphsProtected(Forbidden):
    """CLEAR ALL / DROP ALL (or NAMED) while the build's graphs are in the store; names them."""

    title = "Graphs maintained by the build"

    def __init__(self, message: str, graphs: list[str]) -> None:
        super().__init__(message)
        self.graphs = graphs

    def details(self) -> dict[str, object]:
        return {"protected_graphs": self.graphs}


class SourceGraphProtected(Forbidden):
    """DELETE/PUT of a whole build graph, or DROP/CLEAR/MOVE/COPY over one, without the explicit
    ``replace-source=true`` parameter (README, "Integrity rules")."""

    title = "Source graph protected"

    def __init__(self, message: str, graph: str, operation: str) -> None:
        super().__init__(message)
        self.graph = graph
        self.operation = operation

    def details(self) -> dict[str, object]:
        return {"graph": self.graph, "operation": self.operation, "override": "replace-source=true"}


class GraphNotFound(ServiceError):
    """Graph Store Protocol GET or DELETE of a graph the store does not have."""

    status = 404
    title = "No such graph"


class MalformedRDF(BadRequest):
    """A Graph Store Protocol body that does not parse; the parser names the line and column."""

    title = "Malformed RDF"


class RdfNestingTooDeep(BadRequest):
    """An RDF body nested deeper than the parsers may recurse (``write/nesting.py``); refused unparsed."""

    title = "RDF nested too deeply"

    def __init__(self, limit: int, *, offset: int | None, syntax: str) -> None:
        where = f" (at character {offset})" if offset is not None else ""
        super().__init__(
            f"the {syntax} body nests more than {limit} levels deep{where}: collections, blank-node "
            "property lists, quoted triples, JSON objects and arrays or XML elements, counted "
            f"together; the limit is {limit}. Flatten it (name the nodes instead of nesting them). "
            "Nothing was changed."
        )
        self.limit = limit
        self.offset = offset

    def details(self) -> dict[str, object]:
        return {"limit": self.limit, "offset": self.offset}


class ShapeViolation(ServiceError):
    """The write would leave the graph violating the SHACL shapes; nothing was changed."""

    status: ClassVar[int] = 422
    title: ClassVar[str] = "Write violates the shapes"

    def __init__(self, message: str, results: list[dict[str, str | None]], focus_nodes: int) -> None:
        super().__init__(message)
        self.results = results
        self.focus_nodes = focus_nodes

    def details(self) -> dict[str, object]:
        return {"focus_nodes": self.focus_nodes, "results": self.results}

    def text(self) -> str:
        lines = [super().text().rstrip("\n")]
        for r in self.results:
            path = f" {r['path']}" if r.get("path") else ""
            value = f" = {r['value']}" if r.get("value") else ""
            lines.append(f"  {r['focus']}{path}{value}: {r['message']}")
        return "\n".join(lines) + "\n"


class WriteTimeout(ServiceError):
    """The write could not be computed and validated within ``ECONSEC_QUERY_TIMEOUT``; nothing changed."""

    status = 504
    title = "Write timeout"

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        super().__init__(
            f"the write was not ready to commit within {seconds:g} s (ECONSEC_QUERY_TIMEOUT). "
            "Nothing was changed: split it into smaller writes"
        )
