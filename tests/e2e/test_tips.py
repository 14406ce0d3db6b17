"""Tips: the business asks for them in Settings > Online Payments (1280x800); the customer adds one on
the pay page (390x844); the office and the technician see who it went to."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core import accounts, online_payments
from smslinks.models import Business, Employee, Invoice, InvoiceStatus, Location
from tests import factories
from tests.e2e.conftest import SCREENSHOTS, demo_settings, screenshot, sign_in
from tests.e2e.test_pay import (
    _SNAPSHOT_AT_TAKEOVER,
    _fill_card,
    _intent_json,
    _invoice,
    _new_invoice,
    _open,
    _payments,
    _takeover_snapshot,
)

pytestmark = pytest.mark.e2e

TIPS_ON = {"tips_enabled": True, "tip_percent_1": 10, "tip_percent_2": 15, "tip_percent_3": 20}


@pytest.fixture
def tips_on(live_app):
    with demo_settings(live_app, settings=TIPS_ON):
        yield


@pytest.fixture
def settings_restored(live_app):
    """The demo's online payment settings come back after the test, whatever it saved."""
    with live_app.session() as session:
        business_id = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one().id
        before = online_payments.values_of(accounts.payment_settings(session, business_id))
    with demo_settings(live_app, settings=before):
        yield business_id


def _job_invoice(live_app) -> tuple[int, str, int, int]:
    """A pay-page invoice ($286.96) for a job done by the demo technician: (invoice id, token, job id, tech id)."""
    invoice_id, token, _mobile = _new_invoice(live_app)
    with live_app.session() as session:
        invoice = session.get(Invoice, invoice_id)
        technician = session.exec(select(Employee).where(Employee.email == "tech@example.com")).one()
        job = factories.job(session, session.get(Location, invoice.location_id), technician)
        invoice.job_id = job.id
        session.commit()
        return invoice_id, token, job.id, technician.id


def _tip_button(page: Page, name: str):
    return page.get_by_role("button", name=re.compile(rf"^{re.escape(name)}(\s|$)"))


def _pay_and_confirm(page: Page, total: str) -> None:
    expect(page.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name=f"Pay {total}").click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)


def test_a_15_percent_tip_is_charged_credited_to_the_technician_and_the_balance_paid_exactly(
    phone, desktop, live_app, tips_on
):
    invoice_id, token, job_id, technician_id = _job_invoice(live_app)
    _open(phone, token)
    tips = phone.get_by_role("group", name="Add a tip for your technician?")
    expect(tips).to_be_visible()
    expect(_tip_button(phone, "No tip")).to_have_attribute("aria-pressed", "true")
    expect(_tip_button(phone, "15%")).to_contain_text("$43.04")  # 15% of $286.96, to the cent
    expect(phone.get_by_role("button", name="Pay $286.96")).to_be_visible()

    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _tip_button(phone, "15%").click()
    expect(_tip_button(phone, "15%")).to_have_attribute("aria-pressed", "true")
    expect(_tip_button(phone, "No tip")).to_have_attribute("aria-pressed", "false")
    expect(phone.get_by_text("Includes a $43.04 tip for your technician.")).to_be_visible()
    screenshot(phone, "pay-tip-15-phone")
    _pay_and_confirm(phone, "$330.00")
    expect(phone.get_by_text("Thank you! $330.00 was paid with Visa •••• 4242.")).to_be_visible()
    expect(phone.get_by_text("Includes a $43.04 tip for your technician.")).to_be_visible()
    screenshot(phone, "pay-tip-confirmed-phone")

    [payment] = _payments(live_app, invoice_id)
    assert (payment.amount_cents, payment.tip_cents, payment.tip_employee_id) == (28_696, 4_304, technician_id)
    assert _intent_json(live_app, invoice_id)["amount"] == 33_000  # what Stripe charged
    invoice = _invoice(live_app, invoice_id)
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid_cents == 28_696 == invoice.total_cents

    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{invoice_id}")
    expect(desktop.get_by_text("Tip $43.04 for Terry Technician")).to_be_visible(timeout=15_000)
    screenshot(desktop, "invoice-payment-with-tip-desktop")

    sign_in(phone, "tech@example.com")
    phone.goto(f"/tech/jobs/{job_id}")
    expect(phone.get_by_role("status").filter(has_text="Tips for you on this job: $43.04")).to_be_visible(
        timeout=15_000
    )
    screenshot(phone, "tech-job-tip-phone")


def test_a_refund_past_the_invoice_part_reaches_the_tip_last(phone, desktop, live_app, tips_on):
    invoice_id, token, job_id, _technician_id = _job_invoice(live_app)
    _open(phone, token)
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _tip_button(phone, "15%").click()
    _pay_and_confirm(phone, "$330.00")

    sign_in(desktop, "accountant@example.com")
    desktop.goto(f"/invoices/{invoice_id}")
    payments = desktop.get_by_role("region", name="Payments")
    payments.get_by_role("button", name="Refund $286.96").click(timeout=15_000)  # the payment's invoice part
    dialog = desktop.get_by_role("dialog", name="Refund payment")
    expect(dialog.get_by_text("Up to $330.00 can be refunded.", exact=False)).to_be_visible()
    expect(dialog.get_by_text("the invoice's part is refunded first and a tip last", exact=False)).to_be_visible()
    expect(dialog.get_by_text("Of the $330.00, $43.04 is the tip for Terry Technician.", exact=False)).to_be_visible()
    screenshot(desktop, "refund-dialog-with-tip-desktop")
    dialog.get_by_label("Amount to refund").fill("296.96")  # the invoice's $286.96 and $10.00 of the tip
    dialog.get_by_label("Reason").fill("Job cancelled; goodwill on the tip")
    dialog.get_by_role("button", name="Refund", exact=True).click()

    expect(payments.get_by_text("$10.00 of the tip refunded", exact=False)).to_be_visible(timeout=15_000)
    payments.get_by_role("button", name="Refund $286.96").click()  # what is left is tip
    expect(dialog.get_by_text("Up to $33.04 can be refunded.", exact=False)).to_be_visible()
    expect(dialog.get_by_text("All of it is the tip for Terry Technician.", exact=False)).to_be_visible()
    dialog.get_by_role("button", name="Cancel").click()
    invoice = _invoice(live_app, invoice_id)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 28_696  # reopened by the invoice part
    expect(desktop.get_by_text("Refunded $296.96. The customer has been told.")).to_be_hidden(timeout=15_000)
    screenshot(desktop, "invoice-refund-with-tip-desktop")

    sign_in(phone, "tech@example.com")
    phone.goto(f"/tech/jobs/{job_id}")
    expect(phone.get_by_role("status").filter(has_text="Tips for you on this job: $33.04")).to_be_visible(
        timeout=15_000
    )


def test_a_custom_tip_is_checked_then_charged(phone, live_app, tips_on):
    invoice_id, token, _job_id, technician_id = _job_invoice(live_app)
    _open(phone, token)
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _tip_button(phone, "Custom").click()
    amount = phone.get_by_label("Tip amount")
    amount.fill("300")  # more than the invoice total
    amount.blur()
    expect(phone.get_by_role("alert").first).to_have_text("A tip can be at most $286.96.")
    amount.fill("12.50")
    amount.blur()
    expect(phone.get_by_text("Includes a $12.50 tip for your technician.")).to_be_visible()
    screenshot(phone, "pay-tip-custom-phone")
    _pay_and_confirm(phone, "$299.46")

    [payment] = _payments(live_app, invoice_id)
    assert (payment.amount_cents, payment.tip_cents, payment.tip_employee_id) == (28_696, 1_250, technician_id)
    assert _intent_json(live_app, invoice_id)["amount"] == 29_946
    assert _invoice(live_app, invoice_id).amount_paid_cents == 28_696


def test_the_server_drawn_tips_are_the_tips_react_draws(phone, live_app, tips_on):
    _invoice_id, token, _job_id, _technician_id = _job_invoice(live_app)
    phone.add_init_script(_SNAPSHOT_AT_TAKEOVER)
    _open(phone, token)
    snapshot = _takeover_snapshot(phone)
    assert "text Add a tip for your technician?" in snapshot["drawn"]
    assert snapshot["drawn"] == snapshot["react"]


def test_no_tip_is_offered_while_the_business_does_not_ask(phone, live_app):
    _invoice_id, token, _job_id, _technician_id = _job_invoice(live_app)
    _open(phone, token)
    expect(phone.get_by_role("button", name="Pay $286.96")).to_be_visible()
    expect(phone.get_by_text("Add a tip for your technician?")).to_have_count(0)


def _tips_in_view(page: Page, name: str) -> None:
    """The Tips section as the screen shows it (a full-page shot would put the sticky save bar on it)."""
    page.evaluate("window.scrollTo(0, document.scrollingElement.scrollHeight)")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def test_admin_asks_for_tips_and_sets_the_percentages(desktop, live_app, settings_restored):
    business_id = settings_restored
    sign_in(desktop, "admin@example.com")
    desktop.goto("/settings/invoicing/online-payments")
    switch = desktop.get_by_role("switch", name="Ask customers for a tip", exact=True)
    expect(switch).not_to_be_checked()
    expect(desktop.get_by_label("Tip choice 1")).to_have_count(0)  # shown once tips are on
    switch.click()
    expect(desktop.get_by_label("Tip choice 1")).to_have_value("10")
    expect(desktop.get_by_label("Tip choice 2")).to_have_value("15")
    expect(desktop.get_by_label("Tip choice 3")).to_have_value("20")

    desktop.get_by_label("Tip choice 2").fill("60")
    desktop.get_by_role("button", name="Save", exact=True).click()
    rule = "Each tip percentage must be a whole number from 1 to 50."
    expect(desktop.locator("#tip-percent-error")).to_have_text(rule)
    desktop.get_by_label("Tip choice 2").fill("10")
    # Editing clears the error, and the Save bar moves up a line with it: a click aimed at Save
    # while it moves could land beside it (seen once under load), so this person waits for it.
    expect(desktop.locator("#tip-percent-error")).to_have_count(0)
    desktop.get_by_role("button", name="Save", exact=True).click()
    expect(desktop.locator("#tip-percent-error")).to_have_text(online_payments.TIP_PERCENTS_DIFFERENT)
    with live_app.session() as session:
        assert accounts.payment_settings(session, business_id).tips_enabled is False  # nothing saved yet
    _tips_in_view(desktop, "settings-tips-error-desktop")

    desktop.get_by_label("Tip choice 2").fill("18")
    desktop.get_by_role("button", name="Save", exact=True).click()
    expect(desktop.get_by_text("Online payment settings saved.")).to_be_visible()
    expect(desktop.locator("#tip-percent-error")).to_have_count(0)
    with live_app.session() as session:
        settings = accounts.payment_settings(session, business_id)
        assert (settings.tips_enabled, settings.tip_percent_1, settings.tip_percent_2, settings.tip_percent_3) == (
            True,
            10,
            18,
            20,
        )
    desktop.reload()
    expect(desktop.get_by_label("Tip choice 2")).to_have_value("18")
    _tips_in_view(desktop, "settings-tips-desktop")
