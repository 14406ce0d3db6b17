import asyncio
import gzip
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from smslinks.api.caching import FOREVER, ImmutableAssets

SCRIPT = b"export const answer = 42;\n" * 40
BROTLI = b"(the build's brotli copy)"


def _from_the_app(_request):  # what Reflex's static files would answer
    return PlainTextResponse("from the app")


def _missing(_request):
    return PlainTextResponse("no", status_code=404)


@pytest.fixture
def build(tmp_path: Path) -> Path:
    assets = tmp_path / "assets"
    assets.mkdir()
    (assets / "app-3f9a2b1c.js").write_bytes(SCRIPT)
    (assets / "app-3f9a2b1c.js.gz").write_bytes(gzip.compress(SCRIPT))
    (assets / "app-3f9a2b1c.js.br").write_bytes(BROTLI)
    (assets / "plain-5e6f7a8b.css").write_text("p { color: red }")
    (tmp_path / "secret.txt").write_text("not an asset")
    return tmp_path


def _app(build: Path) -> Starlette:
    return Starlette(
        routes=[
            Route("/assets/gone-1a2b3c4d.js", _missing),
            Route("/assets/{rest:path}", _from_the_app),
            Route("/pay.js", _from_the_app),
        ],
        middleware=[Middleware(ImmutableAssets, directory=build)],
    )


def _get(app, path: str, method: str = "GET", **headers: str) -> tuple[int, dict[str, str], bytes]:
    sent = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()],
        "scheme": "http",
        "server": ("test", 80),
        "root_path": "",
        "http_version": "1.1",
    }
    with ThreadPoolExecutor(1) as thread:  # an event loop of its own (Playwright may run one here)
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    body = b"".join(message.get("body", b"") for message in sent[1:])
    return sent[0]["status"], {k.decode(): v.decode() for k, v in sent[0]["headers"]}, body


def test_a_build_file_is_answered_in_the_best_encoding_the_browser_takes_and_kept_for_good(build):
    app = _app(build)
    status, headers, body = _get(app, "/assets/app-3f9a2b1c.js", accept_encoding="gzip, deflate, br")
    assert status == 200 and headers["content-encoding"] == "br" and body == BROTLI
    assert headers["cache-control"] == FOREVER and headers["content-type"] == "text/javascript; charset=utf-8"
    assert headers["vary"] == "Accept-Encoding" and headers["content-length"] == str(len(body))

    _status, headers, body = _get(app, "/assets/app-3f9a2b1c.js", accept_encoding="gzip, br;q=0")
    assert headers["content-encoding"] == "gzip" and gzip.decompress(body) == SCRIPT
    _status, headers, body = _get(app, "/assets/app-3f9a2b1c.js")
    assert "content-encoding" not in headers and body == SCRIPT
    _status, headers, body = _get(app, "/assets/plain-5e6f7a8b.css", accept_encoding="br")
    assert body == b"p { color: red }" and headers["content-type"] == "text/css; charset=utf-8"
    _status, headers, body = _get(app, "/assets/app-3f9a2b1c.js", method="HEAD")
    assert body == b"" and headers["content-length"] == str(len(SCRIPT))


def test_a_kept_file_is_answered_from_memory_and_revalidates_by_its_etag(build):
    app = _app(build)
    _status, headers, _body = _get(app, "/assets/app-3f9a2b1c.js")
    for name in ("app-3f9a2b1c.js", "app-3f9a2b1c.js.gz", "app-3f9a2b1c.js.br"):
        (build / "assets" / name).unlink()  # the worker serves what it read the first time

    status, _headers, body = _get(app, "/assets/app-3f9a2b1c.js", accept_encoding="gzip")
    assert status == 200 and gzip.decompress(body) == SCRIPT
    status, again, body = _get(app, "/assets/app-3f9a2b1c.js", if_none_match=headers["etag"])
    assert status == 304 and body == b"" and again["cache-control"] == FOREVER


def test_what_it_does_not_answer_goes_on_to_the_app_and_only_build_files_are_cached_for_good(build):
    app = _app(build)
    status, headers, body = _get(app, "/assets/app-3f9a2b1c.js", range="bytes=0-9")
    assert body == b"from the app" and headers["cache-control"] == FOREVER
    status, headers, _body = _get(app, "/assets/gone-1a2b3c4d.js")
    assert status == 404 and "cache-control" not in headers
    assert _get(app, "/assets/../secret.txt")[2] == b"from the app"  # never the file outside the assets
    assert "cache-control" not in _get(app, "/pay.js")[1]  # not named by its content
    assert _get(app, "/assets/app-3f9a2b1c.js", method="POST")[2] == b"Method Not Allowed"  # the app's answer
