"""Finding invoices, and what staff may see of them."""

from dataclasses import dataclass

from sqlmodel import Session, func, or_, select

from smslinks.core import display, phones
from smslinks.core.errors import NotFound
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.models import (
    Customer,
    Employee,
    Invoice,
    InvoiceStatus,
    Job,
    Location,
    PhoneNumber,
    utcnow,
)

PAGE_SIZE = 25


@dataclass(frozen=True)
class InvoiceRow:
    id: int
    number: str
    customer: str
    kind: str
    status: str
    issued_on: str
    total: str
    balance: str


@dataclass(frozen=True)
class InvoicePage:
    rows: list[InvoiceRow]
    page: int
    has_next: bool


def _search_filter(query: str):
    """Invoice number, customer name or phone number, as a person types any of them."""
    text = query.strip()
    conditions = [Invoice.number == text.lstrip("#").upper()]
    name = text.lower()
    conditions.append(Customer.search_name.startswith(name, autoescape=True))
    digits = phones.search_digits(text)
    if digits:
        by_phone = (
            select(PhoneNumber.customer_id)
            .where(PhoneNumber.reversed_digits.startswith(digits[::-1]))
            .where(PhoneNumber.customer_id.is_not(None))
        )
        by_location_phone = (
            select(Location.customer_id)
            .join(PhoneNumber, PhoneNumber.location_id == Location.id)
            .where(PhoneNumber.reversed_digits.startswith(digits[::-1]))
        )
        conditions.append(Invoice.customer_id.in_(by_phone))
        conditions.append(Invoice.customer_id.in_(by_location_phone))
    return or_(*conditions)


def search(
    session: Session,
    employee: Employee,
    query: str = "",
    status: str | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> InvoicePage:
    page = max(1, page)
    statement = (
        select(Invoice, Customer.name)
        .join(Customer, Customer.id == Invoice.customer_id)
        .where(Invoice.business_id == employee.business_id)
    )
    if query.strip():
        statement = statement.where(_search_filter(query))
    if status:
        statement = statement.where(Invoice.status == InvoiceStatus(status).value)
    statement = (
        statement.order_by(Invoice.issued_on.desc(), Invoice.id.desc())
        .offset((page - 1) * page_size)
        .limit(page_size + 1)
    )
    found = session.exec(statement).all()
    rows = [
        InvoiceRow(
            id=invoice.id,
            number=invoice.number,
            customer=customer_name,
            kind=invoice.kind,
            status=invoice.status,
            issued_on=display.day(invoice.issued_on),
            total=display.money(invoice.total_cents),
            balance=display.money(invoice.balance_cents),
        )
        for invoice, customer_name in found[:page_size]
    ]
    return InvoicePage(rows=rows, page=page, has_next=len(found) > page_size)


def get_for_staff(session: Session, employee: Employee, invoice_id: int) -> Invoice:
    """The invoice, if this employee may see it: office staff see their business's invoices,
    technicians only those of jobs assigned to them. One message for "absent" and "not yours"."""
    invoice = session.get(Invoice, invoice_id)
    if invoice is None or not _may_see(session, employee, invoice):
        raise NotFound("That invoice does not exist or is not yours to see.")
    return invoice


def _may_see(session: Session, employee: Employee, invoice: Invoice) -> bool:
    if invoice.business_id != employee.business_id:
        return False
    permissions = effective_permissions(session, employee)
    if Permission.VIEW_INVOICES in permissions:
        return True
    if Permission.VIEW_ASSIGNED_JOBS in permissions and invoice.job_id is not None:
        job = session.get(Job, invoice.job_id)
        return job is not None and job.technician_id == employee.id
    return False


def count(session: Session, employee: Employee) -> int:
    return session.exec(
        select(func.count()).select_from(Invoice).where(Invoice.business_id == employee.business_id)
    ).one()


def touch(session: Session, invoice_id: int | None) -> None:
    """Mark the invoice changed: open office and technician pages watch updated_at to refresh.
    Call it in the same transaction as any change those pages show (messages, payments)."""
    if invoice_id is None:
        return
    invoice = session.get(Invoice, invoice_id)
    if invoice is not None:
        invoice.updated_at = utcnow()
        session.add(invoice)
