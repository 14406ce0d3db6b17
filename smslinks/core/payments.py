"""Collecting an invoice's balance through Stripe: the rules behind the pay page and the webhook.

- Amounts come from the invoice (the balance, or a partial amount the business allows), never from
  the browser's idea of the balance. The browser only hands over a Stripe payment method id.
- One PaymentIntent per invoice is active at a time (StripePaymentIntent): reloads, second tabs and
  retries after a decline reuse it; an intent Stripe no longer knows is replaced.
- Charges are confirmed on the server while the invoice row is locked (SELECT ... FOR UPDATE on
  PostgreSQL; SQLite serialises writers), after checking the balance again. Double taps, two tabs
  and two phones therefore collect the balance at most once. Each call that moves money carries an
  idempotency key.
- The invoice counts money only when Stripe reports success; a bank payment in flight is
  "processing". Failures, refunds and disputes give the balance back and leave a trace the office sees.
- Webhook events are applied once (ProcessedWebhookEvent) and in any order: a late "processing"
  never overrides "succeeded" or "failed".
"""

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smslinks.core import (
    audit,
    display,
    invoices,
    money,
    pay_page,
    pay_text,
    phones,
    receipts,
    tips,
    tokens,
    webhooks,
)
from smslinks.core.accounts import payment_settings
from smslinks.core.errors import DomainError
from smslinks.core.payment_gateway import (
    GatewayError,
    GatewayEvent,
    GatewayUnavailable,
    Intent,
    PaymentDeclined,
    PaymentGateway,
    intent_from_dict,
)
from smslinks.models import (
    AchMandate,
    Business,
    Invoice,
    InvoiceStatus,
    Job,
    OutboundMessage,
    Payment,
    PaymentMethod,
    PaymentSettings,
    PaymentStatus,
    ProcessedWebhookEvent,
    StripePaymentIntent,
    saved_id,
    utcnow,
)

MIN_PAYMENT_CENTS = 100
STRIPE = "stripe"
# Metadata on every PaymentIntent we create: which invoice it pays, so webhooks find it.
INVOICE_KEY = "smslinks_invoice_id"
BUSINESS_KEY = "smslinks_business_id"

_REUSABLE = {"requires_payment_method", "requires_confirmation", "requires_action"}
# Stripe never moves an intent out of these; an event saying otherwise is older news arriving late.
_FINAL_INTENT_STATUSES = frozenset({"succeeded", "canceled"})


class PaymentRefused(DomainError):
    """A rule (or Stripe) said no; `code` names the customer-facing text in core/pay_text.py."""

    def __init__(self, code: str, **values: object):
        super().__init__(pay_text.t("en", code, **values))
        self.code = code
        self.values = values


@dataclass(frozen=True)
class Outcome:
    """What happened to a payment attempt, for the page to show."""

    status: str  # succeeded | processing | requires_action | verify | declined
    amount_cents: int = 0
    method: str = ""
    balance_cents: int = 0
    client_secret: str = ""  # requires_action only: Stripe.js completes 3-D Secure with it
    message: str = ""  # declined: Stripe's words
    code: str | None = None
    receipt_channel: str | None = None
    tip_cents: int = 0  # charged on top of amount_cents, not part of the invoice


# --- amounts and locking ------------------------------------------------------------------------


def parse_amount(text: str | None, balance_cents: int, partial_allowed: bool) -> int:
    """Cents to collect: the balance, or (when partial payments are on) what the customer typed,
    at least $1 and at most the balance."""
    if text is None or not str(text).strip() or not partial_allowed:
        return balance_cents
    cents = money.cents(text)
    if cents is None:
        raise PaymentRefused("amount_invalid")
    if cents > balance_cents:
        raise PaymentRefused("amount_too_large", balance=display.money(balance_cents))
    if cents < min(MIN_PAYMENT_CENTS, balance_cents) or cents <= 0:
        raise PaymentRefused("amount_too_small")
    return cents


def lock_invoice(session: Session, invoice_id: int) -> Invoice:
    """The invoice row, locked for this transaction and freshly read.

    PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row locks; a no-op UPDATE takes its database
    write lock first, so the read that follows sees what the previous writer committed."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().execute(
            sa.update(Invoice).where(col(Invoice.id) == invoice_id).values(updated_at=Invoice.updated_at)
        )
    return session.exec(
        select(Invoice).where(Invoice.id == invoice_id).with_for_update().execution_options(populate_existing=True)
    ).one()


def payable_amount(session: Session, invoice: Invoice, method: PaymentMethod, amount_text: str | None) -> int:
    """The amount this attempt may collect now, or PaymentRefused."""
    settings: PaymentSettings = payment_settings(session, invoice.business_id)
    enabled = settings.card_enabled if method is PaymentMethod.CARD else settings.ach_enabled
    if not enabled:
        raise PaymentRefused("method_not_accepted")
    if invoice.status == InvoiceStatus.VOID:
        raise pay_page.LinkNotUsable(pay_page.Screen.VOID)
    if invoice.balance_cents <= 0:
        raise PaymentRefused("nothing_due")
    payable = payable_while_in_flight(session, invoice, settings)
    if payable <= 0:
        raise PaymentRefused("already_processing")
    return parse_amount(amount_text, payable, settings.partial_payments_enabled)


def tip_amount(session: Session, invoice: Invoice, choice: tips.TipChoice | None) -> int:
    """The tip this attempt adds (computed from the invoice total), or PaymentRefused."""
    policy = tips.TipPolicy.of(payment_settings(session, invoice.business_id))
    try:
        return tips.tip_cents(policy, invoice.total_cents, choice)
    except tips.TipRefused as refused:
        raise PaymentRefused(refused.code, **refused.values) from None


def payable_while_in_flight(session: Session, invoice: Invoice, settings: PaymentSettings) -> int:
    in_flight = invoices.payments_in_flight(session, [saved_id(invoice)]).get(saved_id(invoice))
    return invoices.payable_while_in_flight(invoice.balance_cents, in_flight, settings.partial_payments_enabled)


def _method_types(session: Session, business_id: int) -> list[str]:
    settings = payment_settings(session, business_id)
    kinds = [(settings.card_enabled, "card"), (settings.ach_enabled, "us_bank_account")]
    return [name for enabled, name in kinds if enabled]


# --- the invoice's PaymentIntent ----------------------------------------------------------------


def active_intent(session: Session, invoice_id: int) -> StripePaymentIntent | None:
    return session.exec(
        select(StripePaymentIntent)
        .where(StripePaymentIntent.invoice_id == invoice_id, col(StripePaymentIntent.active).is_(True))
        .order_by(col(StripePaymentIntent.id).desc())
    ).first()


def _retire(session: Session, record: StripePaymentIntent) -> None:
    if record.verification_url is not None:
        invoices.touch(session, record.invoice_id)  # the pay page stops waiting for its microdeposits
    record.active = False
    record.updated_at = utcnow()
    session.add(record)


def _ensure_intent(
    session: Session, gateway: PaymentGateway, invoice: Invoice, amount_cents: int, *, link_id: int, language: str
) -> tuple[StripePaymentIntent, Intent]:
    """Under the invoice lock: the invoice's reusable intent, or a new one for amount_cents."""
    record = active_intent(session, saved_id(invoice))
    if record is not None:
        intent = gateway.retrieve_intent(record.stripe_id)
        if intent is not None and intent.status in _REUSABLE:
            record.payment_link_id, record.language = link_id, language
            session.add(record)
            return record, intent
        if intent is not None and intent.status in ("processing", "succeeded"):
            # Money moved without us hearing of it yet (a lost response or a late webhook): catch up.
            apply_intent(session, invoice, intent)
            if invoice.balance_cents <= 0:
                raise PaymentRefused("nothing_due")
            # A debit on its way (its Payment follows it): a remainder, if any, gets an intent of its own.
            settings = payment_settings(session, invoice.business_id)
            if intent.status == "processing" and payable_while_in_flight(session, invoice, settings) <= 0:
                raise PaymentRefused("already_processing")
        _retire(session, record)  # spent, canceled, or unknown to Stripe (e.g. a restarted sandbox)
    key = f"smslinks-invoice-{invoice.id}-{secrets.token_hex(8)}"
    intent = gateway.create_intent(
        amount_cents=amount_cents,
        method_types=_method_types(session, invoice.business_id),
        metadata={INVOICE_KEY: str(invoice.id), BUSINESS_KEY: str(invoice.business_id), "invoice": invoice.number},
        idempotency_key=key,
    )
    record = StripePaymentIntent(
        invoice_id=saved_id(invoice),
        stripe_id=intent.id,
        idempotency_key=key,
        amount_cents=amount_cents,
        status=intent.status,
        payment_link_id=link_id,
        language=language,
    )
    session.add(record)
    session.flush()
    return record, intent


def _start(
    session: Session,
    gateway: PaymentGateway,
    token: str | tokens.Hashed,
    client: str,
    method: PaymentMethod,
    amount_text: str | None,
    language: str,
    tip: tips.TipChoice | None = None,
) -> tuple[int, StripePaymentIntent, Intent]:
    """Phase one of every attempt, committed on its own: the intent exists and we know its id
    before anything is confirmed, so money can never move on an intent we have no record of."""
    invoice, link_id = pay_page.usable_invoice(session, token, client)
    invoice = lock_invoice(session, saved_id(invoice))
    amount = payable_amount(session, invoice, method, amount_text)
    amount += tip_amount(session, invoice, tip)
    try:
        record, intent = _ensure_intent(session, gateway, invoice, amount, link_id=link_id, language=language)
    except GatewayError as error:
        session.commit()  # keep what was learned (a caught-up payment, a retired intent)
        raise PaymentRefused("unavailable") from error
    except PaymentRefused:
        session.commit()
        raise
    session.commit()
    return saved_id(invoice), record, intent


def _relock(
    session: Session,
    invoice_id: int,
    record: StripePaymentIntent,
    method: PaymentMethod,
    amount_text: str | None,
    tip: tips.TipChoice | None = None,
) -> tuple[Invoice, int, int]:
    """Phase two starts by locking again and re-checking: another tab may have paid meanwhile.
    Returns the invoice, the amount that pays it and the tip charged on top; the intent's record
    remembers both (the webhook tells them apart by it)."""
    invoice = lock_invoice(session, invoice_id)
    amount = payable_amount(session, invoice, method, amount_text)
    tip_cents = tip_amount(session, invoice, tip)
    session.refresh(record)
    if not record.active:
        raise PaymentRefused("session_reset")
    record.method, record.amount_cents, record.tip_cents = method.value, amount, tip_cents
    return invoice, amount, tip_cents


# --- cards --------------------------------------------------------------------------------------


def pay_by_card(
    session: Session,
    gateway: PaymentGateway,
    token: str | tokens.Hashed,
    *,
    client: str,
    payment_method: str,
    amount_text: str | None = None,
    language: str = "en",
    tip: tips.TipChoice | None = None,
    save_for_customer: str | None = None,
) -> Outcome:
    """Charge a card (a Stripe PaymentMethod made by Stripe.js in the browser) for the balance or the
    partial amount. 3-D Secure comes back as requires_action with the client secret for Stripe.js.
    save_for_customer: the Stripe Customer the card is being saved on (core/saved_cards.py)."""
    if not payment_method or not payment_method.startswith("pm_") or len(payment_method) > 100:
        raise PaymentRefused("declined")
    invoice_id, record, _intent = _start(
        session, gateway, token, client, PaymentMethod.CARD, amount_text, language, tip
    )
    invoice, amount, tip_cents = _relock(session, invoice_id, record, PaymentMethod.CARD, amount_text, tip)
    try:
        gateway.update_intent(
            record.stripe_id,
            amount_cents=amount + tip_cents,
            payment_method=payment_method,
            save_for_customer=save_for_customer,
        )
        intent = gateway.confirm_intent(record.stripe_id, idempotency_key=_attempt_key(record))
    except PaymentDeclined as declined:
        return _declined(session, invoice, record, declined.code, declined.message)
    except GatewayError as error:
        return _unclear(session, gateway, invoice, record, error)
    return _after_confirm(session, invoice, record, intent)


def finish_card_action(
    session: Session, gateway: PaymentGateway, token: str | tokens.Hashed, *, client: str
) -> Outcome:
    """After Stripe.js ran 3-D Secure: read the intent's real state from Stripe (never the browser's word).
    Stripe is asked before the invoice is locked; what it said is applied under the lock."""
    invoice, _link_id = pay_page.usable_invoice(session, token, client)
    record = active_intent(session, saved_id(invoice))
    if record is None:
        raise PaymentRefused("session_reset")
    try:
        intent = gateway.retrieve_intent(record.stripe_id)
    except GatewayError as error:
        raise PaymentRefused("unavailable") from error
    if intent is None:
        raise PaymentRefused("session_reset")
    invoice = lock_invoice(session, saved_id(invoice))
    session.refresh(record)
    if not record.active:  # another tab started over meanwhile
        raise PaymentRefused("session_reset")
    if intent.status == "requires_action" and intent.next_action == "use_stripe_sdk":
        return _declined(session, invoice, record, "payment_intent_authentication_failure", None)
    return _after_confirm(session, invoice, record, intent)


def _attempt_key(record: StripePaymentIntent) -> str:
    return f"{record.idempotency_key}-confirm-{secrets.token_hex(6)}"


def _declined(
    session: Session, invoice: Invoice, record: StripePaymentIntent, code: str | None, message: str | None
) -> Outcome:
    record.status = "requires_payment_method"
    record.updated_at = utcnow()
    session.add(record)
    audit.record(
        session,
        "payment.declined",
        "invoice",
        invoice.id,
        business_id=invoice.business_id,
        actor=audit.CUSTOMER_ACTOR,
        method=record.method,
        code=code,
        message=message,
        payment_intent=record.stripe_id,
    )
    return Outcome(status="declined", code=code, message=message or "", balance_cents=invoice.balance_cents)


def _unclear(
    session: Session, gateway: PaymentGateway, invoice: Invoice, record: StripePaymentIntent, error: GatewayError
) -> Outcome:
    """Stripe refused or did not answer: ask it what the intent's state is now before saying anything."""
    try:
        intent = gateway.retrieve_intent(record.stripe_id)
    except GatewayError:
        intent = None
    if intent is not None and intent.status in ("succeeded", "processing"):
        return _after_confirm(session, invoice, record, intent)
    if isinstance(error, GatewayUnavailable) or intent is None:
        raise PaymentRefused("unavailable") from error
    return _declined(session, invoice, record, error.code, error.message)


def _after_confirm(session: Session, invoice: Invoice, record: StripePaymentIntent, intent: Intent) -> Outcome:
    record.status = intent.status
    record.updated_at = utcnow()
    session.add(record)
    if intent.status in ("succeeded", "processing"):
        payment = apply_moved_intent(session, invoice, intent)
        return Outcome(
            status=intent.status,
            amount_cents=payment.amount_cents,
            method=payment.method_detail or "",
            balance_cents=max(0, invoice.balance_cents),
            receipt_channel=receipt_channel(session, payment),
            tip_cents=payment.tip_cents,
        )
    if intent.status == "requires_action" and intent.next_action == "verify_with_microdeposits":
        record.verification_url = intent.verification_url
        invoices.touch(session, invoice.id)  # the pay page now waits for the microdeposits
        return Outcome(status="verify", amount_cents=intent.amount_cents, balance_cents=invoice.balance_cents)
    if intent.status == "requires_action":
        return Outcome(
            status="requires_action",
            client_secret=intent.client_secret,
            amount_cents=intent.amount_cents,
            balance_cents=invoice.balance_cents,
        )
    return _declined(session, invoice, record, intent.error_code, intent.error_message)


def receipt_channel(session: Session, payment: Payment) -> str | None:
    message = session.exec(
        select(OutboundMessage).where(OutboundMessage.idempotency_key == f"{receipts.RECEIPT_KEY_PREFIX}{payment.id}")
    ).first()
    return message.channel if message else None


# --- bank accounts (ACH) ------------------------------------------------------------------------


def prepare_bank_payment(
    session: Session,
    gateway: PaymentGateway,
    token: str | tokens.Hashed,
    *,
    client: str,
    amount_text: str | None = None,
    language: str = "en",
    tip: tips.TipChoice | None = None,
) -> str:
    """The intent's client secret, for Stripe.js collectBankAccountForPaymentIntent in the browser."""
    invoice_id, record, intent = _start(session, gateway, token, client, PaymentMethod.ACH, amount_text, language, tip)
    _invoice, amount, tip_cents = _relock(session, invoice_id, record, PaymentMethod.ACH, amount_text, tip)
    if intent.amount_cents != amount + tip_cents:
        try:
            intent = gateway.update_intent(record.stripe_id, amount_cents=amount + tip_cents)
        except GatewayError as error:
            raise PaymentRefused("unavailable") from error
    session.add(record)
    return intent.client_secret


def connected_bank(session: Session, gateway: PaymentGateway, token: str | tokens.Hashed, *, client: str) -> str | None:
    """ "Bank name •••• 1234" once Stripe.js attached a bank account to the invoice's intent, else None."""
    invoice, _link_id = pay_page.usable_invoice(session, token, client)
    record = active_intent(session, saved_id(invoice))
    if record is None:
        return None
    try:
        intent = gateway.retrieve_intent(record.stripe_id)
    except GatewayError as error:
        raise PaymentRefused("unavailable") from error
    if intent is None or intent.method_type != "us_bank_account" or intent.status != "requires_confirmation":
        return None
    return intent.method_detail or "Bank account"


def pay_by_bank(
    session: Session,
    gateway: PaymentGateway,
    token: str | tokens.Hashed,
    *,
    client: str,
    accepted: bool,
    ip_address: str,
    user_agent: str,
    amount_text: str | None = None,
    language: str = "en",
    tip: tips.TipChoice | None = None,
) -> Outcome:
    """Debit the connected bank account once the customer accepted the mandate. The evidence (exact
    text and its version, IP, user agent, time) is committed before Stripe is asked to debit."""
    if not accepted:
        raise PaymentRefused("mandate_required")
    invoice, link_id = pay_page.usable_invoice(session, token, client)
    payable_amount(session, invoice, PaymentMethod.ACH, amount_text)  # a refusal comes before asking Stripe
    tip_amount(session, invoice, tip)
    record = active_intent(session, saved_id(invoice))
    if record is None:
        raise PaymentRefused("bank_not_connected")
    try:  # before the invoice is locked: only the debit itself waits on Stripe under the lock
        intent = gateway.retrieve_intent(record.stripe_id)
    except GatewayError as error:
        raise PaymentRefused("unavailable") from error
    if intent is None or intent.method_type != "us_bank_account" or intent.status != "requires_confirmation":
        raise PaymentRefused("bank_not_connected")
    invoice = lock_invoice(session, saved_id(invoice))
    amount = payable_amount(session, invoice, PaymentMethod.ACH, amount_text) + tip_amount(session, invoice, tip)
    mandate = _record_mandate(session, invoice, record, link_id, amount, language, ip_address, user_agent)
    session.commit()

    invoice, amount, tip_cents = _relock(session, saved_id(invoice), record, PaymentMethod.ACH, amount_text, tip)
    try:
        if intent.amount_cents != amount + tip_cents:
            gateway.update_intent(record.stripe_id, amount_cents=amount + tip_cents)
        intent = gateway.confirm_intent(
            record.stripe_id,
            idempotency_key=_attempt_key(record),
            mandate={"ip_address": mandate.ip_address, "user_agent": mandate.user_agent},
        )
    except PaymentDeclined as declined:
        return _declined(session, invoice, record, declined.code, declined.message)
    except GatewayError as error:
        return _unclear(session, gateway, invoice, record, error)
    return _after_confirm(session, invoice, record, intent)


def _record_mandate(
    session: Session,
    invoice: Invoice,
    record: StripePaymentIntent,
    link_id: int,
    amount: int,
    language: str,
    ip_address: str,
    user_agent: str,
) -> AchMandate:
    business = session.get_one(Business, invoice.business_id)
    mandate = AchMandate(
        invoice_id=saved_id(invoice),
        stripe_payment_intent_id=record.stripe_id,
        payment_link_id=link_id,
        amount_cents=amount,
        text_version=pay_text.MANDATE_VERSION,
        language=pay_text.language(language),
        text=pay_text.mandate_text(
            language,
            business=business.name,
            phone=phones.display(business.phone or ""),
            amount_cents=amount,
            number=invoice.number,
            on=display.local_day(utcnow(), business.time_zone),
        ),
        ip_address=(ip_address or "unknown")[:64],
        user_agent=(user_agent or "unknown")[:500],
    )
    session.add(mandate)
    session.flush()
    audit.record(
        session,
        "ach.mandate_accepted",
        "invoice",
        invoice.id,
        business_id=invoice.business_id,
        actor=audit.CUSTOMER_ACTOR,
        mandate_id=mandate.id,
        version=mandate.text_version,
        amount_cents=amount,
        ip_address=mandate.ip_address,
    )
    return mandate


# --- applying Stripe's word (confirm answers and webhooks alike) ---------------------------------


def settle_payment(session: Session, invoice: Invoice, payment: Payment, **changes: object) -> None:
    """Change a payment and move the invoice's amount paid and status with it."""
    before = payment.collected_cents
    for name, value in changes.items():
        setattr(payment, name, value)
    payment.updated_at = utcnow()
    session.add(payment)
    session.flush()
    invoice.amount_paid_cents += payment.collected_cents - before
    if invoice.status == InvoiceStatus.OPEN and invoice.balance_cents <= 0:
        invoice.status = InvoiceStatus.PAID
        invoice.paid_at = payment.updated_at
        audit.record(session, "invoice.paid", "invoice", invoice.id, business_id=invoice.business_id)
        webhooks.record_invoice_event(session, invoice, "invoice.paid")
    elif invoice.status == InvoiceStatus.PAID and invoice.balance_cents > 0:
        invoice.status = InvoiceStatus.OPEN
        invoice.paid_at = None
        audit.record(
            session,
            "invoice.reopened",
            "invoice",
            invoice.id,
            business_id=invoice.business_id,
            balance_cents=invoice.balance_cents,
        )
    session.add(invoice)
    invoices.touch(session, invoice.id)


def _payment_for(session: Session, invoice: Invoice, intent: Intent) -> Payment | None:
    return session.exec(select(Payment).where(Payment.stripe_payment_intent_id == intent.id)).first()


def _new_payment(session: Session, invoice: Invoice, intent: Intent) -> Payment:
    record = session.exec(select(StripePaymentIntent).where(StripePaymentIntent.stripe_id == intent.id)).first()
    method = (
        PaymentMethod.ACH
        if (
            intent.method_type == "us_bank_account"
            or (intent.method_type is None and record is not None and record.method == PaymentMethod.ACH)
        )
        else PaymentMethod.CARD
    )
    tip_cents = _intent_tip(record, intent)
    payment = Payment(
        invoice_id=saved_id(invoice),
        amount_cents=intent.amount_cents - tip_cents,
        tip_cents=tip_cents,
        tip_employee_id=_technician(session, invoice) if tip_cents else None,
        method=method.value,
        status=PaymentStatus.PROCESSING,
        stripe_payment_intent_id=intent.id,
        method_detail=intent.method_detail or ("Bank account" if method is PaymentMethod.ACH else "Card"),
        payment_link_id=record.payment_link_id if record else None,
    )
    session.add(payment)
    session.flush()
    return payment


def _intent_tip(record: StripePaymentIntent | None, intent: Intent) -> int:
    """The part of the intent's amount that is a tip (never the invoice's money)."""
    return min(record.tip_cents, intent.amount_cents) if record is not None else 0


def _technician(session: Session, invoice: Invoice) -> int | None:
    """Who a tip on this invoice goes to: its job's technician, if it has a job."""
    job = session.get(Job, invoice.job_id) if invoice.job_id else None
    return job.technician_id if job else None


def apply_intent(session: Session, invoice: Invoice, intent: Intent, *, failed: bool = False) -> Payment | None:
    """Bring our records in line with a PaymentIntent Stripe reported (invoice row locked by the caller).

    succeeded wins over everything; a failure only ends a payment that is still processing (or records
    a failed bank debit we never saw start); processing only starts one. Replays change nothing."""
    payment = _payment_for(session, invoice, intent)
    record = session.exec(select(StripePaymentIntent).where(StripePaymentIntent.stripe_id == intent.id)).first()
    if record is not None and record.status not in _FINAL_INTENT_STATUSES:
        record.status = intent.status
        session.add(record)
    if intent.status == "succeeded":
        return _succeeded(session, invoice, intent, payment, record)
    if failed:
        return _failed(session, invoice, intent, payment, record)
    if intent.status == "processing" and payment is None:
        return _processing(session, invoice, intent, record)
    return payment


def apply_moved_intent(session: Session, invoice: Invoice, intent: Intent) -> Payment:
    """apply_intent for an intent that moved money (succeeded or processing): it always has its payment."""
    payment = apply_intent(session, invoice, intent)
    if payment is None:
        raise ValueError(f"PaymentIntent {intent.id} is {intent.status}: it moved no money")
    return payment


def _succeeded(
    session: Session,
    invoice: Invoice,
    intent: Intent,
    payment: Payment | None,
    record: StripePaymentIntent | None,
) -> Payment:
    payment = payment or _new_payment(session, invoice, intent)
    if payment.status != PaymentStatus.PROCESSING:
        return payment  # already applied (succeeded, refunded, disputed) or a late contradiction
    settle_payment(
        session,
        invoice,
        payment,
        status=PaymentStatus.SUCCEEDED,
        amount_cents=intent.amount_cents - payment.tip_cents,
        method_detail=intent.method_detail or payment.method_detail,
    )
    if record is not None:
        _retire(session, record)  # spent: a further partial payment gets a new intent
    audit.record(
        session,
        "payment.succeeded",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        actor=audit.CUSTOMER_ACTOR,
        amount_cents=payment.amount_cents,
        tip_cents=payment.tip_cents,
        method=payment.method,
        payment_intent=intent.id,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.succeeded")
    receipts.send(session, invoice, payment, language=record.language if record else "en")
    return payment


def _failed(
    session: Session,
    invoice: Invoice,
    intent: Intent,
    payment: Payment | None,
    record: StripePaymentIntent | None,
) -> Payment | None:
    """A bank debit that failed or came back: the office sees a failed payment; the balance stays due."""
    if payment is None and (intent.method_type == "us_bank_account" or (record and record.method == "ach")):
        payment = _new_payment(session, invoice, intent)
    if payment is None or payment.status != PaymentStatus.PROCESSING:
        return payment  # a card decline (audited where it was confirmed) or a late contradiction
    settle_payment(
        session,
        invoice,
        payment,
        status=PaymentStatus.FAILED,
        failure_reason=(intent.error_message or intent.error_code or "The bank returned the payment.")[:300],
    )
    if record is not None:
        _retire(session, record)  # the customer pays again on a new intent, by bank or card
    audit.record(
        session,
        "payment.failed",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        amount_cents=payment.amount_cents,
        method=payment.method,
        code=intent.error_code,
        reason=payment.failure_reason,
        payment_intent=intent.id,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.failed")
    return payment


def _processing(session: Session, invoice: Invoice, intent: Intent, record: StripePaymentIntent | None) -> Payment:
    payment = _new_payment(session, invoice, intent)
    if record is not None:
        record.verification_url = None
    audit.record(
        session,
        "payment.processing",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        actor=audit.CUSTOMER_ACTOR,
        amount_cents=payment.amount_cents,
        method=payment.method,
        payment_intent=intent.id,
    )
    webhooks.record_payment_event(session, invoice, payment, "payment.processing")
    invoices.touch(session, invoice.id)
    return payment


def charge_payment(session: Session, charge: dict) -> tuple[Invoice, Payment] | None:
    """The payment a Stripe charge belongs to (created from the charge if its success event is late)."""
    intent_id = charge.get("payment_intent")
    if not intent_id:
        return None
    record = session.exec(select(StripePaymentIntent).where(StripePaymentIntent.stripe_id == intent_id)).first()
    payment = session.exec(select(Payment).where(Payment.stripe_payment_intent_id == intent_id)).first()
    invoice_id = payment.invoice_id if payment else (record.invoice_id if record else None)
    if invoice_id is None:
        return None  # not one of ours
    invoice = lock_invoice(session, invoice_id)
    payment = session.exec(
        select(Payment).where(Payment.stripe_payment_intent_id == intent_id).execution_options(populate_existing=True)
    ).first()
    if payment is None or payment.status == PaymentStatus.PROCESSING:
        intent = Intent(id=intent_id, status="succeeded", amount_cents=int(charge["amount"]), client_secret="")
        payment = apply_moved_intent(session, invoice, intent)
    return invoice, payment


def _apply_dispute(session: Session, dispute: dict) -> None:
    charge = {"payment_intent": dispute.get("payment_intent"), "amount": dispute.get("amount", 0)}
    found = charge_payment(session, charge)
    if found is None:
        return
    invoice, payment = found
    disputed = min(payment.amount_cents, max(payment.disputed_cents, int(dispute.get("amount") or 0)))
    if disputed == payment.disputed_cents:
        return
    settle_payment(
        session,
        invoice,
        payment,
        disputed_cents=disputed,
        status=PaymentStatus.DISPUTED,
        failure_reason=f"Disputed: {dispute.get('reason') or 'no reason given'}"[:300],
    )
    audit.record(
        session,
        "payment.disputed",
        "payment",
        payment.id,
        business_id=invoice.business_id,
        disputed_cents=disputed,
        reason=dispute.get("reason"),
        balance_cents=invoice.balance_cents,
    )


_REFUND_EVENTS = ("charge.refunded", "charge.refund.updated", "refund.updated")
_INTENT_EVENTS = {
    "payment_intent.succeeded": False,
    "payment_intent.processing": False,
    "payment_intent.payment_failed": True,
}


def apply_event(session: Session, event: GatewayEvent) -> bool:
    """Apply a verified Stripe event once; False when it was already applied (a replay).

    The event id is claimed first (the caller's transaction starts with it): a concurrent delivery of
    the same event waits on that row and then fails on its unique key, undoing nothing but itself."""
    seen = session.exec(
        select(ProcessedWebhookEvent.id).where(
            ProcessedWebhookEvent.provider == STRIPE, ProcessedWebhookEvent.event_id == event.id[:128]
        )
    ).first()
    if seen is not None:
        return False
    session.add(ProcessedWebhookEvent(provider=STRIPE, event_id=event.id[:128]))
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        return False
    if event.type in _INTENT_EVENTS:
        intent = intent_from_dict(event.object)
        invoice_id = intent.metadata.get(INVOICE_KEY, "")
        invoice = session.get(Invoice, int(invoice_id)) if invoice_id.isdigit() else None
        if invoice is not None and str(invoice.business_id) == intent.metadata.get(BUSINESS_KEY):
            invoice = lock_invoice(session, saved_id(invoice))
            apply_intent(session, invoice, intent, failed=_INTENT_EVENTS[event.type])
    elif event.type in _REFUND_EVENTS:
        from smslinks.core import refunds  # refunds builds on this module

        if event.type == "charge.refunded":
            refunds.apply_charge_refunded(session, event.object)
        else:
            refunds.apply_refund_updated(session, event.object)
    elif event.type == "charge.dispute.created":
        _apply_dispute(session, event.object)
    return True
