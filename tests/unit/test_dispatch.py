"""The dispatcher's decisions, with fake providers and a settable clock (SQLite file database)."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smslinks.core import consent, delivery, inbound, outbox, sms_readiness
from smslinks.core.channels import PermanentFailure, TransientFailure
from smslinks.core.dispatch import OPTED_OUT_REASON, Dispatcher, DispatchPolicy
from smslinks.models import AuditEvent, Invoice, MessageStatusEvent, OutboundMessage
from tests import factories
from tests.fakes import TIMEOUT_AFTER_REACHING, TIMEOUT_BEFORE_REACHING, Clock, FakeEmail, FakeSms

CALLBACK = "https://app.example.com/webhooks/twilio/status"
POLICY = DispatchPolicy(max_attempts=3, retry_base_seconds=30, sending_grace_seconds=120, status_callback_url=CALLBACK)


@pytest.fixture
def world(engine):
    """A business, an invoice and a clock; returns ids (the dispatcher uses its own sessions)."""
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session)
        location = factories.location(session, factories.customer(session, business))
        invoice = factories.invoice(session, location)
        session.commit()
        return {"business": business, "invoice_id": invoice.id}


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def sms(clock):
    return FakeSms(clock)


@pytest.fixture
def email():
    return FakeEmail()


def make_dispatcher(engine, sms, email, clock, policy=POLICY) -> Dispatcher:
    return Dispatcher(engine, sms=sms, email=email, policy=policy, clock=clock)


def enqueue(engine, world, to="+15125550134", channel="sms", **kwargs) -> int:
    with Session(engine, expire_on_commit=False) as session:
        message = outbox.enqueue(
            session,
            business_id=world["business"].id,
            channel=channel,
            to_address=to,
            body=kwargs.pop("body", "Your invoice: https://pay.example.com/pay/abc"),
            invoice_id=world["invoice_id"],
            **kwargs,
        )
        session.commit()
        return message.id


def message(engine, message_id) -> OutboundMessage:
    with Session(engine) as session:
        return session.get(OutboundMessage, message_id)


def history(engine, message_id) -> list[str]:
    with Session(engine) as session:
        events = session.exec(
            select(MessageStatusEvent)
            .where(MessageStatusEvent.message_id == message_id)
            .order_by(MessageStatusEvent.id)
        ).all()
        return [event.status for event in events]


def test_success_marks_sent_with_the_sid_and_tells_twilio_where_to_report(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    with Session(engine) as session:
        before = session.get(Invoice, world["invoice_id"]).updated_at
    assert make_dispatcher(engine, sms, email, clock).run_once() == 1
    sent = message(engine, message_id)
    assert sent.status == "sent" and sent.provider_id == sms.messages[0].provider_id
    assert sent.attempts == 1
    assert history(engine, message_id) == ["queued", "sending", "sent"]
    [call] = sms.calls
    assert call.from_ == world["business"].default_sending_number
    assert call.status_callback == f"{CALLBACK}?message={message_id}"
    with Session(engine) as session:
        actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
        assert session.get(Invoice, world["invoice_id"]).updated_at > before
    assert actions == ["sms.queued", "sms.sending", "sms.sent"]


def test_nothing_due_means_nothing_handled(engine, world, sms, email, clock):
    assert make_dispatcher(engine, sms, email, clock).run_once() == 0
    assert sms.calls == []


def test_messaging_service_replaces_the_from_number(engine, world, sms, email, clock):
    enqueue(engine, world)
    policy = DispatchPolicy(messaging_service_sid="MG123", status_callback_url=CALLBACK)
    make_dispatcher(engine, sms, email, clock, policy).run_once()
    assert sms.calls[0].messaging_service_sid == "MG123" and sms.calls[0].from_ is None


@pytest.mark.parametrize(
    "code, reason",
    [
        ("21211", "The phone number is not valid."),
        ("21614", "The number is not a mobile number, so it cannot receive texts."),
    ],
)
def test_permanent_error_fails_with_a_readable_reason(engine, world, sms, email, clock, code, reason):
    message_id = enqueue(engine, world)
    sms.script = [PermanentFailure("Unable to create record", code)]
    dispatcher = make_dispatcher(engine, sms, email, clock)
    assert dispatcher.run_once() == 1
    failed = message(engine, message_id)
    assert (failed.status, failed.error_code, failed.failure_reason) == ("failed", code, reason)
    assert history(engine, message_id) == ["queued", "sending", "failed"]
    clock.advance(hours=1)
    assert dispatcher.run_once() == 0 and len(sms.calls) == 1


def test_21610_fails_and_opts_the_number_out(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    sms.script = [PermanentFailure("Attempt to send to unsubscribed recipient", "21610")]
    make_dispatcher(engine, sms, email, clock).run_once()
    assert message(engine, message_id).failure_reason == delivery.TWILIO_ERROR_REASONS["21610"]
    with Session(engine) as session:
        assert consent.opted_out_at(session, world["business"].id, "+15125550134") is not None
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "sms.opted_out")).one()


def test_transient_error_retries_with_exponential_backoff_then_succeeds(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    sms.script = [TransientFailure("Twilio answered 503"), TransientFailure("Twilio answered 503")]
    dispatcher = make_dispatcher(engine, sms, email, clock)
    start = clock.now
    dispatcher.run_once()
    waiting = message(engine, message_id)
    assert waiting.status == "queued" and waiting.next_attempt_at == start + timedelta(seconds=30)
    assert dispatcher.run_once() == 0  # not due yet
    clock.advance(seconds=30)
    dispatcher.run_once()
    assert message(engine, message_id).next_attempt_at == clock.now + timedelta(seconds=60)
    clock.advance(seconds=60)
    dispatcher.run_once()
    sent = message(engine, message_id)
    assert (sent.status, sent.attempts, len(sms.calls)) == ("sent", 3, 3)
    assert history(engine, message_id) == ["queued", "sending", "queued", "sending", "queued", "sending", "sent"]


def test_transient_errors_give_up_after_max_attempts_with_the_reason(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    sms.script = [TransientFailure("Could not connect to Twilio.")] * 3
    dispatcher = make_dispatcher(engine, sms, email, clock)
    for _ in range(3):
        dispatcher.run_once()
        clock.advance(hours=1)
    failed = message(engine, message_id)
    assert failed.status == "failed"
    assert failed.failure_reason == "Could not connect to Twilio. Gave up after 3 attempts."
    assert dispatcher.run_once() == 0 and len(sms.calls) == 3


def test_unknown_outcome_is_reconciled_by_adopting_the_message_twilio_has(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    sms.script = [TIMEOUT_AFTER_REACHING]
    dispatcher = make_dispatcher(engine, sms, email, clock)
    dispatcher.run_once()
    assert message(engine, message_id).status == "sending"
    clock.advance(seconds=60)
    assert dispatcher.run_once() == 0  # still within the grace period: hands off
    clock.advance(seconds=61)
    assert dispatcher.run_once() == 1
    adopted = message(engine, message_id)
    assert (adopted.status, adopted.provider_id) == ("sent", sms.messages[0].provider_id)
    assert len(sms.calls) == 1


def test_unknown_outcome_with_nothing_at_twilio_is_sent_again(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    sms.script = [TIMEOUT_BEFORE_REACHING]
    dispatcher = make_dispatcher(engine, sms, email, clock)
    dispatcher.run_once()
    clock.advance(seconds=121)
    dispatcher.run_once()  # reconciles: not found, queued again after the backoff
    assert message(engine, message_id).status == "queued"
    clock.advance(seconds=30)
    dispatcher.run_once()
    sent = message(engine, message_id)
    assert (sent.status, sent.attempts, len(sms.calls), len(sms.messages)) == ("sent", 2, 2, 1)


def test_reconciling_two_identical_texts_adopts_a_different_message_for_each(engine, world, sms, email, clock):
    first = enqueue(engine, world, body="Thanks for your payment")
    second = enqueue(engine, world, body="Thanks for your payment")
    sms.script = [TIMEOUT_AFTER_REACHING, TIMEOUT_AFTER_REACHING]
    dispatcher = make_dispatcher(engine, sms, email, clock)
    dispatcher.run_once()
    clock.advance(seconds=121)
    dispatcher.run_once()
    sids = {message(engine, first).provider_id, message(engine, second).provider_id}
    assert sids == {m.provider_id for m in sms.messages} and len(sids) == 2


def test_a_crash_after_the_claim_is_reconciled(engine, world, sms, email, clock):
    """A dispatcher that claimed the row and died: another one settles it after the grace period."""
    message_id = enqueue(engine, world)
    make_dispatcher(engine, sms, email, clock).claim_batch(1)  # claimed and committed, then "crash"
    assert message(engine, message_id).status == "sending"
    clock.advance(seconds=121)
    survivor = make_dispatcher(engine, sms, email, clock)
    survivor.run_once()
    clock.advance(seconds=30)
    survivor.run_once()
    assert message(engine, message_id).status == "sent" and len(sms.calls) == 1


def test_opted_out_number_is_never_texted(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)
    with Session(engine) as session:
        consent.opt_out(session, world["business"].id, "+15125550134", 'reply "STOP"')
        session.commit()
    make_dispatcher(engine, sms, email, clock).run_once()
    failed = message(engine, message_id)
    assert (failed.status, failed.failure_reason) == ("failed", OPTED_OUT_REASON)
    assert sms.calls == []


def test_an_unanswered_clarification_opts_out_and_only_its_confirmation_goes(engine, world, sms, email, clock):
    business = world["business"]
    with Session(engine) as session:
        asked = inbound.receive(
            session,
            from_number="+15125550134",
            to_number=business.default_sending_number,
            body="I'll pay at the end of the month",
            provider_id="SMask",
            now=clock(),
        )
        session.commit()
    assert asked.keyword is inbound.Keyword.AMBIGUOUS
    dispatcher = make_dispatcher(engine, sms, email, clock)
    dispatcher.run_once()
    invoice_text = enqueue(engine, world)
    clock.advance(minutes=5)
    dispatcher.run_once()
    assert [call.body for call in sms.calls] == [inbound.signed(business.name, inbound.OPTED_OUT)]
    assert message(engine, invoice_text).failure_reason == OPTED_OUT_REASON
    clock.advance(minutes=5)
    dispatcher.run_once()
    assert len(sms.calls) == 1


def test_no_sending_number_fails_with_the_reason(engine, world, sms, email, clock):
    with Session(engine) as session:
        business = session.get(type(world["business"]), world["business"].id)
        business.default_sending_number = None
        session.add(business)
        session.commit()
    message_id = enqueue(engine, world)
    make_dispatcher(engine, sms, email, clock).run_once()
    assert message(engine, message_id).failure_reason == sms_readiness.NO_SENDING_NUMBER
    assert sms.calls == []


def test_scheduled_text_is_held_then_sent_when_its_time_comes(engine, world, sms, email, clock):
    message_id = enqueue(engine, world, send_after=clock.now + timedelta(hours=9))
    dispatcher = make_dispatcher(engine, sms, email, clock)
    assert dispatcher.run_once() == 0 and message(engine, message_id).status == "scheduled"
    clock.advance(hours=9)
    assert dispatcher.run_once() == 1
    assert message(engine, message_id).status == "sent"
    assert history(engine, message_id) == ["scheduled", "queued", "sending", "sent"]


def test_a_callback_that_beats_the_dispatcher_commit_is_not_overwritten(engine, world, sms, email, clock):
    message_id = enqueue(engine, world)

    def delivered_callback(sid):
        with Session(engine) as session:
            assert delivery.apply_twilio_status(session, provider_id=sid, status="delivered", message_id=message_id)
            session.commit()

    sms.on_send = delivered_callback
    make_dispatcher(engine, sms, email, clock).run_once()
    final = message(engine, message_id)
    assert (final.status, final.provider_id) == ("delivered", sms.messages[0].provider_id)
    assert history(engine, message_id) == ["queued", "sending", "delivered"]


def test_email_is_sent_through_the_email_provider(engine, world, sms, email, clock):
    message_id = enqueue(engine, world, channel="email", to="maria@example.net", subject="Invoice 20001")
    make_dispatcher(engine, sms, email, clock).run_once()
    sent = message(engine, message_id)
    assert sent.status == "sent" and sent.provider_id == "<1@example.test>"
    assert email.sent == [
        dict(
            to="maria@example.net",
            subject="Invoice 20001",
            body="Your invoice: https://pay.example.com/pay/abc",
            from_name="Test Plumbing",
            reply_to=None,
        )
    ]
    assert sms.calls == []


def test_email_refused_by_the_server_fails_with_its_reason(engine, world, sms, email, clock):
    message_id = enqueue(engine, world, channel="email", to="nobody@example.net", subject="Invoice")
    reason = "The mail server refused the address nobody@example.net (550 No such user)."
    email.script = [PermanentFailure(reason, "550")]
    make_dispatcher(engine, sms, email, clock).run_once()
    failed = message(engine, message_id)
    assert (failed.status, failed.failure_reason, failed.error_code) == ("failed", reason, "550")


def test_a_batch_records_each_outcome_failure_unknown_and_sent(engine, world, sms, email, clock):
    """Ten texts claimed and sent together: the refused one fails with its reason, the unanswered
    one stays "sending" until reconciled, the other eight are sent; nothing is sent twice."""
    numbers = [f"+1512555{n:04d}" for n in range(10)]
    ids = {number: enqueue(engine, world, to=number, body=f"Text {number}") for number in numbers}
    refused, unanswered = numbers[3], numbers[6]
    sms.by_number = {refused: PermanentFailure("Invalid To", "21211"), unanswered: TIMEOUT_AFTER_REACHING}
    sms.latency, sms.overlap = 0.02, 2
    dispatcher = make_dispatcher(engine, sms, email, clock)
    assert dispatcher.run_once() == 10
    assert sms.max_in_flight > 1  # the provider calls overlapped
    statuses = {number: message(engine, ids[number]).status for number in numbers}
    assert statuses.pop(refused) == "failed" and statuses.pop(unanswered) == "sending"
    assert set(statuses.values()) == {"sent"}
    assert message(engine, ids[refused]).failure_reason == "The phone number is not valid."
    sids = {message(engine, ids[number]).provider_id for number in statuses}
    assert len(sids) == 8 and sids <= {m.provider_id for m in sms.messages}
    for number in statuses:  # each row got the sid of its own text
        sent = message(engine, ids[number])
        assert next(m for m in sms.messages if m.provider_id == sent.provider_id).body == f"Text {number}"
    assert history(engine, ids[refused]) == ["queued", "sending", "failed"]

    clock.advance(seconds=121)
    assert dispatcher.run_once() == 1  # the unanswered one is found at the provider, not resent
    assert message(engine, ids[unanswered]).status == "sent"
    assert len(sms.calls) == 10
    dispatcher.close()


def test_concurrency_one_sends_one_at_a_time(engine, world, sms, email, clock):
    for n in range(5):
        enqueue(engine, world, to=f"+1512555{n:04d}")
    sms.latency = 0.01
    policy = DispatchPolicy(status_callback_url=CALLBACK, concurrency=1)
    assert make_dispatcher(engine, sms, email, clock, policy).run_once() == 5
    assert sms.max_in_flight == 1 and len(sms.calls) == 5


def test_a_batch_skips_opted_out_numbers_and_sends_the_rest(engine, world, sms, email, clock):
    ids = [enqueue(engine, world, to=f"+1512555{n:04d}") for n in range(4)]
    with Session(engine) as session:
        consent.opt_out(session, world["business"].id, "+15125550002", 'reply "STOP"')
        session.commit()
    assert make_dispatcher(engine, sms, email, clock).run_once() == 3
    assert [message(engine, i).status for i in ids] == ["sent", "sent", "failed", "sent"]
    assert "+15125550002" not in {call.to for call in sms.calls}


def test_a_text_waiting_behind_slow_calls_past_half_its_grace_is_queued_again_unsent(engine, world, sms, email, clock):
    """Its request could otherwise still be in flight when another dispatcher reconciles it."""
    ids = [enqueue(engine, world, to=f"+1512555{n:04d}") for n in range(3)]
    sms.on_send = lambda _sid: clock.advance(seconds=61)  # the first call takes just over half the grace
    policy = DispatchPolicy(status_callback_url=CALLBACK, concurrency=1, sending_grace_seconds=120)
    dispatcher = make_dispatcher(engine, sms, email, clock, policy)
    assert dispatcher.run_once() == 3
    assert [message(engine, i).status for i in ids] == ["sent", "queued", "queued"]
    assert len(sms.calls) == 1
    sms.on_send = None
    clock.advance(seconds=POLICY.retry_base_seconds)
    assert dispatcher.run_once() == 2
    assert [message(engine, i).status for i in ids] == ["sent", "sent", "sent"] and len(sms.calls) == 3
