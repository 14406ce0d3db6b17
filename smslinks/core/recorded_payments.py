"""Payments the office records by hand: cash, a check (with its number) or another way, received
outside Stripe. They move the balance like any payment (a fully paid invoice's links then show it is
paid, and waiting texts are canceled when their time comes, by core/send_time). One entered by
mistake is voided with a reason: the row stays, counts nothing, and the balance reopens.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlmodel import Session

from smslinks.core import audit, display, invoices, money, payments, webhooks
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.jobs import today_in
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Business,
    Employee,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    saved_id,
)

RECORDED_METHODS = (PaymentMethod.CASH, PaymentMethod.CHECK, PaymentMethod.OTHER)
METHOD_WORDS = {PaymentMethod.CASH: "Cash", PaymentMethod.CHECK: "Check", PaymentMethod.OTHER: "Other"}
MAX_NOTE = 300


class RecordRefused(DomainError):
    """Bad input or a rule; `fields` maps each form field to its message (beside the field)."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(next(iter(fields.values())))
        self.fields = fields


@dataclass(frozen=True)
class RecordedPaymentForm:
    method: str
    amount: str
    received_on: str  # YYYY-MM-DD
    check_number: str = ""
    note: str = ""


def _cents(text: str, balance: int) -> int:
    cents = money.cents(text)
    if cents is None:
        raise ValueError("Enter an amount like 25.00.")
    if cents <= 0:
        raise ValueError("Enter an amount above $0.00, like 25.00.")
    if cents > balance:
        raise ValueError(f"At most the balance, {display.money(balance)}.")
    return cents


def _validate(form: RecordedPaymentForm, balance: int, today: date) -> tuple[PaymentMethod, int, date, str, str]:
    errors: dict[str, str] = {}
    method = PaymentMethod(form.method) if form.method in RECORDED_METHODS else None
    if method is None:
        errors["method"] = "Choose cash, check or other."
    try:
        cents = _cents(form.amount, balance)
    except ValueError as error:
        errors["amount"], cents = str(error), 0
    try:
        received = date.fromisoformat((form.received_on or "").strip())
        if received > today or received < today - timedelta(days=366):
            errors["received_on"] = "Enter the day it was received: today or within the last year."
    except ValueError:
        errors["received_on"], received = "Enter the day it was received.", today
    check_number = " ".join((form.check_number or "").split())
    if method is PaymentMethod.CHECK and not check_number:
        errors["check_number"] = "Enter the check number."
    elif len(check_number) > 30:
        errors["check_number"] = "Keep the check number under 30 characters."
    note = " ".join((form.note or "").split())
    if len(note) > MAX_NOTE:
        errors["note"] = f"Keep the note under {MAX_NOTE} characters."
    if errors or method is None:
        raise RecordRefused(errors)
    return method, cents, received, check_number, note


def business_today(business: Business) -> date:
    return today_in(business.time_zone)


def record_payment(session: Session, employee: Employee, invoice_id: int, form: RecordedPaymentForm) -> Payment:
    """Record money received outside Stripe against an open invoice (invoice row locked)."""
    require_permission(session, employee, Permission.EDIT_INVOICES)
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    invoice = payments.lock_invoice(session, saved_id(invoice))
    if invoice.status != InvoiceStatus.OPEN or invoice.balance_cents <= 0:
        raise RecordRefused({"form": "Only an open invoice with a balance can take a payment."})
    business = session.get_one(Business, invoice.business_id)
    method, cents, received, check_number, note = _validate(form, invoice.balance_cents, business_today(business))
    detail = f"Check #{check_number}" if method is PaymentMethod.CHECK else METHOD_WORDS[method]
    payment = Payment(
        invoice_id=saved_id(invoice),
        amount_cents=cents,
        method=method.value,
        status=PaymentStatus.PROCESSING,
        method_detail=detail,
        received_on=received,
        note=note or None,
        recorded_by_id=employee.id,
    )
    session.add(payment)
    session.flush()
    payments.settle_payment(session, invoice, payment, status=PaymentStatus.SUCCEEDED)
    audit.record(
        session,
        "payment.recorded",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        employee=employee,
        amount_cents=cents,
        method=method.value,
        check_number=check_number or None,
        received_on=received.isoformat(),
        note=note or None,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.succeeded")
    return payment


def void_payment(session: Session, employee: Employee, payment_id: int, reason: str) -> Payment:
    """Void a recorded payment entered by mistake: kept with its reason, it counts nothing any more."""
    require_permission(session, employee, Permission.EDIT_INVOICES)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("That payment does not exist or is not yours to see.")
    invoice = invoices.get_for_staff(session, employee, payment.invoice_id)
    invoice = payments.lock_invoice(session, saved_id(invoice))
    session.refresh(payment)
    if payment.method not in RECORDED_METHODS or payment.status != PaymentStatus.SUCCEEDED:
        raise RecordRefused({"form": "Only a cash, check or other payment recorded here can be voided."})
    reason_text = " ".join((reason or "").split())
    if not reason_text or len(reason_text) > MAX_NOTE:
        raise RecordRefused({"reason": f"Say why it is voided (under {MAX_NOTE} characters)."})
    payments.settle_payment(
        session, invoice, payment, status=PaymentStatus.VOIDED, failure_reason=f"Voided: {reason_text}"[:300]
    )
    audit.record(
        session,
        "payment.voided",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        employee=employee,
        amount_cents=payment.amount_cents,
        method=payment.method,
        reason=reason_text,
        balance_cents=invoice.balance_cents,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.voided", reason=reason_text)
    return payment
