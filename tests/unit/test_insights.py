"""Insights: each figure on a small, known set of records (a Chicago business, December 2026)."""

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from smslinks.core import insight_rollups, insights, links, payments
from smslinks.core.errors import NotAllowed
from smslinks.core.exports import DateRange
from smslinks.models import (
    Channel,
    InvoiceReminder,
    InvoiceStatus,
    LinkOpen,
    MessageStatus,
    OutboundMessage,
    Payment,
    PaymentMethod,
    PaymentStatus,
    StripePaymentIntent,
)
from tests import factories

DECEMBER = DateRange(date(2026, 12, 1), date(2026, 12, 31))
TODAY = date(2026, 12, 20)
PHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"
PREVIEW = "facebookexternalhit/1.1 Facebot Twitterbot/1.0"


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.fixture
def shop(session):
    business = factories.business(session)
    location = factories.location(session, factories.customer(session, business, "Maria Garcia"))
    return business, location


def _invoice(
    session, location, *, status=InvoiceStatus.OPEN, total=10_000, paid=0, issued=None, due=None, paid_at=None
):
    invoice = factories.invoice(session, location, total_cents=total, status=status)
    invoice.amount_paid_cents = paid
    invoice.issued_on = issued or date(2026, 12, 1)
    invoice.due_on = due or invoice.issued_on + timedelta(days=30)
    invoice.paid_at = paid_at
    session.add(invoice)
    session.flush()
    return invoice


def _send(session, invoice, at, *, channel=Channel.SMS, status=MessageStatus.DELIVERED, error_code=None):
    """A pay-link message that went at `at`; returns (message, token)."""
    link, token = links.mint(session, invoice)
    message = OutboundMessage(
        business_id=invoice.business_id,
        invoice_id=invoice.id,
        channel=channel,
        to_address="+15125550100" if channel == Channel.SMS else "maria@example.com",
        body="Pay here",
        status=status,
        payment_link_id=link.id,
        error_code=error_code,
        created_at=at,
        send_after=at,
        updated_at=at,
    )
    session.add(message)
    session.flush()
    return message, token


def test_time_to_pay_by_how_the_link_went_and_by_the_first_texts_day_and_hour(session, shop):
    business, location = shop
    # Texted on Monday Dec 7 at 10 AM Chicago (16:00 UTC), paid 2 hours later.
    monday = _invoice(session, location, status=InvoiceStatus.PAID, paid_at=utc(2026, 12, 7, 18))
    _send(session, monday, utc(2026, 12, 7, 16))
    _send(session, monday, utc(2026, 12, 7, 17), channel=Channel.EMAIL, status=MessageStatus.SENT)
    # Texted on Tuesday Dec 8 at 9 AM Chicago, paid 10 hours later.
    tuesday = _invoice(session, location, status=InvoiceStatus.PAID, paid_at=utc(2026, 12, 9, 1))
    _send(session, tuesday, utc(2026, 12, 8, 15))
    # Emailed only: a day.
    emailed = _invoice(session, location, status=InvoiceStatus.PAID, paid_at=utc(2026, 12, 10, 15))
    _send(session, emailed, utc(2026, 12, 9, 15), channel=Channel.EMAIL, status=MessageStatus.SENT)
    # A text canceled before it left is no text: issued Dec 1 (midnight Chicago = 06:00 UTC), paid 2 days on.
    never = _invoice(session, location, status=InvoiceStatus.PAID, paid_at=utc(2026, 12, 3, 6))
    _send(session, never, utc(2026, 12, 2, 15), status=MessageStatus.CANCELED)
    # Paid in November: another range.
    november = _invoice(session, location, status=InvoiceStatus.PAID, paid_at=utc(2026, 11, 30, 12))
    _send(session, november, utc(2026, 11, 29, 12))

    paid = insight_rollups.pay_durations(session, business, DECEMBER)
    table, chart = insights.time_to_pay(paid)

    assert table.rows == [
        ["Texted", "2", "6.0 hours", "8.0 hours"],
        ["Emailed", "1", "24.0 hours", "24.0 hours"],
        ["Never sent", "1", "2.0 days", "2.0 days"],
    ]
    assert chart[0] == {"name": "Texted", "hours": 6.0, "p75": 8.0}
    weekdays, _ = insights.by_first_text(paid, "weekday")
    assert weekdays.rows[0] == ["Monday", "1", "2.0 hours", "2.0 hours"]
    assert weekdays.rows[1] == ["Tuesday", "1", "10.0 hours", "10.0 hours"]
    assert weekdays.rows[2] == ["Wednesday", "0", "-", "-"]
    hours, _ = insights.by_first_text(paid, "hour")
    assert {row[0]: row[1] for row in hours.rows if row[1] != "0"} == {"9 AM": "1", "10 AM": "1"}


def test_funnel_counts_a_person_but_not_a_link_preview_nor_the_server_drawn_first_screen(session, shop):
    business, location = shop
    invoice = _invoice(session, location)
    paid_link, paid_token = _send(session, invoice, utc(2026, 12, 4, 15))
    insights.log_open(session, paid_token, PHONE, ran_script=True)
    insights.log_open(session, paid_token, PHONE, ran_script=True)  # every open is logged
    session.add(
        StripePaymentIntent(
            invoice_id=invoice.id,
            stripe_id="pi_1",
            idempotency_key="k1",
            amount_cents=1,
            payment_link_id=paid_link.payment_link_id,
        )
    )
    session.add(
        Payment(
            invoice_id=invoice.id,
            amount_cents=10_000,
            method=PaymentMethod.CARD,
            status=PaymentStatus.SUCCEEDED,
            payment_link_id=paid_link.payment_link_id,
        )
    )
    _, previewed = _send(session, invoice, utc(2026, 12, 5, 15))
    insights.log_open(session, previewed, PREVIEW, ran_script=True)  # iMessage's preview runs the script
    insights.log_open(session, previewed, PHONE, ran_script=False)  # a scanner fetching the page
    _send(session, invoice, utc(2026, 12, 6, 15), status=MessageStatus.UNDELIVERED, error_code="30003")
    _, emailed = _send(session, invoice, utc(2026, 12, 6, 16), channel=Channel.EMAIL, status=MessageStatus.SENT)
    insights.log_open(session, emailed, PHONE, ran_script=True)
    _send(session, invoice, utc(2026, 11, 6, 15))  # November
    insights.log_open(session, "no-such-token", PHONE, ran_script=True)

    table = insights.funnel_table(session, business, DECEMBER)

    assert [row[2:] for row in table.rows if row[0] == "Text"] == [
        ["3", "100.0%"],
        ["2", "66.7%"],
        ["1", "33.3%"],
        ["1", "33.3%"],
        ["1", "33.3%"],
    ]
    assert [row[2] for row in table.rows if row[0] == "Email"] == ["1", "1", "1", "0", "0"]
    opens = session.exec(select(LinkOpen).order_by(LinkOpen.id)).all()
    assert [(o.payment_link_id, o.by_person) for o in opens] == [
        (paid_link.payment_link_id, True),
        (paid_link.payment_link_id, True),
        (opens[2].payment_link_id, False),
        (opens[2].payment_link_id, False),
        (opens[4].payment_link_id, True),
    ]


def test_scanners_are_known_by_their_user_agents():
    assert insights.is_scanner(PREVIEW)
    assert insights.is_scanner("Mozilla/5.0 (compatible; BingPreview/1.0b)")
    assert insights.is_scanner("Mozilla/5.0 HeadlessChrome/120.0 Safari/537.36")
    assert insights.is_scanner("")
    assert not insights.is_scanner(PHONE)


def test_failed_texts_by_reason_in_plain_words_with_their_invoices(session, shop):
    business, location = shop
    landline = _invoice(session, location)
    landline_customer = factories.customer(session, business, "=HYPERLINK(1)")
    landline.customer_id = landline_customer.id
    for code in ("30006", "21614"):
        _send(session, landline, utc(2026, 12, 2, 15), status=MessageStatus.FAILED, error_code=code)
    other = _invoice(session, location)
    _send(session, other, utc(2026, 12, 2, 15), status=MessageStatus.UNDELIVERED, error_code="30003")
    _send(session, other, utc(2026, 12, 2, 16), status=MessageStatus.FAILED, error_code="21610")
    _send(session, other, utc(2026, 12, 2, 17), status=MessageStatus.UNDELIVERED, error_code="30007")
    _send(session, other, utc(2026, 12, 2, 18), status=MessageStatus.FAILED, error_code="30001")
    _send(session, other, utc(2026, 12, 2, 19), channel=Channel.EMAIL, status=MessageStatus.FAILED)

    table = insights.delivery_problems_table(session, business, DECEMBER)
    listed = insights.failed_text_invoices(session, business, DECEMBER, "landline")

    assert table.rows == [
        ["Landline or cannot get texts", "2", "1"],
        ["Phone unreachable or number not in service", "1", "1"],
        ["Filtered or blocked by the carrier", "1", "1"],
        ["Opted out (replied STOP)", "1", "1"],
        ["Other reasons", "1", "1"],
    ]
    assert [row[1:4] for row in listed.rows] == [[landline.number, "=HYPERLINK(1)", "(512) 555-0100"]] * 2
    assert {row[5] for row in listed.rows} == {"30006", "21614"}


def test_what_is_owed_by_age_days_sales_outstanding_and_payments_by_method(session, shop):
    business, location = shop
    _invoice(session, location, total=1_000, due=TODAY + timedelta(days=5))
    _invoice(session, location, total=2_000, paid=500, due=TODAY - timedelta(days=10))
    _invoice(session, location, total=3_000, due=TODAY - timedelta(days=31))
    _invoice(session, location, total=4_000, due=TODAY - timedelta(days=90))
    _invoice(session, location, total=5_000, due=TODAY - timedelta(days=91))
    paid = _invoice(
        session, location, total=9_000, paid=9_000, status=InvoiceStatus.PAID, due=TODAY - timedelta(days=200)
    )
    _invoice(session, location, total=7_000, status=InvoiceStatus.VOID, due=TODAY - timedelta(days=40))
    for method, status, amount, refunded in (
        (PaymentMethod.CARD, PaymentStatus.SUCCEEDED, 10_000, 0),
        (PaymentMethod.CARD, PaymentStatus.FAILED, 5_000, 0),
        (PaymentMethod.ACH, PaymentStatus.REFUNDED, 8_000, 3_000),
        (PaymentMethod.CASH, PaymentStatus.SUCCEEDED, 2_500, 0),
        (PaymentMethod.CASH, PaymentStatus.VOIDED, 9_999, 0),
        (PaymentMethod.CHECK, PaymentStatus.SUCCEEDED, 4_000, 0),
    ):
        session.add(
            Payment(
                invoice_id=paid.id,
                amount_cents=amount,
                refunded_cents=refunded,
                method=method,
                status=status,
                created_at=utc(2026, 12, 10),
            )
        )
    session.add(
        Payment(
            invoice_id=paid.id,
            amount_cents=1,
            method=PaymentMethod.CARD,
            status=PaymentStatus.SUCCEEDED,
            created_at=utc(2026, 11, 10),
        )
    )
    session.flush()

    aging, owed = insights.aging(session, business, TODAY)
    methods = insights.payments_by_method_table(session, business, DECEMBER)

    assert aging.rows == [
        ["Not yet due", "1", "10.00"],
        ["0-30 days past due", "1", "15.00"],
        ["31-60 days past due", "1", "30.00"],
        ["61-90 days past due", "1", "40.00"],
        ["Over 90 days past due", "1", "50.00"],
    ]
    assert owed == 14_500
    # Sales issued in December: 1,000 + 2,000 + 3,000 + 4,000 + 5,000 + 9,000 (void left out) over 31 days.
    assert insights.days_sales_outstanding(session, business, DECEMBER, owed) == f"{14_500 / 24_000 * 31:.1f} days"
    assert methods.rows == [
        ["Card", "1", "100.00"],
        ["Bank (ACH)", "1", "50.00"],
        ["Cash", "1", "25.00"],
        ["Check", "1", "40.00"],
        ["Other (recorded)", "0", "0.00"],
    ]


def test_invoices_paid_after_each_reminder(session, shop):
    business, location = shop
    for sent in (0, 1, 1, 2):
        invoice = _invoice(session, location, status=InvoiceStatus.PAID, paid_at=utc(2026, 12, 15))
        session.add(
            InvoiceReminder(
                business_id=business.id,
                invoice_id=invoice.id,
                to_address="+15125550100",
                first_text_at=utc(2026, 12, 1),
                sent=sent,
            )
        )
    still_open = _invoice(session, location)
    session.add(
        InvoiceReminder(
            business_id=business.id,
            invoice_id=still_open.id,
            to_address="+15125550100",
            first_text_at=utc(2026, 12, 1),
            sent=3,
        )
    )
    session.flush()

    table = insights.reminders_table(session, business, DECEMBER)

    assert table.rows == [["Before any reminder", "1"], ["After reminder 1", "2"], ["After reminder 2", "1"]]


def test_paid_in_full_is_when_and_a_reopened_invoice_forgets_it(session, shop):
    business, location = shop
    invoice = _invoice(session, location, total=10_000)
    payment = Payment(
        invoice_id=invoice.id, amount_cents=10_000, method=PaymentMethod.CASH, status=PaymentStatus.PROCESSING
    )
    session.add(payment)
    session.flush()

    payments.settle_payment(session, invoice, payment, status=PaymentStatus.SUCCEEDED)
    assert invoice.status == InvoiceStatus.PAID and invoice.paid_at == payment.updated_at

    payments.settle_payment(session, invoice, payment, status=PaymentStatus.VOIDED)
    assert invoice.status == InvoiceStatus.OPEN and invoice.paid_at is None


def test_accountants_see_insights_and_download_a_table_technicians_do_not(session, shop):
    business, location = shop
    accountant = factories.employee(session, business, role="Accountant")
    technician = factories.employee(session, business, role="Technician")
    invoice = _invoice(session, location)
    invoice.customer_id = factories.customer(session, business, "=cmd|' /C calc'!A0").id
    _send(session, invoice, utc(2026, 12, 2, 15), status=MessageStatus.FAILED, error_code="30006")

    page = insights.insights_for(session, accountant, DECEMBER, TODAY)
    download = insights.csv_download(session, accountant, "failed_texts", DECEMBER, TODAY, "landline")

    assert page.charts["delivery_problems"][0] == {"name": "Landline", "texts": 1}
    assert page.tables["aging"].shown_rows()[0] == ["Not yet due", "1", "$100.00"]
    assert download.filename == "failed-texts-2026-12-01-to-2026-12-31.csv"
    rows = list(csv.reader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert rows[0] == ["Invoice id", "Invoice", "Customer", "To", "Sent", "Error code"]
    assert rows[1][2] == "'=cmd|' /C calc'!A0"
    assert rows[1][4] == "Dec 2, 2026 9:00 AM"
    with pytest.raises(NotAllowed):
        insights.insights_for(session, technician, DECEMBER, TODAY)
    with pytest.raises(NotAllowed):
        insights.csv_download(session, technician, "aging", DECEMBER, TODAY)
