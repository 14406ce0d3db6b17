"""A clean install's first run in the browser (/setup with the code the server printed), and
Settings > Company > Company profile on the demo business.

The first-run tests start a second production app on an EMPTY database (its own SQLite file, ports
and .web build directory, so the shared demo app's frontend is not rebuilt under it). The Company
tests use the shared demo app and put the demo business back as it was."""

import re
import time

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from smslinks import demo
from smslinks.config import Settings
from smslinks.core import online_payments, setup_codes
from smslinks.core.sms_text import PayBy, invoice_text, segment_info
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import AuditEvent, Business, Employee
from smslinks.sandbox.runner import environ, free_port, free_ports_env, production_app, wait_for_http
from tests.e2e.conftest import DESKTOP, PHONE, assert_fits, own_web_dir, sign_in

pytestmark = pytest.mark.e2e

PRINTED = re.compile(r"No business yet: open (\S+)/setup and enter the setup code ([A-Z0-9]{4}-[A-Z0-9]{4})")
NEW_NAME = "Lone Star Comfort Co"


# ---------------------------------------------------------------------------- Settings > Company


@pytest.fixture
def business_restored(live_app):
    """Whatever a test saves, the demo business's profile comes back afterwards."""
    fields = ("name", "phone", "email", "street", "city", "region", "postal_code", "time_zone", "host")
    with live_app.session() as session:
        row = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        business_id, before = row.id, {field: getattr(row, field) for field in fields}
    try:
        yield business_id
    finally:
        with live_app.session() as session:
            row = session.get(Business, business_id)
            for field, value in before.items():
                setattr(row, field, value)
            session.add(row)
            session.commit()


def _open_company(page: Page) -> None:
    sign_in(page, "admin@example.com")
    page.goto("/settings")
    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Company profile").click()
    expect(page).to_have_url(re.compile(r"/settings/company$"))
    expect(page.get_by_role("heading", name="Company profile")).to_be_visible()


def _expected_text(live_app, name: str) -> str:
    link = f"{live_app.url}/pay/{online_payments.SAMPLE_TOKEN}"
    return invoice_text(
        name, online_payments.SAMPLE_INVOICE_NUMBER, online_payments.SAMPLE_AMOUNT_CENTS, link, PayBy.CARD
    )


def test_admin_renames_the_business_watching_the_sms_preview_and_a_bad_phone_is_refused_beside_it(
    desktop, live_app, business_restored
):
    _open_company(desktop)
    name = desktop.get_by_label("Business name")
    expect(name).to_have_value(demo.BUSINESS_NAME)
    preview = desktop.get_by_test_id("sms-preview-text")
    stats = desktop.get_by_test_id("sms-preview-stats")
    expect(preview).to_have_text(_expected_text(live_app, demo.BUSINESS_NAME))
    assert_fits(desktop, "company-profile-desktop")

    # The preview follows the name as it is typed, before anything is saved.
    name.fill(NEW_NAME)
    expected = _expected_text(live_app, NEW_NAME)
    expect(preview).to_have_text(expected)
    expect(stats).to_contain_text(f"{segment_info(expected).characters} characters")
    expect(stats).to_contain_text("1 SMS segment")
    expect(desktop.get_by_text("You have unsaved changes")).to_be_visible()
    with live_app.session() as session:
        assert session.get(Business, business_restored).name == demo.BUSINESS_NAME

    # A bad phone is refused beside its field; nothing is saved.
    phone = desktop.get_by_label("Phone", exact=True)
    saved_phone = phone.input_value()
    phone.fill("555")
    desktop.get_by_role("button", name="Save", exact=True).click()
    expect(desktop.locator("#company-phone-error")).to_be_visible()
    expect(desktop.get_by_text("Fix the fields marked in red, then save.")).to_be_visible()
    assert_fits(desktop, "company-profile-bad-phone-desktop")
    with live_app.session() as session:
        assert session.get(Business, business_restored).name == demo.BUSINESS_NAME

    # Fixed, it saves: the new name, with an audit row naming the change.
    phone.fill(saved_phone)
    expect(desktop.locator("#company-phone-error")).to_have_count(0)
    desktop.get_by_role("button", name="Save", exact=True).click()
    expect(desktop.get_by_text("Company profile saved.")).to_be_visible()
    expect(desktop.get_by_text("You have unsaved changes")).to_have_count(0)
    with live_app.session() as session:
        assert session.get(Business, business_restored).name == NEW_NAME
        event = session.exec(
            select(AuditEvent).where(AuditEvent.action == "company.updated").order_by(AuditEvent.id.desc())
        ).first()
        assert NEW_NAME in event.detail


def test_company_profile_on_a_phone(phone, live_app):
    _open_company(phone)
    expect(phone.get_by_label("Business name")).to_have_value(demo.BUSINESS_NAME)
    expect(phone.get_by_test_id("sms-preview-text")).to_contain_text(demo.BUSINESS_NAME)
    assert_fits(phone, "company-profile-phone")


def test_only_people_who_manage_the_company_see_it(desktop, live_app):
    sign_in(desktop, "office@example.com")
    desktop.goto("/settings/company")
    expect(desktop.get_by_role("alert")).to_contain_text("Manage company profile")
    expect(desktop.get_by_label("Business name")).to_have_count(0)


# ---------------------------------------------------------------------------- a clean install


@pytest.fixture(scope="class")
def fresh_app(tmp_path_factory):
    """A production app on an empty, migrated database: it prints a setup code at start."""
    work = tmp_path_factory.mktemp("fresh")
    env = {
        **free_ports_env(free_port()),
        "DATABASE_URL": f"sqlite:///{work / 'smslinks.db'}",
        "REFLEX_WEB_WORKDIR": str(own_web_dir(work)),
    }
    with environ(env):
        settings = Settings()
    upgrade_to_head(env["DATABASE_URL"])
    engine = make_engine(env["DATABASE_URL"])
    with environ(env), production_app(settings, work, env=env):
        wait_for_http(f"{settings.public_url}/signin", timeout=120)
        deadline = time.monotonic() + 30
        while not (printed := PRINTED.search((work / "app.log").read_text())) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert printed, "the server printed no setup code"
        assert printed.group(1) == settings.public_url
        yield {"url": settings.public_url, "code": printed.group(2), "engine": engine, "log": work / "app.log"}
    engine.dispose()


@pytest.fixture
def fresh_page(browser, fresh_app, request):
    viewport = PHONE if getattr(request, "param", "desktop") == "phone" else DESKTOP
    extra = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if viewport is PHONE else {}
    context = browser.new_context(viewport=viewport, base_url=fresh_app["url"], **extra)
    yield context.new_page()
    context.close()


def _fill(page: Page, values: dict[str, str]) -> None:
    for label, value in values.items():
        page.get_by_label(label, exact=True).fill(value)


GOOD = {
    "Business name": "Bluebonnet Plumbing",
    "Phone": "(512) 555-0142",
    "Email": "office@bluebonnet.example",
    "Street": "1200 Congress Ave",
    "City": "Austin",
    "State": "TX",
    "ZIP code": "78701",
    "Your name": "Rosa Diaz",
    "Your email": "rosa@bluebonnet.example",
    "Password": "long-enough-pass",
    "Password again": "long-enough-pass",
}


class TestCleanInstall:
    @pytest.mark.parametrize("fresh_page", ["phone"], indirect=True)
    def test_the_setup_page_on_a_phone(self, fresh_page):
        fresh_page.goto("/signin")
        expect(fresh_page).to_have_url(re.compile(r"/setup$"))
        expect(fresh_page.get_by_role("heading", name="Set up your business")).to_be_visible()
        assert_fits(fresh_page, "setup-phone")

    def test_signin_leads_to_setup_which_takes_the_printed_code_and_signs_the_admin_in(self, fresh_page, fresh_app):
        page = fresh_page
        page.goto("/signin")
        expect(page).to_have_url(re.compile(r"/setup$"))
        page.goto("/invoices")
        expect(page).to_have_url(re.compile(r"/setup$"))

        # A wrong code and bad fields: each refusal beside its field, nothing written.
        _fill(
            page,
            {
                **GOOD,
                "Setup code": "ABCD-EFGH",
                "Phone": "555",
                "Email": "office@bluebonnet",
                "Time zone": "Mars/Olympus",
            },
        )
        page.get_by_role("button", name="Set up the business").click()
        expect(page.locator("#setup-code-error")).to_have_text(setup_codes.WRONG_CODE)
        expect(page.locator("#setup-phone-error")).to_be_visible()
        expect(page.locator("#setup-email-error")).to_be_visible()
        expect(page.locator("#setup-time-zone-error")).to_contain_text("is not a time zone")
        expect(page.locator("#setup-name-error")).to_have_count(0)
        assert_fits(page, "setup-errors-desktop")
        with Session(fresh_app["engine"]) as session:
            assert session.exec(select(Business)).first() is None

        # The printed code (typed loosely) with good fields: the admin lands in Settings, signed in.
        _fill(page, {**GOOD, "Setup code": fresh_app["code"].lower().replace("-", " "), "Time zone": ""})
        page.get_by_role("button", name="Set up the business").click()
        page.wait_for_url(re.compile(r"/settings"))
        expect(page.get_by_role("navigation", name="Settings sections")).to_be_visible()
        expect(page.get_by_role("button", name="Account")).to_contain_text("Rosa Diaz")
        with Session(fresh_app["engine"]) as session:
            business = session.exec(select(Business)).one()
            assert (business.name, business.phone, business.time_zone) == (
                "Bluebonnet Plumbing",
                "+15125550142",
                "America/Chicago",
            )
            assert session.exec(select(Employee)).one().email == "rosa@bluebonnet.example"

        # /setup is closed now: signed in, it leads home; signed out, to sign-in.
        page.goto("/setup")
        page.wait_for_url(lambda url: "/setup" not in url)
        page.context.clear_cookies()
        page.goto("/setup")
        expect(page).to_have_url(re.compile(r"/signin"))
        expect(page.get_by_role("button", name="Sign in")).to_be_visible()
