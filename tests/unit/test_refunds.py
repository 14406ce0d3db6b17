import dataclasses
import json

import pytest
from sqlmodel import select

from smslinks.core import invoice_view, jobs, payments, refunds, tokens
from smslinks.core.errors import NotAllowed, NotFound
from smslinks.core.payment_gateway import GatewayEvent
from smslinks.core.refunds import RefundRefused
from smslinks.core.tips import TipChoice
from smslinks.models import (
    Business,
    InvoiceStatus,
    OutboundMessage,
    Payment,
    PaymentRefund,
    PaymentStatus,
    RefundStatus,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from tests import factories
from tests.unit.stripe_double import BANK, CARD_OK
from tests.unit.test_payments import _actions, _card, _connect_bank, _event, _pay_bank, paying, stripe  # noqa: F401
from tests.unit.test_tips import tipping  # noqa: F401


@pytest.fixture
def paid(session, stripe, paying):  # noqa: F811
    """The $250 invoice paid by card, an accountant (who may refund by default) and the payment."""
    business, invoice, _link, token = paying
    _card(session, stripe, token)
    accountant = factories.employee(session, business, role="Accountant")
    session.add(
        WebhookEndpoint(
            business_id=business.id, url="https://hooks.example.net/x", events="payment.refunded", secret="whsec_x"
        )
    )
    session.commit()
    return invoice, accountant, session.exec(select(Payment)).one()


def _refund(session, stripe, employee, payment, amount=None, reason="Customer overcharged", key="k-1"):  # noqa: F811
    return refunds.refund_payment(
        session, stripe, employee, payment.id, amount_text=amount, reason=reason, idempotency_key=key
    )


def _notices(session):
    return session.exec(
        select(OutboundMessage).where(OutboundMessage.idempotency_key.startswith(refunds.NOTICE_KEY_PREFIX))
    ).all()


def _refund_webhooks(session):
    return session.exec(select(WebhookEvent).where(WebhookEvent.type == "payment.refunded")).all()


def test_partial_refund_reopens_the_balance_tells_the_customer_and_fires_the_webhook_once(session, stripe, paid):  # noqa: F811
    invoice, accountant, payment = paid
    outcome = _refund(session, stripe, accountant, payment, amount="50.00")
    assert outcome.status == "succeeded" and outcome.amount_cents == 5_000
    assert "Refunded $50.00" in outcome.message
    [(result, metadata, key)] = stripe.refunds
    assert result.amount_cents == 5_000 and key == "k-1"
    refund = session.exec(select(PaymentRefund)).one()
    assert metadata == {refunds.REFUND_KEY: str(refund.id)}
    assert (refund.status, refund.stripe_refund_id, refund.employee_id) == ("succeeded", result.id, accountant.id)
    session.refresh(payment)
    assert payment.refunded_cents == 5_000 and payment.status == PaymentStatus.SUCCEEDED
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 5_000
    [notice] = _notices(session)
    assert notice.channel == "sms" and notice.to_address == "+15125550134"  # where the receipt went
    assert "refunded $50.00" in notice.body
    assert len(_refund_webhooks(session)) == 1
    assert {"refund.requested", "payment.refunded", "invoice.reopened"} <= set(_actions(session))
    # Stripe's own charge.refunded for the same refund, matched by our id in its metadata: nothing more.
    charge = {
        "id": "ch_1",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 25_000,
        "amount_refunded": 5_000,
        "refunds": {"data": [{"id": result.id, "amount": 5_000, "status": "succeeded", "metadata": metadata}]},
    }
    payments.apply_event(session, GatewayEvent("evt_same", "charge.refunded", utcnow(), charge))
    session.refresh(payment)
    assert payment.refunded_cents == 5_000 and len(_refund_webhooks(session)) == 1 and len(_notices(session)) == 1


def test_a_full_refund_marks_the_payment_refunded_and_nothing_more_can_be_refunded(session, stripe, paid):  # noqa: F811
    invoice, accountant, payment = paid
    _refund(session, stripe, accountant, payment)  # blank amount: everything refundable
    session.refresh(payment)
    assert payment.status == PaymentStatus.REFUNDED and invoice.balance_cents == 25_000
    with pytest.raises(RefundRefused, match="Only a payment that went through|Nothing is left"):
        _refund(session, stripe, accountant, payment, key="k-2")


def test_more_than_is_refundable_is_refused_beside_the_amount_and_writes_nothing(session, stripe, paid):  # noqa: F811
    _invoice, accountant, payment = paid
    _refund(session, stripe, accountant, payment, amount="200")
    with pytest.raises(RefundRefused) as refused:
        _refund(session, stripe, accountant, payment, amount="50.01", key="k-2")
    assert refused.value.field == "amount" and "At most $50.00" in refused.value.message
    session.rollback()
    assert len(session.exec(select(PaymentRefund)).all()) == 1 and len(stripe.refunds) == 1


@pytest.mark.parametrize(
    ("amount", "reason", "field"),
    [
        ("abc", "x", "amount"),
        ("0", "x", "amount"),
        ("1.001", "x", "amount"),
        ("5", "   ", "reason"),
        ("5", "y" * 301, "reason"),
    ],
)
def test_bad_input_is_refused_beside_its_field(session, stripe, paid, amount, reason, field):  # noqa: F811
    _invoice, accountant, payment = paid
    with pytest.raises(RefundRefused) as refused:
        _refund(session, stripe, accountant, payment, amount=amount, reason=reason)
    assert refused.value.field == field
    assert not getattr(stripe, "refunds", []) and session.exec(select(PaymentRefund)).first() is None


def test_each_dialog_opening_gets_a_new_key_named_for_what_it_does():
    keys = {tokens.idempotency_key("refund") for _ in range(3)}
    assert len(keys) == 3 and all(key.startswith("smslinks-refund-") for key in keys)
    assert tokens.idempotency_key("saved-card").startswith("smslinks-saved-card-")


def test_the_same_key_refunds_once(session, stripe, paid):  # noqa: F811
    _invoice, accountant, payment = paid
    first = _refund(session, stripe, accountant, payment, amount="10")
    again = _refund(session, stripe, accountant, payment, amount="10")
    assert first.status == again.status == "succeeded" and len(stripe.refunds) == 1
    session.refresh(payment)
    assert payment.refunded_cents == 1_000


def test_only_employees_with_the_permission_may_refund_and_only_their_business(session, stripe, paid):  # noqa: F811
    invoice, _accountant, payment = paid
    business = session.get(Business, invoice.business_id)
    with pytest.raises(NotAllowed, match="Refund payments"):
        _refund(session, stripe, factories.employee(session, business, role="Office employee"), payment)
    stranger = factories.employee(session, factories.business(session, name="Other Co"), role="Administrator")
    with pytest.raises(NotFound):
        _refund(session, stripe, stranger, payment)
    assert not getattr(stripe, "refunds", [])


def test_stripe_refusing_leaves_a_failed_refund_and_the_payment_untouched(session, stripe, paid):  # noqa: F811
    invoice, accountant, payment = paid
    stripe.unreachable = True
    outcome = _refund(session, stripe, accountant, payment, amount="20")
    assert outcome.status == "failed" and "Could not connect to Stripe" in outcome.message
    session.refresh(payment)
    assert payment.refunded_cents == 0 and invoice.status == InvoiceStatus.PAID
    assert session.exec(select(PaymentRefund)).one().status == RefundStatus.FAILED
    assert not _notices(session) and not _refund_webhooks(session)
    stripe.unreachable = False
    assert _refund(session, stripe, accountant, payment, amount="20", key="k-2").status == "succeeded"


def test_a_bank_refund_is_pending_until_stripe_reports_it(session, stripe, paying):  # noqa: F811
    business, invoice, _link, token = paying
    _connect_bank(session, stripe, token, BANK)
    _pay_bank(session, stripe, token)
    payments.apply_event(session, _event(stripe.settle("pi_1")))
    payment = session.exec(select(Payment)).one()
    manager = factories.employee(session, business, role="Manager")
    outcome = _refund(session, stripe, manager, payment, amount="100")
    assert outcome.status == "pending" and "Pending" in outcome.message
    assert invoice.status == InvoiceStatus.PAID and not _notices(session)
    with pytest.raises(RefundRefused, match=r"At most \$150.00"):
        _refund(session, stripe, manager, payment, amount="150.01", key="k-2")  # the pending $100 is held
    session.rollback()
    [(result, metadata, _key)] = stripe.refunds
    update = {"id": result.id, "payment_intent": "pi_1", "amount": 10_000, "status": "succeeded", "metadata": metadata}
    for _ in range(2):  # a replayed event (another id) changes nothing more
        payments.apply_event(session, GatewayEvent(f"evt_{_}", "charge.refund.updated", utcnow(), update))
    session.refresh(payment)
    assert payment.refunded_cents == 10_000 and invoice.balance_cents == 10_000
    assert len(_notices(session)) == 1 and "to your bank account" in _notices(session)[0].body


def test_a_refund_made_in_stripes_dashboard_shows_the_same_way_once(session, stripe, paid):  # noqa: F811
    invoice, _accountant, payment = paid
    charge = {
        "id": "ch_1",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 25_000,
        "amount_refunded": 7_500,
        "refunds": {"data": [{"id": "re_dash", "amount": 7_500, "status": "succeeded", "reason": "duplicate"}]},
    }
    payments.apply_event(session, GatewayEvent("evt_d", "charge.refunded", utcnow(), charge))
    payments.apply_event(session, GatewayEvent("evt_d2", "charge.refunded", utcnow(), charge))  # same news again
    refund = session.exec(select(PaymentRefund)).one()
    assert (refund.amount_cents, refund.reason, refund.employee_id) == (7_500, "Refunded in Stripe (duplicate)", None)
    session.refresh(payment)
    assert payment.refunded_cents == 7_500 and invoice.balance_cents == 7_500
    assert len(_refund_webhooks(session)) == 1 and len(_notices(session)) == 1


def test_a_refund_event_without_its_list_counts_only_the_amount_not_yet_known(session, stripe, paid):  # noqa: F811
    invoice, accountant, payment = paid
    _refund(session, stripe, accountant, payment, amount="10")
    charge = {
        "id": "ch_1",
        "payment_intent": payment.stripe_payment_intent_id,
        "amount": 25_000,
        "amount_refunded": 3_000,
    }
    payments.apply_event(session, GatewayEvent("evt_n", "charge.refunded", utcnow(), charge))
    session.refresh(payment)
    assert payment.refunded_cents == 3_000 and invoice.balance_cents == 3_000
    assert len(session.exec(select(PaymentRefund)).all()) == 2 and len(_refund_webhooks(session)) == 2


def test_refund_permission_defaults():
    from smslinks.core.permissions import ROLE_DEFAULTS, Permission
    from smslinks.models import Role

    allowed = {role for role, granted in ROLE_DEFAULTS.items() if Permission.REFUND_PAYMENTS in granted}
    assert allowed == {Role.ADMINISTRATOR, Role.MANAGER, Role.ACCOUNTANT}


# --- a payment with a tip: the invoice's part is refunded first, the tip last ----------------------------


def _tipped_card_payment(session, stripe, tipping):  # noqa: F811
    invoice, token, alex, admin, job = tipping
    payments.pay_by_card(session, stripe, token, client="203.0.113.7", payment_method=CARD_OK, tip=TipChoice("15"))
    session.add(
        WebhookEndpoint(
            business_id=invoice.business_id, url="https://hooks.example.net/t", events="payment.refunded", secret="s"
        )
    )
    session.commit()
    return invoice, alex, admin, job, session.exec(select(Payment)).one()


def test_the_refund_dialog_offers_the_invoice_part_and_the_tip_and_names_the_technician(session, stripe, tipping):  # noqa: F811
    _invoice, _alex, admin, _job, payment = _tipped_card_payment(session, stripe, tipping)
    form = refunds.refund_form(session, admin, payment.id)
    assert (form.refundable, form.refundable_cents) == ("$287.50", 28_750)
    assert form.tip_note == "Of the $287.50, $37.50 is the tip for Alex Rivera."


def test_a_refund_past_the_invoice_part_reaches_the_tip_and_the_technician_keeps_the_rest(session, stripe, tipping):  # noqa: F811
    invoice, alex, admin, job, payment = _tipped_card_payment(session, stripe, tipping)
    outcome = _refund(session, stripe, admin, payment, amount="260.00")
    assert outcome.status == "succeeded" and stripe.refunds[0][0].amount_cents == 26_000
    refund = session.exec(select(PaymentRefund)).one()
    assert (refund.amount_cents, refund.tip_cents) == (26_000, 1_000)
    session.refresh(payment)
    assert (payment.refunded_cents, payment.tip_refunded_cents, payment.status) == (25_000, 1_000, "succeeded")
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 25_000  # reopened by $250, not $260
    assert jobs.detail(session, alex, job.id).tips == "$27.50"
    [event] = _refund_webhooks(session)
    data = json.loads(event.payload)["data"]
    assert (data["refund"]["amount_cents"], data["refund"]["tip_cents"]) == (26_000, 1_000)
    assert (data["payment"]["tip_cents"], data["payment"]["tip_refunded_cents"]) == (3_750, 1_000)
    assert "$10.00 of the tip refunded" in invoice_view.payments(session, admin, invoice.id)[0].note
    assert refunds.refund_form(session, admin, payment.id).tip_note == "All of it is the tip for Alex Rivera."

    _refund(session, stripe, admin, payment, key="k-2")  # the rest: all of it tip
    session.refresh(payment)
    assert (payment.tip_refunded_cents, payment.status) == (3_750, PaymentStatus.REFUNDED)
    assert invoice.balance_cents == 25_000 and jobs.detail(session, alex, job.id).tips == ""


def test_a_refund_within_the_invoice_part_leaves_the_tip_alone(session, stripe, tipping):  # noqa: F811
    invoice, alex, admin, job, payment = _tipped_card_payment(session, stripe, tipping)
    _refund(session, stripe, admin, payment, amount="250")
    session.refresh(payment)
    assert (payment.refunded_cents, payment.tip_refunded_cents) == (25_000, 0)
    assert session.exec(select(PaymentRefund)).one().tip_cents == 0
    assert invoice.balance_cents == 25_000 and jobs.detail(session, alex, job.id).tips == "$37.50"


def test_a_pending_refund_counts_toward_the_split_of_the_next_one(session, stripe, tipping):  # noqa: F811
    _invoice, _alex, admin, _job, payment = _tipped_card_payment(session, stripe, tipping)
    intent = stripe.intents[payment.stripe_payment_intent_id]
    stripe.intents[intent.id] = dataclasses.replace(intent, method_type="us_bank_account")  # its refunds wait
    _refund(session, stripe, admin, payment, amount="200")
    _refund(session, stripe, admin, payment, amount="60", key="k-2")
    assert [r.tip_cents for r in session.exec(select(PaymentRefund).order_by(PaymentRefund.id))] == [0, 1_000]
    session.refresh(payment)
    assert (payment.refunded_cents, payment.tip_refunded_cents) == (0, 0)  # nothing counts before the bank says so


def test_a_full_refund_made_in_stripes_dashboard_gives_back_the_tip_too(session, stripe, tipping):  # noqa: F811
    invoice, alex, _admin, job, payment = _tipped_card_payment(session, stripe, tipping)
    charge = {"id": "ch_t", "payment_intent": payment.stripe_payment_intent_id, "amount_refunded": 28_750}
    payments.apply_event(session, GatewayEvent("evt_t", "charge.refunded", utcnow(), charge))
    session.refresh(payment)
    assert session.exec(select(PaymentRefund)).one().tip_cents == 3_750
    assert (payment.refunded_cents, payment.tip_refunded_cents, payment.status) == (25_000, 3_750, "refunded")
    assert invoice.balance_cents == 25_000 and jobs.detail(session, alex, job.id).tips == ""
