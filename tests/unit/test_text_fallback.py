"""An email of the same link when a pay-link text cannot arrive, and only then."""

import pytest
from sqlmodel import select

from smslinks.core import accounts, delivery, invoice_view, links, online_payments, outbox, send_time, sending
from smslinks.models import EmailAddress, MessageStatus, OutboundMessage, utcnow
from tests import factories

NUMBER = "+15125550134"


@pytest.fixture
def business(session):
    return factories.business(session)


@pytest.fixture
def invoice(session, business):
    customer = factories.customer(session, business, "Ana Ruiz")
    session.add(EmailAddress(customer_id=customer.id, email="ana@example.com"))
    return factories.invoice(session, factories.location(session, customer), total_cents=12_500)


def sent_text(session, invoice, sid="SMfb1"):
    link, token = links.mint(session, invoice)
    url = links.url(accounts.the_business(session, invoice.business_id), token)
    message = outbox.enqueue(
        session,
        business_id=invoice.business_id,
        channel="sms",
        to_address=NUMBER,
        body=f"Test Plumbing: Invoice #{invoice.number}: {url}",
        invoice_id=invoice.id,
        payment_link_id=link.id,
    )
    message.status, message.provider_id = MessageStatus.SENT, sid
    session.flush()
    return message, url


def fail(session, code, sid="SMfb1"):
    delivery.apply_twilio_status(session, provider_id=sid, status="undelivered", error_code=code)


def emails(session) -> list[OutboundMessage]:
    return list(session.exec(select(OutboundMessage).where(OutboundMessage.channel == "email")).all())


def test_a_landline_gets_the_same_link_by_email_and_the_timeline_says_why(session, business, invoice):
    text, url = sent_text(session, invoice)
    fail(session, "30006")
    [email] = emails(session)
    assert (email.to_address, email.via, email.payment_link_id, email.status) == (
        "ana@example.com",
        "automatic",
        text.payment_link_id,
        "queued",
    )
    assert url in email.body and "Hello Ana Ruiz" in email.body and "$125.00" in email.subject
    office = factories.employee(session, business)
    entries = {entry.channel: entry for entry in invoice_view.timeline(session, office, invoice.id)}
    assert entries["sms"].note == "The number is a landline or its carrier cannot receive texts."
    assert entries["email"].note == (
        "Emailed because the text could not be delivered: The number is a landline or its carrier cannot receive texts."
    )
    assert entries["email"].sent_by == "Sent automatically"


@pytest.mark.parametrize("code", ["30003", "30004", "30005", "21614"])
def test_unreachable_blocked_or_not_mobile_numbers_get_the_email(session, invoice, code):
    sent_text(session, invoice)
    fail(session, code)
    assert len(emails(session)) == 1


def test_an_opt_out_failure_sends_no_email(session, invoice):
    sent_text(session, invoice)
    fail(session, "21610")
    assert emails(session) == []


def test_no_email_when_the_setting_is_off(session, business, invoice):
    accounts.payment_settings(session, business.id).email_when_text_fails = False
    sent_text(session, invoice)
    fail(session, "30006")
    assert emails(session) == []


def test_no_email_when_the_customer_has_no_email_address(session, business):
    invoice = factories.invoice(session, factories.location(session, factories.customer(session, business)))
    sent_text(session, invoice)
    fail(session, "30006")
    assert emails(session) == []


def test_no_email_when_the_invoice_was_paid_meanwhile(session, invoice):
    sent_text(session, invoice)
    invoice.status = "paid"
    fail(session, "30006")
    assert emails(session) == []


def test_a_failure_of_the_account_itself_sends_no_email(session, invoice):
    sent_text(session, invoice)
    fail(session, "30034")  # unregistered sending number: the business's problem, not the customer's
    assert emails(session) == []


def test_a_text_without_a_link_never_falls_back(session, invoice):
    message = outbox.enqueue(
        session, business_id=invoice.business_id, channel="sms", to_address=NUMBER, body="hi", invoice_id=invoice.id
    )
    message.status, message.provider_id = MessageStatus.SENT, "SMplain"
    session.flush()
    fail(session, "30006", sid="SMplain")
    assert emails(session) == []


def test_the_setting_is_on_by_default(session, business):
    assert accounts.payment_settings(session, business.id).email_when_text_fails is True


def test_the_setting_is_one_switch_in_online_payments(session, business):

    admin = factories.employee(session, business, role="Administrator")
    assert online_payments.save(session, admin, {"email_when_text_fails": False}) == ["email_when_text_fails"]
    assert accounts.payment_settings(session, business.id).email_when_text_fails is False


def test_the_email_passes_the_send_time_checks_unless_the_setting_is_turned_off_meanwhile(session, business, invoice):
    sent_text(session, invoice)
    fail(session, "30006")
    [email] = emails(session)
    assert send_time.verdicts(session, [email], utcnow()) == {}
    accounts.payment_settings(session, business.id).email_when_text_fails = False
    [verdict] = send_time.verdicts(session, [email], utcnow()).values()
    assert verdict.cancel == f"Not sent: {sending.FALLBACK_OFF}"
