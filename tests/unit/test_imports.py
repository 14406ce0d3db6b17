"""CSV import: the file read and grouped, each row's errors named, good rows imported, a second
import of the same file changing nothing."""

import csv
import io
from datetime import date, timedelta
from types import SimpleNamespace

import pytest
from sqlmodel import col, func, select

from smslinks.core import imports
from smslinks.core.errors import NotAllowed
from smslinks.core.imports import RowError, UnusableFile
from smslinks.core.permissions import Permission, set_permission
from smslinks.models import (
    Business,
    Customer,
    EmailAddress,
    Invoice,
    InvoiceLine,
    Location,
    PhoneNumber,
)
from tests import factories

DUE = (date.today() + timedelta(days=30)).isoformat()
HEADER = list(imports.COLUMN_NAMES)


def row(**cells) -> list[str]:
    return [cells.get(name, "") for name in HEADER]


def csv_bytes(*rows, header=HEADER) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode()


def line(customer="C-1", invoice="INV-1", description="Service call", quantity="1", price="100.00", **cells):
    return row(
        customer_external_id=customer,
        invoice_external_id=invoice,
        line_description=description,
        quantity=quantity,
        unit_price=price,
        **cells,
    )


def maria(**cells):
    values = dict(
        customer_name="Maria Garcia",
        phone="(512) 555-0104",
        phone_type="Mobile",
        email="maria@example.com",
        location_external_id="L-1",
        address_line1="100 Main St",
        city="Austin",
        state="TX",
        postal_code="78701",
        due_on=DUE,
    )
    values.update(cells)
    return line(**values)


@pytest.fixture
def admin(session):
    business = factories.business(session)
    employee = factories.employee(session, business, "Administrator")
    session.commit()
    # A run lets go of every row after each batch: the test keeps plain values.
    return SimpleNamespace(id=employee.id, business_id=business.id)


def run(session, employee, data: bytes, *, write=True) -> imports.Outcome:
    outcomes = list(imports.run(session, employee.id, imports.parse(data), write=write, batch_rows=2))
    assert outcomes[-1].finished
    return outcomes[-1]


def count(session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_the_template_imports_as_it_is(session, admin):
    outcome = run(session, admin, imports.template_csv(date.today()).encode())

    assert outcome.errors == []
    assert (outcome.customers.created, outcome.invoices.created) == (2, 2)
    maria_ = session.exec(select(Customer).where(Customer.external_id == "C-1001")).one()
    numbers = session.exec(
        select(PhoneNumber.e164, PhoneNumber.type)
        .where(PhoneNumber.customer_id == maria_.id)
        .order_by(col(PhoneNumber.id))
    ).all()
    assert numbers == [("+15125550104", "Mobile"), ("+15125550177", "Home")]
    first = session.exec(select(Invoice).where(Invoice.external_id == "INV-5001")).one()
    lines = session.exec(
        select(InvoiceLine.description, InvoiceLine.unit_price_cents)
        .where(InvoiceLine.invoice_id == first.id)
        .order_by(col(InvoiceLine.position))
    ).all()
    assert lines == [("AC tune-up", 12_500), ("Air filter", 1_850)]
    assert (first.status, first.tax_cents, first.total_cents) == ("open", 825, 12_500 + 3_700 + 825)
    second = session.exec(select(Invoice).where(Invoice.external_id == "INV-5002")).one()
    assert (second.kind, second.status, second.customer_id) == ("membership", "draft", maria_.id)
    assert session.exec(select(Customer).where(Customer.external_id == "C-1002")).one().name == "Sam Lee"


def test_importing_the_same_file_again_changes_nothing(session, admin):
    data = imports.template_csv(date.today()).encode()
    run(session, admin, data)
    before = {
        model: count(session, model) for model in (Customer, PhoneNumber, EmailAddress, Location, Invoice, InvoiceLine)
    }
    numbers = session.exec(select(Invoice.number).order_by(col(Invoice.id))).all()

    again = run(session, admin, data)

    assert again.errors == []
    assert (again.customers.unchanged, again.invoices.unchanged) == (2, 2)
    assert (again.customers.created + again.customers.updated, again.invoices.created + again.invoices.updated) == (
        0,
        0,
    )
    assert {model: count(session, model) for model in before} == before
    assert session.exec(select(Invoice.number).order_by(col(Invoice.id))).all() == numbers


def test_a_changed_row_updates_its_record(session, admin):
    run(session, admin, csv_bytes(maria()))
    outcome = run(session, admin, csv_bytes(maria(price="150.00")))
    assert (outcome.customers.unchanged, outcome.invoices.updated) == (1, 1)
    assert session.exec(select(Invoice.total_cents)).one() == 15_000


def test_a_preview_finds_what_the_import_would_and_writes_nothing(session, admin):
    data = csv_bytes(maria(), line(invoice="INV-2", price="12.345", due_on=DUE))
    preview = run(session, admin, data, write=False)

    assert not preview.written
    assert (preview.customers.created, preview.invoices.created, preview.invoices.skipped) == (1, 1, 1)
    assert preview.errors == [
        RowError(3, "unit_price", "Enter the unit price in dollars and cents (at most 2 decimals).")
    ]
    assert count(session, Customer) == count(session, Invoice) == 0

    done = run(session, admin, data)
    assert (done.customers, done.invoices, done.errors) == (preview.customers, preview.invoices, preview.errors)
    assert count(session, Customer) == count(session, Invoice) == 1


def test_an_invoice_with_a_bad_line_is_skipped_whole_and_the_rest_goes_on(session, admin):
    data = csv_bytes(
        maria(invoice="INV-1", description="Labor"),
        line(invoice="INV-1", description="Part", price="ten dollars"),
        line(invoice="INV-2", due_on=DUE),
        row(customer_external_id="C-2", customer_name="Sam Lee", phone="(303) 555-0101"),
    )
    outcome = run(session, admin, data)

    assert outcome.errors == [
        RowError(2, "", "Skipped with invoice INV-1: see row 3."),
        RowError(3, "unit_price", "Enter the unit price as an amount such as 125.00."),
    ]
    assert outcome.rows_with_errors == 2
    assert (outcome.customers.created, outcome.invoices.created, outcome.invoices.skipped) == (2, 1, 1)
    assert session.exec(select(Invoice.external_id)).all() == ["INV-2"]


def test_core_refusals_point_at_the_row_and_column(session, admin):
    data = csv_bytes(
        maria(),
        maria(
            invoice="INV-2",
            customer_name="",
            phone="",
            phone_type="",
            email="",
            address_line1="",
            city="",
            state="",
            postal_code="",
            due_on="2020-01-01",
        ),
        line(customer="C-2", invoice="INV-3", due_on=DUE),
        row(customer_external_id="C-2", customer_name="Sam Lee", phone="555"),
    )
    outcome = run(session, admin, data)

    by_row = {(error.row, error.column): error.message for error in outcome.errors}
    assert by_row[(3, "due_on")].startswith("The due date cannot be before the issue date")
    assert by_row[(5, "phone")] == '"555" is not a valid phone number.'  # core.phones' own words
    assert by_row[(4, "")] == "Skipped with customer C-2: see row 5."
    assert (outcome.customers.created, outcome.customers.skipped) == (1, 1)
    assert (outcome.invoices.created, outcome.invoices.skipped) == (1, 2)


def test_rows_of_a_customer_or_invoice_must_agree(session, admin):
    data = csv_bytes(
        maria(),
        line(customer="C-1", invoice="INV-1", customer_name="Maria Lopez"),
        line(customer="C-2", invoice="INV-1", customer_name="Sam Lee"),
        row(customer_external_id="C-2", location_external_id="L-1", address_line1="5 Elm St", city="Denver"),
        line(customer="C-1", invoice="INV-1", location_external_id="L-1", city="Dallas"),
    )
    errors = imports.parse(data).errors
    assert errors == [
        RowError(3, "customer_name", 'Row 2 gives "Maria Garcia" for this customer. Give the same, or leave it empty.'),
        RowError(
            4,
            "customer_external_id",
            "Row 2 puts this invoice on customer C-1. All of an invoice's lines name its customer.",
        ),
        RowError(
            5, "location_external_id", "Row 2 gives this location to customer C-1. A service location has one customer."
        ),
        RowError(6, "city", 'Row 2 gives "Austin" for this location. Give the same, or leave it empty.'),
    ]


def test_invoices_for_customers_already_there_need_only_the_id(session, admin):
    run(session, admin, csv_bytes(maria()))
    outcome = run(
        session,
        admin,
        csv_bytes(line(invoice="INV-9", due_on=DUE), line(customer="C-1", invoice="INV-9", phone="(512) 555-0188")),
    )
    # The number comes without the customer's name: the customer is saved whole or not at all.
    assert outcome.errors == [
        RowError(2, "", "Skipped with customer C-1: see row 3."),
        RowError(3, "phone", "Give customer_name too: a customer's details are saved with its name."),
    ]
    outcome = run(session, admin, csv_bytes(line(invoice="INV-9", due_on=DUE)))
    assert (outcome.errors, outcome.customers.unchanged, outcome.invoices.created) == ([], 0, 1)
    assert outcome.customers == imports.Counts()


def test_an_unknown_customer_is_named(session, admin):
    outcome = run(session, admin, csv_bytes(line(customer="C-404", due_on=DUE)))
    assert outcome.errors == [
        RowError(2, "customer_external_id", "No customer has this external id. Send the customer first.")
    ]


def test_lines_need_an_invoice_and_rows_a_customer(session, admin):
    errors = imports.parse(
        csv_bytes(line(invoice=""), line(customer=""), row(customer_external_id="C-1", extra="x") + ["one too many"])
    ).errors
    assert errors == [
        RowError(2, "invoice_external_id", "Give invoice_external_id for this invoice line."),
        RowError(3, "customer_external_id", "Give the external id."),
        RowError(4, "", f"This row has {len(HEADER) + 1} cells; the header names {len(HEADER)} columns."),
    ]


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "The file is empty."),
        (b"customer_external_id,name\nC-1,x\n", "Unknown column: 'name'."),
        (b"customer_name\nMaria\n", "The header has no customer_external_id column."),
        (b"customer_external_id,phone,Phone\n", "The column phone appears twice"),
        (b"customer_external_id\n\n,\n", "The file has no rows under its header."),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x81\x8d\x8f\x90\x9d", "This"),
    ],
)
def test_files_that_are_no_import_are_refused_whole(data, message):
    with pytest.raises(UnusableFile, match="^" + message.replace("(", r"\(").replace(")", r"\)")):
        imports.parse(data)


def test_headers_as_people_type_them_and_windows_files(session, admin):
    data = "Customer External ID,Customer Name\r\nC-1,José Núñez\r\n".encode("cp1252")
    parsed = imports.parse(data)
    assert parsed.errors == [] and parsed.customers["C-1"].name == "José Núñez"
    assert (
        imports.parse(b"\xef\xbb\xbf" + "customer_external_id,customer_name\nC-1,Zoë\n".encode()).customers["C-1"].name
        == "Zoë"
    )


def test_importing_takes_both_permissions(session, admin):
    clerk = factories.employee(session, session.get(Business, admin.business_id), "Office employee")
    set_permission(session, clerk, Permission.EDIT_INVOICES, False)
    session.commit()
    clerk = SimpleNamespace(id=clerk.id)
    with pytest.raises(NotAllowed):
        run(session, clerk, csv_bytes(maria()))
    assert count(session, Customer) == 0


def test_the_errors_file_lists_each_error_safely():
    text = imports.errors_csv([RowError(3, "customer_name", "=bad")])
    assert list(csv.reader(io.StringIO(text))) == [["row", "column", "error"], ["3", "customer_name", "'=bad"]]


def test_every_bad_row_of_a_big_file_is_named(session, admin):
    """A file that is wrong throughout is reported row by row (and writes nothing)."""
    rows = []
    for n in range(3_000):
        rows.append(row(customer_external_id=f"C-{n}", customer_name=f"Customer {n}", phone_type="Mobile"))
        rows.append(line(customer=f"C-{n}", invoice=f"INV-{n}", due_on=DUE))
    *_, outcome = imports.run(session, admin.id, imports.parse(csv_bytes(*rows)), write=True)
    assert (outcome.rows, outcome.rows_with_errors, len(outcome.errors)) == (6_000, 6_000, 6_000)
    assert outcome.errors[:2] == [
        RowError(2, "phone_type", "Give the phone number this type is for."),
        RowError(3, "", "Skipped with customer C-0: see row 2."),
    ]
    assert (outcome.customers.skipped, outcome.invoices.skipped) == (3_000, 3_000)
    assert count(session, Customer) == 0
