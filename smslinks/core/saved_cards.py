"""Saved cards: a card a customer keeps on file with the business, with their consent, and its charges.

- A card is saved only when the customer ticks "Save this card for future invoices from <business>"
  on the pay page while paying with it. The words exactly as shown, the time, IP address and user
  agent are kept with the card, which is attached to the customer's Stripe Customer (made on the
  first save). The card belongs to the customer, not to an invoice; a newer card replaces it.
- It is charged (off session) only while that consent is on record and the card is not removed,
  for an invoice of the same customer: by the office with "Charge saved cards", or by the customer
  in one tap through their own pay link. Both go through `_charge`: under the invoice lock the
  amount is checked, the intent is created in Stripe and recorded with the idempotency key before it
  is confirmed; the confirmation runs under the lock again after the balance is re-read. Success is
  applied as any card payment (core/payments.apply_intent: receipt, webhooks out, audit); a decline
  is kept as a failed payment with the bank's reason for the office, and texts nobody.
- The customer removes it from the pay page: detached in Stripe first, then marked removed.
"""

from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smslinks.core import audit, display, invoices, pay_page, pay_text, payments, tips, tokens, webhooks
from smslinks.core.accounts import payment_settings
from smslinks.core.errors import DomainError
from smslinks.core.payment_gateway import CardOnFile, GatewayError, Intent, PaymentDeclined
from smslinks.core.payments import Outcome, PaymentRefused
from smslinks.core.permissions import Permission, has_permission, require_permission
from smslinks.models import (
    Business,
    Customer,
    Employee,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentMethod,
    PaymentStatus,
    SavedCard,
    StripePaymentIntent,
    saved_id,
    utcnow,
)

SAVED_CARD_KEY = "smslinks_saved_card_id"
CUSTOMER_KEY = "smslinks_customer_id"
MAX_KEY = 64


class SavedCardRefused(DomainError):
    """A rule said no; `field` names the office dialog's field the message belongs beside ("" for the form)."""

    def __init__(self, message: str, field: str = ""):
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Consent:
    """Who ticked "Save this card": the page's language, and where the tick came from."""

    language: str
    ip_address: str
    user_agent: str


@dataclass(frozen=True)
class ChargeForm:
    """What the office's Charge saved card dialog opens with."""

    card: str  # "Visa •••• 4242, saved Dec 3 with the customer's consent"
    balance: str  # "$1,286.96": what a blank amount charges
    amount: str  # "1286.96": the amount field's starting value


# --- the card on file ------------------------------------------------------------------------------


def consent_text(language: str, business_name: str) -> str:
    """The words beside the checkbox, exactly as the pay page shows them."""
    return pay_text.t(language, "save_card", business=business_name)


# Built once: every pay-page visit asks for it (building and keying a statement costs SQLAlchemy
# about as much CPU as running it).
_ON_FILE = (
    select(SavedCard)
    .where(
        SavedCard.customer_id == sa.bindparam("customer_id"),
        col(SavedCard.removed_at).is_(None),
        col(SavedCard.consented_at).is_not(None),
        SavedCard.consent_text != "",
    )
    .order_by(col(SavedCard.id).desc())
)


def on_file(session: Session, customer_id: int) -> SavedCard | None:
    """The customer's card that may be charged: consent on record and not removed."""
    return session.exec(_ON_FILE, params={"customer_id": customer_id}).first()


def label(card: SavedCard) -> str:
    return f"{card.brand} •••• {card.last4}"


def pay_page_label(session: Session, invoice: Invoice) -> str:
    """ "Visa •••• 4242" when the invoice's customer has a card to pay with in one tap, else ""."""
    card = on_file(session, invoice.customer_id)
    return label(card) if card else ""


def _stripe_customer(session: Session, gateway: payments.PaymentGateway, customer_id: int) -> str:
    """The customer's Stripe Customer, made (and kept, on its own commit) the first time."""
    customer = session.get_one(Customer, customer_id)
    if customer.stripe_customer_id:
        return customer.stripe_customer_id
    try:
        stripe_id = gateway.create_customer(
            name=customer.name,
            metadata={CUSTOMER_KEY: str(customer.id), payments.BUSINESS_KEY: str(customer.business_id)},
            idempotency_key=f"smslinks-customer-{customer.id}",
        )
    except GatewayError as error:
        raise PaymentRefused("unavailable") from error
    customer.stripe_customer_id = stripe_id
    session.add(customer)
    session.commit()
    return stripe_id


# --- saving, on the pay page -----------------------------------------------------------------------


def pay_by_card_and_save(
    session: Session,
    gateway: payments.PaymentGateway,
    token: str | tokens.Hashed,
    *,
    client: str,
    payment_method: str,
    consent: Consent,
    amount_text: str | None = None,
    tip: tips.TipChoice | None = None,
) -> Outcome:
    """Pay as pay_by_card does, keeping the card on the customer's Stripe Customer. The card is
    attached first (the bank may decline it there); it is recorded with the consent once the payment
    went through (or waits for 3-D Secure), and taken off again when the payment did not."""
    if not payment_method or not payment_method.startswith("pm_") or len(payment_method) > 100:
        raise PaymentRefused("declined")
    invoice, link_id = pay_page.usable_invoice(session, token, client)
    customer_id, invoice_id = invoice.customer_id, saved_id(invoice)
    stripe_customer = _stripe_customer(session, gateway, customer_id)
    try:
        attached = gateway.attach_card(payment_method, customer=stripe_customer)
    except PaymentDeclined as declined:
        return Outcome(status="declined", code=declined.code, message=declined.message)
    except GatewayError as error:
        raise PaymentRefused("unavailable") from error
    try:
        outcome = payments.pay_by_card(
            session,
            gateway,
            token,
            client=client,
            payment_method=payment_method,
            amount_text=amount_text,
            language=consent.language,
            tip=tip,
            save_for_customer=stripe_customer,
        )
    except DomainError:
        session.rollback()
        _detach_quietly(gateway, payment_method)
        raise
    if outcome.status not in ("succeeded", "processing", "requires_action"):
        session.commit()
        _detach_quietly(gateway, payment_method)
        return outcome
    replaced = _keep(session, invoice_id, link_id, customer_id, stripe_customer, attached, consent)
    session.commit()
    for old in replaced:
        _detach_quietly(gateway, old)
    return outcome


def _keep(
    session: Session,
    invoice_id: int,
    link_id: int,
    customer_id: int,
    stripe_customer: str,
    attached: CardOnFile,
    consent: Consent,
) -> list[str]:
    """Record the card with the consent; older cards of the customer are replaced. Returns the
    replaced cards' Stripe ids (to detach once this is committed)."""
    invoice = session.get_one(Invoice, invoice_id)
    business = session.get_one(Business, invoice.business_id)
    older = session.exec(
        select(SavedCard).where(SavedCard.customer_id == customer_id, col(SavedCard.removed_at).is_(None))
    ).all()
    now = utcnow()
    for card in older:
        card.removed_at, card.removed_by = now, "replaced by a newer card"
        session.add(card)
    card = SavedCard(
        business_id=saved_id(business),
        customer_id=customer_id,
        stripe_customer_id=stripe_customer,
        stripe_payment_method_id=attached.id,
        brand=attached.brand,
        last4=attached.last4,
        exp_month=attached.exp_month,
        exp_year=attached.exp_year,
        consent_text=consent_text(consent.language, business.name),
        consent_language=pay_text.language(consent.language),
        consented_at=now,
        consent_ip=(consent.ip_address or "unknown")[:64],
        consent_user_agent=(consent.user_agent or "unknown")[:500],
        payment_link_id=link_id,
        invoice_id=invoice_id,
    )
    session.add(card)
    session.flush()
    audit.record(
        session,
        "saved_card.saved",
        "customer",
        customer_id,
        business_id=business.id,
        actor=audit.CUSTOMER_ACTOR,
        card_id=card.id,
        card=label(card),
        invoice_id=invoice_id,
        consent_text=card.consent_text,
        ip_address=card.consent_ip,
        user_agent=card.consent_user_agent,
        replaced=[c.id for c in older],
    )
    return [c.stripe_payment_method_id for c in older if c.stripe_payment_method_id != attached.id]


def _detach_quietly(gateway: payments.PaymentGateway, payment_method: str) -> None:
    """Take a card we will not keep off the Stripe Customer; if Stripe cannot be reached, no record
    names it, so it can never be charged from here."""
    try:
        gateway.detach_card(payment_method)
    except GatewayError:
        pass


# --- removing, on the pay page ---------------------------------------------------------------------


def remove_by_customer(
    session: Session, gateway: payments.PaymentGateway, token: str | tokens.Hashed, *, client: str
) -> None:
    """ "Remove saved card" through the customer's own link: that link's customer's card only."""
    invoice, _link_id = pay_page.usable_invoice(session, token, client)
    card = on_file(session, invoice.customer_id)
    if card is None:
        return
    try:
        gateway.detach_card(card.stripe_payment_method_id)
    except GatewayError as error:
        if error.http_status != 404:  # already gone from Stripe: nothing left to detach
            raise PaymentRefused("unavailable") from error
    card.removed_at, card.removed_by = utcnow(), audit.CUSTOMER_ACTOR
    session.add(card)
    audit.record(
        session,
        "saved_card.removed",
        "customer",
        card.customer_id,
        business_id=card.business_id,
        actor=audit.CUSTOMER_ACTOR,
        card_id=card.id,
        card=label(card),
        invoice_id=invoice.id,
    )
    session.commit()


# --- charging: one path for the pay page's one tap and the office ----------------------------------


def _chargeable(session: Session, invoice: Invoice, card_id: int | None = None) -> SavedCard:
    """The invoice's customer's card with consent on record (the same card, when card_id is given)."""
    card = on_file(session, invoice.customer_id)
    if card is not None:
        session.refresh(card)
    if card is None or not (
        card.removed_at is None and card.business_id == invoice.business_id and (card_id is None or card.id == card_id)
    ):
        raise SavedCardRefused("This customer has no saved card they agreed to be charged.")
    return card


def _open_balance(invoice: Invoice) -> None:
    if invoice.status != InvoiceStatus.OPEN or invoice.balance_cents <= 0:
        raise SavedCardRefused("Only an open invoice with a balance can be charged.")


AmountRule = Callable[[Invoice], tuple[int, int]]  # the invoice (locked) -> (amount, tip) in cents


def _charge(
    session: Session,
    gateway: payments.PaymentGateway,
    invoice_id: int,
    *,
    key: str,
    amount_of: AmountRule,
    employee: Employee | None,
    link_id: int | None,
    language: str,
) -> Outcome:
    record = _request(session, gateway, invoice_id, key, amount_of, employee, link_id, language)
    if record.status != "requires_confirmation":
        return _replayed(session, record)
    invoice = payments.lock_invoice(session, invoice_id)
    session.refresh(record)
    if record.status != "requires_confirmation":  # another click with this key got here first
        return _replayed(session, record)
    try:
        _open_balance(invoice)
        card = _chargeable(session, invoice, record.saved_card_id)
        amount, tip_cents = amount_of(invoice)
        if amount + tip_cents != record.amount_cents + record.tip_cents:
            raise SavedCardRefused("The balance changed meanwhile. Check the amount and try again.")
    except DomainError:
        _cancel(session, gateway, record)
        raise
    try:
        intent = gateway.confirm_intent(record.stripe_id, idempotency_key=f"{key}-confirm", off_session=True)
    except PaymentDeclined as declined:
        return _declined(session, invoice, record, card, employee, declined.code, declined.message)
    except GatewayError as error:
        intent = _after_unclear(gateway, record, error)
    if intent.status != "succeeded":
        gateway_code = intent.error_code or ("authentication_required" if intent.status == "requires_action" else None)
        if intent.status == "requires_action":
            _cancel_quietly(gateway, record.stripe_id)
        return _declined(session, invoice, record, card, employee, gateway_code, intent.error_message)
    return _succeeded(session, invoice, record, card, employee, intent)


def _request(
    session: Session,
    gateway: payments.PaymentGateway,
    invoice_id: int,
    key: str,
    amount_of: AmountRule,
    employee: Employee | None,
    link_id: int | None,
    language: str,
) -> StripePaymentIntent:
    """Phase one, committed on its own: the intent exists in Stripe and here, by the idempotency
    key, before anything is confirmed. A repeated click finds the row instead."""
    invoice = payments.lock_invoice(session, invoice_id)
    existing = session.exec(select(StripePaymentIntent).where(StripePaymentIntent.idempotency_key == key)).first()
    if existing is not None:
        if existing.invoice_id != invoice_id:
            raise SavedCardRefused("This form is out of date. Close it and try again.")
        return existing
    _open_balance(invoice)
    card = _chargeable(session, invoice)
    amount, tip_cents = amount_of(invoice)
    try:
        intent = gateway.create_intent(
            amount_cents=amount + tip_cents,
            method_types=["card"],
            metadata={
                payments.INVOICE_KEY: str(invoice.id),
                payments.BUSINESS_KEY: str(invoice.business_id),
                SAVED_CARD_KEY: str(card.id),
                "invoice": invoice.number,
            },
            idempotency_key=key,
            customer=card.stripe_customer_id,
            payment_method=card.stripe_payment_method_id,
        )
    except GatewayError as error:
        session.rollback()
        raise PaymentRefused("unavailable") from error
    record = StripePaymentIntent(
        invoice_id=saved_id(invoice),
        stripe_id=intent.id,
        idempotency_key=key,
        amount_cents=amount,
        tip_cents=tip_cents,
        status=intent.status,
        method=PaymentMethod.CARD.value,
        active=False,  # never the pay page's intent: that one stays as it was
        payment_link_id=link_id,
        language=pay_text.language(language),
        saved_card_id=card.id,
        charged_by_employee_id=employee.id if employee else None,
    )
    session.add(record)
    try:
        session.commit()
    except IntegrityError:  # the same key from another process got its row in first
        session.rollback()
        _cancel_quietly(gateway, intent.id)
        return session.exec(select(StripePaymentIntent).where(StripePaymentIntent.idempotency_key == key)).one()
    return record


def _after_unclear(gateway: payments.PaymentGateway, record: StripePaymentIntent, error: GatewayError) -> Intent:
    """Stripe refused or did not answer: its word on the intent decides; unknown stays unknown
    (the intent's webhook settles it later)."""
    try:
        intent = gateway.retrieve_intent(record.stripe_id)
    except GatewayError:
        intent = None
    if intent is None or intent.status == "requires_confirmation":
        raise PaymentRefused("unavailable") from error
    return intent


def _cancel(session: Session, gateway: payments.PaymentGateway, record: StripePaymentIntent) -> None:
    _cancel_quietly(gateway, record.stripe_id)
    record.status, record.updated_at = "canceled", utcnow()
    session.add(record)
    session.commit()


def _cancel_quietly(gateway: payments.PaymentGateway, intent_id: str) -> None:
    try:
        gateway.cancel_intent(intent_id)
    except GatewayError:
        pass  # an intent never confirmed moves no money


def _actor(employee: Employee | None) -> dict:
    return {"employee": employee} if employee else {"actor": audit.CUSTOMER_ACTOR}


def _succeeded(
    session: Session,
    invoice: Invoice,
    record: StripePaymentIntent,
    card: SavedCard,
    employee: Employee | None,
    intent: Intent,
) -> Outcome:
    record.status, record.updated_at = intent.status, utcnow()
    session.add(record)
    payment = payments.apply_moved_intent(session, invoice, intent)
    audit.record(
        session,
        "saved_card.charged",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        **_actor(employee),
        card_id=card.id,
        card=label(card),
        amount_cents=payment.amount_cents,
        tip_cents=payment.tip_cents,
        payment_intent=intent.id,
    )
    outcome = Outcome(
        status="succeeded",
        amount_cents=payment.amount_cents,
        method=label(card),
        balance_cents=max(0, invoice.balance_cents),
        receipt_channel=payments.receipt_channel(session, payment),
        tip_cents=payment.tip_cents,
    )
    session.commit()
    return outcome


def _declined(
    session: Session,
    invoice: Invoice,
    record: StripePaymentIntent,
    card: SavedCard,
    employee: Employee | None,
    code: str | None,
    message: str | None,
) -> Outcome:
    """The bank said no: a failed payment with its reason, for the office; no text to anyone."""
    record.status, record.updated_at = "requires_payment_method", utcnow()
    session.add(record)
    reason = message or "The card was declined."
    if code:
        reason = f"{reason} ({code})"
    payment = Payment(
        invoice_id=saved_id(invoice),
        amount_cents=record.amount_cents,
        tip_cents=record.tip_cents,
        method=PaymentMethod.CARD.value,
        status=PaymentStatus.FAILED,
        stripe_payment_intent_id=record.stripe_id,
        method_detail=f"Saved {label(card)}",
        failure_reason=f"Saved card declined: {reason}"[:300],
        payment_link_id=record.payment_link_id,
    )
    session.add(payment)
    session.flush()
    audit.record(
        session,
        "saved_card.declined",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        **_actor(employee),
        card_id=card.id,
        card=label(card),
        amount_cents=record.amount_cents,
        code=code,
        reason=reason,
        payment_intent=record.stripe_id,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.failed")
    invoices.touch(session, invoice.id)
    outcome = Outcome(
        status="declined",
        amount_cents=record.amount_cents,
        method=label(card),
        balance_cents=invoice.balance_cents,
        code=code,
        message=message or "",
    )
    session.commit()
    return outcome


def _replayed(session: Session, record: StripePaymentIntent) -> Outcome:
    """A click that repeats an earlier one (same key): what became of it, without charging again."""
    payment = session.exec(select(Payment).where(Payment.stripe_payment_intent_id == record.stripe_id)).first()
    invoice = session.get_one(Invoice, record.invoice_id)
    if payment is None:
        raise SavedCardRefused("This charge was not made. Close the form and try again.")
    if payment.status == PaymentStatus.FAILED:
        reason = (payment.failure_reason or "").removeprefix("Saved card declined: ")
        return Outcome(
            status="declined",
            amount_cents=payment.amount_cents,
            method=(payment.method_detail or "").removeprefix("Saved "),
            message=reason,
        )
    return Outcome(
        status="succeeded",
        amount_cents=payment.amount_cents,
        method=payment.method_detail or "",
        balance_cents=max(0, invoice.balance_cents),
    )


# --- the doors ---------------------------------------------------------------------------------------


def pay_with_saved_card(
    session: Session,
    gateway: payments.PaymentGateway,
    token: str | tokens.Hashed,
    *,
    client: str,
    key: str,
    amount_text: str | None = None,
    language: str = "en",
    tip: tips.TipChoice | None = None,
) -> Outcome:
    """The pay page's one tap: the card saved by this link's customer, for the amount the page's
    rules give (balance or partial amount, plus the tip), never an amount from the browser."""
    invoice, link_id = pay_page.usable_invoice(session, token, client)

    def amount_of(locked: Invoice) -> tuple[int, int]:
        return (
            payments.payable_amount(session, locked, PaymentMethod.CARD, amount_text),
            payments.tip_amount(session, locked, tip),
        )

    try:
        return _charge(
            session,
            gateway,
            saved_id(invoice),
            key=key[:MAX_KEY],
            amount_of=amount_of,
            employee=None,
            link_id=link_id,
            language=language,
        )
    except SavedCardRefused:
        raise PaymentRefused("saved_card_gone") from None


_OFFICE_AMOUNT_WORDS = {
    "amount_invalid": "Enter an amount like 25.00.",
    "amount_too_small": "Enter at least $1.00.",
    "amount_too_large": "At most the balance, {balance}.",
}


def _office_amount(session: Session, invoice: Invoice, amount_text: str | None) -> tuple[int, int]:
    settings = payment_settings(session, invoice.business_id)
    try:
        payable = payments.payable_while_in_flight(session, invoice, settings)
        if payable <= 0:
            raise SavedCardRefused("A bank payment on its way covers the balance.")
        return payments.parse_amount(amount_text, payable, partial_allowed=True), 0
    except PaymentRefused as refused:
        words = _OFFICE_AMOUNT_WORDS.get(refused.code)
        raise SavedCardRefused(words.format(**refused.values) if words else refused.message, "amount") from None


def charge_form(session: Session, employee: Employee, invoice_id: int) -> ChargeForm | None:
    """What the office's "Charge saved card" offers, or None when it is not offered to this employee
    for this invoice (no permission, no card with consent, nothing due)."""
    if not has_permission(session, employee, Permission.CHARGE_SAVED_CARDS):
        return None
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    card = on_file(session, invoice.customer_id)
    if card is None or invoice.status != InvoiceStatus.OPEN or invoice.balance_cents <= 0:
        return None
    saved = display.short_day(display.local(card.consented_at or card.created_at, _zone(session, invoice)))
    return ChargeForm(
        card=f"{label(card)}, saved {saved} with the customer's consent",
        balance=display.money(invoice.balance_cents),
        amount=f"{invoice.balance_cents // 100}.{invoice.balance_cents % 100:02d}",
    )


def _zone(session: Session, invoice: Invoice) -> str:
    return session.get_one(Business, invoice.business_id).time_zone


def charge_for_office(
    session: Session,
    gateway: payments.PaymentGateway,
    employee: Employee,
    invoice_id: int,
    *,
    amount_text: str | None,
    idempotency_key: str,
) -> Outcome:
    """ "Charge saved card" on the invoice page: the permission, the consent on record, the key."""
    require_permission(session, employee, Permission.CHARGE_SAVED_CARDS)
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    return _charge(
        session,
        gateway,
        saved_id(invoice),
        key=idempotency_key[:MAX_KEY],
        amount_of=lambda locked: _office_amount(session, locked, amount_text),
        employee=employee,
        link_id=None,
        language="en",
    )


def office_message(outcome: Outcome) -> str:
    """What the office is told; a decline names the bank's reason (the payment list keeps it too)."""
    amount = display.money(outcome.amount_cents + outcome.tip_cents)
    if outcome.status == "succeeded":
        return f"Charged {amount} to {outcome.method}. The customer gets a receipt."
    reason = " ".join(
        filter(None, [outcome.message or "The card was declined.", f"({outcome.code})" if outcome.code else ""])
    )
    return f"{outcome.method or 'The saved card'} was declined: {reason} Nothing was sent to the customer."
