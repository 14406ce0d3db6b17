import itertools
from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.core import consent, invoices, links, outbox, pay_page, payments
from smslinks.core.accounts import payment_settings
from smslinks.core.pay_page import LinkNotUsable, Screen
from smslinks.core.payment_gateway import GatewayEvent
from smslinks.core.payments import PaymentRefused
from smslinks.models import (
    AchMandate,
    AuditEvent,
    EmailAddress,
    InvoiceLine,
    InvoiceStatus,
    OutboundMessage,
    PayLinkFailure,
    Payment,
    PaymentStatus,
    ProcessedWebhookEvent,
    StripePaymentIntent,
    utcnow,
)
from smslinks.providers import recent_views
from smslinks.providers.recent_views import MemoryRecentViews
from tests import factories
from tests.statements import recorded
from tests.unit.stripe_double import BANK, BANK_MICRODEPOSITS, CARD_3DS, CARD_DECLINED, CARD_OK, StripeDouble

CLIENT = "203.0.113.7"
_events = itertools.count(1)


@pytest.fixture
def stripe():
    return StripeDouble()


@pytest.fixture
def paying(session):
    """An open $250 invoice, a link texted to the customer's mobile, and the link's token."""
    business = factories.business(session, name="Test Plumbing")
    customer = factories.customer(session, business)
    location = factories.location(session, customer)
    mobile = factories.phone(session, "512-555-0134", customer=customer)
    session.add(EmailAddress(customer_id=customer.id, email="pat@example.net"))
    invoice = factories.invoice(session, location, total_cents=25_000)
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
    session.commit()
    return business, invoice, link, token


def _card(session, stripe, token, method=CARD_OK, amount=None, language="en"):
    return payments.pay_by_card(
        session, stripe, token, client=CLIENT, payment_method=method, amount_text=amount, language=language
    )


def _event(intent, kind="payment_intent.succeeded", event_id=None):
    data = {
        "id": intent.id,
        "object": "payment_intent",
        "status": intent.status,
        "amount": intent.amount_cents,
        "client_secret": intent.client_secret,
        "metadata": intent.metadata,
        "payment_method": "pm_x",
        "last_payment_error": (
            {"code": intent.error_code, "message": intent.error_message} if intent.error_code else None
        ),
    }
    return GatewayEvent(id=event_id or f"evt_{next(_events)}", type=kind, created=utcnow(), object=data)


def _receipts(session):
    return session.exec(select(OutboundMessage).where(OutboundMessage.idempotency_key.startswith("receipt-"))).all()


def _actions(session):
    return [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.id)).all()]


# --- cards ----------------------------------------------------------------------------------------


def test_card_payment_collects_the_balance_marks_the_invoice_paid_and_texts_a_receipt(session, stripe, paying):
    _business, invoice, link, token = paying
    before = invoice.updated_at
    outcome = _card(session, stripe, token)
    assert outcome.status == "succeeded" and outcome.amount_cents == 25_000 and outcome.balance_cents == 0
    assert outcome.method == "Visa •••• 4242" and outcome.receipt_channel == "sms"
    assert stripe.intents["pi_1"].amount_cents == 25_000  # the server's amount, not the browser's
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid_cents == 25_000
    assert invoice.updated_at > before
    payment = session.exec(select(Payment)).one()
    assert (payment.status, payment.amount_cents, payment.payment_link_id) == ("succeeded", 25_000, link.id)
    [receipt] = _receipts(session)
    assert receipt.channel == "sms" and receipt.to_address == "+15125550134"
    assert receipt.body.startswith("Test Plumbing: payment of $250.00 received for invoice #")
    assert {"payment.succeeded", "invoice.paid", "sms.queued"} <= set(_actions(session))


def test_a_decline_shows_stripes_message_and_the_retry_reuses_the_same_intent(session, stripe, paying):
    _business, invoice, _link, token = paying
    declined = _card(session, stripe, token, CARD_DECLINED)
    assert (declined.status, declined.message, declined.code) == (
        "declined",
        "Your card was declined.",
        "card_declined",
    )
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid_cents == 0
    assert "payment.declined" in _actions(session)
    assert _card(session, stripe, token).status == "succeeded"
    assert len(stripe.intents) == 1
    assert len(session.exec(select(StripePaymentIntent)).all()) == 1


def test_three_d_secure_hands_the_client_secret_to_stripe_js_then_reads_stripes_answer(session, stripe, paying):
    _business, invoice, _link, token = paying
    outcome = _card(session, stripe, token, CARD_3DS)
    assert outcome.status == "requires_action" and outcome.client_secret == "pi_1_secret_x"
    assert invoice.amount_paid_cents == 0
    stripe.authenticate("pi_1")
    assert payments.finish_card_action(session, stripe, token, client=CLIENT).status == "succeeded"
    assert invoice.status == InvoiceStatus.PAID


def test_failed_authentication_is_a_decline_the_customer_can_retry(session, stripe, paying):
    _business, invoice, _link, token = paying
    _card(session, stripe, token, CARD_3DS)
    stripe.authenticate("pi_1", success=False)
    outcome = payments.finish_card_action(session, stripe, token, client=CLIENT)
    assert outcome.status == "declined" and outcome.code == "payment_intent_authentication_failure"
    assert _card(session, stripe, token).status == "succeeded"


def test_a_paid_invoice_refuses_a_second_payment_from_another_tab(session, stripe, paying):
    _business, invoice, _link, token = paying
    _card(session, stripe, token)
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token)
    assert refused.value.code == "nothing_due"
    assert len(session.exec(select(Payment)).all()) == 1
    assert [name for name, _ in stripe.calls].count("confirm") == 1


def test_an_intent_stripe_forgot_is_replaced_safely(session, stripe, paying):
    _business, invoice, _link, token = paying
    _card(session, stripe, token, CARD_DECLINED)
    stripe.forget("pi_1")  # e.g. the sandbox Stripe restarted
    assert _card(session, stripe, token).status == "succeeded"
    records = session.exec(select(StripePaymentIntent).order_by(StripePaymentIntent.id)).all()
    assert [(r.stripe_id, r.active) for r in records] == [("pi_1", False), ("pi_2", False)]
    assert records[0].idempotency_key != records[1].idempotency_key


def test_money_that_moved_without_us_hearing_is_caught_up_before_charging_again(session, stripe, paying):
    _business, invoice, _link, token = paying
    _card(session, stripe, token, CARD_3DS)
    stripe.authenticate("pi_1")  # succeeded at Stripe, but the browser never came back
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token)
    assert refused.value.code == "nothing_due"
    assert invoice.status == InvoiceStatus.PAID
    assert [name for name, _ in stripe.calls].count("confirm") == 1


def test_stripe_unreachable_is_a_clear_refusal(session, stripe, paying):
    _business, _invoice, _link, token = paying
    stripe.unreachable = True
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token)
    assert refused.value.code == "unavailable"


def test_a_method_the_business_does_not_accept_is_refused(session, stripe, paying):
    business, _invoice, _link, token = paying
    payment_settings(session, business.id).card_enabled = False
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token)
    assert refused.value.code == "method_not_accepted"


def test_a_link_that_stopped_working_refuses_payment(session, stripe, paying):
    _business, invoice, _link, token = paying
    links.revoke_all(session, invoice)
    with pytest.raises(LinkNotUsable) as refused:
        _card(session, stripe, token)
    assert refused.value.screen is Screen.REVOKED
    assert stripe.calls == []


# --- partial payments -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("120", 12_000), ("$1,200.50", 120_050), ("1.00", 100), ("", 250_000), (None, 250_000)],
)
def test_partial_amounts(text, expected):
    assert payments.parse_amount(text, 250_000, True) == expected


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("0.99", "amount_too_small"),
        ("2500.01", "amount_too_large"),
        ("12.345", "amount_invalid"),
        ("ten", "amount_invalid"),
        ("-5", "amount_too_small"),
        ("NaN", "amount_invalid"),
    ],
)
def test_partial_amount_refusals(text, code):
    with pytest.raises(PaymentRefused) as refused:
        payments.parse_amount(text, 250_000, True)
    assert refused.value.code == code


def test_without_partial_payments_the_amount_is_always_the_balance():
    assert payments.parse_amount("5.00", 250_000, False) == 250_000


def test_a_partial_payment_leaves_the_rest_open_and_the_next_one_gets_a_new_intent(session, stripe, paying):
    business, invoice, _link, token = paying
    payment_settings(session, business.id).partial_payments_enabled = True
    outcome = _card(session, stripe, token, amount="100")
    assert outcome.amount_cents == 10_000 and outcome.balance_cents == 15_000
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid_cents == 10_000
    assert "Balance: $150.00" in _receipts(session)[0].body
    assert _card(session, stripe, token).amount_cents == 15_000
    assert invoice.status == InvoiceStatus.PAID
    assert sorted(stripe.intents) == ["pi_1", "pi_2"]


# --- bank payments (ACH) --------------------------------------------------------------------------


def _connect_bank(session, stripe, token, method=BANK):
    secret = payments.prepare_bank_payment(session, stripe, token, client=CLIENT)
    intent_id = secret.split("_secret_")[0]
    stripe.attach_bank(intent_id, method)
    return intent_id


def _pay_bank(session, stripe, token, accepted=True, language="en"):
    return payments.pay_by_bank(
        session,
        stripe,
        token,
        client=CLIENT,
        accepted=accepted,
        ip_address="198.51.100.4",
        user_agent="Mozilla/5.0 (iPhone)",
        language=language,
    )


def test_bank_payment_needs_the_mandate_accepted_and_stores_the_evidence(session, stripe, paying):
    _business, invoice, link, token = paying
    intent_id = _connect_bank(session, stripe, token)
    assert payments.connected_bank(session, stripe, token, client=CLIENT) == "STRIPE TEST BANK •••• 6789"
    with pytest.raises(PaymentRefused) as refused:
        _pay_bank(session, stripe, token, accepted=False)
    assert refused.value.code == "mandate_required"
    assert session.exec(select(AchMandate)).all() == []

    outcome = _pay_bank(session, stripe, token, language="es")
    assert outcome.status == "processing"
    mandate = session.exec(select(AchMandate)).one()
    assert (mandate.ip_address, mandate.user_agent, mandate.language) == ("198.51.100.4", "Mozilla/5.0 (iPhone)", "es")
    assert mandate.text_version and "$250.00" in mandate.text and mandate.text.startswith("Autorizo a Test Plumbing")
    assert mandate.payment_link_id == link.id and mandate.stripe_payment_intent_id == intent_id
    assert stripe.mandates[intent_id] == {"ip_address": "198.51.100.4", "user_agent": "Mozilla/5.0 (iPhone)"}
    # Processing is not paid: the balance stays until the bank settles.
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid_cents == 0
    assert session.exec(select(Payment)).one().status == PaymentStatus.PROCESSING
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PROCESSING
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token)
    assert refused.value.code == "already_processing"


def test_with_partial_payments_the_remainder_can_be_paid_while_a_bank_debit_processes(session, stripe, paying):
    business, invoice, _link, token = paying
    payment_settings(session, business.id).partial_payments_enabled = True
    secret = payments.prepare_bank_payment(session, stripe, token, client=CLIENT, amount_text="100")
    stripe.attach_bank(secret.split("_secret_")[0], BANK)
    assert (
        payments.pay_by_bank(
            session,
            stripe,
            token,
            client=CLIENT,
            accepted=True,
            ip_address="198.51.100.4",
            user_agent="Mozilla/5.0 (iPhone)",
            amount_text="100",
        ).status
        == "processing"
    )
    # The page asks for what is not on its way yet; more than that is refused.
    view = pay_page.open_link(session, token, client=CLIENT, host="")
    assert (view.screen, view.balance_cents) == (Screen.PAY, 15_000)
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token, amount="150.01")
    assert refused.value.code == "amount_too_large"
    assert _card(session, stripe, token).amount_cents == 15_000
    # Everything is paid or on its way: nothing more is asked.
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PROCESSING
    with pytest.raises(PaymentRefused) as refused:
        _card(session, stripe, token)
    assert refused.value.code == "already_processing"


def test_bank_payment_without_a_connected_account_is_refused(session, stripe, paying):
    _business, _invoice, _link, token = paying
    payments.prepare_bank_payment(session, stripe, token, client=CLIENT)
    assert payments.connected_bank(session, stripe, token, client=CLIENT) is None
    with pytest.raises(PaymentRefused) as refused:
        _pay_bank(session, stripe, token)
    assert refused.value.code == "bank_not_connected"


def test_reloads_and_second_tabs_reuse_the_invoices_intent(session, stripe, paying):
    _business, _invoice, _link, token = paying
    first = payments.prepare_bank_payment(session, stripe, token, client=CLIENT)
    second = payments.prepare_bank_payment(session, stripe, token, client=CLIENT)
    assert first == second and len(stripe.intents) == 1


def test_microdeposits_wait_on_their_own_screen(session, stripe, paying):
    _business, _invoice, _link, token = paying
    _connect_bank(session, stripe, token, BANK_MICRODEPOSITS)
    assert _pay_bank(session, stripe, token).status == "verify"
    view = pay_page.open_link(session, token, client=CLIENT, host="")
    assert view.screen is Screen.VERIFY and view.verification_url.startswith("https://payments.stripe.com/")


def test_bank_success_event_marks_the_invoice_paid_once(session, stripe, paying):
    _business, invoice, _link, token = paying
    intent_id = _connect_bank(session, stripe, token)
    _pay_bank(session, stripe, token)
    event = _event(stripe.settle(intent_id))
    assert payments.apply_event(session, event) is True
    assert payments.apply_event(session, event) is False  # a replay changes nothing
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid_cents == 25_000
    assert session.exec(select(Payment)).one().status == PaymentStatus.SUCCEEDED
    assert len(_receipts(session)) == 1
    assert len(session.exec(select(ProcessedWebhookEvent)).all()) == 1


def test_bank_failure_reopens_the_payment_alerts_the_office_and_card_can_pay(session, stripe, paying):
    _business, invoice, _link, token = paying
    intent_id = _connect_bank(session, stripe, token)
    _pay_bank(session, stripe, token)
    payments.apply_event(session, _event(stripe.settle(intent_id, success=False), "payment_intent.payment_failed"))
    payment = session.exec(select(Payment)).one()
    assert payment.status == PaymentStatus.FAILED and "insufficient funds" in payment.failure_reason
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 25_000
    assert "payment.failed" in _actions(session)
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAY
    assert _card(session, stripe, token).status == "succeeded"
    assert invoice.status == InvoiceStatus.PAID
    assert len(stripe.intents) == 2  # the failed debit's intent is not reused


def test_events_in_any_order_end_in_the_same_state(session, stripe, paying):
    _business, invoice, _link, token = paying
    intent_id = _connect_bank(session, stripe, token)
    _pay_bank(session, stripe, token)
    processing = _event(stripe.intents[intent_id], "payment_intent.processing")
    succeeded = _event(stripe.settle(intent_id))
    payments.apply_event(session, succeeded)
    payments.apply_event(session, processing)  # late
    assert session.exec(select(Payment)).one().status == PaymentStatus.SUCCEEDED
    assert invoice.status == InvoiceStatus.PAID
    assert session.exec(select(StripePaymentIntent)).one().status == "succeeded"  # not the late report's


def test_a_failure_reported_before_processing_still_shows_as_a_failed_payment(session, stripe, paying):
    _business, invoice, _link, token = paying
    intent_id = _connect_bank(session, stripe, token)
    stripe.intents[intent_id] = stripe.settle(intent_id, success=False)
    session.exec(select(StripePaymentIntent)).one().method = "ach"
    payments.apply_event(session, _event(stripe.intents[intent_id], "payment_intent.payment_failed"))
    payments.apply_event(session, _event(stripe.intents[intent_id], "payment_intent.processing"))
    assert session.exec(select(Payment)).one().status == PaymentStatus.FAILED
    assert invoice.balance_cents == 25_000


def test_events_for_other_invoices_or_accounts_are_ignored(session, stripe, paying):
    business, invoice, _link, token = paying
    _card(session, stripe, token, CARD_DECLINED)
    intent = stripe.intents["pi_1"]
    stranger = intent.__class__(
        **{
            **intent.__dict__,
            "metadata": {"smslinks_invoice_id": str(invoice.id), "smslinks_business_id": str(business.id + 1)},
            "status": "succeeded",
        }
    )
    assert payments.apply_event(session, _event(stranger)) is True
    assert invoice.amount_paid_cents == 0


def test_refunds_and_disputes_give_the_balance_back(session, stripe, paying):
    _business, invoice, _link, token = paying
    _card(session, stripe, token)
    refund = {"id": "ch_1", "payment_intent": "pi_1", "amount": 25_000, "amount_refunded": 5_000}
    payments.apply_event(session, GatewayEvent("evt_r1", "charge.refunded", utcnow(), refund))
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 5_000
    dispute = {"id": "dp_1", "payment_intent": "pi_1", "amount": 20_000, "reason": "fraudulent"}
    payments.apply_event(session, GatewayEvent("evt_d1", "charge.dispute.created", utcnow(), dispute))
    payment = session.exec(select(Payment)).one()
    assert payment.status == PaymentStatus.DISPUTED and payment.collected_cents == 0
    assert invoice.balance_cents == 25_000
    assert {"payment.refunded", "payment.disputed", "invoice.reopened"} <= set(_actions(session))


def test_full_refund_marks_the_payment_refunded(session, stripe, paying):
    _business, invoice, _link, token = paying
    _card(session, stripe, token)
    refund = {"id": "ch_1", "payment_intent": "pi_1", "amount": 25_000, "amount_refunded": 25_000}
    payments.apply_event(session, GatewayEvent("evt_r2", "charge.refunded", utcnow(), refund))
    assert session.exec(select(Payment)).one().status == PaymentStatus.REFUNDED
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid_cents == 0


# --- receipts -------------------------------------------------------------------------------------


def test_no_receipt_text_to_a_number_that_opted_out_it_goes_by_email(session, stripe, paying):
    business, _invoice, _link, token = paying
    consent.opt_out(session, business.id, "+15125550134", 'reply "STOP"')
    outcome = _card(session, stripe, token, language="es")
    [receipt] = _receipts(session)
    assert outcome.receipt_channel == "email"
    assert (receipt.channel, receipt.to_address) == ("email", "pat@example.net")
    assert receipt.subject.startswith("Recibo de la factura #")


def test_a_link_sent_elsewhere_falls_back_to_the_customers_mobile(session, stripe, paying):
    _business, invoice, _link, _token = paying
    _other, token = links.mint(session, invoice)  # e.g. copied by the office; no message carried it
    _card(session, stripe, token)
    assert [(r.channel, r.to_address) for r in _receipts(session)] == [("sms", "+15125550134")]


# --- the page's view of a link --------------------------------------------------------------------


def test_unknown_and_expired_tokens_get_the_same_view(session, paying):
    _business, invoice, _link, _token = paying
    _old, expired = links.mint(session, invoice, now=utcnow() - timedelta(days=60))
    unknown_view = pay_page.open_link(session, "no-such-token", client=CLIENT, host="")
    expired_view = pay_page.open_link(session, expired, client=CLIENT, host="")
    assert unknown_view == expired_view
    assert expired_view.screen is Screen.EXPIRED and expired_view.business_phone == "(512) 555-0999"


def test_guessing_tokens_gets_a_client_throttled(session, paying, monkeypatch):
    _business, _invoice, _link, token = paying
    from smslinks.config import get_settings

    monkeypatch.setattr(get_settings(), "pay_link_max_failures", 3)
    for attempt in range(3):
        assert pay_page.open_link(session, f"guess-{attempt}", client=CLIENT, host="").screen is Screen.EXPIRED
    assert pay_page.open_link(session, "guess-4", client=CLIENT, host="").screen is Screen.THROTTLED
    assert pay_page.open_link(session, "guess-4", client="198.51.100.9", host="").screen is Screen.EXPIRED


def test_a_live_link_opens_whatever_else_came_from_its_address(session, stripe, paying, monkeypatch):
    """A carrier NAT or an office Wi-Fi: someone's guessing never stops a customer's own link."""
    _business, _invoice, _link, token = paying
    from smslinks.config import get_settings

    monkeypatch.setattr(get_settings(), "pay_link_max_failures", 2)
    for attempt in range(5):
        pay_page.open_link(session, f"guess-{attempt}", client=CLIENT, host="")
    assert pay_page.open_link(session, "guess-9", client=CLIENT, host="").screen is Screen.THROTTLED
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAY
    _card(session, stripe, token)
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAID


def test_a_live_link_opens_with_few_queries_and_no_throttle_check_or_row(session, paying):
    """A page visit reads the link and its invoice once; guesses are counted, not visits. A visit
    within a minute of the last one writes nothing."""
    business, _invoice, _link, token = paying
    payment_settings(session, business.id)  # saved, as every business's are once its owner set up
    session.commit()
    session.expunge_all()  # nothing in the session's memory: as a page visit's fresh session
    with recorded(session) as first:
        assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAY
        session.commit()
    with recorded(session) as again:
        assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAY
        session.commit()
    assert session.exec(select(PayLinkFailure)).all() == []
    for visit in (first, again):
        assert not [sql for sql in visit if "pay_link_failure" in sql]
        assert len([sql for sql in visit if sql.startswith("SELECT") and "FROM payment_link" in sql]) == 1
    assert len(first) == 9  # lookup, first-open mark, webhook subscriptions, the page's reads, invoice touched
    assert len(again) == 6 and not [sql for sql in again if not sql.startswith("SELECT")]


def test_the_pay_page_counts_payments_in_flight_by_the_same_rule_as_the_query(session, paying):
    """The page works out what is on its way from the payments it already read; the office's lists ask
    the database. Both must agree: a processing bank debit, a processing card, nothing else."""
    _business, invoice, _link, _token = paying
    start = utcnow()
    for minutes, cents, method, status in [
        (0, 3_000, "card", PaymentStatus.SUCCEEDED),
        (5, 10_000, "ach", PaymentStatus.PROCESSING),
        (9, 2_000, "card", PaymentStatus.FAILED),
    ]:
        session.add(
            Payment(
                invoice_id=invoice.id,
                amount_cents=cents,
                method=method,
                status=status,
                created_at=start + timedelta(minutes=minutes),
            )
        )
    session.commit()

    def both() -> tuple:
        read = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
        return invoices.PaymentsInFlight.among(read), invoices.payments_in_flight(session, [invoice.id]).get(invoice.id)

    among, queried = both()
    assert among == queried and among.amount_cents == 10_000 and among.bank_only
    session.add(Payment(invoice_id=invoice.id, amount_cents=500, method="card", status=PaymentStatus.PROCESSING))
    session.commit()
    among, queried = both()
    assert among == queried and among.amount_cents == 10_500 and not among.bank_only
    for payment in session.exec(select(Payment).where(Payment.status == PaymentStatus.PROCESSING)):
        payment.status = PaymentStatus.SUCCEEDED
    session.commit()
    assert both() == (None, None)


def test_one_dead_link_counts_once_however_often_it_is_opened(session, paying, monkeypatch):
    """The page's HTML and its app both open the link, and customers reload: neither locks them out."""
    _business, _invoice, _link, token = paying
    from smslinks.config import get_settings

    monkeypatch.setattr(get_settings(), "pay_link_max_failures", 2)
    for _ in range(5):
        assert pay_page.open_link(session, "dead-link", client=CLIENT, host="").screen is Screen.EXPIRED
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAY
    assert pay_page.open_link(session, "another-dead-link", client=CLIENT, host="").screen is Screen.EXPIRED
    assert pay_page.open_link(session, "a-third-dead-link", client=CLIENT, host="").screen is Screen.THROTTLED


def test_the_view_shows_this_invoice_and_nothing_else(session, paying):
    business, invoice, link, token = paying
    view = pay_page.open_link(session, token, client=CLIENT, host="")
    assert view.screen is Screen.PAY and view.number == invoice.number and view.balance_cents == 25_000
    assert view.service_address == "100 Main St, Austin, TX 78701"
    assert [line.description for line in view.lines] == ["Service call"]
    assert view.card_enabled and view.ach_enabled and not view.partial_allowed
    shown = pay_page.present(view, "en")
    assert "Customer" not in str(shown) and "pat@example.net" not in str(shown)
    assert session.get(type(link), link.id).last_opened_at is not None


def test_revoked_void_and_paid_screens(session, stripe, paying):
    business, invoice, _link, token = paying
    _card(session, stripe, token)
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.PAID
    links.revoke_all(session, invoice)
    revoked = pay_page.open_link(session, token, client=CLIENT, host="")
    assert revoked.screen is Screen.REVOKED and revoked.business_name == business.name
    invoice.status = InvoiceStatus.VOID
    assert pay_page.open_link(session, token, client=CLIENT, host="").screen is Screen.VOID


def test_expired_links_name_the_business_of_the_host(session, paying):
    business, *_ = paying
    factories.business(session, name="Other Co", phone="+15125550444", host="pay.other.example")
    business.host = "pay.testplumbing.example"
    view = pay_page.open_link(session, "nope", client=CLIENT, host="pay.other.example:443")
    assert view.business_name == "Other Co"
    assert pay_page.open_link(session, "nope", client=CLIENT, host="unknown.example").business_name == ""


# --- the app answering from the server-drawn page's read -------------------------------------------


def _page_then_app(session, token, recent):
    """The server-drawn page opens the link, then the app that takes it over, each in a fresh session;
    the app's statements."""
    session.expunge_all()
    page = pay_page.open_link(session, token, client=CLIENT, host="", keep=recent)
    session.commit()
    session.expunge_all()
    with recorded(session) as statements:
        app = pay_page.open_link(session, token, client=CLIENT, host="", keep=recent, reuse=True)
        session.commit()
    return page, app, statements


def test_the_app_answers_from_the_pages_read_moments_before(session, paying):
    _business, _invoice, _link, token = paying
    recent = MemoryRecentViews()
    page, app, statements = _page_then_app(session, token, recent)
    assert app == page and app.screen is Screen.PAY and app.number == paying[1].number
    assert len(statements) == 1 and "FROM payment_link LEFT OUTER JOIN invoice" in statements[0]
    session.expunge_all()
    fresh = pay_page.open_link(session, token, client=CLIENT, host="")
    assert fresh == app  # what the app shows is what a new read shows


def test_a_payment_between_the_page_and_the_app_is_read_again(session, stripe, paying):
    _business, _invoice, _link, token = paying
    recent = MemoryRecentViews()
    pay_page.open_link(session, token, client=CLIENT, host="", keep=recent)
    session.commit()
    _card(session, stripe, token)  # another tab paid meanwhile
    session.expunge_all()
    app = pay_page.open_link(session, token, client=CLIENT, host="", keep=recent, reuse=True)
    assert app.screen is Screen.PAID and app.balance_cents == 0


def test_a_bank_waiting_for_microdeposits_between_the_page_and_the_app_is_read_again(session, stripe, paying):
    _business, _invoice, _link, token = paying
    recent = MemoryRecentViews()
    pay_page.open_link(session, token, client=CLIENT, host="", keep=recent)
    session.commit()
    _connect_bank(session, stripe, token, BANK_MICRODEPOSITS)
    assert _pay_bank(session, stripe, token).status == "verify"
    session.commit()
    session.expunge_all()
    assert pay_page.open_link(session, token, client=CLIENT, host="", keep=recent, reuse=True).screen is Screen.VERIFY


def test_an_office_edit_between_the_page_and_the_app_is_read_again(session, paying):
    _business, invoice, _link, token = paying
    recent = MemoryRecentViews()
    pay_page.open_link(session, token, client=CLIENT, host="", keep=recent)
    session.commit()
    line = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).first()
    assert line is not None
    line.description = "Second visit: new capacitor"
    session.add(line)
    invoices.touch(session, invoice.id)  # as every change the invoice's pages show does
    session.commit()
    session.expunge_all()
    app = pay_page.open_link(session, token, client=CLIENT, host="", keep=recent, reuse=True)
    assert "Second visit: new capacitor" in [shown.description for shown in app.lines]


def test_a_view_older_than_its_time_is_read_again(session, paying, monkeypatch):
    _business, _invoice, _link, token = paying
    recent = MemoryRecentViews()
    pay_page.open_link(session, token, client=CLIENT, host="", keep=recent)
    session.commit()
    later = utcnow() + timedelta(seconds=pay_page.RECENT_VIEW_SECONDS + 1)
    monkeypatch.setattr(pay_page, "utcnow", lambda: later)
    session.expunge_all()
    with recorded(session) as statements:
        pay_page.open_link(session, token, client=CLIENT, host="", keep=recent, reuse=True)
    assert len([sql for sql in statements if "FROM invoice_line" in sql]) == 1


def test_the_page_itself_always_reads_afresh(session, paying):
    """A reload shows what changed, even what does not touch the invoice (the business's settings)."""
    business, _invoice, _link, token = paying
    recent = MemoryRecentViews()
    assert pay_page.open_link(session, token, client=CLIENT, host="", keep=recent).card_enabled
    settings = payment_settings(session, business.id)
    settings.card_enabled = False
    session.add(settings)
    session.commit()
    session.expunge_all()
    assert not pay_page.open_link(session, token, client=CLIENT, host="", keep=recent).card_enabled


def test_a_store_that_forgot_or_failed_means_a_fresh_read(session, paying):
    _business, _invoice, _link, token = paying

    class Failing:
        def get(self, invoice_id):
            return None

        def put(self, invoice_id, kept, seconds):
            pass

    page, app, statements = _page_then_app(session, token, Failing())
    assert app == page and len([sql for sql in statements if "FROM invoice_line" in sql]) == 1


def test_memory_views_forget_after_their_seconds_and_beyond_their_number(monkeypatch):
    clock = [1000.0]
    monkeypatch.setattr(recent_views.time, "monotonic", lambda: clock[0])
    views = MemoryRecentViews(max_views=2)
    kept = [pay_page.KeptView(pay_page.PayView(Screen.PAY, number=str(n)), utcnow(), utcnow()) for n in range(3)]
    views.put(1, kept[0], 30)
    clock[0] += 29
    assert views.get(1) == kept[0]
    clock[0] += 1
    assert views.get(1) is None
    for invoice_id in (1, 2, 3):
        views.put(invoice_id, kept[invoice_id - 1], 30)
    assert views.get(1) is None and views.get(2) == kept[1] and views.get(3) == kept[2]
