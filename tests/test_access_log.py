"""The access log: one Common Log Format line per request, written in batches, none lost at shutdown."""

from __future__ import annotations

import asyncio
import logging
import re
import time

import httpx
import pytest
from conftest import RunningService
from econsec.service.http import access_log
from econsec.service.http.access_log import AccessLog
from starlette.types import Message, Receive, Scope, Send

LINE = re.compile(
    r'^127\.0\.0\.1 - - \[\d\d/\w{3}/\d{4}:\d\d:\d\d:\d\d \+0000\] "(.+?)" (\d{3}) (\d+) [\d.]+ms$'
)


async def hello(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["path"] == "/boom":
        raise RuntimeError("the app failed before answering")
    await send({"type": "http.response.start", "status": 201, "headers": []})
    await send({"type": "http.response.body", "body": b"hel", "more_body": True})
    await send({"type": "http.response.body", "body": b"lo"})


def lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        line
        for record in caplog.records
        if record.name == "econsec.access"
        for line in record.getMessage().splitlines()
    ]


def test_lines_are_buffered_then_written_together(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="econsec.access")
    logged = AccessLog(hello)

    async def go() -> None:
        transport = httpx.ASGITransport(app=logged, client=("127.0.0.1", 5555), raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get("/sparql?query=ASK%20%7B%7D")
            await client.post("/rdf-graphs", content=b"x")
            await client.get("/boom")
        assert lines(caplog) == []  # nothing written per request
        logged.flush()

    asyncio.run(go())
    written = [LINE.match(line) for line in lines(caplog)]
    assert all(written), lines(caplog)
    assert [(m[1], m[2], m[3]) for m in written if m] == [
        ("GET /sparql?query=ASK%20%7B%7D HTTP/1.1", "201", "5"),
        ("POST /rdf-graphs HTTP/1.1", "201", "5"),
        ("GET /boom HTTP/1.1", "500", "0"),  # the app never answered: logged as a server error
    ]
    assert len([r for r in caplog.records if r.name == "econsec.access"]) == 1


def test_a_burst_is_written_every_max_lines(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO, logger="econsec.access")
    monkeypatch.setattr(access_log, "MAX_LINES", 10)
    logged = AccessLog(hello)

    async def go() -> None:
        transport = httpx.ASGITransport(app=logged, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for _ in range(25):
                await client.get("/")

    asyncio.run(go())
    assert len(lines(caplog)) == 20  # two full batches; five wait for the timer or shutdown


def test_shutdown_writes_what_is_buffered(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="econsec.access")

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        await hello(scope, receive, send)

    logged = AccessLog(app)

    async def go() -> None:
        transport = httpx.ASGITransport(app=logged, client=("127.0.0.1", 5555))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            await client.get("/one")
        messages: list[Message] = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

        async def receive() -> Message:
            return messages.pop(0)

        async def send(message: Message) -> None:
            pass

        await logged({"type": "lifespan"}, receive, send)

    asyncio.run(go())
    assert [LINE.match(line)[1] for line in lines(caplog)] == ["GET /one HTTP/1.1"]  # type: ignore[index]


def test_econsec_serve_writes_the_access_log(sparql_service: RunningService) -> None:
    marker = f"/health?access-log-test={time.time_ns()}"
    assert httpx.get(sparql_service.base + marker, timeout=30).status_code == 200
    for _ in range(50):  # written within about a second
        if f'"GET {marker} HTTP/1.1" 200' in sparql_service.output():
            return
        time.sleep(0.1)
    pytest.fail(f"no access log line for {marker}:\n{sparql_service.output()[-2000:]}")
