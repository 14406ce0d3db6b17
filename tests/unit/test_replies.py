"""The replies inbox: every inbound text kept, matched to its customer and the invoice last texted."""

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from smslinks.core import inbound, invoice_view, outbox, replies
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.sms_text import segment_info
from smslinks.models import Channel, InboundMessage, OutboundMessage, utcnow
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


# --- the inbox: unread counts, threads, answers ---------------------------------------------------


@pytest.fixture
def office(session, business):
    return factories.employee(session, business)


def test_unread_counts_fall_as_threads_are_opened_and_a_new_reply_counts_again(session, business, office):
    receive(session, business, "first")
    receive(session, business, "second", at=T0 + timedelta(minutes=1))
    receive(session, business, "other number", sender="+15125550177")
    assert replies.unread_count(session, office) == 3
    assert [(row.number, row.unread) for row in replies.threads(session, office)] == [
        ("+15125550177", 1),
        (NUMBER, 2),
    ]
    opened = replies.thread(session, office, NUMBER)
    assert [entry.body for entry in opened.entries] == ["first", "second"]
    assert replies.unread_count(session, office) == 1
    receive(session, business, "third", at=T0 + timedelta(minutes=2))
    assert replies.unread_count(session, office) == 2


def test_another_business_replies_are_neither_counted_nor_opened(session, business, office):
    other = factories.business(session, name="Other Co", default_sending_number="+15125550555")
    receive(session, other, "for the other business")
    assert replies.unread_count(session, office) == 0
    assert replies.threads(session, office) == []
    with pytest.raises(NotFound):
        replies.thread(session, office, NUMBER)
    with pytest.raises(NotFound):
        replies.answer(session, office, NUMBER, "hello")


def test_staff_who_may_not_view_invoices_see_no_inbox(session, business):
    technician = factories.employee(session, business, role="Technician")
    receive(session, business, "hi")
    with pytest.raises(NotAllowed):
        replies.unread_count(session, technician)
    with pytest.raises(NotAllowed):
        replies.answer(session, technician, NUMBER, "hello")


def test_an_answer_is_queued_signed_tied_to_the_invoice_and_closes_the_thread(session, business, office):
    invoice = factories.invoice(session, factories.location(session, factories.customer(session, business)))
    text(session, invoice)
    receive(session, business, "Can I pay Friday?", at=utcnow())
    message = replies.answer(session, office, NUMBER, "  Yes,   Friday is fine. ")
    assert (message.channel, message.to_address, message.status) == ("sms", NUMBER, "queued")
    assert message.body == "Test Plumbing: Yes, Friday is fine."
    assert (message.invoice_id, message.payment_link_id, message.sent_by_employee_id) == (invoice.id, None, office.id)
    [row] = replies.threads(session, office)
    assert (row.done, row.unread) == (True, 0)
    entries = replies.thread(session, office, NUMBER).entries
    assert [(e.incoming, e.body) for e in entries] == [
        (False, "Invoice text (payment link, receipt or notice)"),  # a link's token is never shown
        (True, "Can I pay Friday?"),
        (False, "Test Plumbing: Yes, Friday is fine."),
    ]


@pytest.mark.parametrize("length, allowed", [(153 * 3 - len("Test Plumbing: "), True), (153 * 3, False)])
def test_an_answer_is_one_to_three_segments(session, business, office, length, allowed):
    receive(session, business, "question")
    if allowed:
        body = replies.answer(session, office, NUMBER, "a" * length).body
        assert segment_info(body).segments == 3
    else:
        with pytest.raises(DomainError, match="at most 3 texts"):
            replies.answer(session, office, NUMBER, "a" * length)


def test_an_empty_answer_is_refused(session, business, office):
    receive(session, business, "question")
    with pytest.raises(DomainError, match="Write an answer first"):
        replies.answer(session, office, NUMBER, "   ")


def test_an_opted_out_number_cannot_be_answered_and_writes_nothing(session, business, office):
    receive(session, business, "STOP")
    before = len(session.exec(select(OutboundMessage)).all())
    with pytest.raises(DomainError, match="opted out of texts"):
        replies.answer(session, office, NUMBER, "Sorry to see you go")
    assert len(session.exec(select(OutboundMessage)).all()) == before
    assert replies.thread(session, office, NUMBER).opted_out is True


def test_marking_done_closes_until_the_next_reply(session, business, office):
    receive(session, business, "thanks")
    replies.mark_done(session, office, NUMBER)
    assert replies.threads(session, office)[0].done and replies.unread_count(session, office) == 0
    receive(session, business, "one more thing", at=T0 + timedelta(minutes=5))
    assert not replies.threads(session, office)[0].done


def test_replies_show_in_the_invoice_timeline_with_what_they_did(session, business, office):
    invoice = factories.invoice(session, factories.location(session, factories.customer(session, business)))
    text(session, invoice)
    receive(session, business, "STOP", at=utcnow() + timedelta(minutes=1))
    newest = invoice_view.timeline(session, office, invoice.id)[0]
    assert (newest.channel, newest.title, newest.body, newest.note) == (
        "reply",
        "Reply from (512) 555-0134",
        "STOP",
        "Opted out: no more texts to this number.",
    )


def test_the_same_answer_key_sends_once(session, business, office):
    receive(session, business, "question")
    key = replies.new_answer_key()
    first = replies.answer(session, office, NUMBER, "Yes", key=key)
    assert replies.answer(session, office, NUMBER, "Yes", key=key).id == first.id
    assert replies.activity(session, office) == (0, stored(session)[-1].id)
