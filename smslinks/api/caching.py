"""The production build's /assets/: every file there is named by its content hash (a changed file gets
a new name), so
- browsers may keep them for good and never ask again whether they changed: a customer opening a
  payment link a second time loads no script at all;
- each worker keeps the ones it served in memory and answers them itself, before routing: a first
  visit to a pay page fetches a dozen of them, and Reflex's static files (three Starlette apps deep,
  a stat, an open and a read in threads per file) cost more CPU than the page itself. Starlette's
  and Reflex's static-file servers read the disk on every request, and so do whitenoise/servestatic,
  hence these few lines.
Anything this does not answer (another method, a range, a file too big or not there) goes on to
Reflex's static files, with the same Cache-Control when found."""

import hashlib
import mimetypes
from dataclasses import dataclass
from pathlib import Path

import anyio
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS = "/assets/"
FOREVER = "public, max-age=31536000, immutable"
# The build's precompressed copies beside each file, best first (Reflex's frontend_compression_formats).
ENCODINGS = (("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz"))
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_KEPT_BYTES = 64 * 1024 * 1024  # per worker; the pay page's files are about 200 KB compressed


@dataclass(frozen=True)
class Asset:
    content_type: str
    etag: str
    bodies: dict[str, bytes]  # by Content-Encoding, "" for the file as it is

    def size(self) -> int:
        return sum(len(body) for body in self.bodies.values())

    def encoding_for(self, accept_encoding: str) -> str:
        """The best copy the browser accepts (an encoding refused with q=0 is never chosen)."""
        accepted = {}
        for entry in accept_encoding.lower().split(","):
            token, _, params = entry.partition(";")
            quality = params.strip().removeprefix("q=")
            try:
                accepted[token.strip()] = float(quality) if params else 1.0
            except ValueError:
                accepted[token.strip()] = 0.0
        return next((encoding for encoding, _ in ENCODINGS if encoding in self.bodies and accepted.get(encoding)), "")


def read_asset(path: Path) -> Asset | None:
    """The file and its precompressed copies; None when there is no such file or it is too big to keep."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
            return None
        bodies = {"": path.read_bytes()}
        for encoding, suffix in ENCODINGS:
            copy = path.with_name(path.name + suffix)
            if copy.is_file():
                bodies[encoding] = copy.read_bytes()
    except OSError:
        return None
    content_type = "text/javascript" if path.suffix in (".js", ".mjs") else mimetypes.guess_type(path.name)[0]
    etag = '"' + hashlib.blake2b(bodies[""], digest_size=12).hexdigest() + '"'
    content_type = content_type or "application/octet-stream"
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"  # as Starlette's FileResponse says it
    return Asset(content_type, etag, bodies)


class ImmutableAssets:
    def __init__(self, app: ASGIApp, directory: Path | None = None):
        self.app = app
        self.directory = directory  # the build's client directory; found on first use by default
        self.kept: dict[str, Asset] = {}
        self.kept_bytes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ASSETS):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        asset = await self._asset(scope["path"]) if scope["method"] in ("GET", "HEAD") else None
        if asset is None or "range" in headers:
            await self.app(scope, receive, _cacheable(send))
            return
        await _answer(asset, scope["method"], headers, send)

    async def _asset(self, url_path: str) -> Asset | None:
        if (kept := self.kept.get(url_path)) is not None:
            return kept
        directory = self.directory or _build_directory()
        path = (directory / url_path.lstrip("/")).resolve()
        if not path.is_relative_to(directory.resolve() / ASSETS.strip("/")):
            return None  # ../ out of the assets: not ours to answer
        asset = await anyio.to_thread.run_sync(read_asset, path)
        # Two first requests for a file may both read it; it is kept once.
        if asset is not None and url_path not in self.kept and self.kept_bytes + asset.size() <= MAX_KEPT_BYTES:
            self.kept[url_path] = asset
            self.kept_bytes += asset.size()
        return asset


def _build_directory() -> Path:
    from smslinks.api.pay_document import static_dir  # the same build the pay page's shell comes from

    return static_dir()


def _cacheable(send: Send) -> Send:
    async def send_cacheable(message: Message) -> None:
        if message["type"] == "http.response.start" and message["status"] in (200, 304):
            MutableHeaders(scope=message)["Cache-Control"] = FOREVER
        await send(message)

    return send_cacheable


async def _answer(asset: Asset, method: str, request: Headers, send: Send) -> None:
    common = [(b"cache-control", FOREVER.encode()), (b"etag", asset.etag.encode()), (b"vary", b"Accept-Encoding")]
    if asset.etag in request.get("if-none-match", ""):
        await send({"type": "http.response.start", "status": 304, "headers": common})
        await send({"type": "http.response.body", "body": b""})
        return
    encoding = asset.encoding_for(request.get("accept-encoding", ""))
    body = asset.bodies[encoding]
    headers = [*common, (b"content-type", asset.content_type.encode()), (b"content-length", str(len(body)).encode())]
    if encoding:
        headers.append((b"content-encoding", encoding.encode()))
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body if method == "GET" else b""})
