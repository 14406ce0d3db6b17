"""Customers and invoices keyed by another system's ids (external_id): the REST API's PUTs and CSV
import both come through here.

Each upsert finds the record by its external id in the caller's business and hands the values to the
same core functions the office pages call (customers.create_customer / update_customer,
invoice_editing.save_invoice / finalize), so no rule is checked twice or skipped. Sending the same
values again changes nothing (changed=False, no audit row). `check_customer` and `check_invoice`
name what an upsert would refuse, without writing, for a preview.

Field errors are named in the other system's words: "phones.0.number", "locations.1.address_line1",
"lines.0.unit_price_cents", "customer_external_id".

A customer's service locations with an external id are the ones this door manages: a PUT lists all
of them (those left out are removed when nothing refers to them). Locations added in the office
(without an external id) are kept as they are.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from sqlmodel import Session, col, select

from smslinks.core import customers, invoice_editing, invoices
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Customer,
    EmailAddress,
    Employee,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Location,
    saved_id,
    utcnow,
)

EXTERNAL_ID_MAX = 100
STATUSES = (InvoiceStatus.DRAFT.value, InvoiceStatus.OPEN.value)
NO_CUSTOMER = "No customer has this external id. Send the customer first."
NO_LOCATION = "This customer has no service location with this external id."

# Core's field names, in the words of the other system (a location's name is its street here).
_LOCATION_FIELDS = {"street": "address_line1", "region": "state", "name": "address_line1"}
_INVOICE_FIELDS = {
    "customer_id": "customer_external_id",
    "location_id": "location_external_id",
    "tax": "tax_cents",
    "unit_price": "unit_price_cents",
}


class Conflict(DomainError):
    """The record exists in a state that no longer takes this change (paid, void, already open)."""


@dataclass(frozen=True)
class ExternalCustomer:
    """phones: (number, type, label), type mobile/home/work/other (any case); emails: addresses;
    locations: (external_id, address_line1, city, state, postal_code)."""

    name: str
    phones: Sequence[tuple[str, str, str]] = ()
    emails: Sequence[str] = ()
    locations: Sequence[tuple[str, str, str, str, str]] = ()


@dataclass(frozen=True)
class ExternalInvoice:
    """lines: (description, quantity, unit_price_cents); status "draft" or "open"; due_on a date or
    "YYYY-MM-DD"."""

    customer_external_id: str
    location_external_id: str | None
    kind: str
    status: str
    due_on: date | str | None
    lines: Sequence[tuple[str, str | int | Decimal, int]]
    tax_cents: int = 0


@dataclass(frozen=True)
class UpsertResult:
    id: int
    created: bool
    changed: bool


# ---------------------------------------------------------------- external ids


def external_id_error(external_id) -> str | None:
    text = external_id if isinstance(external_id, str) else ""
    if not text.strip():
        return "Give the external id."
    if text != text.strip() or len(text) > EXTERNAL_ID_MAX:
        return f"Use up to {EXTERNAL_ID_MAX} characters, without spaces at either end."
    return None


def _require_external_id(external_id, field: str = "external_id") -> None:
    if error := external_id_error(external_id):
        raise FieldErrors({field: error})


def find_customer(session: Session, business_id: int, external_id: str) -> Customer | None:
    return session.exec(
        select(Customer).where(Customer.business_id == business_id, Customer.external_id == external_id)
    ).first()


def find_invoice(session: Session, business_id: int, external_id: str) -> Invoice | None:
    return session.exec(
        select(Invoice).where(Invoice.business_id == business_id, Invoice.external_id == external_id)
    ).first()


def _renamed(errors: dict[str, str], names: dict[str, str]) -> dict[str, str]:
    """Core's field keys ("locations.0.street") in the other system's words ("locations.0.address_line1")."""
    renamed: dict[str, str] = {}
    for key, message in errors.items():
        parts = key.split(".")
        if parts[0] == "emails" and parts[-1] == "address":
            parts = parts[:-1]
        elif parts[0] == "locations" and len(parts) == 3:
            parts[-1] = _LOCATION_FIELDS.get(parts[-1], parts[-1])
        else:
            parts[-1] = names.get(parts[-1], parts[-1])
        renamed.setdefault(".".join(parts), message)
    return renamed


# ---------------------------------------------------------------- customers


def _location_ids(
    session: Session, business_id: int, customer: Customer | None, record: ExternalCustomer
) -> tuple[list[int | None], dict[str, str]]:
    """Our location id for each listed location (None: new), and errors for ids that clash."""
    errors: dict[str, str] = {}
    ids: list[int | None] = []
    seen: set[str] = set()
    wanted = [row[0] if row else None for row in record.locations]
    existing = (
        {
            loc.external_id: loc
            for loc in session.exec(
                select(Location).where(
                    Location.business_id == business_id,
                    col(Location.external_id).in_([w for w in wanted if isinstance(w, str)]),
                )
            ).all()
        }
        if wanted
        else {}
    )
    for index, external_id in enumerate(wanted):
        field = f"locations.{index}.external_id"
        if error := external_id_error(external_id):
            errors[field] = error
        elif external_id in seen:
            errors[field] = "This external id is listed twice."
        elif (location := existing.get(external_id)) is not None and (
            customer is None or location.customer_id != customer.id
        ):
            errors[field] = "This external id is another customer's service location."
        seen.add(external_id)
        location = existing.get(external_id)
        ids.append(
            location.id
            if location is not None and customer is not None and location.customer_id == customer.id
            else None
        )
    return ids, errors


def _draft(
    session: Session, customer: Customer | None, record: ExternalCustomer, location_ids: list[int | None]
) -> customers.CustomerDraft:
    labels: dict[str, str] = {}
    kept_locations: list[tuple] = []
    if customer is not None:
        labels = {
            e.email: e.label
            for e in session.exec(select(EmailAddress).where(EmailAddress.customer_id == customer.id)).all()
        }
        # Locations added in the office (no external id) stay as they are.
        kept_locations = [
            (loc.id, loc.name, loc.street, loc.city, loc.region, loc.postal_code)
            for loc in session.exec(
                select(Location)
                .where(Location.customer_id == customer.id, col(Location.external_id).is_(None))
                .order_by(col(Location.id))
            ).all()
        ]
    emails = [(address, labels.get(str(address or "").strip().lower(), "")) for address in record.emails]
    listed = [(location_id, "", *row[1:5]) for location_id, row in zip(location_ids, record.locations, strict=True)]
    return customers.CustomerDraft(
        name=record.name,
        phones=[(number, kind, label or "") for number, kind, label in record.phones],
        emails=emails,
        locations=listed + kept_locations,
    )


def _shape_errors(record: ExternalCustomer) -> dict[str, str]:
    """Rows that are not even the right shape (CSV cells and JSON bodies both reach here)."""
    errors: dict[str, str] = {}
    for index, row in enumerate(record.locations):
        if not isinstance(row, (tuple, list)) or len(row) != 5:
            errors[f"locations.{index}"] = "Give external_id, address_line1, city, state and postal_code."
    for index, phone in enumerate(record.phones):
        if not isinstance(phone, (tuple, list)) or len(phone) != 3:
            errors[f"phones.{index}"] = "Give the number, its type and a label."
    return errors


def _customer_errors(
    session: Session, employee: Employee, customer: Customer | None, record: ExternalCustomer
) -> tuple[dict[str, str], customers.CustomerDraft | None]:
    if errors := _shape_errors(record):
        return errors, None
    location_ids, errors = _location_ids(session, employee.business_id, customer, record)
    draft = _draft(session, customer, record, location_ids)
    try:
        customers._check(draft)
    except FieldErrors as error:
        errors = {**_renamed(error.fields, {}), **errors}
    return errors, draft


def check_customer(
    session: Session, employee: Employee, record: ExternalCustomer, *, external_id: str | None = None
) -> dict[str, str]:
    """What upsert_customer would refuse ({field: message}; empty when all is right). Writes nothing.
    external_id: the customer's, when known, so its own service locations are not taken for another's."""
    require_permission(session, employee, Permission.MANAGE_CUSTOMERS)
    errors: dict[str, str] = {}
    customer = None
    if external_id is not None:
        if error := external_id_error(external_id):
            errors["external_id"] = error
        else:
            customer = find_customer(session, employee.business_id, external_id)
    found, _draft_ = _customer_errors(session, employee, customer, record)
    return {**errors, **found}


def _snapshot(detail: customers.CustomerDetail) -> tuple:
    return (detail.name, detail.phones, detail.emails, detail.locations)


def upsert_customer(session: Session, employee: Employee, external_id: str, record: ExternalCustomer) -> UpsertResult:
    """Create or change the customer with this external id, in the caller's transaction."""
    require_permission(session, employee, Permission.MANAGE_CUSTOMERS)
    _require_external_id(external_id)
    customer = find_customer(session, employee.business_id, external_id)
    errors, draft = _customer_errors(session, employee, customer, record)
    if errors or draft is None:  # (no draft only with errors: a record of the wrong shape)
        raise FieldErrors(errors)
    now = utcnow()
    listed = [row[0] for row in record.locations]
    if customer is None:
        detail = customers.create_customer(session, employee, draft, now=now)
        customer = session.get_one(Customer, detail.id)
        customer.external_id = external_id
        session.add(customer)
        _name_new_locations(session, customer, listed, [])
        session.flush()
        return UpsertResult(saved_id(customer), created=True, changed=True)
    before = _snapshot(customers._detail(session, customer, now))
    known = set(session.exec(select(Location.id).where(Location.customer_id == customer.id)).all())
    after = customers.update_customer(session, employee, saved_id(customer), draft, now=now)
    _name_new_locations(session, customer, listed, known)
    session.flush()
    return UpsertResult(saved_id(customer), created=False, changed=_snapshot(after) != before)


def _name_new_locations(session: Session, customer: Customer, listed: list[str], known) -> None:
    """Give the locations just added their external ids (they were added in the order listed)."""
    new = session.exec(
        select(Location)
        .where(Location.customer_id == customer.id, col(Location.external_id).is_(None))
        .order_by(col(Location.id))
    ).all()
    new = [loc for loc in new if loc.id not in known]
    taken = set(
        session.exec(
            select(Location.external_id).where(
                Location.customer_id == customer.id, col(Location.external_id).is_not(None)
            )
        ).all()
    )
    missing = [external_id for external_id in listed if external_id not in taken]
    for location, external_id in zip(new, missing, strict=True):
        location.external_id = external_id
        session.add(location)


# ---------------------------------------------------------------- invoices


def _quantity(value) -> str:
    try:
        return format(Decimal(str(value)), "f")
    except InvalidOperation:
        return str(value)


def _invoice_parties(
    session: Session, employee: Employee, record: ExternalInvoice, errors: dict[str, str]
) -> tuple[Customer | None, Location | None]:
    customer = None
    if error := external_id_error(record.customer_external_id):
        errors["customer_external_id"] = error
    else:
        customer = find_customer(session, employee.business_id, record.customer_external_id)
        if customer is None:
            errors["customer_external_id"] = NO_CUSTOMER
    if customer is None:
        return None, None
    places = session.exec(select(Location).where(Location.customer_id == customer.id).order_by(col(Location.id))).all()
    if record.location_external_id is not None:
        location = next((p for p in places if p.external_id == record.location_external_id), None)
        if location is None:
            errors["location_external_id"] = NO_LOCATION
        return customer, location
    if len(places) == 1:
        return customer, places[0]
    errors["location_external_id"] = (
        "This customer has no service location yet. Send the customer with one first."
        if not places
        else f"This customer has {len(places)} service locations. Say which one (location_external_id)."
    )
    return customer, None


def _invoice_draft(
    record: ExternalInvoice, customer: Customer | None, location: Location | None, errors: dict[str, str]
) -> invoice_editing.InvoiceDraft:
    lines = []
    for index, row in enumerate(record.lines):
        if not isinstance(row, (tuple, list)) or len(row) != 3:
            errors[f"lines.{index}"] = "Give the description, quantity and unit_price_cents."
            continue
        description, quantity, unit_price_cents = row
        if isinstance(unit_price_cents, bool) or not isinstance(unit_price_cents, int):
            errors[f"lines.{index}.unit_price_cents"] = "Give the unit price in whole cents (12500 for $125.00)."
            continue
        lines.append(invoice_editing.LineDraft(description, _quantity(quantity), unit_price_cents))
    if isinstance(record.tax_cents, bool) or not isinstance(record.tax_cents, int):
        errors["tax_cents"] = "Give the tax in whole cents (0 when there is none)."
    if record.status not in STATUSES:
        errors["status"] = "Choose draft or open."
    return invoice_editing.InvoiceDraft(
        lines=lines,
        customer_id=customer.id if customer else None,
        location_id=location.id if location else None,
        kind=str(record.kind or "").lower(),
        tax=record.tax_cents if isinstance(record.tax_cents, int) else 0,
        due_on=record.due_on,
    )


def _invoice_errors(
    session: Session, employee: Employee, invoice: Invoice | None, record: ExternalInvoice
) -> tuple[dict[str, str], invoice_editing.InvoiceDraft]:
    errors: dict[str, str] = {}
    customer, location = _invoice_parties(session, employee, record, errors)
    draft = _invoice_draft(record, customer, location, errors)
    try:
        invoice_editing.check_draft(session, employee, invoice.id if invoice else None, draft)
    except FieldErrors as error:
        found = _renamed(error.fields, _INVOICE_FIELDS)
        if "lines" not in errors and any(k.startswith("lines.") for k in errors):
            found.pop("lines", None)  # a line we could not read is named already
        if "customer_external_id" in errors:
            found.pop("location_external_id", None)  # no customer, so no location to choose
        errors = {**found, **errors}
    return errors, draft


def check_invoice(
    session: Session, employee: Employee, record: ExternalInvoice, *, external_id: str | None = None
) -> dict[str, str]:
    """What upsert_invoice would refuse ({field: message}). Writes nothing. A change to a paid or void
    invoice is named under "status". external_id: the invoice's, when known."""
    require_permission(session, employee, Permission.EDIT_INVOICES)
    invoice = None
    errors: dict[str, str] = {}
    if external_id is not None:
        if error := external_id_error(external_id):
            errors["external_id"] = error
        else:
            invoice = find_invoice(session, employee.business_id, external_id)
    if invoice is not None:
        invoices.get_for_staff(session, employee, saved_id(invoice))
        try:
            if _same_invoice(session, invoice, record):
                return errors
            _check_changeable(session, invoice, record)
        except Conflict as error:
            return {**errors, "status": error.message}
    try:
        found, _ = _invoice_errors(session, employee, invoice, record)
    except DomainError as error:
        if type(error) is not DomainError:  # not allowed, not found: the caller's answer, not a field's
            raise
        found = {"status": error.message}
    return {**errors, **found}


def _line_values(session: Session, invoice_id: int) -> list[tuple[str, Decimal, int]]:
    return [
        (line.description, Decimal(line.quantity).quantize(invoice_editing.CENT), line.unit_price_cents)
        for line in session.exec(
            select(InvoiceLine).where(InvoiceLine.invoice_id == invoice_id).order_by(col(InvoiceLine.position))
        ).all()
    ]


def _wanted_lines(record: ExternalInvoice) -> list[tuple[str, Decimal, int]] | None:
    try:
        return [
            (" ".join(str(d or "").split()), Decimal(str(q)).quantize(invoice_editing.CENT), p)
            for d, q, p in record.lines
        ]
    except (InvalidOperation, TypeError, ValueError):
        return None


def _same_invoice(session: Session, invoice: Invoice, record: ExternalInvoice, *, but_status: bool = False) -> bool:
    """Whether the record says what the invoice already says (then an upsert changes nothing).
    but_status: whatever the status says (a draft the record wants open only needs finalizing)."""
    customer = session.get_one(Customer, invoice.customer_id)
    location = session.get_one(Location, invoice.location_id)
    if customer.external_id != record.customer_external_id:
        return False
    if record.location_external_id is not None and location.external_id != record.location_external_id:
        return False
    try:
        due_on = record.due_on if isinstance(record.due_on, date) else date.fromisoformat(str(record.due_on))
    except ValueError:
        return False
    wanted_status = record.status if invoice.status in STATUSES and not but_status else invoice.status
    return (
        invoice.kind == str(record.kind or "").lower()
        and invoice.status == wanted_status
        and invoice.due_on == due_on
        and invoice.tax_cents == record.tax_cents
        and _line_values(session, saved_id(invoice)) == _wanted_lines(record)
    )


def _check_changeable(session: Session, invoice: Invoice, record: ExternalInvoice) -> None:
    if blocked := invoice_editing.edit_blocked(session, invoice):
        raise Conflict(blocked)
    if invoice.status == InvoiceStatus.OPEN and record.status == InvoiceStatus.DRAFT:
        raise Conflict(f"Invoice #{invoice.number} is open already; it cannot go back to draft.")


def upsert_invoice(session: Session, employee: Employee, external_id: str, record: ExternalInvoice) -> UpsertResult:
    """Create or change the invoice with this external id, in the caller's transaction. status "open"
    finalizes it (it gets its number). Changing a paid or void invoice raises Conflict; sending what
    it already says is fine and changes nothing."""
    require_permission(session, employee, Permission.EDIT_INVOICES)
    _require_external_id(external_id)
    invoice = find_invoice(session, employee.business_id, external_id)
    if invoice is not None:
        invoice_id = saved_id(invoice)
        invoices.get_for_staff(session, employee, invoice_id)
        if _same_invoice(session, invoice, record):
            return UpsertResult(invoice_id, created=False, changed=False)
        _check_changeable(session, invoice, record)
        if record.status == InvoiceStatus.OPEN and _same_invoice(session, invoice, record, but_status=True):
            invoice_editing.finalize(session, employee, invoice_id)
            return UpsertResult(invoice_id, created=False, changed=True)
    errors: dict[str, str] = {}
    customer, location = _invoice_parties(session, employee, record, errors)
    draft = _invoice_draft(record, customer, location, errors)
    if errors:  # ours, with core's for the rest of the record
        raise FieldErrors(_invoice_errors(session, employee, invoice, record)[0])
    try:
        invoice_id = invoice_editing.save_invoice(session, employee, invoice.id if invoice else None, draft)
    except FieldErrors as error:
        raise FieldErrors(_renamed(error.fields, _INVOICE_FIELDS)) from None
    saved = session.get_one(Invoice, invoice_id)
    if invoice is None:
        saved.external_id = external_id
        session.add(saved)
    if record.status == InvoiceStatus.OPEN and saved.status == InvoiceStatus.DRAFT:
        invoice_editing.finalize(session, employee, invoice_id)
    session.flush()
    return UpsertResult(invoice_id, created=invoice is None, changed=True)
