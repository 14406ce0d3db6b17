"""Refunds with the real Stripe SDK against the sandbox Stripe, on PostgreSQL: the refundable limit,
concurrent clicks, and a refund made in Stripe's dashboard arriving as a signed charge.refunded."""

import pytest
import sqlalchemy as sa
import stripe
from sqlmodel import Session, select

from smslinks import db, providers
from smslinks.core import payments, refunds
from smslinks.core.refunds import RefundRefused
from smslinks.models import AuditEvent, Business, Invoice, InvoiceStatus, Payment, PaymentRefund
from tests import factories
from tests.concurrency import at_once
from tests.integration.test_stripe_payments import (  # noqa: F401
    CLIENT,
    _card_method,
    _event,
    _fresh,
    _invoice,
    _signed_post,
    gateway,
    session,
    stack,
)


def _paid(stack, session, gateway, total_cents=25_000):  # noqa: F811
    settings, _url = stack
    invoice, token = _invoice(session, total_cents=total_cents)
    outcome = payments.pay_by_card(session, gateway, token, client=CLIENT, payment_method=_card_method(settings))
    session.commit()
    assert outcome.status == "succeeded"
    accountant = factories.employee(session, session.get(Business, invoice.business_id), role="Accountant")
    session.commit()
    [payment] = _fresh(session, Payment, invoice_id=invoice.id)
    return invoice, accountant, payment


def _stripe_refunds(settings, intent_id: str) -> list[dict]:
    client = stripe.StripeClient(settings.stripe_keys[0], base_addresses={"api": settings.stripe_base_url})
    listed = client.v1.refunds.list(params={"payment_intent": intent_id, "limit": 100}).data
    return [refund.to_dict(recursive=True) for refund in listed]


def test_a_refund_above_what_is_refundable_is_refused_and_stripe_is_not_asked(stack, session, gateway):  # noqa: F811
    settings, _url = stack
    invoice, accountant, payment = _paid(stack, session, gateway)
    first = refunds.refund_payment(
        session, gateway, accountant, payment.id, amount_text="100", reason="Part refund", idempotency_key="i-1"
    )
    assert first.status == "succeeded"
    with pytest.raises(RefundRefused, match=r"At most \$150\.00"):
        refunds.refund_payment(
            session, gateway, accountant, payment.id, amount_text="150.01", reason="Too much", idempotency_key="i-2"
        )
    session.rollback()
    assert [r["amount"] for r in _stripe_refunds(settings, payment.stripe_payment_intent_id)] == [10_000]
    assert len(_fresh(session, PaymentRefund, payment_id=payment.id)) == 1
    assert session.get(Invoice, invoice.id).balance_cents == 10_000


def test_twenty_concurrent_clicks_refund_once(stack, session, migrated_postgres_url):  # noqa: F811
    settings, _url = stack
    gateway_ = providers.payment_gateway()
    invoice, accountant, payment = _paid(stack, session, gateway_)
    engine = sa.create_engine(db.normalize_url(migrated_postgres_url), pool_size=20, max_overflow=0)

    def click(_n: int, start) -> str:
        with Session(engine, expire_on_commit=False) as own:
            employee = own.get(type(accountant), accountant.id)
            start()
            outcome = refunds.refund_payment(
                own, gateway_, employee, payment.id, amount_text="60", reason="Twice", idempotency_key="same-dialog"
            )
            own.commit()
            return outcome.status

    try:
        results = at_once(20, click)
    finally:
        engine.dispose()
    assert set(results) <= {"succeeded", "requested"} and "succeeded" in results, results
    assert [r["amount"] for r in _stripe_refunds(settings, payment.stripe_payment_intent_id)] == [6_000]
    [refund] = _fresh(session, PaymentRefund, payment_id=payment.id)
    assert refund.status == "succeeded"
    [payment] = _fresh(session, Payment, id=payment.id)
    assert payment.refunded_cents == 6_000 and session.get(Invoice, invoice.id).balance_cents == 6_000


def test_twenty_concurrent_full_refunds_from_different_dialogs_refund_once(stack, session, migrated_postgres_url):  # noqa: F811
    settings, _url = stack
    gateway_ = providers.payment_gateway()
    _invoice_, accountant, payment = _paid(stack, session, gateway_, total_cents=12_345)
    engine = sa.create_engine(db.normalize_url(migrated_postgres_url), pool_size=20, max_overflow=0)

    def click(n: int, start) -> str:
        with Session(engine, expire_on_commit=False) as own:
            employee = own.get(type(accountant), accountant.id)
            start()
            try:
                outcome = refunds.refund_payment(
                    own, gateway_, employee, payment.id, amount_text="", reason="All", idempotency_key=f"tab-{n}"
                )
                own.commit()
                return outcome.status
            except RefundRefused:
                own.rollback()
                return "refused"

    try:
        results = at_once(20, click)
    finally:
        engine.dispose()
    assert sorted(results) == ["refused"] * 19 + ["succeeded"], results
    assert [r["amount"] for r in _stripe_refunds(settings, payment.stripe_payment_intent_id)] == [12_345]


def test_a_refund_made_in_stripes_dashboard_arrives_signed_and_is_applied_once(stack, session, gateway):  # noqa: F811
    settings, url = stack
    invoice, _accountant, payment = _paid(stack, session, gateway)
    client = stripe.StripeClient(settings.stripe_keys[0], base_addresses={"api": settings.stripe_base_url})
    made = client.v1.refunds.create(params={"payment_intent": payment.stripe_payment_intent_id, "amount": 4_000})
    charge = client.v1.charges.retrieve(made.charge).to_dict(recursive=True)
    charge["amount_refunded"] = 4_000  # what Stripe's charge.refunded carries
    charge["refunds"] = {"object": "list", "data": [made.to_dict(recursive=True)]}
    event = _event("charge.refunded", charge)
    first, replay = _signed_post(url, event), _signed_post(url, event)
    again = _signed_post(url, _event("charge.refunded", charge))  # the same news under another event id
    assert [r.status_code for r in (first, replay, again)] == [200, 200, 200]
    assert (first.json()["applied"], replay.json()["applied"]) == (True, False)
    [refund] = _fresh(session, PaymentRefund, payment_id=payment.id)
    assert (refund.stripe_refund_id, refund.amount_cents, refund.status) == (made.id, 4_000, "succeeded")
    [payment] = _fresh(session, Payment, id=payment.id)
    assert payment.refunded_cents == 4_000
    invoice = session.get(Invoice, invoice.id)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 4_000
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.subject_type == "payment", AuditEvent.subject_id == str(payment.id))
    ).all()
    assert actions.count("payment.refunded") == 1
