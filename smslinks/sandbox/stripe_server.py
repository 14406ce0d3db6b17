"""The sandbox Stripe: localstripe, taught the few parts of Stripe's API that smslinks uses and it lacks.

localstripe (PyPI) speaks PaymentIntents, card PaymentMethods and signed webhooks, and serves a fake
Stripe.js at /js.stripe.com/v3/. The app's live integration also needs, and this module adds, in
Stripe's own shapes:

- Stripe.js `createPaymentMethod({type: "card", card})` (the fake only tokenizes), with Stripe's
  "incomplete" messages, and labelled inputs in the fake card form;
- server-side confirmation the way Stripe allows it: `use_stripe_sdk`, `mandate_data`, `off_session`
  (a saved card that needs 3-D Secure is declined), `setup_future_usage` on an update, and a new
  payment method after a decline (localstripe refused to confirm again);
- US bank accounts (ACH): a sandbox stand-in for Stripe's bank connection dialog behind
  `collectBankAccountForPaymentIntent`, `us_bank_account` payment methods with Stripe's test
  routing/account numbers, debits that stay "processing" and then settle or fail (insufficient
  funds, account closed) after --ach-settle-seconds, with `payment_intent.processing` /
  `succeeded` / `payment_failed` webhooks.

- microdeposit verification for accounts typed in by hand: the intent waits ("requires_action",
  verify_with_microdeposits) until the amounts 32 and 45 are entered on a stand-in for Stripe's
  hosted verification page.

It does not do real bank logins, refunds or disputes as events (post signed events to the app for
those), and it forgets everything on restart.
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
    Charge,
    Event,
    PaymentIntent,
    PaymentMethod,
    Store,
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
# Stripe's test microdeposit amounts (cents) that verify an account entered by hand.
TEST_MICRODEPOSITS = ("32", "45")
# Stripe.js calls these with the publishable key (and the intent's client secret), not the secret key.
_PUBLISHABLE_PATHS = (r"^/v1/payment_methods$", r"^/v1/payment_intents/\w+/_sandbox_attach_bank_account$")
# Stripe's hosted microdeposit page: the customer opens it from the link, without any key.
_HOSTED_PATHS = (r"^/_sandbox/microdeposits/\w+$",)

settle_seconds = 20.0
# Seconds each confirmation waits before Stripe answers: bench/load's slow mode (a slow Stripe while
# other customers open their pages), set with POST /_config/confirm_delay.
confirm_delay_seconds = 0.0

# localstripe pickles its whole store to /tmp/localstripe.pickle on every change, a file every
# localstripe on the machine shares; the sandbox always starts from scratch, so it keeps none.
Store.dump_to_disk = lambda self: None


class UsBankAccount(PaymentMethod):
    """A us_bank_account PaymentMethod (stored and exported like localstripe's own payment methods)."""

    def __init__(
        self,
        routing_number=None,
        account_number=None,
        account_holder_type="individual",
        billing_details=None,
        verification="instant",
    ):
        routing, account = str(routing_number or ""), str(account_number or "")
        name = (billing_details or {}).get("name")
        if routing != TEST_ROUTING_NUMBER or not re.fullmatch(r"\d{4,17}", account) or not name:
            raise UserError(
                400,
                f"Use routing number {TEST_ROUTING_NUMBER}, a test account number and a name.",
                {"code": "invalid_bank_account"},
            )
        StripeObject.__init__(self)
        self.type = "us_bank_account"
        self.billing_details = billing_details
        self.customer = None
        self.metadata = {}
        self._account_number = account
        # Typed in by hand rather than picked after a bank login: Stripe verifies with microdeposits.
        self._needs_microdeposits = verification == "microdeposits"
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
    if "setup_future_usage" in data:  # a card saved with this payment: kept as Stripe shows it
        intent.setup_future_usage = data.pop("setup_future_usage")
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
    if confirm_delay_seconds:
        await asyncio.sleep(confirm_delay_seconds)
    expand = data.pop("expand", None)
    payment_method = data.pop("payment_method", None)
    mandate_data = data.pop("mandate_data", None)
    data.pop("use_stripe_sdk", None)
    data.pop("return_url", None)
    off_session = str(data.pop("off_session", "")).lower() == "true"
    if data:
        raise UserError(400, "Received unknown parameters: " + ", ".join(data))
    intent = _intent(request.match_info["id"])
    if payment_method:
        _use_new_payment_method(intent, payment_method)
    if intent.status != "requires_confirmation":
        raise _unexpected_state(intent, "confirm")
    method = PaymentMethod._api_retrieve(intent.payment_method)
    if off_session and method._requires_authentication():
        # As on Stripe: nobody is there to authenticate, so a charge that needs it is declined.
        raise UserError(
            402,
            "Your card was declined. This transaction requires authentication.",
            {"code": "authentication_required", "decline_code": "authentication_required"},
        )
    if method.type == "us_bank_account":
        if not mandate_data:
            raise UserError(
                400,
                "mandate_data is required to confirm a us_bank_account payment.",
                {"code": "parameter_missing", "param": "mandate_data"},
            )
        if method._needs_microdeposits:
            intent.next_action = {
                "type": "verify_with_microdeposits",
                "verify_with_microdeposits": {
                    "hosted_verification_url": f"{request.scheme}://{request.host}/_sandbox/microdeposits/"
                    f"{intent.id}?client_secret={intent.client_secret}",
                    "microdeposit_type": "amounts",
                },
            }
        else:
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
        transaction = BalanceTransaction(
            amount=charge.amount,
            currency=charge.currency,
            exchange_rate=1.0,
            reporting_category="charge",
            source=charge.id,
            type="charge",
        )
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
        verification=data.get("verification") or "instant",
    )
    _use_new_payment_method(intent, method.id)
    return localstripe.json_response(intent._export(expand=["payment_method"]))


_MICRODEPOSIT_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>Verify your bank account</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;color:#0f172a;max-width:28rem;margin:0 auto;padding:1rem}}
label{{display:block;font-weight:600;margin-top:1rem}}input{{font:inherit;width:100%;min-height:3rem;
padding:.5rem;box-sizing:border-box}}button{{margin-top:1.25rem;width:100%;min-height:3rem;border:0;
border-radius:8px;background:#0f766e;color:#fff;font:600 1.05rem system-ui}}.note{{color:#475569}}</style>
</head><body><h1>Verify your bank account</h1>
<p class="note">Sandbox stand-in for Stripe's microdeposit page. Two deposits of $0.32 and $0.45 arrived.</p>
<p role="status">{message}</p>
<form method="post"><label for="first">First deposit (cents)</label><input id="first" name="first" inputmode="numeric">
<label for="second">Second deposit (cents)</label><input id="second" name="second" inputmode="numeric">
<button type="submit">Verify account</button></form></body></html>"""


async def microdeposits(request: web.Request) -> web.Response:
    """Stripe's hosted verification page: the right two amounts start the debit."""
    intent = _intent(request.match_info["id"])
    if request.query.get("client_secret") != intent.client_secret:
        raise UserError(401, "Unauthorized")
    message = ""
    if request.method == "POST":
        form = await request.post()
        if intent.status != "requires_action":
            message = "This account is already verified."
        elif (form.get("first", "").strip(), form.get("second", "").strip()) in (
            TEST_MICRODEPOSITS,
            TEST_MICRODEPOSITS[::-1],
        ):
            method = PaymentMethod._api_retrieve(intent.payment_method)
            method._needs_microdeposits = False
            intent.next_action = None
            _start_bank_debit(intent, method)
            message = "Verified. The payment is on its way; you can close this page."
        else:
            message = "Those amounts don't match. Try again."
    return web.Response(text=_MICRODEPOSIT_PAGE.format(message=message), content_type="text/html")


async def set_confirm_delay(request: web.Request) -> web.Response:
    """POST seconds=<float>: how long each later confirmation waits (sandbox configuration, like
    localstripe's own /_config routes)."""
    global confirm_delay_seconds
    form = await request.post()
    try:
        seconds = float(str(form.get("seconds", "")))
    except ValueError:
        raise UserError(400, "seconds must be a number") from None
    if not 0 <= seconds <= 60:
        raise UserError(400, "seconds must be between 0 and 60")
    confirm_delay_seconds = seconds
    return web.json_response({"confirm_delay_seconds": seconds})


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
    if any(re.match(p, request.path) for p in _HOSTED_PATHS):
        return await handler(request)
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
        ("POST", "/_config/confirm_delay", set_confirm_delay),
        ("POST", "/v1/payment_intents/{id}/_sandbox_attach_bank_account", attach_bank_account),
        ("POST", "/v1/payment_intents/{id}", update_intent),
        ("GET", "/js.stripe.com/v3/", _stripe_js),
        ("GET", "/_sandbox/microdeposits/{id}", microdeposits),
        ("POST", "/_sandbox/microdeposits/{id}", microdeposits),
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
    logging.basicConfig(level=logging.INFO)
    web.run_app(build_app(), sock=loopback_sockets(args.port), print=None)


def loopback_sockets(port: int) -> list[socket.socket]:
    """This machine only, on both loopbacks (a browser may resolve localhost to ::1 first): the sandbox
    takes card numbers and answers to anyone, so it is not for the network."""
    sockets = []
    for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
        sock = socket.socket(family, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family == socket.AF_INET6:
            sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
        try:
            sock.bind((address, port))
        except OSError:
            sock.close()
            if family == socket.AF_INET:
                raise
            continue  # no IPv6 loopback on this machine
        sockets.append(sock)
    return sockets


if __name__ == "__main__":
    main()
