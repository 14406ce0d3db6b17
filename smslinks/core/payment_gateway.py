"""Core's port onto the payment processor: the calls core/payments.py and core/refunds.py make
(PaymentGateway), the answers they get and the errors they catch. providers/stripe_payments.py
implements it with Stripe's SDK; tests use an in-memory double. Nothing here imports stripe.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol


class GatewayError(Exception):
    """Stripe said no, or could not be reached. The message is Stripe's (English)."""

    def __init__(self, message: str, code: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.http_status = http_status


class PaymentDeclined(GatewayError):
    """The card or bank refused the payment; the customer may try again."""


class GatewayUnavailable(GatewayError):
    """No usable answer (network, outage, bad keys): whether anything happened is unknown."""


class InvalidSignature(Exception):
    pass


@dataclass(frozen=True)
class Intent:
    """What the app needs to know of a PaymentIntent."""

    id: str
    status: str
    amount_cents: int
    client_secret: str
    metadata: dict[str, str] = field(default_factory=dict)
    method_type: str | None = None  # "card" or "us_bank_account"
    method_detail: str | None = None  # "Visa •••• 4242"
    error_code: str | None = None
    error_message: str | None = None
    next_action: str | None = None  # e.g. "use_stripe_sdk", "verify_with_microdeposits"
    verification_url: str | None = None


@dataclass(frozen=True)
class RefundResult:
    """What the app needs to know of a Stripe Refund."""

    id: str
    status: str  # succeeded | pending | requires_action | failed | canceled
    amount_cents: int
    failure_reason: str | None = None


def refund_from_dict(data: dict) -> RefundResult:
    return RefundResult(
        id=str(data["id"]),
        status=str(data.get("status") or "pending"),
        amount_cents=int(data["amount"]),
        failure_reason=data.get("failure_reason"),
    )


@dataclass(frozen=True)
class CardOnFile:
    """A card PaymentMethod attached to a Stripe Customer."""

    id: str
    brand: str  # "Visa"
    last4: str
    exp_month: int
    exp_year: int


def card_from_dict(data: dict) -> CardOnFile:
    card = data.get("card") or {}
    return CardOnFile(
        id=str(data["id"]),
        brand=str(card.get("brand") or "card").replace("_", " ").title(),
        last4=str(card.get("last4") or ""),
        exp_month=int(card.get("exp_month") or 0),
        exp_year=int(card.get("exp_year") or 0),
    )


@dataclass(frozen=True)
class GatewayEvent:
    id: str
    type: str
    created: datetime
    object: dict


def _method_detail(method: dict | None) -> tuple[str | None, str | None]:
    if not isinstance(method, dict):
        return None, None
    kind = method.get("type")
    if kind == "card":
        card = method.get("card") or {}
        brand = str(card.get("brand") or "card").replace("_", " ").title()
        return kind, f"{brand} •••• {card.get('last4', '')}".strip()
    if kind == "us_bank_account":
        bank = method.get("us_bank_account") or {}
        return kind, f"{bank.get('bank_name') or 'Bank account'} •••• {bank.get('last4', '')}".strip()
    return kind, None


def intent_from_dict(data: dict) -> Intent:
    """An Intent from Stripe's JSON (an API answer or an event's data.object)."""
    method_type, detail = _method_detail(data.get("payment_method"))
    error = data.get("last_payment_error") or {}
    if method_type is None and isinstance(error.get("payment_method"), dict):
        method_type, detail = _method_detail(error["payment_method"])
    next_action = data.get("next_action") or {}
    microdeposits = next_action.get("verify_with_microdeposits") or {}
    return Intent(
        id=data["id"],
        status=data["status"],
        amount_cents=int(data["amount"]),
        client_secret=data.get("client_secret") or "",
        metadata={str(k): str(v) for k, v in (data.get("metadata") or {}).items()},
        method_type=method_type,
        method_detail=detail,
        error_code=error.get("decline_code") or error.get("code"),
        error_message=error.get("message"),
        next_action=next_action.get("type"),
        verification_url=microdeposits.get("hosted_verification_url"),
    )


class PaymentGateway(Protocol):
    """What core needs from Stripe (providers/stripe_payments.StripePayments in the app)."""

    publishable_key: str
    js_url: str

    def create_intent(
        self,
        *,
        amount_cents: int,
        method_types: list[str],
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
        payment_method: str | None = None,
    ) -> Intent: ...

    def retrieve_intent(self, intent_id: str) -> Intent | None: ...

    def update_intent(
        self,
        intent_id: str,
        *,
        amount_cents: int,
        payment_method: str | None = None,
        save_for_customer: str | None = None,
    ) -> Intent: ...

    def confirm_intent(
        self, intent_id: str, *, idempotency_key: str, mandate: dict | None = None, off_session: bool = False
    ) -> Intent: ...

    def cancel_intent(self, intent_id: str) -> None: ...

    def create_customer(self, *, name: str, metadata: dict[str, str], idempotency_key: str) -> str: ...

    def attach_card(self, payment_method: str, *, customer: str) -> CardOnFile: ...

    def detach_card(self, payment_method: str) -> None: ...

    def create_refund(
        self, payment_intent_id: str, *, amount_cents: int, metadata: dict[str, str], idempotency_key: str
    ) -> RefundResult: ...

    def parse_event(self, payload: bytes, signature: str | None) -> GatewayEvent: ...
