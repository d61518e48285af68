"""Browser assets: where the npm packages the pages load are, and which of their files we serve.

The editor (YASGUI), the gallery charts (d3) and the HTTP API page (Swagger UI) come from the npm registry, installed by
``make setup`` (``npm ci`` over the committed ``package-lock.json``) into ``node_modules``.
They are never committed and never loaded from a CDN: a page that needs one loads it from
``/assets/{name}`` on this service, so the UI works offline and on a closed network.

Only the files listed in :data:`VENDOR` are served, never the whole ``node_modules`` tree.
When npm was missing at setup the files are absent; :meth:`Assets.missing` says which, and the
pages tell the reader so instead of failing in the browser.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["OWN_DIR", "VENDOR", "Assets", "VendorFile", "default_assets_dir"]


@dataclass(frozen=True)
class VendorFile:
    """One file of an npm package, served at ``/assets/{name}``."""

    name: str
    package: str
    path: str
    media_type: str


#: the vendor files the pages use, by the name they are served under
VENDOR: dict[str, VendorFile] = {
    f.name: f
    for f in (
        VendorFile("yasgui.js", "@zazuko/yasgui", "build/yasgui.min.js", "text/javascript"),
        VendorFile("yasgui.css", "@zazuko/yasgui", "build/yasgui.min.css", "text/css"),
        VendorFile("d3.js", "d3", "dist/d3.min.js", "text/javascript"),
        VendorFile("swagger-ui.js", "swagger-ui-dist", "swagger-ui-bundle.js", "text/javascript"),
        VendorFile("swagger-ui.css", "swagger-ui-dist", "swagger-ui.css", "text/css"),
    )
}

#: our own small scripts and styles (``service/web/static``), shipped with the package
OWN_DIR = Path(__file__).resolve().parent / "static"


def default_assets_dir() -> Path:
    """``node_modules`` beside ``package.json`` in the checkout (editable install), else the
    working directory's: where ``make setup`` runs ``npm ci``."""
    checkout = Path(__file__).resolve().parents[2] / "node_modules"
    return checkout if checkout.is_dir() else Path.cwd() / "node_modules"


@dataclass(frozen=True)
class Assets:
    """The vendor files under one ``node_modules`` directory."""

    root: Path

    def path(self, name: str) -> Path | None:
        """The file served as ``name``, or None when it is unknown or not installed."""
        vendor = VENDOR.get(name)
        if vendor is None:
            return None
        path = self.root / vendor.package / vendor.path
        return path if path.is_file() else None

    def missing(self, *names: str) -> list[str]:
        """Which of ``names`` are not installed (empty when the page can load everything)."""
        return [name for name in names if self.path(name) is None]

    def size(self, *names: str) -> int:
        """Bytes of the installed files among ``names`` (for the page-weight note)."""
        return sum(p.stat().st_size for p in (self.path(n) for n in names) if p is not None)
