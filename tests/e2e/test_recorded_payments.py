"""The office records a check on the invoice page: the customer's link shows it is paid; a payment
recorded by mistake is voided with a reason and the balance is due again."""

import re

import pytest
from playwright.sync_api import Page, expect

from smslinks.models import InvoiceStatus
from tests.e2e.conftest import PHONE, assert_fits, sign_in
from tests.e2e.test_pay import _invoice, _new_invoice, _open

pytestmark = pytest.mark.e2e


def _open_record_dialog(page: Page, invoice_id: int):
    page.goto(f"/invoices/{invoice_id}")
    page.get_by_role("region", name="Payments").get_by_role("button", name="Record payment").click()
    dialog = page.get_by_role("dialog", name="Record payment")
    expect(dialog.get_by_label("Check number")).to_be_visible()
    return dialog


def test_record_a_check_then_void_it(desktop, phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    sign_in(desktop, "office@example.com")
    dialog = _open_record_dialog(desktop, invoice_id)
    assert_fits(desktop, "record-payment-dialog-desktop", full_page=False)

    dialog.get_by_label("Amount").fill("286.96")
    dialog.get_by_role("button", name="Record payment").click()
    expect(dialog.get_by_text("Enter the check number.")).to_be_visible()
    dialog.get_by_label("Check number").fill("1042")
    dialog.get_by_label("Note (optional)").fill("Left at the front desk")
    dialog.get_by_role("button", name="Record payment").click()
    expect(desktop.get_by_text("Recorded Check #1042: $286.96.")).to_be_visible(timeout=15_000)
    payments = desktop.get_by_role("region", name="Payments")
    expect(payments.get_by_text("Check #1042", exact=False)).to_be_visible()
    expect(payments.get_by_text(re.compile("Left at the front desk"))).to_be_visible()
    assert _invoice(live_app, invoice_id).status == InvoiceStatus.PAID

    _open(phone, token)  # the customer's live link
    expect(phone.get_by_role("heading", name="This invoice is paid")).to_be_visible(timeout=15_000)

    payments.get_by_role("button", name=re.compile("Void")).click()
    void = desktop.get_by_role("alertdialog", name="Void this payment?")
    void.get_by_label("Reason").fill("Entered on the wrong invoice")
    void.get_by_role("button", name="Void payment").click()
    expect(desktop.get_by_text("Payment voided. The balance is due again.")).to_be_visible(timeout=15_000)
    expect(payments.get_by_text(re.compile("Voided: Entered on the wrong invoice"))).to_be_visible()
    expect(payments.get_by_role("button", name=re.compile("Void"))).to_have_count(0)
    invoice = _invoice(live_app, invoice_id)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 28_696

    phone.reload()
    expect(phone.locator("#balance-due")).to_have_text("$286.96", timeout=15_000)


def test_the_record_payment_dialog_fits_a_phone(browser, base_url, live_app):
    invoice_id, _token, _mobile = _new_invoice(live_app)
    context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
    page = context.new_page()
    sign_in(page, "office@example.com")
    dialog = _open_record_dialog(page, invoice_id)
    dialog.get_by_label("Amount").fill("9999")
    dialog.get_by_role("button", name="Record payment").click()
    expect(dialog.get_by_text("At most the balance, $286.96.")).to_be_visible()
    assert_fits(page, "record-payment-dialog-phone", full_page=False)
    context.close()
