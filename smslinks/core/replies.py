"""The replies inbox: customers' texts to the business, by number (a thread), for office staff.

Replies are stored as they arrive (core/inbound.py). Staff who may view invoices read them, answer
from the thread and mark it done; a new reply reopens it. An answer is a plain text of 1 to 3
segments, signed with the business's name, queued in the outbox like every text, so the dispatcher's
last guards (opt-out, sending number) apply when it goes. Bodies of pay-link texts are never shown
(they carry link tokens); answers and replies are.
"""

import uuid
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.core import audit, consent, display, outbox, phones, sms_text
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Business,
    Channel,
    Customer,
    Employee,
    InboundMessage,
    Invoice,
    OutboundMessage,
    saved_id,
    utcnow,
)

MAX_SEGMENTS = 3
EMPTY_ANSWER = "Write an answer first."
TOO_LONG = f"The answer is too long: at most {MAX_SEGMENTS} texts (segments) with the business name."
OPTED_OUT = "This number opted out of texts (it replied STOP): no answer can be texted until it replies START."
NO_THREAD = "That conversation does not exist or is not yours to see."
THREAD_LIMIT = 200  # threads listed, newest first
ANSWER_KEY_PREFIX = "answer-"
OTHER_TEXT = "Invoice text (payment link, receipt or notice)"


@dataclass(frozen=True)
class ThreadRow:
    number: str  # E.164, the thread's key
    number_display: str
    customer: str  # "" when no customer record holds the number
    invoice_number: str
    last_body: str
    last_at: str
    unread: int
    done: bool


@dataclass(frozen=True)
class ThreadEntry:
    id: str  # "in-3" or "out-7": replies and texts share one list
    incoming: bool
    body: str
    action: str  # what a STOP/START/HELP reply did; a text's status
    at: str
    by: str  # "Ana Ruiz" (the customer) or who answered


@dataclass(frozen=True)
class Thread:
    business_name: str  # what every answer starts with
    number: str
    number_display: str
    customer: str
    invoice_id: int | None
    invoice_number: str
    opted_out: bool
    done: bool
    entries: list[ThreadEntry]


def _business(session: Session, employee: Employee) -> Business:
    require_permission(session, employee, Permission.VIEW_INVOICES)
    return session.get_one(Business, employee.business_id)


def unread_count(session: Session, employee: Employee) -> int:
    """Replies nobody has opened yet (the number in the top navigation)."""
    require_permission(session, employee, Permission.VIEW_INVOICES)
    return session.exec(
        select(sa.func.count())
        .select_from(InboundMessage)
        .where(InboundMessage.business_id == employee.business_id, col(InboundMessage.read_at).is_(None))
    ).one()


def activity(session: Session, employee: Employee) -> tuple[int, int]:
    """(unread replies, newest reply id): what pages watch to refresh when a reply arrives."""
    unread = unread_count(session, employee)
    newest = session.exec(
        select(sa.func.max(InboundMessage.id)).where(InboundMessage.business_id == employee.business_id)
    ).one()
    return unread, newest or 0


def threads(session: Session, employee: Employee) -> list[ThreadRow]:
    """One row per number that texted the business: open threads first, newest reply first."""
    business = _business(session, employee)
    latest = (
        select(InboundMessage.from_number, sa.func.max(InboundMessage.id).label("last_id"))
        .where(InboundMessage.business_id == business.id)
        .group_by(InboundMessage.from_number)
        .subquery()
    )
    lasts = session.exec(
        select(InboundMessage)
        .join(latest, latest.c.last_id == InboundMessage.id)
        .order_by(col(InboundMessage.id).desc())
        .limit(THREAD_LIMIT)
    ).all()
    numbers = [message.from_number for message in lasts]
    unread = dict(
        session.exec(
            select(InboundMessage.from_number, sa.func.count())
            .where(
                InboundMessage.business_id == business.id,
                col(InboundMessage.from_number).in_(numbers),
                col(InboundMessage.read_at).is_(None),
            )
            .group_by(InboundMessage.from_number)
        ).all()
    )
    names = _customer_names(session, {m.customer_id for m in lasts if m.customer_id})
    numbers_of = _invoice_numbers(session, {m.invoice_id for m in lasts if m.invoice_id})
    rows = [
        ThreadRow(
            number=m.from_number,
            number_display=phones.display(m.from_number),
            customer=names.get(m.customer_id, ""),
            invoice_number=numbers_of.get(m.invoice_id, ""),
            last_body=_excerpt(m.body),
            last_at=display.moment(m.received_at, business.time_zone),
            unread=unread.get(m.from_number, 0),
            done=m.done_at is not None,
        )
        for m in lasts
    ]
    return sorted(rows, key=lambda row: row.done)  # stable: newest first within open and done


def thread(session: Session, employee: Employee, number: str, now: datetime | None = None) -> Thread:
    """A number's replies and the texts sent to it, oldest first; opening it marks the replies read."""
    business = _business(session, employee)
    replies = _replies(session, saved_id(business), number)
    now = now or utcnow()
    session.execute(
        sa.update(InboundMessage)
        .where(
            col(InboundMessage.business_id) == business.id,
            col(InboundMessage.from_number) == number,
            col(InboundMessage.read_at).is_(None),
        )
        .values(read_at=now)
    )
    sent = session.exec(
        select(OutboundMessage)
        .where(
            OutboundMessage.business_id == business.id,
            OutboundMessage.to_address == number,
            OutboundMessage.channel == Channel.SMS.value,
        )
        .order_by(col(OutboundMessage.id))
    ).all()
    last = replies[-1]
    customer = session.get(Customer, last.customer_id) if last.customer_id else None
    invoice = session.get(Invoice, last.invoice_id) if last.invoice_id else None
    senders = _employee_names(session, {m.sent_by_employee_id for m in sent if m.sent_by_employee_id})
    zone = business.time_zone
    entries = [(m.received_at, _reply_entry(m, customer, zone)) for m in replies] + [
        (m.created_at, _sent_entry(m, senders, zone)) for m in sent
    ]
    return Thread(
        business_name=business.name,
        number=number,
        number_display=phones.display(number),
        customer=customer.name if customer else "",
        invoice_id=saved_id(invoice) if invoice else None,
        invoice_number=invoice.number if invoice else "",
        opted_out=consent.opted_out_at(session, saved_id(business), number) is not None,
        done=last.done_at is not None,
        entries=[entry for _, entry in sorted(entries, key=lambda pair: pair[0])],
    )


def _replies(session: Session, business_id: int, number: str) -> list[InboundMessage]:
    replies = list(
        session.exec(
            select(InboundMessage)
            .where(InboundMessage.business_id == business_id, InboundMessage.from_number == number)
            .order_by(col(InboundMessage.id))
        ).all()
    )
    if not replies:
        raise NotFound(NO_THREAD)  # only numbers that wrote to this business can be answered
    return replies


def _reply_entry(message: InboundMessage, customer: Customer | None, zone: str) -> ThreadEntry:
    return ThreadEntry(
        id=f"in-{message.id}",
        incoming=True,
        body=message.body,
        action=message.action,
        at=display.moment(message.received_at, zone),
        by=customer.name if customer else phones.display(message.from_number),
    )


def _sent_entry(message: OutboundMessage, senders: dict[int | None, str], zone: str) -> ThreadEntry:
    answered = (message.idempotency_key or "").startswith(ANSWER_KEY_PREFIX)
    return ThreadEntry(
        id=f"out-{message.id}",
        incoming=False,
        body=message.body if answered else OTHER_TEXT,  # other texts may carry link tokens
        action=message.status.capitalize(),
        at=display.moment(message.created_at, zone),
        by=senders.get(message.sent_by_employee_id, "Sent automatically"),
    )


def answer_body(business_name: str, text: str) -> str:
    """The answer as it goes: the business name first, then what staff wrote (smart-encoded)."""
    return sms_text.smart_encode(f"{sms_text.plain_name(business_name)}: {' '.join(text.split())}")


def check_answer(business_name: str, text: str) -> str:
    """The text to send, or DomainError saying why not (empty, more than 3 segments)."""
    if not (text or "").strip():
        raise DomainError(EMPTY_ANSWER)
    body = answer_body(business_name, text)
    if sms_text.segment_info(body).segments > MAX_SEGMENTS:
        raise DomainError(TOO_LONG)
    return body


def new_answer_key() -> str:
    """Chosen when the answer box opens: the same key twice (a double click) sends once."""
    return f"{ANSWER_KEY_PREFIX}{uuid.uuid4().hex}"


def answer(session: Session, employee: Employee, number: str, text: str, key: str | None = None) -> OutboundMessage:
    """Queue staff's answer to the number, tied to the invoice the thread is about."""
    business = _business(session, employee)
    replies = _replies(session, saved_id(business), number)
    key = key if key and key.startswith(ANSWER_KEY_PREFIX) and len(key) <= 64 else new_answer_key()
    earlier = session.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key == key)).first()
    if earlier is not None and earlier.business_id == business.id and earlier.to_address == number:
        return earlier
    body = check_answer(business.name, text)
    if consent.opted_out_at(session, saved_id(business), number) is not None:
        raise DomainError(OPTED_OUT)
    message = outbox.enqueue(
        session,
        business_id=saved_id(business),
        channel=Channel.SMS,
        to_address=number,
        body=body,
        invoice_id=replies[-1].invoice_id,
        from_address=business.default_sending_number,
        employee=employee,
        via="office",
        idempotency_key=key,
    )
    _close(session, saved_id(business), number, utcnow())  # answered: read, and done until the next reply
    audit.record(session, "sms.reply_answered", "phone", number, business_id=business.id, employee=employee)
    return message


def mark_done(session: Session, employee: Employee, number: str) -> None:
    business = _business(session, employee)
    _replies(session, saved_id(business), number)
    _close(session, saved_id(business), number, utcnow())
    audit.record(session, "sms.thread_done", "phone", number, business_id=business.id, employee=employee)


def _close(session: Session, business_id: int, number: str, now: datetime) -> None:
    session.execute(
        sa.update(InboundMessage)
        .where(
            col(InboundMessage.business_id) == business_id,
            col(InboundMessage.from_number) == number,
            col(InboundMessage.done_at).is_(None),
        )
        .values(done_at=now, read_at=sa.func.coalesce(InboundMessage.read_at, now))
    )


def _customer_names(session: Session, ids: set[int]) -> dict[int | None, str]:
    return dict(session.exec(select(Customer.id, Customer.name).where(col(Customer.id).in_(ids))).all()) if ids else {}


def _employee_names(session: Session, ids: set[int]) -> dict[int | None, str]:
    return dict(session.exec(select(Employee.id, Employee.name).where(col(Employee.id).in_(ids))).all()) if ids else {}


def _invoice_numbers(session: Session, ids: set[int]) -> dict[int | None, str]:
    return dict(session.exec(select(Invoice.id, Invoice.number).where(col(Invoice.id).in_(ids))).all()) if ids else {}


def _excerpt(body: str, size: int = 90) -> str:
    text = " ".join(body.split())
    return text if len(text) <= size else text[: size - 1] + "…"
