"""Payments with the real Stripe SDK against the sandbox Stripe, on PostgreSQL, and webhooks with
genuine signatures posted to the real /webhooks/stripe route."""

import json
import os
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
import stripe
import uvicorn
from sqlmodel import Session, func, select

from smslinks import db, providers
from smslinks.api import build_api
from smslinks.config import SANDBOX_STRIPE_WEBHOOK_SECRET, get_settings
from smslinks.core import links, outbox, payments
from smslinks.core.payments import PaymentRefused
from smslinks.models import (
    Invoice,
    InvoiceStatus,
    OutboundMessage,
    Payment,
    PaymentStatus,
    ProcessedWebhookEvent,
)
from smslinks.providers import stripe_payments
from smslinks.providers.stripe_payments import PaymentDeclined
from smslinks.sandbox.runner import (
    child,
    environ,
    free_port,
    register_stripe_webhook,
    wait_for_port,
)
from tests import factories
from tests.concurrency import at_once

CLIENT = "198.51.100.20"


@contextmanager
def _env(**values):
    with environ({key: str(value) for key, value in values.items()}):
        _clear_caches()
        try:
            yield get_settings()
        finally:
            _clear_caches()


def _clear_caches():
    get_settings.cache_clear()
    db.get_engine.cache_clear()
    stripe_payments.gateway.cache_clear()


@contextmanager
def _sandbox_stripe(port: int, settle_seconds: float):
    argv = [
        sys.executable,
        "-m",
        "smslinks.sandbox.stripe_server",
        "--port",
        str(port),
        "--ach-settle-seconds",
        str(settle_seconds),
    ]
    with child(argv, log=Path(tempfile.gettempdir()) / f"smslinks-sandbox-stripe-{port}.log") as process:
        wait_for_port(port, process)
        yield


@contextmanager
def _webhook_server(port: int):
    server = uvicorn.Server(uvicorn.Config(build_api(), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    wait_for_port(port)
    try:
        yield f"http://localhost:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def stack(migrated_postgres_url):
    """Sandbox Stripe (ACH settles only when a test says so, via signed events) + our webhook route on PostgreSQL."""
    stripe_port, app_port = free_port(), free_port()
    with _env(
        DATABASE_URL=migrated_postgres_url,
        SMSLINKS_SANDBOX_STRIPE_PORT=stripe_port,
        SMSLINKS_PUBLIC_URL=f"http://localhost:{app_port}",
    ) as settings:
        with _sandbox_stripe(stripe_port, settle_seconds=3600), _webhook_server(app_port) as url:
            register_stripe_webhook(settings)
            yield settings, url


@pytest.fixture
def gateway(stack):
    return providers.payment_gateway()


@pytest.fixture
def session(stack):
    with Session(db.get_engine(), expire_on_commit=False) as session:
        yield session


def _invoice(session, total_cents=25_000):
    business = factories.business(session)
    customer = factories.customer(session, business)
    location = factories.location(session, customer)
    phone = factories.phone(session, "512-555-0177", customer=customer)
    invoice = factories.invoice(session, location, total_cents=total_cents)
    link, token = links.mint(session, invoice)
    outbox.enqueue(
        session,
        business_id=business.id,
        channel="sms",
        to_address=phone.e164,
        body="link",
        invoice_id=invoice.id,
        payment_link_id=link.id,
    )
    session.commit()
    return invoice, token


def _card_method(settings, number="4242424242424242") -> str:
    body = json.dumps(
        {
            "key": settings.stripe_keys[1],
            "type": "card",
            "card": {"number": number, "exp_month": "12", "exp_year": "2034", "cvc": "123"},
        }
    ).encode()
    request = urllib.request.Request(f"{settings.stripe_base_url}/v1/payment_methods", data=body, method="POST")
    with urllib.request.urlopen(request) as response:
        return json.load(response)["id"]


def _connect_bank(settings, session, gateway, token, account="000123456789") -> str:
    secret = payments.prepare_bank_payment(session, gateway, token, client=CLIENT)
    session.commit()
    intent_id = secret.split("_secret_")[0]
    body = json.dumps(
        {
            "key": settings.stripe_keys[1],
            "client_secret": secret,
            "routing_number": "110000000",
            "account_number": account,
            "billing_details": {"name": "Pat"},
        }
    ).encode()
    request = urllib.request.Request(
        f"{settings.stripe_base_url}/v1/payment_intents/{intent_id}/_sandbox_attach_bank_account",
        data=body,
        method="POST",
    )
    urllib.request.urlopen(request).read()
    return intent_id


def _pay_bank(session, gateway, token):
    outcome = payments.pay_by_bank(
        session, gateway, token, client=CLIENT, accepted=True, ip_address=CLIENT, user_agent="pytest"
    )
    session.commit()
    return outcome


def _stripe_json(settings, intent_id: str) -> dict:
    client = stripe.StripeClient(settings.stripe_keys[0], base_addresses={"api": settings.stripe_base_url})
    return client.v1.payment_intents.retrieve(intent_id).to_dict(recursive=True)


def _signed_post(url: str, event: dict, secret: str = SANDBOX_STRIPE_WEBHOOK_SECRET) -> httpx.Response:
    payload = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(payload, secret)
    return httpx.post(
        f"{url}/webhooks/stripe",
        content=payload,
        headers={"Stripe-Signature": signature, "Content-Type": "application/json"},
    )


def _event(kind: str, obj: dict, event_id: str | None = None) -> dict:
    return {
        "id": event_id or f"evt_{os.urandom(8).hex()}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": obj},
    }


def _fresh(session, model, **where):
    session.expire_all()
    statement = select(model)
    for name, value in where.items():
        statement = statement.where(getattr(model, name) == value)
    return session.exec(statement).all()


# --- the adapter against the sandbox Stripe -------------------------------------------------------


def test_cards_decline_and_three_d_secure_come_back_in_stripes_words(stack, gateway):
    settings, _url = stack
    intent = gateway.create_intent(amount_cents=5_000, method_types=["card"], metadata={}, idempotency_key="t-1")
    gateway.update_intent(intent.id, amount_cents=5_000, payment_method=_card_method(settings, "4000000000000341"))
    with pytest.raises(PaymentDeclined) as declined:
        gateway.confirm_intent(intent.id, idempotency_key="t-1-a")
    assert declined.value.message == "Your card was declined." and declined.value.code == "card_declined"
    gateway.update_intent(intent.id, amount_cents=5_000, payment_method=_card_method(settings, "4000002500003155"))
    challenged = gateway.confirm_intent(intent.id, idempotency_key="t-1-b")
    assert challenged.status == "requires_action" and challenged.client_secret.startswith(intent.id)
    assert challenged.method_detail == "Visa •••• 3155"
    assert gateway.retrieve_intent("pi_doesnotexist") is None


# --- webhooks --------------------------------------------------------------------------------------


def test_a_forged_or_tampered_signature_is_rejected(stack, session, gateway):
    settings, url = stack
    invoice, token = _invoice(session)
    intent_id = _connect_bank(settings, session, gateway, token)
    _pay_bank(session, gateway, token)
    event = _event("payment_intent.succeeded", _stripe_json(settings, intent_id) | {"status": "succeeded"})
    assert _signed_post(url, event, secret="whsec_forged").status_code == 400
    assert httpx.post(f"{url}/webhooks/stripe", json=event).status_code == 400
    payload = json.dumps(event)
    header = stripe.WebhookSignature.generate_signature_header(payload, SANDBOX_STRIPE_WEBHOOK_SECRET)
    tampered = payload.replace('"amount": 25000', '"amount": 1')
    response = httpx.post(f"{url}/webhooks/stripe", content=tampered, headers={"Stripe-Signature": header})
    assert response.status_code == 400
    assert _fresh(session, Payment, invoice_id=invoice.id)[0].status == PaymentStatus.PROCESSING
    assert _fresh(session, ProcessedWebhookEvent, event_id=event["id"]) == []


def test_a_replayed_event_is_applied_once(stack, session, gateway):
    settings, url = stack
    invoice, token = _invoice(session)
    intent_id = _connect_bank(settings, session, gateway, token)
    assert _pay_bank(session, gateway, token).status == "processing"
    event = _event("payment_intent.succeeded", _stripe_json(settings, intent_id) | {"status": "succeeded"})
    first, second = _signed_post(url, event), _signed_post(url, event)
    assert (first.status_code, first.json()["applied"]) == (200, True)
    assert (second.status_code, second.json()["applied"]) == (200, False)
    [payment] = _fresh(session, Payment, invoice_id=invoice.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert session.get(Invoice, invoice.id).status == InvoiceStatus.PAID
    receipts = _fresh(session, OutboundMessage, idempotency_key=f"receipt-payment-{payment.id}")
    assert len(receipts) == 1 and receipts[0].to_address == "+15125550177"


def test_events_out_of_order(stack, session, gateway):
    settings, url = stack
    paid, paid_token = _invoice(session)
    intent_id = _connect_bank(settings, session, gateway, paid_token)
    _pay_bank(session, gateway, paid_token)
    processing = _event("payment_intent.processing", _stripe_json(settings, intent_id))
    succeeded = _event("payment_intent.succeeded", _stripe_json(settings, intent_id) | {"status": "succeeded"})
    assert _signed_post(url, succeeded).status_code == 200
    assert _signed_post(url, processing).status_code == 200  # late: changes nothing
    assert _fresh(session, Payment, invoice_id=paid.id)[0].status == PaymentStatus.SUCCEEDED

    returned, returned_token = _invoice(session)
    intent_id = _connect_bank(settings, session, gateway, returned_token, account="000222222227")
    _pay_bank(session, gateway, returned_token)
    failed = _stripe_json(settings, intent_id) | {
        "status": "requires_payment_method",
        "last_payment_error": {"code": "insufficient_funds", "message": "Insufficient funds."},
    }
    processing = _event("payment_intent.processing", _stripe_json(settings, intent_id))
    assert _signed_post(url, _event("payment_intent.payment_failed", failed)).status_code == 200
    assert _signed_post(url, processing).status_code == 200
    [payment] = _fresh(session, Payment, invoice_id=returned.id)
    assert payment.status == PaymentStatus.FAILED and payment.failure_reason == "Insufficient funds."
    invoice = session.get(Invoice, returned.id)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 25_000

    refund = {"id": "ch_x", "object": "charge", "payment_intent": intent_id, "amount": 25_000, "amount_refunded": 0}
    assert _signed_post(url, _event("charge.refunded", refund | {"payment_intent": "pi_not_ours"})).status_code == 200


def test_fifty_concurrent_confirm_attempts_collect_the_balance_once(stack, session, migrated_postgres_url):
    settings, _url = stack
    invoice, token = _invoice(session, total_cents=31_415)
    methods = [_card_method(settings) for _ in range(50)]
    engine = sa.create_engine(db.normalize_url(migrated_postgres_url), pool_size=50, max_overflow=0)
    gateway = providers.payment_gateway()

    def attempt(index: int, start) -> str:
        with Session(engine, expire_on_commit=False) as own:
            start()
            try:
                outcome = payments.pay_by_card(own, gateway, token, client=CLIENT, payment_method=methods[index])
                own.commit()
                return outcome.status
            except PaymentRefused as refused:
                own.rollback()
                return refused.code

    try:
        results = at_once(50, attempt)
    finally:
        engine.dispose()
    assert results.count("succeeded") == 1
    assert set(results) <= {"succeeded", "nothing_due"}, results
    [payment] = _fresh(session, Payment, invoice_id=invoice.id)
    assert payment.amount_cents == 31_415
    assert session.get(Invoice, invoice.id).amount_paid_cents == 31_415
    client = stripe.StripeClient(settings.stripe_keys[0], base_addresses={"api": settings.stripe_base_url})
    intents = [pi.to_dict(recursive=True) for pi in client.v1.payment_intents.list(params={"limit": 100}).data]
    collected = [
        pi["amount"]
        for pi in intents
        if pi["metadata"].get("smslinks_invoice_id") == str(invoice.id) and pi["status"] == "succeeded"
    ]
    assert collected == [31_415]


# --- the sandbox Stripe's own webhooks ---------------------------------------------------------------


@pytest.fixture
def settling_stack(migrated_postgres_url):
    """A sandbox Stripe whose bank debits settle after one second, posting its own signed webhooks."""
    stripe_port, app_port = free_port(), free_port()
    with _env(
        DATABASE_URL=migrated_postgres_url,
        SMSLINKS_SANDBOX_STRIPE_PORT=stripe_port,
        SMSLINKS_PUBLIC_URL=f"http://localhost:{app_port}",
    ) as settings:
        with _sandbox_stripe(stripe_port, settle_seconds=1), _webhook_server(app_port):
            register_stripe_webhook(settings)
            with Session(db.get_engine(), expire_on_commit=False) as session:
                yield settings, session


def _wait_for(check, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.2)
    return False


def test_sandbox_webhooks_reach_our_endpoint_and_settle_bank_payments(settling_stack):
    settings, session = settling_stack
    gateway = providers.payment_gateway()
    card_invoice, card_token = _invoice(session)
    outcome = payments.pay_by_card(session, gateway, card_token, client=CLIENT, payment_method=_card_method(settings))
    session.commit()
    assert outcome.status == "succeeded"

    def applied() -> int:
        session.expire_all()
        return session.exec(select(func.count()).select_from(ProcessedWebhookEvent)).one()

    before = applied()
    paid, paid_token = _invoice(session)
    _connect_bank(settings, session, gateway, paid_token)
    _pay_bank(session, gateway, paid_token)
    returned, returned_token = _invoice(session)
    _connect_bank(settings, session, gateway, returned_token, account="000111111113")
    _pay_bank(session, gateway, returned_token)

    assert _wait_for(lambda: _fresh(session, Invoice, id=paid.id)[0].status == InvoiceStatus.PAID)
    assert _wait_for(lambda: _fresh(session, Payment, invoice_id=returned.id)[0].status == PaymentStatus.FAILED)
    assert "closed" in _fresh(session, Payment, invoice_id=returned.id)[0].failure_reason
    assert _wait_for(lambda: applied() >= before + 4)  # processing + outcome, for each debit
    assert len(_fresh(session, Payment, invoice_id=card_invoice.id)) == 1


def test_an_intent_lost_by_a_restarted_sandbox_is_replaced(migrated_postgres_url):
    port = free_port()
    with _env(DATABASE_URL=migrated_postgres_url, SMSLINKS_SANDBOX_STRIPE_PORT=port) as settings:
        with Session(db.get_engine(), expire_on_commit=False) as session:
            invoice, token = _invoice(session)
            with _sandbox_stripe(port, settle_seconds=3600):
                first = payments.prepare_bank_payment(session, providers.payment_gateway(), token, client=CLIENT)
                session.commit()
            with _sandbox_stripe(port, settle_seconds=3600):
                outcome = payments.pay_by_card(
                    session, providers.payment_gateway(), token, client=CLIENT, payment_method=_card_method(settings)
                )
                session.commit()
            assert outcome.status == "succeeded"
            assert (
                _fresh(session, Payment, invoice_id=invoice.id)[0].stripe_payment_intent_id
                != first.split("_secret_")[0]
            )
