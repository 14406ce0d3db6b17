"""The office refunds a card payment from the invoice page; the customer's link shows the new balance."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks.models import InvoiceStatus, OutboundMessage, PaymentRefund
from tests.e2e.conftest import PHONE, assert_fits, sign_in
from tests.e2e.test_pay import _fill_card, _invoice, _new_invoice, _open

pytestmark = pytest.mark.e2e


def _pay_by_card(page: Page, token: str) -> None:
    _open(page, token)
    expect(page.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _fill_card(page, "4242 4242 4242 4242")
    page.get_by_role("button", name="Pay $286.96").click()
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)


def _open_refund_dialog(page: Page, invoice_id: int):
    page.goto(f"/invoices/{invoice_id}")
    payments = page.get_by_role("region", name="Payments")
    expect(payments.get_by_text("Visa •••• 4242")).to_be_visible(timeout=15_000)
    payments.get_by_role("button", name="Refund $286.96").click()
    dialog = page.get_by_role("dialog", name="Refund payment")
    expect(dialog.get_by_text("Up to $286.96 can be refunded.", exact=False)).to_be_visible()
    return dialog


def test_partial_refund_of_a_card_payment_reopens_the_balance_here_and_on_the_link(desktop, phone, live_app):
    invoice_id, token, mobile = _new_invoice(live_app)
    _pay_by_card(phone, token)

    sign_in(desktop, "accountant@example.com")
    dialog = _open_refund_dialog(desktop, invoice_id)
    assert_fits(desktop, "refund-dialog-desktop", full_page=False)

    dialog.get_by_label("Amount to refund").fill("300")
    dialog.get_by_label("Reason").fill("Capacitor was not needed")
    dialog.get_by_role("button", name="Refund").click()
    expect(dialog.get_by_text("At most $286.96 can be refunded on this payment.")).to_be_visible()

    dialog.get_by_label("Amount to refund").fill("50.00")
    dialog.get_by_role("button", name="Refund").click()
    expect(desktop.get_by_text("Refunded $50.00. The customer has been told.")).to_be_visible(timeout=20_000)
    expect(dialog).to_be_hidden()
    payments = desktop.get_by_role("region", name="Payments")
    expect(payments.get_by_text(re.compile(r"\$50\.00 refunded .*: Capacitor was not needed"))).to_be_visible()
    expect(payments.get_by_role("button", name="Refund $286.96")).to_be_visible()  # $236.96 left to refund
    expect(desktop.get_by_text("Amount paid").locator("..")).to_contain_text("$236.96")

    invoice = _invoice(live_app, invoice_id)
    assert invoice.status == InvoiceStatus.OPEN and invoice.balance_cents == 5_000
    with live_app.session() as session:
        [refund] = session.exec(select(PaymentRefund).where(PaymentRefund.invoice_id == invoice_id)).all()
        notice = session.exec(
            select(OutboundMessage).where(OutboundMessage.idempotency_key == f"refund-notice-{refund.id}")
        ).one()
    assert refund.status == "succeeded" and refund.stripe_refund_id.startswith("re_")
    assert (notice.channel, notice.to_address) == ("sms", mobile) and "refunded $50.00" in notice.body

    phone.reload()  # the customer's link asks for what was given back
    expect(phone.locator("#balance-due")).to_have_text("$50.00", timeout=15_000)


def test_the_refund_dialog_fits_a_phone(browser, base_url, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
    page = context.new_page()
    _pay_by_card(page, token)
    sign_in(page, "manager@example.com")
    dialog = _open_refund_dialog(page, invoice_id)
    dialog.get_by_role("button", name="Refund").click()  # no reason given
    expect(dialog.get_by_text(re.compile("Say why you are refunding"))).to_be_visible()
    assert_fits(page, "refund-dialog-phone", full_page=False)
    context.close()


def test_employees_without_the_permission_see_no_refund_button(desktop, phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _pay_by_card(phone, token)
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{invoice_id}")
    payments = desktop.get_by_role("region", name="Payments")
    expect(payments.get_by_text("Visa •••• 4242")).to_be_visible(timeout=15_000)
    expect(payments.get_by_role("button", name=re.compile("Refund"))).to_have_count(0)
