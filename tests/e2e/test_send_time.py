"""A text held for the customer's night is checked again in the morning; one text waits per number;
a bank payment on its way shows as Pending. Driven as the office, the customer and the technician do.

"The morning" is a dispatcher run with its clock at the held text's time, against the app's database
(the app's own dispatcher keeps the real clock, so it leaves the held text alone until then).
"""

import re
from datetime import timedelta
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.models import Business, Customer, Employee, OutboundMessage, Payment
from tests import factories
from tests.e2e.conftest import assert_fits, demo_settings, screenshot, settled, sign_in
from tests.e2e.test_office_sending import _NEEDED, SLOW, make_invoice, messages_for, text_dialog
from tests.e2e.test_pay import _fill_card, _start_bank_payment
from tests.fakes import Clock, FakeEmail, FakeSms

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module", autouse=True)
def sending_on(live_app):
    with demo_settings(
        live_app, _NEEDED["business"], _NEEDED["settings"] | dict(mobile_sms_enabled=True, mobile_email_enabled=True)
    ):
        yield


def _morning_dispatch(live_app, message: OutboundMessage) -> FakeSms:
    """A dispatcher pass at the moment the held text is due; returns what it handed to 'Twilio'."""
    clock = Clock(message.send_after + timedelta(seconds=1))
    sms = FakeSms(clock)
    dispatcher = Dispatcher(
        live_app.engine, sms=sms, email=FakeEmail(), policy=DispatchPolicy(concurrency=1), clock=clock
    )
    dispatcher.promote_scheduled(limit=500)
    return sms


def _email_link(desktop: Page) -> None:
    desktop.get_by_role("button", name="Email Invoice").click()
    dialog = desktop.get_by_role("dialog", name="Email Invoice Link")
    dialog.get_by_role("button", name="Send email").click()
    expect(dialog).to_be_hidden()


def test_a_held_text_is_canceled_in_the_morning_when_the_customer_paid_overnight(live_app, desktop, phone):
    made = make_invoice(
        live_app, "Quinn Nightowl", [("512-555-0181", "Mobile")], local_hour=23, email="quinn.n@example.net"
    )
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")

    # 11 PM at the service location: the button says when the text will go, not "Send".
    dialog = text_dialog(desktop)
    schedule = dialog.get_by_role("button", name="Schedule for 8:00 AM")
    expect(schedule).to_be_visible()
    expect(dialog.get_by_role("button", name="Send", exact=True)).to_have_count(0)
    assert_fits(desktop, "send-time-schedule-button", full_page=False)
    schedule.click()
    expect(
        desktop.get_by_text(re.compile(r"Scheduled for 8:00 AM .* tomorrow because of quiet hours")).first
    ).to_be_visible()

    # A second text to the same number is refused with the time of the first; the office keeps it.
    dialog = text_dialog(desktop)
    waiting = dialog.get_by_test_id("waiting-text")
    expect(waiting).to_have_text(re.compile(r"^A text to \(512\) 555-0181 is already scheduled for 8:00 AM "))
    expect(dialog.get_by_role("button", name="Schedule for 8:00 AM")).to_be_disabled()
    assert_fits(desktop, "send-time-already-scheduled", full_page=False)
    dialog.get_by_role("button", name="Keep it").click()
    expect(dialog).to_be_hidden()
    [held] = messages_for(live_app, made.invoice_id)
    assert held.status == "scheduled"

    # The customer gets the link by email at once and pays by card on their phone.
    _email_link(desktop)
    emailed = next(m for m in messages_for(live_app, made.invoice_id) if m.channel == "email")
    link = re.search(r"https?://\S+/pay/\S+", emailed.body).group(0)
    phone.goto(urlparse(link).path)
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=SLOW)
    _fill_card(phone, "4242 4242 4242 4242")
    phone.get_by_role("button", name="Pay $245.00").click()
    expect(phone.get_by_text(re.compile(r"Thank you! \$245\.00 was paid"))).to_be_visible(timeout=SLOW)

    # 8:00 AM there: the held text is canceled, never sent, and the office sees why.
    sms = _morning_dispatch(live_app, held)
    assert [call for call in sms.calls if call.to == "+15125550181"] == []
    [canceled] = [m for m in messages_for(live_app, made.invoice_id) if m.id == held.id]
    assert canceled.status == "canceled"
    entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0181")
    expect(entry).to_contain_text("Not sent: the invoice was paid before 8:00 AM.", timeout=SLOW)
    expect(entry).to_contain_text("Canceled")
    screenshot(desktop, "send-time-canceled-in-the-morning")


def test_the_office_may_cancel_a_waiting_text_and_send_another(live_app, desktop):
    made = make_invoice(live_app, "Rowan Latebird", [("512-555-0182", "Mobile")], local_hour=23)
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    text_dialog(desktop).get_by_role("button", name="Schedule for 8:00 AM").click()
    dialog = text_dialog(desktop)
    dialog.get_by_role("button", name="Cancel that text").click()
    expect(desktop.get_by_text("Canceled the text to (512) 555-0182.").first).to_be_visible()
    expect(dialog.get_by_test_id("waiting-text")).to_have_count(0)
    dialog.get_by_role("button", name="Schedule for 8:00 AM").click()
    expect(dialog).to_be_hidden()
    statuses = sorted(m.status for m in messages_for(live_app, made.invoice_id))
    assert statuses == ["canceled", "scheduled"]
    entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Canceled by Olivia")
    expect(entry).to_be_visible(timeout=SLOW)


def test_a_held_text_to_a_number_the_office_removes_is_canceled_and_says_why(live_app, desktop):
    """ "That's not my number": the office takes it off the customer after scheduling a text to it at
    night. The text must not reach it in the morning, and the invoice says why."""
    made = make_invoice(live_app, "Morgan Wrongnumber", [("512-555-0185", "Mobile")], local_hour=23)
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    text_dialog(desktop).get_by_role("button", name="Schedule for 8:00 AM").click()
    expect(desktop.get_by_text(re.compile(r"Scheduled for 8:00 AM .* because of quiet hours")).first).to_be_visible()
    [held] = messages_for(live_app, made.invoice_id)
    assert held.status == "scheduled"

    with live_app.session() as session:
        customer = session.exec(select(Customer).where(Customer.name == made.customer)).one()
    desktop.goto(f"/customers/{customer.id}")
    desktop.get_by_role("button", name="Edit").click()
    dialog = desktop.get_by_role("dialog", name="Edit customer")
    expect(dialog).to_be_visible()
    settled(desktop)
    dialog.get_by_role("button", name="Remove phone 1").click()
    dialog.get_by_role("button", name="Save changes").click()
    expect(dialog).to_be_hidden()

    desktop.goto(f"/invoices/{made.invoice_id}")
    entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0185")
    reason = re.compile(r"Not sent: Olivia .+ removed \(512\) 555-0185 from the customer before it went out\.")
    expect(entry).to_contain_text(reason, timeout=SLOW)
    expect(entry).to_contain_text("Canceled")
    expect(desktop.get_by_text(re.compile("because of quiet hours"))).to_have_count(0)  # the last visit's news
    screenshot(desktop, "send-time-canceled-number-removed")
    sms = _morning_dispatch(live_app, held)
    assert [call for call in sms.calls if call.to == "+15125550185"] == []


def _tech_job_invoice(live_app, customer_name: str, number: str):
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        tech = session.exec(select(Employee).where(Employee.email == "tech@example.com")).one()
        customer = factories.customer(session, business, customer_name)
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        factories.phone(session, number, customer=customer)
        job = factories.job(session, location, tech)
        invoice = factories.invoice(session, location, total_cents=33_207, job=job)
        session.commit()
        return invoice.id, job.id


def test_a_bank_payment_in_flight_shows_pending_and_refuses_another_text(live_app, desktop, phone):
    invoice_id, job_id = _tech_job_invoice(live_app, "Sawyer Bankwell", "512-555-0183")
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{invoice_id}")
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_enabled()
    dialog = text_dialog(desktop)
    dialog.get_by_role("button", name="Send", exact=True).click()
    expect(dialog).to_be_hidden()
    sent = [m for m in messages_for(live_app, invoice_id) if m.channel == "sms"][0]
    token_path = urlparse(re.search(r"https?://\S+/pay/\S+", sent.body).group(0)).path

    # The customer pays from their bank account: Stripe reports it processing for days.
    phone.goto(token_path)
    _start_bank_payment(phone)
    phone.get_by_label("I authorize this one-time bank debit.").check()
    phone.get_by_role("button", name="Pay $332.07").click()
    expect(phone.get_by_role("heading", name="Payment processing")).to_be_visible(timeout=SLOW)
    with live_app.session() as session:
        assert session.exec(select(Payment.status).where(Payment.invoice_id == invoice_id)).all() == ["processing"]

    pending = re.compile(r"Bank payment of \$332\.07 processing since \w{3} \d{1,2}\.")
    expect(desktop.get_by_test_id("bank-pending")).to_have_text(pending, timeout=SLOW)
    expect(desktop.get_by_text("Pending", exact=True).first).to_be_visible()
    charges = desktop.get_by_role("region", name="Work and charges")
    expect(charges).to_contain_text(re.compile(r"Bank payment processing\s*\$332\.07"))
    expect(charges).to_contain_text(re.compile(r"Balance due once it clears\s*\$0\.00"))
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_disabled()
    expect(
        desktop.get_by_text(re.compile(r"A bank payment of \$332\.07 has been processing since")).first
    ).to_be_visible()
    screenshot(desktop, "send-time-bank-payment-pending")
    desktop.goto("/invoices")
    desktop.get_by_label("Search invoices").fill("Bankwell")
    desktop.get_by_role("button", name="Search").click()
    expect(desktop.get_by_role("row").filter(has_text="Sawyer Bankwell")).to_contain_text("Pending")

    # The technician's phone shows the same.
    phone.context.clear_cookies()
    sign_in(phone, "tech@example.com")
    phone.goto(f"/tech/jobs/{job_id}")
    expect(phone.get_by_test_id("bank-pending")).to_have_text(pending, timeout=SLOW)
    expect(phone.get_by_text("Pending", exact=True).first).to_be_visible()
    assert_fits(phone, "send-time-bank-payment-pending-phone")
