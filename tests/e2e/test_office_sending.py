"""Office staff find an invoice and text (or email) its payment link, as a person would.

Quiet hours depend on the clock, so each invoice used here sits at a service location whose time
zone is chosen from the current UTC hour (mid-afternoon there, or late evening for the quiet-hours
test). Most tests make their own customer and invoice; the demo's membership invoices and opted-out
customers are used where the demo has exactly what is needed.
"""

import re
import time
from dataclasses import dataclass
from urllib.parse import urlparse

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core import invoices, links
from smslinks.core.links import LinkState
from smslinks.models import (
    Business,
    Customer,
    EmailAddress,
    Invoice,
    OutboundMessage,
    PhoneNumber,
    SmsOptOut,
)
from tests import factories
from tests.e2e.conftest import PHONE, SCREENSHOTS, assert_fits, demo_settings, screenshot, settled, sign_in

pytestmark = pytest.mark.e2e

SLOW = 20_000  # ms: anything that goes through the dispatcher, the sandbox or the page's poll


_NEEDED = {
    "business": dict(sms_links_available=True, sms_registration_status="approved"),
    "settings": dict(
        sms_links_enabled=True,
        office_sms_enabled=True,
        office_email_enabled=True,
        card_enabled=True,
        ach_enabled=True,
        sms_per_recipient_daily_limit=3,
    ),
}


@pytest.fixture(scope="module", autouse=True)
def office_sending_on(live_app):
    """The demo's account and settings allow office texting; make sure (other test modules share
    the app and may change settings), and put back what was there."""
    with demo_settings(live_app, **_NEEDED):
        yield


@dataclass
class Made:
    invoice_id: int
    number: str
    location_id: int
    customer: str


def make_invoice(
    live_app,
    customer_name: str,
    phones: list[tuple[str, str]],
    *,
    local_hour: int = 14,
    email: str | None = None,
    location_phones: list[tuple[str, str]] = (),
) -> Made:
    """A customer of the demo business with these (number, type) phones, and an open invoice at a
    service location where it is now `local_hour` o'clock."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        customer = factories.customer(session, business, customer_name)
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(local_hour))
        for number, kind in phones:
            factories.phone(session, number, customer=customer, type=kind)
        for number, kind in location_phones:
            factories.phone(session, number, location=location, type=kind)
        if email:
            session.add(EmailAddress(customer_id=customer.id, email=email))
        invoice = factories.invoice(session, location, total_cents=24_500)
        session.commit()
        return Made(invoice.id, invoice.number, location.id, customer_name)


def open_invoice(page: Page, number: str) -> None:
    page.get_by_role("link", name=number, exact=True).click()
    # The page loads its data over the websocket: on a busy machine that is more than a moment.
    expect(page.get_by_role("heading", name=f"Invoice #{number}")).to_be_visible(timeout=SLOW)


def text_dialog(page: Page):
    page.get_by_role("button", name="SMS Invoice").click()
    dialog = page.get_by_role("dialog", name="SMS Text Invoice Link")
    expect(dialog).to_be_visible()
    settled(page)
    return dialog


def messages_for(live_app, invoice_id: int) -> list[OutboundMessage]:
    with live_app.session() as session:
        return session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == invoice_id)).all()


def test_office_finds_an_invoice_by_phone_and_texts_it_once_to_a_mobile(live_app, desktop):
    made = make_invoice(live_app, "Harper Quintero", [("512-555-0731", "Mobile"), ("512-555-0732", "Home")])
    sign_in(desktop, "office@example.com")
    desktop.get_by_label("Search invoices").fill("512-555-0731")
    desktop.get_by_role("button", name="Search").click()
    expect(desktop.get_by_role("row").filter(has_text="Harper Quintero")).to_have_count(1)
    open_invoice(desktop, made.number)

    dialog = text_dialog(desktop)
    mobile = dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0731"))
    home = dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0732"))
    expect(mobile).to_be_checked()
    expect(home).to_be_disabled()
    expect(home).to_contain_text("Only Mobile numbers can receive texts")
    preview = dialog.get_by_test_id("sms-preview")
    expect(preview).to_contain_text(f"invoice #{made.number} for $245.00 is ready")
    expect(dialog).to_contain_text("GSM-7")
    screenshot(desktop, "office-sms-dialog-desktop")
    url = re.search(r"https?://\S+/pay/\S+", preview.inner_text()).group(0)

    dialog.get_by_role("button", name="Send").dblclick()
    expect(desktop.get_by_text("Text queued to (512) 555-0731").first).to_be_visible()
    expect(dialog).to_be_hidden()
    timeline = desktop.get_by_role("list", name="Texts and emails")
    entry = timeline.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0731")
    expect(entry).to_contain_text("Sent by Olivia Office")
    assert len(messages_for(live_app, made.invoice_id)) == 1  # a double click sends once

    # The sandbox delivers it and Twilio's callback reaches the app: the open page shows it.
    expect(entry.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
    expect(desktop.get_by_text("1 live link")).to_be_visible()
    screenshot(desktop, "office-invoice-delivered-desktop")

    with live_app.session() as session:
        token = urlparse(url).path.rsplit("/", 1)[-1]
        assert links.lookup(session, token).state is LinkState.USABLE
    desktop.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    conversation = desktop.get_by_role("region", name="Conversation with (512) 555-0731")
    expect(conversation.get_by_role("link", name=url)).to_have_attribute("href", url)
    assert len(messages_for(live_app, made.invoice_id)) == 1

    # Sent to the wrong person? Revoking the links makes them stop working.
    desktop.go_back()
    desktop.get_by_role("button", name="Revoke links").click()
    desktop.get_by_role("alertdialog").get_by_role("button", name="Revoke links").click()
    expect(desktop.get_by_text("No live link. Sending a text or email creates one.")).to_be_visible()
    with live_app.session() as session:
        assert links.lookup(session, token).state is LinkState.REVOKED


def test_a_new_number_saved_to_the_location_record_is_on_it_afterwards(live_app, desktop):
    made = make_invoice(live_app, "Rowan Ellison", [("512-555-0741", "Home")])
    sign_in(desktop, "office@example.com")
    # Found by the last name, typed the way people do.
    desktop.get_by_label("Search invoices").fill("Ellison")
    desktop.get_by_role("button", name="Search").click()
    expect(desktop.get_by_role("row").filter(has_text=made.number)).to_contain_text("Rowan Ellison")
    open_invoice(desktop, made.number)
    dialog = text_dialog(desktop)
    # The customer's only number is a landline: nothing is preselected but "Use a New Number".
    expect(dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0741"))).to_be_disabled()
    expect(dialog.get_by_role("radio", name="Use a New Number")).to_be_checked()

    number = dialog.get_by_label("Phone number")
    number.press_sequentially("51255", delay=40)
    number.blur()
    expect(dialog.get_by_role("alert")).to_contain_text("is not a valid phone number")
    number.fill("")
    number.press_sequentially("5125550742", delay=40)
    expect(number).to_have_value("(512) 555-0742")
    dialog.get_by_label("Name or label").fill("Tenant")
    dialog.get_by_role("checkbox", name="Save to Location Record").click()
    dialog.get_by_role("button", name="Send").click()
    expect(desktop.get_by_text("Text queued to (512) 555-0742").first).to_be_visible()

    expect(desktop.get_by_role("region", name="Service location")).to_contain_text(
        re.compile(r"\(512\) 555-0742\s*Tenant")
    )
    with live_app.session() as session:
        saved = session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550742")).one()
        assert (saved.location_id, saved.customer_id, saved.type, saved.label) == (
            made.location_id,
            None,
            "Mobile",
            "Tenant",
        )
        assert saved.consent_at is not None and "Olivia Office" in saved.consent_method

    # Next time it is on the list; saving it again is refused with a clear message.
    dialog = text_dialog(desktop)
    expect(dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0742"))).to_contain_text("Service location")
    dialog.get_by_role("radio", name="Use a New Number").click()
    dialog.get_by_label("Phone number").press_sequentially("5125550742", delay=40)
    dialog.get_by_role("checkbox", name="Save to Location Record").click()
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("alert")).to_have_text(
        "(512) 555-0742 is already on the service location's record. Choose it from the list."
    )
    assert len(messages_for(live_app, made.invoice_id)) == 1


def test_a_membership_invoice_cannot_be_texted(live_app, desktop):
    with live_app.session() as session:
        membership = session.exec(select(Invoice).where(Invoice.kind == "membership", Invoice.status == "open")).first()
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{membership.id}")
    expect(desktop.get_by_role("heading", name=f"Invoice #{membership.number}")).to_be_visible()
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_disabled()
    message = "SMS payment links for membership payments or statement payments are not available"
    expect(desktop.get_by_text(message)).to_be_visible()
    desktop.get_by_role("button", name="SMS Invoice").hover(force=True)
    expect(desktop.get_by_role("tooltip")).to_contain_text(message)
    screenshot(desktop, "office-membership-invoice-desktop")


def test_a_number_that_replied_stop_cannot_be_texted(live_app, desktop):
    with live_app.session() as session:
        opted_out = session.exec(select(SmsOptOut).order_by(SmsOptOut.id)).first()
        phone = session.exec(select(PhoneNumber).where(PhoneNumber.e164 == opted_out.e164)).first()
        customer = session.get(Customer, phone.customer_id)
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        invoice = factories.invoice(session, location, total_cents=9_900)
        session.commit()
        shown = f"({opted_out.e164[2:5]}) {opted_out.e164[5:8]}-{opted_out.e164[8:]}"
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{invoice.id}")
    dialog = text_dialog(desktop)
    stopped = dialog.get_by_role("radio", name=re.compile(re.escape(shown)))
    expect(stopped).to_be_disabled()
    expect(stopped).to_contain_text("Opted out of texts on")
    # Typing it as a new number does not get round it.
    dialog.get_by_role("radio", name="Use a New Number").click()
    dialog.get_by_label("Phone number").press_sequentially(opted_out.e164[2:], delay=40)
    dialog.get_by_role("button", name="Send").click()
    expect(dialog.get_by_role("alert")).to_contain_text(f"{shown} replied STOP on")
    assert messages_for(live_app, invoice.id) == []


def test_email_invoice_enqueues_and_reaches_the_mail_sink(live_app, desktop):
    made = make_invoice(live_app, "Sasha Whitfield", [("512-555-0751", "Mobile")], email="sasha.w@example.net")
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    desktop.get_by_role("button", name="Email Invoice").click()
    dialog = desktop.get_by_role("dialog", name="Email Invoice Link")
    expect(dialog.get_by_role("radio", name=re.compile("sasha.w@example.net"))).to_be_checked()
    expect(dialog).to_contain_text(f"Invoice #{made.number} from Lone Star Heating & Air: $245.00 due")
    body = dialog.get_by_test_id("email-preview").inner_text()
    url = re.search(r"https?://\S+/pay/\S+", body).group(0)
    dialog.get_by_role("button", name="Send email").click()
    expect(desktop.get_by_text("Email queued to sasha.w@example.net").first).to_be_visible()
    entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Email to sasha.w@example.net")
    expect(entry.get_by_text("Sent", exact=True)).to_be_visible(timeout=SLOW)

    desktop.goto(f"{live_app.settings.sandbox_twilio_url}/mail")
    mail = desktop.get_by_role("article").filter(has_text="sasha.w@example.net")
    expect(mail.get_by_role("link", name=url)).to_be_visible()


def test_quiet_hours_hold_a_text_and_the_dialog_says_when_it_will_go(live_app, desktop):
    made = make_invoice(live_app, "Emery Castellanos", [("512-555-0761", "Mobile")], local_hour=23)
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    dialog = text_dialog(desktop)
    expect(dialog).to_contain_text("Texts go out between 8 AM and 9 PM there, so this one will go at 8:00 AM")
    dialog.get_by_role("button", name="Schedule for 8:00 AM").click()
    expect(
        desktop.get_by_text(re.compile(r"Scheduled for 8:00 AM .* tomorrow because of quiet hours")).first
    ).to_be_visible()
    entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0761")
    expect(entry).to_contain_text("Scheduled for 8:00 AM")
    [message] = messages_for(live_app, made.invoice_id)
    assert message.status == "scheduled"


def test_the_page_follows_changes_made_by_another_process(live_app, desktop):
    made = make_invoice(live_app, "Blair Okonkwo", [("512-555-0771", "Mobile")])
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_enabled()
    time.sleep(1.5)  # let the watcher start and take its first look, so the change below is news
    with live_app.session() as session:  # e.g. a payment recorded by a webhook in another worker
        invoice = session.get(Invoice, made.invoice_id)
        invoice.amount_paid_cents, invoice.status = invoice.total_cents, "paid"
        session.add(invoice)
        invoices.touch(session, invoice.id)
        session.commit()
    charges = desktop.get_by_role("region", name="Work and charges")
    expect(charges).to_contain_text(re.compile(r"Balance due\s*\$0\.00"), timeout=SLOW)
    expect(desktop.get_by_role("button", name="SMS Invoice")).to_be_disabled()
    expect(desktop.get_by_text("This invoice is paid in full.").first).to_be_visible()


def test_invoice_list_filters_by_status_and_pages(live_app, desktop):
    sign_in(desktop, "office@example.com")
    status = desktop.get_by_role("combobox", name="Status")
    expect(status).to_have_text("All statuses")
    status.click()
    desktop.get_by_role("option", name="Paid").click()
    rows = desktop.get_by_role("row")
    expect(rows.nth(1)).to_contain_text("Paid")
    expect(desktop.get_by_role("row").filter(has_text="Open")).to_have_count(0)
    first_invoice = rows.nth(1).get_by_role("link")
    newest = first_invoice.inner_text()
    desktop.get_by_role("button", name="Next").click()
    expect(desktop.get_by_text("Page 2")).to_be_visible()
    expect(first_invoice).not_to_have_text(newest)
    desktop.get_by_role("button", name="Previous").click()
    expect(first_invoice).to_have_text(newest)


def test_a_search_too_broad_to_list_every_match_says_so(live_app, desktop):
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        session.add_all(
            Customer(business_id=business.id, name=f"Zephyr Abara {n}", search_name=f"zephyr abara {n}")
            for n in range(invoices.MAX_MATCHED_CUSTOMERS + 1)
        )
        session.flush()
        one = session.exec(select(Customer).where(Customer.name == "Zephyr Abara 7")).one()
        number = factories.invoice(session, factories.location(session, one)).number
        session.commit()
    sign_in(desktop, "office@example.com")
    search = desktop.get_by_label("Search invoices")
    notice = desktop.get_by_role("status").filter(has_text="customers match this search")

    search.fill("zephyr")
    desktop.get_by_role("button", name="Search").click()
    expect(notice).to_contain_text("More than 1,000 customers match this search")
    screenshot(desktop, "office-search-too-broad-desktop")
    search.fill("Abara 7")  # narrower: about a hundred
    desktop.get_by_role("button", name="Search").click()
    expect(desktop.get_by_role("row").filter(has_text=number)).to_contain_text("Zephyr Abara 7")
    expect(notice).to_have_count(0)


def test_the_send_dialog_fits_a_phone(live_app, browser, base_url):
    made = make_invoice(live_app, "Jordan Achterberg", [("512-555-0781", "Mobile"), ("512-555-0782", "Work")])
    context = browser.new_context(
        viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = context.new_page()
    try:
        sign_in(page, "office@example.com")
        page.goto(f"/invoices/{made.invoice_id}")
        dialog = text_dialog(page)
        dialog.get_by_role("radio", name="Use a New Number").click()
        number = dialog.get_by_label("Phone number")
        expect(number).to_have_attribute("inputmode", "tel")
        for target in [*dialog.get_by_role("radio").all(), dialog.get_by_role("button", name="Send")]:
            assert target.bounding_box()["height"] >= 44
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "office-sms-dialog-phone.png"))  # the viewport, as seen
    finally:
        context.close()


@pytest.mark.parametrize("size", [(768, 1024), (820, 1180), (1024, 768)], ids=lambda s: f"{s[0]}x{s[1]}")
def test_office_pages_stay_usable_on_a_tablet(live_app, browser, base_url, size):
    width, height = size
    made = make_invoice(live_app, f"Tablet Customer {width}", [(f"512-555-{width + 6000}", "Mobile")])
    context = browser.new_context(
        viewport={"width": width, "height": height}, base_url=base_url, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        sign_in(page, "office@example.com")
        expect(page.get_by_role("row").nth(1)).to_be_visible()
        assert_fits(page, f"office-invoices-{width}x{height}")
        page.goto(f"/invoices/{made.invoice_id}")
        expect(page.get_by_role("heading", name=f"Invoice #{made.number}")).to_be_visible()
        assert_fits(page, f"office-invoice-{width}x{height}")
        dialog = text_dialog(page)
        dialog.get_by_role("radio", name="Use a New Number").click()
        expect(dialog.get_by_label("Phone number")).to_be_visible()
        assert_fits(page, f"office-sms-dialog-{width}x{height}", full_page=False)
        # However tall the dialog, Send stays on screen.
        send = dialog.get_by_role("button", name="Send").bounding_box()
        assert send["y"] + send["height"] <= height
    finally:
        context.close()


def test_a_text_that_cannot_be_delivered_says_why_in_plain_english(live_app, desktop):
    # The sandbox's unreachable test number: Twilio takes the text, then reports error 30003.
    made = make_invoice(live_app, "Devon Farrow", [("512-555-0030", "Mobile")])
    sign_in(desktop, "office@example.com")
    desktop.goto(f"/invoices/{made.invoice_id}")
    text_dialog(desktop).get_by_role("button", name="Send").click()
    entry = desktop.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0030")
    expect(entry.get_by_text("Undelivered", exact=True)).to_be_visible(timeout=SLOW)
    expect(entry).to_contain_text("The phone was unreachable (switched off or out of coverage)")
    screenshot(desktop, "office-invoice-undelivered-desktop")
