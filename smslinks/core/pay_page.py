"""What a customer sees through a payment link: one invoice, and nothing else.

A link token opens exactly one invoice. Unknown and expired tokens get the same screen, the same
work (one lookup by hash, one throttle row) and so the same timing: nobody learns which tokens
exist. Such tokens are counted per client address (core.client_address), each once (the page's
HTML and its app both open the link, and a customer may reload a dead link), and too many of them
answer "Too many attempts" for a while, to dead tokens only: guesses are counted, not visits, so
a live link always opens and pays, whatever else came from the same carrier NAT or office Wi-Fi.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm.attributes import set_committed_value
from sqlmodel import Session, col, func, select

from smslinks.config import get_settings
from smslinks.core import client_address, display, invoices, links, pay_text, phones, tips, tokens, webhooks
from smslinks.core.accounts import payment_settings
from smslinks.core.errors import DomainError
from smslinks.core.jobs import address_line
from smslinks.core.links import LinkState
from smslinks.models import (
    Business,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Location,
    PayLinkFailure,
    Payment,
    PaymentLink,
    PaymentSettings,
    PaymentStatus,
    StripePaymentIntent,
    saved_id,
    utcnow,
)


class Screen(StrEnum):
    PAY = "pay"
    PAID = "paid"
    PROCESSING = "processing"  # a bank payment is on its way
    VERIFY = "verify"  # a bank account waits for its microdeposits
    EXPIRED = "expired"  # also unknown tokens
    REVOKED = "revoked"
    VOID = "void"
    THROTTLED = "throttled"


class LinkNotUsable(DomainError):
    """The link stopped working while the page was open (expired, revoked, invoice void or throttled)."""

    def __init__(self, screen: Screen):
        super().__init__(f"This payment link cannot be used ({screen.value}).")
        self.screen = screen


@dataclass(frozen=True)
class Line:
    description: str
    quantity: str
    unit_price_cents: int
    amount_cents: int


@dataclass(frozen=True)
class PaymentSummary:
    amount_cents: int
    method: str
    status: str
    on: date


@dataclass(frozen=True)
class PayView:
    """Everything the pay page may show. Business contact details are the only data besides the invoice."""

    screen: Screen
    business_name: str = ""
    business_phone: str = ""  # as people write it, e.g. (512) 555-9000
    business_phone_e164: str = ""  # for tel: links
    time_zone: str = "UTC"  # the business's: the days the page names (a mandate's date) are its days
    number: str = ""
    issued_on: date | None = None
    due_on: date | None = None
    service_address: str = ""
    lines: list[Line] = field(default_factory=list)
    subtotal_cents: int = 0
    tax_cents: int = 0
    total_cents: int = 0
    paid_cents: int = 0
    balance_cents: int = 0
    card_enabled: bool = False
    ach_enabled: bool = False
    partial_allowed: bool = False
    payments: list[PaymentSummary] = field(default_factory=list)
    processing: PaymentSummary | None = None
    verification_url: str = ""
    tip_policy: tips.TipPolicy = field(default_factory=tips.TipPolicy)
    saved_card: str = ""  # "Visa •••• 4242": the customer's card to pay with in one tap


# --- throttling ---------------------------------------------------------------------------------


def _recent_failures(session: Session, client: str) -> int:
    since = utcnow() - timedelta(minutes=get_settings().pay_link_lockout_minutes)
    return session.exec(
        select(func.count(func.distinct(PayLinkFailure.token_hash))).where(
            PayLinkFailure.client == client, PayLinkFailure.at >= since
        )
    ).one()


def throttled(session: Session, client: str) -> bool:
    """Too many dead tokens from this client's address lately: its next dead token is refused."""
    return _recent_failures(session, _client(client)) >= get_settings().pay_link_max_failures


def _client(client: str) -> str:
    return client_address.throttle_key(client)


# --- resolving a link ---------------------------------------------------------------------------


def business_for_host(session: Session, host: str) -> Business | None:
    """The business whose links live on this host; else the only business, if there is just one.
    Used where no token identifies the business (unknown or expired links)."""
    name = (host or "").split("//")[-1].split("/")[0].split(":")[0].lower()
    if name:
        business = session.exec(select(Business).where(func.lower(Business.host) == name)).first()
        if business is not None:
            return business
    only = session.exec(select(Business).limit(2)).all()
    return only[0] if len(only) == 1 else None


def _contact(business: Business | None) -> dict:
    if business is None:
        return {}
    return {
        "business_name": business.name,
        "business_phone": phones.display(business.phone) if business.phone else "",
        "business_phone_e164": business.phone or "",
        "time_zone": business.time_zone,
    }


def usable_invoice(session: Session, token: str | tokens.Hashed, client: str) -> tuple[Invoice, int]:
    """(invoice, link id) when the link still works; else LinkNotUsable naming the screen to show.
    Every pay-page action goes through here first: state may have changed since the page opened."""
    invoice, link = _usable(session, token, client, links.lookup(session, token))
    return invoice, saved_id(link)


def _usable(
    session: Session, token: str | tokens.Hashed, client: str, found: links.LinkLookup
) -> tuple[Invoice, PaymentLink]:
    if found.state is LinkState.USABLE and found.invoice is not None and found.link is not None:
        return found.invoice, found.link
    if found.state is LinkState.EXPIRED:
        if throttled(session, client):
            raise LinkNotUsable(Screen.THROTTLED)
        session.add(PayLinkFailure(client=_client(client), token_hash=tokens.lookup_hash(token) or ""))
        session.commit()  # the failure counts even though the caller's work stops here
    raise LinkNotUsable(Screen(found.state.value))


# --- a view read moments ago ---------------------------------------------------------------------

# How long a view read for a link's page may answer the app that takes the page over: the
# server-drawn page reads the invoice and keeps its view, and the app, a moment later, answers from
# it (as its reconnects do, within this time). Whatever changes what the page shows of the invoice
# (lines, payments, status, a bank account waiting for its microdeposits) touches
# invoice.updated_at (invoices.touch) in the same transaction, so a kept view whose stamp differs is
# never used. What does not touch it (the business's contact details and payment settings, the
# customer's saved cards) is then as old as the server-drawn page the customer is looking at, and
# every payment checks it all again. The page itself always reads afresh: a reload shows any change.
RECENT_VIEW_SECONDS = 30


@dataclass(frozen=True)
class KeptView:
    view: PayView
    invoice_updated_at: datetime  # the invoice as it was when the view was read
    read_at: datetime


class RecentViews(Protocol):
    """Views read for pay pages in the last RECENT_VIEW_SECONDS, by invoice id, shared by the
    backend's workers (providers/recent_views.py: Redis, or this process's memory without it).
    A store that fails answers None: the view is then read again."""

    def get(self, invoice_id: int) -> KeptView | None: ...

    def put(self, invoice_id: int, kept: KeptView, seconds: int) -> None: ...


def _kept_view(session: Session, invoice: Invoice, keep: RecentViews, reuse: bool) -> PayView:
    invoice_id, now = saved_id(invoice), utcnow()
    kept = keep.get(invoice_id) if reuse else None
    if kept is not None and kept.invoice_updated_at == invoice.updated_at:
        if timedelta(0) <= now - kept.read_at <= timedelta(seconds=RECENT_VIEW_SECONDS):
            return kept.view
    view = invoice_view(session, invoice)
    keep.put(invoice_id, KeptView(view, invoice.updated_at, now), RECENT_VIEW_SECONDS)
    return view


def open_link(
    session: Session,
    token: str | tokens.Hashed,
    *,
    client: str,
    host: str,
    visit: bool = True,
    keep: RecentViews | None = None,
    reuse: bool = False,
) -> PayView:
    """The page for this token (on_load and every refresh); a visit is recorded on the link.
    A live link's page is read without a throttle check or write: guesses are counted, not visits.
    With keep, the view read is kept there for a while; with reuse too, a view of the same invoice
    kept moments ago answers if the invoice has not changed since (see RECENT_VIEW_SECONDS)."""
    found = links.lookup(session, token)
    try:
        invoice, link = _usable(session, token, client, found)
    except LinkNotUsable as refused:
        return _closed_view(session, found, refused.screen, host)
    now = utcnow()
    if visit and link.last_opened_at is None and _first_open(session, link, now):
        webhooks.record_link_opened(session, invoice, link, now)
        invoices.touch(session, invoice.id)
    elif visit and (link.last_opened_at is None or now - link.last_opened_at > timedelta(minutes=1)):
        link.last_opened_at = now
        session.add(link)
        invoices.touch(session, invoice.id)  # the office sees "opened" live
    return invoice_view(session, invoice) if keep is None else _kept_view(session, invoice, keep, reuse)


_FIRST_OPEN = (
    sa.update(PaymentLink)
    .where(col(PaymentLink.id) == sa.bindparam("link_id"), col(PaymentLink.last_opened_at).is_(None))
    .values(last_opened_at=sa.bindparam("now"))
    .execution_options(synchronize_session=False)
)


def _first_open(session: Session, link: PaymentLink, now: datetime) -> bool:
    """Record the link's first visit; False when another request recorded it first (two tabs at once)."""
    opened = session.exec(_FIRST_OPEN, params={"link_id": link.id, "now": now}).rowcount
    if opened == 1:
        set_committed_value(link, "last_opened_at", now)  # as written, without reading the row back
    else:
        session.expire(link, ["last_opened_at"])  # the other request's time, read when asked for
    return opened == 1


def _closed_view(session: Session, found: links.LinkLookup, screen: Screen, host: str) -> PayView:
    if screen in (Screen.REVOKED, Screen.VOID):
        business = session.get(Business, found.invoice.business_id) if found.invoice is not None else None
        return PayView(screen=screen, **_contact(business))
    if screen is Screen.EXPIRED:
        return PayView(screen=screen, **_contact(business_for_host(session, host)))
    return PayView(screen=screen)


# A page's statements, built once: every pay-page visit runs them (twice: the server-drawn page and
# the app), and building and keying a statement costs SQLAlchemy about as much CPU as running it.
_INVOICE_ID: sa.BindParameter[int] = sa.bindparam("invoice_id")
_LINES = select(InvoiceLine).where(InvoiceLine.invoice_id == _INVOICE_ID).order_by(col(InvoiceLine.position))
_PAYMENTS = select(Payment).where(Payment.invoice_id == _INVOICE_ID).order_by(col(Payment.created_at))
_WAITING_FOR_VERIFICATION = select(StripePaymentIntent).where(
    StripePaymentIntent.invoice_id == _INVOICE_ID,
    col(StripePaymentIntent.active).is_(True),
    col(StripePaymentIntent.verification_url).is_not(None),
)
_BUSINESS_LOCATION_SETTINGS = (
    select(Business, Location, PaymentSettings)
    .select_from(Business)
    .join(Location, col(Location.id) == sa.bindparam("location_id"))
    .outerjoin(PaymentSettings, col(PaymentSettings.business_id) == Business.id)
    .where(Business.id == sa.bindparam("business_id"))
)


def invoice_view(session: Session, invoice: Invoice) -> PayView:
    business, location, settings = _business_location_settings(session, invoice)
    this_invoice = {"invoice_id": invoice.id}
    lines = session.exec(_LINES, params=this_invoice).all()
    payments = session.exec(_PAYMENTS, params=this_invoice).all()
    processing = next((p for p in payments if p.status == PaymentStatus.PROCESSING), None)
    in_flight = invoices.PaymentsInFlight.among(payments)
    payable = invoices.payable_while_in_flight(invoice.balance_cents, in_flight, settings.partial_payments_enabled)
    waiting = session.exec(_WAITING_FOR_VERIFICATION, params=this_invoice).first()
    balance = invoice.balance_cents
    if invoice.status == InvoiceStatus.VOID:
        screen = Screen.VOID
    elif balance <= 0:
        screen = Screen.PAID
    elif processing is not None and payable <= 0:
        screen = Screen.PROCESSING
    elif waiting is not None:
        screen = Screen.VERIFY
    else:
        screen = Screen.PAY
    return PayView(
        screen=screen,
        **_contact(business),
        number=invoice.number,
        issued_on=invoice.issued_on,
        due_on=invoice.due_on,
        service_address=address_line(location),
        lines=[
            Line(line.description, _quantity(line.quantity), line.unit_price_cents, line.amount_cents) for line in lines
        ],
        subtotal_cents=invoice.subtotal_cents,
        tax_cents=invoice.tax_cents,
        total_cents=invoice.total_cents,
        paid_cents=invoice.amount_paid_cents,
        balance_cents=max(0, payable if processing is not None and payable > 0 else balance),
        card_enabled=settings.card_enabled,
        ach_enabled=settings.ach_enabled,
        partial_allowed=settings.partial_payments_enabled,
        payments=[_summary(p, business.time_zone) for p in payments if p.status != PaymentStatus.FAILED],
        processing=_summary(processing, business.time_zone) if processing else None,
        verification_url=(waiting.verification_url or "") if waiting else "",
        tip_policy=tips.TipPolicy.of(settings),
        saved_card=_saved_card(session, invoice) if screen is Screen.PAY and settings.card_enabled else "",
    )


def _business_location_settings(session: Session, invoice: Invoice) -> tuple[Business, Location, PaymentSettings]:
    """The invoice's business, service location and payment settings, in one query (every page view
    reads them; a business that never saved its settings gets its defaults)."""
    business, location, settings = session.exec(
        _BUSINESS_LOCATION_SETTINGS, params={"location_id": invoice.location_id, "business_id": invoice.business_id}
    ).one()
    return business, location, settings or payment_settings(session, saved_id(business))


def _saved_card(session: Session, invoice: Invoice) -> str:
    from smslinks.core import saved_cards  # saved cards build on payments, which builds on this module

    return saved_cards.pay_page_label(session, invoice)


def _summary(payment: Payment, time_zone: str) -> PaymentSummary:
    return PaymentSummary(
        amount_cents=payment.amount_cents,
        method=payment.method_detail or payment.method.upper(),
        status=payment.status,
        on=display.local_day(payment.created_at, time_zone),
    )


def _quantity(value) -> str:
    """1, 2.5 — not 1.00 or 1E+1."""
    return format(Decimal(str(value)).normalize(), "f")


# --- presentation -------------------------------------------------------------------------------


def present(view: PayView, lang: str) -> dict:
    """The view as display strings in one language: the pay page's single state payload."""
    money = display.money
    return {
        "screen": view.screen.value,
        "business": view.business_name,
        "phone": view.business_phone,
        "phone_href": f"tel:{view.business_phone_e164}" if view.business_phone_e164 else "",
        "number": view.number,
        "time_zone": view.time_zone,
        "issued_on": pay_text.day(lang, view.issued_on) if view.issued_on else "",
        "due_on": pay_text.day(lang, view.due_on) if view.due_on else "",
        "address": view.service_address,
        "subtotal": money(view.subtotal_cents),
        "tax": money(view.tax_cents),
        "total": money(view.total_cents),
        "paid": money(view.paid_cents),
        "balance": money(view.balance_cents),
        "balance_cents": view.balance_cents,
        "card": view.card_enabled,
        "ach": view.ach_enabled,
        "partial": view.partial_allowed,
        "processing_amount": money(view.processing.amount_cents) if view.processing else "",
        "processing_method": view.processing.method if view.processing else "",
        "verification_url": view.verification_url,
        "tips": view.tip_policy.enabled,
        "saved_card": view.saved_card,
    }


def present_tips(view: PayView) -> list[dict[str, str]]:
    """The tip buttons besides "No tip" and "Custom": each percentage and what it adds."""
    return [
        {"choice": str(percent), "id": f"tip-{percent}", "percent": f"{percent}%", "amount": display.money(cents)}
        for percent, cents in tips.options(view.tip_policy, view.total_cents)
    ]


def present_lines(view: PayView) -> list[dict[str, str]]:
    return [
        {
            "description": line.description,
            "quantity": line.quantity,
            "amount": display.money(line.amount_cents),
        }
        for line in view.lines
    ]


def present_payments(view: PayView, lang: str) -> list[dict[str, str]]:
    return [
        {"on": pay_text.day(lang, p.on), "method": p.method, "amount": display.money(p.amount_cents)}
        for p in view.payments
    ]
