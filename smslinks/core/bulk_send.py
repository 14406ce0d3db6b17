"""Texting payment links for many invoices at once (`smslinks invoices send-links`).

Each invoice goes through sending.send_invoice_text, the office's own path, as the named employee:
every rule (permissions, settings, payable, Mobile only, opt-outs, daily limit, quiet hours) is
checked there, and an invoice a rule refuses is skipped with that rule's reason. The text goes to
the first Mobile number on the customer's record.

Re-running after an interruption texts nobody twice: each invoice is committed on its own, and an
invoice whose number got a payment-link text for it in the last 24 hours (a failed or canceled one
does not count) is skipped. The idempotency key names the invoice, number and day, so two runs
racing on the same invoice write one message between them.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlmodel import Session, col, select

from smslinks.core import sending
from smslinks.core.delivery import FAILURES
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.invoices import get_for_staff
from smslinks.models import (
    Channel,
    Employee,
    Invoice,
    MessageStatus,
    OutboundMessage,
    PhoneNumber,
    PhoneType,
    saved_id,
    utcnow,
)

RECENT = timedelta(hours=24)
NO_SUCH_INVOICE = "No invoice with that number."
NO_MOBILE = "The customer has no Mobile number on record."
# Texts that never reached the customer (failed, or canceled before they went) are no reason to skip.
NOT_SENT = FAILURES | {MessageStatus.CANCELED}
ALREADY_TEXTED = "A payment link for this invoice was texted to this number in the last 24 hours."


class Outcome(StrEnum):
    SENT = "sent"  # queued (or scheduled for after quiet hours) in the outbox
    SKIPPED = "skipped"


@dataclass(frozen=True)
class InvoiceResult:
    number: str
    outcome: Outcome
    detail: str  # where it went ("Text queued to (512) 555-0104") or why it was skipped


def check_sender(session: Session, employee: Employee, pay_by: str | None = None) -> str:
    """Refuse the whole run up front when this person may not text invoice links from the office;
    returns the payment method the links open on (the one asked for, else the first accepted)."""
    if reason := sending.text_unavailable(session, employee, sending.Via.OFFICE):
        raise DomainError(f"{employee.email} cannot text invoice links: {reason}")
    accepted = [choice.value for choice in sending.pay_by_choices(session, employee)]
    if not accepted:
        raise DomainError(sending.NO_PAYMENT_METHOD)
    if pay_by is None:
        return accepted[0]
    if pay_by not in accepted:
        raise DomainError(f'Links cannot open on "{pay_by}": the account accepts {" and ".join(accepted)}.')
    return pay_by


def select_invoices(
    session: Session,
    employee: Employee,
    *,
    status: str | None = None,
    numbers: Iterable[str] | None = None,
    limit: int | None = None,
) -> list[str]:
    """Invoice numbers of the employee's business to go through: those asked for, in that order
    (numbers that do not exist are kept, to be skipped with a reason, so the counts add up), or
    all, oldest first; either narrowed to a status."""
    if numbers is None:
        statement = select(Invoice.number).where(Invoice.business_id == employee.business_id)
        if status:
            statement = statement.where(Invoice.status == status)
        return list(session.exec(statement.order_by(col(Invoice.id)).limit(limit)).all())
    wanted = list(dict.fromkeys(n.strip().lstrip("#") for n in numbers if n.strip()))
    statuses = dict(
        session.exec(
            select(Invoice.number, Invoice.status).where(
                Invoice.business_id == employee.business_id, col(Invoice.number).in_(wanted)
            )
        ).all()
    )
    chosen = [n for n in wanted if not status or statuses.get(n, status) == status]
    return chosen[:limit] if limit is not None else chosen


def send_links(
    session: Session,
    employee: Employee,
    numbers: list[str],
    *,
    pay_by: str | None = None,
    now: datetime | None = None,
) -> Iterator[InvoiceResult]:
    """Text each invoice's payment link, committing invoice by invoice; yields one result each."""
    pay_by = check_sender(session, employee, pay_by)
    for number in numbers:
        try:
            result = _send_one(session, employee, number, pay_by, now or utcnow())
            session.commit()
        except DomainError as error:
            session.rollback()
            result = InvoiceResult(number, Outcome.SKIPPED, error.message)
        yield result


def _send_one(session: Session, employee: Employee, number: str, pay_by: str, now: datetime) -> InvoiceResult:
    invoice_id = session.exec(
        select(Invoice.id).where(Invoice.business_id == employee.business_id, Invoice.number == number)
    ).first()
    if invoice_id is None:
        raise NotFound(NO_SUCH_INVOICE)
    invoice = get_for_staff(session, employee, invoice_id)
    phone = session.exec(
        select(PhoneNumber)
        .where(PhoneNumber.customer_id == invoice.customer_id, PhoneNumber.type == PhoneType.MOBILE)
        .order_by(col(PhoneNumber.id))
    ).first()
    if phone is None:
        raise DomainError(NO_MOBILE)
    if _texted_recently(session, saved_id(invoice), phone.e164, now):
        raise DomainError(ALREADY_TEXTED)
    key = f"bulk:{invoice.id}:{phone.e164}:{now:%Y-%m-%d}"
    result = sending.send_invoice_text(
        session,
        employee,
        saved_id(invoice),
        sending.Recipient(phone_number_id=phone.id),
        pay_by,
        sending.Via.OFFICE,
        key,
        now,
    )
    if result.repeated:  # another run wrote it first
        raise DomainError(ALREADY_TEXTED)
    return InvoiceResult(number, Outcome.SENT, result.confirmation)


def _texted_recently(session: Session, invoice_id: int, e164: str, now: datetime) -> bool:
    return (
        session.exec(
            select(OutboundMessage.id).where(
                OutboundMessage.invoice_id == invoice_id,
                OutboundMessage.channel == Channel.SMS,
                OutboundMessage.to_address == e164,
                OutboundMessage.created_at > now - RECENT,
                col(OutboundMessage.status).not_in([s.value for s in NOT_SENT]),
            )
        ).first()
        is not None
    )
