"""The floor of a Python server on this machine: a bare ASGI app under uvicorn, no framework.

Without ``--store`` it reads the request body and answers a fixed SPARQL JSON result, with the
access log off: the most any single uvicorn process can do here, whatever the application does,
which separates what uvicorn (and the loop and HTTP parser it picks) costs from what the service
and the engine add. With ``--store DIR`` it opens that pyoxigraph store read-only and answers each
request's ``query`` (a form POST's, or a GET's from the URL) with the engine's own JSON writer
and nothing else (no checks, no limits, no negotiation, no cache): the reference the issue gives
for a single process over pyoxigraph, and the ceiling of any service of this kind on the cold
run of ``bench/workload.py``::

    python -m bench.serve_floor --port 8000
    python -m bench.serve_floor --port 8000 --store data/oxigraph
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs

import uvicorn
from pyoxigraph import QueryResultsFormat, Store

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


def engine_app(store: Store) -> Callable[..., Awaitable[None]]:
    """Answer each request's query (form POST or GET) from ``store`` with the engine's JSON
    writer, nothing more."""

    async def answer(
        scope: dict[str, Any],
        receive: Callable[[], Awaitable[dict[str, Any]]],
        send: Callable[[dict[str, Any]], Awaitable[None]],
    ) -> None:
        body = b""
        more = True
        while more:
            message = await receive()
            body += message.get("body", b"")
            more = message.get("more_body", False)
        fields = body.decode() if scope["method"] == "POST" else scope["query_string"].decode("latin-1")
        query = parse_qs(fields)["query"][0]
        result = store.query(query).serialize(format=QueryResultsFormat.JSON)
        headers = [
            (b"content-type", b"application/sparql-results+json"),
            (b"content-length", str(len(result)).encode()),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": result})

    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--store", help="a pyoxigraph store directory to answer queries from")
    args = parser.parse_args(argv)
    served = engine_app(Store.read_only(args.store)) if args.store else app
    uvicorn.run(served, host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="off")


if __name__ == "__main__":
    main()
