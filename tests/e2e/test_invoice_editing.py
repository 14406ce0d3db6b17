"""Invoices made and changed in the browser: the office creates, corrects and finalizes one, a
manager voids one (its waiting text is canceled) and schedules a job, and the technician invoices
that job from a phone.

Each test makes its own customers and invoices (tests/factories): other modules share the app.
"""

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.models import (
    Business,
    Customer,
    Employee,
    Invoice,
    InvoiceLine,
    Job,
    MessageStatus,
    OutboundMessage,
    PaymentLink,
)
from tests import factories
from tests.e2e.conftest import assert_fits, demo_settings, screenshot, settled, sign_in

pytestmark = pytest.mark.e2e

SLOW = 20_000

_OFFICE_SENDING = {
    "business": dict(sms_links_available=True, sms_registration_status="approved"),
    "settings": dict(
        sms_links_enabled=True,
        office_sms_enabled=True,
        mobile_sms_enabled=True,
        card_enabled=True,
        ach_enabled=True,
        sms_per_recipient_daily_limit=3,
    ),
}


@pytest.fixture(scope="module", autouse=True)
def sending_on(live_app):
    with demo_settings(live_app, **_OFFICE_SENDING):
        yield


def make_customer(live_app, name: str, mobile: str, *, time_zone: str | None = None) -> tuple[int, int]:
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        customer = factories.customer(session, business, name)
        location = factories.location(session, customer, time_zone=time_zone or business.time_zone)
        factories.phone(session, mobile, customer=customer, type="Mobile")
        session.commit()
        return customer.id, location.id


def highest_numeric_invoice_number(live_app) -> int:
    with live_app.session() as session:
        numbers = session.exec(select(Invoice.number)).all()
        return max(int(n) for n in numbers if n.isdigit())


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_role("combobox", name=label).click()
    page.get_by_role("option", name=option).click()


def pick_customer(page: Page, name: str) -> None:
    page.get_by_label("Find a customer").fill(name.split()[-1])
    page.get_by_role("button", name="Find").click()
    page.get_by_role("list", name="Customers found").get_by_role("button", name=name).click()


def test_office_creates_an_invoice_sees_a_price_refused_beside_its_field_and_finalizes_it(live_app, desktop):
    make_customer(live_app, "Ingrid Bellweather", "512-555-0861")
    sign_in(desktop, "office@example.com")
    desktop.get_by_role("button", name="New invoice").click()
    expect(desktop.get_by_role("heading", name="New invoice")).to_be_visible()
    pick_customer(desktop, "Ingrid Bellweather")
    expect(desktop.get_by_role("region", name="Customer and place")).to_contain_text("Ingrid Bellweather")

    line1 = desktop.get_by_role("group", name="Line 1")
    line1.get_by_label("Description, line 1").fill("Diagnostic visit")
    line1.get_by_label("Unit price, line 1").fill("-89")
    desktop.get_by_role("button", name="Add line").click()
    line2 = desktop.get_by_role("group", name="Line 2")
    line2.get_by_label("Description, line 2").fill("Run capacitor 45/5 MFD")
    line2.get_by_label("Quantity, line 2").fill("2")
    line2.get_by_label("Unit price, line 2").fill("45.50")
    desktop.get_by_label("Tax").fill("7.50")
    expect(line2.get_by_label("Amount, line 2")).to_have_text("$91.00")
    desktop.get_by_role("button", name="Save draft").click()
    expect(line1.get_by_role("alert")).to_contain_text("The unit price cannot be negative")
    expect(line1.get_by_label("Unit price, line 1")).to_have_attribute("aria-invalid", "true")
    # Said beside the buttons, not in a toast over them.
    expect(desktop.get_by_role("alert").filter(has_text="Check the highlighted fields.")).to_be_visible()
    assert_fits(desktop, "invoice-editor-price-refused-desktop")

    line1.get_by_label("Unit price, line 1").fill("89")
    expect(line1.get_by_role("alert")).to_have_count(0)
    totals = desktop.get_by_role("status", name="Totals")
    expect(totals).to_contain_text(re.compile(r"Subtotal\s*\$180\.00"))
    expect(totals).to_contain_text(re.compile(r"Total\s*\$187\.50"))
    before = highest_numeric_invoice_number(live_app)
    desktop.get_by_role("button", name="Finalize").click()
    expected = str(before + 1)
    expect(desktop.get_by_role("heading", name=f"Invoice #{expected}")).to_be_visible(timeout=SLOW)
    expect(desktop.get_by_text(f"Finalized invoice #{expected}.")).to_be_visible()
    lines = desktop.get_by_role("region", name="Work and charges")
    expect(lines).to_contain_text("Run capacitor 45/5 MFD")
    expect(lines).to_contain_text("$187.50")
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_enabled()
    expect(desktop.get_by_role("button", name="Edit")).to_be_visible()
    expect(desktop.get_by_role("button", name="Finalize")).to_have_count(0)
    expect(desktop.get_by_role("button", name="Void")).to_have_count(0)  # office employees do not void
    screenshot(desktop, "invoice-finalized-desktop")

    # Changing it while it is open: the live links ask for the new balance.
    desktop.get_by_role("button", name="Edit").click()
    expect(desktop.get_by_role("heading", name=f"Edit invoice #{expected}")).to_be_visible()
    desktop.get_by_role("button", name="Remove line 2").click()
    desktop.get_by_role("button", name="Save changes").click()
    expect(desktop.get_by_role("heading", name=f"Invoice #{expected}")).to_be_visible(timeout=SLOW)
    expect(desktop.get_by_role("region", name="Work and charges")).to_contain_text("$96.50")


def test_manager_voids_an_invoice_and_its_waiting_text_is_canceled(live_app, desktop):
    _customer_id, location_id = make_customer(live_app, "Osric Pemberton", "512-555-0871")
    with live_app.session() as session:
        from smslinks.models import Location

        location = session.get(Location, location_id)
        invoice = factories.invoice(session, location, total_cents=31_000)
        link = PaymentLink(
            invoice_id=invoice.id,
            token_hash="e2e-void-" + invoice.number,
            expires_at=datetime.now(UTC) + timedelta(days=30),
        )
        session.add(link)
        session.flush()
        # Held for quiet hours until tomorrow: still waiting when the invoice is voided.
        session.add(
            OutboundMessage(
                business_id=invoice.business_id,
                invoice_id=invoice.id,
                channel="sms",
                to_address="+15125550871",
                body="(held)",
                status=MessageStatus.SCHEDULED,
                payment_link_id=link.id,
                send_after=datetime.now(UTC) + timedelta(hours=20),
            )
        )
        session.commit()
        invoice_id, number = invoice.id, invoice.number
    sign_in(desktop, "manager@example.com")
    desktop.goto(f"/invoices/{invoice_id}")
    expect(desktop.get_by_role("heading", name=f"Invoice #{number}")).to_be_visible()
    desktop.get_by_role("button", name="Void").click()
    dialog = desktop.get_by_role("alertdialog")
    expect(dialog).to_contain_text("Void this invoice?")
    settled(desktop)
    dialog.get_by_role("button", name="Void invoice").click()
    expect(dialog.get_by_role("alert")).to_contain_text("Say why the invoice is voided")
    dialog.get_by_label("Reason").fill("Customer canceled the job")
    assert_fits(desktop, "invoice-void-dialog-desktop", full_page=False)
    dialog.get_by_role("button", name="Void invoice").click()
    expect(desktop.get_by_text("Canceled 1 waiting text.")).to_be_visible()
    expect(dialog).to_be_hidden()
    timeline = desktop.get_by_role("list", name="Texts and emails")
    expect(timeline).to_contain_text("Not sent: the invoice was voided.", timeout=SLOW)
    expect(desktop.get_by_role("main").get_by_text("Void", exact=True).first).to_be_visible()
    expect(desktop.get_by_role("button", name="Void")).to_have_count(0)
    expect(desktop.get_by_role("button", name="Edit")).to_have_count(0)
    expect(desktop.get_by_text("Void: links sent earlier now say the invoice was cancelled.")).to_be_visible()
    expect(desktop.get_by_role("button", name="Revoke links")).to_have_count(0)
    screenshot(desktop, "invoice-voided-desktop")


def test_manager_schedules_a_job_and_the_technician_invoices_it_on_the_phone(live_app, desktop, phone):
    make_customer(live_app, "Thaddeus Okonkwo", "512-555-0881")
    sign_in(desktop, "manager@example.com")
    desktop.get_by_role("link", name="Jobs").click()
    expect(desktop.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    pick_customer(desktop, "Thaddeus Okonkwo")
    choose(desktop, "Technician", "Terry Technician")
    desktop.get_by_label("Starts").fill("23:00")
    desktop.get_by_label("Ends").fill("23:45")
    desktop.get_by_label("Summary").fill("No heat upstairs")
    desktop.get_by_role("button", name="Schedule job").click()
    expect(desktop.get_by_role("alert").filter(has_text="end after it starts")).to_have_count(0)
    expect(desktop.get_by_text("Job scheduled.")).to_be_visible()
    expect(desktop.get_by_role("region", name="Upcoming jobs")).to_contain_text("Thaddeus Okonkwo")
    assert_fits(desktop, "jobs-scheduled-desktop")
    with live_app.session() as session:
        customer = session.exec(select(Customer).where(Customer.name == "Thaddeus Okonkwo")).one()
        job = session.exec(select(Job).where(Job.customer_id == customer.id)).one()
        terry = session.exec(select(Employee).where(Employee.email == "tech@example.com")).one()
        assert (job.technician_id, job.summary) == (terry.id, "No heat upstairs")

    sign_in(phone, "tech@example.com")
    expect(phone.get_by_role("heading", name="Today's jobs")).to_be_visible()
    phone.get_by_role("link").filter(has_text="Thaddeus Okonkwo").click()
    expect(phone.get_by_role("heading", name="Thaddeus Okonkwo")).to_be_visible()
    expect(phone.get_by_text("This job has no invoice yet.")).to_be_visible()
    phone.get_by_role("button", name="Actions").click()
    phone.get_by_role("menuitem", name="Create invoice").click()
    expect(phone.get_by_role("heading", name="New invoice for this job")).to_be_visible()
    line1 = phone.get_by_role("group", name="Line 1")
    line1.get_by_label("Description, line 1").fill("Replace contactor")
    line1.get_by_label("Unit price, line 1").fill("165")
    phone.get_by_label("Tax").fill("13.61")
    expect(phone.get_by_role("status", name="Totals")).to_contain_text(re.compile(r"Total\s*\$178\.61"))
    assert_fits(phone, "tech-create-invoice-phone")
    phone.get_by_role("button", name="Finalize").tap()
    invoice_region = phone.get_by_role("region", name="Invoice")
    expect(invoice_region).to_contain_text(re.compile(r"#\d+"), timeout=SLOW)
    expect(invoice_region).to_contain_text("Replace contactor")
    expect(invoice_region).to_contain_text("$178.61")
    screenshot(phone, "tech-job-invoiced-phone")
    with live_app.session() as session:
        invoice = session.exec(select(Invoice).where(Invoice.job_id == job.id)).one()
        assert invoice.status == "open" and invoice.number.isdigit()
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
        assert [(line.description, line.amount_cents) for line in lines] == [("Replace contactor", 16500)]
