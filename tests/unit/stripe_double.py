"""An in-memory Stripe for core's unit tests: the PaymentGateway protocol with Stripe's state rules
(the adapter itself is tested against the sandbox Stripe in tests/integration)."""

import itertools
from dataclasses import replace

from smslinks.core.payment_gateway import GatewayError, Intent, PaymentDeclined, RefundResult

# Payment method ids the double understands, like Stripe's test cards and bank accounts.
CARD_OK = "pm_card_visa"
CARD_DECLINED = "pm_card_declined"
CARD_3DS = "pm_card_3ds"
BANK = "pm_bank_ok"
BANK_MICRODEPOSITS = "pm_bank_microdeposits"

_DETAIL = {
    CARD_OK: ("card", "Visa •••• 4242"),
    CARD_DECLINED: ("card", "Visa •••• 0002"),
    CARD_3DS: ("card", "Visa •••• 3155"),
    BANK: ("us_bank_account", "STRIPE TEST BANK •••• 6789"),
    BANK_MICRODEPOSITS: ("us_bank_account", "STRIPE TEST BANK •••• 6789"),
}


class StripeDouble:
    publishable_key = "pk_test_double"
    js_url = "http://stripe.invalid/js.stripe.com/v3/"

    def __init__(self):
        self.intents: dict[str, Intent] = {}
        self.calls: list[tuple[str, str]] = []
        self.mandates: dict[str, dict] = {}
        self._ids = itertools.count(1)
        self.unreachable = False

    def _check(self, name: str, intent_id: str = "") -> None:
        self.calls.append((name, intent_id))
        if self.unreachable:
            from smslinks.core.payment_gateway import GatewayUnavailable

            raise GatewayUnavailable("Could not connect to Stripe.")

    def _store(self, intent: Intent) -> Intent:
        self.intents[intent.id] = intent
        return intent

    def create_intent(self, *, amount_cents, method_types, metadata, idempotency_key):
        self._check("create")
        number = next(self._ids)
        return self._store(
            Intent(
                id=f"pi_{number}",
                status="requires_payment_method",
                amount_cents=amount_cents,
                client_secret=f"pi_{number}_secret_x",
                metadata=dict(metadata),
            )
        )

    def retrieve_intent(self, intent_id):
        self._check("retrieve", intent_id)
        return self.intents.get(intent_id)

    def update_intent(self, intent_id, *, amount_cents, payment_method=None, save_for_customer=None):
        self._check("update", intent_id)
        intent = self.intents[intent_id]
        if intent.status in ("processing", "succeeded", "canceled"):
            raise GatewayError("You cannot update this PaymentIntent.", "payment_intent_unexpected_state", 400)
        intent = replace(intent, amount_cents=amount_cents)
        if payment_method:
            intent = self._with_method(intent, payment_method)
        return self._store(intent)

    def _with_method(self, intent: Intent, payment_method: str) -> Intent:
        kind, detail = _DETAIL[payment_method]
        self.intents[intent.id] = intent
        self._methods = getattr(self, "_methods", {})
        self._methods[intent.id] = payment_method
        return replace(
            intent,
            status="requires_confirmation",
            method_type=kind,
            method_detail=detail,
            error_code=None,
            error_message=None,
            next_action=None,
        )

    def attach_bank(self, intent_id: str, payment_method: str = BANK) -> None:
        """What Stripe.js collectBankAccountForPaymentIntent does in the browser."""
        self._store(self._with_method(self.intents[intent_id], payment_method))

    def confirm_intent(self, intent_id, *, idempotency_key, mandate=None):
        self._check("confirm", intent_id)
        intent = self.intents[intent_id]
        if intent.status != "requires_confirmation":
            raise GatewayError("This PaymentIntent cannot be confirmed.", "payment_intent_unexpected_state", 400)
        method = self._methods[intent_id]
        if method == CARD_DECLINED:
            self._store(
                replace(
                    intent,
                    status="requires_payment_method",
                    error_code="card_declined",
                    error_message="Your card was declined.",
                )
            )
            raise PaymentDeclined("Your card was declined.", "card_declined", 402)
        if method == CARD_3DS:
            return self._store(replace(intent, status="requires_action", next_action="use_stripe_sdk"))
        if method in (BANK, BANK_MICRODEPOSITS):
            if not mandate:
                raise GatewayError("mandate_data is required", "parameter_missing", 400)
            self.mandates[intent_id] = mandate
            if method == BANK_MICRODEPOSITS:
                return self._store(
                    replace(
                        intent,
                        status="requires_action",
                        next_action="verify_with_microdeposits",
                        verification_url="https://payments.stripe.com/microdeposit/x",
                    )
                )
            return self._store(replace(intent, status="processing"))
        return self._store(replace(intent, status="succeeded"))

    def authenticate(self, intent_id: str, success: bool = True) -> None:
        """What Stripe.js confirmCardPayment does for 3-D Secure."""
        intent = self.intents[intent_id]
        if success:
            self._store(replace(intent, status="succeeded", next_action=None))
        else:
            self._store(
                replace(
                    intent,
                    status="requires_payment_method",
                    next_action=None,
                    error_code="payment_intent_authentication_failure",
                    error_message="The provided PaymentMethod has failed authentication.",
                )
            )

    def settle(self, intent_id: str, success: bool = True) -> Intent:
        """The bank's answer to a debit, as the webhook's data.object would carry it."""
        intent = self.intents[intent_id]
        if success:
            return self._store(replace(intent, status="succeeded"))
        return self._store(
            replace(
                intent,
                status="requires_payment_method",
                error_code="insufficient_funds",
                error_message="The customer's account has insufficient funds.",
            )
        )

    def create_refund(self, payment_intent_id, *, amount_cents, metadata, idempotency_key):
        """Stripe's refund: a card's succeeds at once, a bank account's waits (pending)."""
        self._check("refund", payment_intent_id)
        self.refunds = getattr(self, "refunds", [])
        status = "pending" if self.intents[payment_intent_id].method_type == "us_bank_account" else "succeeded"
        refund = RefundResult(id=f"re_{next(self._ids)}", status=status, amount_cents=amount_cents)
        self.refunds.append((refund, dict(metadata), idempotency_key))
        return refund

    def forget(self, intent_id: str) -> None:
        """As when the sandbox Stripe restarts: the intent no longer exists."""
        del self.intents[intent_id]
