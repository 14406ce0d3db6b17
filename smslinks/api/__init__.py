"""HTTP routes outside Reflex's websocket: health, provider webhooks, the pay page's first response and
the REST API (/api/v1). They call core, never state."""

import re

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from smslinks import routes
from smslinks.api.caching import ImmutableAssets
from smslinks.api.pay_document import pay_page_html
from smslinks.api.security_headers import SecurityHeaders
from smslinks.api.session_cookie import session_cookie
from smslinks.api.state_secrets import StateSecrets
from smslinks.api.stripe_webhook import stripe_webhook
from smslinks.api.twilio_webhooks import twilio_inbound, twilio_status
from smslinks.api.v1 import build_v1
from smslinks.db import get_engine


async def health(_request: Request) -> JSONResponse:
    with get_engine().connect() as connection:
        connection.execute(text("SELECT 1"))
    return JSONResponse({"status": "ok"})


def _api_v1_mount() -> Mount:
    """/api/v1/..., whatever the rest of the path holds: a decoded newline in an id must reach the
    API (and its problem+json 422), not fall through to a plain-text 404."""
    mount = Mount(routes.API_V1, app=build_v1())
    mount.path_regex = re.compile(mount.path_regex.pattern, re.DOTALL)
    return mount


def build_api() -> Starlette:
    return Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route(routes.pay("{token}"), pay_page_html, methods=["GET"]),
            Route(routes.TWILIO_STATUS_WEBHOOK, twilio_status, methods=["POST"]),
            Route(routes.TWILIO_INBOUND_WEBHOOK, twilio_inbound, methods=["POST"]),
            Route(routes.STRIPE_WEBHOOK, stripe_webhook, methods=["POST"]),
            Route(routes.AUTH_SESSION, session_cookie, methods=["POST", "DELETE"]),
            _api_v1_mount(),
        ],
        # These wrap the app's own files and websocket too (Reflex mounts its app under ours).
        middleware=[Middleware(SecurityHeaders), Middleware(StateSecrets), Middleware(ImmutableAssets)],
    )
