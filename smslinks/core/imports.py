"""CSV import of customers and invoices, for Settings > Data > Import and `smslinks import`.

The file has one row per invoice line (COLUMNS says what each column holds). Rows are grouped:

- Rows with the same customer_external_id are one customer. Its name and each service location's
  address are given on the first row that names them; later rows repeat them (they must agree) or
  leave them empty. Every phone and email on the customer's rows is one of the customer's. The file
  gives the customer whole, as the REST API's PUT does: numbers, emails and service locations with
  an external id that the file no longer lists are removed (places added in the office stay). A
  customer whose rows have no customer_name is not changed: it must exist already.
- Rows with the same invoice_external_id are the lines of one invoice, in file order; kind,
  status, due_on and tax likewise, and all its rows name the same customer (and location).
- A row without invoice_external_id describes only its customer.

What a row's error stops: an error in a customer's cells skips that customer and its invoices; an
error in an invoice's cells skips that invoice whole (never half an invoice); other rows go on.

Every record goes through core.external_records (the REST API's door, with the office's rules), in
batches of rows, each batch in its own transaction and each record in a savepoint. A preview is the
same run with every batch rolled back: it finds exactly the errors the import would, and writes
nothing. External ids make a second import of the same file change nothing.
"""

import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session, col, select

from smslinks.core import accounts, audit, external_records
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.exports import write_csv
from smslinks.core.external_records import ExternalCustomer, ExternalInvoice
from smslinks.core.invoice_editing import parse_money
from smslinks.core.permissions import IMPORT_PERMISSIONS, require_permission
from smslinks.models import Business, Employee, Role


@dataclass(frozen=True)
class Column:
    name: str
    meaning: str
    example: str


CUSTOMER_COLUMNS = (
    Column(
        "customer_external_id",
        "Required. Your system's id for the customer; rows with the same id are one customer.",
        "C-1001",
    ),
    Column(
        "customer_name",
        "The customer's name. Leave it empty on every row of a customer to leave an existing customer as it is.",
        "Maria Garcia",
    ),
    Column("phone", "A phone number; a customer's rows may give several.", "(512) 555-0104"),
    Column("phone_type", "Mobile (can receive texts), Home, Work or Other. Empty: Mobile.", "Mobile"),
    Column("email", "An email address; a customer's rows may give several.", "maria@example.com"),
    Column(
        "location_external_id",
        "Your id for the service location: the address below, and where the invoice's work was.",
        "L-1001-1",
    ),
    Column("address_line1", "Street address of the service location.", "100 Main St"),
    Column("city", "City.", "Austin"),
    Column("state", "State or province, e.g. TX.", "TX"),
    Column("postal_code", "ZIP or postal code (it gives the location's time zone).", "78701"),
)
INVOICE_COLUMNS = (
    Column(
        "invoice_external_id",
        "Your id for the invoice; rows with the same id are its lines. Empty: the row is only the customer.",
        "INV-5001",
    ),
    Column("kind", "job, membership or statement. Empty: job.", "job"),
    Column("status", "open (finalized: it gets the next invoice number) or draft. Empty: open.", "open"),
    Column("due_on", "Due date, YYYY-MM-DD. Empty: 30 days from today.", "2027-01-15"),
    Column("line_description", "What the line is for.", "AC tune-up"),
    Column("quantity", "A number, up to 2 decimals.", "1"),
    Column("unit_price", "Dollars and cents, e.g. 125.00.", "125.00"),
    Column("tax", "The invoice's tax in dollars, on one of its rows (or the same on each). Empty: 0.", "8.25"),
)
COLUMNS = CUSTOMER_COLUMNS + INVOICE_COLUMNS
# How rows become customers and invoices, as the import page and the template explain it.
GROUPING_RULES = (
    "One row per invoice line. Row 1 names the columns; error messages count rows the same way.",
    (
        "Rows with the same customer_external_id are one customer. Give its name and each location's address "
        "on its first row; later rows may repeat them (the same) or leave them empty."
    ),
    (
        "Every phone and email on a customer's rows is one of its numbers and emails. The file gives the customer "
        "whole: numbers, emails and imported locations it no longer lists are removed."
    ),
    (
        "Rows with the same invoice_external_id are the lines of one invoice, in file order; its kind, status, "
        "due_on and tax go on any of its rows."
    ),
    (
        "A row without invoice_external_id is only its customer. A customer whose rows have no customer_name "
        "is left as it is (it must exist already)."
    ),
    (
        "A row with an error skips its invoice whole (or, in a customer's cells, the customer and its invoices); "
        "all other rows are imported. Importing the same file again changes nothing."
    ),
)
COLUMN_NAMES = tuple(column.name for column in COLUMNS)
REQUIRED_COLUMNS = ("customer_external_id",)
_ADDRESS = ("address_line1", "city", "state", "postal_code")
_INVOICE_FIELDS = ("kind", "status", "due_on", "tax")
_LINE = ("line_description", "quantity", "unit_price")
# Rows per transaction while importing. Small on purpose: a batch that finalizes an invoice holds the
# business's invoice-number counter (and on SQLite the whole database) until it commits, and the office
# may be finalizing invoices meanwhile.
BATCH_ROWS = 100
DEFAULT_KIND = "job"
DEFAULT_STATUS = "open"

# The template: two customers, one with two invoices (the first of two lines), one without any.
# {due} and {later} become dates 30 and 60 days ahead, so the template imports as it is.
TEMPLATE_ROWS = (
    (
        "C-1001",
        "Maria Garcia",
        "(512) 555-0104",
        "Mobile",
        "maria@example.com",
        "L-1001-1",
        "100 Main St",
        "Austin",
        "TX",
        "78701",
        "INV-5001",
        "job",
        "open",
        "{due}",
        "AC tune-up",
        "1",
        "125.00",
        "8.25",
    ),
    (
        "C-1001",
        "",
        "(512) 555-0177",
        "Home",
        "",
        "",
        "",
        "",
        "",
        "",
        "INV-5001",
        "",
        "",
        "",
        "Air filter",
        "2",
        "18.50",
        "",
    ),
    (
        "C-1001",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "INV-5002",
        "membership",
        "draft",
        "{later}",
        "Maintenance plan, 1 year",
        "1",
        "199.00",
        "",
    ),
    (
        "C-1002",
        "Sam Lee",
        "(303) 555-0101",
        "Mobile",
        "",
        "L-1002-1",
        "5 Elm St",
        "Denver",
        "CO",
        "80202",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
        "",
    ),
)


class UnusableFile(DomainError):
    """The file as a whole cannot be read as an import (not CSV, no header, unknown columns)."""


@dataclass(frozen=True, order=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str  # "" for the row as a whole
    message: str


# ---------------------------------------------------------------- parsing (no database)


@dataclass(slots=True)
class _Location:
    external_id: str
    row: int  # the row that gave its address (or first named it)
    address: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class _Customer:
    external_id: str
    rows: list[int] = field(default_factory=list)
    first: dict[str, tuple[str, int]] = field(default_factory=dict)  # customer_name -> (value, row)
    phones: list[tuple[str, str, int]] = field(default_factory=list)  # number, type, row
    emails: list[tuple[str, int]] = field(default_factory=list)
    locations: dict[str, _Location] = field(default_factory=dict)
    invoices: list[str] = field(default_factory=list)
    broken: bool = False

    @property
    def name(self) -> str:
        return self.first.get("customer_name", ("", 0))[0]


@dataclass(slots=True)
class _Invoice:
    external_id: str
    customer_external_id: str
    rows: list[int] = field(default_factory=list)
    first: dict[str, tuple[str, int]] = field(default_factory=dict)  # kind, status, due_on, tax, location
    tax_cents: int = 0
    lines: list[tuple[str, str, int, int]] = field(default_factory=list)  # description, quantity, cents, row
    broken: bool = False


@dataclass
class ParsedFile:
    rows: int = 0  # data rows, blank ones left out
    customers: dict[str, _Customer] = field(default_factory=dict)
    invoices: dict[str, _Invoice] = field(default_factory=dict)
    errors: list[RowError] = field(default_factory=list)
    # Where each location external id was first given, to keep one place to one customer.
    location_owner: dict[str, tuple[str, int]] = field(default_factory=dict)


def _text(data: bytes) -> str:
    """UTF-8 (with or without the BOM spreadsheets add); else Windows-1252, which is what Excel's
    plain "CSV" saves on Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        try:
            return data.decode("cp1252")
        except UnicodeDecodeError:
            raise UnusableFile("This file is not text. Save it from your spreadsheet as CSV (UTF-8).") from None


def _column_key(name: str) -> str:
    return re.sub(r"[\s\-]+", "_", name.strip().lower())


def _header(cells: list[str]) -> list[str]:
    names = [_column_key(cell) for cell in cells]
    unknown = [cell for cell, name in zip(cells, names, strict=True) if name and name not in COLUMN_NAMES]
    if unknown:
        raise UnusableFile(
            f"Unknown column{'s' if len(unknown) > 1 else ''}: {', '.join(repr(u) for u in unknown[:5])}. "
            f"The columns are: {', '.join(COLUMN_NAMES)}. Download the template to start from."
        )
    repeated = sorted({name for name in names if name and names.count(name) > 1})
    if repeated:
        raise UnusableFile(f"The column {repeated[0]} appears twice in the header.")
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    if missing:
        raise UnusableFile(
            f"The header has no {missing[0]} column. The first row must name the columns: {', '.join(COLUMN_NAMES)}."
        )
    return names


def parse(data: bytes) -> ParsedFile:
    """Read and group the rows; errors in cells and in how rows fit together become RowErrors.
    UnusableFile when the file as a whole cannot be an import."""
    reader = csv.reader(io.StringIO(_text(data), newline=""))
    parsed = ParsedFile()
    try:
        header = next(reader, None)
        if header is None or not any(cell.strip() for cell in header):
            raise UnusableFile("The file is empty. The first row must name the columns.")
        names = _header(header)
        for row_number, cells in enumerate(reader, start=2):
            _row(parsed, names, row_number, cells)
    except csv.Error as error:
        raise UnusableFile(f"This is not a CSV file we can read (row {reader.line_num}: {error}).") from None
    if parsed.rows == 0:
        raise UnusableFile("The file has no rows under its header.")
    _details_need_a_name(parsed)
    return parsed


def _fail(parsed: ParsedFile, row: int, column: str, message: str, *groups) -> None:
    parsed.errors.append(RowError(row, column, message))
    for group in groups:
        if group is not None:
            group.broken = True


def _agree(parsed: ParsedFile, group, column: str, value: str, row: int, what: str) -> bool:
    """Keep the first value given for a column of a customer, location or invoice; a later row may
    repeat it or leave it empty."""
    if not value:
        return True
    if column not in group.first:
        group.first[column] = (value, row)
        return True
    first, first_row = group.first[column]
    if first == value:
        return True
    _fail(
        parsed,
        row,
        column,
        f'Row {first_row} gives "{first}" for this {what}. Give the same, or leave it empty.',
        group,
    )
    return False


def _row(parsed: ParsedFile, names: list[str], row: int, cells: list[str]) -> None:
    if not any(cell.strip() for cell in cells):
        return  # spreadsheets leave blank rows at the end
    parsed.rows += 1
    values = {name: " ".join(cell.split()) for name, cell in zip(names, cells, strict=False) if name}

    def get(column: str) -> str:
        return values.get(column, "")

    customer_id = get("customer_external_id")
    if error := external_records.external_id_error(customer_id):
        _fail(parsed, row, "customer_external_id", error)
        return
    customer = parsed.customers.get(customer_id)
    if customer is None:
        customer = parsed.customers[customer_id] = _Customer(customer_id)
    customer.rows.append(row)
    invoice = _invoice_of_row(parsed, customer, row, get("invoice_external_id"), values)
    if len(cells) > len(names):
        _fail(
            parsed,
            row,
            "",
            f"This row has {len(cells)} cells; the header names {len(names)} columns.",
            customer,
            invoice,
        )
        return
    _agree(parsed, customer, "customer_name", get("customer_name"), row, "customer")
    _customer_phone(parsed, customer, row, get("phone"), get("phone_type"))
    email = get("email").lower()
    if email and email not in (known for known, _ in customer.emails):
        customer.emails.append((email, row))
    _customer_location(parsed, customer, row, get("location_external_id"), values)
    if invoice is not None:
        _invoice_cells(parsed, invoice, row, values)


def _customer_phone(parsed: ParsedFile, customer: _Customer, row: int, number: str, kind: str) -> None:
    if not number:
        if kind:
            _fail(parsed, row, "phone_type", "Give the phone number this type is for.", customer)
        return
    digits = re.sub(r"\D", "", number)
    for known, known_kind, known_row in customer.phones:
        if re.sub(r"\D", "", known) == digits:
            if kind and known_kind and kind.lower() != known_kind.lower():
                _fail(parsed, row, "phone_type", f"Row {known_row} gives this number as {known_kind}.", customer)
            return
    customer.phones.append((number, kind, row))


def _customer_location(parsed: ParsedFile, customer: _Customer, row: int, location_id: str, values: dict) -> None:
    address = {part: values.get(part, "") for part in _ADDRESS}
    if not location_id:
        if any(address.values()):
            _fail(parsed, row, "location_external_id", "Give location_external_id for this address.", customer)
        return
    if error := external_records.external_id_error(location_id):
        _fail(parsed, row, "location_external_id", error, customer)
        return
    owner, owner_row = parsed.location_owner.setdefault(location_id, (customer.external_id, row))
    if owner != customer.external_id:
        _fail(
            parsed,
            row,
            "location_external_id",
            f"Row {owner_row} gives this location to customer {owner}. A service location has one customer.",
            customer,
        )
        return
    location = customer.locations.get(location_id)
    if location is None:
        location = customer.locations[location_id] = _Location(location_id, row)
    for part, value in address.items():
        if not value:
            continue
        if part not in location.address:
            location.address[part] = value
            if len(location.address) == 1:
                location.row = row
        elif location.address[part] != value:
            _fail(
                parsed,
                row,
                part,
                f'Row {location.row} gives "{location.address[part]}" for this location. Give the same, or leave it empty.',
                customer,
            )


def _invoice_of_row(
    parsed: ParsedFile, customer: _Customer, row: int, invoice_id: str, values: dict
) -> _Invoice | None:
    if not invoice_id:
        given = [column for column in _LINE + _INVOICE_FIELDS if values.get(column)]
        if given:
            _fail(parsed, row, "invoice_external_id", "Give invoice_external_id for this invoice line.")
        return None
    if error := external_records.external_id_error(invoice_id):
        _fail(parsed, row, "invoice_external_id", error)
        return None
    invoice = parsed.invoices.get(invoice_id)
    if invoice is None:
        invoice = parsed.invoices[invoice_id] = _Invoice(invoice_id, customer.external_id)
        customer.invoices.append(invoice_id)
    elif invoice.customer_external_id != customer.external_id:
        _fail(
            parsed,
            row,
            "customer_external_id",
            f"Row {invoice.rows[0]} puts this invoice on customer {invoice.customer_external_id}. "
            "All of an invoice's lines name its customer.",
            invoice,
        )
        return None
    invoice.rows.append(row)
    return invoice


def _invoice_cells(parsed: ParsedFile, invoice: _Invoice, row: int, values: dict) -> None:
    for column in ("kind", "status", "due_on"):
        _agree(
            parsed,
            invoice,
            column,
            values.get(column, "").lower() if column != "due_on" else values.get(column, ""),
            row,
            "invoice",
        )
    _agree(parsed, invoice, "location_external_id", values.get("location_external_id", ""), row, "invoice")
    if tax := values.get("tax", ""):
        errors: dict[str, str] = {}
        cents = parse_money(tax, "tax", errors, label="tax")
        if cents is None:
            _fail(parsed, row, "tax", errors["tax"], invoice)
        elif _agree(parsed, invoice, "tax", str(cents), row, "invoice"):
            invoice.tax_cents = cents
    errors = {}
    cents = parse_money(values.get("unit_price", ""), "unit_price", errors, label="unit price")
    if cents is None:
        _fail(parsed, row, "unit_price", errors["unit_price"], invoice)
        return
    invoice.lines.append((values.get("line_description", ""), values.get("quantity", "") or "1", cents, row))


def _details_need_a_name(parsed: ParsedFile) -> None:
    """A customer is saved whole: numbers, emails and addresses come with its name."""
    for customer in parsed.customers.values():
        if customer.name:
            continue
        given = (
            [(row, "phone") for _, _, row in customer.phones]
            + [(row, "email") for _, row in customer.emails]
            + [(location.row, "address_line1") for location in customer.locations.values() if location.address]
        )
        for row, column in sorted(set(given)):
            _fail(
                parsed, row, column, "Give customer_name too: a customer's details are saved with its name.", customer
            )


# ---------------------------------------------------------------- importing (or previewing)


def importer(session: Session, business: Business, email: str | None = None) -> Employee:
    """Who a command-line import acts as: the employee named, else the business's first active
    administrator. Their permissions apply and the audit trail names them."""
    if email is not None:
        employee = accounts.employee_by_email(session, email)
        if employee.business_id != business.id:
            raise NotFound(f"No employee with the email {email}.")
    else:
        first_admin = session.exec(
            select(Employee)
            .where(Employee.business_id == business.id, Employee.role == Role.ADMINISTRATOR.value, Employee.active)
            .order_by(col(Employee.id))
        ).first()
        if first_admin is None:
            raise DomainError("The business has no active administrator to import as; name one with --as EMAIL.")
        employee = first_admin
    for permission in IMPORT_PERMISSIONS:
        require_permission(session, employee, permission)
    return employee


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0

    def add(self, result: external_records.UpsertResult) -> None:
        if result.created:
            self.created += 1
        elif result.changed:
            self.updated += 1
        else:
            self.unchanged += 1


@dataclass
class Outcome:
    """How far a run got and what it found; a preview's counts say what the import would do."""

    rows: int
    written: bool
    rows_done: int = 0
    customers: Counts = field(default_factory=Counts)
    invoices: Counts = field(default_factory=Counts)
    errors: list[RowError] = field(default_factory=list)
    error_rows: set[int] = field(default_factory=set)

    def add_errors(self, errors: Iterable[RowError]) -> None:
        for error in errors:
            self.errors.append(error)
            self.error_rows.add(error.row)

    @property
    def rows_with_errors(self) -> int:
        return len(self.error_rows)

    @property
    def finished(self) -> bool:
        return self.rows_done >= self.rows


def _units(parsed: ParsedFile, batch_rows: int) -> Iterator[list[_Customer]]:
    """Customers (each with its invoices) in file order, in batches of about batch_rows rows."""
    batch: list[_Customer] = []
    size = 0
    for customer in parsed.customers.values():
        batch.append(customer)
        size += len(customer.rows)
        if size >= batch_rows:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def run(
    session: Session, employee_id: int, parsed: ParsedFile, *, write: bool, batch_rows: int = BATCH_ROWS
) -> Iterator[Outcome]:
    """Import the parsed file (write=True) or preview it (write=False: each batch rolled back).
    Yields the outcome so far after each batch; the last one is the whole story. Rows that fail a
    parse check are in its errors from the start. Each batch checks the permissions again."""
    outcome = Outcome(rows=parsed.rows, written=write)
    outcome.add_errors(parsed.errors)
    outcome.rows_done = parsed.rows - sum(len(customer.rows) for customer in parsed.customers.values())
    for batch in _units(parsed, batch_rows):
        _begin(session)
        employee = session.get_one(Employee, employee_id)
        for permission in IMPORT_PERMISSIONS:
            require_permission(session, employee, permission)
        # Held for the batch: core asks for the business by id for every record, and the session's
        # identity map keeps (and answers without a query) only what someone holds on to.
        business = session.get_one(Business, employee.business_id)
        for customer in batch:
            _import_customer(session, employee, parsed, customer, outcome)
            outcome.rows_done += len(customer.rows)
        del business
        if write:
            session.commit()
        else:
            session.rollback()
        session.expunge_all()  # a long import keeps no more than a batch in memory
        yield outcome
    if write:
        _audit(session, employee_id, outcome)
    outcome.errors.sort()
    yield outcome


def _begin(session: Session) -> None:
    """Open the batch's transaction now. Python's SQLite driver begins one only at the first write,
    and a savepoint taken before that would commit when released."""
    connection = session.connection()
    driver = connection.connection.dbapi_connection  # None only once the connection is closed
    if connection.dialect.name == "sqlite" and driver is not None and not driver.in_transaction:
        connection.exec_driver_sql("BEGIN")


def _audit(session: Session, employee_id: int, outcome: Outcome) -> None:
    employee = session.get_one(Employee, employee_id)
    audit.record(
        session,
        "import.csv",
        "business",
        employee.business_id,
        business_id=employee.business_id,
        employee=employee,
        rows=outcome.rows,
        rows_with_errors=outcome.rows_with_errors,
        customers=vars(outcome.customers),
        invoices=vars(outcome.invoices),
    )
    session.commit()


def _skip_rows(outcome: Outcome, rows: list[int], why: str) -> None:
    """Rows of a skipped customer or invoice that have no error of their own say why they were skipped."""
    outcome.add_errors([RowError(row, "", why) for row in dict.fromkeys(rows) if row not in outcome.error_rows])


def _first_error_row(outcome: Outcome, rows: list[int]) -> int:
    return min((row for row in rows if row in outcome.error_rows), default=rows[0])


def _import_customer(
    session: Session, employee: Employee, parsed: ParsedFile, customer: _Customer, outcome: Outcome
) -> None:
    invoices = [parsed.invoices[invoice_id] for invoice_id in customer.invoices]
    if not customer.broken and customer.name:
        try:
            with session.begin_nested():
                outcome.customers.add(
                    external_records.upsert_customer(
                        session, employee, customer.external_id, _external_customer(customer)
                    )
                )
        except NotAllowed:
            raise
        except FieldErrors as refused:
            outcome.add_errors(_customer_errors(customer, refused.fields))
            customer.broken = True
        except DomainError as refused:
            outcome.add_errors([RowError(customer.rows[0], "", refused.message)])
            customer.broken = True
    if customer.broken:
        if customer.name:
            outcome.customers.skipped += 1
        outcome.invoices.skipped += len(invoices)
        row = _first_error_row(outcome, customer.rows)
        _skip_rows(outcome, customer.rows, f"Skipped with customer {customer.external_id}: see row {row}.")
        return
    for invoice in invoices:
        _import_invoice(session, employee, invoice, outcome)


def _import_invoice(session: Session, employee: Employee, invoice: _Invoice, outcome: Outcome) -> None:
    if not invoice.broken:
        try:
            with session.begin_nested():
                outcome.invoices.add(
                    external_records.upsert_invoice(session, employee, invoice.external_id, _external_invoice(invoice))
                )
            return
        except NotAllowed:
            raise
        except FieldErrors as refused:
            outcome.add_errors(_invoice_errors(invoice, refused.fields))
        except DomainError as refused:  # a paid or void invoice cannot change
            outcome.add_errors([RowError(invoice.rows[0], "invoice_external_id", refused.message)])
    outcome.invoices.skipped += 1
    row = _first_error_row(outcome, invoice.rows)
    _skip_rows(outcome, invoice.rows, f"Skipped with invoice {invoice.external_id}: see row {row}.")


def _external_customer(customer: _Customer) -> ExternalCustomer:
    return ExternalCustomer(
        name=customer.name,
        phones=[(number, kind, "") for number, kind, _ in customer.phones],
        emails=[email for email, _ in customer.emails],
        locations=[_location_cells(location) for location in customer.locations.values()],
    )


def _location_cells(location: _Location) -> tuple[str, str, str, str, str]:
    line1, city, state, postal_code = (location.address.get(part, "") for part in _ADDRESS)
    return location.external_id, line1, city, state, postal_code


def _external_invoice(invoice: _Invoice) -> ExternalInvoice:
    first = {column: value for column, (value, _) in invoice.first.items()}
    return ExternalInvoice(
        customer_external_id=invoice.customer_external_id,
        location_external_id=first.get("location_external_id") or None,
        kind=first.get("kind") or DEFAULT_KIND,
        status=first.get("status") or DEFAULT_STATUS,
        due_on=first.get("due_on") or None,
        lines=[(description, quantity, cents) for description, quantity, cents, _ in invoice.lines],
        tax_cents=invoice.tax_cents,
    )


# external_records names fields in the REST API's words; the file's columns and rows are these.
_CUSTOMER_PARTS = {
    "name": "customer_name",
    "number": "phone",
    "type": "phone_type",
    "label": "phone",
    "external_id": "location_external_id",
}
_INVOICE_PARTS = {"description": "line_description", "quantity": "quantity", "unit_price_cents": "unit_price"}


def _customer_errors(customer: _Customer, fields: dict[str, str]) -> list[RowError]:
    locations = list(customer.locations.values())
    found = []
    for key, message in fields.items():
        parts = key.split(".")
        row, column = customer.first.get("customer_name", ("", customer.rows[0]))[1], ""
        index = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else None
        if parts[0] == "name":
            column = "customer_name"
        elif parts[0] == "external_id":
            row, column = customer.rows[0], "customer_external_id"
        elif parts[0] == "phones" and index is not None and index < len(customer.phones):
            row, column = customer.phones[index][2], _CUSTOMER_PARTS.get(parts[-1], "phone")
        elif parts[0] == "emails" and index is not None and index < len(customer.emails):
            row, column = customer.emails[index][1], "email"
        elif parts[0] == "locations" and index is not None and index < len(locations):
            row, column = (
                locations[index].row,
                _CUSTOMER_PARTS.get(parts[-1], parts[-1] if parts[-1] in _ADDRESS else ""),
            )
        elif parts[0] in ("phones", "emails", "locations"):
            column = {"phones": "phone", "emails": "email", "locations": "location_external_id"}[parts[0]]
        found.append(RowError(row, column, message))
    return found


def _invoice_errors(invoice: _Invoice, fields: dict[str, str]) -> list[RowError]:
    found = []
    for key, message in fields.items():
        parts = key.split(".")
        row, column = invoice.rows[0], parts[0]
        if parts[0] == "lines":
            column = "line_description"
            if len(parts) > 1 and parts[1].isdigit() and int(parts[1]) < len(invoice.lines):
                row = invoice.lines[int(parts[1])][3]
                column = _INVOICE_PARTS.get(parts[-1], "line_description")
        elif parts[0] == "tax_cents":
            row, column = invoice.first.get("tax", ("", row))[1], "tax"
        elif parts[0] in invoice.first:
            row = invoice.first[parts[0]][1]
        elif parts[0] == "external_id":
            column = "invoice_external_id"
        elif parts[0] not in COLUMN_NAMES:
            column = ""
        found.append(RowError(row, column, message))
    return found


# ---------------------------------------------------------------- the template and error lists


def template_csv(today: date) -> str:
    dates = {"{due}": (today + timedelta(days=30)).isoformat(), "{later}": (today + timedelta(days=60)).isoformat()}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMN_NAMES)
    writer.writerows([dates.get(cell, cell) for cell in row] for row in TEMPLATE_ROWS)
    return out.getvalue()


def errors_csv(errors: list[RowError]) -> str:
    """The errors as a file to work through beside the import (cells made formula-safe)."""
    out = io.StringIO()
    write_csv(out, ("row", "column", "error"), ((error.row, error.column, error.message) for error in errors))
    return out.getvalue()
