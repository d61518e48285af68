"""Human-readable documentation of the ontology, generated with pyLODE.

pyLODE 3.3.4 is pinned: 3.4.x reads a pyproject.toml it does not ship and fails at import on
Python 3.11, and later releases need Python 3.12. The page it writes is self-contained (no CDN),
so the service can serve it offline.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from importlib import resources
from pathlib import Path


def ontology_path() -> Path:
    return Path(str(resources.files("econsec.ontology") / "econsec.ttl"))


@lru_cache(maxsize=1)
def ontology_html(path: Path | None = None) -> str:
    """The ontology's documentation page (generated once per process: it takes a few seconds)."""
    root = logging.getLogger()
    level = root.level
    from pylode import OntPub  # its import sets the root logger to DEBUG; give the level back

    root.setLevel(level)
    return str(OntPub(ontology=str(path or ontology_path())).make_html())
