"""When a pay-link text cannot arrive, the same link goes by email.

A text that fails for good because of the number (a landline, a phone unreachable, a carrier block;
never an opt-out, which is the customer's wish) is followed by an email of the same link to the
customer's first email address, when the business allows it (PaymentSettings.email_when_text_fails,
on by default) and the invoice can still be paid. The email is queued in the transaction that
records the failure, once per failed text, sent "automatic"; its timeline entry says why.
"""

import re

from sqlmodel import Session, col, select

from smslinks.core import accounts, audit, email_text, outbox, sending
from smslinks.core.sms_text import PayBy
from smslinks.models import (
    Business,
    Channel,
    Customer,
    EmailAddress,
    Invoice,
    InvoiceStatus,
    MessageStatusEvent,
    OutboundMessage,
    saved_id,
)

KEY_PREFIX = "text-failed-"
# Twilio errors that say the number cannot get the text (not the account's or the customer's choice).
CANNOT_ARRIVE = frozenset({"21211", "21612", "21614", "30003", "30004", "30005", "30006", "30007", "30008"})
_LINK = re.compile(r"https?://\S+")


def why(reason: str) -> str:
    return f"Emailed because the text could not be delivered: {reason}"


def applies(message: OutboundMessage) -> bool:
    """A pay-link text that failed because of the number it was sent to."""
    return (
        message.channel == Channel.SMS
        and message.payment_link_id is not None
        and message.invoice_id is not None
        and str(message.error_code or "") in CANNOT_ARRIVE
    )


def email_instead(session: Session, message: OutboundMessage) -> OutboundMessage | None:
    """Queue the email for a text that just failed, or None when it does not apply."""
    if not applies(message):
        return None
    settings = accounts.payment_settings(session, message.business_id)
    invoice = session.get(Invoice, message.invoice_id)
    link = _LINK.search(message.body)
    if not settings.email_when_text_fails or link is None or invoice is None or not _payable(invoice):
        return None
    customer = session.get_one(Customer, invoice.customer_id)
    address = session.exec(
        select(EmailAddress.email).where(EmailAddress.customer_id == customer.id).order_by(col(EmailAddress.id))
    ).first()
    if address is None:
        return None
    key = f"{KEY_PREFIX}{message.id}"
    if session.exec(select(OutboundMessage.id).where(OutboundMessage.idempotency_key == key)).first():
        return None  # a second failure report for the same text
    business = session.get_one(Business, message.business_id)
    email = email_text.invoice_email(
        business_name=business.name,
        business_phone=business.phone,
        customer_name=customer.name,
        invoice_number=invoice.number,
        amount_due_cents=invoice.balance_cents,
        link=link.group(0),
        pay_by=PayBy.ACH if link.group(0).endswith("?m=ach") else PayBy.CARD,
        valid_days=settings.link_valid_days,
    )
    sent = outbox.enqueue(
        session,
        business_id=saved_id(business),
        channel=Channel.EMAIL,
        to_address=address,
        subject=email.subject,
        body=email.body,
        invoice_id=invoice.id,
        payment_link_id=message.payment_link_id,
        actor=audit.SYSTEM_ACTOR,
        idempotency_key=key,
        via=sending.Via.AUTOMATIC,
    )
    reason = why(message.failure_reason or "the carrier gave no reason.")
    session.flush()
    first = session.exec(select(MessageStatusEvent).where(MessageStatusEvent.message_id == sent.id)).one()
    first.detail = reason[:300]  # the timeline's note for this email
    audit.record(
        session,
        "email.sent_for_failed_text",
        "outbound_message",
        sent.id,
        business_id=business.id,
        actor=audit.SYSTEM_ACTOR,
        invoice_id=invoice.id,
        text_id=message.id,
        reason=message.failure_reason,
    )
    return sent


def _payable(invoice: Invoice) -> bool:
    return invoice.status == InvoiceStatus.OPEN and invoice.balance_cents > 0


def note(message: OutboundMessage, events: list[MessageStatusEvent]) -> str:
    """The timeline's line for an email sent in place of a text ("" for any other message)."""
    if message.idempotency_key and message.idempotency_key.startswith(KEY_PREFIX) and events:
        return events[0].detail or ""
    return ""
