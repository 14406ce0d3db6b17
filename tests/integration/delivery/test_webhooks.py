"""Twilio's webhooks on the app's Starlette routes, signed as Twilio signs them."""

import secrets

import httpx
import pytest
from twilio.request_validator import RequestValidator

from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN
from smslinks.core import consent, inbound
from smslinks.models import MessageStatus, OutboundMessage
from smslinks.providers.twilio_sms import twiml_reply
from tests.integration.delivery.support import enqueue, history, load, wait_for

CUSTOMER = "+15125550177"
STATUS = "/webhooks/twilio/status"
INBOUND = "/webhooks/twilio/inbound"


def post(
    env,
    path: str,
    params: dict,
    *,
    token: str = SANDBOX_TWILIO_AUTH_TOKEN,
    signed_params: dict | None = None,
    signed_url: str | None = None,
    signature: str | None = None,
) -> httpx.Response:
    """POST a form the way Twilio does; the signature covers the public URL and the form."""
    url = env.settings.backend_url + path
    if signature is None:
        signature = RequestValidator(token).compute_signature(signed_url or url, signed_params or params)
    return httpx.post(env.api_url + path, data=params, headers={"X-Twilio-Signature": signature})


@pytest.fixture
def sent_message(env, business) -> OutboundMessage:
    message_id = enqueue(env, business, CUSTOMER)
    with env.session() as session:
        message = session.get(OutboundMessage, message_id)
        message.status, message.provider_id = MessageStatus.SENT, "SM" + secrets.token_hex(16)
        session.add(message)
        session.commit()
        return message


def status_params(message: OutboundMessage, status: str, **extra) -> dict:
    return {
        "AccountSid": SANDBOX_TWILIO_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": message.provider_id,
        "SmsSid": message.provider_id,
        "MessageStatus": status,
        "SmsStatus": status,
        "To": CUSTOMER,
        "From": "+15125559001",
        **extra,
    }


def test_a_genuine_callback_is_applied(env, sent_message):
    answer = post(env, STATUS, status_params(sent_message, "delivered"))
    assert answer.status_code == 204
    assert load(env, sent_message.id).status == "delivered"


@pytest.mark.parametrize(
    "forgery",
    [
        dict(token="not-the-auth-token"),
        dict(signature=""),
        dict(signature="bm90IGEgc2lnbmF0dXJl"),
        dict(signed_url="https://elsewhere.example.com/webhooks/twilio/status"),
    ],
    ids=["wrong-token", "missing", "garbage", "other-url"],
)
def test_a_forged_callback_is_refused_and_changes_nothing(env, sent_message, forgery):
    answer = post(env, STATUS, status_params(sent_message, "delivered"), **forgery)
    assert answer.status_code == 403
    assert load(env, sent_message.id).status == "sent"


def test_a_tampered_callback_is_refused(env, sent_message):
    signed = status_params(sent_message, "delivered")
    answer = post(env, STATUS, status_params(sent_message, "failed", ErrorCode="30007"), signed_params=signed)
    assert answer.status_code == 403
    assert load(env, sent_message.id).status == "sent"


def test_a_replayed_callback_is_accepted_and_changes_nothing(env, sent_message):
    params = status_params(sent_message, "undelivered", ErrorCode="30005")
    assert post(env, STATUS, params).status_code == 204
    before = history(env, sent_message.id)
    assert post(env, STATUS, params).status_code == 204
    assert history(env, sent_message.id) == before == ["queued", "undelivered"]
    assert load(env, sent_message.id).failure_reason == "The number does not exist or is no longer in service."


def test_out_of_order_and_duplicated_callbacks_end_delivered(env, sent_message):
    for status in ("delivered", "sent", "delivered", "queued", "sent"):
        assert post(env, STATUS, status_params(sent_message, status)).status_code == 204
    assert load(env, sent_message.id).status == "delivered"
    assert history(env, sent_message.id) == ["queued", "delivered"]


def inbound_params(business, body: str) -> dict:
    return {
        "AccountSid": SANDBOX_TWILIO_ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "MessageSid": "SM" + secrets.token_hex(16),
        "SmsStatus": "received",
        "From": CUSTOMER,
        "To": business.default_sending_number,
        "Body": body,
        "NumMedia": "0",
        "NumSegments": "1",
    }


def opted_out(env, business) -> bool:
    with env.session() as session:
        return consent.opted_out_at(session, business.id, CUSTOMER) is not None


def test_inbound_stop_help_and_start(env, business):
    stop = post(env, INBOUND, inbound_params(business, "Please stop texting me"))
    assert stop.status_code == 200 and stop.headers["content-type"].startswith("application/xml")
    assert stop.text == twiml_reply(inbound.signed(business.name, inbound.OPTED_OUT))
    assert opted_out(env, business)

    help_answer = post(env, INBOUND, inbound_params(business, "HELP"))
    with env.session() as session:
        expected = inbound.help_text(session.get(type(business), business.id))
    assert help_answer.text.endswith(f"<Response><Message>{expected}</Message></Response>")

    post(env, INBOUND, inbound_params(business, "START"))
    assert not opted_out(env, business)


def test_a_replayed_start_cannot_undo_a_later_stop(env, business):
    start = inbound_params(business, "START")
    post(env, INBOUND, inbound_params(business, "STOP"))
    post(env, INBOUND, start)
    post(env, INBOUND, inbound_params(business, "STOP"))
    assert opted_out(env, business)

    replay = post(env, INBOUND, start)
    assert replay.status_code == 200 and replay.text.endswith("<Response />")
    assert opted_out(env, business)


def test_an_ambiguous_reply_gets_one_clarification(env, business):
    asked = post(env, INBOUND, inbound_params(business, "Can I cancel the appointment?"))
    assert asked.text == twiml_reply(inbound.signed(business.name, inbound.CLARIFICATION))
    again = post(env, INBOUND, inbound_params(business, "I'll pay at the end of the month"))
    assert again.text.endswith("<Response />")
    assert not opted_out(env, business)


def test_a_forged_inbound_stop_changes_nothing(env, business):
    answer = post(env, INBOUND, inbound_params(business, "STOP"), token="not-the-auth-token")
    assert answer.status_code == 403
    assert not opted_out(env, business)


def test_dev_phone_replies_reach_the_app_through_the_signed_webhook(env, business):
    message_id = enqueue(env, business, CUSTOMER)
    env.dispatcher().run_once()
    wait_for(lambda: load(env, message_id).status == "delivered", what="delivered")

    page = httpx.get(f"{env.sandbox_url}/dev-phone").text
    link = load(env, message_id).body.rsplit(" ", 1)[1]
    assert f'<a href="{link}"' in page

    httpx.post(f"{env.sandbox_url}/dev-phone/reply", data={"number": CUSTOMER, "keyword": "HELP"})
    replies = [m.body for m in env.sandbox.newest_first() if m.direction == "outbound-reply"]
    assert replies and replies[0].startswith(f"{business.name}: invoice and payment texts.")

    httpx.post(f"{env.sandbox_url}/dev-phone/reply", data={"number": CUSTOMER, "body": "STOP"})
    assert opted_out(env, business)
    assert (business.default_sending_number, CUSTOMER) in env.sandbox.opted_out

    httpx.post(f"{env.sandbox_url}/dev-phone/reply", data={"number": CUSTOMER, "body": "START"})
    assert not opted_out(env, business)
    assert (business.default_sending_number, CUSTOMER) not in env.sandbox.opted_out
