import asyncio
from concurrent.futures import ThreadPoolExecutor

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from smslinks.api.caching import FOREVER, ImmutableAssets


async def _found(_request):
    return PlainTextResponse("x")


async def _missing(_request):
    return PlainTextResponse("no", status_code=404)


APP = Starlette(
    routes=[
        Route("/assets/app-3f9a2b1c.js", _found),
        Route("/assets/gone-1a2b3c4d.js", _missing),
        Route("/pay.js", _found),
    ],
    middleware=[Middleware(ImmutableAssets)],
)


def _headers(path: str) -> dict[str, str]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [],
        "scheme": "http",
        "server": ("test", 80),
        "root_path": "",
        "http_version": "1.1",
    }
    with ThreadPoolExecutor(1) as thread:  # an event loop of its own (Playwright may run one here)
        thread.submit(asyncio.run, APP(scope, receive, send)).result()
    return {k.decode(): v.decode() for k, v in sent[0]["headers"]}


def test_hashed_build_files_are_cached_for_good_and_nothing_else():
    assert _headers("/assets/app-3f9a2b1c.js")["cache-control"] == FOREVER
    assert "cache-control" not in _headers("/assets/gone-1a2b3c4d.js")
    assert "cache-control" not in _headers("/pay.js")  # not named by its content
