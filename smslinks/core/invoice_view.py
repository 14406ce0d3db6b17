"""What the invoice page shows: the invoice, its payment links and every text and email sent for it.

Times read in the business's time zone; a text held for quiet hours says when it will go in the
service location's. Message bodies are never shown here: they carry link tokens.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from smslinks.core import (
    audit,
    display,
    invoices,
    jobs,
    links,
    locations,
    phones,
    receipts,
    refunds,
    reminders,
    text_fallback,
)
from smslinks.core.errors import NotAllowed
from smslinks.core.permissions import Permission, effective_permissions, has_permission
from smslinks.core.recorded_payments import METHOD_WORDS, RECORDED_METHODS
from smslinks.core.sending import describe_send_time
from smslinks.models import (
    Business,
    Channel,
    Customer,
    EmailAddress,
    Employee,
    InboundMessage,
    InvoiceLine,
    InvoiceStatus,
    Location,
    MessageStatus,
    MessageStatusEvent,
    OutboundMessage,
    Payment,
    PaymentLink,
    PaymentMethod,
    PaymentRefund,
    PaymentStatus,
    PhoneNumber,
    RefundStatus,
    saved_id,
    utcnow,
)

# Keyed by status value: a row's status column is a plain str.
STATUS_WORDS: dict[str, str] = {
    MessageStatus.SCHEDULED: "Scheduled",
    MessageStatus.QUEUED: "Queued",
    MessageStatus.SENDING: "Sending",
    MessageStatus.SENT: "Sent",
    MessageStatus.DELIVERED: "Delivered",
    MessageStatus.UNDELIVERED: "Undelivered",
    MessageStatus.FAILED: "Failed",
    MessageStatus.CANCELED: "Canceled",
}
_PROBLEMS = {MessageStatus.UNDELIVERED, MessageStatus.FAILED}


@dataclass(frozen=True)
class LineRow:
    description: str
    quantity: str
    unit_price: str
    amount: str


@dataclass(frozen=True)
class ContactRow:
    value: str  # a number formatted for people, or an email address
    label: str


@dataclass(frozen=True)
class InvoiceDetail:
    id: int
    number: str
    kind: str
    status: str
    issued_on: str
    due_on: str
    customer_name: str
    customer_phones: list[ContactRow]
    customer_emails: list[ContactRow]
    location_name: str
    address: str
    location_time_zone: str
    location_zone_label: str  # "Central Time"
    location_zone_warning: str  # "" unless the zone is the business's, for want of a known postal code
    location_phones: list[ContactRow]
    lines: list[LineRow]
    subtotal: str
    tax: str
    total: str
    amount_paid: str
    balance: str  # once a bank payment in flight clears, while there is one
    balance_label: str  # "Balance due", or "Balance due once it clears"
    balance_due: bool
    # "pending" while an open invoice has a bank payment on its way, else the status.
    shown_status: str
    bank_processing: str  # "$332.07", or "" when no bank payment is processing
    bank_pending: str  # "Bank payment of $332.07 processing since Dec 3. ..." or ""


@dataclass(frozen=True)
class LinkSummary:
    live: int
    revoked: int
    expired: int
    latest_expiry: str  # "" when no live link
    last_opened: str  # "" when never opened
    can_revoke: bool
    closed: str  # what links sent earlier show now that nothing can be paid; "" while it is payable


@dataclass(frozen=True)
class TimelineEntry:
    id: int
    channel: str  # "sms" | "email"
    title: str  # "Text to (512) 555-0104"
    sent_by: str
    status: str
    status_line: str  # "Delivered Nov 24, 2026 3:06 PM CST"; a held text: "Requested ..."
    history: str  # "Queued 3:05 PM · Sent 3:05 PM · Delivered 3:06 PM"
    note: str  # when a held text will go, or why it failed; what a STOP/START/HELP reply did
    problem: bool
    body: str = ""  # a customer's reply (texts sent are not shown: they carry link tokens)


@dataclass(frozen=True)
class PaymentRow:
    id: int
    method: str  # "Visa •••• 4242", or the kind of payment when Stripe gave no detail
    amount: str
    status: str
    at: str
    note: str  # why it failed, or what was refunded or disputed
    problem: bool
    refundable: str  # "$50.00" still refundable by this employee; "" when nothing or not allowed
    refunds: list[str]  # "$50.00 refunded Dec 3, 2026 1:05 PM CST: Customer overcharged"
    can_void: bool  # a cash, check or other payment recorded here, and this employee may edit invoices


def detail(session: Session, employee: Employee, invoice_id: int) -> InvoiceDetail:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    customer = session.get_one(Customer, invoice.customer_id)
    location = session.get_one(Location, invoice.location_id)
    lines = session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(col(InvoiceLine.position))
    ).all()
    emails = session.exec(
        select(EmailAddress).where(EmailAddress.customer_id == customer.id).order_by(col(EmailAddress.id))
    ).all()
    zone_label, zone_warning = locations.zone_words(location, session.get_one(Business, invoice.business_id).time_zone)
    return InvoiceDetail(
        id=saved_id(invoice),
        number=invoice.number,
        kind=invoice.kind,
        status=invoice.status,
        issued_on=display.day(invoice.issued_on),
        due_on=display.day(invoice.due_on),
        customer_name=customer.name,
        customer_phones=_phones(session, PhoneNumber.customer_id == customer.id),
        customer_emails=[ContactRow(row.email, row.label) for row in emails],
        location_name=location.name,
        address=jobs.address_line(location),
        location_time_zone=location.time_zone,
        location_zone_label=zone_label,
        location_zone_warning=zone_warning,
        location_phones=_phones(session, PhoneNumber.location_id == location.id),
        lines=[
            LineRow(
                description=line.description,
                quantity=f"{line.quantity.normalize():f}",
                unit_price=display.money(line.unit_price_cents),
                amount=display.money(line.amount_cents),
            )
            for line in lines
        ],
        subtotal=display.money(invoice.subtotal_cents),
        tax=display.money(invoice.tax_cents),
        total=display.money(invoice.total_cents),
        amount_paid=display.money(invoice.amount_paid_cents),
        balance_due=invoice.balance_cents > 0,
        **_bank_payment_in_flight(session, invoice),
    )


def _bank_payment_in_flight(session: Session, invoice) -> dict[str, str]:
    in_flight = invoices.payments_in_flight(session, [invoice.id]).get(invoice.id)
    if in_flight is None or invoice.status != InvoiceStatus.OPEN:
        return {
            "shown_status": invoice.status,
            "bank_processing": "",
            "bank_pending": "",
            "balance": display.money(invoice.balance_cents),
            "balance_label": "Balance due",
        }
    zone = session.get_one(Business, invoice.business_id).time_zone
    amount = display.money(in_flight.amount_cents)
    since = display.short_day(display.local(in_flight.since, zone))
    return {
        "shown_status": "pending",
        "bank_processing": amount,
        "balance": display.money(invoice.balance_cents - in_flight.amount_cents),
        "balance_label": "Balance due once it clears",
        "bank_pending": f"Bank payment of {amount} processing since {since}. Bank payments take up to 4 business "
        "days to clear; no new payment link is needed for it.",
    }


def _phones(session: Session, owner_condition) -> list[ContactRow]:
    rows = session.exec(select(PhoneNumber).where(owner_condition).order_by(col(PhoneNumber.id))).all()
    return [
        ContactRow(phones.display(row.e164), row.type if row.label in ("", row.type) else f"{row.label} · {row.type}")
        for row in rows
    ]


def changed_at(session: Session, employee: Employee, invoice_id: int) -> datetime:
    """When anything the invoice page shows last changed (see invoices.touch)."""
    return invoices.get_for_staff(session, employee, invoice_id).updated_at


# ---------------------------------------------------------------- payment links


def _may_revoke(session: Session, employee: Employee) -> bool:
    permissions = effective_permissions(session, employee)
    return Permission.VIEW_INVOICES in permissions and bool(
        permissions & {Permission.SEND_INVOICE_SMS, Permission.SEND_INVOICE_EMAIL}
    )


def link_summary(session: Session, employee: Employee, invoice_id: int, now: datetime | None = None) -> LinkSummary:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    business = session.get_one(Business, invoice.business_id)
    now = now or utcnow()
    rows = session.exec(select(PaymentLink).where(PaymentLink.invoice_id == invoice.id)).all()
    closed = _CLOSED_LINKS.get(invoice.status, "")
    # A paid or void invoice's links open its receipt or its void notice: nothing there to revoke.
    live = [] if closed else [row for row in rows if row.revoked_at is None and row.expires_at > now]
    opened = [row.last_opened_at for row in rows if row.last_opened_at is not None]
    return LinkSummary(
        live=len(live),
        revoked=sum(1 for row in rows if row.revoked_at is not None),
        expired=sum(1 for row in rows if row.revoked_at is None and row.expires_at <= now),
        latest_expiry=display.moment(max(row.expires_at for row in live), business.time_zone) if live else "",
        last_opened=display.moment(max(opened), business.time_zone) if opened else "",
        can_revoke=bool(live) and _may_revoke(session, employee),
        closed=closed if rows else "",
    )


_CLOSED_LINKS: dict[str, str] = {  # keyed by status value
    InvoiceStatus.PAID: "Paid: links sent earlier now show the paid invoice.",
    InvoiceStatus.VOID: "Void: links sent earlier now say the invoice was cancelled.",
}


def revoke_links(session: Session, employee: Employee, invoice_id: int) -> int:
    """Revoke every live link of the invoice (e.g. a text went to the wrong person)."""
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    if not _may_revoke(session, employee):
        raise NotAllowed("You need permission to send invoice links to revoke them.")
    count = links.revoke_all(session, invoice)
    if count:
        audit.record(
            session,
            "payment_link.revoked",
            "invoice",
            invoice.id,
            business_id=invoice.business_id,
            employee=employee,
            links=count,
        )
        invoices.touch(session, invoice.id)
    return count


# ---------------------------------------------------------------- payments

# Keyed by method value (a row's method column is a plain str).
_METHOD_WORDS: dict[str, str] = {
    PaymentMethod.CARD: "Card",
    PaymentMethod.ACH: "Bank account (ACH)",
    **{method: words for method, words in METHOD_WORDS.items()},
}


def payments(session: Session, employee: Employee, invoice_id: int) -> list[PaymentRow]:
    """Every payment attempt the office should know of, newest first; failed and returned bank
    payments stay listed so the office sees why a balance reopened."""
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    zone = session.get_one(Business, invoice.business_id).time_zone
    rows = session.exec(
        select(Payment).where(Payment.invoice_id == invoice.id).order_by(col(Payment.created_at).desc())
    ).all()
    may_refund = has_permission(session, employee, Permission.REFUND_PAYMENTS)
    may_edit = has_permission(session, employee, Permission.EDIT_INVOICES)
    tipped = {p.tip_employee_id for p in rows if p.tip_employee_id}
    names = dict(session.exec(select(Employee.id, Employee.name).where(col(Employee.id).in_(tipped))).all())
    return [
        _payment_row(
            payment,
            zone,
            refunds.refundable_cents(session, payment) if may_refund else 0,
            session,
            may_void=may_edit and payment.method in RECORDED_METHODS and payment.status == PaymentStatus.SUCCEEDED,
            tipped=names.get(payment.tip_employee_id),
        )
        for payment in rows
    ]


_REFUND_WORDS = {
    RefundStatus.REQUESTED: "refund being sent",
    RefundStatus.PENDING: "refund Pending at the bank",
    RefundStatus.SUCCEEDED: "refunded",
    RefundStatus.FAILED: "refund failed",
}


def _refund_lines(session: Session, payment_id: int, zone: str) -> list[str]:
    rows = session.exec(
        select(PaymentRefund).where(PaymentRefund.payment_id == payment_id).order_by(col(PaymentRefund.id))
    ).all()
    lines = []
    for refund in rows:
        line = f"{display.money(refund.amount_cents)} {_REFUND_WORDS[RefundStatus(refund.status)]}"
        line += f" {display.moment(refund.updated_at, zone)}: {refund.reason}"
        if refund.status == RefundStatus.FAILED and refund.failure_reason:
            line += f" ({refund.failure_reason})"
        lines.append(line)
    return lines


def _payment_row(
    payment: Payment, zone: str, refundable: int, session: Session, *, may_void: bool, tipped: str | None = None
) -> PaymentRow:
    status = PaymentStatus(payment.status)
    notes = []
    if payment.tip_cents:
        notes.append(f"Tip {display.money(payment.tip_cents)} for {tipped or 'the business (no technician)'}")
    if payment.received_on is not None:
        notes.append(f"Received {display.day(payment.received_on)}")
    if payment.note:
        notes.append(payment.note)
    if status is PaymentStatus.VOIDED:
        notes.append(payment.failure_reason or "Voided")
    if status is PaymentStatus.FAILED:
        notes.append(payment.failure_reason or "The payment did not go through.")
    if status is PaymentStatus.PROCESSING:
        notes.append("Bank payments take up to 4 business days.")
    if payment.refunded_cents:
        notes.append(f"{display.money(payment.refunded_cents)} refunded")
    if payment.tip_refunded_cents:
        notes.append(f"{display.money(payment.tip_refunded_cents)} of the tip refunded")
    if payment.disputed_cents:
        notes.append(f"{display.money(payment.disputed_cents)} taken back by the customer's bank")
    return PaymentRow(
        id=saved_id(payment),
        method=payment.method_detail or _METHOD_WORDS.get(payment.method, payment.method),
        amount=display.money(payment.amount_cents),
        status=status.value,
        at=display.moment(payment.updated_at, zone),
        note=" · ".join(notes),
        problem=status in (PaymentStatus.FAILED, PaymentStatus.DISPUTED),
        refundable=display.money(refundable) if refundable > 0 else "",
        refunds=_refund_lines(session, saved_id(payment), zone),
        can_void=may_void,
    )


# ---------------------------------------------------------------- texts and emails


def timeline(session: Session, employee: Employee, invoice_id: int, now: datetime | None = None) -> list[TimelineEntry]:
    """Every text and email sent for the invoice, newest first, with its status history."""
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    business = session.get_one(Business, invoice.business_id)
    location = session.get_one(Location, invoice.location_id)
    messages = session.exec(
        select(OutboundMessage)
        .where(OutboundMessage.invoice_id == invoice.id)
        .order_by(col(OutboundMessage.created_at).desc(), col(OutboundMessage.id).desc())
    ).all()
    events: dict[int, list[MessageStatusEvent]] = {}
    senders: dict[int | None, str] = {}
    if messages:
        for event in session.exec(
            select(MessageStatusEvent)
            .where(col(MessageStatusEvent.message_id).in_([m.id for m in messages]))
            .order_by(col(MessageStatusEvent.at), col(MessageStatusEvent.id))
        ).all():
            events.setdefault(event.message_id, []).append(event)
        sender_ids = {m.sent_by_employee_id for m in messages if m.sent_by_employee_id}
        senders = (
            dict(session.exec(select(Employee.id, Employee.name).where(col(Employee.id).in_(sender_ids))).all())
            if sender_ids
            else {}
        )
    now = now or utcnow()
    sent = [
        (
            message.created_at,
            _entry(message, events.get(saved_id(message), []), senders, business.time_zone, location.time_zone, now),
        )
        for message in messages
    ]
    replies = [
        (reply.received_at, _reply_entry(reply, business.time_zone)) for reply in _replies(session, saved_id(invoice))
    ]
    return [entry for _, entry in sorted(sent + replies, key=lambda pair: pair[0], reverse=True)]


def _replies(session: Session, invoice_id: int) -> list[InboundMessage]:
    return list(session.exec(select(InboundMessage).where(InboundMessage.invoice_id == invoice_id)).all())


def _reply_entry(reply: InboundMessage, zone: str) -> TimelineEntry:
    return TimelineEntry(
        id=-saved_id(reply),  # texts sent have positive ids
        channel="reply",
        title=f"Reply from {phones.display(reply.from_number)}",
        sent_by="Customer",
        status="received",
        status_line=f"Received {display.moment(reply.received_at, zone)}",
        history="",
        note=reply.action,
        problem=False,
        body=reply.body,
    )


def _entry(
    message: OutboundMessage,
    events: list[MessageStatusEvent],
    senders: dict[int | None, str],
    business_zone: str,
    location_zone: str,
    now: datetime,
) -> TimelineEntry:
    status = MessageStatus(message.status)
    is_text = message.channel == Channel.SMS
    to = phones.display(message.to_address) if is_text else message.to_address
    status_at = events[-1].at if events else message.updated_at
    note = ""
    if status is MessageStatus.SCHEDULED:
        note = f"Scheduled for {describe_send_time(message.send_after, now, location_zone)} because of quiet hours"
    elif status is MessageStatus.CANCELED:
        note = message.failure_reason or "Not sent."
    elif status in _PROBLEMS:
        note = message.failure_reason or (
            f"The carrier reported error {message.error_code}." if message.error_code else "Not delivered."
        )
    note = note or text_fallback.note(message, events)
    sender = senders.get(message.sent_by_employee_id)
    return TimelineEntry(
        id=saved_id(message),
        channel=message.channel,
        title=f"{_kind_of(message, is_text)} to {to}",
        sent_by=f"Sent by {sender}" if sender else "Sent automatically",
        status=status.value,
        status_line=f"{'Requested' if status is MessageStatus.SCHEDULED else STATUS_WORDS[status]} "
        f"{display.moment(status_at, business_zone)}",
        history=_history(events, business_zone),
        note=note,
        problem=status in _PROBLEMS,
    )


def _kind_of(message: OutboundMessage, is_text: bool) -> str:
    if (n := reminders.reminder_number(message)) is not None:
        return f"Reminder {n}"
    if (message.idempotency_key or "").startswith("relink-"):
        return "New link the customer asked for, texted"
    if receipts.is_receipt(message):
        return "Receipt text" if is_text else "Receipt email"
    return "Text" if is_text else "Email"


def _history(events: list[MessageStatusEvent], zone: str) -> str:
    """ "Queued 3:05 PM · Sent 3:05 PM · Delivered 3:06 PM", once there is more than one step."""
    steps = _distinct_statuses(events)
    if len(steps) < 2:
        return ""
    return " · ".join(
        f"{STATUS_WORDS.get(event.status, event.status)} {display.time_of_day(event.at, zone)}" for event in steps
    )


def _distinct_statuses(events: list[MessageStatusEvent]) -> list[MessageStatusEvent]:
    """A duplicated callback writes no second step."""
    seen, steps = set(), []
    for event in events:
        if event.status not in seen:
            seen.add(event.status)
            steps.append(event)
    return steps
