"""The data version: a number that moves whenever what the store answers may have changed.

Validators (``ETag``) and the result cache are keyed by it, so it has to be cheap to read on every
request, shared by every serving process (``econsec serve --workers N``) and never go back to a
value it had before while the data is different. It is made of two parts:

- a **counter** in a 16-byte file beside the store (``{data_dir}/data-version``), mapped into
  memory by every process (``mmap``, shared): reading it is one ``struct.unpack_from`` on a page
  the kernel keeps shared, well under a microsecond. The file also holds a random **epoch** chosen
  when it is created, so a data folder deleted and filled again does not reuse old versions.
  :meth:`DataVersion.bump` increments it (under a file lock) and flushes the page before the write
  that moved it is acknowledged, so a crash cannot take the counter back;
- a **release fingerprint** fixed when the app opens its store: the build id and load time the
  store records, so a store refilled from a new build (``econsec build`` + restart, ``econsec
  load``, ``econsec publish``) has a version of its own even if the counter were the same.

The version moves in exactly one place while serving: :meth:`ServiceState.committed`, after a write
has committed *and* the query snapshots show it, before the client is answered. A reader that sees
the new version therefore evaluates against data that includes the write.

Without a data folder (tests passing their own backend, or a remote store with no local state) the
counter lives in the process: correct for one process, which is all such setups run.
"""

from __future__ import annotations

import fcntl
import hashlib
import mmap
import os
import secrets
import struct
import threading
from pathlib import Path

__all__ = ["DataVersion"]

_LAYOUT = struct.Struct("<QQ")  # epoch, counter
FILE_NAME = "data-version"


class DataVersion:
    """The shared counter and the release fingerprint; :attr:`tag` is the version clients see."""

    def __init__(self, path: Path | None = None, release: str = "") -> None:
        self.path = path
        self._lock = threading.Lock()
        self._memory: mmap.mmap | None = None
        self._local = (secrets.randbits(63), 0)
        if path is not None:
            self._memory = _map(path)
        self._fingerprint = ""
        self._tag_of = (-1, "")
        self.set_release(release)

    @classmethod
    def for_data_dir(cls, data_dir: Path, release: str = "") -> DataVersion:
        """The version file in ``data_dir`` when that folder exists, else a counter in the process."""
        if data_dir.is_dir() and os.access(data_dir, os.W_OK):
            return cls(data_dir / FILE_NAME, release)
        return cls(None, release)

    def set_release(self, release: str) -> None:
        """Fix the release part (build id and load time of what the store was filled from)."""
        epoch, _ = self._read()
        digest = hashlib.blake2b(f"{epoch}\n{release}".encode(), digest_size=5).hexdigest()
        self._fingerprint = digest
        self._tag_of = (-1, "")

    def _read(self) -> tuple[int, int]:
        if self._memory is None:
            return self._local
        return _LAYOUT.unpack_from(self._memory, 0)  # type: ignore[return-value]

    @property
    def counter(self) -> int:
        """How many times the data has changed since the version file was created."""
        return self._read()[1]

    @property
    def tag(self) -> str:
        """The version as clients see it (``/health``, ``X-Data-Version``, inside every ETag)."""
        counter = self._read()[1]
        known, text = self._tag_of
        if known != counter:  # formatted once per change, not once per request
            text = f"{counter}.{self._fingerprint}"
            self._tag_of = (counter, text)
        return text

    def bump(self) -> int:
        """Move the version: the data has changed. Returns the new counter."""
        with self._lock:
            if self._memory is None:
                epoch, counter = self._local
                self._local = (epoch, counter + 1)
                return counter + 1
            assert self.path is not None
            with open(self.path, "rb") as lock_file:  # one writer across processes (econsec load, serve)
                fcntl.flock(lock_file, fcntl.LOCK_EX)
                epoch, counter = _LAYOUT.unpack_from(self._memory, 0)
                _LAYOUT.pack_into(self._memory, 0, epoch, counter + 1)
                self._memory.flush()  # on disk before the write that moved it is acknowledged
            return counter + 1

    def close(self) -> None:
        if self._memory is not None:
            self._memory.close()
            self._memory = None


def _map(path: Path) -> mmap.mmap:
    """Map the version file, creating it (random epoch, counter 0) when it is missing or short."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # several serving processes may start at once
        if os.fstat(fd).st_size < _LAYOUT.size:
            os.ftruncate(fd, 0)
            os.write(fd, _LAYOUT.pack(secrets.randbits(63), 0))
            os.fsync(fd)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return mmap.mmap(fd, _LAYOUT.size)
    finally:
        os.close(fd)
