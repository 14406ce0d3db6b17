"""A business's first day on a clean install, no demo data: `smslinks setup` from a terminal, then
in the browser the administrator switches texting on and adds an office employee and a technician;
the office employee adds a customer, invoices them, texts the link; the customer pays on a phone and
the office sees Paid; the technician sees today's jobs on a phone and invoices one of them.

Its own production app on an empty database (as tests/e2e/test_setup_and_company.py starts one)."""

import os
import re
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from smslinks.config import Settings
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Business, Invoice, InvoiceLine, Job, Payment
from smslinks.sandbox.runner import environ, free_port, free_ports_env, production_app, wait_for_http
from tests import factories
from tests.e2e.conftest import DESKTOP, PHONE, assert_fits, own_web_dir, screenshot, settled
from tests.e2e.test_invoice_editing import choose, pick_customer
from tests.e2e.test_office_sending import SLOW, text_dialog
from tests.e2e.test_pay import _fill_card

pytestmark = pytest.mark.e2e

ADMIN = ("Marisol Vega", "marisol@pecanstreet.example", "pecan-street-admin-1")
OFFICE = ("Dana Office", "dana@pecanstreet.example", "dana-chose-this-one")
TECH = ("Tomas Tech", "tomas@pecanstreet.example", "tomas-chose-this-one")
CUSTOMER = "Winifred Oyelaran"
CUSTOMER_MOBILE = "(512) 555-0093"

# Where the business and its customer are: texts wait for 8 AM at the customer's service location,
# so the test takes a city where it is now day (8 AM to 8 PM; the test takes minutes).
CITIES = [
    ("00901", "San Juan", "PR", "America/Puerto_Rico"),
    ("10001", "New York", "NY", "America/New_York"),
    ("78701", "Austin", "TX", "America/Chicago"),
    ("80202", "Denver", "CO", "America/Denver"),
    ("94103", "San Francisco", "CA", "America/Los_Angeles"),
    ("99501", "Anchorage", "AK", "America/Anchorage"),
    ("96813", "Honolulu", "HI", "Pacific/Honolulu"),
    ("96910", "Hagatna", "GU", "Pacific/Guam"),
]


def _city_in_daytime() -> tuple[str, str, str, str]:
    """A city where it is day now; in the hour or two when it is night in all of them (around
    11:00 UTC), a ZIP the data does not know in a state of several zones, so the location takes the
    business's time zone, which setup then sets to one where it is early afternoon."""
    now = datetime.now(UTC)
    for city in CITIES:
        if 8 <= now.astimezone(ZoneInfo(city[3])).hour < 20:
            return city
    return ("77000", "Houston", "TX", factories.zone_where_local_hour_is(14, now))


def _smslinks(env: dict, *args: str, **extra_env: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "smslinks.cli", *args],
        env={**os.environ, **env, **extra_env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    return result.stdout


@pytest.fixture(scope="module")
def own_app(tmp_path_factory):
    """A production app on an empty database, set up from the command line as a business would."""
    work = tmp_path_factory.mktemp("own")
    env = {
        **free_ports_env(free_port()),
        "DATABASE_URL": f"sqlite:///{work / 'smslinks.db'}",
        "REFLEX_WEB_WORKDIR": str(own_web_dir(work)),
        "SMSLINKS_SANDBOX_TWILIO_STEP_SECONDS": "0.3",
        "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.5",
    }
    with environ(env):
        settings = Settings()
    upgrade_to_head(env["DATABASE_URL"])
    zip_code, city, state, zone = _city_in_daytime()
    printed = _smslinks(
        env,
        "setup",
        "--business",
        "Pecan Street Heating & Air",
        "--phone",
        "(512) 555-0090",
        "--email",
        "office@pecanstreet.example",
        "--street",
        "401 Pecan St",
        "--city",
        city,
        "--state",
        state,
        "--postal-code",
        zip_code,
        "--time-zone",
        zone,
        "--admin-email",
        ADMIN[1],
        "--admin-name",
        ADMIN[0],
        SMSLINKS_SETUP_PASSWORD=ADMIN[2],
    )
    assert "Set up Pecan Street Heating & Air" in printed
    # What Technical Support does for a new account: texting allowed, a registered sending number.
    _smslinks(env, "account", "sms-links", "enable")
    _smslinks(env, "account", "sms-registration", "--status", "approved", "--number", "+15125550099")
    engine = make_engine(env["DATABASE_URL"])
    with environ(env), production_app(settings, work, env=env):
        wait_for_http(f"{settings.public_url}/signin", timeout=120)
        yield {
            "url": settings.public_url,
            "engine": engine,
            "twilio": settings.sandbox_twilio_url,
            "place": (zip_code, city, state),
        }
    engine.dispose()


def _page(browser: Browser, own_app, viewport=DESKTOP) -> Page:
    extra = {"is_mobile": True, "has_touch": True, "device_scale_factor": 2} if viewport is PHONE else {}
    return browser.new_context(viewport=viewport, base_url=own_app["url"], **extra).new_page()


def _sign_in(page: Page, email: str, password: str) -> None:
    page.goto("/signin")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(lambda url: "/signin" not in url)


def _choose_own_password(page: Page, password: str) -> None:
    expect(page).to_have_url(re.compile(r"/account/password$"))
    page.get_by_label("New password", exact=True).fill(password)
    page.get_by_label("New password again").fill(password)
    page.get_by_role("button", name="Save password and continue").click()
    page.wait_for_url(lambda url: "/account/password" not in url)


def _add_employee(page: Page, name: str, email: str, role: str) -> str:
    """Adds them with a temporary password, which the dialog shows once."""
    page.get_by_role("button", name="Add employee").click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("Name").fill(name)
    dialog.get_by_label("Email").fill(email)
    dialog.get_by_label("Role").click()
    page.get_by_role("option", name=role, exact=True).click()
    dialog.get_by_role("radio", name=re.compile("^Temporary password")).click()
    dialog.get_by_role("button", name="Add employee").click()
    expect(dialog.get_by_role("heading", name=f"{name} is added")).to_be_visible()
    password = dialog.locator("#new-employee-secret").inner_text().strip()
    dialog.get_by_role("button", name="Done").click()
    expect(page.get_by_role("row").filter(has_text=email)).to_contain_text(role)
    return password


def _admin_switches_texting_on_and_adds_staff(page: Page) -> tuple[str, str]:
    _sign_in(page, ADMIN[1], ADMIN[2])
    page.goto("/settings")
    expect(page.get_by_role("heading", name="Online Payments")).to_be_visible()
    for switch in (
        "SMS invoice links",
        "Enable sending invoice links in desktop via Office",
        "Enable sending email invoice links in Mobile",
        "Also enable sending SMS invoice links via Mobile",
    ):
        page.get_by_role("switch", name=switch, exact=True).click()
        expect(page.get_by_role("switch", name=switch, exact=True)).to_be_checked()
    expect(page.get_by_role("tabpanel", name="Credit Card").get_by_test_id("sms-preview-text")).to_contain_text(
        "Pecan Street Heating & Air"
    )
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("You have unsaved changes")).to_have_count(0)

    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name="Employees").click()
    expect(page.get_by_role("heading", name="Employees")).to_be_visible()
    office = _add_employee(page, *OFFICE[:2], "Office employee")
    tech = _add_employee(page, *TECH[:2], "Technician")
    assert_fits(page, "own-business-employees-desktop")
    return office, tech


def _office_adds_the_customer(page: Page, place: tuple[str, str, str]) -> str:
    zip_code, city, state = place
    page.get_by_role("link", name="Customers").first.click()
    expect(page.get_by_text("No customers yet. Add the first with New customer.")).to_be_visible()
    page.get_by_role("button", name="New customer").click()
    dialog = page.get_by_role("dialog", name="New customer")
    expect(dialog).to_be_visible()
    settled(page)
    dialog.get_by_label("Name", exact=True).fill(CUSTOMER)
    # Not a phone number first: refused beside the field, nothing saved.
    dialog.get_by_label("Phone 1 number", exact=True).fill("call me")
    dialog.get_by_label("Location 1 street", exact=True).fill("77 Live Oak Ln")
    dialog.get_by_label("Location 1 city", exact=True).fill(city)
    dialog.get_by_label("Location 1 state", exact=True).fill(state)
    dialog.get_by_label("Location 1 ZIP", exact=True).fill(zip_code)
    page.wait_for_timeout(300)  # the last keystrokes reach the server before the click
    dialog.get_by_role("button", name="Add customer").click()
    expect(dialog.get_by_test_id("phone-row").first).to_contain_text('"call me" is not a phone number.')
    assert_fits(page, "own-business-customer-refused-desktop", full_page=False)
    dialog.get_by_label("Phone 1 number", exact=True).fill(CUSTOMER_MOBILE)
    page.wait_for_timeout(300)
    dialog.get_by_role("button", name="Add customer").click()
    expect(page.get_by_role("heading", name=CUSTOMER)).to_be_visible()
    expect(page.get_by_test_id("customer-phone")).to_contain_text("Mobile")
    expect(page.get_by_test_id("customer-location")).to_contain_text(f"77 Live Oak Ln, {city}, {state} {zip_code}")
    return page.url


def _toasts_gone(page: Page) -> None:
    """The last step's confirmation toasts have left by themselves, as a person waits for them: toasts
    sit at the bottom right, and one with the pointer resting on it stays."""
    toasts = page.get_by_role("region", name=re.compile("^Notifications")).get_by_role("listitem")
    expect(toasts).to_have_count(0, timeout=15_000)


def _finalize(page: Page) -> None:
    _toasts_gone(page)  # they sit over this button
    page.get_by_role("button", name="Finalize").click()


def _office_invoices_and_texts(page: Page, engine) -> str:
    page.get_by_role("link", name="New invoice").click()
    expect(page.get_by_role("heading", name="New invoice")).to_be_visible()
    expect(page.get_by_role("region", name="Customer and place")).to_contain_text(CUSTOMER)
    # No lines: refused, nothing saved.
    line1 = page.get_by_role("group", name="Line 1")
    _finalize(page)
    expect(line1.get_by_text("Describe the work or part.")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="Check the highlighted fields.")).to_be_visible()
    line1.get_by_label("Description, line 1").fill("Furnace repair: ignitor replaced")
    line1.get_by_label("Unit price, line 1").fill("100000000")  # an absurd price
    page.get_by_role("button", name="Add line").click()
    line2 = page.get_by_role("group", name="Line 2")
    line2.get_by_label("Description, line 2").fill("Air filter 16x25x1")
    line2.get_by_label("Quantity, line 2").fill("2")
    line2.get_by_label("Unit price, line 2").fill("18.50")
    page.get_by_label("Tax").fill("11.25")
    _finalize(page)
    expect(line1.get_by_text("A unit price above $1,000,000.00 is not accepted. Check the amount.")).to_be_visible()
    with Session(engine) as session:
        assert session.exec(select(Invoice)).first() is None
    line1.get_by_label("Unit price, line 1").fill("189")
    expect(line1.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_role("status", name="Totals")).to_contain_text(re.compile(r"Total\s*\$237\.25"))
    _finalize(page)
    expect(page.get_by_role("heading", name="Invoice #1")).to_be_visible(timeout=SLOW)
    screenshot(page, "own-business-first-invoice-desktop")

    dialog = text_dialog(page)
    expect(dialog.get_by_role("radio", name=re.compile(re.escape(CUSTOMER_MOBILE)))).to_be_checked()
    dialog.get_by_role("button", name="Send").click()
    sent = page.get_by_test_id("timeline-entry").filter(has_text=f"Text to {CUSTOMER_MOBILE}")
    expect(sent.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
    return "1"


def _customer_pays_from_the_text(page: Page, twilio_url: str, number: str) -> None:
    page.goto(f"{twilio_url}/dev-phone")
    conversation = page.get_by_role("region", name=f"Conversation with {CUSTOMER_MOBILE}")
    expect(conversation).to_contain_text(f"Pecan Street Heating & Air: invoice #{number} for $237.25")
    with page.context.expect_page() as opened:
        conversation.locator("a[href*='/pay/']").last.click()
    customer = opened.value
    expect(customer.get_by_role("heading", name=f"Invoice #{number}")).to_be_visible()
    expect(customer.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _fill_card(customer, "4242 4242 4242 4242")
    customer.get_by_role("button", name="Pay $237.25").click()
    expect(customer.get_by_role("heading", name="Payment received")).to_be_visible(timeout=SLOW)
    screenshot(customer, "own-business-paid-phone")


def _office_schedules_two_jobs_for_today(page: Page) -> None:
    page.get_by_role("link", name="Jobs").click()
    expect(page.get_by_role("heading", name="Jobs", exact=True)).to_be_visible()
    for summary, start, end in (
        ("Annual furnace tune-up", "09:00", "10:00"),
        ("Water heater leaking", "13:00", "15:00"),
    ):
        pick_customer(page, CUSTOMER)
        choose(page, "Technician", TECH[0])
        page.get_by_label("Starts").fill(start)
        page.get_by_label("Ends").fill(end)
        page.get_by_label("Summary").fill(summary)
        page.get_by_role("button", name="Schedule job").click()
        expect(page.get_by_role("region", name="Upcoming jobs")).to_contain_text(summary)


def test_a_business_from_a_clean_install_texts_its_first_invoice_and_gets_paid(browser, own_app):
    with Session(own_app["engine"]) as session:
        assert session.exec(select(Business)).one().name == "Pecan Street Heating & Air"
        assert session.exec(select(Invoice)).first() is None

    admin = _page(browser, own_app)
    office_password, tech_password = _admin_switches_texting_on_and_adds_staff(admin)

    office = _page(browser, own_app)
    _sign_in(office, OFFICE[1], office_password)
    _choose_own_password(office, OFFICE[2])
    _office_adds_the_customer(office, own_app["place"])
    number = _office_invoices_and_texts(office, own_app["engine"])

    _customer_pays_from_the_text(_page(browser, own_app, PHONE), own_app["twilio"], number)
    # The office page, open the whole time, shows the payment.
    expect(office.locator("main").get_by_text("Paid", exact=True).first).to_be_visible(timeout=SLOW)
    expect(office.get_by_test_id("payment-row")).to_contain_text("$237.25")
    expect(office.get_by_text("Paid: links sent earlier now show the paid invoice.")).to_be_visible()
    expect(office.get_by_role("button", name="Revoke links")).to_have_count(0)
    office.mouse.move(0, 0)  # off the "Text queued" toast that appeared under it, as a person's pointer moves on
    _toasts_gone(office)
    screenshot(office, "own-business-paid-office-desktop")
    with Session(own_app["engine"]) as session:
        invoice = session.exec(select(Invoice).where(Invoice.number == number)).one()
        assert (invoice.status, invoice.balance_cents, invoice.total_cents) == ("paid", 0, 23_725)
        assert [p.amount_cents for p in session.exec(select(Payment)).all()] == [23_725]

    _office_schedules_two_jobs_for_today(office)

    tech = _page(browser, own_app, PHONE)
    _sign_in(tech, TECH[1], tech_password)
    _choose_own_password(tech, TECH[2])
    expect(tech.get_by_role("heading", name="Today's jobs")).to_be_visible()
    jobs = tech.get_by_role("link").filter(has_text=CUSTOMER)
    expect(jobs).to_have_count(2)
    assert_fits(tech, "own-business-tech-today-phone")
    tech.get_by_role("link").filter(has_text="Water heater leaking").click()
    expect(tech.get_by_text("This job has no invoice yet.")).to_be_visible()
    tech.get_by_role("button", name="Actions").click()
    tech.get_by_role("menuitem", name="Create invoice").click()
    expect(tech.get_by_role("heading", name="New invoice for this job")).to_be_visible()
    line1 = tech.get_by_role("group", name="Line 1")
    line1.get_by_label("Description, line 1").fill("Water heater drain valve")
    line1.get_by_label("Unit price, line 1").fill("145")
    tech.get_by_role("button", name="Finalize").tap()
    invoice_region = tech.get_by_role("region", name="Invoice")
    expect(invoice_region).to_contain_text("#2", timeout=SLOW)
    expect(invoice_region).to_contain_text("$145.00")
    screenshot(tech, "own-business-tech-invoiced-phone")
    with Session(own_app["engine"]) as session:
        job = session.exec(select(Job).where(Job.summary == "Water heater leaking")).one()
        invoice = session.exec(select(Invoice).where(Invoice.job_id == job.id)).one()
        lines = session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all()
        assert (invoice.number, invoice.status) == ("2", "open")
        assert [(line.description, line.amount_cents) for line in lines] == [("Water heater drain valve", 14_500)]
    for page in (admin, office, tech):
        page.context.close()
