"""POST /webhooks/stripe: Stripe's signed events (live Stripe, or the sandbox Stripe in sandbox mode)."""

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse

from smslinks.core import payments
from smslinks.core.payment_gateway import GatewayEvent, InvalidSignature
from smslinks.db import session_scope
from smslinks.providers import payment_gateway


def _apply(event: GatewayEvent) -> bool:
    with session_scope() as session:
        return payments.apply_event(session, event)


async def stripe_webhook(request: Request) -> JSONResponse:
    payload = await request.body()  # the raw bytes: the signature covers them exactly
    try:
        event = payment_gateway().parse_event(payload, request.headers.get("stripe-signature"))
    except InvalidSignature:
        return JSONResponse({"error": "invalid signature"}, status_code=400)
    applied = await run_in_threadpool(_apply, event)
    return JSONResponse({"received": True, "applied": applied})
