"""Twilio's webhooks: message status callbacks and inbound texts.

Each request must carry a valid X-Twilio-Signature, computed by Twilio over the exact public URL it
requested (settings.backend_url + path + query) and the posted form. Behind a proxy or load
balancer, set SMSLINKS_PUBLIC_URL (or SMSLINKS_API_URL) to the scheme and host Twilio uses, not
the internal address the app sees. A replayed request passes the check (Twilio's signature has no
timestamp): a status applied twice changes nothing, and an inbound text is applied once by its
MessageSid, so a replayed old START cannot undo a later STOP.
"""

import logging

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response

from smslinks.config import get_settings
from smslinks.core import delivery, inbound
from smslinks.db import session_scope
from smslinks.providers.twilio_sms import signature_valid, twiml_reply

log = logging.getLogger(__name__)


async def _signed_form(request: Request) -> dict[str, str] | None:
    """The posted form, or None when the signature does not match."""
    settings = get_settings()
    url = settings.backend_url + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    form = await request.form()
    signature = request.headers.get("x-twilio-signature", "")
    if not signature_valid(settings.twilio_credentials[1], url, form, signature):
        log.warning("rejected a Twilio webhook with a bad signature at %s", url)
        return None
    return {key: str(value) for key, value in form.items()}


def _apply_status(form: dict[str, str], message_id: int | None) -> None:
    with session_scope() as session:
        delivery.apply_twilio_status(
            session,
            provider_id=form.get("MessageSid") or form.get("SmsSid", ""),
            status=form.get("MessageStatus") or form.get("SmsStatus", ""),
            error_code=form.get("ErrorCode") or None,
            message_id=message_id,
        )


async def twilio_status(request: Request) -> Response:
    form = await _signed_form(request)
    if form is None:
        return PlainTextResponse("Invalid signature.", status_code=403)
    message = request.query_params.get("message", "")
    await run_in_threadpool(_apply_status, form, int(message) if message.isdigit() else None)
    return Response(status_code=204)


def _receive(form: dict[str, str]) -> inbound.InboundResult:
    with session_scope() as session:
        return inbound.receive(
            session,
            from_number=form.get("From", ""),
            to_number=form.get("To", ""),
            body=form.get("Body", ""),
            provider_id=form.get("MessageSid"),
        )


async def twilio_inbound(request: Request) -> Response:
    form = await _signed_form(request)
    if form is None:
        return PlainTextResponse("Invalid signature.", status_code=403)
    result = await run_in_threadpool(_receive, form)
    return Response(twiml_reply(result.reply), media_type="application/xml")
