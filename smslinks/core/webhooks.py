"""Outbound webhooks: the events a business's other systems (accounting, CRM) can receive, the
endpoints administrators register for them, and the one function that records an event.

record_event() is called inside the transaction that makes the change (a payment succeeding, a text
delivered...): the event and one delivery per subscribed, enabled endpoint commit or roll back with
it, so an event is never sent for a change that did not happen, nor lost for one that did. The
workers send the deliveries (core/webhook_sender.py).
"""

import base64
import ipaddress
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, select

from smslinks.config import get_settings
from smslinks.core import audit, display
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.models import (
    Business,
    Customer,
    Employee,
    Invoice,
    Location,
    OutboundMessage,
    Payment,
    PaymentLink,
    PaymentRefund,
    PhoneNumber,
    Role,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    saved_id,
    utcnow,
)

# Event type -> what it means, as the checkboxes in Settings > Webhooks say it.
EVENT_TYPES: dict[str, str] = {
    "invoice.paid": "An invoice is paid in full.",
    "invoice.voided": "An invoice is voided.",
    "payment.processing": "A bank (ACH) payment has started and is on its way.",
    "payment.succeeded": "A payment succeeded.",
    "payment.failed": "A bank payment failed or was returned.",
    "payment.refunded": "A payment was refunded (in part or in full).",
    "payment.voided": "A cash, check or other payment recorded by hand was voided (entered by mistake).",
    "message.delivered": "A text reached the customer's phone (the carrier confirmed it).",
    "message.failed": "A text or email could not be sent, or a text was not delivered.",
    "link.opened": "A customer opened an invoice's pay link for the first time.",
    "customer.opted_out": "A number opted out of texts (replied STOP).",
    "customer.opted_in": "A number opted back in to texts (replied START).",
}
# The Stripe adapter charges in US dollars (one currency per business).
CURRENCY = "usd"
# A delivery is retried for this long; an endpoint failing this long is switched off.
RETRY_WINDOW = timedelta(days=3)
URL_MAX = 2000
SECRET_PREFIX = "whsec_"
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1"})
NOT_ADMIN = "Only administrators can manage webhooks."
NO_ENDPOINT = "That webhook endpoint does not exist or is not in your business."


class FieldErrors(DomainError):
    """{field: what to fix}, shown beside each field; nothing was written."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(" ".join(fields.values()))
        self.fields = fields


# --- who may manage them ---------------------------------------------------------------------


def may_manage(employee: Employee) -> bool:
    return employee.active and employee.role == Role.ADMINISTRATOR


def require_admin(employee: Employee) -> None:
    """Webhooks send customers' and payments' details to another system: administrators only."""
    if not may_manage(employee):
        raise NotAllowed(NOT_ADMIN)


# --- endpoints -------------------------------------------------------------------------------


def new_secret() -> str:
    """A Standard Webhooks signing secret: whsec_ + base64 of 24 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(24)).decode()


def check_url(text: str, *, sandbox: bool | None = None) -> str:
    """The URL cleaned up, or FieldErrors saying what to change. https always; plain http only to
    this machine in sandbox mode. In live mode no address on this machine or a private network."""
    sandbox = get_settings().sandbox if sandbox is None else sandbox
    url = str(text or "").strip()
    if not url:
        raise FieldErrors({"url": "Enter the URL that should receive the events."})
    if len(url) > URL_MAX:
        raise FieldErrors({"url": f"Keep the URL under {URL_MAX} characters."})
    try:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018  (raises on a port that is not a number)
    except ValueError:
        raise FieldErrors({"url": "That is not a valid URL, e.g. https://books.example.com/hooks/smslinks."}) from None
    if parts.scheme not in ("http", "https") or not host:
        raise FieldErrors({"url": "Enter a full URL starting with https://, e.g. https://books.example.com/hooks."})
    if parts.username or parts.password:
        raise FieldErrors({"url": "Leave the user name and password out of the URL: events are signed instead."})
    local = host in LOCAL_HOSTS
    if parts.scheme == "http" and not (sandbox and local):
        raise FieldErrors(
            {
                "url": (
                    "Use an https:// URL (plain http is allowed only to localhost or 127.0.0.1 in sandbox mode)."
                    if sandbox
                    else "Use an https:// URL: events carry customers' and payments' details."
                )
            }
        )
    if not sandbox and (local or _private_address(host)):
        raise FieldErrors({"url": "Use a public address: the URL points at this server or a private network."})
    return url


def _private_address(host: str) -> bool:
    try:
        address = ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return not address.is_global


def check_events(chosen) -> list[str]:
    events = [name for name in EVENT_TYPES if name in set(chosen or [])]
    if not events:
        raise FieldErrors({"events": "Choose at least one event to send."})
    return events


@dataclass(frozen=True)
class EndpointRow:
    id: int
    url: str
    events: list[str]
    enabled: bool
    disabled_reason: str
    created: str


@dataclass(frozen=True)
class DeliveryRow:
    id: int
    event: str
    message_id: str
    attempts: int
    response_code: str
    last_error: str
    time: str
    status: str
    may_resend: bool


def endpoints(session: Session, employee: Employee) -> list[EndpointRow]:
    require_admin(employee)
    zone = _zone(session, employee.business_id)
    rows = session.exec(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.business_id == employee.business_id)
        .order_by(col(WebhookEndpoint.id))
    ).all()
    return [
        EndpointRow(
            id=saved_id(row),
            url=row.url,
            events=row.events.split(),
            enabled=row.enabled,
            disabled_reason=row.disabled_reason,
            created=display.moment(row.created_at, zone),
        )
        for row in rows
    ]


def _endpoint(session: Session, employee: Employee, endpoint_id: int) -> WebhookEndpoint:
    require_admin(employee)
    row = session.get(WebhookEndpoint, endpoint_id) if isinstance(endpoint_id, int) else None
    if row is None or row.business_id != employee.business_id:
        raise NotFound(NO_ENDPOINT)
    return row


def add_endpoint(session: Session, employee: Employee, url: str, events) -> tuple[int, str]:
    """Register an endpoint; returns its id and its signing secret (shown to the person once)."""
    require_admin(employee)
    errors = {}
    try:
        url = check_url(url)
    except FieldErrors as refused:
        errors.update(refused.fields)
    try:
        events = check_events(events)
    except FieldErrors as refused:
        errors.update(refused.fields)
    if errors:
        raise FieldErrors(errors)
    secret = new_secret()
    row = WebhookEndpoint(business_id=employee.business_id, url=url, events=" ".join(events), secret=secret)
    session.add(row)
    session.flush()
    _changed(session, employee, "webhook.endpoint_added", row, url=url, events=events)
    return saved_id(row), secret


def set_events(session: Session, employee: Employee, endpoint_id: int, events) -> None:
    row = _endpoint(session, employee, endpoint_id)
    row.events = " ".join(check_events(events))
    _changed(session, employee, "webhook.events_changed", row, events=row.events.split())


def set_enabled(session: Session, employee: Employee, endpoint_id: int, enabled: bool) -> None:
    """Switch an endpoint on or off. Its waiting deliveries wait while it is off, and go when it is
    switched on again (those past their 3 days get one more attempt)."""
    row = _endpoint(session, employee, endpoint_id)
    row.enabled = bool(enabled)
    row.disabled_reason = ""
    row.failing_since = None
    _changed(session, employee, "webhook.endpoint_enabled" if enabled else "webhook.endpoint_disabled", row)


def rotate_secret(session: Session, employee: Employee, endpoint_id: int) -> str:
    """A new signing secret, used from the next attempt on; returns it (shown once)."""
    row = _endpoint(session, employee, endpoint_id)
    row.secret = new_secret()
    _changed(session, employee, "webhook.secret_rotated", row)
    return row.secret


def delete_endpoint(session: Session, employee: Employee, endpoint_id: int) -> None:
    """The endpoint and its deliveries go; the events stay (other endpoints may have them)."""
    row = _endpoint(session, employee, endpoint_id)
    session.execute(sa.delete(WebhookDelivery).where(col(WebhookDelivery.endpoint_id) == row.id))
    audit.record(
        session,
        "webhook.endpoint_deleted",
        "webhook_endpoint",
        row.id,
        business_id=row.business_id,
        employee=employee,
        url=row.url,
    )
    session.delete(row)
    _forget_subscribers(session)


def _changed(session: Session, employee: Employee, action: str, row: WebhookEndpoint, **detail) -> None:
    row.updated_at = utcnow()
    session.add(row)
    audit.record(session, action, "webhook_endpoint", row.id, business_id=row.business_id, employee=employee, **detail)
    _forget_subscribers(session)


# --- the delivery log ------------------------------------------------------------------------

LOG_SIZE = 50


def deliveries(session: Session, employee: Employee, endpoint_id: int, limit: int = LOG_SIZE) -> list[DeliveryRow]:
    """The endpoint's newest deliveries first."""
    endpoint = _endpoint(session, employee, endpoint_id)
    zone = _zone(session, employee.business_id)
    rows = session.exec(
        select(WebhookDelivery, WebhookEvent)
        .join(WebhookEvent, col(WebhookEvent.id) == WebhookDelivery.event_id)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .order_by(col(WebhookDelivery.id).desc())
        .limit(limit)
    ).all()
    return [
        DeliveryRow(
            id=saved_id(delivery),
            event=event.type,
            message_id=event.message_id,
            attempts=delivery.attempts,
            response_code=str(delivery.last_response_code or "—"),
            last_error=delivery.last_error or "",
            time=display.moment(delivery.last_attempt_at or delivery.created_at, zone),
            status=delivery.status,
            may_resend=delivery.status in (WebhookDeliveryStatus.DELIVERED, WebhookDeliveryStatus.FAILED),
        )
        for delivery, event in rows
    ]


def resend(session: Session, employee: Employee, delivery_id: int) -> None:
    """One more attempt of the same delivery, now: same event, same body, same `webhook-id`."""
    delivery = session.get(WebhookDelivery, delivery_id) if isinstance(delivery_id, int) else None
    endpoint = session.get(WebhookEndpoint, delivery.endpoint_id) if delivery else None
    if delivery is None or endpoint is None:
        raise NotFound("That delivery does not exist or is not in your business.")
    endpoint = _endpoint(session, employee, saved_id(endpoint))
    if not endpoint.enabled:
        raise DomainError("Enable the endpoint first: a disabled endpoint receives nothing.")
    now = utcnow()
    resent = session.exec(
        sa.update(WebhookDelivery)
        .where(
            col(WebhookDelivery.id) == delivery.id,
            col(WebhookDelivery.status).in_(
                [WebhookDeliveryStatus.DELIVERED.value, WebhookDeliveryStatus.FAILED.value]
            ),
        )
        # One attempt: should it fail, the delivery is failed again rather than retried for days.
        .values(status=WebhookDeliveryStatus.PENDING.value, next_attempt_at=now, give_up_at=now)
    ).rowcount
    if not resent:
        raise DomainError("That delivery is already on its way.")
    audit.record(
        session, "webhook.resent", "webhook_delivery", delivery.id, business_id=endpoint.business_id, employee=employee
    )


def _zone(session: Session, business_id: int) -> str:
    business = session.get(Business, business_id)
    return business.time_zone if business else "UTC"


# --- recording events --------------------------------------------------------------------------

# Subscribed, enabled endpoints per business, remembered for one transaction (a batch of status
# callbacks records many events); a transaction's end forgets them, and so does any endpoint change.
_SUBSCRIBERS = "smslinks.webhook_subscribers"


@sa_event.listens_for(OrmSession, "after_transaction_end")
def _forget_at_transaction_end(session: OrmSession, _transaction) -> None:
    session.info.pop(_SUBSCRIBERS, None)


def _forget_subscribers(session: Session) -> None:
    session.info.pop(_SUBSCRIBERS, None)


# Built once: asked on every first visit to a pay link, among others.
_ENABLED_ENDPOINTS = select(WebhookEndpoint.id, WebhookEndpoint.events).where(
    WebhookEndpoint.business_id == sa.bindparam("business_id"), col(WebhookEndpoint.enabled).is_(True)
)


def _subscribers(session: Session, business_id: int) -> list[tuple[int, frozenset[str]]]:
    remembered = session.info.setdefault(_SUBSCRIBERS, {})
    if business_id not in remembered:
        rows = session.exec(_ENABLED_ENDPOINTS, params={"business_id": business_id}).all()
        remembered[business_id] = [(endpoint_id, frozenset(events.split())) for endpoint_id, events in rows]
    return remembered[business_id]


def wants(session: Session, business_id: int, type: str) -> bool:
    """Whether any enabled endpoint of the business wants this event (else nothing is built)."""
    return any(type in events for _, events in _subscribers(session, business_id))


def record_event(
    session: Session, business_id: int, type: str, data: dict, *, at: datetime | None = None
) -> WebhookEvent | None:
    """Add the event and its deliveries to the caller's transaction. Nothing is written when no
    enabled endpoint of the business wants this type."""
    if type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {type!r}")
    wanted = [endpoint_id for endpoint_id, events in _subscribers(session, business_id) if type in events]
    if not wanted:
        return None
    at = at or utcnow()
    body = {"type": type, "timestamp": utc_text(at), "data": data}
    event = WebhookEvent(
        business_id=business_id,
        message_id=f"msg_{secrets.token_hex(12)}",
        type=type,
        payload=json.dumps(body, separators=(",", ":"), default=_json_value),
        created_at=at,
    )
    session.add(event)
    session.flush()
    session.execute(
        sa.insert(WebhookDelivery),
        [
            {
                "event_id": event.id,
                "endpoint_id": endpoint_id,
                "status": WebhookDeliveryStatus.PENDING.value,
                "attempts": 0,
                "next_attempt_at": at,
                "give_up_at": at + RETRY_WINDOW,
                "created_at": at,
            }
            for endpoint_id in wanted
        ],
    )
    return event


def utc_text(moment: datetime | None) -> str | None:
    """2026-12-03T17:04:05Z"""
    if moment is None:
        return None
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _json_value(value):
    if isinstance(value, datetime):
        return utc_text(value)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON")


# --- what each event carries -------------------------------------------------------------------


def invoice_data(session: Session, invoice: Invoice) -> dict:
    customer = session.get(Customer, invoice.customer_id)
    data = {
        "id": invoice.id,
        "external_id": invoice.external_id,  # the caller's own id, when the REST API or an import gave one
        "number": invoice.number,
        "status": invoice.status,
        "kind": invoice.kind,
        "currency": CURRENCY,
        "subtotal_cents": invoice.subtotal_cents,
        "tax_cents": invoice.tax_cents,
        "total_cents": invoice.total_cents,
        "amount_paid_cents": invoice.amount_paid_cents,
        "balance_cents": invoice.balance_cents,
        "issued_on": invoice.issued_on,
        "due_on": invoice.due_on,
        "customer": {"id": customer.id, "name": customer.name} if customer else None,
        "updated_at": utc_text(invoice.updated_at),
    }
    return data


def payment_data(payment: Payment) -> dict:
    return {
        "id": payment.id,
        "invoice_id": payment.invoice_id,
        "status": payment.status,
        "method": payment.method,
        "method_detail": payment.method_detail,
        "currency": CURRENCY,
        "amount_cents": payment.amount_cents,  # what pays the invoice; a tip is charged on top of it
        "tip_cents": payment.tip_cents,
        "tip_employee_id": payment.tip_employee_id,  # the technician the tip is credited to
        "refunded_cents": payment.refunded_cents,  # of amount_cents
        "tip_refunded_cents": payment.tip_refunded_cents,  # of tip_cents
        "disputed_cents": payment.disputed_cents,
        "failure_reason": payment.failure_reason,
        "stripe_payment_intent_id": payment.stripe_payment_intent_id,
        "created_at": utc_text(payment.created_at),
        "updated_at": utc_text(payment.updated_at),
    }


def refund_data(refund: PaymentRefund) -> dict:
    """The refund a payment.refunded event announces: its amount and the part of it that was the tip."""
    return {
        "id": refund.id,
        "amount_cents": refund.amount_cents,
        "tip_cents": refund.tip_cents,
        "reason": refund.reason,
        "stripe_refund_id": refund.stripe_refund_id,
    }


def record_invoice_event(session: Session, invoice: Invoice, type: str, **extra) -> None:
    if wants(session, invoice.business_id, type):
        record_event(session, invoice.business_id, type, {"invoice": invoice_data(session, invoice), **extra})


def record_payment_event(session: Session, invoice: Invoice, payment: Payment, type: str, **extra) -> None:
    if wants(session, invoice.business_id, type):
        record_event(
            session,
            invoice.business_id,
            type,
            {"payment": payment_data(payment), "invoice": invoice_data(session, invoice), **extra},
        )


def record_message_event(session: Session, message: OutboundMessage, at: datetime) -> None:
    """message.delivered or message.failed for a message that has just reached that status."""
    type = "message.delivered" if message.status == "delivered" else "message.failed"
    if not wants(session, message.business_id, type):
        return
    invoice = session.get(Invoice, message.invoice_id) if message.invoice_id else None
    record_event(
        session,
        message.business_id,
        type,
        {
            "message": {
                "id": message.id,
                "channel": message.channel,
                "to": message.to_address,
                "status": message.status,
                "error_code": message.error_code,
                "failure_reason": message.failure_reason,
                "invoice_id": message.invoice_id,
                "created_at": utc_text(message.created_at),
                "updated_at": utc_text(at),
            },
            "invoice": invoice_data(session, invoice) if invoice else None,
        },
        at=at,
    )


def record_link_opened(session: Session, invoice: Invoice, link: PaymentLink, at: datetime) -> None:
    if not wants(session, invoice.business_id, "link.opened"):
        return
    record_event(
        session,
        invoice.business_id,
        "link.opened",
        {
            "link": {
                "id": link.id,
                "invoice_id": invoice.id,
                "opened_at": utc_text(at),
                "expires_at": utc_text(link.expires_at),
            },
            "invoice": invoice_data(session, invoice),
        },
        at=at,
    )


def record_consent_event(session: Session, business_id: int, e164: str, type: str, source: str, at: datetime) -> None:
    """customer.opted_out / customer.opted_in: the number, and the customers it is saved on."""
    if not wants(session, business_id, type):
        return
    location_owner = select(Location.customer_id).where(
        col(Location.id).in_(
            select(PhoneNumber.location_id).where(
                PhoneNumber.business_id == business_id,
                PhoneNumber.e164 == e164,
                col(PhoneNumber.location_id).is_not(None),
            )
        )
    )
    customers = session.exec(
        select(Customer)
        .where(
            Customer.business_id == business_id,
            sa.or_(
                col(Customer.id).in_(
                    select(PhoneNumber.customer_id).where(
                        PhoneNumber.business_id == business_id, PhoneNumber.e164 == e164
                    )
                ),
                col(Customer.id).in_(location_owner),
            ),
        )
        .order_by(col(Customer.id))
    ).all()
    record_event(
        session,
        business_id,
        type,
        {
            "phone": e164,
            "source": source,
            "at": utc_text(at),
            "customers": [{"id": customer.id, "name": customer.name} for customer in customers],
        },
        at=at,
    )
