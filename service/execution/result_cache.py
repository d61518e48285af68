"""Answers kept for reuse until the data changes: a byte-bounded, least-recently-used map.

Analysts' pages and public clients repeat the same queries all day; the graph changes only
through this service's writes or a new build, both of which move the data version
(``store/version.py``). So an answer written once can be sent again, byte for byte, until then.

What is kept, and what never is (the endpoint decides, this class only stores):

- whole GET responses of every route but ``/sparql`` (``http/conditional.py``), keyed by their
  ETag, which holds the data version and everything the answer depends on;
- ``/sparql`` answers (GET and POST) keyed by the query's meaning without its layout
  (``query_shape.read_query``: comments, line breaks and indentation do not make a second
  entry), the dataset parameters and the format asked for (``format=`` and ``Accept``, as given);
- never a query naming ``RAND``, ``NOW``, ``UUID``, ``STRUUID``, ``BNODE`` or ``SERVICE`` (lexer
  tokens, ``query_shape.UNREPEATABLE``), never a truncated or failed answer, never an answer
  larger than the whole budget;
- one budget for both, counting each answer's bytes, headers and key; the least recently used entries go first.

Correct under writes: every entry belongs to one data version. A lookup under another version
empties the cache (the old entries can never be asked for again), and an answer evaluated under
an older version than the cache's is dropped instead of stored, so a reader that started before
a write cannot put data from before it where readers after it will look.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

from pydantic import BaseModel, Field

__all__ = ["CacheCounts", "CachedAnswer", "ResultCache"]

#: bookkeeping per entry (the key tuple, the entry object, the map's slot), counted in the budget
ENTRY_OVERHEAD = 200


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One answer document, exactly as it was sent (with its headers when a whole GET response is
    kept by ``http/conditional.py``)."""

    body: bytes
    content_type: str
    headers: tuple[tuple[bytes, bytes], ...] = ()


class CacheCounts(BaseModel):
    """The result cache in ``/health`` (this serving process)."""

    max_bytes: int = Field(description="the budget (ECONSEC_RESULT_CACHE_BYTES); 0: the cache is off")
    bytes: int = Field(description="answers and keys held now")
    entries: int
    hits: int = Field(description="queries answered from the cache since start")
    misses: int = Field(description="cacheable queries that had to be evaluated")
    data_version: str | None = Field(description="the data version the entries belong to")


Key = tuple[str, ...]
#: what the map holds per key: body, content type, headers, bytes counted
_Entry = tuple[bytes, str, tuple[tuple[bytes, bytes], ...], int]


class ResultCache:
    """A byte-bounded LRU map from request meaning to answer, for one data version at a time."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max_bytes
        # values are plain tuples of bytes and str (CachedAnswer's fields, and its size): the garbage
        # collector stops tracking such tuples, so tens of thousands of entries add nothing to the
        # collections every request's allocations trigger (measured: a dataclass per entry made
        # each cache miss about 15 us dearer once the cache was full)
        self._entries: OrderedDict[Key, _Entry] = OrderedDict()
        self._bytes = 0
        self._version: str | None = None
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_bytes > 0

    def get(self, version: str, key: Key) -> CachedAnswer | None:
        """The answer stored for ``key`` under ``version``, or None (counted as a miss)."""
        with self._lock:
            if version != self._version:
                self._clear(version)
            entry = self._entries.get(key)
            if entry is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return CachedAnswer(entry[0], entry[1], entry[2])

    def put(self, version: str, key: Key, answer: CachedAnswer) -> bool:
        """Keep ``answer``, evaluated under ``version``; False when it is not kept (another version
        now, or larger than the whole budget)."""
        size = _size(key, answer)
        if size > self.max_bytes:
            return False
        with self._lock:
            if version != self._version:
                return False  # evaluated before a write the cache has already seen: drop it
            old = self._entries.pop(key, None)
            if old is not None:
                self._bytes -= old[3]
            self._entries[key] = (answer.body, answer.content_type, answer.headers, size)
            self._bytes += size
            while self._bytes > self.max_bytes:
                _oldest, dropped = self._entries.popitem(last=False)
                self._bytes -= dropped[3]
            return True

    def counts(self) -> CacheCounts:
        with self._lock:
            return CacheCounts(
                max_bytes=self.max_bytes,
                bytes=self._bytes,
                entries=len(self._entries),
                hits=self.hits,
                misses=self.misses,
                data_version=self._version,
            )

    def _clear(self, version: str) -> None:
        self._entries.clear()
        self._bytes = 0
        self._version = version


def _size(key: Key, answer: CachedAnswer) -> int:
    headers = sum(len(name) + len(value) for name, value in answer.headers)
    return len(answer.body) + headers + sum(len(part) for part in key) + ENTRY_OVERHEAD
