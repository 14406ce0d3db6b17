"""Payment links: a customer's way in to one invoice.

A link token is 128 random bits, handed out once (in the text or email) and stored only as its
SHA-256. Because the token cannot be recovered, every send mints a fresh link; older links stay
valid until they expire or the invoice's links are revoked.
"""

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks import routes
from smslinks.config import get_settings
from smslinks.core import tokens
from smslinks.core.sms_text import PayBy
from smslinks.models import Business, Employee, Invoice, InvoiceStatus, PaymentLink, saved_id, utcnow

DEFAULT_VALID_DAYS = 30


class LinkState(StrEnum):
    USABLE = "usable"
    EXPIRED = "expired"  # also the answer for unknown tokens: nobody learns which tokens exist
    REVOKED = "revoked"
    VOID = "void"


@dataclass(frozen=True)
class LinkLookup:
    state: LinkState
    invoice_id: int | None = None
    link_id: int | None = None
    # The rows the lookup read, for callers that go on with them (the session maps rows weakly:
    # holding them here spares reading them again). Lookups are equal when they name the same rows.
    link: PaymentLink | None = field(default=None, compare=False, repr=False)
    invoice: Invoice | None = field(default=None, compare=False, repr=False)


# secrets.token_urlsafe(16): 16 random bytes, 22 url-safe characters.
MIN_TOKEN_LENGTH = 22


def new_link_token() -> str:
    return secrets.token_urlsafe(16)


def mint(
    session: Session,
    invoice: Invoice,
    *,
    employee: Employee | None = None,
    valid_days: int = DEFAULT_VALID_DAYS,
    now: datetime | None = None,
    token: str | None = None,
) -> tuple[PaymentLink, str]:
    """A new link for the invoice; returns the row and the only copy of its token.

    A sender who was shown the exact message before sending passes the token it was rendered
    with (from new_link_token), so the link sent is the link previewed."""
    if token is None:
        token = new_link_token()
    elif len(token) < MIN_TOKEN_LENGTH:
        raise ValueError("a link token needs at least 128 random bits")
    link = PaymentLink(
        invoice_id=saved_id(invoice),
        token_hash=tokens.token_hash(token),
        created_by_employee_id=employee.id if employee else None,
        expires_at=(now or utcnow()) + timedelta(days=valid_days),
    )
    session.add(link)
    session.flush()
    return link, token


def url(business: Business, token: str, pay_by: PayBy = PayBy.CARD) -> str:
    """The link on the business's own host when it has one, else on this app's public URL."""
    base = f"https://{business.host}" if business.host else get_settings().public_url.rstrip("/")
    path = routes.pay(token)
    return f"{base}{path}" + ("?m=ach" if PayBy(pay_by) is PayBy.ACH else "")


# Built once: every pay-page visit and action looks its link up (building and keying a statement
# costs SQLAlchemy about as much CPU as running it).
_LINK_AND_INVOICE = (
    select(PaymentLink, Invoice)
    .outerjoin(Invoice, col(Invoice.id) == PaymentLink.invoice_id)
    .where(PaymentLink.token_hash == sa.bindparam("token_hash"))
)


def lookup(session: Session, token: str | tokens.Hashed, now: datetime | None = None) -> LinkLookup:
    """What a token (from a URL, or its hash from the pay page's state) opens. Unknown and expired
    tokens get the same answer. One query reads the link and its invoice."""
    if (token_hash := tokens.lookup_hash(token)) is None:
        return LinkLookup(LinkState.EXPIRED)
    link, invoice = session.exec(_LINK_AND_INVOICE, params={"token_hash": token_hash}).first() or (None, None)
    if link is None or link.expires_at <= (now or utcnow()):
        return LinkLookup(LinkState.EXPIRED)
    if invoice is None or invoice.status == InvoiceStatus.VOID:
        state = LinkState.VOID
    elif link.revoked_at is not None:
        state = LinkState.REVOKED
    else:
        state = LinkState.USABLE
    return LinkLookup(state, link.invoice_id, link.id, link, invoice)


def revoke_all(session: Session, invoice: Invoice, now: datetime | None = None) -> int:
    """Revoke every live link of the invoice; returns how many were revoked."""
    now = now or utcnow()
    live = session.exec(
        select(PaymentLink).where(PaymentLink.invoice_id == invoice.id, col(PaymentLink.revoked_at).is_(None))
    ).all()
    for link in live:
        link.revoked_at = now
        session.add(link)
    return len(live)
