"""The durable outbox: every text and email to a customer is first a row here, written in the
caller's transaction, and only then handed to a provider by the dispatcher."""

from datetime import datetime

from sqlmodel import Session

from smslinks.core import audit, invoices, sms_text
from smslinks.models import Channel, Employee, MessageStatus, MessageStatusEvent, OutboundMessage, saved_id, utcnow


def enqueue(
    session: Session,
    *,
    business_id: int,
    channel: Channel,
    to_address: str,
    body: str,
    subject: str | None = None,
    invoice_id: int | None = None,
    phone_number_id: int | None = None,
    payment_link_id: int | None = None,
    from_address: str | None = None,
    employee: Employee | None = None,
    actor: str | None = None,
    send_after: datetime | None = None,
    idempotency_key: str | None = None,
    via: str | None = None,
) -> OutboundMessage:
    """Add a message to the outbox (queued, or scheduled when send_after is in the future). A text
    is stored smart-encoded: the row holds exactly what goes out and what its segments count."""
    if channel == Channel.SMS:
        body = sms_text.smart_encode(body)
    now = utcnow()
    due = send_after if send_after is not None and send_after > now else now
    scheduled = due > now
    message = OutboundMessage(
        business_id=business_id,
        invoice_id=invoice_id,
        channel=Channel(channel).value,
        to_address=to_address,
        from_address=from_address,
        phone_number_id=phone_number_id,
        payment_link_id=payment_link_id,
        subject=subject,
        body=body,
        status=MessageStatus.SCHEDULED if scheduled else MessageStatus.QUEUED,
        send_after=due,
        next_attempt_at=due,
        sent_by_employee_id=employee.id if employee else None,
        idempotency_key=idempotency_key,
        via=via,
    )
    session.add(message)
    session.flush()
    session.add(MessageStatusEvent(message_id=saved_id(message), status=message.status))
    audit.record(
        session,
        f"{message.channel}.queued",
        "outbound_message",
        message.id,
        business_id=business_id,
        employee=employee,
        actor=actor,
        invoice_id=invoice_id,
        to=to_address,
        scheduled_for=send_after if scheduled else None,
    )
    invoices.touch(session, invoice_id)
    return message
