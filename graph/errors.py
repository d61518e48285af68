"""The ways a build or a validation can fail, as types.

Each failure the pipeline can meet has its own exception class, so the CLI (and later the
service) can map it once to a message and an exit code instead of parsing strings. Every
class renders itself as a readable, self-contained message: the file, the place in it, what
is wrong and, where we know it, how to fix it.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported for annotations only: keeps this module free of heavy imports
    from pyoxigraph import Quad

__all__ = [
    "EconsecError",
    "InconsistentOntology",
    "ProvenanceError",
    "RDFSyntaxError",
    "ReasonerError",
    "ShapeViolation",
    "UnannotatedFact",
    "UnsupportedFormatError",
    "display_path",
]


def display_path(path: str | os.PathLike[str]) -> str:
    """A path as a person wants to read it: relative to the working directory when inside it."""
    p = Path(path)
    try:
        return str(p.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(p)


class EconsecError(Exception):
    """Base of every failure the pipeline reports to a person (as opposed to a bug)."""

    #: process exit code the CLI uses for this failure
    exit_code: int = 1
    #: short heading for the failure, shown before the message
    title: str = "Error"


class UnsupportedFormatError(EconsecError):
    """A file whose extension names no RDF syntax we read."""

    title = "Unsupported file format"

    def __init__(self, path: str | os.PathLike[str], supported: Sequence[str]) -> None:
        self.path = Path(path)
        self.supported = tuple(supported)
        super().__init__(
            f"{display_path(self.path)}: cannot tell the RDF syntax from the extension "
            f"{self.path.suffix or '(none)'!r}; use one of {', '.join(self.supported)}"
        )


class RDFSyntaxError(EconsecError):
    """A file that does not parse. Carries the 1-based line and column of the problem.

    ``str()`` reads like a compiler message, ``graph/sources/x.trig:12:5: <parser message>``,
    so editors and terminals can jump to the place.
    """

    title = "Syntax error"

    def __init__(
        self,
        path: str | os.PathLike[str],
        line: int | None,
        column: int | None,
        message: str,
    ) -> None:
        self.path = Path(path)
        self.line = line
        self.column = column
        self.message = message
        super().__init__(str(self))

    def __str__(self) -> str:
        where = display_path(self.path)
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class UnannotatedFact:
    """A quad found outside any passage graph: a claim with no passage to cite for it."""

    path: Path
    quad: Quad

    @property
    def where(self) -> str:
        """Which graph of the file held it, in words."""
        from pyoxigraph import DefaultGraph  # local: keep module import cheap

        graph = self.quad.graph_name
        if isinstance(graph, DefaultGraph):
            return "the default graph (outside any GRAPH block)"
        return f"graph {graph}, which is not declared as a passage (es:Passage / es:ReferenceSource)"

    @property
    def triple_text(self) -> str:
        q = self.quad
        return f"{q.subject} {q.predicate} {q.object} ."


class ProvenanceError(EconsecError):
    """Facts outside passage graphs: the build refuses claims it cannot attribute."""

    title = "Facts without provenance"
    #: at most this many facts are spelled out per file in the message
    shown_per_file: int = 5

    def __init__(self, facts: Sequence[UnannotatedFact]) -> None:
        self.facts = list(facts)
        super().__init__(str(self))

    def __str__(self) -> str:
        by_file: dict[Path, list[UnannotatedFact]] = {}
        for fact in self.facts:
            by_file.setdefault(fact.path, []).append(fact)
        lines: list[str] = []
        for path, facts in by_file.items():
            lines.append(f"{display_path(path)}: {len(facts)} fact(s) outside any passage graph")
            for fact in facts[: self.shown_per_file]:
                lines.append(f"  {fact.triple_text}")
                lines.append(f"      in {fact.where}")
            if len(facts) > self.shown_per_file:
                lines.append(f"  ... and {len(facts) - self.shown_per_file} more")
        lines.append(
            "Fix: move each fact into the passage graph of the passage that states it, e.g.\n"
            "  psg:my-doc.section { <subject> <predicate> <object> . }\n"
            "and declare that passage in the document graph:\n"
            "  g:my-doc { psg:my-doc.section a es:Passage ; es:inDocument doc:my-doc ;"
            ' es:section "Heading" . }\n'
            "(see graph/AUTHORING.md, 'Passage graphs')."
        )
        return "\n".join(lines)


class ShapeViolation(EconsecError):
    """SHACL validation found violations. Carries the typed report for rendering."""

    title = "SHACL violations"

    def __init__(self, report: Any) -> None:
        # ``report`` is an econsec.graph.validate.ValidationReport; typed as Any to avoid a cycle.
        self.report = report
        super().__init__(str(self))

    def __str__(self) -> str:
        text: str = self.report.text()
        return text


class ReasonerError(EconsecError):
    """The reasoner could not run on the input (not an inconsistency: a tool failure)."""

    title = "Reasoner failed"


class InconsistentOntology(EconsecError):
    """The ontology together with the asserted facts has no model: some statements contradict."""

    title = "Inconsistent ontology"

    def __init__(self, message: str, explanations: Sequence[str] = ()) -> None:
        self.message = message
        self.explanations = list(explanations)
        super().__init__(str(self))

    def __str__(self) -> str:
        if not self.explanations:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {e}" for e in self.explanations)
