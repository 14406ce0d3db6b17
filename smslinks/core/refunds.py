"""Refunds: sending a card or bank payment back, from the office page or reported by Stripe.

- Never more than was charged (the invoice's part and the tip), less refunds already made or in
  flight, less what a dispute took.
- The invoice's part is refunded first, the tip last: a refund reaches the tip only for what goes
  past the invoice's part still refundable. Each refund keeps its tip part (`tip_cents`); the
  balance reopens only by the rest, and the technician's tip credit drops by the tip part.
- The refund row is written first (requested, holding its amount) and committed before Stripe is
  asked, with the idempotency key Stripe receives and the row's id in the refund's metadata. So a
  double click or a retry finds the row instead of refunding twice, and a `charge.refunded` event
  that arrives before Stripe's answer is matched to it instead of counted again. When Stripe says no
  (or cannot be reached) the row ends `failed` with Stripe's words, and the payment is untouched.
- A refund counts (the payment's refunded_cents, the invoice's balance, the `payment.refunded`
  webhook, the customer's notice) once, when it reaches `succeeded`, whichever path reports it.
  A bank (ACH) refund stays `pending` until Stripe's event says it went through.
"""

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from smslinks.core import (
    audit,
    consent,
    display,
    invoices,
    money,
    outbox,
    payments,
    phones,
    receipts,
    sms_text,
    webhooks,
)
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.payment_gateway import GatewayError, RefundResult, refund_from_dict
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Business,
    Channel,
    Employee,
    Invoice,
    OutboundMessage,
    Payment,
    PaymentMethod,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
    saved_id,
    utcnow,
)

REFUND_KEY = "smslinks_refund_id"
NOTICE_KEY_PREFIX = "refund-notice-"
MAX_REASON = 300
_STRIPE_STATUS = {
    "succeeded": RefundStatus.SUCCEEDED,
    "pending": RefundStatus.PENDING,
    "requires_action": RefundStatus.PENDING,
    "failed": RefundStatus.FAILED,
    "canceled": RefundStatus.FAILED,
}
_HOLDING = (RefundStatus.REQUESTED, RefundStatus.PENDING)


class RefundRefused(DomainError):
    """A rule said no; `field` names the dialog field the message belongs beside ("" for the dialog)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class RefundOutcome:
    status: str  # a RefundStatus value
    amount_cents: int
    message: str  # what the office is told


# --- rules ---------------------------------------------------------------------------------------


def _held(session: Session, payment_id: int) -> tuple[int, int]:
    """(all cents, tip cents) of refunds asked for or on their way, not yet counted on the payment."""
    amount, tip = session.exec(
        select(
            func.coalesce(func.sum(PaymentRefund.amount_cents), 0), func.coalesce(func.sum(PaymentRefund.tip_cents), 0)
        ).where(PaymentRefund.payment_id == payment_id, col(PaymentRefund.status).in_([s.value for s in _HOLDING]))
    ).one()
    return int(amount), int(tip)


def _refundable_parts(session: Session, payment: Payment) -> tuple[int, int]:
    """(invoice's part, tip) still refundable on a payment; (0, 0) for one that never collected money."""
    if payment.stripe_payment_intent_id is None:
        return 0, 0
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        return 0, 0
    held, held_tip = _held(session, saved_id(payment))
    invoice_part = payment.amount_cents - payment.refunded_cents - payment.disputed_cents - (held - held_tip)
    tip = payment.tip_cents - payment.tip_refunded_cents - held_tip
    return max(0, invoice_part), max(0, tip)


def refundable_cents(session: Session, payment: Payment) -> int:
    """What may still be refunded on a payment: the invoice's part and the tip."""
    return sum(_refundable_parts(session, payment))


def tip_part(session: Session, payment: Payment, amount_cents: int) -> int:
    """How much of a refund of amount_cents gives back the tip: the invoice's part goes first."""
    invoice_part, tip = _refundable_parts(session, payment)
    return min(tip, max(0, amount_cents - invoice_part))


def parse_refund_amount(text: str | None, refundable: int) -> int:
    """Cents to refund: blank means everything refundable; otherwise $0.01 up to the refundable amount."""
    if text is None or not str(text).strip():
        if refundable <= 0:
            raise RefundRefused("Nothing is left to refund on this payment.", "amount")
        return refundable
    cents = money.cents(text)
    if cents is None:
        raise RefundRefused("Enter an amount like 25.00.", "amount")
    if cents <= 0:
        raise RefundRefused("Enter an amount above $0.00.", "amount")
    if cents > refundable:
        raise RefundRefused(f"At most {display.money(refundable)} can be refunded on this payment.", "amount")
    return cents


def _clean_reason(reason: str | None) -> str:
    text = " ".join((reason or "").split())
    if not text:
        raise RefundRefused("Say why you are refunding: it is kept with the refund and in the audit trail.", "reason")
    if len(text) > MAX_REASON:
        raise RefundRefused(f"Keep the reason under {MAX_REASON} characters.", "reason")
    return text


# --- the office's refund -------------------------------------------------------------------------


def refund_payment(
    session: Session,
    gateway: payments.PaymentGateway,
    employee: Employee,
    payment_id: int,
    *,
    amount_text: str | None,
    reason: str | None,
    idempotency_key: str,
) -> RefundOutcome:
    """Refund a card or bank payment in full or in part. Commits; Stripe is called between two
    short transactions, never while the invoice row is locked."""
    refund, intent_id = _request(session, employee, payment_id, amount_text, reason, idempotency_key)
    if intent_id is None:
        return _outcome(refund)  # a repeated click: whoever wrote the row asks Stripe, once
    refund_id, amount, key = saved_id(refund), refund.amount_cents, refund.idempotency_key
    session.commit()
    try:
        result = gateway.create_refund(
            intent_id, amount_cents=amount, metadata={REFUND_KEY: str(refund_id)}, idempotency_key=key
        )
    except GatewayError as error:
        result = RefundResult(id="", status="failed", amount_cents=amount, failure_reason=error.message)
    refund = _settle_from_stripe(session, refund_id, result)
    session.commit()
    return _outcome(refund)


def _request(
    session: Session, employee: Employee, payment_id: int, amount_text: str | None, reason: str | None, key: str
) -> tuple[PaymentRefund, str | None]:
    """Under the invoice lock: the refund row for this key, found, or written (requested) with the
    payment intent to refund (None when found)."""
    require_permission(session, employee, Permission.REFUND_PAYMENTS)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("That payment does not exist or is not yours to see.")
    invoices.get_for_staff(session, employee, payment.invoice_id)
    payments.lock_invoice(session, payment.invoice_id)
    existing = session.exec(select(PaymentRefund).where(PaymentRefund.idempotency_key == key)).first()
    if existing is not None:
        if existing.payment_id != payment.id:
            raise RefundRefused("This refund form is out of date. Close it and try again.")
        return existing, None
    session.refresh(payment)
    if payment.stripe_payment_intent_id is None:
        raise RefundRefused("Only card and bank payments made online can be refunded here.")
    if payment.status not in (PaymentStatus.SUCCEEDED, PaymentStatus.REFUNDED):
        raise RefundRefused("Only a payment that went through can be refunded.")
    reason_text = _clean_reason(reason)
    amount = parse_refund_amount(amount_text, refundable_cents(session, payment))
    refund = PaymentRefund(
        payment_id=saved_id(payment),
        invoice_id=payment.invoice_id,
        amount_cents=amount,
        tip_cents=tip_part(session, payment, amount),
        reason=reason_text,
        idempotency_key=key[:80],
        employee_id=employee.id,
    )
    session.add(refund)
    try:
        session.flush()
    except IntegrityError:  # the same key from another process (SQLite has no row lock to wait on)
        session.rollback()
        return session.exec(select(PaymentRefund).where(PaymentRefund.idempotency_key == key)).one(), None
    audit.record(
        session,
        "refund.requested",
        "payment",
        payment.id,
        business_id=employee.business_id,
        employee=employee,
        refund_id=refund.id,
        amount_cents=amount,
        tip_cents=refund.tip_cents,
        reason=reason_text,
    )
    return refund, payment.stripe_payment_intent_id


def _settle_from_stripe(session: Session, refund_id: int, result: RefundResult) -> PaymentRefund:
    refund = session.get_one(PaymentRefund, refund_id)
    invoice = payments.lock_invoice(session, refund.invoice_id)
    session.refresh(refund)
    payment = session.get_one(Payment, refund.payment_id)
    session.refresh(payment)
    status = _STRIPE_STATUS.get(result.status, RefundStatus.PENDING)
    settle(session, invoice, payment, refund, status, stripe_refund_id=result.id or None, failure=result.failure_reason)
    return refund


def _outcome(refund: PaymentRefund) -> RefundOutcome:
    amount = display.money(refund.amount_cents)
    status = RefundStatus(refund.status)
    message = {
        RefundStatus.SUCCEEDED: f"Refunded {amount}. The customer has been told.",
        RefundStatus.PENDING: f"Refund of {amount} sent. A bank refund shows Pending until the bank completes it.",
        RefundStatus.REQUESTED: f"A refund of {amount} is already on its way to Stripe.",
        RefundStatus.FAILED: f"Stripe did not refund {amount}: {refund.failure_reason or 'no reason given'}",
    }[status]
    return RefundOutcome(status=status.value, amount_cents=refund.amount_cents, message=message)


# --- one way to move a refund on (the office's answer and Stripe's events alike) ---------------------


def settle(
    session: Session,
    invoice: Invoice,
    payment: Payment,
    refund: PaymentRefund,
    status: RefundStatus,
    *,
    stripe_refund_id: str | None = None,
    failure: str | None = None,
) -> None:
    """Move a refund to what Stripe reported (invoice row locked by the caller). A succeeded refund is
    final and counts once; replays and late news change nothing."""
    if stripe_refund_id and refund.stripe_refund_id is None:
        refund.stripe_refund_id = stripe_refund_id
    if refund.status in (RefundStatus.SUCCEEDED, status):
        session.add(refund)
        return
    refund.status = status.value
    refund.failure_reason = (failure or "Stripe refused the refund.")[:300] if status is RefundStatus.FAILED else None
    refund.updated_at = utcnow()
    session.add(refund)
    session.flush()
    if status is RefundStatus.SUCCEEDED:
        _count(session, invoice, payment, refund)
    else:
        audit.record(
            session,
            f"refund.{status.value}",
            "payment",
            payment.id,
            business_id=invoice.business_id,
            refund_id=refund.id,
            amount_cents=refund.amount_cents,
            reason=refund.failure_reason,
        )
        invoices.touch(session, invoice.id)


def _count(session: Session, invoice: Invoice, payment: Payment, refund: PaymentRefund) -> None:
    refunded = min(payment.amount_cents, payment.refunded_cents + refund.amount_cents - refund.tip_cents)
    tip_refunded = min(payment.tip_cents, payment.tip_refunded_cents + refund.tip_cents)
    everything = refunded >= payment.amount_cents and tip_refunded >= payment.tip_cents
    status = PaymentStatus.REFUNDED if everything else payment.status
    payments.settle_payment(
        session, invoice, payment, refunded_cents=refunded, tip_refunded_cents=tip_refunded, status=status
    )
    audit.record(
        session,
        "payment.refunded",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        actor=None if refund.employee_id else audit.SYSTEM_ACTOR,
        refund_id=refund.id,
        amount_cents=refund.amount_cents,
        tip_cents=refund.tip_cents,
        refunded_cents=refunded,
        tip_refunded_cents=tip_refunded,
        reason=refund.reason,
        balance_cents=invoice.balance_cents,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.refunded", refund=webhooks.refund_data(refund))
    _notify_customer(session, invoice, payment, refund)


# --- Stripe's events ---------------------------------------------------------------------------------


def apply_charge_refunded(session: Session, charge: dict) -> None:
    """`charge.refunded`: each refund Stripe lists is matched to ours (by our id in its metadata, or
    its id) or recorded as one made in Stripe's dashboard; without a list, the amount not yet known
    here becomes one dashboard refund."""
    found = payments.charge_payment(session, charge)
    if found is None:
        return
    invoice, payment = found
    listed = (charge.get("refunds") or {}).get("data") or []
    for data in listed:
        _apply_stripe_refund(session, invoice, payment, data)
    known = payment.refunded_cents + payment.tip_refunded_cents + _held(session, saved_id(payment))[0]
    missing = int(charge.get("amount_refunded") or 0) - known
    if missing > 0 and not listed:
        refund = _dashboard_refund(session, payment, missing, f"stripe-charge-{charge.get('id')}-{known}", None)
        settle(session, invoice, payment, refund, RefundStatus.SUCCEEDED)


def apply_refund_updated(session: Session, data: dict) -> None:
    """`charge.refund.updated` / `refund.updated`: a bank refund completed or failed."""
    payment = session.exec(
        select(Payment).where(Payment.stripe_payment_intent_id == str(data.get("payment_intent") or ""))
    ).first()
    if payment is None:
        return  # not one of ours
    invoice = payments.lock_invoice(session, payment.invoice_id)
    session.refresh(payment)
    _apply_stripe_refund(session, invoice, payment, data)


def _apply_stripe_refund(session: Session, invoice: Invoice, payment: Payment, data: dict) -> None:
    result = refund_from_dict(data)
    refund = _ours(session, payment, data) or _dashboard_refund(
        session, payment, result.amount_cents, f"stripe-{result.id}", data.get("reason")
    )
    status = _STRIPE_STATUS.get(result.status, RefundStatus.PENDING)
    settle(session, invoice, payment, refund, status, stripe_refund_id=result.id, failure=result.failure_reason)


def _ours(session: Session, payment: Payment, data: dict) -> PaymentRefund | None:
    our_id = str((data.get("metadata") or {}).get(REFUND_KEY, ""))
    if our_id.isdigit():
        refund = session.get(PaymentRefund, int(our_id))
        if refund is not None and refund.payment_id == payment.id:
            return refund
    return session.exec(select(PaymentRefund).where(PaymentRefund.stripe_refund_id == str(data.get("id")))).first()


def _dashboard_refund(session: Session, payment: Payment, amount: int, key: str, reason: str | None) -> PaymentRefund:
    words = (reason or "").replace("_", " ")
    refund = PaymentRefund(
        payment_id=saved_id(payment),
        invoice_id=payment.invoice_id,
        amount_cents=amount,
        tip_cents=tip_part(session, payment, amount),
        reason=f"Refunded in Stripe ({words})" if words else "Refunded in Stripe",
        idempotency_key=key[:80],
    )
    session.add(refund)
    session.flush()
    return refund


# --- telling the customer ----------------------------------------------------------------------


def _destination(session: Session, invoice: Invoice, payment: Payment) -> tuple[str, str] | None:
    """Where the payment's receipt went; else where a receipt would go now."""
    receipt = session.exec(
        select(OutboundMessage).where(OutboundMessage.idempotency_key == f"{receipts.RECEIPT_KEY_PREFIX}{payment.id}")
    ).first()
    candidates = receipts.destinations(session, invoice, payment.payment_link_id)
    if receipt is not None:
        candidates = [(receipt.channel, receipt.to_address), *candidates]
    for channel, address in candidates:
        if channel == Channel.SMS and consent.opted_out_at(session, invoice.business_id, address) is not None:
            continue
        return channel, address
    return None


def _notify_customer(session: Session, invoice: Invoice, payment: Payment, refund: PaymentRefund) -> None:
    business = session.get_one(Business, invoice.business_id)
    destination = _destination(session, invoice, payment)
    if destination is None:
        audit.record(
            session,
            "refund.notice_not_sent",
            "payment",
            payment.id,
            business_id=business.id,
            refund_id=refund.id,
            reason="no mobile number that accepts texts and no email address",
        )
        return
    channel, address = destination
    amount = display.money(refund.amount_cents)
    where = "bank account" if payment.method == PaymentMethod.ACH else "card"
    body = (
        f"{sms_text.plain_name(business.name)}: we refunded {amount} of your payment for invoice #{invoice.number} to your {where}. "
        "It can take 5-10 business days to show."
    )
    subject = None
    if channel == Channel.EMAIL:
        subject = f"Refund of {amount} for invoice #{invoice.number}"
        body += (
            f"\n\nReason: {refund.reason}\n\nQuestions? Call {phones.display(business.phone or '')}.\n{business.name}"
        )
    outbox.enqueue(
        session,
        business_id=saved_id(business),
        channel=Channel(channel),
        to_address=address,
        body=body,
        subject=subject,
        invoice_id=invoice.id,
        actor=audit.SYSTEM_ACTOR,
        idempotency_key=f"{NOTICE_KEY_PREFIX}{refund.id}",
    )


# --- the office's dialog -------------------------------------------------------------------------


@dataclass(frozen=True)
class RefundForm:
    payment_id: int
    label: str  # "$250.00 · Visa •••• 4242"
    refundable: str  # "$250.00"
    refundable_cents: int
    tip_note: str  # "Of the $287.50, $37.50 is the tip for Sam Rivera." ("" without a tip left to refund)


def refund_form(session: Session, employee: Employee, payment_id: int) -> RefundForm:
    """What the Refund dialog opens with, for a payment this employee may refund."""
    require_permission(session, employee, Permission.REFUND_PAYMENTS)
    payment = session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("That payment does not exist or is not yours to see.")
    invoices.get_for_staff(session, employee, payment.invoice_id)
    invoice_part, tip = _refundable_parts(session, payment)
    if invoice_part + tip <= 0:
        raise RefundRefused("Nothing is left to refund on this payment.")
    method = payment.method_detail or ("Bank account" if payment.method == PaymentMethod.ACH else "Card")
    return RefundForm(
        payment_id=saved_id(payment),
        label=f"{display.money(payment.amount_cents)} · {method}",
        refundable=display.money(invoice_part + tip),
        refundable_cents=invoice_part + tip,
        tip_note=_tip_note(session, payment, invoice_part + tip, tip),
    )


def _tip_note(session: Session, payment: Payment, refundable: int, tip: int) -> str:
    if tip <= 0:
        return ""
    technician = session.get(Employee, payment.tip_employee_id) if payment.tip_employee_id else None
    whose = f"the tip for {technician.name}" if technician else "the tip"
    if tip >= refundable:
        return f"All of it is {whose}."
    return f"Of the {display.money(refundable)}, {display.money(tip)} is {whose}."
