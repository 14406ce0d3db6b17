"""Texting and emailing an invoice's payment link for the REST API: the office dialog's own path
(sending.send_invoice_text / send_invoice_email with Via.OFFICE), so the same settings, consent,
quiet hours and daily limits apply and a refusal says the same words.

The caller names the number (E.164): one on the customer's or the service location's record is
used as it is; another is a new Mobile number, saved to the customer with consent recorded as given
to the API key (as the office's "Use a New Number" with "save to customer" does)."""

import hashlib
import secrets
from dataclasses import dataclass

from sqlmodel import Session, col, or_, select

from smslinks.core import links, phones, sending
from smslinks.core.api_reads import invoice_for, pay_url_in
from smslinks.core.sending import LineTypeLookup, NewNumber, Recipient, SendResult, Via
from smslinks.core.sms_text import PayBy
from smslinks.models import Business, Employee, Invoice, OutboundMessage, PhoneNumber, PhoneType, saved_id


@dataclass(frozen=True)
class Sent:
    result: SendResult
    pay_url: str


def send_key(api_key_id: int, idempotency_key: str | None) -> str:
    """The outbox row's idempotency key: the caller's (scoped to their API key), or a fresh one."""
    if not idempotency_key:
        return secrets.token_hex(32)
    return hashlib.sha256(f"api:{api_key_id}:{idempotency_key}".encode()).hexdigest()


def _recipient(session: Session, invoice: Invoice, to: str) -> Recipient:
    e164 = phones.parse(to, textable=False)
    on_record = session.exec(
        select(PhoneNumber)
        .where(
            PhoneNumber.e164 == e164,
            or_(PhoneNumber.customer_id == invoice.customer_id, PhoneNumber.location_id == invoice.location_id),
        )
        .order_by(col(PhoneNumber.id))
    ).first()
    if on_record is not None:
        return Recipient(phone_number_id=on_record.id)
    return Recipient(new_number=NewNumber(number=e164, type=PhoneType.MOBILE, save_to_customer=True))


def text_link(
    session: Session,
    employee: Employee,
    external_id: str,
    to: str,
    pay_by: str,
    key: str,
    line_types: LineTypeLookup | None = None,
) -> Sent:
    invoice = invoice_for(session, employee, external_id)
    token = links.new_link_token()
    result = sending.send_invoice_text(
        session,
        employee,
        saved_id(invoice),
        _recipient(session, invoice, to),
        pay_by,
        Via.OFFICE,
        key,
        token=token,
        line_types=line_types,
    )
    return Sent(result, _pay_url(session, invoice, result, token, pay_by))


def email_link(session: Session, employee: Employee, external_id: str, to: str, pay_by: str, key: str) -> Sent:
    invoice = invoice_for(session, employee, external_id)
    token = links.new_link_token()
    result = sending.send_invoice_email(session, employee, saved_id(invoice), to, pay_by, Via.OFFICE, key, token=token)
    return Sent(result, _pay_url(session, invoice, result, token, pay_by))


def _pay_url(session: Session, invoice: Invoice, result: SendResult, token: str, pay_by: str) -> str:
    """The link this send carries; a repeated request's is the first one's, in its message."""
    if result.repeated:
        return pay_url_in(session.get_one(OutboundMessage, result.message_id).body) or ""
    return links.url(session.get_one(Business, invoice.business_id), token, PayBy(pay_by))
