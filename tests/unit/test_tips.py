"""Tips: the amount rules, the settings that offer them, and a tip charged with a payment."""

import pytest
from sqlmodel import select

from smslinks.core import invoice_view, jobs, links, online_payments, outbox, pay_page, payments, tips
from smslinks.core.accounts import payment_settings
from smslinks.core.errors import DomainError
from smslinks.core.payments import PaymentRefused
from smslinks.core.tips import TipChoice, TipPolicy, TipRefused
from smslinks.models import AchMandate, InvoiceStatus, OutboundMessage, Payment, PaymentStatus
from tests import factories
from tests.unit.stripe_double import BANK, CARD_OK, StripeDouble
from tests.unit.test_payments import _event

CLIENT = "203.0.113.7"
ON = TipPolicy(enabled=True, percents=(10, 15, 20))


# --- the amount rules -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "percent", "cents"),
    [
        (28_696, 15, 4_304),  # 4304.4 -> down
        (28_690, 15, 4_304),  # 4303.5 -> half a cent up
        (1_005, 10, 101),  # 100.5 -> up
        (1, 50, 1),  # 0.5 -> up
        (0, 20, 0),
    ],
)
def test_a_percentage_is_rounded_to_the_nearest_cent_half_up(total, percent, cents):
    assert tips.percent_of(total, percent) == cents


def test_each_offered_percentage_and_custom_and_no_tip():
    assert tips.options(ON, 25_000) == [(10, 2_500), (15, 3_750), (20, 5_000)]
    assert tips.tip_cents(ON, 25_000, TipChoice("15")) == 3_750
    assert tips.tip_cents(ON, 25_000, TipChoice("none")) == 0
    assert tips.tip_cents(ON, 25_000, None) == 0
    assert tips.tip_cents(ON, 25_000, TipChoice("custom", "$12.34")) == 1_234
    assert tips.tip_cents(ON, 25_000, TipChoice("custom", "")) == 0
    assert tips.tip_cents(ON, 25_000, TipChoice("custom", "250.00")) == 25_000  # at most the total


@pytest.mark.parametrize(
    ("choice", "code"),
    [
        (TipChoice("custom", "250.01"), "tip_too_large"),
        (TipChoice("custom", "-1"), "tip_invalid"),
        (TipChoice("custom", "1.005"), "tip_invalid"),
        (TipChoice("custom", "five"), "tip_invalid"),
        (TipChoice("custom", "NaN"), "tip_invalid"),
        (TipChoice("custom", "Infinity"), "tip_invalid"),
        (TipChoice("25"), "tip_invalid"),  # a percentage the business does not offer
        (TipChoice("15.0"), "tip_invalid"),
    ],
)
def test_tips_the_business_does_not_offer_are_refused(choice, code):
    with pytest.raises(TipRefused) as refused:
        tips.tip_cents(ON, 25_000, choice)
    assert refused.value.code == code


def test_with_tips_off_no_tip_is_charged_whatever_the_browser_sends():
    off = TipPolicy(enabled=False, percents=(10, 15, 20))
    assert tips.options(off, 25_000) == []
    assert tips.tip_cents(off, 25_000, TipChoice("15")) == 0
    assert tips.tip_cents(off, 25_000, TipChoice("custom", "99999")) == 0


# --- settings ---------------------------------------------------------------------------------------


def test_tips_are_off_by_default_and_the_percentages_are_checked(session):
    business = factories.business(session)
    admin = factories.employee(session, business, role="Administrator")
    values = online_payments.view(session, admin).values
    assert (values["tips_enabled"], values["tip_percent_1"], values["tip_percent_2"], values["tip_percent_3"]) == (
        False,
        10,
        15,
        20,
    )
    for bad in ("0", "51", "7.5", "", "x"):
        with pytest.raises(DomainError) as refused:
            online_payments.save(session, admin, {"tips_enabled": True, "tip_percent_2": bad})
        assert refused.value.message == "Each tip percentage must be a whole number from 1 to 50."
    with pytest.raises(DomainError) as refused:
        online_payments.save(session, admin, {"tip_percent_3": "10"})
    assert refused.value.message == online_payments.TIP_PERCENTS_DIFFERENT
    assert payment_settings(session, business.id).tips_enabled is False  # nothing written

    changed = online_payments.save(session, admin, {"tips_enabled": True, "tip_percent_1": "18", "tip_percent_3": 25})
    settings = payment_settings(session, business.id)
    assert changed == ["tips_enabled", "tip_percent_1", "tip_percent_3"]
    assert (settings.tips_enabled, settings.tip_percent_1, settings.tip_percent_2, settings.tip_percent_3) == (
        True,
        18,
        15,
        25,
    )


# --- a tip charged with a payment -------------------------------------------------------------------


@pytest.fixture
def stripe():
    return StripeDouble()


@pytest.fixture
def tipping(session):
    """A $250 invoice for a job done by technician Alex, with tips on, texted to the customer."""
    business = factories.business(session, name="Test Plumbing")
    alex = factories.employee(session, business, role="Technician", name="Alex Rivera")
    office = factories.employee(session, business, role="Administrator")
    customer = factories.customer(session, business)
    location = factories.location(session, customer)
    mobile = factories.phone(session, "512-555-0134", customer=customer)
    job = factories.job(session, location, alex)
    invoice = factories.invoice(session, location, total_cents=25_000, job=job)
    link, token = links.mint(session, invoice)
    outbox.enqueue(
        session,
        business_id=business.id,
        channel="sms",
        to_address=mobile.e164,
        body="link",
        invoice_id=invoice.id,
        payment_link_id=link.id,
    )
    payment_settings(session, business.id).tips_enabled = True
    session.commit()
    return invoice, token, alex, office, job


def test_a_card_payment_charges_the_tip_but_pays_exactly_the_balance(session, stripe, tipping):
    invoice, token, alex, office, job = tipping
    outcome = payments.pay_by_card(session, stripe, token, client=CLIENT, payment_method=CARD_OK, tip=TipChoice("15"))
    assert (outcome.status, outcome.amount_cents, outcome.tip_cents) == ("succeeded", 25_000, 3_750)
    payment = session.exec(select(Payment)).one()
    assert stripe.intents[payment.stripe_payment_intent_id].amount_cents == 28_750  # Stripe charged the tip
    assert (payment.amount_cents, payment.tip_cents, payment.tip_employee_id) == (25_000, 3_750, alex.id)
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid_cents == 25_000
    receipt = session.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key.startswith("receipt-"))).one()
    assert "payment of $250.00 received for invoice" in receipt.body and "(plus a $37.50 tip)" in receipt.body
    [row] = invoice_view.payments(session, office, invoice.id)
    assert row.amount == "$250.00" and "Tip $37.50 for Alex Rivera" in row.note
    assert jobs.detail(session, alex, job.id).tips == "$37.50"


def test_the_webhook_counts_the_tip_apart_from_the_balance(session, stripe, tipping):
    """A bank debit with a tip: the success event carries the whole amount; only the invoice's part
    pays the invoice, and the mandate authorises the whole debit."""
    invoice, token, alex, _office, _job = tipping
    tip = TipChoice("custom", "20")
    secret = payments.prepare_bank_payment(session, stripe, token, client=CLIENT, tip=tip)
    intent_id = secret.split("_secret_")[0]
    assert stripe.intents[intent_id].amount_cents == 27_000
    stripe.attach_bank(intent_id, BANK)
    outcome = payments.pay_by_bank(
        session, stripe, token, client=CLIENT, accepted=True, ip_address="1.2.3.4", user_agent="UA", tip=tip
    )
    assert outcome.status == "processing"
    assert "$270.00" in session.exec(select(AchMandate)).one().text
    assert payments.apply_event(session, _event(stripe.settle(intent_id))) is True
    payment = session.exec(select(Payment)).one()
    assert (payment.status, payment.amount_cents, payment.tip_cents) == (PaymentStatus.SUCCEEDED, 25_000, 2_000)
    assert payment.tip_employee_id == alex.id
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid_cents == 25_000 and invoice.balance_cents == 0


def test_a_partial_payment_with_a_tip_leaves_the_right_balance(session, stripe, tipping):
    invoice, token, _alex, _office, _job = tipping
    payment_settings(session, invoice.business_id).partial_payments_enabled = True
    outcome = payments.pay_by_card(
        session, stripe, token, client=CLIENT, payment_method=CARD_OK, amount_text="100", tip=TipChoice("10")
    )
    # The percentage is of the invoice total, whatever part of it is paid now.
    assert (outcome.amount_cents, outcome.tip_cents, outcome.balance_cents) == (10_000, 2_500, 15_000)
    assert invoice.amount_paid_cents == 10_000


def test_with_tips_off_a_tip_sent_by_the_browser_is_not_charged(session, stripe, tipping):
    invoice, token, _alex, _office, _job = tipping
    payment_settings(session, invoice.business_id).tips_enabled = False
    session.commit()
    payments.pay_by_card(session, stripe, token, client=CLIENT, payment_method=CARD_OK, tip=TipChoice("custom", "50"))
    payment = session.exec(select(Payment)).one()
    assert stripe.intents[payment.stripe_payment_intent_id].amount_cents == 25_000
    assert (payment.amount_cents, payment.tip_cents, payment.tip_employee_id) == (25_000, 0, None)


def test_a_bad_tip_is_refused_before_stripe_is_asked(session, stripe, tipping):
    _invoice, token, _alex, _office, _job = tipping
    with pytest.raises(PaymentRefused) as refused:
        payments.pay_by_card(
            session, stripe, token, client=CLIENT, payment_method=CARD_OK, tip=TipChoice("custom", "250.01")
        )
    assert refused.value.code == "tip_too_large" and refused.value.message == "A tip can be at most $250.00."
    assert stripe.intents == {} and session.exec(select(Payment)).all() == []


def test_a_tip_without_a_job_goes_to_no_technician(session, stripe, tipping):
    invoice, token, _alex, office, _job = tipping
    invoice.job_id = None
    session.commit()
    payments.pay_by_card(session, stripe, token, client=CLIENT, payment_method=CARD_OK, tip=TipChoice("20"))
    payment = session.exec(select(Payment)).one()
    assert (payment.tip_cents, payment.tip_employee_id) == (5_000, None)
    assert "Tip $50.00 for the business (no technician)" in invoice_view.payments(session, office, invoice.id)[0].note


def test_the_pay_page_offers_the_percentages_with_their_amounts(session, tipping):
    _invoice, token, _alex, _office, _job = tipping
    view = pay_page.open_link(session, token, client=CLIENT, host="")
    assert pay_page.present(view, "en")["tips"] is True
    assert pay_page.present_tips(view) == [
        {"choice": "10", "id": "tip-10", "percent": "10%", "amount": "$25.00"},
        {"choice": "15", "id": "tip-15", "percent": "15%", "amount": "$37.50"},
        {"choice": "20", "id": "tip-20", "percent": "20%", "amount": "$50.00"},
    ]
