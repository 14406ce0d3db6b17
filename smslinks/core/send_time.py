"""The rules checked again at the moment a pay-link text or email leaves.

A send is decided when someone clicks Send, but quiet hours, a retry's backoff or a backlog can hold
it for hours, and meanwhile the customer may pay, the invoice be voided, the link revoked or texting
switched off. The dispatcher asks for a verdict on every pay-link message it is about to send (when
a held text's time comes, and again when it claims one): cancel it, saying why, hold it for the
recipient's morning, or let it go. Receipts keep their own rules (they go whenever a payment
succeeds); opt-outs and the sending number are the dispatcher's own last guard for every text.
"""

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from smslinks.core import accounts, display, invoices, sending, time_zones
from smslinks.core.invoices import PaymentsInFlight
from smslinks.models import (
    Business,
    Channel,
    Invoice,
    Location,
    OutboundMessage,
    PaymentLink,
    PaymentSettings,
    saved_id,
)

# The payability reasons that read better as what happened before the message could go.
_HAPPENED = {sending.PAID: "the invoice was paid", sending.VOID: "the invoice was voided"}


@dataclass(frozen=True)
class Verdict:
    cancel: str | None = None  # why the message must not go at all ("Not sent: ...")
    hold_until: datetime | None = None  # quiet hours at the recipient: when it may go (UTC)
    hold_note: str = ""  # the timeline's words for a held text


def verdicts(session: Session, messages: list[OutboundMessage], now: datetime) -> dict[int, Verdict]:
    """{message id: verdict} for the pay-link messages that must not go now; the rest may go."""
    pay_links = [(message, *_carried(message)) for message in messages if message.payment_link_id is not None]
    if not pay_links:
        return {}
    invoice_ids = list({invoice_id for _, invoice_id, _ in pay_links})
    found_invoices = _by_id(session, Invoice, invoice_ids)
    business_ids = list({message.business_id for message, _, _ in pay_links})
    found = _Found(
        invoices=found_invoices,
        links=_by_id(session, PaymentLink, list({link_id for _, _, link_id in pay_links})),
        businesses=_by_id(session, Business, business_ids),
        settings={business_id: accounts.payment_settings(session, business_id) for business_id in business_ids},
        locations=_by_id(session, Location, list({invoice.location_id for invoice in found_invoices.values()})),
        in_flight=invoices.payments_in_flight(session, invoice_ids),
    )
    result = {}
    for message, invoice_id, link_id in pay_links:
        if (verdict := _verdict(message, found.invoices[invoice_id], link_id, found, now)) is not None:
            result[saved_id(message)] = verdict
    return result


def _carried(message: OutboundMessage) -> tuple[int, int]:
    """(invoice id, payment link id) of a pay-link message: every one is written with both."""
    if message.invoice_id is None or message.payment_link_id is None:
        raise ValueError(f"message {message.id} carries no invoice's pay link")
    return message.invoice_id, message.payment_link_id


@dataclass(frozen=True)
class _Found:
    """What a batch's verdicts read, each loaded once: {id: row}."""

    invoices: dict[int, Invoice]
    links: dict[int, PaymentLink]
    businesses: dict[int, Business]
    settings: dict[int, PaymentSettings]
    locations: dict[int, Location]
    in_flight: dict[int, PaymentsInFlight]


def _by_id(session: Session, table, ids: list[int]) -> dict:
    return {row.id: row for row in session.exec(select(table).where(col(table.id).in_(ids))).all()}


def _verdict(message: OutboundMessage, invoice: Invoice, link_id: int, found: _Found, now: datetime) -> Verdict | None:
    business = found.businesses[message.business_id]
    zone = found.locations[invoice.location_id].time_zone
    settings = found.settings[saved_id(business)]
    unpayable = sending.payable_blocker(invoice, settings, found.in_flight.get(saved_id(invoice)), business.time_zone)
    if unpayable in _HAPPENED:
        return Verdict(cancel=f"Not sent: {_HAPPENED[unpayable]} {_before(message, zone)}.")
    if unpayable:
        return Verdict(cancel=f"Not sent: {unpayable}")
    link = found.links[link_id]
    if link.revoked_at is not None:
        return Verdict(cancel=f"Not sent: its payment link was revoked {_before(message, zone)}.")
    if link.expires_at <= now:
        return Verdict(cancel="Not sent: its payment link expired before it could go.")
    channel = Channel(message.channel)
    if blocker := sending.channel_blocker(business, settings, channel, sending.Via(message.via or sending.Via.OFFICE)):
        return Verdict(cancel=f"Not sent: {blocker}")
    if channel is Channel.SMS and (morning := sending.quiet_hours_send_after(now, zone)) is not None:
        return Verdict(hold_until=morning, hold_note=_hold_note(morning, now, zone))
    return None


def _before(message: OutboundMessage, zone: str) -> str:
    """ "before 8:00 AM" for a text held for quiet hours, else "before it went out"."""
    if message.send_after > message.created_at:
        return f"before {display.time_of_day(message.send_after, zone)}"
    return "before it went out"


def _hold_note(hold_until: datetime, now: datetime, zone: str) -> str:
    """The timeline's words for a text moved back to the morning."""
    return (
        f"Held for quiet hours: it is {display.time_of_day(now, zone)} at the service location "
        f"({time_zones.zone_name(zone, now)}); "
        f"it will go at {sending.describe_send_time(hold_until, now, zone)}."
    )
