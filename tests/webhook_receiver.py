"""A local webhook receiver, as a business's accounting system would run one: it verifies every
request with the standardwebhooks library (Webhook.verify) and keeps what arrived. Tests and
bench.outbound_webhooks serve it on 127.0.0.1 (tests/servers.serving).

Paths choose the answer: /ok (204), /slow (waits `slow_seconds`, then 200), /redirect (307 to
/ok), /fail (500)."""

import asyncio
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass

from standardwebhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route


@dataclass(frozen=True)
class Received:
    path: str
    webhook_id: str
    verified: bool
    payload: dict | None
    at: float


class WebhookReceiver:
    def __init__(self, secret: str | None = None, slow_seconds: float = 0.0):
        self.secret = secret
        self.slow_seconds = slow_seconds
        self._received: list[Received] = []
        self._lock = threading.Lock()
        self.app = Starlette(routes=[Route("/{path}", self._receive, methods=["POST"])])

    async def _receive(self, request: Request) -> Response:
        body = await request.body()
        path = request.path_params["path"]
        payload, verified = None, False
        if self.secret:
            try:
                payload = Webhook(self.secret).verify(body, dict(request.headers))
                verified = True
            except WebhookVerificationError:
                verified = False
        with self._lock:
            self._received.append(Received(path, request.headers.get("webhook-id", ""), verified, payload, time.time()))
        if path == "slow":
            await asyncio.sleep(self.slow_seconds)
            return Response(status_code=200)
        if path == "redirect":
            return RedirectResponse("/ok", status_code=307)
        if path == "fail":
            return Response(status_code=500)
        return Response(status_code=204)

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()


def receiver_app() -> Starlette:
    """A receiver in a process of its own (`uvicorn --factory tests.webhook_receiver:receiver_app`),
    verifying with WEBHOOK_RECEIVER_SECRET; GET /_received tells how often each webhook-id came and
    how many requests verified."""
    receiver = WebhookReceiver(os.environ["WEBHOOK_RECEIVER_SECRET"])

    async def summary(_request: Request) -> JSONResponse:
        received = receiver.received
        return JSONResponse(
            {
                "verified": sum(r.verified for r in received),
                "ids": Counter(r.webhook_id for r in received),
            }
        )

    receiver.app.add_route("/_received", summary, methods=["GET"])
    return receiver.app
