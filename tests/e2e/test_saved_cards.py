"""Saved cards as people use them: a customer saves a card while paying on a phone, pays the next
invoice with it in one tap and removes it later; the office charges it for another invoice."""

import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core import links, outbox
from smslinks.models import Invoice, InvoiceLine, InvoiceStatus, OutboundMessage, SavedCard, utcnow
from tests.e2e.conftest import PHONE, assert_fits, sign_in
from tests.e2e.test_pay import (
    _PAY_ROUTE_SCRIPT,
    _SNAPSHOT_AT_TAKEOVER,
    HeldScripts,
    _fill_card,
    _invoice,
    _new_invoice,
    _open,
    _takeover_snapshot,
)

pytestmark = pytest.mark.e2e

CONSENT = f"Save this card for future invoices from {demo.BUSINESS_NAME}"


def _another_invoice(live_app, first_id: int, suffix: str) -> tuple[int, str]:
    """An invoice like the first one, for the same customer, texted to the same number: (id, token)."""
    with live_app.session() as session:
        first = session.get(Invoice, first_id)
        invoice = Invoice(
            business_id=first.business_id,
            number=f"{first.number}{suffix}",
            customer_id=first.customer_id,
            location_id=first.location_id,
            issued_on=date.today(),
            due_on=date.today() + timedelta(days=30),
            subtotal_cents=first.subtotal_cents,
            tax_cents=first.tax_cents,
            total_cents=first.total_cents,
        )
        session.add(invoice)
        session.flush()
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == first.id)).all()
        for line in lines:
            session.add(
                InvoiceLine(
                    invoice_id=invoice.id,
                    position=line.position,
                    description=line.description,
                    quantity=line.quantity,
                    unit_price_cents=line.unit_price_cents,
                    amount_cents=line.amount_cents,
                )
            )
        link, token = links.mint(session, invoice)
        text = session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == first.id)).first()
        outbox.enqueue(
            session,
            business_id=invoice.business_id,
            channel="sms",
            to_address=text.to_address,
            body="(invoice text)",
            invoice_id=invoice.id,
            payment_link_id=link.id,
        )
        session.commit()
        return invoice.id, token


def _confirmed(page: Page) -> None:
    expect(page.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)


def _receipts(live_app, invoice_id: int) -> list[str]:
    with live_app.session() as session:
        rows = session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == invoice_id)).all()
        return [row.body for row in rows if "received" in row.body]


def test_a_saved_card_pays_the_next_invoice_in_one_tap_and_the_office_charges_it(desktop, phone, live_app):
    first_id, first_token, _mobile = _new_invoice(live_app)
    second_id, second_token = _another_invoice(live_app, first_id, "B")
    third_id, _third_token = _another_invoice(live_app, first_id, "C")
    fourth_id, fourth_token = _another_invoice(live_app, first_id, "D")

    # The first invoice: pay by card and tick the box (it starts unticked).
    _open(phone, first_token)
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    save = phone.get_by_label(CONSENT)
    expect(save).not_to_be_checked()
    _fill_card(phone, "4242 4242 4242 4242")
    save.check()
    assert_fits(phone, "pay-save-card-phone")
    phone.get_by_role("button", name="Pay $286.96").click()
    _confirmed(phone)
    with live_app.session() as session:
        [card] = session.exec(select(SavedCard).where(SavedCard.invoice_id == first_id)).all()
    assert card.consent_text == CONSENT and card.consent_user_agent and card.removed_at is None

    # The second invoice's page offers the card: one tap pays it.
    _open(phone, second_token)
    one_tap = phone.get_by_role("button", name="Pay with Visa •••• 4242")
    expect(one_tap).to_be_visible(timeout=15_000)
    expect(phone.get_by_text("One tap pays $286.96 with the card you saved.")).to_be_visible()
    assert_fits(phone, "pay-with-saved-card-phone")
    one_tap.click()
    _confirmed(phone)
    assert _invoice(live_app, second_id).status == InvoiceStatus.PAID
    assert len(_receipts(live_app, second_id)) == 1

    # The office charges it for the third invoice.
    sign_in(desktop, "accountant@example.com")
    desktop.goto(f"/invoices/{third_id}")
    payments = desktop.get_by_role("region", name="Payments")
    expect(
        payments.get_by_text(re.compile(r"Visa •••• 4242, saved \w+ \d+ with the customer's consent"))
    ).to_be_visible(timeout=15_000)
    payments.get_by_role("button", name="Charge saved card").click()
    dialog = desktop.get_by_role("dialog", name="Charge saved card")
    expect(dialog.get_by_label("Amount to charge")).to_have_value("286.96")
    assert_fits(desktop, "charge-saved-card-dialog-desktop", full_page=False)
    dialog.get_by_label("Amount to charge").fill("300")
    dialog.get_by_role("button", name="Charge card").click()
    expect(dialog.get_by_text("At most the balance, $286.96.")).to_be_visible()
    dialog.get_by_label("Amount to charge").fill("286.96")
    dialog.get_by_role("button", name="Charge card").click()
    expect(desktop.get_by_text("Charged $286.96 to Visa •••• 4242. The customer gets a receipt.")).to_be_visible(
        timeout=20_000
    )
    expect(dialog).to_be_hidden()
    expect(payments.get_by_role("button", name="Charge saved card")).to_have_count(0)  # nothing left to charge
    expect(desktop.get_by_text("Paid", exact=True).first).to_be_visible()
    assert_fits(desktop, "charged-saved-card-desktop")
    assert _invoice(live_app, third_id).status == InvoiceStatus.PAID
    assert len(_receipts(live_app, third_id)) == 1

    # The customer removes the card from the fourth invoice's page: it is offered nowhere after.
    _open(phone, fourth_token)
    phone.get_by_role("button", name="Remove saved card").click()
    expect(phone.get_by_text("Your saved card was removed. It will not be charged again.")).to_be_visible()
    expect(phone.get_by_role("button", name="Pay with Visa •••• 4242")).to_have_count(0)
    expect(phone.get_by_role("button", name="Pay $286.96")).to_be_visible()
    assert_fits(phone, "saved-card-removed-phone")
    desktop.goto(f"/invoices/{fourth_id}")
    expect(desktop.get_by_role("region", name="Payments").get_by_text("No payments yet.")).to_be_visible(timeout=15_000)
    expect(desktop.get_by_role("button", name="Charge saved card")).to_have_count(0)


def test_the_charge_dialog_fits_a_phone_and_office_staff_without_the_permission_see_no_button(desktop, phone, live_app):
    first_id, first_token, _mobile = _new_invoice(live_app)
    second_id, _second_token = _another_invoice(live_app, first_id, "B")
    _open(phone, first_token)
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _fill_card(phone, "4242 4242 4242 4242")
    phone.get_by_label(CONSENT).check()
    phone.get_by_role("button", name="Pay $286.96").click()
    _confirmed(phone)

    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{second_id}")
    expect(desktop.get_by_role("region", name="Payments").get_by_text("No payments yet.")).to_be_visible(timeout=15_000)
    expect(desktop.get_by_role("button", name="Charge saved card")).to_have_count(0)

    phone.context.clear_cookies()
    sign_in(phone, "manager@example.com")
    phone.goto(f"/invoices/{second_id}")
    phone.get_by_role("button", name="Charge saved card").click()
    dialog = phone.get_by_role("dialog", name="Charge saved card")
    expect(dialog.get_by_label("Amount to charge")).to_have_value("286.96")
    assert_fits(phone, "charge-saved-card-dialog-phone", full_page=False)


def _card_on_record(live_app, invoice_id: int) -> None:
    """A saved card with consent for the invoice's customer, as the pay page records one (drawn only:
    nothing here charges it)."""
    with live_app.session() as session:
        invoice = session.get(Invoice, invoice_id)
        session.add(
            SavedCard(
                business_id=invoice.business_id,
                customer_id=invoice.customer_id,
                stripe_customer_id="cus_drawn_only",
                stripe_payment_method_id=f"pm_drawn_only_{invoice_id}",
                brand="Visa",
                last4="4242",
                exp_month=12,
                exp_year=2034,
                consent_text=CONSENT,
                consented_at=utcnow(),
            )
        )
        session.commit()


def test_the_server_drawn_saved_card_is_the_one_react_draws_and_a_tick_before_takeover_is_kept(
    browser, base_url, live_app
):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _card_on_record(live_app, invoice_id)
    context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        page.add_init_script(_SNAPSHOT_AT_TAKEOVER)
        _open(page, token)
        snapshot = _takeover_snapshot(page)
        assert snapshot["drawn"] == snapshot["react"]
        assert any("pay-saved-card" in line for line in snapshot["react"])

        app = HeldScripts(page, _PAY_ROUTE_SCRIPT)
        page.goto(f"/pay/{token}", wait_until="domcontentloaded")
        page.get_by_label(CONSENT).check()
        expect(page.locator("#pay-ssr")).to_have_count(1)  # still the server-drawn page
        app.release()
        expect(page.locator("#pay-ssr")).to_have_count(0, timeout=15_000)
        expect(page.get_by_label(CONSENT)).to_be_checked()
    finally:
        context.close()
