"""The floor of a Python server on this machine: a bare ASGI app under uvicorn, no framework, no store.

It reads the request body and answers a fixed SPARQL JSON result, with the access log off. Its
throughput is the most any single uvicorn process can do here, whatever the application does,
so it separates what uvicorn (and the loop and HTTP parser it picks) costs from what FastAPI,
the service and the engine add::

    python -m bench.serve_floor --port 8000
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any

import uvicorn

_BODY = b'{"head":{"vars":["p","o"]},"results":{"bindings":[]}}'
_HEADERS = [
    (b"content-type", b"application/sparql-results+json"),
    (b"content-length", str(len(_BODY)).encode()),
]


async def app(
    scope: dict[str, Any],
    receive: Callable[[], Awaitable[dict[str, Any]]],
    send: Callable[[dict[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":  # lifespan: nothing to set up
        while (await receive())["type"] != "lifespan.shutdown":
            pass
        return
    more = True
    while more:
        more = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
