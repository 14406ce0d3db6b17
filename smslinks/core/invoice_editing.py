"""Creating, changing, finalizing and voiding invoices: every rule, one path.

The office editor, the technician's phone form and any later door (REST API, CSV import) call these
functions. Everything is checked first and every wrong field is named at once (FieldErrors, keys
like "lines.0.unit_price"); nothing is written unless all of it is right, in the caller's one
transaction.

- A new invoice is a Draft with a provisional label ("DRAFT-12"). Finalize makes it Open with the
  business's next invoice number, taken from its counter row (UPDATE ... RETURNING: the row stays
  locked until commit, so two finalizes never share a number, and a number is never given twice).
- An Open invoice can be changed until a payment is made or on its way; its live links then ask for
  the new balance. A paid or void invoice cannot be changed.
- Voiding stops its links (the pay page shows the void screen) and cancels its texts and emails that
  have not gone yet.
- EDIT_INVOICES lets office staff change any of the business's invoices, and technicians (who do not
  see all invoices) only those of jobs assigned to them. VOID_INVOICES is needed to void.
"""

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from smslinks.core import audit, delivery, display, invoices, jobs, webhooks
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.models import (
    Business,
    Customer,
    Employee,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Job,
    Location,
    NumberCounter,
    OutboundMessage,
    Payment,
    PaymentStatus,
    saved_id,
)

MAX_LINES = 100
MAX_QUANTITY = Decimal(10_000)
MAX_UNIT_PRICE_CENTS = 1_000_000_00  # $1,000,000.00
MAX_TOTAL_CENTS = 10_000_000_00  # $10,000,000.00 (and the columns' integer range)
DEFAULT_TERMS_DAYS = 30
VOID_REASON_MAX = 300
CENT = Decimal("0.01")

NEEDS_EDIT = f'You need the "{Permission.EDIT_INVOICES.value}" permission to create or change invoices.'
NEEDS_VOID = f'You need the "{Permission.VOID_INVOICES.value}" permission to void invoices.'
TECH_OWN_JOBS = "Technicians can only create and change invoices for jobs assigned to them."
VOIDED_TEXT_REASON = "Not sent: the invoice was voided."


@dataclass(frozen=True)
class LineDraft:
    description: str
    quantity: str | Decimal | int = "1"
    # Whole cents (int), or what a person typed in dollars (str: "125", "$1,250.50").
    unit_price: int | str = 0


@dataclass(frozen=True)
class InvoiceDraft:
    """What a person typed. customer_id and location_id may be left out when job_id is given."""

    lines: Sequence[LineDraft | tuple]
    customer_id: int | None = None
    location_id: int | None = None
    job_id: int | None = None
    kind: str = InvoiceKind.JOB
    tax: int | str = 0  # cents (int) or dollars typed (str)
    due_on: date | str | None = None  # None or "": issue date + 30 days


@dataclass(frozen=True)
class Totals:
    line_amounts: list[int]
    subtotal_cents: int
    tax_cents: int
    total_cents: int


@dataclass(frozen=True)
class InvoiceActions:
    """What the person may do to the invoice now, and why not when they may not."""

    can_edit: bool
    can_finalize: bool
    can_void: bool
    edit_blocked: str  # "" or why it cannot be changed


# ---------------------------------------------------------------- reading what people typed


def parse_money(value: int | str, field: str, errors: dict[str, str], *, label: str) -> int | None:
    """Whole cents from an int, or from dollars typed ("1,250.5", "$80"); None (and an error) if not."""
    if isinstance(value, bool):
        value = str(value)
    if isinstance(value, int):
        return value
    text = str(value).strip().replace("$", "").replace(",", "")
    if not text:
        errors[field] = f"Enter the {label}."
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        errors[field] = f"Enter the {label} as an amount such as 125.00."
        return None
    if not amount.is_finite():
        errors[field] = f"Enter the {label} as an amount such as 125.00."
        return None
    if abs(amount) > Decimal(10) ** 12:
        errors[field] = f"The {label} is far too large. Check the amount."
        return None
    if amount != amount.quantize(CENT):
        errors[field] = f"Enter the {label} in dollars and cents (at most 2 decimals)."
        return None
    return int((amount * 100).to_integral_value(ROUND_HALF_UP))


def _quantity(value, field: str, errors: dict[str, str]) -> Decimal | None:
    try:
        quantity = Decimal(str(value).strip().replace(",", ""))
    except InvalidOperation:
        errors[field] = "Enter the quantity as a number such as 1 or 2.5."
        return None
    if not quantity.is_finite() or abs(quantity) > 10**9:
        errors[field] = (
            "Enter the quantity as a number such as 1 or 2.5."
            if not quantity.is_finite()
            else f"The quantity can be at most {MAX_QUANTITY:,}."
        )
    elif quantity <= 0:
        errors[field] = "The quantity must be more than 0."
    elif quantity > MAX_QUANTITY:
        errors[field] = f"The quantity can be at most {MAX_QUANTITY:,}."
    elif quantity != quantity.quantize(CENT):
        errors[field] = "Use at most 2 decimals in the quantity."
    else:
        return quantity.quantize(CENT)
    return None


def _due_on(value, issued_on: date, errors: dict[str, str]) -> date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return issued_on + timedelta(days=DEFAULT_TERMS_DAYS)
    if isinstance(value, date):
        due = value
    else:
        try:
            due = date.fromisoformat(str(value).strip())
        except ValueError:
            errors["due_on"] = "Enter the due date as a date (YYYY-MM-DD)."
            return None
    if due < issued_on:
        errors["due_on"] = f"The due date cannot be before the issue date ({display.day(issued_on)})."
        return None
    if due > issued_on + timedelta(days=3 * 366):
        errors["due_on"] = "The due date must be within 3 years of the issue date."
        return None
    return due


@dataclass(frozen=True)
class _CheckedLine:
    description: str
    quantity: Decimal
    unit_price_cents: int
    amount_cents: int


def _checked_lines(lines: Sequence, errors: dict[str, str]) -> list[_CheckedLine]:
    if not lines:
        errors["lines"] = "Add at least one line."
        return []
    if len(lines) > MAX_LINES:
        errors["lines"] = f"An invoice can have at most {MAX_LINES} lines."
        return []
    checked = []
    for index, line in enumerate(lines):
        if not isinstance(line, LineDraft):
            line = LineDraft(*line)
        key = f"lines.{index}"
        description = " ".join(str(line.description or "").split())
        if not description:
            errors[f"{key}.description"] = "Describe the work or part."
        elif len(description) > 300:
            errors[f"{key}.description"] = "Keep the description under 300 characters."
        quantity = _quantity(line.quantity, f"{key}.quantity", errors)
        price = parse_money(line.unit_price, f"{key}.unit_price", errors, label="unit price")
        if price is not None and price < 0:
            errors[f"{key}.unit_price"] = "The unit price cannot be negative (add a discount line at $0 with a note)."
            price = None
        elif price is not None and price > MAX_UNIT_PRICE_CENTS:
            errors[f"{key}.unit_price"] = (
                f"A unit price above {display.money(MAX_UNIT_PRICE_CENTS)} is not accepted. Check the amount."
            )
            price = None
        if quantity is None or price is None or f"{key}.description" in errors:
            continue
        amount = int((quantity * price).to_integral_value(ROUND_HALF_UP))
        if amount > MAX_TOTAL_CENTS:
            errors[f"{key}.quantity"] = f"This line comes to more than {display.money(MAX_TOTAL_CENTS)}."
            continue
        checked.append(_CheckedLine(description, quantity, price, amount))
    return checked


def totals(lines: list[_CheckedLine], tax_cents: int) -> Totals:
    amounts = [line.amount_cents for line in lines]
    subtotal = sum(amounts)
    return Totals(amounts, subtotal, tax_cents, subtotal + tax_cents)


def preview_totals(lines: Sequence, tax: int | str) -> tuple[Totals | None, dict[str, str]]:
    """The totals of what is typed so far (for the editor's live totals), and what is wrong."""
    errors: dict[str, str] = {}
    checked = _checked_lines(lines, errors)
    tax_cents = parse_money(tax if tax != "" else 0, "tax", errors, label="tax")
    if tax_cents is not None and tax_cents < 0:
        errors["tax"] = "Tax cannot be negative."
        tax_cents = 0
    return totals(checked, tax_cents or 0), errors


# ---------------------------------------------------------------- who may do what


def _permissions(session: Session, employee: Employee) -> frozenset[Permission]:
    return effective_permissions(session, employee)


def _sees_all(session: Session, employee: Employee) -> bool:
    return Permission.VIEW_INVOICES in _permissions(session, employee)


def _require_edit(session: Session, employee: Employee) -> None:
    if Permission.EDIT_INVOICES not in _permissions(session, employee):
        raise NotAllowed(NEEDS_EDIT)


def _own_job(session: Session, employee: Employee, job_id: int | None) -> bool:
    if job_id is None:
        return False
    job = session.get(Job, job_id)
    return job is not None and job.business_id == employee.business_id and job.technician_id == employee.id


def _check_may_edit(session: Session, employee: Employee, invoice: Invoice) -> None:
    _require_edit(session, employee)
    if not _sees_all(session, employee) and not _own_job(session, employee, invoice.job_id):
        raise NotAllowed(TECH_OWN_JOBS)


def _payment_blocks_edit(session: Session, invoice_id: int) -> bool:
    return (
        session.exec(
            select(Payment.id)
            .where(Payment.invoice_id == invoice_id, Payment.status != PaymentStatus.FAILED.value)
            .limit(1)
        ).first()
        is not None
    )


def edit_blocked(session: Session, invoice: Invoice) -> str:
    """Why this invoice can no longer be changed, or ""."""
    status = InvoiceStatus(invoice.status)
    if status is InvoiceStatus.VOID:
        return "This invoice is void, so it cannot be changed."
    if status is InvoiceStatus.PAID:
        return "This invoice is paid, so it cannot be changed."
    if invoice.amount_paid_cents > 0 or _payment_blocks_edit(session, saved_id(invoice)):
        return (
            "A payment has been made (or is on its way) on this invoice, so it cannot be changed. "
            "Refund the payment first, or void it and issue a new invoice."
        )
    return ""


def void_blocked(session: Session, invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.VOID:
        return "This invoice is already void."
    payments = session.exec(select(Payment).where(Payment.invoice_id == invoice.id)).all()
    if any(p.status == PaymentStatus.PROCESSING for p in payments):
        return "A payment on this invoice is still processing. Wait for it to clear or fail, then refund it first."
    if (
        invoice.status == InvoiceStatus.PAID
        or invoice.amount_paid_cents > 0
        or any(p.collected_cents > 0 for p in payments)
    ):
        return "This invoice has a payment. Refund the payment first, then void the invoice."
    return ""


def actions(session: Session, employee: Employee, invoice_id: int) -> InvoiceActions:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    permissions = _permissions(session, employee)
    may_edit = Permission.EDIT_INVOICES in permissions and (
        _sees_all(session, employee) or _own_job(session, employee, invoice.job_id)
    )
    blocked = edit_blocked(session, invoice)
    return InvoiceActions(
        can_edit=may_edit and not blocked,
        can_finalize=may_edit and invoice.status == InvoiceStatus.DRAFT,
        can_void=Permission.VOID_INVOICES in permissions and not void_blocked(session, invoice),
        edit_blocked=blocked if may_edit else "",
    )


# ---------------------------------------------------------------- saving


def _business_today(session: Session, business_id: int) -> date:
    return jobs.today_in(session.get_one(Business, business_id).time_zone)


def _checked_parties(
    session: Session, employee: Employee, draft: InvoiceDraft, errors: dict[str, str]
) -> tuple[Customer | None, Location | None, Job | None]:
    business_id = employee.business_id
    job = None
    if draft.job_id is not None:
        job = session.get(Job, draft.job_id)
        if job is None or job.business_id != business_id:
            errors["job_id"] = "That job does not exist."
            job = None
    customer_id = draft.customer_id if draft.customer_id is not None else (job.customer_id if job else None)
    location_id = draft.location_id if draft.location_id is not None else (job.location_id if job else None)
    customer = session.get(Customer, customer_id) if customer_id is not None else None
    if customer is None or customer.business_id != business_id:
        errors["customer_id"] = "Choose a customer."
        customer = None
    location = session.get(Location, location_id) if location_id is not None else None
    if location is None or location.business_id != business_id:
        errors["location_id"] = "Choose a service location."
        location = None
    elif customer is not None and location.customer_id != customer.id:
        errors["location_id"] = "That service location is not this customer's."
        location = None
    if (
        job is not None
        and customer is not None
        and location is not None
        and (job.customer_id != customer.id or job.location_id != location.id)
    ):
        errors["job_id"] = "That job is for another customer or service location."
    if not _sees_all(session, employee) and not (job is not None and job.technician_id == employee.id):
        raise NotAllowed(TECH_OWN_JOBS)
    return customer, location, job


@dataclass(frozen=True)
class _CheckedDraft:
    customer: Customer
    location: Location
    job: Job | None
    kind: InvoiceKind
    lines: list[_CheckedLine]
    tax_cents: int
    issued_on: date
    due_on: date
    sums: Totals


def _existing_for_edit(session: Session, employee: Employee, invoice_id: int | None) -> Invoice | None:
    _require_edit(session, employee)
    if invoice_id is None:
        return None
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    _check_may_edit(session, employee, invoice)
    if blocked := edit_blocked(session, invoice):
        raise DomainError(blocked)
    return invoice


def _checked_draft(session: Session, employee: Employee, invoice: Invoice | None, draft: InvoiceDraft) -> _CheckedDraft:
    errors: dict[str, str] = {}
    customer, location, job = _checked_parties(session, employee, draft, errors)
    try:
        kind = InvoiceKind(str(draft.kind))
    except ValueError:
        errors["kind"] = "Choose Job, Membership or Statement."
        kind = None
    lines = _checked_lines(draft.lines, errors)
    tax_cents = parse_money(draft.tax if draft.tax != "" else 0, "tax", errors, label="tax")
    if tax_cents is not None and tax_cents < 0:
        errors["tax"] = "Tax cannot be negative."
    elif tax_cents is not None and tax_cents > MAX_TOTAL_CENTS:
        errors["tax"] = f"Tax above {display.money(MAX_TOTAL_CENTS)} is not accepted. Check the amount."
    issued_on = invoice.issued_on if invoice is not None else _business_today(session, employee.business_id)
    due_on = _due_on(draft.due_on, issued_on, errors)
    # (each part left None above came with its error)
    if errors or customer is None or location is None or kind is None or tax_cents is None or due_on is None:
        raise FieldErrors(errors)
    sums = totals(lines, tax_cents)
    if sums.total_cents > MAX_TOTAL_CENTS:
        raise FieldErrors({"lines": f"The invoice total cannot be more than {display.money(MAX_TOTAL_CENTS)}."})
    return _CheckedDraft(customer, location, job, kind, lines, tax_cents, issued_on, due_on, sums)


def check_draft(session: Session, employee: Employee, invoice_id: int | None, draft: InvoiceDraft) -> None:
    """What save_invoice would refuse, without writing anything (for previews such as CSV import)."""
    _checked_draft(session, employee, _existing_for_edit(session, employee, invoice_id), draft)


def save_invoice(session: Session, employee: Employee, invoice_id: int | None, draft: InvoiceDraft) -> int:
    """Create a Draft (invoice_id None) or change an invoice; returns its id. FieldErrors names each
    wrong field; nothing is written unless all are right."""
    invoice = _existing_for_edit(session, employee, invoice_id)
    checked = _checked_draft(session, employee, invoice, draft)
    customer, location, job, kind = checked.customer, checked.location, checked.job, checked.kind
    lines, tax_cents, due_on, sums = checked.lines, checked.tax_cents, checked.due_on, checked.sums
    issued_on = checked.issued_on

    created = invoice is None
    if invoice is None:
        invoice = Invoice(
            business_id=employee.business_id,
            number=f"new-{secrets.token_hex(6)}",  # replaced by the provisional label once it has an id
            customer_id=saved_id(customer),
            location_id=saved_id(location),
            status=InvoiceStatus.DRAFT,
            issued_on=issued_on,
            due_on=due_on,
        )
        session.add(invoice)
        session.flush()
        invoice.number = draft_label(saved_id(invoice))
        before = None
    else:
        before = {"total": invoice.total_cents, "lines": _line_count(session, saved_id(invoice))}
        for old in session.exec(select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id)).all():
            session.delete(old)
        session.flush()
    invoice.customer_id, invoice.location_id = saved_id(customer), saved_id(location)
    invoice.job_id = job.id if job else None
    invoice.kind = kind.value
    invoice.due_on = due_on
    invoice.subtotal_cents, invoice.tax_cents, invoice.total_cents = sums.subtotal_cents, tax_cents, sums.total_cents
    session.add(invoice)
    for position, line in enumerate(lines, start=1):
        session.add(
            InvoiceLine(
                invoice_id=saved_id(invoice),
                position=position,
                description=line.description,
                quantity=line.quantity,
                unit_price_cents=line.unit_price_cents,
                amount_cents=line.amount_cents,
            )
        )
    audit.record(
        session,
        "invoice.created" if created else "invoice.changed",
        "invoice",
        invoice.id,
        business_id=invoice.business_id,
        employee=employee,
        number=invoice.number,
        status=invoice.status,
        total_cents=invoice.total_cents,
        lines=len(lines),
        before=before,
    )
    invoices.touch(session, invoice.id)
    session.flush()
    return saved_id(invoice)


def draft_label(invoice_id: int) -> str:
    return f"DRAFT-{invoice_id}"


def _line_count(session: Session, invoice_id: int) -> int:
    return len(session.exec(select(InvoiceLine.id).where(InvoiceLine.invoice_id == invoice_id)).all())


# ---------------------------------------------------------------- numbers


INVOICE_COUNTER = "invoice"
JOB_COUNTER = "job"


def _highest_numeric(session: Session, business_id: int, kind: str) -> int:
    table = Invoice if kind == INVOICE_COUNTER else Job
    numbers = session.exec(select(table.number).where(table.business_id == business_id)).all()
    return max((int(n) for n in numbers if n.isdigit() and len(n) < 16), default=0)


def next_number(session: Session, business_id: int, kind: str = INVOICE_COUNTER) -> str:
    """The business's next number of this kind, taken for good in the caller's transaction."""
    table: sa.Table = NumberCounter.__table__  # type: ignore[attr-defined]  # every table model has one; SQLModel does not declare it
    dialect = session.get_bind().dialect.name
    if session.get(NumberCounter, (business_id, kind)) is None:
        start = _highest_numeric(session, business_id, kind)
        values = dict(business_id=business_id, kind=kind, last_value=start)
        insert = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(**values)
        session.execute(insert.on_conflict_do_nothing(index_elements=["business_id", "kind"]))
    target = Invoice if kind == INVOICE_COUNTER else Job
    while True:
        taken = session.execute(
            sa.update(table)
            .where(table.c.business_id == business_id, table.c.kind == kind)
            .values(last_value=table.c.last_value + 1)
            .returning(table.c.last_value)
        ).scalar_one()
        number = str(taken)
        # A number given some other way (an import, the demo) is skipped, never given twice.
        if (
            session.exec(
                select(target.id).where(target.business_id == business_id, target.number == number).limit(1)
            ).first()
            is None
        ):
            return number


def finalize(session: Session, employee: Employee, invoice_id: int) -> str:
    """Make a Draft Open with the business's next invoice number; returns the number."""
    _require_edit(session, employee)
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    _check_may_edit(session, employee, invoice)
    if invoice.status != InvoiceStatus.DRAFT:
        raise DomainError(f"Invoice #{invoice.number} is already finalized.")
    today = _business_today(session, invoice.business_id)
    if invoice.due_on < today:
        raise FieldErrors({"due_on": f"The due date ({display.day(invoice.due_on)}) has passed. Choose a later one."})
    if _line_count(session, saved_id(invoice)) == 0 or invoice.total_cents < 0:
        raise FieldErrors({"lines": "Add at least one line."})
    label = invoice.number
    invoice.number = next_number(session, invoice.business_id, INVOICE_COUNTER)
    invoice.status = InvoiceStatus.OPEN
    invoice.issued_on = today
    session.add(invoice)
    audit.record(
        session,
        "invoice.finalized",
        "invoice",
        invoice.id,
        business_id=invoice.business_id,
        employee=employee,
        number=invoice.number,
        draft_label=label,
        total_cents=invoice.total_cents,
    )
    invoices.touch(session, invoice.id)
    session.flush()
    return invoice.number


# ---------------------------------------------------------------- void


def void(session: Session, employee: Employee, invoice_id: int, reason: str) -> str:
    """Void the invoice: its links show "void", its waiting texts and emails are canceled. Returns
    what to tell the person."""
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    if Permission.VOID_INVOICES not in _permissions(session, employee):
        raise NotAllowed(NEEDS_VOID)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise FieldErrors({"reason": "Say why the invoice is voided (the reason is kept in its history)."})
    if len(reason) > VOID_REASON_MAX:
        raise FieldErrors({"reason": f"Keep the reason under {VOID_REASON_MAX} characters."})
    if blocked := void_blocked(session, invoice):
        raise DomainError(blocked)
    canceled = delivery.cancel_unsent(
        session,
        OutboundMessage.invoice_id == invoice.id,
        col(OutboundMessage.payment_link_id).is_not(None),
        actor=employee.name,
        reason=VOIDED_TEXT_REASON,
    )
    invoice.status = InvoiceStatus.VOID
    session.add(invoice)
    audit.record(
        session,
        "invoice.voided",
        "invoice",
        invoice.id,
        business_id=invoice.business_id,
        employee=employee,
        number=invoice.number,
        reason=reason,
        canceled_messages=sorted(saved_id(m) for m in canceled),
    )
    invoices.touch(session, invoice.id)
    webhooks.record_invoice_event(session, invoice, "invoice.voided", reason=reason)
    session.flush()
    said = f"Voided invoice #{invoice.number}. Its payment links no longer open it."
    texts = sum(1 for m in canceled if m.channel == "sms")
    emails = len(canceled) - texts
    if texts:
        said += f" Canceled {texts} waiting {'text' if texts == 1 else 'texts'}."
    if emails:
        said += f" Canceled {emails} waiting {'email' if emails == 1 else 'emails'}."
    return said


# ---------------------------------------------------------------- what the editor shows


@dataclass(frozen=True)
class Choice:
    id: int
    label: str


@dataclass(frozen=True)
class EditorLine:
    description: str
    quantity: str
    unit_price: str  # dollars, "125.00"


@dataclass(frozen=True)
class EditorData:
    invoice_id: int | None
    number: str
    status: str
    customer_id: int
    customer_name: str
    location_id: int | None
    job_id: int | None
    kind: str
    lines: list[EditorLine]
    tax: str
    due_on: str  # ISO
    locations: list[Choice]
    jobs: list[Choice]


def dollars(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}" if cents >= 0 else f"-{dollars(-cents)}"


def _quantity_text(quantity: Decimal) -> str:
    text = f"{Decimal(quantity):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def find_customers(session: Session, employee: Employee, text: str, limit: int = 8) -> list[Choice]:
    """Customers whose name's words start with the typed ones (the invoice search's rule)."""
    _require_edit(session, employee)
    if not _sees_all(session, employee):
        raise NotAllowed(TECH_OWN_JOBS)
    return customers_named(session, employee.business_id, text, limit)


def customers_named(session: Session, business_id: int, text: str, limit: int = 8) -> list[Choice]:
    """The business's customers whose names' words start with the typed ones (no permission check:
    callers check theirs)."""
    found = session.exec(
        select(Customer)
        .where(Customer.business_id == business_id)
        .where(invoices._name_matches(session, text[:100]))
        .order_by(col(Customer.name))
        .limit(limit)
    ).all()
    return [Choice(saved_id(c), c.name) for c in found]


def _customer_for_editor(session: Session, employee: Employee, customer_id: int) -> Customer:
    customer = session.get(Customer, customer_id)
    if customer is None or customer.business_id != employee.business_id:
        raise NotFound("That customer does not exist.")
    return customer


def _location_choices(session: Session, customer_id: int) -> list[Choice]:
    rows = session.exec(select(Location).where(Location.customer_id == customer_id).order_by(col(Location.id))).all()
    return [Choice(saved_id(row), f"{row.name} · {jobs.address_line(row)}") for row in rows]


def _job_choices(session: Session, employee: Employee, customer_id: int) -> list[Choice]:
    statement = select(Job).where(Job.customer_id == customer_id, Job.business_id == employee.business_id)
    if not _sees_all(session, employee):
        statement = statement.where(Job.technician_id == employee.id)
    rows = session.exec(statement.order_by(col(Job.scheduled_start).desc()).limit(50)).all()
    zone = session.get_one(Business, employee.business_id).time_zone
    return [
        Choice(
            saved_id(row),
            f"Job #{row.number} · {display.day(display.local(row.scheduled_start, zone).date())} · {row.summary}",
        )
        for row in rows
    ]


def new_invoice_form(
    session: Session, employee: Employee, customer_id: int | None = None, job_id: int | None = None
) -> EditorData:
    """A blank editor for a customer (office), or for a job (its customer and location filled in)."""
    _require_edit(session, employee)
    location_id = None
    if job_id is not None:
        job = session.get(Job, job_id)
        if (
            job is None
            or job.business_id != employee.business_id
            or (not _sees_all(session, employee) and job.technician_id != employee.id)
        ):
            raise NotFound(jobs.NOT_YOURS)
        customer_id, location_id = job.customer_id, job.location_id
    elif not _sees_all(session, employee):
        raise NotAllowed(TECH_OWN_JOBS)
    if customer_id is None:
        raise NotFound("Choose a customer first.")
    customer = _customer_for_editor(session, employee, customer_id)
    locations = _location_choices(session, saved_id(customer))
    if location_id is None and len(locations) == 1:
        location_id = locations[0].id
    today = _business_today(session, employee.business_id)
    return EditorData(
        invoice_id=None,
        number="",
        status=InvoiceStatus.DRAFT.value,
        customer_id=saved_id(customer),
        customer_name=customer.name,
        location_id=location_id,
        job_id=job_id,
        kind=InvoiceKind.JOB.value,
        lines=[EditorLine("", "1", "")],
        tax="0.00",
        due_on=(today + timedelta(days=DEFAULT_TERMS_DAYS)).isoformat(),
        locations=locations,
        jobs=_job_choices(session, employee, saved_id(customer)),
    )


def edit_form(session: Session, employee: Employee, invoice_id: int) -> EditorData:
    invoice = invoices.get_for_staff(session, employee, invoice_id)
    _check_may_edit(session, employee, invoice)
    if blocked := edit_blocked(session, invoice):
        raise DomainError(blocked)
    customer = session.get_one(Customer, invoice.customer_id)
    customer_id = saved_id(customer)
    lines = session.exec(
        select(InvoiceLine).where(InvoiceLine.invoice_id == invoice.id).order_by(col(InvoiceLine.position))
    ).all()
    return EditorData(
        invoice_id=invoice.id,
        number=invoice.number,
        status=invoice.status,
        customer_id=customer_id,
        customer_name=customer.name,
        location_id=invoice.location_id,
        job_id=invoice.job_id,
        kind=invoice.kind,
        lines=[
            EditorLine(line.description, _quantity_text(line.quantity), dollars(line.unit_price_cents))
            for line in lines
        ]
        or [EditorLine("", "1", "")],
        tax=dollars(invoice.tax_cents),
        due_on=invoice.due_on.isoformat(),
        locations=_location_choices(session, customer_id),
        jobs=_job_choices(session, employee, customer_id),
    )
