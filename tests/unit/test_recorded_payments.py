from datetime import date, timedelta

import pytest
from sqlmodel import select

from smslinks.core import invoice_view, links, pay_page, recorded_payments
from smslinks.core.errors import NotAllowed
from smslinks.core.pay_page import Screen
from smslinks.core.permissions import Permission, set_permission
from smslinks.core.recorded_payments import RecordedPaymentForm, RecordRefused
from smslinks.models import (
    AuditEvent,
    Business,
    Invoice,
    InvoiceStatus,
    Payment,
    PaymentStatus,
    WebhookEndpoint,
    WebhookEvent,
)
from tests import factories
from tests.unit.test_send_time import World


@pytest.fixture
def world(engine) -> World:
    world = World(engine)
    with world.session() as session:
        endpoint = WebhookEndpoint(
            business_id=world.business_id,
            url="https://hooks.example.net/x",
            secret="whsec_x",
            events="payment.succeeded invoice.paid",
        )
        session.add(endpoint)
        session.commit()
    return world


def _today(world) -> str:
    with world.session() as session:
        return recorded_payments.business_today(session.get(Business, world.business_id)).isoformat()


def _record(world, amount="332.07", method="check", check_number="1042", received_on=None, employee=None):
    with world.session() as session:
        employee = session.get(type(world.office), (employee or world.office).id)
        form = RecordedPaymentForm(method, amount, received_on or _today(world), check_number, "Left at the front desk")
        payment = recorded_payments.record_payment(session, employee, world.invoice_id, form)
        session.commit()
        return payment


def _invoice(world) -> Invoice:
    with world.session() as session:
        return session.get(Invoice, world.invoice_id)


def test_a_check_paying_the_balance_marks_the_invoice_paid_fires_webhooks_and_cancels_the_waiting_text(world):
    waiting = world.text()
    assert waiting.scheduled_for is not None  # held for the customer's morning
    payment = _record(world)
    assert (payment.method, payment.method_detail, payment.status) == ("check", "Check #1042", "succeeded")
    invoice = _invoice(world)
    assert invoice.status == InvoiceStatus.PAID and invoice.balance_cents == 0
    with world.session() as session:
        events = {e.type: e.payload for e in session.exec(select(WebhookEvent)).all()}
        actions = [a.action for a in session.exec(select(AuditEvent)).all()]
    assert set(events) == {"payment.succeeded", "invoice.paid"} and '"method":"check"' in events["payment.succeeded"]
    assert "payment.recorded" in actions and "invoice.paid" in actions
    world.morning(waiting.message_id)
    message = world.message(waiting.message_id)
    assert message.status == "canceled" and world.sms.calls == []
    assert message.failure_reason == "Not sent: the invoice was paid before 8:00 AM."


def test_the_customers_link_shows_already_paid(world):
    with world.session() as session:
        _link, token = links.mint(session, session.get(Invoice, world.invoice_id))
        session.commit()
    _record(world, method="cash", check_number="")
    with world.session() as session:
        view = pay_page.open_link(session, token, client="203.0.113.9", host="")
    assert view.screen == Screen.PAID


def test_a_partial_cash_payment_leaves_the_rest_open(world):
    _record(world, amount="100", method="cash", check_number="")
    invoice = _invoice(world)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 23_207


@pytest.mark.parametrize(
    ("method", "amount", "check_number", "received_on", "field"),
    [
        ("bitcoin", "10", "", None, "method"),
        ("cash", "abc", "", None, "amount"),
        ("cash", "0", "", None, "amount"),
        ("cash", "332.08", "", None, "amount"),
        ("check", "10", " ", None, "check_number"),
        ("cash", "10", "", "2020-01-01", "received_on"),
        ("cash", "10", "", (date.today() + timedelta(days=3)).isoformat(), "received_on"),
        ("cash", "10", "", "yesterday", "received_on"),
    ],
)
def test_bad_input_is_refused_beside_its_field_and_writes_nothing(
    world, method, amount, check_number, received_on, field
):
    with pytest.raises(RecordRefused) as refused:
        _record(world, amount=amount, method=method, check_number=check_number, received_on=received_on)
    assert field in refused.value.fields
    with world.session() as session:
        assert session.exec(select(Payment)).first() is None


def test_only_employees_who_may_edit_invoices_record_payments(world):
    with world.session() as session:
        business = session.get(Business, world.business_id)
        dispatcher = factories.employee(session, business, role="Dispatcher")
        set_permission(session, dispatcher, Permission.EDIT_INVOICES, False)
        session.commit()
    with pytest.raises(NotAllowed):
        _record(world, employee=dispatcher)


def test_voiding_a_recorded_payment_keeps_it_with_its_reason_and_reopens_the_balance(world):
    payment = _record(world)
    with world.session() as session:
        office = session.get(type(world.office), world.office.id)
        with pytest.raises(RecordRefused):
            recorded_payments.void_payment(session, office, payment.id, "  ")
        recorded_payments.void_payment(session, office, payment.id, "Check bounced")
        session.commit()
        rows = invoice_view.payments(session, office, world.invoice_id)
        with pytest.raises(RecordRefused):  # once
            recorded_payments.void_payment(session, office, payment.id, "again")
    invoice = _invoice(world)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 33_207
    [row] = rows
    assert row.status == PaymentStatus.VOIDED and "Voided: Check bounced" in row.note and not row.can_void
    with world.session() as session:
        voided = session.exec(select(AuditEvent).where(AuditEvent.action == "payment.voided")).one()
    assert "Check bounced" in voided.detail
