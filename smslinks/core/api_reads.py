"""What the REST API reads back: customers and invoices by external id, lists changed since a time
(paged by an opaque cursor), an invoice's payments and messages. Plain dicts in the API's words;
the same visibility rules as the office (invoices.get_for_staff, VIEW_INVOICES)."""

import base64
import json
import re
from datetime import UTC, datetime
from decimal import Decimal

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from smslinks import routes
from smslinks.core import invoices
from smslinks.core.company import FieldErrors
from smslinks.core.errors import NotFound
from smslinks.core.external_records import find_customer, find_invoice
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Customer,
    EmailAddress,
    Employee,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Location,
    OutboundMessage,
    Payment,
    PaymentLink,
    PhoneNumber,
    saved_id,
    utcnow,
)

CURRENCY = "usd"
MAX_PAGE = 100
NO_CUSTOMER = "No customer has this external id."
NO_INVOICE = "No invoice has this external id."
BAD_CURSOR = "This cursor is not one we gave out. Start again without it."
# A pay link inside a message body: https://host/pay/<token>, optionally ?m=ach.
_PAY_URL = re.compile(r"https?://\S+?" + re.escape(routes.pay("")) + r"[A-Za-z0-9_-]+(?:\?m=ach)?")


def _utc(at: datetime) -> datetime:
    return at.astimezone(UTC)


# ---------------------------------------------------------------- cursors


def _cursor(row) -> str:
    raw = json.dumps([_utc(row.updated_at).isoformat(), row.id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(cursor: str | None) -> tuple[datetime, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        at, row_id = json.loads(raw)
        position = datetime.fromisoformat(at), int(row_id)
        if position[0].tzinfo is None:
            raise ValueError
        return position
    except (ValueError, TypeError, json.JSONDecodeError, UnicodeDecodeError):
        raise FieldErrors({"cursor": BAD_CURSOR}) from None


def _page(session: Session, statement, model, cursor: str | None, updated_since: datetime | None, limit: int):
    if updated_since is not None:
        if updated_since.tzinfo is None:
            raise FieldErrors({"updated_since": "Give the time in UTC with Z (2026-12-03T09:30:00Z) or an offset."})
        statement = statement.where(model.updated_at >= updated_since)
    if position := _position(cursor):
        statement = statement.where(tuple_(model.updated_at, model.id) > tuple_(*position))
    limit = max(1, min(limit, MAX_PAGE))
    rows = session.exec(statement.order_by(col(model.updated_at), col(model.id)).limit(limit + 1)).all()
    shown = rows[:limit]
    return shown, (_cursor(shown[-1]) if len(rows) > limit else None)


# ---------------------------------------------------------------- customers


def _customers_out(session: Session, rows: list[Customer]) -> list[dict]:
    ids = [c.id for c in rows]
    phones: dict[int, list] = {}

    def rows_of(model, owner):
        return session.exec(select(model).where(col(owner).in_(ids)).order_by(col(model.id)))

    for phone in rows_of(PhoneNumber, PhoneNumber.customer_id):
        phones.setdefault(phone.customer_id, []).append(
            {"number": phone.e164, "type": phone.type.lower(), "label": phone.label}
        )
    emails: dict[int, list] = {}
    for email in rows_of(EmailAddress, EmailAddress.customer_id):
        emails.setdefault(email.customer_id, []).append(email.email)
    places: dict[int, list] = {}
    for place in rows_of(Location, Location.customer_id):
        places.setdefault(place.customer_id, []).append(
            {
                "external_id": place.external_id,
                "address_line1": place.street,
                "city": place.city,
                "state": place.region,
                "postal_code": place.postal_code,
                "time_zone": place.time_zone,
            }
        )
    return [
        {
            "id": str(c.id),
            "external_id": c.external_id,
            "name": c.name,
            "phones": phones.get(saved_id(c), []),
            "emails": emails.get(saved_id(c), []),
            "locations": places.get(saved_id(c), []),
            "created_at": c.created_at,
            "updated_at": c.updated_at,
        }
        for c in rows
    ]


def customer(session: Session, employee: Employee, external_id: str) -> dict:
    require_permission(session, employee, Permission.VIEW_INVOICES)
    found = find_customer(session, employee.business_id, external_id)
    if found is None:
        raise NotFound(NO_CUSTOMER)
    return _customers_out(session, [found])[0]


def customers(
    session: Session,
    employee: Employee,
    *,
    cursor: str | None = None,
    updated_since: datetime | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    """The business's customers, least recently changed first (a sync can resume from the cursor)."""
    require_permission(session, employee, Permission.VIEW_INVOICES)
    statement = select(Customer).where(Customer.business_id == employee.business_id)
    rows, next_cursor = _page(session, statement, Customer, cursor, updated_since, limit)
    return _customers_out(session, rows), next_cursor


# ---------------------------------------------------------------- invoices


def pay_url_in(body: str) -> str | None:
    match = _PAY_URL.search(body)
    return match.group(0) if match else None


def _live_pay_urls(session: Session, invoice_ids: list[int], now: datetime) -> dict[int, str]:
    """Each invoice's most recently sent payment link that still opens it (its URL is in the message)."""
    found: dict[int, str] = {}
    rows = session.exec(
        select(OutboundMessage, PaymentLink)
        .join(PaymentLink, col(PaymentLink.id) == OutboundMessage.payment_link_id)
        .where(
            col(OutboundMessage.invoice_id).in_(invoice_ids),
            col(PaymentLink.revoked_at).is_(None),
            PaymentLink.expires_at > now,
        )
        .order_by(col(OutboundMessage.id).desc())
    ).all()
    for message, _link in rows:
        invoice_id = message.invoice_id
        if invoice_id is not None and invoice_id not in found and (url := pay_url_in(message.body)):
            found[invoice_id] = url
    return found


def _quantity(value) -> str:
    text = f"{Decimal(value):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _invoices_out(session: Session, rows: list[Invoice]) -> list[dict]:
    ids = [i.id for i in rows]
    lines: dict[int, list] = {}
    ordered = select(InvoiceLine).where(col(InvoiceLine.invoice_id).in_(ids)).order_by(col(InvoiceLine.position))
    for line in session.exec(ordered):
        lines.setdefault(line.invoice_id, []).append(
            {
                "description": line.description,
                "quantity": _quantity(line.quantity),
                "unit_price_cents": line.unit_price_cents,
                "amount_cents": line.amount_cents,
            }
        )
    customer_ids = {
        c.id: c.external_id
        for c in session.exec(select(Customer).where(col(Customer.id).in_({i.customer_id for i in rows})))
    }
    location_ids = {
        p.id: p.external_id
        for p in session.exec(select(Location).where(col(Location.id).in_({i.location_id for i in rows})))
    }
    live = {saved_id(i) for i in rows if i.status in (InvoiceStatus.OPEN, InvoiceStatus.DRAFT)}
    pay_urls = _live_pay_urls(session, list(live), utcnow()) if live else {}
    return [
        {
            "id": str(i.id),
            "external_id": i.external_id,
            "number": i.number,
            "status": i.status,
            "kind": i.kind,
            "customer_external_id": customer_ids.get(i.customer_id),
            "location_external_id": location_ids.get(i.location_id),
            "issued_on": i.issued_on,
            "due_on": i.due_on,
            "currency": CURRENCY,
            "lines": lines.get(saved_id(i), []),
            "subtotal_cents": i.subtotal_cents,
            "tax_cents": i.tax_cents,
            "total_cents": i.total_cents,
            "amount_paid_cents": i.amount_paid_cents,
            "balance_cents": i.balance_cents,
            "pay_url": pay_urls.get(saved_id(i)),
            "created_at": i.created_at,
            "updated_at": i.updated_at,
        }
        for i in rows
    ]


def invoice_for(session: Session, employee: Employee, external_id: str) -> Invoice:
    """The invoice with this external id, if this employee may see it (one answer for absent and not yours)."""
    found = find_invoice(session, employee.business_id, external_id)
    if found is None:
        raise NotFound(NO_INVOICE)
    try:
        return invoices.get_for_staff(session, employee, saved_id(found))
    except NotFound:
        raise NotFound(NO_INVOICE) from None


def invoice(session: Session, employee: Employee, external_id: str) -> dict:
    return _invoices_out(session, [invoice_for(session, employee, external_id)])[0]


def invoice_by_id(session: Session, employee: Employee, invoice_id: int) -> dict:
    return _invoices_out(session, [invoices.get_for_staff(session, employee, invoice_id)])[0]


def invoices_page(
    session: Session,
    employee: Employee,
    *,
    status: str | None = None,
    cursor: str | None = None,
    updated_since: datetime | None = None,
    limit: int = 50,
) -> tuple[list[dict], str | None]:
    require_permission(session, employee, Permission.VIEW_INVOICES)
    statement = select(Invoice).where(Invoice.business_id == employee.business_id)
    if status is not None:
        statement = statement.where(Invoice.status == status)
    rows, next_cursor = _page(session, statement, Invoice, cursor, updated_since, limit)
    return _invoices_out(session, rows), next_cursor


# ---------------------------------------------------------------- what happened to an invoice


def message_out(session: Session, message: OutboundMessage) -> dict:
    sender = session.get(Employee, message.sent_by_employee_id) if message.sent_by_employee_id else None
    return {
        "id": str(message.id),
        "channel": message.channel,
        "to": message.to_address,
        "status": message.status,
        "error_code": message.error_code,
        "failure_reason": message.failure_reason,
        "send_after": message.send_after,
        "created_at": message.created_at,
        "updated_at": message.updated_at,
        "sent_by": sender.name if sender else None,
    }


def messages(session: Session, employee: Employee, external_id: str) -> list[dict]:
    """Every text and email sent for the invoice, newest first."""
    found = invoice_for(session, employee, external_id)
    rows = session.exec(
        select(OutboundMessage).where(OutboundMessage.invoice_id == found.id).order_by(col(OutboundMessage.id).desc())
    ).all()
    return [message_out(session, row) for row in rows]


def payments(session: Session, employee: Employee, external_id: str) -> list[dict]:
    """Every payment attempt on the invoice, newest first (failed ones too)."""
    found = invoice_for(session, employee, external_id)
    rows = session.exec(select(Payment).where(Payment.invoice_id == found.id).order_by(col(Payment.id).desc())).all()
    tipped = {p.tip_employee_id for p in rows if p.tip_employee_id}
    names = {e.id: e.name for e in session.exec(select(Employee).where(col(Employee.id).in_(tipped)))} if tipped else {}
    return [
        {
            "id": str(p.id),
            "amount_cents": p.amount_cents,
            "tip_cents": p.tip_cents,
            "tip_technician": names.get(p.tip_employee_id) if p.tip_employee_id else None,
            "method": p.method,
            "method_detail": p.method_detail,
            "status": p.status,
            "refunded_cents": p.refunded_cents,
            "tip_refunded_cents": p.tip_refunded_cents,
            "disputed_cents": p.disputed_cents,
            "failure_reason": p.failure_reason,
            "created_at": p.created_at,
            "updated_at": p.updated_at,
        }
        for p in rows
    ]
