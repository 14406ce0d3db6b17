"""Technicians on a phone (390x844, touch): open one of today's jobs, see its invoice, and text or
email the payment link through the office's send path (Mobile's settings apply).

Each test makes its own customer, job and invoice for a demo technician, at a service location
where it is mid-afternoon now, so quiet hours never hold the text back.
"""

import re
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core import invoices, jobs
from smslinks.models import Business, Employee, Invoice, OutboundMessage, PhoneNumber
from tests import factories
from tests.e2e.conftest import PHONE, assert_fits, demo_settings, screenshot, settled, sign_in

pytestmark = pytest.mark.e2e

SLOW = 20_000  # ms: anything that goes through the dispatcher, the sandbox or the page's poll
TOUCH = 44  # px: the smallest touch target

_MOBILE_SENDING = {
    "business": dict(sms_links_available=True, sms_registration_status="approved"),
    "settings": dict(
        sms_links_enabled=True,
        mobile_sms_enabled=True,
        mobile_email_enabled=True,
        card_enabled=True,
        ach_enabled=True,
        sms_per_recipient_daily_limit=3,
    ),
}


@pytest.fixture(scope="module", autouse=True)
def mobile_sending_on(live_app):
    with demo_settings(live_app, **_MOBILE_SENDING):
        yield


@dataclass
class Made:
    job_id: int
    invoice_id: int
    invoice_number: str
    customer: str


def make_job(live_app, technician_email: str, customer_name: str, phones: list[tuple[str, str]]) -> Made:
    """A customer with these (number, type) phones, and a job today for the technician with an open
    $245.00 invoice, at a service location where it is 2 PM now."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        technician = session.exec(select(Employee).where(Employee.email == technician_email)).one()
        customer = factories.customer(session, business, customer_name)
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        for number, kind in phones:
            factories.phone(session, number, customer=customer, type=kind)
        job = factories.job(session, location, technician)
        invoice = factories.invoice(session, location, total_cents=24_500, job=job)
        session.commit()
        return Made(job.id, invoice.id, invoice.number, customer_name)


def messages_for(live_app, invoice_id: int) -> list[OutboundMessage]:
    with live_app.session() as session:
        return session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == invoice_id)).all()


def open_job(page: Page, made: Made) -> None:
    page.get_by_role("link").filter(has_text=made.customer).click()
    expect(page.get_by_role("heading", name=made.customer)).to_be_visible()
    expect(page.get_by_role("region", name="Invoice")).to_contain_text(f"#{made.invoice_number}")


def actions(page: Page):
    """Open the invoice's Actions menu and return it."""
    page.get_by_role("button", name="Actions").click()
    menu = page.get_by_role("menu")
    expect(menu).to_be_visible()
    settled(page)
    return menu


def text_sheet(page: Page):
    actions(page).get_by_role("menuitem", name="Text Invoice").click()
    dialog = page.get_by_role("dialog", name="SMS Text Invoice Link")
    expect(dialog).to_be_visible()
    settled(page)
    return dialog


def assert_touch_sized(*targets) -> None:
    for target in targets:
        box = target.bounding_box()
        assert box["height"] >= TOUCH - 0.01, f"{target} is {box['height']}px tall"  # sub-pixel layout


def test_technician_texts_the_invoice_sees_it_delivered_and_sees_the_customer_pay(live_app, phone):
    made = make_job(
        live_app, "tech@example.com", "Quinn Delacroix", [("512-555-0831", "Mobile"), ("512-555-0832", "Home")]
    )
    sign_in(phone, "tech@example.com")
    expect(phone.get_by_role("heading", name="Today's jobs")).to_be_visible()
    open_job(phone, made)
    details = phone.get_by_role("region", name="Job")
    expect(details).to_contain_text("100 Main St, Austin, TX 78701")
    expect(details.get_by_role("link", name="Open in Maps")).to_have_attribute(
        "href", re.compile(r"^https://www\.google\.com/maps/search/\?api=1&query=100\+Main\+St")
    )
    expect(phone.get_by_role("region", name="Invoice")).to_contain_text(re.compile(r"Balance due\s*\$245\.00"))

    dialog = text_sheet(phone)
    mobile = dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0831"))
    home = dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0832"))
    expect(mobile).to_be_checked()
    expect(home).to_be_disabled()
    expect(home).to_contain_text("Only Mobile numbers can receive texts")
    assert_touch_sized(*dialog.get_by_role("radio").all(), dialog.get_by_role("button", name="Send"))
    preview = dialog.get_by_test_id("sms-preview")
    expect(preview).to_contain_text(f"invoice #{made.invoice_number} for $245.00 is ready")
    url = re.search(r"https?://\S+/pay/\S+", preview.inner_text()).group(0)

    dialog.get_by_role("button", name="Send").tap()
    expect(phone.get_by_text("Text queued to (512) 555-0831").first).to_be_visible()
    expect(dialog).to_be_hidden()
    # The status follows the text live, next to the Actions and in the list below.
    latest = phone.get_by_role("status", name="Latest message")
    expect(latest).to_contain_text("Text to (512) 555-0831")
    expect(latest.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
    entry = phone.get_by_role("list", name="Texts and emails").get_by_role("listitem")
    expect(entry).to_contain_text("Sent by Terry Technician")
    expect(entry).to_contain_text(re.compile(r"Queued .* · Sent .* · Delivered "))
    assert len(messages_for(live_app, made.invoice_id)) == 1
    screenshot(phone, "tech-job-delivered-phone")

    # The customer's phone got the text with its link (the Dev phone, in another tab).
    dev_phone = phone.context.new_page()
    dev_phone.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    conversation = dev_phone.get_by_role("region", name="Conversation with (512) 555-0831")
    expect(conversation.get_by_role("link", name=url)).to_have_attribute("href", url)
    dev_phone.close()

    # The customer pays (the pay page's webhook, in another process): the open job page says so.
    with live_app.session() as session:
        invoice = session.get(Invoice, made.invoice_id)
        invoice.amount_paid_cents, invoice.status = invoice.total_cents, "paid"
        session.add(invoice)
        invoices.touch(session, invoice.id)
        session.commit()
    expect(phone.get_by_text(f"{made.customer} paid invoice #{made.invoice_number}.")).to_be_visible(timeout=SLOW)
    expect(phone.get_by_role("region", name="Invoice")).to_contain_text("Paid in full")
    expect(phone.get_by_role("region", name="Invoice")).to_contain_text(re.compile(r"Balance due\s*\$0\.00"))
    expect(phone.get_by_role("main").get_by_text("Paid", exact=True)).to_have_count(2)  # the job's and the invoice's
    screenshot(phone, "tech-job-paid-phone")
    menu = actions(phone)
    expect(menu.get_by_role("menuitem", name="Text Invoice")).to_be_disabled()
    expect(menu.get_by_role("menuitem", name="Text Invoice")).to_contain_text("This invoice is paid in full.")
    phone.keyboard.press("Escape")

    phone.get_by_role("link", name="Today's jobs").click()
    card = phone.get_by_role("link").filter(has_text=made.customer)
    expect(card.get_by_text("Paid", exact=True)).to_be_visible()


def test_a_new_number_typed_on_the_phone_keypad_is_saved_to_the_customer_record(live_app, phone):
    made = make_job(live_app, "tech@example.com", "Reese Vandermolen", [("512-555-0841", "Home")])
    sign_in(phone, "tech@example.com")
    open_job(phone, made)
    dialog = text_sheet(phone)
    expect(dialog.get_by_role("radio", name="Use a New Number")).to_be_checked()
    number = dialog.get_by_label("Phone number")
    expect(number).to_have_attribute("inputmode", "tel")
    expect(number).to_have_attribute("type", "tel")
    number.tap()
    number.press_sequentially("5125550842", delay=40)
    expect(number).to_have_value("(512) 555-0842")
    save_customer = dialog.get_by_text("Save to Customer Record")
    assert_touch_sized(
        save_customer.locator("xpath=ancestor::label[1]"),
        dialog.get_by_text("Save to Location Record").locator("xpath=ancestor::label[1]"),
    )
    save_customer.tap()
    expect(dialog.get_by_role("checkbox", name="Save to Customer Record")).to_be_checked()
    dialog.get_by_role("button", name="Send").tap()
    expect(phone.get_by_text("Text queued to (512) 555-0842").first).to_be_visible()

    with live_app.session() as session:
        saved = session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550842")).one()
        invoice = session.get(Invoice, made.invoice_id)
        assert (saved.customer_id, saved.location_id, saved.type) == (invoice.customer_id, None, "Mobile")
        assert saved.consent_method == (
            f"Given to Terry Technician to text invoice #{made.invoice_number} in the field (Mobile)"
        )
    dialog = text_sheet(phone)
    expect(dialog.get_by_role("radio", name=re.compile(r"\(512\) 555-0842"))).to_be_checked()


def test_technician_emails_the_invoice_link_to_an_address_typed_on_the_phone(live_app, phone):
    made = make_job(live_app, "tech@example.com", "Wren Abernathy", [("512-555-0846", "Mobile")])
    sign_in(phone, "tech@example.com")
    open_job(phone, made)
    actions(phone).get_by_role("menuitem", name="Email Invoice").click()
    dialog = phone.get_by_role("dialog", name="Email Invoice Link")
    expect(dialog.get_by_role("radio", name="Another address")).to_be_checked()  # none on record
    address = dialog.get_by_label("Email address")
    expect(address).to_have_attribute("inputmode", "email")
    address.fill("wren.a@example.net")
    dialog.get_by_role("button", name="Send email").tap()
    expect(phone.get_by_text("Email queued to wren.a@example.net").first).to_be_visible()
    latest = phone.get_by_role("status", name="Latest message")
    expect(latest).to_contain_text("Email to wren.a@example.net")
    expect(latest.get_by_text("Sent", exact=True)).to_be_visible(timeout=SLOW)


def test_text_invoice_is_absent_when_mobile_texting_is_off(live_app, phone):
    made = make_job(live_app, "tech@example.com", "Sloane Whitacre", [("512-555-0851", "Mobile")])
    sign_in(phone, "tech@example.com")
    with demo_settings(live_app, settings=dict(mobile_sms_enabled=False)):
        open_job(phone, made)
        menu = actions(phone)
        expect(menu.get_by_role("menuitem", name="Email Invoice")).to_be_enabled()
        expect(menu.get_by_role("menuitem", name="Text Invoice")).to_have_count(0)
        phone.keyboard.press("Escape")
    with demo_settings(live_app, settings=dict(mobile_email_enabled=False)):
        # The Mobile texting option sits under the email one in Settings: both go, and the menu.
        phone.reload()
        expect(phone.get_by_role("region", name="Invoice")).to_contain_text(f"#{made.invoice_number}")
        expect(phone.get_by_role("button", name="Actions")).to_have_count(0)
    phone.reload()
    expect(actions(phone).get_by_role("menuitem", name="Text Invoice")).to_be_enabled()


def test_a_technician_cannot_open_or_text_another_technicians_job(live_app, phone):
    made = make_job(live_app, "tech2@example.com", "Tatum Ferreira", [("512-555-0861", "Mobile")])
    sign_in(phone, "tech@example.com")
    expect(phone.get_by_role("link").filter(has_text=made.customer)).to_have_count(0)

    phone.goto(f"/tech/jobs/{made.job_id}")
    expect(phone.get_by_role("alert")).to_have_text(jobs.NOT_YOURS)
    expect(phone.get_by_text(made.customer)).to_have_count(0)
    expect(phone.get_by_role("button", name="Actions")).to_have_count(0)

    phone.goto(f"/invoices/{made.invoice_id}")  # the office's door to the same invoice
    expect(phone.get_by_role("alert")).to_contain_text('You need the "View invoices" permission')
    expect(phone.get_by_role("button", name="SMS Invoice")).to_have_count(0)
    assert messages_for(live_app, made.invoice_id) == []

    # Sam, whose job it is, opens it.
    phone.get_by_role("button", name="Account").click()
    phone.get_by_role("menuitem", name="Sign out").click()
    expect(phone.get_by_role("button", name="Sign in")).to_be_visible()
    sign_in(phone, "tech2@example.com")
    open_job(phone, made)


# ---------------------------------------------------------------- every screen fits a phone

# Long names, to see that they wrap rather than push the page sideways.
_LONG_NAMES = {360: "Marisol Featherstonehaugh-Okonkwo", 390: "Bartholomew Quackenbush-Villanueva"}


@pytest.mark.parametrize("width", [360, 390])
def test_each_technician_screen_fits_a_phone(live_app, browser: Browser, base_url, width):
    made = make_job(
        live_app,
        "tech@example.com",
        _LONG_NAMES[width],
        [(f"512-555-{width + 5000}", "Mobile"), (f"512-555-{width + 5001}", "Work")],
    )
    theirs = make_job(
        live_app, "tech2@example.com", f"Ulrich Penhallow {width}", [(f"512-555-{width + 5002}", "Mobile")]
    )
    context = browser.new_context(
        viewport={"width": width, "height": PHONE["height"]},
        base_url=base_url,
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    page = context.new_page()
    try:
        sign_in(page, "tech@example.com")
        expect(page.get_by_role("link").filter(has_text=made.customer)).to_be_visible()
        assert_fits(page, f"tech-jobs-{width}")
        open_job(page, made)
        assert_fits(page, f"tech-job-{width}")
        actions(page)
        assert_fits(page, f"tech-actions-{width}", full_page=False)
        page.get_by_role("menuitem", name="Text Invoice").click()
        dialog = page.get_by_role("dialog", name="SMS Text Invoice Link")
        expect(dialog).to_be_visible()
        assert_fits(page, f"tech-text-{width}", full_page=False)
        dialog.get_by_role("radio", name="Use a New Number").click()
        expect(dialog.get_by_label("Phone number")).to_be_visible()
        assert_fits(page, f"tech-text-new-number-{width}", full_page=False)
        # The sheet fills the screen and keeps Send in view while the picker scrolls.
        box = dialog.bounding_box()
        assert (box["x"], box["width"]) == (0, width)
        send = dialog.get_by_role("button", name="Send")
        assert send.bounding_box()["y"] + send.bounding_box()["height"] <= PHONE["height"]
        dialog.get_by_role("button", name="Cancel").click()
        expect(dialog).to_be_hidden()
        actions(page).get_by_role("menuitem", name="Email Invoice").click()
        expect(page.get_by_role("dialog", name="Email Invoice Link")).to_be_visible()
        assert_fits(page, f"tech-email-{width}", full_page=False)
        page.goto(f"/tech/jobs/{theirs.job_id}")
        expect(page.get_by_role("alert")).to_have_text(jobs.NOT_YOURS)
        assert_fits(page, f"tech-refused-{width}")
    finally:
        context.close()
