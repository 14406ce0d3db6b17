"""A stand-in for the load balancer in front of several app backends (tests only).

Plain HTTP requests (pages, scripts) go to the backend that built and serves the frontend; each new
websocket goes to the backend chosen last. Choosing another one closes the websockets held, as
draining a backend for a restart does, so browsers reconnect through the balancer to the new one.
"""

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from aiohttp import ClientSession, WSMsgType, web

# Set per connection by each side; never forwarded.
_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "content-length",
    "host",
}


def _forwarded(headers) -> dict[str, str]:
    return {name: value for name, value in headers.items() if name.lower() not in _HOP_BY_HOP}


class Balancer:
    def __init__(self, pages_url: str, websocket_url: str):
        self.pages_url = pages_url
        self.websocket_url = websocket_url
        # Where each websocket went, in order.
        self.websocket_targets: list[str] = []
        self._open_sockets: set[tuple] = set()  # (browser side, backend side)
        self._loop = asyncio.new_event_loop()
        self._client: ClientSession | None = None
        # Cleared while a drain waits for the old backend to let go: browser sides stay open.
        self._browsers_may_close = asyncio.Event()
        self._browsers_may_close.set()

    def send_websockets_to(self, url: str, released: Callable[[], bool] = lambda: True, timeout: float = 30) -> None:
        """New websockets go to `url`; the open ones are closed, the backend side first and the
        browser side once `released()` says the old backend has let go of its tabs. A tab that
        reconnects while its old backend still holds its token gets a new token (a new state) from
        Reflex, so the browsers may reconnect only then."""
        self.websocket_url = url
        drain = self._drain(released, timeout)
        asyncio.run_coroutine_threadsafe(drain, self._loop).result(timeout=timeout + 10)

    async def _drain(self, released: Callable[[], bool], timeout: float) -> None:
        self._browsers_may_close.clear()
        try:
            await self._close_open_sockets()
            deadline = time.monotonic() + timeout
            while not await asyncio.to_thread(released):
                if time.monotonic() > deadline:
                    raise TimeoutError("the old backend kept its websockets")
                await asyncio.sleep(0.05)
        finally:
            self._browsers_may_close.set()

    async def _close_open_sockets(self) -> None:
        """Closes the backend sides; each browser side follows as soon as browsers may close."""
        for _, backend in list(self._open_sockets):
            await backend.close()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("upgrade", "").lower() == "websocket":
            return await self._websocket(request)
        async with self._client.request(
            request.method,
            self.pages_url + request.rel_url.path_qs,
            headers=_forwarded(request.headers),
            data=await request.read(),
            allow_redirects=False,
        ) as answer:
            body = await answer.read()
            return web.Response(status=answer.status, body=body, headers=_forwarded(answer.headers))

    async def _websocket(self, request: web.Request) -> web.WebSocketResponse:
        chosen = self.websocket_url
        # Reflex's client names its version as the subprotocol; the backend must see it.
        protocols = [p.strip() for p in request.headers.get("sec-websocket-protocol", "").split(",") if p.strip()]
        headers = {name: value for name, value in request.headers.items() if name.lower() in ("cookie", "origin")}
        url = chosen.replace("http", "ws", 1) + request.rel_url.path_qs
        async with self._client.ws_connect(url, headers=headers, protocols=protocols, autoping=False) as backend:
            browser = web.WebSocketResponse(protocols=[backend.protocol] if backend.protocol else (), autoping=False)
            await browser.prepare(request)
            self.websocket_targets.append(chosen)
            pair = (browser, backend)
            self._open_sockets.add(pair)
            try:
                pumps = [asyncio.create_task(_pump(browser, backend)), asyncio.create_task(_pump(backend, browser))]
                await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
                for pump in pumps:
                    pump.cancel()
            finally:
                self._open_sockets.discard(pair)
                await self._browsers_may_close.wait()
                await browser.close(code=1012, message=b"backend draining")  # 1012: service restart
        return browser

    @contextmanager
    def serving(self, port: int) -> Iterator[str]:
        """Yields the balancer's URL (the app's public URL) while it listens on `port`."""
        runner: list[web.AppRunner] = []

        async def start() -> None:
            self._client = ClientSession(auto_decompress=False)
            app = web.Application(client_max_size=16 * 1024 * 1024)
            app.router.add_route("*", "/{path:.*}", self._handle)
            runner.append(web.AppRunner(app))
            await runner[0].setup()
            await web.TCPSite(runner[0], "127.0.0.1", port).start()

        thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        thread.start()
        asyncio.run_coroutine_threadsafe(start(), self._loop).result(timeout=10)
        try:
            yield f"http://localhost:{port}"
        finally:

            async def stop() -> None:
                await self._close_open_sockets()
                await runner[0].cleanup()
                await self._client.close()

            asyncio.run_coroutine_threadsafe(stop(), self._loop).result(timeout=10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            thread.join(timeout=10)


async def _pump(source, sink) -> None:
    """Copy websocket messages from source to sink until source closes."""
    async for message in source:
        if message.type == WSMsgType.TEXT:
            await sink.send_str(message.data)
        elif message.type == WSMsgType.BINARY:
            await sink.send_bytes(message.data)
        elif message.type == WSMsgType.PING:
            await sink.ping(message.data)
        elif message.type == WSMsgType.PONG:
            await sink.pong(message.data)
        else:
            break
