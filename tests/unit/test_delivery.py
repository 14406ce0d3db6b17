"""Status callbacks applied idempotently and out of order; Twilio error codes in plain English."""

import pytest
from sqlmodel import select

from smslinks.core import consent, delivery, outbox
from smslinks.models import AuditEvent, MessageStatus, MessageStatusEvent
from tests import factories


@pytest.fixture
def sent_message(session):
    business = factories.business(session)
    invoice = factories.invoice(session, factories.location(session, factories.customer(session, business)))
    message = outbox.enqueue(
        session, business_id=business.id, channel="sms", to_address="+15125550134", body="hello", invoice_id=invoice.id
    )
    message.status, message.provider_id = MessageStatus.SENT, "SM1"
    session.add(message)
    session.flush()
    return message


def apply(session, status, sid="SM1", **kwargs) -> bool:
    return delivery.apply_twilio_status(session, provider_id=sid, status=status, **kwargs)


def statuses(session, message) -> list[str]:
    return session.exec(
        select(MessageStatusEvent.status)
        .where(MessageStatusEvent.message_id == message.id)
        .order_by(MessageStatusEvent.id)
    ).all()


def test_status_order_puts_every_outcome_after_sent():
    order = delivery.RANK
    assert order["scheduled"] < order["queued"] < order["sending"] < order["sent"] < order["delivered"]
    assert order["undelivered"] == order["failed"] == order["delivered"]
    assert delivery.FINAL == {"delivered", "undelivered", "failed", "canceled"}


def test_delivered_then_a_late_sent_keeps_delivered(session, sent_message):
    assert apply(session, "delivered") is True
    assert apply(session, "sent") is False
    session.refresh(sent_message)
    assert sent_message.status == "delivered"
    assert statuses(session, sent_message) == ["queued", "delivered"]


def test_a_duplicate_callback_changes_nothing(session, sent_message):
    assert apply(session, "delivered") is True
    audits = len(session.exec(select(AuditEvent)).all())
    assert apply(session, "delivered") is False
    assert len(session.exec(select(AuditEvent)).all()) == audits
    assert statuses(session, sent_message) == ["queued", "delivered"]


def test_twilio_queued_and_sending_reports_change_nothing(session, sent_message):
    assert apply(session, "queued") is False and apply(session, "sending") is False
    session.refresh(sent_message)
    assert sent_message.status == "sent"


def test_undelivered_records_the_code_and_a_readable_reason(session, sent_message):
    assert apply(session, "undelivered", error_code="30003") is True
    session.refresh(sent_message)
    assert (sent_message.status, sent_message.error_code) == ("undelivered", "30003")
    assert sent_message.failure_reason == delivery.TWILIO_ERROR_REASONS["30003"]
    event = session.exec(select(MessageStatusEvent).order_by(MessageStatusEvent.id.desc())).first()
    assert (event.error_code, event.detail) == ("30003", sent_message.failure_reason)
    assert apply(session, "delivered") is False  # a failure is final too


def test_failed_with_21610_opts_the_number_out(session, sent_message):
    apply(session, "failed", error_code="21610")
    assert consent.opted_out_at(session, sent_message.business_id, "+15125550134") is not None


def test_a_callback_for_someone_elses_sid_changes_nothing(session, sent_message):
    assert apply(session, "delivered", sid="SM-other", message_id=sent_message.id) is False
    session.refresh(sent_message)
    assert (sent_message.status, sent_message.provider_id) == ("sent", "SM1")


def test_a_callback_before_the_sid_is_recorded_adopts_it(session, sent_message):
    sent_message.status, sent_message.provider_id = MessageStatus.SENDING, None
    session.add(sent_message)
    session.flush()
    assert apply(session, "sent", sid="SM9", message_id=sent_message.id) is True
    session.refresh(sent_message)
    assert (sent_message.status, sent_message.provider_id) == ("sent", "SM9")


def test_callback_touches_the_invoice_and_is_audited(session, sent_message):
    from smslinks.models import Invoice

    invoice = session.get(Invoice, sent_message.invoice_id)
    before = invoice.updated_at
    apply(session, "delivered")
    session.flush()
    session.expire(invoice)
    assert invoice.updated_at > before
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "sms.delivered")).one()
    assert audit.actor == "Twilio"


@pytest.mark.parametrize(
    "code, words",
    [
        ("30001", "queue"),
        ("30002", "suspended"),
        ("30003", "unreachable"),
        ("30004", "blocked"),
        ("30005", "does not exist"),
        ("30006", "landline"),
        ("30007", "spam"),
        ("30008", "no reason"),
        ("30034", "not registered"),
        ("21211", "not valid"),
        ("21408", "not enabled"),
        ("21610", "STOP"),
        ("21612", "cannot receive"),
        ("21614", "not a mobile"),
    ],
)
def test_error_codes_have_readable_reasons(code, words):
    reason = delivery.twilio_error_reason(code)
    assert words in reason and code not in reason


def test_unknown_codes_still_show_the_code():
    assert delivery.twilio_error_reason("63999") == "Twilio could not send or deliver the text (error 63999)."
    assert delivery.twilio_error_reason(None) == "The carrier could not deliver the text."
