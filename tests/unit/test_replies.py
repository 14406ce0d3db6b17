"""The replies inbox: every inbound text kept, matched to its customer and the invoice last texted."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from smslinks.core import inbound, outbox
from smslinks.models import Channel, InboundMessage
from tests import factories

T0 = datetime(2026, 12, 3, 15, 0, tzinfo=UTC)
NUMBER = "+15125550134"
sids = itertools.count(1)


@pytest.fixture
def business(session):
    return factories.business(session, email="office@testplumbing.example")


def receive(session, business, body, sender=NUMBER, at=T0, sid=None):
    return inbound.receive(
        session,
        from_number=sender,
        to_number=business.default_sending_number,
        body=body,
        provider_id=sid or f"SMrp{next(sids):08d}",
        now=at,
    )


def text(session, invoice, to=NUMBER):
    return outbox.enqueue(
        session,
        business_id=invoice.business_id,
        channel=Channel.SMS,
        to_address=to,
        body="Test Plumbing: your invoice",
        invoice_id=invoice.id,
    )


def stored(session) -> list[InboundMessage]:
    return list(session.exec(select(InboundMessage).order_by(InboundMessage.id)).all())


def test_a_reply_is_matched_to_the_customer_and_the_invoice_last_texted_to_the_number(session, business):
    customer = factories.customer(session, business, "Ana Ruiz")
    factories.phone(session, NUMBER, customer=customer)
    home = factories.location(session, customer)
    older, newer = factories.invoice(session, home), factories.invoice(session, home)
    text(session, older)
    text(session, newer)
    text(session, older, to="+15125550777")  # another number's text does not count
    receive(session, business, "Can I pay Friday?")
    [reply] = stored(session)
    assert (reply.customer_id, reply.invoice_id) == (customer.id, newer.id)
    assert (reply.body, reply.keyword, reply.action, reply.read_at) == ("Can I pay Friday?", "none", "", None)


def test_a_number_on_a_service_location_matches_its_customer(session, business):
    customer = factories.customer(session, business)
    factories.phone(session, NUMBER, location=factories.location(session, customer))
    receive(session, business, "Hello")
    assert (stored(session)[0].customer_id, stored(session)[0].invoice_id) == (customer.id, None)


def test_the_texted_invoices_customer_wins_when_several_customers_share_the_number(session, business):
    first, second = factories.customer(session, business), factories.customer(session, business)
    factories.phone(session, NUMBER, customer=first)
    factories.phone(session, NUMBER, customer=second)
    invoice = factories.invoice(session, factories.location(session, second))
    text(session, invoice)
    receive(session, business, "ok")
    assert (stored(session)[0].customer_id, stored(session)[0].invoice_id) == (second.id, invoice.id)


def test_an_unknown_number_is_kept_unmatched_and_another_business_never_matches(session, business):
    other = factories.business(session, name="Other Co", default_sending_number="+15125550555")
    invoice = factories.invoice(session, factories.location(session, factories.customer(session, other)))
    text(session, invoice)
    receive(session, business, "who is this?")
    assert (stored(session)[0].business_id, stored(session)[0].customer_id, stored(session)[0].invoice_id) == (
        business.id,
        None,
        None,
    )


def test_stop_start_and_help_are_kept_with_what_they_did(session, business):
    receive(session, business, "STOP")
    receive(session, business, "stop", at=T0 + timedelta(minutes=1))
    receive(session, business, "START", at=T0 + timedelta(minutes=2))
    receive(session, business, "HELP", at=T0 + timedelta(minutes=3))
    receive(session, business, "I'll pay at the end of the month", at=T0 + timedelta(minutes=4))
    assert [(m.keyword, m.action) for m in stored(session)] == [
        ("opt_out", "Opted out: no more texts to this number."),
        ("opt_out", "Already opted out: no texts go to this number."),
        ("opt_in", "Opted back in: texts to this number can resume."),
        ("help", "Asked for help: answered with the business's phone and email."),
        ("ambiguous", "Asked whether they meant stop: no answer within 5 minutes opts the number out."),
    ]


def test_a_replayed_webhook_is_stored_once(session, business):
    receive(session, business, "Thanks!", sid="SMsame")
    receive(session, business, "Thanks!", sid="SMsame")
    assert len(stored(session)) == 1


def test_a_reply_touches_the_invoice_so_open_pages_refresh(session, business):
    invoice = factories.invoice(session, factories.location(session, factories.customer(session, business)))
    text(session, invoice)
    invoice.updated_at = before = T0 - timedelta(days=1)
    session.flush()
    receive(session, business, "got it", at=T0)
    session.refresh(invoice)
    assert invoice.updated_at > before
