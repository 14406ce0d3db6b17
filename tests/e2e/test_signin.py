import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.e2e


def test_office_user_signs_in_and_sees_office_navigation(desktop):
    sign_in(desktop, "office@example.com")
    expect(desktop).to_have_url(re.compile(r"/invoices"))
    nav = desktop.get_by_role("navigation")
    expect(nav.get_by_role("link", name="Invoices")).to_be_visible()
    expect(nav.get_by_role("link", name="My jobs")).to_have_count(0)
    # Their only settings section is Import (customers and invoices from a CSV file).
    expect(nav.get_by_role("link", name="Settings")).to_be_visible()
    expect(desktop.get_by_role("heading", name="Invoices")).to_be_visible()
    expect(desktop.get_by_role("row").nth(1)).to_be_visible()
    screenshot(desktop, "office-invoices-desktop")


def test_admin_sees_settings_in_navigation(desktop):
    sign_in(desktop, "admin@example.com")
    expect(desktop.get_by_role("navigation").get_by_role("link", name="Settings")).to_be_visible()


def test_technician_signs_in_on_a_phone_and_sees_todays_jobs(phone):
    sign_in(phone, "tech@example.com")
    expect(phone).to_have_url(re.compile(r"/tech"))
    expect(phone.get_by_role("heading", name="Today's jobs")).to_be_visible()
    expect(phone.get_by_text("Maria Garcia")).to_be_visible()
    expect(phone.get_by_role("navigation").get_by_role("link", name="Invoices")).to_have_count(0)
    screenshot(phone, "tech-jobs-phone")


def test_anonymous_visit_to_an_office_page_lands_on_sign_in(desktop):
    desktop.goto("/invoices")
    expect(desktop).to_have_url(re.compile(r"/signin\?next=/invoices"))
    expect(desktop.get_by_role("button", name="Sign in")).to_be_visible()


def test_wrong_password_shows_one_clear_message(desktop):
    desktop.goto("/signin")
    desktop.get_by_label("Email").fill("office@example.com")
    desktop.get_by_label("Password").fill("not-the-password")
    desktop.get_by_role("button", name="Sign in").click()
    expect(desktop.get_by_role("alert")).to_have_text("That email and password don't match an account.")
    expect(desktop).to_have_url(re.compile(r"/signin"))


def test_sign_out_ends_the_session(desktop):
    sign_in(desktop, "manager@example.com")
    desktop.get_by_role("button", name="Account").click()
    desktop.get_by_role("menuitem", name="Sign out").click()
    expect(desktop).to_have_url(re.compile(r"/signin"))
    desktop.goto("/invoices")
    expect(desktop).to_have_url(re.compile(r"/signin"))


def test_the_browser_tab_shows_the_app_icon(desktop):
    desktop.goto("/signin")
    expect(desktop.get_by_role("button", name="Sign in")).to_be_visible()
    answer = desktop.request.get("/favicon.ico")  # where browsers look for it unless told otherwise
    assert answer.ok and answer.body()[:4] == b"\x00\x00\x01\x00"  # an icon file, not a page


def test_the_session_cookie_is_out_of_reach_of_scripts(desktop):
    """Set by the server (/auth/session): HttpOnly, SameSite=Strict; the page's scripts never see it."""
    sign_in(desktop, "office@example.com")
    expect(desktop.get_by_role("heading", name="Invoices")).to_be_visible()
    cookie = next(c for c in desktop.context.cookies() if c["name"] == "smslinks_session")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "smslinks_session" not in desktop.evaluate("document.cookie")
