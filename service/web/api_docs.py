"""``/docs``: the HTTP API's interactive documentation (Swagger UI) with assets served here.

FastAPI's own ``/docs`` loads Swagger UI from a CDN, so on a closed network it is a blank page.
This route renders the same page with FastAPI's ``get_swagger_ui_html`` but points the script,
the stylesheet and the icon at this service (``/assets/swagger-ui.*``, installed from npm like
YASGUI and d3; see ``assets.py``). Swagger UI's validator badge would call
``validator.swagger.io``: it is turned off. ReDoc is not offered (``redoc_url=None`` in
``app.py``): its bundle fetches web fonts from Google, and one API page is enough.

When the npm assets are missing, the page says so (as the editor does) and links the OpenAPI
document, which needs no assets.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse

from ..http.negotiation import root_path
from ..state import service_state
from .pages import assets_of
from .render import render

__all__ = ["DOCS_ASSETS", "DOCS_TITLE", "router"]

router = APIRouter()

#: the vendor files the page loads
DOCS_ASSETS = ("swagger-ui.js", "swagger-ui.css")
#: the browser tab's title, in the site's "what · econsec-kg" form
DOCS_TITLE = "HTTP API · econsec-kg"


@router.get("/docs", include_in_schema=False)
async def api_docs(request: Request) -> HTMLResponse:
    """Swagger UI over ``/openapi.json``, loading nothing from outside this service."""
    root = root_path(request)
    assets = assets_of(service_state(request).settings)
    missing = assets.missing(*DOCS_ASSETS)
    if missing:
        return render("api_docs_missing.html", root=root, missing=missing, assets_dir=str(assets.root))
    return get_swagger_ui_html(
        openapi_url=f"{root}/openapi.json",
        title=DOCS_TITLE,
        swagger_js_url=f"{root}/assets/swagger-ui.js",
        swagger_css_url=f"{root}/assets/swagger-ui.css",
        swagger_favicon_url=f"{root}/favicon.ico",
        swagger_ui_parameters={"validatorUrl": None, "tryItOutEnabled": False},
    )
