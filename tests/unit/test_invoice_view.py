"""core/invoice_view: the invoice page's detail, payment link state and message timeline."""

from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.core import accounts, invoice_view, links, outbox, receipts, sending
from smslinks.core.errors import DomainError
from smslinks.core.sending import Recipient, Via
from smslinks.models import AuditEvent, MessageStatusEvent, OutboundMessage, Payment, utcnow
from tests import factories


@pytest.fixture
def setup(session):
    business = factories.business(session)
    settings = accounts.payment_settings(session, business.id)
    settings.sms_links_enabled = settings.office_sms_enabled = True
    office = factories.employee(session, business, name="Olivia Office")
    customer = factories.customer(session, business, "Maria Garcia")
    location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
    invoice = factories.invoice(session, location, total_cents=24_500, number="10012")
    mobile = factories.phone(session, "512-555-0104", customer=customer)
    return session, business, office, invoice, mobile, location


def test_detail_shows_customer_location_lines_and_totals(setup):
    session, _business, office, invoice, _mobile, _location = setup
    invoice.amount_paid_cents = 4_500
    detail = invoice_view.detail(session, office, invoice.id)
    assert (detail.number, detail.customer_name, detail.address) == (
        "10012",
        "Maria Garcia",
        "100 Main St, Austin, TX 78701",
    )
    assert [(line.description, line.quantity, line.amount) for line in detail.lines] == [
        ("Service call", "1", "$245.00")
    ]
    assert (detail.total, detail.amount_paid, detail.balance) == ("$245.00", "$45.00", "$200.00")
    assert [(p.value, p.label) for p in detail.customer_phones] == [("(512) 555-0104", "Mobile")]


def test_timeline_shows_who_sent_what_to_whom_and_its_status(setup):
    session, _business, office, invoice, mobile, _location = setup
    result = sending.send_invoice_text(session, office, invoice.id, Recipient(mobile.id), "card", Via.OFFICE, "k1")
    message = session.get(OutboundMessage, result.message_id)
    message.status = "failed"
    message.failure_reason = "The carrier could not deliver it: the phone is off or out of range."
    session.add(MessageStatusEvent(message_id=message.id, status="failed", at=utcnow() + timedelta(seconds=5)))
    session.flush()
    [entry] = invoice_view.timeline(session, office, invoice.id)
    assert entry.title == "Text to (512) 555-0104" and entry.sent_by == "Sent by Olivia Office"
    assert (entry.status, entry.problem) == ("failed", True) and entry.status_line.startswith("Failed ")
    assert entry.note == "The carrier could not deliver it: the phone is off or out of range."
    assert entry.history.startswith("Queued ") and " · Failed " in entry.history
    assert entry.status_line.endswith(("CST", "CDT"))  # the business's time zone


def test_a_quiet_hours_hold_says_when_it_will_go(setup):
    session, _business, office, invoice, mobile, location = setup
    location.time_zone = factories.zone_where_local_hour_is(22)
    sending.send_invoice_text(session, office, invoice.id, Recipient(mobile.id), "card", Via.OFFICE, "k1")
    [entry] = invoice_view.timeline(session, office, invoice.id)
    assert entry.status == "scheduled" and entry.status_line.startswith("Requested ")
    assert entry.note.startswith("Scheduled for 8:00 AM") and entry.note.endswith("tomorrow because of quiet hours")


def test_timeline_lists_emails_and_automatic_messages_newest_first(setup):
    session, business, office, invoice, _mobile, _location = setup
    sending.send_invoice_email(session, office, invoice.id, "maria@example.net", "card", Via.OFFICE, "e1")
    outbox.enqueue(
        session,
        business_id=business.id,
        channel="sms",
        to_address="+15125550104",
        body="Receipt",
        invoice_id=invoice.id,
    )
    entries = invoice_view.timeline(session, office, invoice.id)
    assert [(e.title, e.sent_by) for e in entries] == [
        ("Text to (512) 555-0104", "Sent automatically"),
        ("Email to maria@example.net", "Sent by Olivia Office"),
    ]


def test_link_summary_and_revoking_links(setup):
    session, business, office, invoice, _mobile, _location = setup
    assert invoice_view.link_summary(session, office, invoice.id).live == 0
    links.mint(session, invoice)
    links.mint(session, invoice)
    links.mint(session, invoice, now=utcnow() - timedelta(days=40))
    summary = invoice_view.link_summary(session, office, invoice.id)
    assert (summary.live, summary.expired, summary.revoked, summary.can_revoke) == (2, 1, 0, True)
    assert summary.latest_expiry and summary.last_opened == ""
    before = invoice.updated_at
    assert invoice_view.revoke_links(session, office, invoice.id) == 3
    summary = invoice_view.link_summary(session, office, invoice.id)
    assert (summary.live, summary.revoked, summary.can_revoke) == (0, 3, False)
    audit = session.exec(select(AuditEvent).where(AuditEvent.action == "payment_link.revoked")).one()
    assert audit.actor == "Olivia Office" and invoice.updated_at > before


@pytest.mark.parametrize(
    ("status", "closed"),
    [
        ("paid", "Paid: links sent earlier now show the paid invoice."),
        ("void", "Void: links sent earlier now say the invoice was cancelled."),
    ],
)
def test_a_paid_or_void_invoice_has_no_live_link_to_revoke(setup, status, closed):
    session, _business, office, invoice, _mobile, _location = setup
    links.mint(session, invoice)
    invoice.status = status
    summary = invoice_view.link_summary(session, office, invoice.id)
    assert (summary.live, summary.can_revoke, summary.latest_expiry, summary.closed) == (0, False, "", closed)


def test_an_invoice_never_sent_says_nothing_about_closed_links(setup):
    session, _business, office, invoice, _mobile, _location = setup
    invoice.status = "paid"
    assert invoice_view.link_summary(session, office, invoice.id).closed == ""


def test_only_staff_who_send_links_may_revoke_them(setup):
    session, business, _office, invoice, _mobile, _location = setup
    from smslinks.core.permissions import Permission, set_permission

    clerk = factories.employee(session, business)
    set_permission(session, clerk, Permission.SEND_INVOICE_SMS, False)
    set_permission(session, clerk, Permission.SEND_INVOICE_EMAIL, False)
    links.mint(session, invoice)
    assert not invoice_view.link_summary(session, clerk, invoice.id).can_revoke
    with pytest.raises(DomainError, match="permission"):
        invoice_view.revoke_links(session, clerk, invoice.id)
    tech = factories.employee(session, business, role="Technician")
    with pytest.raises(DomainError, match="not yours to see"):
        invoice_view.revoke_links(session, tech, invoice.id)


def test_payments_list_what_went_through_and_why_some_did_not(setup):
    session, _business, office, invoice, _mobile, _location = setup
    session.add(
        Payment(
            invoice_id=invoice.id,
            amount_cents=24_500,
            method="card",
            status="succeeded",
            method_detail="Visa •••• 4242",
            refunded_cents=2_000,
        )
    )
    session.add(
        Payment(
            invoice_id=invoice.id,
            amount_cents=24_500,
            method="ach",
            status="failed",
            failure_reason="The bank account has insufficient funds.",
            created_at=utcnow() + timedelta(minutes=1),
        )
    )
    session.flush()
    failed, card = invoice_view.payments(session, office, invoice.id)
    assert (failed.method, failed.status, failed.problem) == ("Bank account (ACH)", "failed", True)
    assert failed.note == "The bank account has insufficient funds."
    assert (card.method, card.amount, card.note, card.problem) == (
        "Visa •••• 4242",
        "$245.00",
        "$20.00 refunded",
        False,
    )


def test_receipts_are_named_as_receipts_on_the_timeline(setup):
    session, business, office, invoice, _mobile, _location = setup
    outbox.enqueue(
        session,
        business_id=business.id,
        channel="sms",
        to_address="+15125550104",
        body="Paid",
        invoice_id=invoice.id,
        idempotency_key=f"{receipts.RECEIPT_KEY_PREFIX}7",
    )
    [entry] = invoice_view.timeline(session, office, invoice.id)
    assert entry.title == "Receipt text to (512) 555-0104"


def test_a_bank_payment_in_flight_shows_pending_not_the_whole_balance_open(setup):
    session, _business, office, invoice, _mobile, _location = setup
    detail = invoice_view.detail(session, office, invoice.id)
    assert (detail.shown_status, detail.bank_processing, detail.bank_pending) == ("open", "", "")
    session.add(
        Payment(
            invoice_id=invoice.id,
            amount_cents=24_500,
            method="ach",
            status="processing",
            created_at=utcnow().replace(year=2026, month=12, day=3, hour=18),
        )
    )
    session.flush()
    detail = invoice_view.detail(session, office, invoice.id)
    assert (detail.shown_status, detail.bank_processing) == ("pending", "$245.00")
    assert (detail.balance_label, detail.balance) == ("Balance due once it clears", "$0.00")
    assert detail.bank_pending.startswith("Bank payment of $245.00 processing since Dec 3. ")
    # A card payment being confirmed is not "pending"; nor is a paid invoice.
    invoice.status, invoice.amount_paid_cents = "paid", 24_500
    assert invoice_view.detail(session, office, invoice.id).shown_status == "paid"
