"""Stripe through its official SDK: PaymentIntents for cards and US bank accounts, and webhook events.

The same code runs in live mode (api.stripe.com) and in sandbox mode (the local Stripe server on
settings.stripe_base_url); only the keys and the base address differ. Nothing here decides anything:
core/payments.py holds the rules and calls this adapter through its port, core/payment_gateway.py
(whose types and errors this module speaks).
"""

import json
import logging
from datetime import UTC, datetime
from functools import lru_cache

import stripe

from smslinks.config import Settings, get_settings
from smslinks.core.payment_gateway import (
    CardOnFile,
    GatewayError,
    GatewayEvent,
    GatewayUnavailable,
    Intent,
    InvalidSignature,
    PaymentDeclined,
    RefundResult,
    card_from_dict,
    intent_from_dict,
    refund_from_dict,
)

log = logging.getLogger(__name__)

LIVE_STRIPE_JS_URL = "https://js.stripe.com/v3/"
# Seconds a signed event stays acceptable (Stripe's own default): replays of old events are refused.
SIGNATURE_TOLERANCE = 300
# A customer (or the office) waits on the page for every Stripe call: seconds, not the SDK's 80.
# One request may take this long, and is tried at most once more, so a call gives up within about
# 2 x 10 s (Stripe answers in well under a second); the caller then asks Stripe what happened.
REQUEST_TIMEOUT_SECONDS = 10
MAX_NETWORK_RETRIES = 1


class StripePayments:
    """The PaymentGateway core/payments.py uses, backed by stripe.StripeClient."""

    def __init__(self, settings: Settings):
        secret_key, self.publishable_key, self.webhook_secret = settings.stripe_keys
        base = settings.stripe_base_url
        self.js_url = f"{base}/js.stripe.com/v3/" if base else LIVE_STRIPE_JS_URL
        # Retries are safe: every call that creates or moves money carries an idempotency key.
        self._client = stripe.StripeClient(
            secret_key,
            max_network_retries=MAX_NETWORK_RETRIES,
            http_client=stripe.RequestsClient(timeout=REQUEST_TIMEOUT_SECONDS),
            base_addresses={"api": base} if base else None,
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
        self,
        *,
        amount_cents: int,
        method_types: list[str],
        metadata: dict[str, str],
        idempotency_key: str,
        customer: str | None = None,
        payment_method: str | None = None,
    ) -> Intent:
        """A new intent; with a customer and one of their saved cards, ready to charge off session."""
        params: dict = {
            "amount": amount_cents,
            "currency": "usd",
            "payment_method_types": method_types,
            "metadata": metadata,
        }
        if customer:
            params["customer"] = customer
        if payment_method:
            params |= {"payment_method": payment_method, "expand": ["payment_method"]}
        return self._call(
            self._client.v1.payment_intents.create, params=params, options={"idempotency_key": idempotency_key}
        )

    def create_customer(self, *, name: str, metadata: dict[str, str], idempotency_key: str) -> str:
        """A Stripe Customer (its id) for one of the business's customers, to keep saved cards on."""
        return self._call(
            self._client.v1.customers.create,
            params={"name": name[:256], "metadata": metadata},
            options={"idempotency_key": idempotency_key},
            read=lambda data: str(data["id"]),
        )

    def attach_card(self, payment_method: str, *, customer: str) -> CardOnFile:
        """Keep a card on the customer: the bank may decline it here already."""
        return self._call(
            self._client.v1.payment_methods.attach,
            payment_method,
            params={"customer": customer},
            read=card_from_dict,
        )

    def detach_card(self, payment_method: str) -> None:
        """Take a card off its customer: it can never be charged again."""
        self._call(self._client.v1.payment_methods.detach, payment_method, read=lambda data: None)

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

    def update_intent(
        self,
        intent_id: str,
        *,
        amount_cents: int,
        payment_method: str | None = None,
        save_for_customer: str | None = None,
    ) -> Intent:
        """With save_for_customer, the card is kept on that Stripe Customer for charges off session."""
        params: dict = {"amount": amount_cents, "expand": ["payment_method"]}
        if payment_method:
            params["payment_method"] = payment_method
        if save_for_customer:
            params |= {"customer": save_for_customer, "setup_future_usage": "off_session"}
        return self._call(self._client.v1.payment_intents.update, intent_id, params=params)

    def confirm_intent(
        self, intent_id: str, *, idempotency_key: str, mandate: dict | None = None, off_session: bool = False
    ) -> Intent:
        """Confirm on the server. Cards that need 3-D Secure come back as requires_action for Stripe.js;
        a bank debit carries the customer's online acceptance of the mandate; a saved card charged
        while the customer is away (off_session) is declined rather than sent to authenticate."""
        params: dict = {"expand": ["payment_method"]}
        if off_session:
            params["off_session"] = True
        elif mandate:
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
