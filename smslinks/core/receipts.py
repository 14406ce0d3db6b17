"""Payment receipts go back to where the customer got the link: the text or email that carried it,
else the customer's mobile, else their email. A number on the opt-out registry gets no text (the
receipt goes by email instead, when there is one). Receipts are outbox rows; the dispatcher sends them.
"""

from sqlmodel import Session, col, select

from smslinks.core import audit, consent, display, outbox, pay_text, phones
from smslinks.models import (
    Business,
    Channel,
    EmailAddress,
    Invoice,
    OutboundMessage,
    Payment,
    PhoneNumber,
    PhoneType,
    saved_id,
)

# Receipts are outbox rows like any text or email; this key prefix tells them apart (and makes a
# replayed payment event send one receipt only).
RECEIPT_KEY_PREFIX = "receipt-payment-"


def is_receipt(message: OutboundMessage) -> bool:
    return (message.idempotency_key or "").startswith(RECEIPT_KEY_PREFIX)


def _link_destination(session: Session, link_id: int | None) -> tuple[str, str] | None:
    if link_id is None:
        return None
    message = session.exec(
        select(OutboundMessage)
        .where(OutboundMessage.payment_link_id == link_id)
        .order_by(col(OutboundMessage.id).desc())
    ).first()
    return (message.channel, message.to_address) if message else None


def _customer_destinations(session: Session, invoice: Invoice) -> list[tuple[str, str]]:
    mobiles = session.exec(
        select(PhoneNumber.e164)
        .where(PhoneNumber.customer_id == invoice.customer_id, PhoneNumber.type == PhoneType.MOBILE)
        .order_by(col(PhoneNumber.id))
    ).all()
    emails = session.exec(
        select(EmailAddress.email).where(EmailAddress.customer_id == invoice.customer_id).order_by(col(EmailAddress.id))
    ).all()
    found: list[tuple[str, str]] = [(Channel.SMS, number) for number in mobiles]
    return found + [(Channel.EMAIL, email) for email in emails]


def destinations(session: Session, invoice: Invoice, link_id: int | None) -> list[tuple[str, str]]:
    """Where a receipt may go, best first: (channel, address)."""
    first = _link_destination(session, link_id)
    rest = _customer_destinations(session, invoice)
    if first is None:
        return rest
    # After the link's own destination, prefer the other channel: the link's number may have opted out.
    return (
        [first]
        + [d for d in rest if d != first and d[0] != first[0]]
        + [d for d in rest if d != first and d[0] == first[0]]
    )


def send(session: Session, invoice: Invoice, payment: Payment, *, language: str) -> str | None:
    """Queue the receipt for a payment that just succeeded; returns the channel, or None if no way."""
    business = session.get_one(Business, invoice.business_id)
    for channel, address in destinations(session, invoice, payment.payment_link_id):
        if channel == Channel.SMS and consent.opted_out_at(session, saved_id(business), address) is not None:
            continue
        if channel == Channel.SMS:
            body = pay_text.receipt_sms(
                language,
                business=business.name,
                number=invoice.number,
                amount_cents=payment.amount_cents,
                balance_cents=max(0, invoice.balance_cents),
                tip_cents=payment.tip_cents,
            )
            subject = None
        else:
            subject, body = pay_text.receipt_email(
                language,
                business=business.name,
                phone=phones.display(business.phone or ""),
                number=invoice.number,
                amount_cents=payment.amount_cents,
                balance_cents=max(0, invoice.balance_cents),
                method=payment.method_detail or payment.method,
                on=display.local_day(payment.updated_at, business.time_zone),
                tip_cents=payment.tip_cents,
            )
        outbox.enqueue(
            session,
            business_id=saved_id(business),
            channel=Channel(channel),
            to_address=address,
            body=body,
            subject=subject,
            invoice_id=invoice.id,
            actor=audit.SYSTEM_ACTOR,
            idempotency_key=f"{RECEIPT_KEY_PREFIX}{payment.id}",
        )
        return channel
    audit.record(
        session,
        "payment.receipt_not_sent",
        "payment",
        payment.id,
        business_id=business.id,
        reason="no mobile number that accepts texts and no email address",
    )
    return None
