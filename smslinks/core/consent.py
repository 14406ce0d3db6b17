"""Opt-out state per business and number: STOP replies, Twilio 21610, START to come back."""

from datetime import datetime

from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from smslinks.core import audit, webhooks
from smslinks.models import OutboundMessage, SmsOptOut, utcnow

# The text confirming an opt-out goes to a number that has just opted out: the dispatcher lets this
# one kind through. Its key also makes it go once.
CONFIRMATION_KEY_PREFIX = "optout-confirm-"


def is_opt_out_confirmation(message: OutboundMessage) -> bool:
    return (message.idempotency_key or "").startswith(CONFIRMATION_KEY_PREFIX)


def opted_out_at(session: Session, business_id: int, e164: str) -> datetime | None:
    row = session.exec(select(SmsOptOut).where(SmsOptOut.business_id == business_id, SmsOptOut.e164 == e164)).first()
    return row.opted_out_at if row else None


def opted_out_numbers(session: Session, business_id: int, numbers: list[str]) -> dict[str, datetime]:
    """{e164: opted out at} for those of the numbers that opted out."""
    if not numbers:
        return {}
    rows = session.exec(
        select(SmsOptOut).where(SmsOptOut.business_id == business_id, col(SmsOptOut.e164).in_(numbers))
    ).all()
    return {row.e164: row.opted_out_at for row in rows}


def opt_out(session: Session, business_id: int, e164: str, source: str, at: datetime | None = None) -> bool:
    """Record an opt-out; False when the number had already opted out (nothing changes).

    Reports for one number race (Twilio's 21610 for two texts at once, a STOP reply): the insert
    skips a row another transaction wrote first, waiting for it if uncommitted, instead of failing
    on the unique key and losing the report that carried it."""
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    added = session.execute(
        insert(SmsOptOut)
        .values(business_id=business_id, e164=e164, source=source, opted_out_at=at or utcnow())
        .on_conflict_do_nothing(index_elements=["business_id", "e164"])
        .returning(col(SmsOptOut.id))
    ).first()
    if added is None:
        return False
    audit.record(
        session, "sms.opted_out", "phone", e164, business_id=business_id, actor=audit.CUSTOMER_ACTOR, source=source
    )
    webhooks.record_consent_event(session, business_id, e164, "customer.opted_out", source, at or utcnow())
    return True


def opt_in(session: Session, business_id: int, e164: str, source: str) -> bool:
    """Remove an opt-out; False when the number was not opted out."""
    row = session.exec(select(SmsOptOut).where(SmsOptOut.business_id == business_id, SmsOptOut.e164 == e164)).first()
    if row is None:
        return False
    session.delete(row)
    audit.record(
        session, "sms.opted_in", "phone", e164, business_id=business_id, actor=audit.CUSTOMER_ACTOR, source=source
    )
    webhooks.record_consent_event(session, business_id, e164, "customer.opted_in", source, utcnow())
    return True
