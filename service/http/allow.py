"""``Allow``: the methods a path really serves, read from the app's routes, in one place.

Starlette answers a method a path does not serve with 405 and the methods of the *first* route
whose path matched, so a path served by several routes (``/rdf-graphs``: one route per method)
advertised only one of them, and ``OPTIONS`` got that 405 too. This middleware answers
``OPTIONS`` (one that is not a CORS preflight, which the CORS layer in front answers) with 204 and
the union of the methods of every route that matches the path, and writes the same union into
every 405. Nothing is listed per route: adding a route adds its methods.
"""

from __future__ import annotations

from starlette.routing import BaseRoute, Match, Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["AllowMiddleware", "allowed_methods"]

#: what a mounted application (static files, assets) serves
_MOUNTED = frozenset({"GET", "HEAD"})


#: the methods a route can be asked about (OPTIONS is answered here, for every path that exists)
_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")


def allowed_methods(routes: list[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route serves at the scope's path (empty: no route has this path).

    Each route is asked, through its own ``matches``, whether it takes the path with each method:
    included routers answer for the routes inside them, so nothing depends on how they nest.
    """
    methods: set[str] = set()
    for route in routes:
        if isinstance(route, Mount):
            if route.matches(scope)[0] is not Match.NONE:
                methods |= _MOUNTED
            continue
        for method in _METHODS:
            if method not in methods and route.matches({**scope, "method": method})[0] is Match.FULL:
                methods.add(method)
    return methods


class AllowMiddleware:
    """Answers ``OPTIONS`` with the path's methods, and corrects ``Allow`` on every 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        router = scope["app"].router
        if scope["method"] == "OPTIONS":
            methods = allowed_methods(router.routes, scope)
            status = 204 if methods else 404
            headers = [(b"allow", _header(methods))] if methods else []
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                methods = allowed_methods(router.routes, scope)
                if methods:
                    headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                    message = {**message, "headers": [*headers, (b"allow", _header(methods))]}
            await send(message)

        await self.app(scope, receive, send_with_allow)


def _header(methods: set[str]) -> bytes:
    return ", ".join(sorted(methods | {"OPTIONS"})).encode("ascii")
