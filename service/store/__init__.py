"""Store backends: where queries are evaluated. The service talks to one :class:`StoreBackend`.

``embedded`` (default) is a pyoxigraph Store on disk in the data directory; a remote backend over
any SPARQL 1.1 store comes with the rest of the service issue and implements the same protocol.
"""

from .base import QueryResult, ResultKind, StoreBackend, Term

__all__ = ["QueryResult", "ResultKind", "StoreBackend", "Term"]
