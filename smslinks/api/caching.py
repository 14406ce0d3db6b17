"""Cache headers for the production build's /assets/: every file there is named by its content hash
(a changed file gets a new name), so browsers may keep them for good and never ask again whether
they changed. A customer opening a payment link a second time then loads no script at all."""

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ASSETS = "/assets/"
FOREVER = "public, max-age=31536000, immutable"


class ImmutableAssets:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(ASSETS):
            await self.app(scope, receive, send)
            return

        async def send_cacheable(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] in (200, 304):
                MutableHeaders(scope=message)["Cache-Control"] = FOREVER
            await send(message)

        await self.app(scope, receive, send_cacheable)
