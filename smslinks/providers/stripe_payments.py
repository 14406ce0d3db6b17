"""Stripe through its official SDK: PaymentIntents for cards and US bank accounts, and webhook events.

The same code runs in live mode (api.stripe.com) and in sandbox mode (the local Stripe server on
settings.stripe_base_url); only the keys and the base address differ. Nothing here decides anything:
core/payments.py holds the rules and calls this adapter through its PaymentGateway protocol.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache

import stripe

from smslinks.config import Settings, get_settings

log = logging.getLogger(__name__)

LIVE_STRIPE_JS_URL = "https://js.stripe.com/v3/"
# Seconds a signed event stays acceptable (Stripe's own default): replays of old events are refused.
SIGNATURE_TOLERANCE = 300
# Seconds any one request to Stripe may take (the SDK's own default is 80).
REQUEST_TIMEOUT_SECONDS = 20


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


class StripePayments:
    """The PaymentGateway core/payments.py uses, backed by stripe.StripeClient."""

    def __init__(self, settings: Settings):
        secret_key, self.publishable_key, self.webhook_secret = settings.stripe_keys
        base = settings.stripe_base_url
        self.js_url = f"{base}/js.stripe.com/v3/" if base else LIVE_STRIPE_JS_URL
        options = {"base_addresses": {"api": base}} if base else {}
        # Retries are safe: every call that creates or moves money carries an idempotency key.
        self._client = stripe.StripeClient(
            secret_key,
            max_network_retries=2,
            http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
            **options,
        )

    def _call(self, method, *args, read=intent_from_dict, **kwargs):
        try:
            result = method(*args, **kwargs)
        except stripe.StripeError as error:
            _log_failure(method, args, kwargs, error)
            if isinstance(error, stripe.CardError):
                raise PaymentDeclined(_message(error), error.code, error.http_status) from None
            if isinstance(error, stripe.InvalidRequestError):
                raise GatewayError(_message(error), error.code, error.http_status) from None
            raise GatewayUnavailable(_message(error), error.code, error.http_status) from None
        return read(result.to_dict(recursive=True))

    def create_refund(
        self, payment_intent_id: str, *, amount_cents: int, metadata: dict[str, str], idempotency_key: str
    ) -> RefundResult:
        """Send amount_cents of a PaymentIntent's charge back to the customer's card or bank."""
        return self._call(
            self._client.v1.refunds.create,
            params={"payment_intent": payment_intent_id, "amount": amount_cents, "metadata": metadata},
            options={"idempotency_key": idempotency_key},
            read=refund_from_dict,
        )

    def create_intent(
        self, *, amount_cents: int, method_types: list[str], metadata: dict[str, str], idempotency_key: str
    ) -> Intent:
        return self._call(
            self._client.v1.payment_intents.create,
            params={
                "amount": amount_cents,
                "currency": "usd",
                "payment_method_types": method_types,
                "metadata": metadata,
            },
            options={"idempotency_key": idempotency_key},
        )

    def retrieve_intent(self, intent_id: str) -> Intent | None:
        """The intent, or None when Stripe no longer knows it (e.g. a sandbox server restarted)."""
        try:
            return self._call(
                self._client.v1.payment_intents.retrieve, intent_id, params={"expand": ["payment_method"]}
            )
        except GatewayError as error:
            if error.http_status == 404:
                return None
            raise

    def update_intent(self, intent_id: str, *, amount_cents: int, payment_method: str | None = None) -> Intent:
        params: dict = {"amount": amount_cents, "expand": ["payment_method"]}
        if payment_method:
            params["payment_method"] = payment_method
        return self._call(self._client.v1.payment_intents.update, intent_id, params=params)

    def confirm_intent(self, intent_id: str, *, idempotency_key: str, mandate: dict | None = None) -> Intent:
        """Confirm on the server. Cards that need 3-D Secure come back as requires_action for Stripe.js;
        a bank debit carries the customer's online acceptance of the mandate."""
        params: dict = {"expand": ["payment_method"]}
        if mandate:
            params["mandate_data"] = {
                "customer_acceptance": {
                    "type": "online",
                    "online": {"ip_address": mandate["ip_address"], "user_agent": mandate["user_agent"]},
                }
            }
        else:
            params["use_stripe_sdk"] = True
        return self._call(
            self._client.v1.payment_intents.confirm,
            intent_id,
            params=params,
            options={"idempotency_key": idempotency_key},
        )

    def cancel_intent(self, intent_id: str) -> None:
        try:
            self._client.v1.payment_intents.cancel(intent_id)
        except stripe.StripeError:
            pass  # already finished or gone: nothing left to cancel

    def parse_event(self, payload: bytes, signature: str | None) -> GatewayEvent:
        """Verify Stripe-Signature on the raw body with the SDK, then read the event."""
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"), signature or "", self.webhook_secret, SIGNATURE_TOLERANCE
            )
            data = json.loads(payload)
            return GatewayEvent(
                id=str(data["id"]),
                type=str(data["type"]),
                created=datetime.fromtimestamp(int(data["created"]), UTC),
                object=data["data"]["object"],
            )
        except (stripe.SignatureVerificationError, UnicodeDecodeError, ValueError, KeyError, TypeError):
            raise InvalidSignature() from None


def _log_failure(method, args: tuple, kwargs: dict, error: stripe.StripeError) -> None:
    """Which call failed, on what, and Stripe's request id and codes; never keys, client secrets or
    card details (the parameters are not logged, only our own ids from their metadata)."""
    params = kwargs.get("params") or {}
    log.warning(
        "Stripe %s failed: %s (code %s, HTTP %s, request %s) on %s %s",
        getattr(method, "__qualname__", method),
        type(error).__name__,
        error.code,
        error.http_status,
        error.request_id,
        args[0] if args else params.get("payment_intent", "a new object"),
        params.get("metadata") or "",
    )


def _message(error: stripe.StripeError) -> str:
    return error.user_message or "Stripe did not accept the request."


@lru_cache
def gateway() -> StripePayments:
    return StripePayments(get_settings())
