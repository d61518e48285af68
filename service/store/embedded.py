"""The embedded backend: a pyoxigraph Store on disk, filled from the build and kept across restarts.

The data directory holds ``oxigraph/`` (the RocksDB database) and ``store.json`` (which release
filled it, when, and whether anything was loaded on top since). On start:

- an empty store is filled from ``build/econsec.nq`` with the bulk loader;
- a store filled from the same release is opened as it is: nothing is reloaded;
- a store filled from an *older* release (or whose fill never finished), with nothing loaded
  on top, is rebuilt from the current one, so ``make run`` after an edit serves the edit; a
  store with data loaded on top (``econsec load``) or written through the service (SPARQL
  Update, Graph Store Protocol) is kept, with a warning that it is behind: written data is never
  thrown away by publishing a new build. To move such a store to the new build, export what was
  written, remove the data directory, restart, and write it again.

Writes (:meth:`EmbeddedStore.apply`) commit as one pyoxigraph ``Store.update`` (``DELETE DATA``
then ``INSERT DATA``), which is one RocksDB transaction: readers see all of a write or none of
it, and since the transaction is in RocksDB's write-ahead log before ``apply`` returns, an
acknowledged write survives the process being killed. ``store.json`` records that the store has
been written to *before* the first write commits, so a restart can never mistake a written store
for a pristine copy of the build.

One process owns the store (RocksDB locks the directory; DESIGN §3): a second ``serve`` or a
``load`` while the service runs fails with :class:`StoreLocked`, which says so. The one
exception is ``econsec serve --workers N``, where N processes read the store and none writes
(:meth:`EmbeddedStore.open_read_only`); writable opens are refused meanwhile through a lock file
the readers hold shared (:func:`held_for_readers`).

pyoxigraph's Store is safe to query from many threads at once and releases the GIL while it
evaluates, which is what the executor's thread pool relies on.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from threading import Lock

from econsec.graph.stats import triples_per_graph
from econsec.graph.void import read_build_info
from econsec.queries import internal
from pyoxigraph import (
    BlankNode,
    DefaultGraph,
    NamedNode,
    Quad,
    RdfFormat,
    Store,
    Triple,
    parse,
    serialize,
)

from ..errors import BadRequest, InsufficientStorage, StoreError
from ..settings import Settings
from .base import QueryResult, Term, WriteDelta
from .evaluate import evaluate, graph_iri

__all__ = ["EmbeddedStore", "StoreLocked", "StoreRecord", "held_for_readers", "read_build_id"]

_DCTERMS_IDENTIFIER = NamedNode("http://purl.org/dc/terms/identifier")
_RECORD_NAME = "store.json"
_JOURNAL_NAME = "write-undo.jsonl"


class StoreLocked(StoreError):
    """Another process has the store open (RocksDB holds a lock on the directory)."""

    title = "Store in use"


def read_build_id(void_path: Path) -> str | None:
    """The release id (``dcterms:identifier`` of the dataset) in a build's VoID file, if any."""
    return read_build_info(void_path).id


def _build_fingerprint(settings: Settings) -> str | None:
    """What identifies the current build: its VoID id, else the N-Quads file's size and mtime."""
    nquads = settings.nquads_path
    if not nquads.is_file():
        return None
    build_id = read_build_id(settings.void_path)
    if build_id:
        return build_id
    stat = nquads.stat()
    return f"file:{stat.st_size}:{stat.st_mtime_ns}"


#: 1: named graphs only; 2: the default graph also holds the merge of all named graphs
STORE_LAYOUT = 2


@dataclass
class StoreRecord:
    """``store.json``: where the store's content came from."""

    build_id: str | None = None
    #: how the store is laid out; a store of another layout is refilled from the build
    layout: int = STORE_LAYOUT
    source: str | None = None
    loaded_at: str | None = None
    #: files ``econsec load`` added on top of the build (so the store is no longer the build)
    loaded_files: list[str] = field(default_factory=list)
    #: when the first write through the service (SPARQL Update, Graph Store Protocol) was accepted
    written_since: str | None = None

    @property
    def modified(self) -> bool:
        return bool(self.loaded_files) or self.written_since is not None

    @classmethod
    def read(cls, path: Path) -> StoreRecord | None:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        keys = ("build_id", "source", "loaded_at", "loaded_files", "written_since")
        known = {k: data[k] for k in keys if k in data}
        return cls(**known, layout=int(data.get("layout", 1)))

    def write(self, path: Path) -> None:
        """Write atomically (temporary file, then rename): a crash never leaves half a record."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".store-", suffix=".json", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                json.dump(asdict(self), out, indent=2)
                out.write("\n")
            os.replace(tmp, path)
        except BaseException:  # a full disk: leave the old record, and no temporary file
            Path(tmp).unlink(missing_ok=True)
            raise


#: held shared by ``econsec serve --workers N`` while its processes read the store
READERS_LOCK = "readers.lock"


def _check_no_readers(data_dir: Path) -> None:
    """Refuse to open the store writable while processes read it (:func:`held_for_readers`).

    pyoxigraph's read-only mode is undefined behaviour next to a writer, and RocksDB's own lock
    only keeps writers apart, so readers hold this lock file shared and a writer must get it
    exclusively.
    """
    path = data_dir / READERS_LOCK
    if not path.exists():
        return
    with path.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise StoreLocked(
                f"the store in {data_dir} is being served read-only by `econsec serve --workers` "
                "(several processes read it). Stop that service first."
            ) from None


@contextmanager
def held_for_readers(data_dir: Path) -> Iterator[None]:
    """Keep writable opens of the store refused while the block runs (see :func:`_check_no_readers`)."""
    with (data_dir / READERS_LOCK).open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_SH)
        yield


def _open_rocksdb(path: Path) -> Store:
    try:
        return Store(str(path))
    except OSError as exc:
        text = str(exc)
        if "lock" in text.lower():
            raise StoreLocked(
                f"the store in {path} is open in another process (is `econsec serve` running?). "
                "Stop it first: one process owns the store."
            ) from None
        raise StoreError(f"cannot open the store in {path}: {text}") from exc


class EmbeddedStore:
    """A pyoxigraph Store in ``settings.data_dir``; implements :class:`~.base.StoreBackend`."""

    def __init__(self, store: Store, settings: Settings, record: StoreRecord, note: str) -> None:
        self._store: Store | None = store
        self._settings = settings
        self._record = record
        #: what opening did, in one line ("filled from build/econsec.nq", "opened: ...")
        self.note = note
        self._counts: dict[str | None, int] = {}
        self._counts_lock = Lock()
        #: opened with :meth:`open_read_only`: nobody writes it while it is open
        self.read_only = False

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, *, warn: Callable[[str], None] | None = None) -> EmbeddedStore:
        """Open (creating it if needed) the store in ``settings.data_dir``; fill it from the build when empty.

        ``warn`` is told when the store is kept although the build has moved on, and when a write
        that was cut short is rolled back (see :meth:`record_undo`).
        """
        opened = cls._open(settings, warn=warn)
        reverted = opened.undo()
        if reverted and warn is not None:
            warn(f"rolled back a write that was cut short before it was acknowledged ({reverted} step(s))")
        return opened

    @classmethod
    def _open(cls, settings: Settings, *, warn: Callable[[str], None] | None = None) -> EmbeddedStore:
        record_path = settings.data_dir / _RECORD_NAME
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        record = StoreRecord.read(record_path) or StoreRecord()
        _check_no_readers(settings.data_dir)
        store = _open_rocksdb(settings.store_dir)
        current = _build_fingerprint(settings)
        if current is None:  # no build: serve what the store holds
            note = f"opened {settings.store_dir} ({'empty' if not store else 'no build to compare with'})"
            return cls(store, settings, record, note)
        if not store:
            record = cls._fill(store, settings, current)
            return cls(store, settings, record, f"filled from {settings.nquads_path} (build {current})")
        # a different build, or none recorded (a fill that never finished): reload, unless
        # files were loaded on top, which a reload would lose
        if record.build_id != current or record.layout != STORE_LAYOUT:
            if record.modified:
                if warn is not None:
                    written = f", and writes since {record.written_since}" if record.written_since else ""
                    warn(
                        f"the store holds build {record.build_id} plus {len(record.loaded_files)} loaded "
                        f"file(s){written}; {settings.build_dir} now has build {current}. Kept as it is: "
                        f"remove {settings.data_dir} to start from the new build."
                    )
                return cls(store, settings, record, f"opened {settings.store_dir} (behind the build)")
            del store  # the last reference: RocksDB closes before its files go
            shutil.rmtree(settings.store_dir)
            store = _open_rocksdb(settings.store_dir)
            record = cls._fill(store, settings, current)
            return cls(store, settings, record, f"reloaded from {settings.nquads_path} (build {current})")
        return cls(store, settings, record, f"opened {settings.store_dir} (build {record.build_id})")

    @classmethod
    def open_read_only(cls, settings: Settings) -> EmbeddedStore:
        """A read-only view of a store that nobody writes while it is open (``serve --workers``:
        the parent process filled it, then holds :func:`held_for_readers`)."""
        record = StoreRecord.read(settings.data_dir / _RECORD_NAME) or StoreRecord()
        try:
            store = Store.read_only(str(settings.store_dir))
        except OSError as exc:
            raise StoreError(f"cannot open the store in {settings.store_dir} read-only: {exc}") from exc
        opened = cls(
            store, settings, record, f"read-only view of {settings.store_dir} (build {record.build_id})"
        )
        opened.read_only = True
        return opened

    @staticmethod
    def _fill(store: Store, settings: Settings, build_id: str) -> StoreRecord:
        """Bulk-load the build into an empty store, then record it (a fill cut short records
        nothing, so the next start sees an unrecorded store and fills it again)."""
        record_path = settings.data_dir / _RECORD_NAME
        record_path.unlink(missing_ok=True)
        try:
            store.bulk_load(path=str(settings.nquads_path), format=RdfFormat.N_QUADS)
            for graph in list(store.named_graphs()):
                merge_into_default_graph(store, store.quads_for_pattern(None, None, None, graph))
            store.flush()
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"cannot load {settings.nquads_path}: {exc}") from exc
        record = StoreRecord(
            build_id=build_id,
            source=str(settings.nquads_path.resolve()),
            loaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        record.write(record_path)
        return record

    # --- StoreBackend ----------------------------------------------------------------------

    @property
    def store(self) -> Store:
        if self._store is None:
            raise StoreError("the store has been closed")
        return self._store

    @property
    def description(self) -> str:
        read_only = " (read-only)" if self.read_only else ""
        return f"embedded pyoxigraph store in {self._settings.store_dir}{read_only}"

    @property
    def build_id(self) -> str | None:
        return self._record.build_id

    @property
    def loaded_at(self) -> str | None:
        return self._record.loaded_at

    @property
    def written_since(self) -> str | None:
        return self._record.written_since

    @property
    def record(self) -> StoreRecord:
        return self._record

    def query(
        self,
        text: str,
        *,
        default_graph_uris: Sequence[str] = (),
        named_graph_uris: Sequence[str] = (),
        substitutions: Mapping[str, Term] | None = None,
    ) -> QueryResult:
        """Evaluate ``text``; see :meth:`StoreBackend.query` for the dataset rules."""
        return evaluate(
            self.store,
            text,
            default_graph_uris=default_graph_uris,
            named_graph_uris=named_graph_uris,
            substitutions=substitutions,
            base_iri=self._settings.sparql_base_iri,  # relative IRIs resolve against the endpoint's URL
        )

    def triple_count(self, graph: str | None = None) -> int:
        """Counted once and cached (the store only changes through this object: one owner)."""
        with self._counts_lock:
            if graph not in self._counts:
                if graph is None:  # the default graph: the merge, where a triple in two graphs counts once
                    text = internal.get("default-graph-size").text
                    row = next(iter(self.store.query(text)))  # type: ignore[call-overload]
                    self._counts[graph] = int(row[0].value)
                else:
                    graph_iri(graph, "graph")  # 400 for a malformed graph IRI, as before
                    self._counts[graph] = triples_per_graph(self.store, graph).get(graph, 0)
            return self._counts[graph]

    def named_graphs(self) -> list[str]:
        return sorted(g.value for g in self.store.named_graphs() if isinstance(g, NamedNode))

    # --- writes (the write path in ``service/write`` computes and validates the delta) ----

    def quads(
        self,
        subject: NamedNode | BlankNode | None = None,
        predicate: NamedNode | None = None,
        object: Term | None = None,
        graph: NamedNode | None = None,
    ) -> Iterator[Quad]:
        """Named-graph quads matching the pattern; the materialised default graph is left out."""
        for quad in self.store.quads_for_pattern(subject, predicate, object, graph):
            if not isinstance(quad.graph_name, DefaultGraph):
                yield quad

    def has_graph(self, graph: NamedNode) -> bool:
        return self.store.contains_named_graph(graph)

    def apply(self, delta: WriteDelta) -> None:
        """Commit ``delta`` in one transaction, with the default graph kept the merge of the named graphs.

        A triple inserted into any named graph goes into the default graph; a triple deleted from
        a named graph leaves the default graph only when no named graph holds it afterwards, and
        so does a triple with a blank node that went with a dropped graph.
        """
        if not delta:
            return
        for quad in (*delta.inserts, *delta.deletes):
            if any(isinstance(t, BlankNode) for t in (quad.subject, quad.object)):
                raise ValueError("blank nodes cannot be committed: skolemise them first")
        store = self.store
        default_inserts: set[Triple] = set()
        for quad in delta.inserts:
            triple = quad.triple
            if triple not in default_inserts and not _in_default_graph(store, triple):
                default_inserts.add(triple)
        inserted = {q.triple for q in delta.inserts}
        default_deletes: set[Triple] = set()
        for quad in delta.deletes:
            triple = quad.triple
            if triple in inserted or triple in default_deletes:
                continue
            holders = {
                q.graph_name
                for q in store.quads_for_pattern(triple.subject, triple.predicate, triple.object, None)
                if not isinstance(q.graph_name, DefaultGraph)
                and Quad(triple.subject, triple.predicate, triple.object, q.graph_name) not in delta.deletes
            }
            if not holders:
                default_deletes.add(triple)
        if self._record.written_since is None:  # recorded before the first write can land
            written = replace(self._record, written_since=datetime.now(UTC).isoformat(timespec="seconds"))
            try:
                written.write(self._settings.data_dir / _RECORD_NAME)
            except OSError as exc:
                raise _write_failed(exc, "the store's record could not be updated") from exc
            self._record = written
        text = update_text(delta, default_inserts, default_deletes)
        if delta.dropped_graphs:
            # a dropped graph's blank-node triples were never listed as deletes (none can name a
            # blank node): they leave the default graph here, in the same transaction
            text += " ;\n" + internal.update("default-graph-orphans")
        try:
            store.update(text)
        except (SyntaxError, OSError, RuntimeError) as exc:
            raise _write_failed(exc, "the write could not be committed") from exc
        with self._counts_lock:
            self._counts.clear()

    # --- the undo journal: writes that must commit in steps --------------------------------
    #
    # A multi-operation update whose later WHERE must see earlier operations is committed in
    # steps (``write/service.py``). Before each step the inverse of its delta is appended to
    # ``write-undo.jsonl`` and synced; once the whole write is accepted the journal is removed,
    # and only then is the client answered. A journal found at start-up belongs to a write that
    # was never acknowledged: it is replayed, newest step first, so the store is as before that
    # write. Replaying is idempotent (DELETE DATA / INSERT DATA / SILENT graph operations), so a
    # crash during the replay is repaired by the next start.

    @property
    def journal_path(self) -> Path:
        return self._settings.data_dir / _JOURNAL_NAME

    def record_undo(self, delta: WriteDelta) -> None:
        """Append the inverse of ``delta`` to the undo journal, durably, before ``delta`` is applied."""
        entry = {
            "inserts": serialize(delta.deletes, format=RdfFormat.N_QUADS).decode("utf-8"),  # type: ignore[union-attr]
            "deletes": serialize(delta.inserts, format=RdfFormat.N_QUADS).decode("utf-8"),  # type: ignore[union-attr]
            "created": sorted(g.value for g in delta.dropped_graphs),
            "dropped": sorted(g.value for g in delta.created_graphs),
        }
        try:
            with self.journal_path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(entry) + "\n")
                out.flush()
                os.fsync(out.fileno())
        except OSError as exc:
            # a line cut short is ignored by undo(): its step was never applied
            raise _write_failed(exc, "the undo journal could not be written") from exc

    def forget_undo(self) -> None:
        """The write is complete: drop the journal (this is its commit point)."""
        self.journal_path.unlink(missing_ok=True)

    def undo(self) -> int:
        """Revert the steps the journal records, newest first, then remove it; return how many."""
        if not self.journal_path.is_file():
            return 0
        entries = []
        for line in self.journal_path.read_text(encoding="utf-8").splitlines():
            try:
                entries.append(json.loads(line))
            except ValueError:
                break  # a line cut short by the crash: its step was never applied
        for entry in reversed(entries):
            self.apply(
                WriteDelta(
                    inserts=set(parse(entry["inserts"].encode(), format=RdfFormat.N_QUADS)),
                    deletes=set(parse(entry["deletes"].encode(), format=RdfFormat.N_QUADS)),
                    created_graphs={NamedNode(g) for g in entry["created"]},
                    dropped_graphs={NamedNode(g) for g in entry["dropped"]},
                )
            )
        self.store.flush()
        self.forget_undo()
        return len(entries)

    def close(self) -> None:
        if self._store is not None:
            self._store.flush()
            self._store = None  # RocksDB closes (and unlocks) when the last reference goes

    # --- loading (``econsec load``) ------------------------------------------------------

    def load_file(self, path: Path, *, graph: str | None = None) -> int:
        """Bulk-load one RDF file; return how many quads the store gained.

        Dataset formats (TriG, N-Quads, JSON-LD) keep their graphs; triples outside any graph
        (and every triple of Turtle, N-Triples, RDF/XML) go into ``graph``, which such files need.
        The file is parsed once before loading, so a syntax error leaves the store unchanged
        (the bulk loader itself is not transactional).
        """
        fmt = rdf_format_for(path)
        target = graph_iri(graph, "--graph") if graph is not None else None
        if target is None and not fmt.supports_datasets:
            raise BadRequest(
                f"{path} holds triples ({fmt.name}): say which named graph they go into with --graph IRI"
            )
        try:
            for _ in parse(path=str(path), format=fmt):
                pass
        except SyntaxError as exc:
            raise BadRequest(f"{path}: {exc}") from None
        before = len(self.store)
        try:
            self.store.bulk_load(path=str(path), format=fmt, to_graph=target)
            gained = len(self.store) - before
            merge_into_default_graph(self.store, parse(path=str(path), format=fmt))
            self.store.flush()
        except (SyntaxError, OSError) as exc:
            raise StoreError(f"cannot load {path}: {exc}") from exc
        with self._counts_lock:
            self._counts.clear()
        self._record.loaded_files.append(str(path.resolve()))
        self._record.write(self._settings.data_dir / _RECORD_NAME)
        return gained

    def load_files(self, paths: Iterable[Path], *, graph: str | None = None) -> dict[Path, int]:
        """Load several files in order; stops at the first failure (earlier files stay loaded)."""
        return {path: self.load_file(path, graph=graph) for path in paths}


def _write_failed(exc: BaseException, what: str) -> StoreError:
    """The error for a write the store refused: 507 when the disk or quota is full, else 500."""
    if InsufficientStorage.matches(exc):
        return InsufficientStorage.from_os_error(exc, what)
    return StoreError(f"{what}: {exc}")


def merge_into_default_graph(store: Store, quads: Iterable[Quad]) -> None:
    """Add these quads' triples to the store's default graph, which serves as the RDF merge of all graphs.

    pyoxigraph's ``use_default_graph_as_union`` is a bag: a triple stated in two named graphs comes
    back twice and counts twice. SPARQL services with a union default graph (Fuseki's
    ``unionDefaultGraph``) answer with the merge, a set. Keeping the merge as the real default graph
    gives those answers, lets a query's FROM clauses work unchanged, and costs one more copy of
    each distinct triple. Quads are copied in chunks so the store is never read and written at once.
    """
    chunk: list[Quad] = []
    for quad in quads:
        chunk.append(Quad(quad.subject, quad.predicate, quad.object, DefaultGraph()))
        if len(chunk) >= 100_000:
            store.bulk_extend(chunk)
            chunk = []
    if chunk:
        store.bulk_extend(chunk)


def _in_default_graph(store: Store, triple: Triple) -> bool:
    return any(
        True for _ in store.quads_for_pattern(triple.subject, triple.predicate, triple.object, DefaultGraph())
    )


def _statements(triples: Iterable[Triple]) -> str:
    return "".join(f"  {t.subject} {t.predicate} {t.object} .\n" for t in triples)


def _data_block(quads: Iterable[Quad], default: Iterable[Triple]) -> str:
    """The body of a DELETE DATA / INSERT DATA: named-graph quads grouped by graph, then default triples."""
    by_graph: dict[NamedNode, list[Triple]] = {}
    for quad in quads:
        by_graph.setdefault(quad.graph_name, []).append(quad.triple)  # type: ignore[arg-type]
    parts = [f" GRAPH {g} {{\n{_statements(ts)} }}\n" for g, ts in by_graph.items()]
    parts.append(_statements(default))
    return "".join(parts)


def update_text(
    delta: WriteDelta, default_inserts: Iterable[Triple], default_deletes: Iterable[Triple]
) -> str:
    """``delta`` as one SPARQL Update, terms written by pyoxigraph itself (their N-Triples form).

    pyoxigraph runs a whole update string as one transaction, so this one string is the commit.
    """
    operations = [f"CREATE SILENT GRAPH {g}" for g in delta.created_graphs]
    operations += [f"DROP SILENT GRAPH {g}" for g in delta.dropped_graphs]
    default_deletes, default_inserts = list(default_deletes), list(default_inserts)
    if delta.deletes or default_deletes:
        operations.append(f"DELETE DATA {{\n{_data_block(delta.deletes, default_deletes)}}}")
    if delta.inserts or default_inserts:
        operations.append(f"INSERT DATA {{\n{_data_block(delta.inserts, default_inserts)}}}")
    return " ;\n".join(operations)


def rdf_format_for(path: Path) -> RdfFormat:
    """The RDF syntax of a file, from its extension."""
    extension = path.suffix.lstrip(".").lower()
    fmt = RdfFormat.RDF_XML if extension == "owl" else RdfFormat.from_extension(extension)
    if fmt is None:
        raise BadRequest(
            f"{path}: unknown RDF file extension {path.suffix or '(none)'}; "
            "use .ttl, .nt, .nq, .trig, .rdf/.owl/.xml, .jsonld or .n3"
        )
    return fmt
