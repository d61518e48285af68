"""``econsec build``: load, check provenance, reason, validate, then publish a release.

The order of failure is the order of the pipeline: a syntax error (file:line:col), facts
outside passage graphs, an inconsistent ontology, SHACL violations. Only when everything
passes is anything written, and then into a temporary directory beside the target which is
switched in by renames: a failed build never leaves a half-written ``build/`` (DESIGN §7:
"every release built, validated, then switched to, never edited in place").

Reasoning (a JVM running HermiT) and SHACL validation (pure Python) are independent, so they
run side by side; validation sees only the asserted graphs either way.

The build id is the first 12 hex digits of the SHA-256 of the sorted N-Quads: the same
sources give the same id, whatever the machine or the time.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from pyoxigraph import RdfFormat, Store, serialize
from rich.console import Console

from .corpus import Corpus, load_corpus
from .errors import ShapeViolation, display_path
from .paths import G_INFERRED, PREFIXES
from .validate import ValidationReport, validate_corpus
from .void import VoidCounts, count_dataset, write_void

__all__ = ["BuildPaths", "BuildResult", "build", "build_id_of", "build_store"]


@dataclass(frozen=True)
class BuildPaths:
    """The files of a release."""

    out_dir: Path

    @property
    def trig(self) -> Path:
        return self.out_dir / "econsec.trig"

    @property
    def nquads(self) -> Path:
        return self.out_dir / "econsec.nq"

    @property
    def void(self) -> Path:
        return self.out_dir / "void.ttl"

    @property
    def validation(self) -> Path:
        return self.out_dir / "validation.ttl"


@dataclass
class BuildResult:
    """What a build produced, for the CLI summary and for tests."""

    build_id: str
    built_at: datetime
    paths: BuildPaths
    files: list[Path]
    graphs: dict[str, int]
    total_quads: int
    inferred_triples: int
    reasoner: str | None
    reasoner_note: str | None
    validation: ValidationReport
    counts: VoidCounts
    timings: dict[str, float] = field(default_factory=dict)
    store: Store | None = field(default=None, repr=False)


class _Stages:
    """Progress reporting: a rich spinner whose text follows the stage, or nothing."""

    def __init__(self, console: Console | None, show: bool) -> None:
        self._console = console
        self._show = show and console is not None
        self._status = None

    @contextmanager
    def running(self) -> Iterator[_Stages]:
        if self._show and self._console is not None:
            with self._console.status("Building…") as status:
                self._status = status
                yield self
                self._status = None
        else:
            yield self

    def stage(self, text: str) -> None:
        if self._status is not None:
            self._status.update(text)


def build_id_of(sorted_nquads: bytes) -> str:
    """The build id: first 12 hex digits of the SHA-256 of the sorted N-Quads."""
    return hashlib.sha256(sorted_nquads).hexdigest()[:12]


def _sorted_nquads(store: Store) -> bytes:
    data = store.dump(format=RdfFormat.N_QUADS) or b""
    lines = sorted(set(data.splitlines()))
    return b"\n".join(lines) + (b"\n" if lines else b"")


def _sorted_quads(store: Store) -> list:  # type: ignore[type-arg]
    return sorted(
        store.quads_for_pattern(None, None, None, None),
        key=lambda q: (str(q.graph_name), str(q.subject), str(q.predicate), str(q.object)),
    )


def build_store(
    *,
    reason: bool = True,
    sources_dir: Path | None = None,
    reference_dir: Path | None = None,
    ontology_path: Path | None = None,
    console: Console | None = None,
) -> Corpus:
    """Load and (optionally) reason, in memory, without validating or writing anything.

    For commands that need the built graph when no ``build/`` exists (``stats``, ``export``).
    """
    corpus = load_corpus(sources_dir=sources_dir, reference_dir=reference_dir, ontology_path=ontology_path)
    if reason:
        from econsec.ontology.reasoning import reason as run_reasoner

        corpus.store.extend(run_reasoner(corpus.store, console=console).quads())
    return corpus


def build(
    out_dir: Path = Path("build"),
    *,
    reason: bool = True,
    sources_dir: Path | None = None,
    reference_dir: Path | None = None,
    ontology_path: Path | None = None,
    shapes_path: Path | None = None,
    console: Console | None = None,
    show_progress: bool = False,
    built_at: datetime | None = None,
) -> BuildResult:
    """Build a release into ``out_dir``; raise an ``EconsecError`` subclass on any failure."""
    from econsec.ontology.reasoning import ReasoningResult
    from econsec.ontology.reasoning import reason as run_reasoner

    timings: dict[str, float] = {}
    started = time.perf_counter()
    stages = _Stages(console, show_progress)
    with stages.running():
        # 1. load (syntax errors and facts without provenance stop here)
        t0 = time.perf_counter()
        corpus = load_corpus(
            sources_dir=sources_dir,
            reference_dir=reference_dir,
            ontology_path=ontology_path,
            on_file=lambda p: stages.stage(f"Loading {display_path(p)}"),
        )
        timings["load"] = time.perf_counter() - t0
        store = corpus.store

        # 2. reason and 3. validate, side by side
        stages.stage("Reasoning (HermiT) and validating (SHACL)…" if reason else "Validating (SHACL)…")
        t0 = time.perf_counter()
        reasoning: ReasoningResult | None = None
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="econsec-reason") as pool:
            future = None
            if reason:

                def timed_reason() -> ReasoningResult:
                    t = time.perf_counter()
                    try:
                        return run_reasoner(store, console=console)
                    finally:
                        timings["reason"] = time.perf_counter() - t

                future = pool.submit(timed_reason)
            t1 = time.perf_counter()
            try:
                report = validate_corpus(corpus, shapes_path=shapes_path)
            finally:
                timings["validate"] = time.perf_counter() - t1
                # wait for the reasoner before leaving, whatever happened
                reasoning = future.result() if future is not None else None
        timings["reason+validate"] = time.perf_counter() - t0
        if not report.conforms:
            raise ShapeViolation(report)
        if reasoning is not None:
            store.extend(reasoning.quads())

        # 4. write the release next to its target, then switch
        stages.stage(f"Writing {display_path(out_dir)}")
        t0 = time.perf_counter()
        built_at = built_at or datetime.now(UTC)
        nquads = _sorted_nquads(store)
        build_id = build_id_of(nquads)
        counts = count_dataset(store)
        _publish(out_dir, store, nquads, report, build_id=build_id, built_at=built_at, counts=counts)
        timings["write"] = time.perf_counter() - t0
    timings["total"] = time.perf_counter() - started

    return BuildResult(
        build_id=build_id,
        built_at=built_at,
        paths=BuildPaths(out_dir),
        files=list(corpus.files),
        graphs=dict(sorted(counts.graphs.items())),
        total_quads=counts.triples,
        inferred_triples=counts.graphs.get(G_INFERRED.value, 0),
        reasoner=reasoning.reasoner if reasoning else None,
        reasoner_note=reasoning.note if reasoning else None,
        validation=report,
        counts=counts,
        timings=timings,
        store=store,
    )


def _publish(
    out_dir: Path,
    store: Store,
    nquads: bytes,
    report: ValidationReport,
    *,
    build_id: str,
    built_at: datetime,
    counts: VoidCounts,
) -> None:
    """Write every file into a fresh directory beside ``out_dir``, then rename it into place."""
    out_dir = out_dir.absolute()
    out_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{out_dir.name}.", suffix=".new", dir=out_dir.parent))
    try:
        os.chmod(staging, 0o755)
        paths = BuildPaths(staging)
        paths.nquads.write_bytes(nquads)
        trig = serialize(_sorted_quads(store), format=RdfFormat.TRIG, prefixes=PREFIXES) or b""
        paths.trig.write_bytes(trig)
        write_void(paths.void, store, build_id=build_id, built_at=built_at, counts=counts)
        report.graph.serialize(destination=paths.validation, format="turtle")
        _switch(staging, out_dir)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _switch(staging: Path, out_dir: Path) -> None:
    """Put ``staging`` at ``out_dir``: the old release moves aside first and is removed after."""
    if not out_dir.exists():
        staging.rename(out_dir)
        return
    retired = out_dir.parent / f".{out_dir.name}.old-{os.getpid()}-{time.time_ns()}"
    out_dir.rename(retired)
    try:
        staging.rename(out_dir)
    except BaseException:
        retired.rename(out_dir)  # put the previous release back
        raise
    shutil.rmtree(retired, ignore_errors=True)
