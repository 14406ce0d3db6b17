"""HTTP routes outside Reflex's websocket: health and provider webhooks. They call core, never state."""

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from sqlalchemy import text

from smslinks.api.stripe_webhook import stripe_webhook
from smslinks.db import get_engine


async def health(_request: Request) -> JSONResponse:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
        ]
    )
