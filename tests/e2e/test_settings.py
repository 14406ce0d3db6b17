"""Settings > Invoicing > Online Payments and Settings > Company > Employees, as people use them.

Tests share the demo database: each one puts back what it changed (the demo starts with SMS
invoice links and all their options on, and the bookkeeper without texting)."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core import accounts, online_payments
from smslinks.core.permissions import Permission, set_permission
from smslinks.core.sending import OFFICE_EMAIL_OFF
from smslinks.core.sms_text import PayBy, invoice_text
from smslinks.models import Business, Invoice, SmsRegistrationStatus
from tests.e2e.conftest import DESKTOP, screenshot, sign_in

pytestmark = pytest.mark.e2e

SAVED = "Online payment settings saved."
UNSAVED = "You have unsaved changes"


def _business(session) -> Business:
    return session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()


@pytest.fixture
def settings_restored(live_app):
    """Whatever a test saves, the demo's online payment settings come back afterwards."""
    with live_app.session() as session:
        business_id = _business(session).id
        before = online_payments.values_of(accounts.payment_settings(session, business_id))
    yield
    with live_app.session() as session:
        settings = accounts.payment_settings(session, business_id)
        for name, value in before.items():
            setattr(settings, name, value)
        session.add(settings)
        session.commit()


@pytest.fixture
def account_changed(live_app):
    """Change the demo account's support switches for one test, then put them back."""
    with live_app.session() as session:
        business = _business(session)
        before = (business.sms_links_available, business.sms_registration_status)

    def change(**values):
        with live_app.session() as session:
            business = _business(session)
            for name, value in values.items():
                setattr(business, name, value)
            session.add(business)
            session.commit()

    yield change
    change(sms_links_available=before[0], sms_registration_status=before[1])


def _expected_text(live_app, pay_by: PayBy) -> str:
    link = f"{live_app.url}/pay/{online_payments.SAMPLE_TOKEN}" + ("?m=ach" if pay_by is PayBy.ACH else "")
    return invoice_text(
        demo.BUSINESS_NAME,
        online_payments.SAMPLE_INVOICE_NUMBER,
        online_payments.SAMPLE_AMOUNT_CENTS,
        link,
        pay_by,
    )


def _switch(page: Page, name: str):
    return page.get_by_role("switch", name=name, exact=True)


def _open_online_payments(page: Page) -> None:
    sign_in(page, "admin@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/settings/invoicing/online-payments$"))
    expect(page.get_by_role("heading", name="Online Payments")).to_be_visible()


def _save(page: Page) -> None:
    # An earlier save's toast must be gone first (toasts leave by themselves), or two would show.
    expect(page.get_by_text(SAVED)).to_have_count(0)
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text(SAVED)).to_be_visible()
    expect(page.get_by_text(UNSAVED)).to_have_count(0)


def test_admin_turns_on_sms_links_sees_both_previews_and_saves_the_options(desktop, live_app, settings_restored):
    _open_online_payments(desktop)
    sms = _switch(desktop, "SMS invoice links")
    office = _switch(desktop, "Enable sending invoice links in desktop via Office")
    mobile_email = _switch(desktop, "Enable sending email invoice links in Mobile")
    mobile_sms = _switch(desktop, "Also enable sending SMS invoice links via Mobile")
    card_panel = desktop.get_by_role("tabpanel", name="Credit Card")

    # The demo starts with SMS links on: turn them off and save, which turns their options off.
    expect(sms).to_be_checked()
    sms.click()
    expect(sms).not_to_be_checked()
    expect(office).to_have_count(0)
    expect(card_panel.get_by_text("SMS Text Message Preview")).to_have_count(0)
    expect(desktop.get_by_text(UNSAVED)).to_be_visible()
    _save(desktop)

    # Switching on shows the preview at once, before saving, with the exact text customers get.
    sms.click()
    expect(card_panel.get_by_text("SMS Text Message Preview")).to_be_visible()
    expect(card_panel.get_by_test_id("sms-preview-text")).to_have_text(_expected_text(live_app, PayBy.CARD))
    card_stats = card_panel.get_by_test_id("sms-preview-stats")
    expect(card_stats).to_contain_text("GSM-7")
    expect(card_stats).to_contain_text(str(len(_expected_text(live_app, PayBy.CARD))))
    expect(card_panel.get_by_text("can't be edited")).to_be_visible()

    desktop.get_by_role("tab", name="ACH").click()
    ach_panel = desktop.get_by_role("tabpanel", name="ACH")
    expect(ach_panel.get_by_test_id("sms-preview-text")).to_have_text(_expected_text(live_app, PayBy.ACH))
    expect(ach_panel.get_by_role("switch", name="Accept ACH bank payments")).to_be_checked()

    # The options were switched off with SMS links; mobile SMS waits for mobile email.
    expect(office).not_to_be_checked()
    expect(mobile_sms).to_be_disabled()
    office.click()
    mobile_email.click()
    expect(mobile_sms).to_be_enabled()
    mobile_sms.click()
    expect(mobile_sms).to_be_checked()
    screenshot(desktop, "settings-online-payments-unsaved-desktop")
    _save(desktop)

    desktop.reload()
    for switch in (sms, office, mobile_email, mobile_sms):
        expect(switch).to_be_checked()
    expect(desktop.get_by_text(UNSAVED)).to_have_count(0)
    screenshot(desktop, "settings-online-payments-desktop")


def test_mobile_sms_cannot_stay_on_without_mobile_email(desktop, settings_restored):
    _open_online_payments(desktop)
    mobile_email = _switch(desktop, "Enable sending email invoice links in Mobile")
    mobile_sms = _switch(desktop, "Also enable sending SMS invoice links via Mobile")
    expect(mobile_sms).to_be_checked()

    mobile_email.click()
    expect(mobile_sms).not_to_be_checked()
    expect(mobile_sms).to_be_disabled()
    expect(desktop.get_by_text("Available once email invoice links in Mobile are on.")).to_be_visible()
    _save(desktop)

    desktop.reload()
    expect(mobile_email).not_to_be_checked()
    expect(mobile_sms).not_to_be_checked()
    expect(mobile_sms).to_be_disabled()


def test_turning_off_office_email_links_disables_email_invoice_for_the_office(
    browser, base_url, live_app, settings_restored
):
    admin = browser.new_context(viewport=DESKTOP, base_url=base_url).new_page()
    office = browser.new_context(viewport=DESKTOP, base_url=base_url).new_page()
    try:
        _open_online_payments(admin)
        email = _switch(admin, "Enable sending email invoice links in desktop via Office")
        expect(email).to_be_checked()
        email.click()
        _save(admin)

        with live_app.session() as session:
            invoice = session.exec(
                select(Invoice).where(Invoice.kind == "job", Invoice.status == "open").order_by(Invoice.id)
            ).first()
        sign_in(office, "office@example.com")
        office.goto(f"/invoices/{invoice.id}")
        expect(office.get_by_role("button", name="Email Invoice")).to_be_disabled()
        expect(office.get_by_text(OFFICE_EMAIL_OFF).first).to_be_visible()

        email.click()
        _save(admin)
        office.reload()
        expect(office.get_by_role("button", name="Email Invoice")).to_be_enabled()
    finally:
        admin.context.close()
        office.context.close()


def test_discard_puts_back_the_saved_settings(desktop, settings_restored):
    _open_online_payments(desktop)
    limit = desktop.get_by_label("Texts per invoice and recipient per 24 hours")
    limit.fill("25")
    expect(desktop.get_by_text(UNSAVED)).to_be_visible()  # the draft has it
    partial = _switch(desktop, "Allow customers to pay part of the balance")
    partial.click()
    expect(partial).to_be_checked()
    desktop.get_by_role("button", name="Save", exact=True).click()
    expect(desktop.get_by_role("alert").filter(has_text="from 1 to 10")).to_be_visible()
    expect(limit).to_have_value("25")  # nothing typed is lost

    desktop.get_by_role("button", name="Discard").click()
    expect(limit).to_have_value("3")
    expect(partial).not_to_be_checked()
    expect(desktop.get_by_text(UNSAVED)).to_have_count(0)


def test_office_user_is_refused_settings(desktop):
    sign_in(desktop, "office@example.com")
    desktop.goto("/settings/invoicing/online-payments")
    expect(desktop.get_by_role("alert")).to_contain_text('You need the "Manage online payment settings" permission')
    expect(desktop.get_by_role("switch")).to_have_count(0)
    # Their one section is Data > Import (they add customers and invoices by hand too).
    desktop.goto("/settings")
    expect(desktop).to_have_url(re.compile(r"/settings/data/import$"))
    expect(desktop.get_by_role("navigation", name="Settings sections").get_by_role("link")).to_have_text(["Import"])
    desktop.goto("/settings/employees")
    expect(desktop.get_by_role("alert")).to_contain_text('You need the "Manage employees" permission')
    expect(desktop.get_by_role("table")).to_have_count(0)
    screenshot(desktop, "settings-refused-desktop")


def test_sms_switches_are_disabled_until_support_enables_the_account(desktop, account_changed):
    account_changed(sms_links_available=False)
    _open_online_payments(desktop)
    expect(
        desktop.get_by_role("alert").filter(has_text="Account configuration is required: contact support")
    ).to_be_visible()
    for name in (
        "SMS invoice links",
        "Enable sending invoice links in desktop via Office",
        "Enable sending email invoice links in Mobile",
        "Also enable sending SMS invoice links via Mobile",
    ):
        expect(_switch(desktop, name)).to_be_disabled()
    expect(_switch(desktop, "Accept credit and debit cards")).to_be_enabled()
    screenshot(desktop, "settings-online-payments-account-disabled-desktop")


def test_pending_registration_says_texts_cannot_be_sent_yet(desktop, account_changed):
    account_changed(sms_registration_status=SmsRegistrationStatus.PENDING)
    _open_online_payments(desktop)
    callout = desktop.get_by_role("status").filter(has_text="Not ready to send texts")
    expect(callout).to_contain_text("pending carrier approval, so texts cannot be sent yet")
    expect(_switch(desktop, "SMS invoice links")).to_be_enabled()


def test_settings_page_fits_a_phone(phone):
    sign_in(phone, "admin@example.com")
    phone.goto("/settings")
    expect(phone).to_have_url(re.compile(r"/settings/invoicing/online-payments$"))
    expect(phone.get_by_role("tabpanel", name="Credit Card").get_by_test_id("sms-preview-text")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "settings-online-payments-phone")


@pytest.fixture
def bookkeeper_restored(live_app):
    yield
    with live_app.session() as session:
        bookkeeper = accounts.employee_by_email(session, "bookkeeper@example.com")
        set_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS, False)
        session.commit()


def test_admin_grants_and_revokes_texting_for_the_bookkeeper(desktop, bookkeeper_restored):
    _open_online_payments(desktop)
    desktop.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Employees").click()
    expect(desktop).to_have_url(re.compile(r"/settings/employees$"))
    row = desktop.get_by_role("row").filter(has_text="bookkeeper@example.com")
    expect(row).to_contain_text("Bookkeeper")
    expect(row).to_contain_text("Role defaults")

    row.get_by_role("button", name="Permissions of Blake Bookkeeper").click()
    dialog = desktop.get_by_role("dialog")
    sms = dialog.get_by_role("switch", name="Enable Invoice SMS Text Link")
    expect(sms).not_to_be_checked()
    sms.click()
    expect(desktop.get_by_text('Granted "Enable Invoice SMS Text Link" to Blake Bookkeeper.')).to_be_visible()
    expect(sms).to_be_checked()
    expect(dialog.get_by_text("Granted for this employee")).to_be_visible()
    screenshot(desktop, "settings-employees-dialog-desktop")
    dialog.get_by_role("button", name="Done").click()
    expect(row).to_contain_text("1 change from role")

    desktop.reload()
    row.get_by_role("button", name="Permissions of Blake Bookkeeper").click()
    expect(sms).to_be_checked()
    sms.click()
    expect(desktop.get_by_text('Removed "Enable Invoice SMS Text Link" from Blake Bookkeeper.')).to_be_visible()
    expect(sms).not_to_be_checked()
    desktop.keyboard.press("Escape")
    expect(row).to_contain_text("Role defaults")
    screenshot(desktop, "settings-employees-desktop")


def test_admin_cannot_remove_their_own_employee_management(desktop):
    sign_in(desktop, "admin@example.com")
    desktop.goto("/settings/employees")
    desktop.get_by_role("button", name="Permissions of Avery Admin").click()
    dialog = desktop.get_by_role("dialog")
    expect(dialog.get_by_role("switch", name="Manage employees")).to_be_disabled()
    expect(dialog.get_by_text('You cannot remove your own "Manage employees" permission')).to_be_visible()
