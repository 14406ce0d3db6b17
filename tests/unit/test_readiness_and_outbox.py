from datetime import timedelta

from sqlmodel import select

from smslinks.core import outbox, sms_readiness
from smslinks.models import AuditEvent, MessageStatusEvent, utcnow
from tests import factories


def test_ready_account_has_no_blocker(session):
    business = factories.business(session)
    assert sms_readiness.account_blocker(business) is None
    assert all(p.met for p in sms_readiness.prerequisites(business))
    assert sms_readiness.prerequisites(business)[1].detail == "(512) 555-0998"  # for people, not E.164


def test_blockers_in_order_of_what_to_fix_first(session):
    business = factories.business(
        session, sms_links_available=False, sms_registration_status="pending", default_sending_number=None
    )
    assert sms_readiness.account_blocker(business) == sms_readiness.ACCOUNT_NOT_ENABLED
    business.sms_links_available = True
    assert sms_readiness.account_blocker(business) == sms_readiness.NO_SENDING_NUMBER
    business.default_sending_number = "+15125550100"
    assert sms_readiness.account_blocker(business) == sms_readiness.REGISTRATION_PENDING
    business.sms_registration_status = "not_registered"
    assert sms_readiness.account_blocker(business) == sms_readiness.NOT_REGISTERED


def test_enqueue_writes_message_history_and_audit_and_touches_the_invoice(session):
    business = factories.business(session)
    location = factories.location(session, factories.customer(session, business))
    invoice = factories.invoice(session, location)
    before = invoice.updated_at
    later = utcnow() + timedelta(hours=3)
    message = outbox.enqueue(
        session,
        business_id=business.id,
        channel="sms",
        to_address="+15125550134",
        body="hello",
        invoice_id=invoice.id,
        send_after=later,
    )
    assert message.status == "scheduled" and message.send_after == later
    assert session.exec(select(MessageStatusEvent)).one().status == "scheduled"
    assert session.exec(select(AuditEvent)).one().action == "sms.queued"
    assert invoice.updated_at > before
    now_message = outbox.enqueue(
        session, business_id=business.id, channel="email", to_address="a@example.com", body="hi", subject="Invoice"
    )
    assert now_message.status == "queued"


def test_enqueue_stores_texts_smart_encoded_and_emails_as_written(session):
    business = factories.business(session)
    text = outbox.enqueue(
        session, business_id=business.id, channel="sms", to_address="+15125550134", body="Joe’s Plumbing — thanks…"
    )
    assert text.body == "Joe's Plumbing - thanks..."
    email = outbox.enqueue(
        session,
        business_id=business.id,
        channel="email",
        to_address="a@example.com",
        body="Joe’s Plumbing — thanks…",
        subject="Receipt",
    )
    assert email.body == "Joe’s Plumbing — thanks…"
