"""The whole story, as the people in it live it: the office texts an invoice, the customer opens
the text on their phone, pays by card, gets a receipt text, and the office sees Paid without
reloading."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in
from tests.e2e.test_office_sending import SLOW, make_invoice, office_sending_on, text_dialog  # noqa: F401
from tests.e2e.test_pay import _fill_card

pytestmark = pytest.mark.e2e


def test_office_texts_a_link_the_customer_pays_from_the_text_and_the_office_sees_paid(live_app, desktop, phone):
    made = make_invoice(live_app, "Quinn Abernathy", [("512-555-0761", "Mobile")])
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    expect(desktop.get_by_role("heading", name=f"Invoice #{made.number}")).to_be_visible()
    dialog = text_dialog(desktop)
    dialog.get_by_role("button", name="Send").click()
    timeline_entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0761")
    expect(timeline_entry.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)

    # The customer's phone: the text is there, with a link that opens the invoice.
    phone.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    conversation = phone.get_by_role("region", name="Conversation with (512) 555-0761")
    expect(conversation).to_contain_text(f"invoice #{made.number} for $245.00 is ready")
    link = conversation.locator("a[href*='/pay/']").last
    with phone.context.expect_page() as opened:  # the Dev phone opens links like a messaging app
        link.click()
    customer = opened.value
    expect(customer.get_by_role("heading", name=f"Invoice #{made.number}")).to_be_visible()
    expect(customer.locator("#balance-due")).to_have_text("$245.00")
    expect(customer.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _fill_card(customer, "4242 4242 4242 4242")
    customer.get_by_role("button", name="Pay $245.00").click()
    expect(customer.get_by_role("heading", name="Payment received")).to_be_visible(timeout=SLOW)
    screenshot(customer, "golden-path-paid-phone")

    # The receipt arrives where the link went (the Dev phone page refreshes by itself).
    expect(conversation).to_contain_text("payment of $245.00 received", timeout=SLOW)

    # The office page, open the whole time, shows the payment without a reload.
    expect(desktop.get_by_role("heading", name=f"Invoice #{made.number}")).to_be_visible()
    expect(desktop.locator("main").get_by_text("Paid", exact=True).first).to_be_visible(timeout=SLOW)
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_disabled()
    payment = desktop.get_by_test_id("payment-row")
    expect(payment).to_contain_text("$245.00")
    expect(payment).to_contain_text("Visa •••• 4242")
    receipt = desktop.get_by_test_id("timeline-entry").filter(has_text="Receipt text to (512) 555-0761")
    expect(receipt.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
    screenshot(desktop, "golden-path-paid-office")
