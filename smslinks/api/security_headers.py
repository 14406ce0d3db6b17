"""Security headers on every HTTP answer of the app: pages (the built frontend and the server-drawn
pay page), webhooks, /health and the REST API.

- Content-Security-Policy on pages: scripts, styles, connections and frames from this app and Stripe
  (Stripe.js, its card and bank frames; the sandbox Stripe's address offline). Reflex needs
  'unsafe-eval' (rx.call_script runs through eval) and inline scripts and styles (React Router's
  hydration data, Radix's and Reflex's emitted styles). `frame-ancestors 'none'`: no page of ours
  may be framed by another site (a framed payment or staff page is a clickjacking target).
- Referrer-Policy: no-referrer on /pay/* and /invite/*, whose URLs are keys (a customer's link, an
  employee's invitation); elsewhere only the origin leaves for other sites.
- X-Content-Type-Options: nosniff everywhere; HSTS when the public URL is https.
The REST API's answers are JSON (and its docs page loads Swagger UI from a CDN): no CSP there.
"""

from functools import lru_cache
from urllib.parse import urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from smslinks import routes
from smslinks.config import get_settings

# The pages whose URL carries a token.
TOKEN_PREFIXES = tuple(route.removesuffix("[token]") for route in (routes.PAY, routes.INVITE))
# Stripe's published CSP needs (https://docs.stripe.com/security/guide#content-security-policy).
STRIPE_SCRIPTS = "https://js.stripe.com https://*.js.stripe.com"
STRIPE_FRAMES = "https://js.stripe.com https://*.js.stripe.com https://hooks.stripe.com"
STRIPE_CONNECT = "https://api.stripe.com https://*.stripe.com"
HSTS = "max-age=31536000"


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _websocket_origin(url: str) -> str:
    origin = _origin(url)
    return origin.replace("https://", "wss://", 1).replace("http://", "ws://", 1)


@lru_cache(maxsize=1)
def content_security_policy() -> str:
    settings = get_settings()
    backend = " ".join(filter(None, (_origin(settings.backend_url), _websocket_origin(settings.backend_url))))
    stripe = _origin(settings.stripe_base_url or "")  # the sandbox Stripe (its Stripe.js too), if any
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'unsafe-inline' 'unsafe-eval' {STRIPE_SCRIPTS} {stripe}",
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data: blob: https://*.stripe.com",
        "font-src": "'self' data:",
        "connect-src": f"'self' {backend} {STRIPE_CONNECT} {stripe}",
        "frame-src": f"{STRIPE_FRAMES} {stripe}",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }
    return "; ".join(f"{name} {' '.join(value.split())}" for name, value in directives.items())


def headers_for(path: str) -> dict[str, str]:
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer" if path.startswith(TOKEN_PREFIXES) else "strict-origin-when-cross-origin",
    }
    if not path.startswith(routes.API_V1):
        headers["Content-Security-Policy"] = content_security_policy()
        headers["X-Frame-Options"] = "DENY"
    if get_settings().public_url.startswith("https://"):
        headers["Strict-Transport-Security"] = HSTS
    return headers


class SecurityHeaders:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = headers_for(scope["path"])

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
