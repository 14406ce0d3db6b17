"""A text goes out through the app's own dispatcher, arrives on the Dev phone, and the customer's
replies there (HELP, STOP) reach the app through Twilio's signed webhook."""

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from smslinks import demo, routes
from smslinks.core import consent, inbound, links, outbox
from smslinks.core.sms_text import PayBy, invoice_text
from smslinks.models import Business, OutboundMessage
from tests import factories
from tests.e2e.conftest import screenshot

pytestmark = pytest.mark.e2e

NUMBER = "+15125550941"  # not a demo number: this test owns it
SHOWN = "(512) 555-0941"


def wait_for(condition, timeout: float = 20, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def enqueue_invoice_text(live_app) -> tuple[int, str, Business]:
    """What the office's "Send" does, through core: a fresh link and a queued text."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        customer = factories.customer(session, business, "Dana Devphone")
        # Daytime there: the dispatcher holds a pay link due in the recipient's quiet hours.
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        phone = factories.phone(session, NUMBER, customer=customer)
        invoice = factories.invoice(session, location, total_cents=18_450)
        link, token = links.mint(session, invoice)
        url = f"{live_app.url}{routes.pay(token)}"
        message = outbox.enqueue(
            session,
            business_id=business.id,
            channel="sms",
            to_address=phone.e164,
            body=invoice_text(business.name, invoice.number, invoice.balance_cents, url, PayBy.CARD),
            invoice_id=invoice.id,
            phone_number_id=phone.id,
            payment_link_id=link.id,
        )
        session.commit()
        return message.id, url, business


def test_a_text_reaches_the_dev_phone_and_replies_reach_the_app(live_app, desktop):
    message_id, url, business = enqueue_invoice_text(live_app)

    def status():
        with live_app.session() as session:
            return session.get(OutboundMessage, message_id).status

    wait_for(lambda: status() == "delivered", what="the text to be delivered")

    desktop.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    conversation = desktop.get_by_role("region", name=f"Conversation with {SHOWN}")
    expect(conversation).to_be_visible()
    link = conversation.get_by_role("link", name=url)
    expect(link).to_have_attribute("href", url)
    expect(conversation.get_by_text("delivered", exact=True)).to_be_visible()

    conversation.get_by_label(f"Reply from {SHOWN}").fill("HELP")
    conversation.get_by_role("button", name="Send", exact=True).click()
    with live_app.session() as session:
        help_text = inbound.help_text(session.get(Business, business.id))
    expect(desktop.get_by_role("region", name=f"Conversation with {SHOWN}").get_by_text(help_text)).to_be_visible()
    screenshot(desktop, "dev-phone-desktop")

    desktop.get_by_role("region", name=f"Conversation with {SHOWN}").get_by_role("button", name="STOP").click()
    expect(desktop.get_by_text("You have successfully been unsubscribed.", exact=False)).to_be_visible()

    def opted_out():
        with live_app.session() as session:
            return consent.opted_out_at(session, business.id, NUMBER)

    wait_for(opted_out, what="the number to be opted out")


def test_dev_phone_is_usable_on_a_phone(live_app, phone):
    phone.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    expect(phone.get_by_role("heading", name="Dev phone")).to_be_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(phone, "dev-phone-phone")


def test_an_emailed_link_shows_in_the_mail_sink(live_app, desktop):
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        message = outbox.enqueue(
            session,
            business_id=business.id,
            channel="email",
            to_address="dana.devphone@example.net",
            subject="Invoice from Lone Star Heating & Air",
            body=f"Hello Dana,\n\nPay your invoice here: {live_app.url}/pay/example-token\n",
        )
        session.commit()
        message_id = message.id

    def sent():
        with live_app.session() as session:
            return session.get(OutboundMessage, message_id).status == "sent"

    wait_for(sent, what="the email to be sent")
    desktop.goto(f"{live_app.settings.sandbox_twilio_url}/mail")
    mail = desktop.get_by_role("article").filter(has_text="dana.devphone@example.net")
    expect(mail.get_by_role("link", name=f"{live_app.url}/pay/example-token")).to_be_visible()
    screenshot(desktop, "mail-sink-desktop")
