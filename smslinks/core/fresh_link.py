"""A fresh link on request: the expired-link page's "Text me a new link".

The new link goes only to the number the expired link was texted to (never to one typed on the
page), at most once an hour per invoice, never to an opted-out number, and only while the invoice
can still be paid by link. The page's answer is the same whatever happened ("If this link was
texted to you, a new one is on its way"), so it tells nobody which tokens exist or what they open.
The text is an ordinary outbox row: quiet hours and the dispatcher's checks apply when it goes.
"""

from datetime import datetime, timedelta

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smslinks.core import accounts, audit, consent, invoices, links, outbox, pay_page, sending, sms_text, tokens
from smslinks.models import (
    WAITING_STATUSES,
    Business,
    Channel,
    Invoice,
    Location,
    OutboundMessage,
    PaymentLink,
    saved_id,
    utcnow,
)

KEY_PREFIX = "relink-"
ONCE_PER = timedelta(hours=1)


def request_new_link(session: Session, token: str | tokens.Hashed, *, client: str, now: datetime | None = None) -> bool:
    """Queue a text with a new link for this expired link's invoice when every rule allows it (in
    the caller's transaction); True when one was queued. Callers show the same answer either way."""
    now = now or utcnow()
    if (token_hash := tokens.lookup_hash(token)) is None or pay_page.throttled(session, client):
        return False
    link = session.exec(select(PaymentLink).where(PaymentLink.token_hash == token_hash)).first()
    if link is None or link.expires_at > now or link.revoked_at is not None:
        return False
    sent_to = session.exec(
        select(OutboundMessage.to_address)
        .where(OutboundMessage.payment_link_id == link.id, OutboundMessage.channel == Channel.SMS.value)
        .order_by(col(OutboundMessage.id).desc())
    ).first()
    if sent_to is None:
        return False
    invoice = session.get_one(Invoice, link.invoice_id)
    if reason := why_not(session, invoice, sent_to, now):
        audit.record(
            session,
            "payment_link.new_link_refused",
            "invoice",
            invoice.id,
            business_id=invoice.business_id,
            actor=audit.CUSTOMER_ACTOR,
            reason=reason,
        )
        return False
    try:
        with session.begin_nested():
            _send(session, invoice, sent_to, now)
    except IntegrityError:  # a second request in the same hour, racing this one
        return False
    return True


def why_not(session: Session, invoice: Invoice, e164: str, now: datetime) -> str | None:
    """Why no new link may be texted for this invoice to this number now, or None."""
    business = session.get_one(Business, invoice.business_id)
    settings = accounts.payment_settings(session, saved_id(business))
    invoice_id = saved_id(invoice)
    in_flight = invoices.payments_in_flight(session, [invoice_id]).get(invoice_id)
    if blocker := sending.payable_blocker(invoice, settings, in_flight, business.time_zone):
        return blocker
    if blocker := sending.channel_blocker(business, settings, Channel.SMS, sending.Via.OFFICE):
        return blocker
    if consent.opted_out_at(session, saved_id(business), e164) is not None:
        return "The number opted out of texts."
    texts = select(OutboundMessage.id).where(
        OutboundMessage.invoice_id == invoice.id, OutboundMessage.channel == Channel.SMS.value
    )
    recent = texts.where(
        col(OutboundMessage.idempotency_key).startswith(KEY_PREFIX), OutboundMessage.created_at > now - ONCE_PER
    )
    if session.exec(recent.limit(1)).first() is not None:
        return "A new link was texted less than an hour ago."
    waiting = texts.where(
        OutboundMessage.to_address == e164,
        col(OutboundMessage.status).in_([status.value for status in WAITING_STATUSES]),
        col(OutboundMessage.payment_link_id).is_not(None),
    )
    if session.exec(waiting.limit(1)).first() is not None:
        return "A text to this number is already waiting to go."
    limit = settings.sms_per_recipient_daily_limit
    if e164 in sending.next_allowed_texts(session, invoice, [e164], limit, now):
        return "The number has had its texts for this invoice today."
    return None


def _send(session: Session, invoice: Invoice, e164: str, now: datetime) -> None:
    business = session.get_one(Business, invoice.business_id)
    business_id = saved_id(business)
    settings = accounts.payment_settings(session, business_id)
    link, token = links.mint(session, invoice, valid_days=settings.link_valid_days, now=now)
    zone = session.get_one(Location, invoice.location_id).time_zone
    message = outbox.enqueue(
        session,
        business_id=business_id,
        channel=Channel.SMS,
        to_address=e164,
        body=sms_text.invoice_text(
            business.name, invoice.number, invoice.balance_cents, links.url(business, token), sms_text.PayBy.CARD
        ),
        invoice_id=invoice.id,
        payment_link_id=link.id,
        from_address=business.default_sending_number,
        actor=audit.CUSTOMER_ACTOR,
        send_after=sending.quiet_hours_send_after(now, zone),
        idempotency_key=f"{KEY_PREFIX}{invoice.id}-{int(now.timestamp() // ONCE_PER.total_seconds())}",
        via=sending.Via.OFFICE.value,
    )
    audit.record(
        session,
        "payment_link.sent",
        "payment_link",
        link.id,
        business_id=business_id,
        actor=audit.CUSTOMER_ACTOR,
        invoice_id=invoice.id,
        message_id=message.id,
        channel=Channel.SMS.value,
        requested_on="expired link page",
    )
