"""Office staff add a customer, find it again, and change it, as a person would.

Other test modules share the app: this one uses its own name and Denver's 303-555-01xx numbers.
"""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks.models import Customer, PhoneNumber
from tests.e2e.conftest import assert_fits, settled, sign_in

pytestmark = pytest.mark.e2e

NAME = "Rosalind Quenby"


def _dialog(page: Page, title: str):
    dialog = page.get_by_role("dialog", name=title)
    expect(dialog).to_be_visible()
    settled(page)
    return dialog


def _choose_type(page: Page, dialog, row: int, kind: str) -> None:
    dialog.get_by_label(f"Phone {row} type", exact=True).click()
    page.get_by_role("option", name=kind, exact=True).click()


def _save(dialog, button: str) -> None:
    dialog.page.wait_for_timeout(300)  # the last keystrokes reach the server before the click
    dialog.get_by_role("button", name=button).click()


def _search(page: Page, text: str) -> None:
    page.get_by_label("Search customers").fill(text)
    page.get_by_role("button", name="Search").click()


def test_office_adds_finds_and_edits_a_customer(live_app, desktop, browser, base_url):
    page = desktop
    sign_in(page, "office@example.com")
    page.get_by_role("link", name="Customers").first.click()
    expect(page.get_by_role("heading", name="Customers")).to_be_visible()
    expect(page.get_by_role("row").nth(3)).to_be_visible()  # the demo's customers are listed
    assert_fits(page, "customers-list-desktop")

    # New customer: a Mobile and a Home number, an email, a service location in Denver.
    page.get_by_role("button", name="New customer").click()
    dialog = _dialog(page, "New customer")
    dialog.get_by_label("Name", exact=True).fill(NAME)
    dialog.get_by_label("Phone 1 number", exact=True).fill("303-555-0141")
    dialog.get_by_label("Phone 1 label", exact=True).fill("Cell")
    dialog.get_by_role("button", name="Add phone").click()
    dialog.get_by_label("Phone 2 number", exact=True).fill("(303) 555-0142")
    _choose_type(page, dialog, 2, "Home")
    dialog.get_by_label("Email 1 address", exact=True).fill("rosalind.quenby@example.net")
    dialog.get_by_label("Location 1 name", exact=True).fill("Home")
    dialog.get_by_label("Location 1 street", exact=True).fill("1600 Broadway")
    dialog.get_by_label("Location 1 city", exact=True).fill("Denver")
    dialog.get_by_label("Location 1 state", exact=True).fill("CO")
    dialog.get_by_label("Location 1 ZIP", exact=True).fill("80202")
    assert_fits(page, "customer-new-dialog-desktop", full_page=False)
    _save(dialog, "Add customer")

    expect(page).to_have_url(re.compile(r"/customers/\d+$"))
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    numbers = page.get_by_test_id("customer-phone")
    expect(numbers.filter(has_text="(303) 555-0141")).to_contain_text("Mobile")
    expect(numbers.filter(has_text="(303) 555-0142")).to_contain_text("Home")
    expect(page.get_by_text("rosalind.quenby@example.net")).to_be_visible()
    location = page.get_by_test_id("customer-location")
    expect(location).to_contain_text("1600 Broadway, Denver, CO 80202")
    expect(location).to_contain_text("Time zone: Mountain Time")
    expect(page.get_by_text("No invoices yet.")).to_be_visible()
    customer_url = page.url
    assert_fits(page, "customer-detail-desktop")

    # "New invoice" opens the invoice editor for this customer, at their service location.
    page.get_by_role("link", name="New invoice").click()
    expect(page).to_have_url(re.compile(r"/invoices/editor\?customer=\d+$"))
    expect(page.get_by_text(NAME).first).to_be_visible()
    expect(page.get_by_text("1600 Broadway, Denver, CO 80202").first).to_be_visible()
    page.goto(customer_url)
    expect(page.get_by_role("heading", name=NAME)).to_be_visible()
    with live_app.session() as session:
        customer = session.exec(select(Customer).where(Customer.name == NAME)).one()
        mobile = session.exec(
            select(PhoneNumber).where(PhoneNumber.customer_id == customer.id, PhoneNumber.e164 == "+13035550141")
        ).one()
        assert mobile.consent_method == "Given to Olivia Office when adding the customer"

    # Found in the list by last name and by phone.
    page.get_by_role("link", name="Customers").first.click()
    _search(page, "quenby")
    expect(page.get_by_role("row").filter(has_text=NAME)).to_have_count(1)
    _search(page, "303.555.0142")
    expect(page.get_by_role("row").filter(has_text=NAME)).to_have_count(1)
    page.get_by_role("link", name=NAME).click()
    expect(page).to_have_url(customer_url)

    # Edit: a number already on the customer, then a toll-free Mobile, are refused beside the field.
    page.get_by_role("button", name="Edit").click()
    dialog = _dialog(page, "Edit customer")
    expect(dialog.get_by_label("Phone 2 number", exact=True)).to_have_value("(303) 555-0142")
    dialog.get_by_role("button", name="Add phone").click()
    third = dialog.get_by_test_id("phone-row").nth(2)
    dialog.get_by_label("Phone 3 number", exact=True).fill("303 555 0141")
    _save(dialog, "Save changes")
    expect(third).to_contain_text("(303) 555-0141 is already on this customer (number 1)")
    dialog.get_by_label("Phone 3 number", exact=True).fill("1-800-555-0143")
    _save(dialog, "Save changes")
    expect(third).to_contain_text("Toll-free numbers can't receive texts here.")
    assert_fits(page, "customer-edit-errors-desktop", full_page=False)
    dialog.get_by_label("Phone 3 number", exact=True).fill("303-555-0143")
    dialog.get_by_label("Phone 3 label", exact=True).fill("Work cell")
    _save(dialog, "Save changes")
    expect(dialog).to_be_hidden()
    expect(numbers.filter(has_text="(303) 555-0143")).to_contain_text("Work cell")
    expect(numbers).to_have_count(3)

    # A customer with invoices lists them, each opening its invoice.
    page.get_by_role("link", name="Customers").first.click()
    _search(page, "amanda rivera")
    page.get_by_role("link", name="Amanda Rivera").click()
    invoices = page.get_by_role("region", name="Invoices")
    first = invoices.get_by_role("link").first
    number = first.inner_text().lstrip("#")
    first.click()
    expect(page).to_have_url(re.compile(r"/invoices/\d+$"))
    expect(page.get_by_role("heading", name=f"Invoice #{number}")).to_be_visible()

    # The same pages on a phone.
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=base_url, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    try:
        phone = context.new_page()
        sign_in(phone, "office@example.com")
        phone.goto("/customers")
        expect(phone.get_by_role("row").nth(3)).to_be_visible()
        # The top bar with its sections fits the phone (else the browser widens the page to show it).
        assert phone.evaluate("window.innerWidth") == 390
        assert_fits(phone, "customers-list-phone")
        phone.goto(customer_url)
        expect(phone.get_by_text("Time zone: Mountain Time")).to_be_visible()
        assert_fits(phone, "customer-detail-phone")
        phone.get_by_role("button", name="Edit").click()
        _dialog(phone, "Edit customer")
        assert_fits(phone, "customer-edit-dialog-phone", full_page=False)
    finally:
        context.close()
