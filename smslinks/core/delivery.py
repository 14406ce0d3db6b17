"""Message status: one ordered state machine shared by the dispatcher and Twilio's status callbacks.

scheduled < queued < sending < sent < delivered; undelivered, failed and canceled end a message
like delivered does (a queued text goes back to scheduled when quiet hours begin before it leaves). Reports may arrive twice or out of order, so every change is a compare-and-set
(UPDATE ... WHERE status IN (the statuses it may follow)): a late "sent" never overwrites
"delivered", and a duplicate changes nothing. Every change leaves a MessageStatusEvent (the invoice
timeline), an audit row, and touches the invoice so open pages refresh.
"""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TypedDict

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.core import audit, consent, invoices, text_fallback, webhooks
from smslinks.models import MessageStatus, MessageStatusEvent, OutboundMessage, saved_id, utcnow

log = logging.getLogger(__name__)

TWILIO_ACTOR = "Twilio"
DISPATCHER_ACTOR = "dispatcher"

RANK = {
    MessageStatus.SCHEDULED: 0,
    MessageStatus.QUEUED: 1,
    MessageStatus.SENDING: 2,
    MessageStatus.SENT: 3,
    MessageStatus.DELIVERED: 4,
    MessageStatus.UNDELIVERED: 4,
    MessageStatus.FAILED: 4,
    MessageStatus.CANCELED: 4,
}
FINAL = frozenset({MessageStatus.DELIVERED, MessageStatus.UNDELIVERED, MessageStatus.FAILED, MessageStatus.CANCELED})
FAILURES = frozenset({MessageStatus.UNDELIVERED, MessageStatus.FAILED})
# Statuses other systems hear of (message.delivered, message.failed).
WEBHOOK_STATUSES = FAILURES | {MessageStatus.DELIVERED}

# Twilio's message statuses that change ours; the rest (accepted, queued, sending, scheduled...)
# only say Twilio has the message, which "sent" already records.
TWILIO_STATUSES = {
    "sent": MessageStatus.SENT,
    "delivered": MessageStatus.DELIVERED,
    "read": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.UNDELIVERED,
    "failed": MessageStatus.FAILED,
    "canceled": MessageStatus.FAILED,
}

UNSUBSCRIBED_CODE = "21610"

TWILIO_ERROR_REASONS = {
    "20003": "Twilio refused the account's credentials; the text was not sent. Contact support.",
    "20429": "Twilio was sending too many messages at once; the text was not sent.",
    "21211": "The phone number is not valid.",
    "21408": "Texting to this country or region is not enabled for this account.",
    "21606": "The sending number cannot send texts. Contact support.",
    "21610": "The customer replied STOP to this business's texts, so carriers block them until "
    "the customer replies START.",
    "21612": "This number cannot receive texts from the business's number (no route to it).",
    "21614": "The number is not a mobile number, so it cannot receive texts.",
    "21617": "The text is too long to send.",
    "30001": "Twilio's queue for the sending number was full, so the text was not sent.",
    "30002": "The texting account is suspended. Contact support.",
    "30003": "The phone was unreachable (switched off or out of coverage), so the text was not delivered.",
    "30004": "The text was blocked: the customer may have blocked the number, or their plan does "
    "not accept these texts.",
    "30005": "The number does not exist or is no longer in service.",
    "30006": "The number is a landline or its carrier cannot receive texts.",
    "30007": "The carrier filtered the text as spam.",
    "30008": "The carrier could not deliver the text and gave no reason.",
    "30010": "The text would cost more than the account's price limit.",
    "30022": "The sending number exceeded its carrier sending limit; the text was not delivered.",
    "30032": "Carriers blocked the text because the toll-free sending number is not verified.",
    "30034": "Carriers blocked the text because the sending number is not registered for business texting (10DLC).",
}


def twilio_error_reason(code: object, fallback: str | None = None) -> str:
    """A sentence for the invoice timeline; unknown codes still show the code."""
    code = str(code).strip() if code not in (None, "") else ""
    if code in TWILIO_ERROR_REASONS:
        return TWILIO_ERROR_REASONS[code]
    if code:
        return f"Twilio could not send or deliver the text (error {code})."
    return fallback or "The carrier could not deliver the text."


def transition(
    session: Session,
    message_id: int,
    status: MessageStatus,
    *,
    allowed_from: set[MessageStatus] | frozenset[MessageStatus],
    actor: str,
    detail: str | None = None,
    conditions: tuple = (),
    now: datetime | None = None,
    **values: object,
) -> OutboundMessage | None:
    """Move a message to `status` if it is still in one of `allowed_from` (and `conditions` hold).

    Returns the updated message, or None when another report or worker got there first.
    `values` are further columns to set (provider_id, error_code, failure_reason, attempts...).
    """
    moved = transition_many(
        session,
        [message_id],
        status,
        allowed_from=allowed_from,
        actor=actor,
        detail=detail,
        conditions=conditions,
        now=now,
        **values,
    )
    return moved[0] if moved else None


# Not gone yet: held for quiet hours, or queued. A message a worker has claimed (sending) goes on.
UNSENT = frozenset({MessageStatus.SCHEDULED, MessageStatus.QUEUED})


def cancel_unsent(
    session: Session, *conditions, actor: str, reason: str, now: datetime | None = None
) -> list[OutboundMessage]:
    """Cancel the messages matching `conditions` that have not gone yet, with the reason on their
    timeline; returns those canceled."""
    waiting = session.exec(
        select(OutboundMessage.id).where(*conditions, col(OutboundMessage.status).in_([s.value for s in UNSENT]))
    ).all()
    ids = [message_id for message_id in waiting if message_id is not None]  # primary keys, never None
    return transition_many(
        session, ids, MessageStatus.CANCELED, allowed_from=UNSENT, actor=actor, now=now, failure_reason=reason
    )


def transition_many(
    session: Session,
    message_ids: list[int],
    status: MessageStatus,
    *,
    allowed_from: set[MessageStatus] | frozenset[MessageStatus],
    actor: str,
    detail: str | Callable[[OutboundMessage], str | None] | None = None,
    conditions: tuple = (),
    now: datetime | None = None,
    **values: object,
) -> list[OutboundMessage]:
    """transition() for several messages in one UPDATE (the dispatcher's batches); returns those
    that moved, in no particular order. `detail` may be a function of the updated message, and
    `values` SQL expressions of the row (a CASE on the id gives each message its own value)."""
    if not message_ids:
        return []
    now = now or utcnow()
    statement = (
        sa.update(OutboundMessage)
        .where(
            col(OutboundMessage.id).in_(message_ids),
            col(OutboundMessage.status).in_([MessageStatus(s).value for s in allowed_from]),
            *conditions,
        )
        .values(status=MessageStatus(status).value, updated_at=now, **values)
        # One round trip: the updated rows come back with the UPDATE (and refresh the session's copies).
        .returning(OutboundMessage)
        .execution_options(synchronize_session=False, populate_existing=True)
    )
    moved = list(session.execute(statement).scalars().all())
    for message in moved:
        note = (
            message.failure_reason
            if status in FAILURES | {MessageStatus.CANCELED}
            else (detail(message) if callable(detail) else detail)
        )
        session.add(
            MessageStatusEvent(
                message_id=message.id,
                status=message.status,
                error_code=message.error_code if status in FAILURES else None,
                detail=note[:300] if note else None,
                at=now,
            )
        )
        audit.record(
            session,
            f"{message.channel}.{message.status}",
            "outbound_message",
            message.id,
            business_id=message.business_id,
            actor=actor,
            invoice_id=message.invoice_id,
            to=message.to_address,
            provider_id=message.provider_id,
            detail=note,
        )
        invoices.touch(session, message.invoice_id)
        if status in WEBHOOK_STATUSES:
            webhooks.record_message_event(session, message, now)
        if status in FAILURES:
            text_fallback.email_instead(session, message)
    return moved


class _FailureColumns(TypedDict, total=False):
    """What a failed status report writes on its message besides the status."""

    error_code: str | None
    failure_reason: str


def apply_twilio_status(
    session: Session,
    *,
    provider_id: str,
    status: str,
    error_code: str | None = None,
    message_id: int | None = None,
) -> bool:
    """Apply one Twilio status callback; True when it changed something.

    `message_id` comes from our own callback URL (signed with it), so a callback that beats the
    dispatcher's commit of the sid still finds its message and adopts the sid.
    """
    new_status = TWILIO_STATUSES.get((status or "").strip().lower())
    if new_status is None or not provider_id:
        return False
    message = _message_for(session, provider_id, message_id)
    if message is None:
        log.warning("status callback for unknown message %s (%s)", provider_id, message_id)
        return False
    failed = new_status in FAILURES
    failure: _FailureColumns = (
        {"error_code": error_code or None, "failure_reason": twilio_error_reason(error_code)} if failed else {}
    )
    changed = transition(
        session,
        saved_id(message),
        new_status,
        allowed_from={s for s in MessageStatus if s not in FINAL and RANK[s] < RANK[new_status]},
        actor=TWILIO_ACTOR,
        conditions=(
            sa.or_(col(OutboundMessage.provider_id).is_(None), col(OutboundMessage.provider_id) == provider_id),
        ),
        provider_id=provider_id,
        **failure,
    )
    if changed is not None and failed and str(error_code) == UNSUBSCRIBED_CODE:
        consent.opt_out(session, changed.business_id, changed.to_address, f"Twilio error {UNSUBSCRIBED_CODE}")
    return changed is not None


def _message_for(session: Session, provider_id: str, message_id: int | None) -> OutboundMessage | None:
    message = session.exec(select(OutboundMessage).where(OutboundMessage.provider_id == provider_id)).first()
    if message is not None:
        return message
    if message_id is not None:
        candidate = session.get(OutboundMessage, message_id)
        if candidate is not None and candidate.provider_id is None:
            return candidate
    return None
