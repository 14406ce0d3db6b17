"""Settings > Data > Export and Import, as an accountant and an administrator use them."""

import csv
import re
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from sqlmodel import col, delete, select

from smslinks import demo
from smslinks.core import audit, imports
from smslinks.core.exports import PAYMENT_COLUMNS
from smslinks.models import (
    AuditEvent,
    Business,
    Customer,
    EmailAddress,
    Invoice,
    InvoiceLine,
    Location,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PhoneNumber,
    utcnow,
)
from tests.e2e.conftest import DESKTOP, SCREENSHOTS, assert_fits, sign_in

pytestmark = pytest.mark.e2e

INTENT = "pi_e2e_export_0001"
IMPORTED = "Aaliyah Importwell"


@pytest.fixture
def settled_bank_payment(live_app):
    """An ACH payment on a demo invoice that settled a few seconds after it started, today."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        invoice = session.exec(
            select(Invoice)
            .where(Invoice.business_id == business.id, Invoice.status == "open")
            .order_by(col(Invoice.id))
        ).first()
        customer = session.get(Customer, invoice.customer_id)
        started = utcnow() - timedelta(seconds=30)
        payment = Payment(
            invoice_id=invoice.id,
            amount_cents=4_321,
            method=PaymentMethod.ACH,
            status=PaymentStatus.SUCCEEDED,
            stripe_payment_intent_id=INTENT,
            method_detail="STRIPE TEST BANK •••• 6789",
            created_at=started,
            updated_at=started,
        )
        session.add(payment)
        session.flush()
        audit.record(session, "payment.succeeded", "payment", payment.id, business_id=business.id).at = (
            started + timedelta(seconds=5)
        )
        session.commit()
        expected = (invoice.number, customer.name, business.time_zone, started)
    yield expected
    with live_app.session() as session:
        session.exec(
            delete(AuditEvent).where(AuditEvent.subject_type == "payment", AuditEvent.subject_id == str(payment.id))
        )
        session.exec(delete(Payment).where(Payment.id == payment.id))
        session.commit()


def _open_settings_section(page: Page, label: str) -> None:
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Settings").click()
    page.get_by_role("navigation", name="Settings sections").get_by_role("link", name=label).click()
    expect(page.get_by_role("heading", name=label, exact=True)).to_be_visible()


def test_an_accountant_downloads_the_payments_of_this_month(live_app, desktop, settled_bank_payment):
    number, customer, zone, started = settled_bank_payment
    sign_in(desktop, "accountant@example.com")
    _open_settings_section(desktop, "Export")
    assert_fits(desktop, "settings-export-desktop")

    with desktop.expect_download() as download:
        desktop.get_by_role("button", name="Download payments CSV").click()
    assert re.fullmatch(r"payments-\d{4}-\d{2}-01-to-\d{4}-\d{2}-\d{2}\.csv", download.value.suggested_filename)
    with open(download.value.path(), encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert rows[0] == list(PAYMENT_COLUMNS)
    ours = [row for row in rows if row[-1] == INTENT]
    from zoneinfo import ZoneInfo

    local = started.astimezone(ZoneInfo(zone))
    assert ours == [
        [
            number,
            customer,
            "ACH",
            "STRIPE TEST BANK •••• 6789",
            "43.21",
            "",
            "",
            "",
            "",
            "",
            "Succeeded",
            local.isoformat(timespec="seconds"),
            (local + timedelta(seconds=5)).isoformat(timespec="seconds"),
            "",
            "",
            INTENT,
        ]
    ]
    expect(desktop.get_by_text(re.compile(r"payments-.*\.csv: \d+ rows"))).to_be_visible()


def test_a_range_that_ends_before_it_starts_is_named_beside_the_field(live_app, desktop):
    sign_in(desktop, "accountant@example.com")
    desktop.goto("/settings/data/export")
    desktop.get_by_label("From").fill("2026-12-10")
    desktop.get_by_label("To (included)").fill("2026-12-01")
    desktop.get_by_role("button", name="Download messages CSV").click()
    expect(desktop.get_by_text("To: the last day comes before the first.")).to_be_visible()


def test_export_fits_a_phone(live_app, phone):
    sign_in(phone, "bookkeeper@example.com")
    phone.goto("/settings/data/export")
    expect(phone.get_by_role("button", name="Download payments CSV")).to_be_visible()
    assert_fits(phone, "settings-export-phone")


def _import_file(path) -> str:
    due = (date.today() + timedelta(days=30)).isoformat()
    good = dict(
        customer_external_id="E2E-C-1",
        customer_name=IMPORTED,
        phone="(512) 555-0161",
        phone_type="Mobile",
        email="aaliyah@example.net",
        location_external_id="E2E-L-1",
        address_line1="77 Congress Ave",
        city="Austin",
        state="TX",
        postal_code="78701",
        invoice_external_id="E2E-I-1",
        due_on=due,
        line_description="Water heater flush",
        quantity="1",
        unit_price="149.00",
    )
    bad = dict(
        customer_external_id="E2E-C-2",
        customer_name="Bea Badrow",
        phone="(512) 555-01",
        location_external_id="E2E-L-2",
        address_line1="1 Elm St",
        city="Austin",
        state="TX",
        postal_code="78702",
    )
    good_line = dict(
        customer_external_id="E2E-C-1",
        invoice_external_id="E2E-I-1",
        line_description="Anode rod",
        quantity="1",
        unit_price="38.50",
    )
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(imports.COLUMN_NAMES)
        for cells in (good, bad, good_line):
            writer.writerow([cells.get(name, "") for name in imports.COLUMN_NAMES])
    return str(path)


@pytest.fixture
def imported_records_removed(live_app):
    """The demo database is shared: what the import adds goes again afterwards."""
    yield
    with live_app.session() as session:
        customers = session.exec(select(Customer.id).where(col(Customer.external_id).like("E2E-%"))).all()
        invoices = session.exec(select(Invoice.id).where(col(Invoice.customer_id).in_(customers))).all()
        session.exec(delete(InvoiceLine).where(col(InvoiceLine.invoice_id).in_(invoices)))
        session.exec(delete(Invoice).where(col(Invoice.id).in_(invoices)))
        session.exec(delete(PhoneNumber).where(col(PhoneNumber.customer_id).in_(customers)))
        session.exec(delete(EmailAddress).where(col(EmailAddress.customer_id).in_(customers)))
        session.exec(delete(Location).where(col(Location.customer_id).in_(customers)))
        session.exec(delete(Customer).where(col(Customer.id).in_(customers)))
        session.commit()


def test_an_admin_previews_an_import_with_a_bad_row_then_imports_the_good_ones(
    live_app, browser, base_url, tmp_path, imported_records_removed
):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, accept_downloads=True)
    page = context.new_page()
    sign_in(page, "admin@example.com")
    _open_settings_section(page, "Import")
    expect(page.get_by_role("button", name="Download the template")).to_be_visible()
    assert_fits(page, "settings-import-desktop")

    page.locator("input[type=file]").set_input_files(_import_file(tmp_path / "customers.csv"))
    expect(page.get_by_role("heading", name="Preview of customers.csv")).to_be_visible()
    expect(page.get_by_text("3 rows: 2 ready, 1 with errors.", exact=False)).to_be_visible()
    errors = page.get_by_test_id("import-errors")
    expect(errors.get_by_role("row")).to_have_count(2)  # the header and the bad row
    bad_row = errors.get_by_role("row").nth(1)
    expect(bad_row.get_by_role("cell").nth(0)).to_have_text("3")
    expect(bad_row.get_by_role("cell").nth(1)).to_have_text("phone")
    expect(bad_row.get_by_role("cell").nth(2)).to_contain_text("not a valid phone number")
    with live_app.session() as session:  # a preview writes nothing
        assert session.exec(select(Customer).where(Customer.external_id == "E2E-C-1")).first() is None
    assert_fits(page, "settings-import-preview-desktop")

    page.get_by_role("button", name="Import 2 rows").click()
    expect(page.get_by_role("heading", name="Imported customers.csv")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("status")).to_contain_text("2 of 3 rows imported; 1 with errors skipped.")
    for kind, numbers in (("customers", ("1", "0", "0", "1")), ("invoices", ("1", "0", "0", "0"))):
        for key, number in zip(("created", "updated", "unchanged", "skipped"), numbers, strict=True):
            expect(page.get_by_test_id(f"count-{kind}-{key}")).to_have_text(number)
    assert_fits(page, "settings-import-done-desktop")

    page.get_by_role("link", name="Open Customers").click()
    page.get_by_label("Search customers").fill("Importwell")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("row", name=re.compile(IMPORTED))).to_be_visible()
    expect(page.get_by_text("Bea Badrow")).to_have_count(0)
    context.close()


def _bigger_file(path, customers: int = 40, lines: int = 3) -> str:
    """Two batches' worth of rows: long enough to watch the progress bar."""
    due = (date.today() + timedelta(days=30)).isoformat()
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(imports.COLUMN_NAMES)
        for n in range(customers):
            for line in range(lines):
                cells = dict(
                    customer_external_id=f"E2E-B-{n}",
                    invoice_external_id=f"E2E-BI-{n}",
                    line_description=f"Line {line + 1}",
                    quantity="1",
                    unit_price="10.00",
                )
                if line == 0:
                    cells.update(
                        customer_name=f"Bulk Customer {n}",
                        phone=f"(512) 555-{n:04d}",
                        phone_type="Home",
                        location_external_id=f"E2E-BL-{n}",
                        address_line1=f"{n} Bulk St",
                        city="Austin",
                        state="TX",
                        postal_code="78701",
                        due_on=due,
                    )
                writer.writerow([cells.get(name, "") for name in imports.COLUMN_NAMES])
    return str(path)


def test_import_fits_a_phone(live_app, phone, tmp_path):
    sign_in(phone, "admin@example.com")
    phone.goto("/settings/data/import")
    expect(phone.get_by_role("button", name="Download the template")).to_be_visible()
    assert_fits(phone, "settings-import-phone")
    phone.locator("input[type=file]").set_input_files(_bigger_file(tmp_path / "bulk.csv"))
    try:  # the progress bar, pictured to look at when the check takes long enough to catch it
        phone.get_by_role("heading", name="Checking bulk.csv").wait_for(timeout=5_000)
        phone.screenshot(path=str(SCREENSHOTS / "settings-import-checking-phone.png"))
    except PlaywrightTimeoutError:
        pass  # checked before we looked: what follows still checks the outcome
    expect(phone.get_by_text("120 rows, all ready.", exact=False)).to_be_visible(timeout=60_000)
    phone.get_by_role("button", name="Choose another file").click()
    phone.locator("input[type=file]").set_input_files(_import_file(tmp_path / "customers.csv"))
    expect(phone.get_by_role("heading", name="Preview of customers.csv")).to_be_visible()
    assert_fits(phone, "settings-import-preview-phone")
    phone.get_by_role("button", name="Choose another file").click()
    expect(phone.get_by_text("Drop a CSV file here")).to_be_visible()
    with live_app.session() as session:  # previews wrote nothing
        assert session.exec(select(Customer).where(col(Customer.external_id).like("E2E-%"))).first() is None


def test_an_unusable_file_is_named_and_nothing_else_happens(live_app, desktop, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("name,number\nMaria,5125550104\n")
    sign_in(desktop, "admin@example.com")
    desktop.goto("/settings/data/import")
    desktop.locator("input[type=file]").set_input_files(str(path))
    expect(desktop.get_by_role("alert")).to_contain_text("contacts.csv: Unknown columns: 'name', 'number'.")
