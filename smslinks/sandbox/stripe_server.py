"""The sandbox Stripe: localstripe, taught the few parts of Stripe's API that smslinks uses and it lacks.

localstripe (PyPI) speaks PaymentIntents, card PaymentMethods and signed webhooks, and serves a fake
Stripe.js at /js.stripe.com/v3/. The app's live integration also needs, and this module adds, in
Stripe's own shapes:

- Stripe.js `createPaymentMethod({type: "card", card})` (the fake only tokenizes), with Stripe's
  "incomplete" messages, and labelled inputs in the fake card form;
- server-side confirmation the way Stripe allows it: `use_stripe_sdk`, `mandate_data`, and a new
  payment method after a decline (localstripe refused to confirm again);
- US bank accounts (ACH): a sandbox stand-in for Stripe's bank connection dialog behind
  `collectBankAccountForPaymentIntent`, `us_bank_account` payment methods with Stripe's test
  routing/account numbers, debits that stay "processing" and then settle or fail (insufficient
  funds, account closed) after --ach-settle-seconds, with `payment_intent.processing` /
  `succeeded` / `payment_failed` webhooks.

It does not do microdeposit verification, real bank logins, refunds or disputes as events (post
signed events to the app for those), and it forgets everything on restart.
"""

import argparse
import asyncio
import logging
import os
import re
import socket

from aiohttp import web
from localstripe import server as localstripe
from localstripe.errors import UserError
from localstripe.resources import (
    BalanceTransaction,
    Store,
    Charge,
    Event,
    PaymentIntent,
    PaymentMethod,
    StripeObject,
    fingerprint,
    try_convert_to_int,
)
from localstripe.webhooks import schedule_webhook

TEST_ROUTING_NUMBER = "110000000"
# Stripe's test bank accounts: account number -> (failure code, message), None for success.
TEST_ACCOUNTS = {
    "000123456789": None,
    "000222222227": ("insufficient_funds", "The customer's account has insufficient funds to cover this payment."),
    "000111111113": ("account_closed", "The customer's bank account has been closed."),
}
# Stripe.js calls these with the publishable key (and the intent's client secret), not the secret key.
_PUBLISHABLE_PATHS = (r"^/v1/payment_methods$", r"^/v1/payment_intents/\w+/_sandbox_attach_bank_account$")

settle_seconds = 20.0

# localstripe pickles its whole store to /tmp/localstripe.pickle on every change, a file every
# localstripe on the machine shares; the sandbox always starts from scratch, so it keeps none.
Store.dump_to_disk = lambda self: None


class UsBankAccount(PaymentMethod):
    """A us_bank_account PaymentMethod (stored and exported like localstripe's own payment methods)."""

    def __init__(self, routing_number=None, account_number=None, account_holder_type="individual",
                 billing_details=None):
        routing, account = str(routing_number or ""), str(account_number or "")
        name = (billing_details or {}).get("name")
        if not (re.fullmatch(r"\d{9}", routing) and re.fullmatch(r"\d{4,17}", account) and name):
            raise UserError(400, "Enter a valid routing number, account number and account holder name.",
                            {"code": "invalid_bank_account"})
        StripeObject.__init__(self)
        self.type = "us_bank_account"
        self.billing_details = billing_details
        self.customer = None
        self.metadata = {}
        self._account_number = account
        self.us_bank_account = {
            "account_holder_type": account_holder_type,
            "account_type": "checking",
            "bank_name": "STRIPE TEST BANK",
            "fingerprint": fingerprint(routing + account),
            "last4": account[-4:],
            "routing_number": routing,
        }

    def _requires_authentication(self):
        return False

    def _attaching_is_declined(self):
        return False

    def _charging_is_declined(self):
        return TEST_ACCOUNTS.get(self._account_number) is not None


def _intent(id: str) -> PaymentIntent:
    return PaymentIntent._api_retrieve(id)


def _unexpected_state(intent: PaymentIntent, action: str) -> UserError:
    return UserError(
        400,
        f"You cannot {action} this PaymentIntent because it has a status of {intent.status}.",
        {"code": "payment_intent_unexpected_state"},
    )


def _use_new_payment_method(intent: PaymentIntent, payment_method: str) -> None:
    """As on Stripe: a new payment method makes the intent confirmable again."""
    PaymentMethod._api_retrieve(payment_method)  # 404 when unknown
    intent.payment_method = payment_method
    intent.latest_charge = None
    intent.next_action = None
    intent._authentication_failed = False


async def update_intent(request: web.Request) -> web.Response:
    data = await localstripe.get_post_data(request) or {}
    expand = data.pop("expand", None)
    intent = _intent(request.match_info["id"])
    if intent.status in ("processing", "succeeded", "canceled"):
        raise _unexpected_state(intent, "update")
    if "payment_method" in data:
        _use_new_payment_method(intent, data.pop("payment_method"))
    data.pop("payment_method_types", None)  # localstripe keeps no list of types
    if "amount" in data:
        amount = try_convert_to_int(data["amount"])
        if not isinstance(amount, int) or amount <= 0:
            raise UserError(400, "Invalid positive integer", {"code": "parameter_invalid_integer", "param": "amount"})
        data["amount"] = amount
    if data:
        intent._update(**data)
    return localstripe.json_response(intent._export(expand=expand))


async def confirm_intent(request: web.Request) -> web.Response:
    data = await localstripe.get_post_data(request) or {}
    expand = data.pop("expand", None)
    payment_method = data.pop("payment_method", None)
    mandate_data = data.pop("mandate_data", None)
    data.pop("use_stripe_sdk", None)
    data.pop("return_url", None)
    if data:
        raise UserError(400, "Received unknown parameters: " + ", ".join(data))
    intent = _intent(request.match_info["id"])
    if payment_method:
        _use_new_payment_method(intent, payment_method)
    if intent.status != "requires_confirmation":
        raise _unexpected_state(intent, "confirm")
    method = PaymentMethod._api_retrieve(intent.payment_method)
    if method.type == "us_bank_account":
        if not mandate_data:
            raise UserError(400, "mandate_data is required to confirm a us_bank_account payment.",
                            {"code": "parameter_missing", "param": "mandate_data"})
        _start_bank_debit(intent, method)
    else:
        intent._confirm(on_failure_now=intent._report_failure)
    return localstripe.json_response(intent._export(expand=expand))


def _start_bank_debit(intent: PaymentIntent, method: UsBankAccount) -> None:
    """ACH: the debit is pending (intent "processing") until the bank settles or returns it."""
    charge = Charge(amount=intent.amount, currency=intent.currency, customer=intent.customer, source=method.id)
    charge.payment_intent = intent.id
    intent.latest_charge = charge
    schedule_webhook(Event("payment_intent.processing", intent))

    async def settle():
        await asyncio.sleep(settle_seconds)
        failure = TEST_ACCOUNTS.get(method._account_number)
        if failure:
            charge.status = "failed"
            charge.failure_code, charge.failure_message = failure
            intent._report_async_failure()
            return
        transaction = BalanceTransaction(amount=charge.amount, currency=charge.currency, exchange_rate=1.0,
                                         reporting_category="charge", source=charge.id, type="charge")
        charge.balance_transaction = transaction.id
        charge.status = "succeeded"
        intent._on_success()

    asyncio.ensure_future(settle())


async def attach_bank_account(request: web.Request) -> web.Response:
    """What Stripe's bank connection dialog does once the customer picked an account."""
    data = await localstripe.get_post_data(request) or {}
    intent = _intent(request.match_info["id"])
    if data.get("client_secret") != intent.client_secret:
        raise UserError(401, "Unauthorized")
    if intent.status not in ("requires_payment_method", "requires_confirmation"):
        raise _unexpected_state(intent, "attach a bank account to")
    method = UsBankAccount(
        routing_number=data.get("routing_number"),
        account_number=data.get("account_number"),
        account_holder_type=data.get("account_holder_type") or "individual",
        billing_details=data.get("billing_details") or {},
    )
    _use_new_payment_method(intent, method.id)
    return localstripe.json_response(intent._export(expand=["payment_method"]))


def _stripe_js(_request: web.Request) -> web.Response:
    here = os.path.dirname(__file__)
    with open(os.path.join(os.path.dirname(localstripe.__file__), "localstripe-v3.js")) as original:
        script = original.read()
    with open(os.path.join(here, "stripe_js_additions.js")) as additions:
        script += "\n" + additions.read()
    return web.Response(text=script, content_type="application/javascript")


@web.middleware
async def auth_middleware(request: web.Request, handler):
    """localstripe's key check, plus the calls Stripe.js makes with the publishable key."""
    if request.method == "POST" and any(re.match(p, request.path) for p in _PUBLISHABLE_PATHS):
        data = await localstripe.get_post_data(request, remove_auth=False)
        if isinstance(data, dict) and str(data.get("key", "")).startswith("pk_"):
            return await handler(request)
    return await localstripe.auth_middleware(request, handler)


def build_app() -> web.Application:
    app = web.Application(
        middlewares=[localstripe.error_middleware, auth_middleware, localstripe.save_store_middleware]
    )
    app.on_response_prepare.append(localstripe.add_cors_headers)
    ours = [
        ("POST", "/v1/payment_intents/{id}/confirm", confirm_intent),
        ("POST", "/v1/payment_intents/{id}/_sandbox_attach_bank_account", attach_bank_account),
        ("POST", "/v1/payment_intents/{id}", update_intent),
        ("GET", "/js.stripe.com/v3/", _stripe_js),
    ]
    for method, path, handler in ours:
        app.router.add_route(method, path, handler)
    taken = {(method, path) for method, path, _ in ours} | {("HEAD", "/js.stripe.com/v3/")}
    for route in localstripe.app.router.routes():
        key = (route.method, route.resource.canonical)
        if key not in taken:
            app.router.add_route(route.method, route.resource.canonical, route.handler)
    return app


def main() -> None:
    global settle_seconds
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8420)
    parser.add_argument("--ach-settle-seconds", type=float, default=settle_seconds)
    args = parser.parse_args()
    settle_seconds = args.ach_settle_seconds
    sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("::", args.port))
    logging.basicConfig(level=logging.INFO)
    web.run_app(build_app(), sock=sock, print=None)


if __name__ == "__main__":
    main()
