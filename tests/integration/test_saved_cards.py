"""Saved cards with the real Stripe SDK against the sandbox Stripe, on PostgreSQL: saved with the
consent as shown, paid with in one tap, charged by the office once per dialog, a decline that texts
nobody, and a card without consent that no handler (pay page, office, REST API) can charge."""

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
import reflex as rx
import stripe
from sqlmodel import select

from smslinks.api.v1 import build_v1
from smslinks.core import auth, links, outbox, saved_cards, tokens
from smslinks.core.errors import NotAllowed
from smslinks.models import (
    AuditEvent,
    Business,
    Customer,
    Invoice,
    InvoiceStatus,
    OutboundMessage,
    Payment,
    PaymentStatus,
    SavedCard,
    StripePaymentIntent,
    utcnow,
)
from smslinks.state.invoice_detail import ChargeSavedCardState
from smslinks.state.pay import PayState
from tests import factories
from tests.integration.test_stripe_payments import (  # noqa: F401
    CLIENT,
    _card_method,
    _fresh,
    gateway,
    session,
    stack,
)

CONSENT = saved_cards.Consent("en", "203.0.113.9", "Mozilla/5.0 (iPhone; saved-cards test)")


def _customer_with_invoices(session, count=3, total_cents=12_000):  # noqa: F811
    """One customer (with a mobile number) and `count` open invoices, each with a link: tokens."""
    business = factories.business(session, name="Cool Air HVAC")
    customer = factories.customer(session, business)
    location = factories.location(session, customer)
    phone = factories.phone(session, "512-555-0188", customer=customer)
    found = []
    for _ in range(count):
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
        found.append((invoice, token))
    session.commit()
    return customer, found


def _stripe(settings) -> stripe.StripeClient:
    return stripe.StripeClient(settings.stripe_keys[0], base_addresses={"api": settings.stripe_base_url})


def _texts(session, invoice_id: int) -> list[str]:  # noqa: F811
    rows = _fresh(session, OutboundMessage, invoice_id=invoice_id)
    return [row.body for row in rows if row.body != "link"]


def test_a_saved_card_pays_the_next_invoice_in_one_tap_and_the_office_charges_it_once(stack, session, gateway):  # noqa: F811
    settings, _url = stack
    customer, [(first, first_token), (second, second_token), (third, _)] = _customer_with_invoices(session)
    outcome = saved_cards.pay_by_card_and_save(
        session, gateway, first_token, client=CLIENT, payment_method=_card_method(settings), consent=CONSENT
    )
    assert outcome.status == "succeeded"
    [card] = _fresh(session, SavedCard, customer_id=customer.id)
    assert card.consent_text == "Save this card for future invoices from Cool Air HVAC"
    assert (card.consent_ip, card.consent_user_agent) == (CONSENT.ip_address, CONSENT.user_agent)
    assert card.consented_at is not None and card.removed_at is None
    assert (card.brand, card.last4, card.invoice_id) == ("Visa", "4242", first.id)
    stripe_customer = session.get(Customer, customer.id).stripe_customer_id
    assert _stripe(settings).v1.payment_methods.retrieve(card.stripe_payment_method_id).customer == stripe_customer

    one_tap = saved_cards.pay_with_saved_card(session, gateway, second_token, client=CLIENT, key="tap-1")
    assert (one_tap.status, one_tap.amount_cents, one_tap.method) == ("succeeded", 12_000, "Visa •••• 4242")
    assert session.get(Invoice, second.id).status == InvoiceStatus.PAID
    assert "received" in _texts(session, second.id)[0]  # the receipt

    accountant = factories.employee(session, session.get(Business, first.business_id), role="Accountant")
    session.commit()
    for _click in range(2):  # a double click on the same dialog charges once
        charged = saved_cards.charge_for_office(
            session, gateway, accountant, third.id, amount_text="", idempotency_key="dialog-1"
        )
        assert (charged.status, charged.amount_cents) == ("succeeded", 12_000)
    [payment] = _fresh(session, Payment, invoice_id=third.id)
    assert payment.status == PaymentStatus.SUCCEEDED
    assert len(_texts(session, third.id)) == 1
    charges = session.exec(select(AuditEvent).where(AuditEvent.action == "saved_card.charged")).all()
    assert {c.actor for c in charges} >= {"customer", accountant.name}
    record = session.exec(select(StripePaymentIntent).where(StripePaymentIntent.idempotency_key == "dialog-1")).one()
    assert (record.saved_card_id, record.charged_by_employee_id) == (card.id, accountant.id)


def test_without_the_permission_the_office_cannot_charge(stack, session, gateway):  # noqa: F811
    settings, _url = stack
    customer, [(first, token), (second, _)] = _customer_with_invoices(session, count=2)
    saved_cards.pay_by_card_and_save(
        session, gateway, token, client=CLIENT, payment_method=_card_method(settings), consent=CONSENT
    )
    office = factories.employee(session, session.get(Business, first.business_id), role="Office employee")
    session.commit()
    assert saved_cards.charge_form(session, office, second.id) is None
    with pytest.raises(NotAllowed, match="Charge saved cards"):
        saved_cards.charge_for_office(session, gateway, office, second.id, amount_text="", idempotency_key="k")
    session.rollback()
    assert _fresh(session, Payment, invoice_id=second.id) == []


def test_a_card_declined_when_paying_is_not_kept(stack, session, gateway):  # noqa: F811
    settings, _url = stack
    customer, [(first, token)] = _customer_with_invoices(session, count=1)
    number = "4000000000000341"  # attaches, then the charge is declined
    outcome = saved_cards.pay_by_card_and_save(
        session, gateway, token, client=CLIENT, payment_method=_card_method(settings, number), consent=CONSENT
    )
    assert outcome.status == "declined"
    assert saved_cards.on_file(session, customer.id) is None


def _card_on_file(settings, session, customer, number: str, *, consented: bool) -> SavedCard:  # noqa: F811
    """A card attached in Stripe and recorded here, with or without consent (e.g. a record that came
    from elsewhere): the rules must hold whatever the row says."""
    client = _stripe(settings)
    stripe_customer = client.v1.customers.create(params={"name": customer.name}).id
    method = client.v1.payment_methods.attach(_card_method(settings, number), params={"customer": stripe_customer})
    card = SavedCard(
        business_id=customer.business_id,
        customer_id=customer.id,
        stripe_customer_id=stripe_customer,
        stripe_payment_method_id=method.id,
        brand="Visa",
        last4=number[-4:],
        exp_month=12,
        exp_year=2034,
        consent_text=saved_cards.consent_text("en", "Cool Air HVAC") if consented else "",
        consented_at=utcnow() if consented else None,
    )
    session.add(card)
    session.commit()
    return card


def test_a_declined_saved_card_texts_nobody_and_the_office_sees_why(stack, session, gateway):  # noqa: F811
    settings, _url = stack
    customer, [(invoice, _token)] = _customer_with_invoices(session, count=1)
    _card_on_file(settings, session, customer, "4000000000000341", consented=True)
    manager = factories.employee(session, session.get(Business, invoice.business_id), role="Manager")
    session.commit()
    outcome = saved_cards.charge_for_office(
        session, gateway, manager, invoice.id, amount_text="50", idempotency_key="dialog-decline"
    )
    assert outcome.status == "declined"
    assert "declined" in saved_cards.office_message(outcome)
    [payment] = _fresh(session, Payment, invoice_id=invoice.id)
    assert payment.status == PaymentStatus.FAILED
    assert payment.failure_reason.startswith("Saved card declined: ")
    assert _texts(session, invoice.id) == []
    assert session.get(Invoice, invoice.id).balance_cents == 12_000


def _state(state_class, **values):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_class.get_full_name().split(".")[1:])
    for name, value in values.items():
        setattr(state, name, value)
    return state


def _run(handler):
    """Drive an async generator handler in a thread of its own (Playwright may hold this one's loop)."""

    async def drain():
        async for _update in handler:
            pass

    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, drain()).result()


def test_a_card_without_consent_cannot_be_charged_through_any_door(stack, session, gateway):  # noqa: F811
    settings, _url = stack
    customer, [(invoice, token), (other, _)] = _customer_with_invoices(session, count=2)
    _card_on_file(settings, session, customer, "4242424242424242", consented=False)
    admin = factories.employee(session, session.get(Business, invoice.business_id), role="Administrator")
    session.commit()
    signed_in = auth.sign_in(session, admin.email, factories.PASSWORD, "test").token
    session.commit()

    # The pay page: the one-tap handler, called as any browser could, even with a forced view.
    pay = _state(
        PayState,
        _token=tokens.Hashed(tokens.token_hash(token)),
        screen="pay",
        view={"saved_card": "Visa •••• 4242", "balance_cents": 12_000},
    )
    _run(pay.pay_saved_card())
    assert pay.error == "Your saved card can no longer be used here. Pay with another card."
    # The office: the dialog's handler, with the invoice id forced in.
    office = _state(ChargeSavedCardState, _invoice_id=other.id, _key="forced")
    factories.sign_in_state(office, signed_in)
    _run(office.submit({"amount": ""}))
    assert office.errors["form"] == "This customer has no saved card they agreed to be charged."
    # The REST API has no route that charges a card (or touches one).
    paths = list(build_v1().openapi()["paths"])
    assert paths and not [path for path in paths if "charge" in path or "card" in path]

    assert _fresh(session, Payment, invoice_id=invoice.id) == _fresh(session, Payment, invoice_id=other.id) == []
    charged = select(StripePaymentIntent).where(StripePaymentIntent.invoice_id.in_([invoice.id, other.id]))
    assert session.exec(charged.where(StripePaymentIntent.saved_card_id.is_not(None))).all() == []
