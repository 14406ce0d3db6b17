"""CSV exports: what an accountant's spreadsheet receives for a small, known set of records."""

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from smslinks.core import audit, exports
from smslinks.core.exports import DateRange, ExportKind, RangeErrors
from smslinks.models import (
    AuditEvent,
    Invoice,
    MessageStatusEvent,
    OutboundMessage,
    Payment,
    PaymentMethod,
    PaymentStatus,
)
from tests import factories


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def _payment(
    session,
    invoice,
    at,
    *,
    status=PaymentStatus.SUCCEEDED,
    method=PaymentMethod.CARD,
    amount=25_000,
    outcome_at=None,
    **fields,
) -> Payment:
    payment = Payment(
        invoice_id=invoice.id,
        amount_cents=amount,
        method=method,
        status=status,
        created_at=at,
        updated_at=outcome_at or at,
        **fields,
    )
    session.add(payment)
    session.flush()
    if outcome_at is not None:
        action = "payment.failed" if status == PaymentStatus.FAILED else "payment.succeeded"
        event = audit.record(session, action, "payment", payment.id, business_id=invoice.business_id)
        event.at = outcome_at
    return payment


@pytest.fixture
def books(session):
    """A Chicago business (UTC-6 in December) with payments and texts around the first of December."""
    business = factories.business(session, time_zone="America/Chicago")
    garcia = factories.location(session, factories.customer(session, business, "Maria Garcia"))
    formula = factories.location(session, factories.customer(session, business, '=HYPERLINK("http://evil")'))
    first = factories.invoice(session, garcia, number="1001", total_cents=25_000)
    second = factories.invoice(session, formula, number="1002", total_cents=9_999)
    # Nov 30, 11:30 PM in Chicago: before the range.
    _payment(session, first, utc(2026, 12, 1, 5, 30), outcome_at=utc(2026, 12, 1, 5, 30, 4))
    # Dec 1, 12:05 AM in Chicago: the first payment of the range; an ACH debit that settled two days later.
    _payment(
        session,
        first,
        utc(2026, 12, 1, 6, 5),
        method=PaymentMethod.ACH,
        outcome_at=utc(2026, 12, 3, 15, 0),
        method_detail="STRIPE TEST BANK •••• 6789",
        stripe_payment_intent_id="pi_ach",
        refunded_cents=1_000,
        tip_cents=2_500,
        tip_employee_id=factories.employee(session, business, "Technician", name="Sam Rivera").id,
        tip_refunded_cents=500,
    )
    _payment(
        session,
        second,
        utc(2026, 12, 2, 18, 0),
        status=PaymentStatus.FAILED,
        method=PaymentMethod.ACH,
        amount=9_999,
        outcome_at=utc(2026, 12, 4, 16, 0),
        failure_reason="-Insufficient funds",
    )
    _payment(session, second, utc(2026, 12, 3, 17, 0), status=PaymentStatus.PROCESSING, amount=9_999)
    # Dec 3, 11:59 PM in Chicago is still in a range ending Dec 3; Dec 4, 12:00 AM is not.
    _payment(session, first, utc(2026, 12, 4, 5, 59), amount=100, outcome_at=utc(2026, 12, 4, 5, 59, 30))
    _payment(session, first, utc(2026, 12, 4, 6, 0), amount=200, outcome_at=utc(2026, 12, 4, 6, 0, 30))
    other = factories.business(session, name="Someone Else")
    _payment(
        session,
        factories.invoice(session, factories.location(session, factories.customer(session, other))),
        utc(2026, 12, 2, 12, 0),
    )
    session.commit()
    return business


def _read(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


def _export(session, business, kind, start=date(2026, 12, 1), end=date(2026, 12, 3)) -> list[list[str]]:
    out = io.StringIO()
    exports.write_export(session, business, kind, DateRange(start, end), out, actor="test")
    return _read(out.getvalue())


def test_payments_of_the_business_days_in_its_time_zone(session, books):
    rows = _export(session, books, ExportKind.PAYMENTS)
    assert rows == [
        list(exports.PAYMENT_COLUMNS),
        [
            "1001",
            "Maria Garcia",
            "ACH",
            "STRIPE TEST BANK •••• 6789",
            "250.00",
            "25.00",
            "Sam Rivera",
            "",
            "10.00",
            "5.00",
            "Succeeded",
            "2026-12-01T00:05:00-06:00",
            "2026-12-03T09:00:00-06:00",
            "",
            "",
            "pi_ach",
        ],
        [
            "1002",
            '\'=HYPERLINK("http://evil")',
            "ACH",
            "",
            "99.99",
            "",
            "",
            "",
            "",
            "",
            "Failed",
            "2026-12-02T12:00:00-06:00",
            "",
            "2026-12-04T10:00:00-06:00",
            "'-Insufficient funds",
            "",
        ],
        [
            "1002",
            '\'=HYPERLINK("http://evil")',
            "Card",
            "",
            "99.99",
            "",
            "",
            "",
            "",
            "",
            "Processing",
            "2026-12-03T11:00:00-06:00",
            "",
            "",
            "",
            "",
        ],
        [
            "1001",
            "Maria Garcia",
            "Card",
            "",
            "1.00",
            "",
            "",
            "",
            "",
            "",
            "Succeeded",
            "2026-12-03T23:59:00-06:00",
            "2026-12-03T23:59:30-06:00",
            "",
            "",
            "",
        ],
    ]


def test_an_export_is_audited_with_its_range_and_size(session, books):
    _export(session, books, ExportKind.PAYMENTS)
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "export.payments")).one()
    assert event.business_id == books.id and event.actor == "test"
    assert json.loads(event.detail) == {"start": "2026-12-01", "end": "2026-12-03", "rows": 4}


def test_count_matches_the_rows_written(session, books):
    assert exports.count_rows(session, books, ExportKind.PAYMENTS, DateRange(date(2026, 12, 1), date(2026, 12, 3))) == 4
    assert exports.count_rows(session, books, ExportKind.PAYMENTS, DateRange(date(2026, 12, 5), date(2026, 12, 9))) == 0


def _message(session, business, invoice, at, *, channel="sms", to="+15125550134", events=(), **fields):
    message = OutboundMessage(
        business_id=business.id,
        invoice_id=invoice.id if invoice else None,
        channel=channel,
        to_address=to,
        body="b",
        created_at=at,
        **fields,
    )
    session.add(message)
    session.flush()
    for status, moment in events:
        session.add(MessageStatusEvent(message_id=message.id, status=status, at=moment))
    return message


def test_messages_with_their_times_and_failure_reasons(session, books):
    invoice = session.exec(select(Invoice).where(Invoice.number == "1001")).one()
    sender = factories.employee(session, books, name="Olga Office")
    _message(
        session,
        books,
        invoice,
        utc(2026, 12, 1, 15, 0),
        status="delivered",
        sent_by_employee_id=sender.id,
        updated_at=utc(2026, 12, 1, 15, 0, 9),
        events=[
            ("queued", utc(2026, 12, 1, 15, 0)),
            ("sent", utc(2026, 12, 1, 15, 0, 2)),
            ("delivered", utc(2026, 12, 1, 15, 0, 9)),
        ],
    )
    _message(
        session,
        books,
        invoice,
        utc(2026, 12, 2, 15, 0),
        status="undelivered",
        error_code="30003",
        failure_reason="The phone is off or out of reach.",
        updated_at=utc(2026, 12, 2, 15, 1),
        events=[("sent", utc(2026, 12, 2, 15, 0, 3)), ("undelivered", utc(2026, 12, 2, 15, 1))],
    )
    _message(
        session,
        books,
        invoice,
        utc(2026, 12, 3, 15, 0),
        channel="email",
        to="pat@example.net",
        status="queued",
        updated_at=utc(2026, 12, 3, 15, 0),
    )
    _message(session, books, invoice, utc(2026, 12, 5, 15, 0))  # after the range
    session.commit()
    rows = _export(session, books, ExportKind.MESSAGES)
    assert rows == [
        list(exports.MESSAGE_COLUMNS),
        [
            "1001",
            "Maria Garcia",
            "(512) 555-0134",
            "SMS",
            "Delivered",
            "2026-12-01T09:00:00-06:00",
            "2026-12-01T09:00:02-06:00",
            "2026-12-01T09:00:09-06:00",
            "2026-12-01T09:00:09-06:00",
            "",
            "",
            "Olga Office",
        ],
        [
            "1001",
            "Maria Garcia",
            "(512) 555-0134",
            "SMS",
            "Undelivered",
            "2026-12-02T09:00:00-06:00",
            "2026-12-02T09:00:03-06:00",
            "",
            "2026-12-02T09:01:00-06:00",
            "30003",
            "The phone is off or out of reach.",
            "",
        ],
        [
            "1001",
            "Maria Garcia",
            "pat@example.net",
            "Email",
            "Queued",
            "2026-12-03T09:00:00-06:00",
            "",
            "",
            "2026-12-03T09:00:00-06:00",
            "",
            "",
            "",
        ],
    ]


@pytest.mark.parametrize("text", ["=1+2", "+15125550100", "-2", "@SUM(A1)", "\tx", "\rx"])
def test_cells_that_would_run_as_formulas_are_kept_as_text(text):
    out = io.StringIO()
    exports.write_csv(out, ["a"], [[text, "plain", "a=b", 125]])
    assert _read(out.getvalue())[1] == ["'" + text, "plain", "a=b", "125"]


def test_the_range_is_checked_field_by_field():
    assert exports.parse_range("2026-12-01", " 2026-12-31 ") == DateRange(date(2026, 12, 1), date(2026, 12, 31))
    with pytest.raises(RangeErrors) as refused:
        exports.parse_range("12/01/2026", "")
    assert refused.value.fields == {"start": "From: enter a date as YYYY-MM-DD.", "end": "To: enter a date."}
    with pytest.raises(RangeErrors) as refused:
        exports.parse_range("2026-12-02", "2026-12-01")
    assert refused.value.fields == {"end": "To: the last day comes before the first."}


def test_file_names_say_what_and_when():
    assert (
        exports.filename(ExportKind.MESSAGES, DateRange(date(2026, 1, 1), date(2026, 1, 31)))
        == "messages-2026-01-01-to-2026-01-31.csv"
    )
