"""The dispatcher with the real twilio SDK against the sandbox Twilio server."""

from datetime import timedelta

from sqlmodel import select

from smslinks.core import consent, delivery
from smslinks.core.channels import PermanentFailure
from smslinks.models import SmsOptOut
from smslinks.providers import sms_provider
from tests.fakes import Clock
from tests.integration.delivery.support import enqueue, history, load, wait_for

CUSTOMER = "+15125550134"


def test_a_text_is_sent_then_delivered_by_signed_status_callbacks(env, business):
    message_id = enqueue(env, business, CUSTOMER)
    assert env.dispatcher().run_once() == 1
    sent = load(env, message_id)
    assert sent.status in ("sent", "delivered") and sent.provider_id.startswith("SM")
    [at_twilio] = env.sandbox_messages_to(CUSTOMER)
    assert at_twilio.sid == sent.provider_id and at_twilio.from_ == business.default_sending_number
    assert at_twilio.status_callback == f"{env.settings.twilio_status_callback_url}?message={message_id}"
    wait_for(lambda: load(env, message_id).status == "delivered", what="delivered")
    assert history(env, message_id) == ["queued", "sending", "sent", "delivered"]


def test_21610_fails_the_text_and_opts_the_number_out(env, business):
    message_id = enqueue(env, business, "+15125550004")
    env.dispatcher().run_once()
    failed = load(env, message_id)
    assert (failed.status, failed.error_code) == ("failed", "21610")
    assert failed.failure_reason == delivery.TWILIO_ERROR_REASONS["21610"]
    with env.session() as session:
        row = session.exec(select(SmsOptOut).where(SmsOptOut.business_id == business.id)).one()
    assert (row.e164, row.source) == ("+15125550004", "Twilio error 21610")


def test_21211_fails_the_text_with_a_readable_reason(env, business):
    message_id = enqueue(env, business, "+15125550001")
    env.dispatcher().run_once()
    failed = load(env, message_id)
    assert (failed.status, failed.error_code, failed.failure_reason) == (
        "failed",
        "21211",
        "The phone number is not valid.",
    )
    assert env.sandbox_messages_to("+15125550001") == []


def test_carrier_failure_arrives_by_callback_as_undelivered_30003(env, business):
    message_id = enqueue(env, business, "+15125550030")
    env.dispatcher().run_once()
    wait_for(lambda: load(env, message_id).status == "undelivered", what="undelivered")
    message = load(env, message_id)
    assert message.error_code == "30003"
    assert message.failure_reason == delivery.TWILIO_ERROR_REASONS["30003"]


def test_a_5xx_is_retried_and_the_text_goes_once(env, business):
    message_id = enqueue(env, business, CUSTOMER)
    env.faults(fail=1, status=500)
    clock = Clock()
    dispatcher = env.dispatcher(clock, retry_base_seconds=30)
    dispatcher.run_once()
    retrying = load(env, message_id)
    assert (retrying.status, retrying.attempts) == ("queued", 1)
    assert env.sandbox_messages_to(CUSTOMER) == []
    clock.advance(seconds=30)
    dispatcher.run_once()
    assert load(env, message_id).status in ("sent", "delivered")
    assert len(env.sandbox_messages_to(CUSTOMER)) == 1
    assert history(env, message_id)[:5] == ["queued", "sending", "queued", "sending", "sent"]


def test_a_timeout_after_twilio_took_the_text_never_sends_it_twice(env, business):
    """Twilio records the text but answers after the client gave up: the row stays "sending",
    and after the grace period it adopts the message found in Twilio's list. (No status callback
    here: it would adopt the sid first, see the next test.)"""
    message_id = enqueue(env, business, CUSTOMER)
    env.faults(hang=1, seconds=2, record=True)
    clock = Clock()
    dispatcher = env.dispatcher(clock, status_callback_url=None)
    dispatcher.run_once()
    assert load(env, message_id).status == "sending"
    assert dispatcher.run_once() == 0  # within the grace period nothing is resent
    clock.advance(seconds=11)
    assert dispatcher.run_once() == 1
    message = load(env, message_id)
    [at_twilio] = env.sandbox_messages_to(CUSTOMER)
    assert message.status in ("sent", "delivered") and message.provider_id == at_twilio.sid
    assert message.attempts == 1


def test_a_timeout_whose_callback_arrives_is_settled_by_the_callback(env, business):
    message_id = enqueue(env, business, CUSTOMER)
    env.faults(hang=1, seconds=2, record=True)
    clock = Clock()
    dispatcher = env.dispatcher(clock)
    dispatcher.run_once()
    wait_for(lambda: load(env, message_id).status == "delivered", what="delivered by callback")
    clock.advance(seconds=11)
    assert dispatcher.run_once() == 0
    [at_twilio] = env.sandbox_messages_to(CUSTOMER)
    assert load(env, message_id).provider_id == at_twilio.sid


def test_a_timeout_before_twilio_took_the_text_sends_it_once_later(env, business):
    message_id = enqueue(env, business, CUSTOMER)
    env.faults(hang=1, seconds=2, record=False)
    clock = Clock()
    dispatcher = env.dispatcher(clock)
    dispatcher.run_once()
    clock.advance(seconds=11)
    dispatcher.run_once()  # not found at Twilio: queued again, and (no backoff here) sent
    message = load(env, message_id)
    assert message.status in ("sent", "delivered") and message.attempts == 2
    assert len(env.sandbox_messages_to(CUSTOMER)) == 1


def test_a_number_that_replied_stop_on_the_dev_phone_is_refused_like_twilio_does(env, business):
    """The sandbox keeps its own opt-outs (as Twilio does); the app's registry is cleared here to
    show that Twilio's 21610 alone also stops the texts and records the opt-out."""
    first = enqueue(env, business, CUSTOMER)
    dispatcher = env.dispatcher()
    dispatcher.run_once()
    env.sandbox.opted_out.add((business.default_sending_number, CUSTOMER))
    second = enqueue(env, business, CUSTOMER)
    dispatcher.run_once()
    assert load(env, first).status in ("sent", "delivered")
    assert load(env, second).error_code == "21610"
    with env.session() as session:
        assert consent.opted_out_at(session, business.id, CUSTOMER) is not None


def test_listing_follows_pages_and_stops_at_the_since_time(env):
    provider = env.sms()
    for n in range(60):
        provider.send(to=CUSTOMER, body=f"text {n}", from_="+15125559001")
    since = env.sandbox.newest_first()[9].date_created
    everything = provider.messages_to(CUSTOMER, since - timedelta(minutes=1))
    assert [m.body for m in everything] == [f"text {n}" for n in reversed(range(60))]
    assert len(provider.messages_to(CUSTOMER, since)) >= 10


def test_line_type_lookup_through_lookup_v2(env):
    provider = env.sms()
    assert provider.line_type("+15125550134") == "mobile"
    assert provider.line_type("+15125559001") == "landline"
    assert provider.line_type("+15125558123") == "nonFixedVoip"
    assert provider.line_type("+1512") is None


def test_the_factory_builds_the_sandbox_adapter_from_settings(env):
    provider = sms_provider(
        env.settings.model_copy(update={"sandbox_twilio_port": int(env.sandbox_url.rsplit(":", 1)[1])})
    )
    assert provider.line_type("+15125550134") == "mobile"
    try:
        provider.send(to="+15125550001", body="hello", from_="+15125559001")
    except PermanentFailure as error:
        assert error.code == "21211"
    else:
        raise AssertionError("the invalid test number was accepted")
