"""CSV exports for the books: payments and messages started in a date range.

Settings > Export and `smslinks export` both write through `write_export`. Rows stream from the
database (a server-side cursor on PostgreSQL), so a year of payments is never held in memory at
once. Dates in the range are the business's days; times are ISO 8601 in its time zone, with the UTC
offset. Money is dollars with two decimals and no symbol, so spreadsheets read it as numbers.
"""

import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import TextIO
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from smslinks.core import audit, phones
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    AuditEvent,
    Business,
    Customer,
    Employee,
    Invoice,
    MessageStatus,
    MessageStatusEvent,
    OutboundMessage,
    Payment,
    PaymentMethod,
)

# A spreadsheet runs a cell that starts with one of these as a formula ("=HYPERLINK(...)" in a
# customer's name); a leading apostrophe keeps it text. Tab and carriage return start formulas too
# in some programs (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Rows fetched from the database per round trip while streaming.
BATCH_ROWS = 1000
# A download from the browser travels in one websocket message; beyond this many rows the CLI
# (which streams to a file) is the way.
DOWNLOAD_MAX_ROWS = 50_000


class ExportKind(StrEnum):
    PAYMENTS = "payments"
    MESSAGES = "messages"


PAYMENT_COLUMNS = (
    "Invoice",
    "Customer",
    "Method",
    "Method detail",
    "Amount",
    "Tip",
    "Tip for",
    "Fee",
    "Refunded",
    "Tip refunded",
    "Status",
    "Created",
    "Succeeded",
    "Failed",
    "Failure reason",
    "Stripe PaymentIntent",
)
MESSAGE_COLUMNS = (
    "Invoice",
    "Customer",
    "Recipient",
    "Channel",
    "Status",
    "Created",
    "Sent",
    "Delivered",
    "Status changed",
    "Error code",
    "Failure reason",
    "Sent by",
)
COLUMNS = {ExportKind.PAYMENTS: PAYMENT_COLUMNS, ExportKind.MESSAGES: MESSAGE_COLUMNS}
_METHOD_WORDS = {PaymentMethod.CARD: "Card", PaymentMethod.ACH: "ACH"}
_CHANNEL_WORDS = {"sms": "SMS", "email": "Email"}


class RangeErrors(DomainError):
    """A date range that cannot be exported, by field ("start", "end")."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(" ".join(fields.values()))
        self.fields = fields


@dataclass(frozen=True)
class DateRange:
    start: date
    end: date  # inclusive

    def bounds(self, zone: str) -> tuple[datetime, datetime]:
        """[first moment, moment after the last) of the range's days in the zone."""
        tz = ZoneInfo(zone)
        return (datetime.combine(self.start, time(), tz), datetime.combine(self.end + timedelta(days=1), time(), tz))


def parse_range(start_text: str, end_text: str) -> DateRange:
    """Two YYYY-MM-DD dates, the first not after the second; RangeErrors names what is wrong."""
    errors: dict[str, str] = {}
    days: dict[str, date] = {}
    for name, text, label in (("start", start_text, "From"), ("end", end_text, "To")):
        text = (text or "").strip()
        try:
            days[name] = date.fromisoformat(text)
        except ValueError:
            errors[name] = f"{label}: enter a date as YYYY-MM-DD." if text else f"{label}: enter a date."
    if not errors and days["end"] < days["start"]:
        errors["end"] = "To: the last day comes before the first."
    if errors:
        raise RangeErrors(errors)
    return DateRange(days["start"], days["end"])


def safe_cell(value: object) -> str:
    """The cell as text a spreadsheet shows and never runs."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def write_csv(out: TextIO, header: Iterable[str], rows: Iterable[Iterable[object]]) -> int:
    """Header and rows through the csv module, every cell guarded; returns the number of rows."""
    writer = csv.writer(out)
    writer.writerow([safe_cell(name) for name in header])
    count = 0
    for row in rows:
        writer.writerow([safe_cell(cell) for cell in row])
        count += 1
    return count


def dollars(cents: int) -> str:
    """125.00 (exact: no float on the way)."""
    whole, rest = divmod(abs(cents), 100)
    return f"{'-' if cents < 0 else ''}{whole}.{rest:02d}"


def _moment(at: datetime | None, tz: ZoneInfo) -> str:
    return "" if at is None else at.astimezone(tz).isoformat(timespec="seconds")


def _words(value: str) -> str:
    return value.replace("_", " ").capitalize()


def _payments_query(business: Business, date_range: DateRange):
    start, end = date_range.bounds(business.time_zone)
    technician = aliased(Employee)  # who a tip is credited to
    # When a payment succeeded or failed is in the audit trail (the row keeps only its latest
    # change). Payments start in the range; their outcomes come on or after its first day.
    outcomes = (
        select(
            col(AuditEvent.subject_id).label("payment_key"),
            sa.func.min(sa.case((col(AuditEvent.action) == "payment.succeeded", AuditEvent.at))).label("succeeded_at"),
            sa.func.min(sa.case((col(AuditEvent.action) == "payment.failed", AuditEvent.at))).label("failed_at"),
        )
        .where(
            AuditEvent.business_id == business.id,
            AuditEvent.subject_type == "payment",
            col(AuditEvent.action).in_(("payment.succeeded", "payment.failed")),
            AuditEvent.at >= start,
        )
        .group_by(AuditEvent.subject_id)
        .subquery()
    )
    return (
        sa.select(
            col(Invoice.number),
            col(Customer.name),
            col(Payment.method),
            col(Payment.method_detail),
            col(Payment.amount_cents),
            col(Payment.tip_cents),
            col(technician.name),
            col(Payment.refunded_cents),
            col(Payment.tip_refunded_cents),
            col(Payment.status),
            col(Payment.created_at),
            outcomes.c.succeeded_at,
            outcomes.c.failed_at,
            col(Payment.failure_reason),
            col(Payment.stripe_payment_intent_id),
        )
        .join(Invoice, col(Invoice.id) == Payment.invoice_id)
        .join(Customer, col(Customer.id) == Invoice.customer_id)
        .outerjoin(outcomes, outcomes.c.payment_key == sa.cast(Payment.id, sa.String))
        .outerjoin(technician, col(technician.id) == Payment.tip_employee_id)
        .where(col(Invoice.business_id) == business.id, col(Payment.created_at) >= start, col(Payment.created_at) < end)
        .order_by(col(Payment.created_at), col(Payment.id))
    )


def payment_rows(session: Session, business: Business, date_range: DateRange) -> Iterator[list[str]]:
    tz = ZoneInfo(business.time_zone)
    statement = _payments_query(business, date_range).execution_options(yield_per=BATCH_ROWS)
    for (
        number,
        customer,
        method,
        detail,
        amount,
        tip,
        tipped,
        refunded,
        tip_refunded,
        status,
        created,
        succeeded,
        failed,
        reason,
        intent,
    ) in session.exec(statement):
        yield [
            number,
            customer,
            _METHOD_WORDS.get(method, method),
            detail or "",
            dollars(amount),
            dollars(tip) if tip else "",
            (tipped or "") if tip else "",
            "",  # Stripe's fee is not recorded here (it is on Stripe's balance transactions)
            dollars(refunded) if refunded else "",
            dollars(tip_refunded) if tip_refunded else "",
            _words(status),
            _moment(created, tz),
            _moment(succeeded, tz),
            _moment(failed, tz),
            reason or "",
            intent or "",
        ]


def _messages_query(business: Business, date_range: DateRange):
    start, end = date_range.bounds(business.time_zone)
    in_range = (
        col(OutboundMessage.business_id) == business.id,
        col(OutboundMessage.created_at) >= start,
        col(OutboundMessage.created_at) < end,
    )

    def first(status: MessageStatus):
        return sa.func.min(sa.case((col(MessageStatusEvent.status) == status.value, MessageStatusEvent.at)))

    events = (
        select(
            MessageStatusEvent.message_id,
            first(MessageStatus.SENT).label("sent_at"),
            first(MessageStatus.DELIVERED).label("delivered_at"),
        )
        .join(OutboundMessage, col(OutboundMessage.id) == MessageStatusEvent.message_id)
        .where(*in_range, col(MessageStatusEvent.status).in_((MessageStatus.SENT.value, MessageStatus.DELIVERED.value)))
        .group_by(col(MessageStatusEvent.message_id))
        .subquery()
    )
    return (
        sa.select(
            col(Invoice.number),
            col(Customer.name),
            col(OutboundMessage.to_address),
            col(OutboundMessage.channel),
            col(OutboundMessage.status),
            col(OutboundMessage.created_at),
            events.c.sent_at,
            events.c.delivered_at,
            col(OutboundMessage.updated_at),
            col(OutboundMessage.error_code),
            col(OutboundMessage.failure_reason),
            col(Employee.name),
        )
        .outerjoin(Invoice, col(Invoice.id) == OutboundMessage.invoice_id)
        .outerjoin(Customer, col(Customer.id) == Invoice.customer_id)
        .outerjoin(Employee, col(Employee.id) == OutboundMessage.sent_by_employee_id)
        .outerjoin(events, events.c.message_id == OutboundMessage.id)
        .where(*in_range)
        .order_by(col(OutboundMessage.created_at), col(OutboundMessage.id))
    )


def _recipient(channel: str, address: str) -> str:
    # (512) 555-0100 rather than +15125550100: readable, and not taken for a formula.
    return phones.display(address) if channel == "sms" else address


def message_rows(session: Session, business: Business, date_range: DateRange) -> Iterator[list[str]]:
    tz = ZoneInfo(business.time_zone)
    statement = _messages_query(business, date_range).execution_options(yield_per=BATCH_ROWS)
    for (
        number,
        customer,
        address,
        channel,
        status,
        created,
        sent,
        delivered,
        changed,
        code,
        reason,
        sender,
    ) in session.exec(statement):
        yield [
            number or "",
            customer or "",
            _recipient(channel, address),
            _CHANNEL_WORDS.get(channel, channel),
            _words(status),
            _moment(created, tz),
            _moment(sent, tz),
            _moment(delivered, tz),
            _moment(changed, tz),
            code or "",
            reason or "",
            sender or "",
        ]


_ROWS = {ExportKind.PAYMENTS: payment_rows, ExportKind.MESSAGES: message_rows}
_QUERIES = {ExportKind.PAYMENTS: _payments_query, ExportKind.MESSAGES: _messages_query}


def count_rows(session: Session, business: Business, kind: ExportKind, date_range: DateRange) -> int:
    query = _QUERIES[kind](business, date_range).order_by(None)
    return session.exec(select(sa.func.count()).select_from(query.subquery())).one()


def filename(kind: ExportKind, date_range: DateRange) -> str:
    return f"{kind.value}-{date_range.start.isoformat()}-to-{date_range.end.isoformat()}.csv"


def write_export(
    session: Session,
    business: Business,
    kind: ExportKind,
    date_range: DateRange,
    out: TextIO,
    *,
    employee: Employee | None = None,
    actor: str | None = None,
) -> int:
    """Write the CSV to `out` and audit who took it (the caller checked they may); returns the rows
    written. The caller commits: the audit row goes with the session."""
    rows = write_csv(out, COLUMNS[kind], _ROWS[kind](session, business, date_range))
    audit.record(
        session,
        f"export.{kind.value}",
        "business",
        business.id,
        business_id=business.id,
        employee=employee,
        actor=actor,
        start=date_range.start,
        end=date_range.end,
        rows=rows,
    )
    return rows


def quick_ranges(today: date) -> dict[str, DateRange]:
    """The ranges people ask for most, by the label of their button."""
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    return {
        "This month": DateRange(first_of_month, today),
        "Last month": DateRange(last_month_end.replace(day=1), last_month_end),
        "Year to date": DateRange(today.replace(month=1, day=1), today),
    }


def business_today(business: Business, now: datetime) -> date:
    return now.astimezone(ZoneInfo(business.time_zone)).date()


@dataclass(frozen=True)
class Download:
    filename: str
    data: bytes  # UTF-8 with a byte order mark, so spreadsheet programs read names like "García" right
    rows: int


def download(session: Session, employee: Employee, kind: ExportKind, date_range: DateRange) -> Download:
    """The export as a file for the browser, for someone allowed to take it, if it is not too big."""
    require_permission(session, employee, Permission.EXPORT_DATA)
    business = session.get_one(Business, employee.business_id)
    found = count_rows(session, business, kind, date_range)
    if found > DOWNLOAD_MAX_ROWS:
        raise DomainError(
            f"That range holds {found:,} {kind.value}, more than a download from here takes "
            f"({DOWNLOAD_MAX_ROWS:,}). Choose a shorter range, or run `smslinks export {kind.value}`."
        )
    out = io.StringIO()
    out.write("\ufeff")
    rows = write_export(session, business, kind, date_range, out, employee=employee)
    return Download(filename(kind, date_range), out.getvalue().encode("utf-8"), rows)
