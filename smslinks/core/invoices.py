"""Finding invoices, and what staff may see of them."""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import cast

import sqlalchemy as sa
from sqlalchemy import false, literal_column, tuple_
from sqlmodel import Session, and_, col, func, or_, select

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
    Payment,
    PaymentMethod,
    PaymentStatus,
    PhoneNumber,
    saved_id,
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
    # Keyset pagination: where this page's last row sits, to fetch the page after it.
    next_cursor: str | None
    # The search matched more customers than it reads (MAX_MATCHED_CUSTOMERS): the rows are some of
    # their invoices only, and typing more would narrow it.
    too_many_customers: bool = False


# A search matching more customers than this lists the invoices of some of them (and says so).
MAX_MATCHED_CUSTOMERS = 1000


# Words of a name search that count; more only narrow an already narrow search.
MAX_NAME_WORDS = 4
# "Garcia, Maria": commas typed between words separate them like spaces.
_TYPED_WORD_BREAKS = re.compile(r"[\s,]+")


def _typed_words(text: str) -> list[str]:
    """The words of a search, lower-cased; those without a letter or digit mean nothing."""
    return [word for word in _TYPED_WORD_BREAKS.split(text.lower()) if re.search(r"\w", word)][:MAX_NAME_WORDS]


def _name_matches(session: Session, text: str):
    """Every typed word starts a word of the customer's name, in any order: "garcia", "maria gar"
    and "garcia, maria" all find Maria Garcia.

    On PostgreSQL a full-text prefix query ('garcia':* & 'maria':*) served by ix_customer_name_words;
    its parser also breaks words at punctuation ("brien" finds O'Brien). SQLite breaks at spaces."""
    words = _typed_words(text)
    if not words:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        # Each word quoted as a lexeme (quotes doubled, backslashes escaped), so no typed character is
        # tsquery syntax; the expression is the index's.
        query = " & ".join("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
        name_words = func.to_tsvector(literal_column("'simple'::regconfig"), Customer.search_name)
        return name_words.op("@@")(func.to_tsquery(literal_column("'simple'::regconfig"), query))
    name = col(Customer.search_name)
    return and_(
        *(or_(name.startswith(word, autoescape=True), name.contains(" " + word, autoescape=True)) for word in words)
    )


def _matching_customer_ids(session: Session, business_id: int, text: str) -> tuple[list[int], bool]:
    """Customers whose name has words starting with the typed ones, or with a number ending in the
    typed digits. Both are served by indexes (phone digits are stored reversed for a prefix
    search), so they stay fast on large tables; their invoices are then read from
    ix_invoice_by_customer. Returns them, and whether either search found more than
    MAX_MATCHED_CUSTOMERS."""
    # One more than are read tells whether there were more.
    named = session.exec(
        select(Customer.id)
        .where(Customer.business_id == business_id)
        .where(_name_matches(session, text))
        .limit(MAX_MATCHED_CUSTOMERS + 1)
    ).all()
    too_many = len(named) > MAX_MATCHED_CUSTOMERS
    found = set(cast(Sequence[int], named[:MAX_MATCHED_CUSTOMERS]))  # primary keys, never None
    digits = phones.search_digits(text)
    if digits:
        owners = session.exec(
            select(PhoneNumber.customer_id, PhoneNumber.location_id)
            .where(PhoneNumber.business_id == business_id)
            .where(col(PhoneNumber.reversed_digits).startswith(digits[::-1]))
            .limit(MAX_MATCHED_CUSTOMERS + 1)
        ).all()
        too_many = too_many or len(owners) > MAX_MATCHED_CUSTOMERS
        owners = owners[:MAX_MATCHED_CUSTOMERS]
        found.update(customer_id for customer_id, _ in owners if customer_id is not None)
        location_ids = [location_id for _, location_id in owners if location_id is not None]
        if location_ids:
            found.update(session.exec(select(Location.customer_id).where(col(Location.id).in_(location_ids))).all())
    return sorted(found), too_many


def _cursor(invoice: Invoice) -> str:
    return f"{invoice.issued_on.isoformat()}_{invoice.id}"


def _parse_cursor(cursor: str | None) -> tuple[date, int] | None:
    try:
        day, invoice_id = (cursor or "").split("_")
        return date.fromisoformat(day), int(invoice_id)
    except ValueError:
        return None


def search(
    session: Session,
    employee: Employee,
    query: str = "",
    status: str | None = None,
    after: str | None = None,
    page_size: int = PAGE_SIZE,
) -> InvoicePage:
    """Newest invoices first, matching an invoice number, a customer's name (the starts of its
    words) or a phone number typed any way (all of it, or its last 4+ digits). `after`: a page's
    next_cursor."""
    conditions = [col(Invoice.business_id) == employee.business_id]
    if status:
        conditions.append(col(Invoice.status) == InvoiceStatus(status).value)
    if position := _parse_cursor(after):
        conditions.append(tuple_(Invoice.issued_on, Invoice.id) < tuple_(*position))
    statement = select(Invoice, Customer.name).join(Customer, col(Customer.id) == Invoice.customer_id)
    text = query.strip()
    too_many_customers = False
    if text:
        customer_ids, too_many_customers = _matching_customer_ids(session, employee.business_id, text)
        # Gather the matches, then sort them: bounded work (the invoices of at most
        # MAX_MATCHED_CUSTOMERS customers, read from ix_invoice_by_customer alone). Left to itself
        # PostgreSQL may instead walk the date index from the newest invoice down looking for them:
        # 100+ ms at a million invoices when they are all old.
        by_customer = select(col(Invoice.id), col(Invoice.issued_on)).where(
            *conditions, col(Invoice.customer_id).in_(customer_ids)
        )
        by_number = select(col(Invoice.id), col(Invoice.issued_on)).where(
            *conditions, Invoice.number == text.lstrip("#").upper()
        )
        matched = by_customer.union(by_number).cte("matched").prefix_with("MATERIALIZED")
        page = (
            select(matched.c.id)
            .order_by(matched.c.issued_on.desc(), matched.c.id.desc())
            .limit(page_size + 1)
            .subquery("page")
        )
        statement = statement.join(page, page.c.id == Invoice.id)
    else:
        statement = statement.where(*conditions).limit(page_size + 1)
    found = session.exec(statement.order_by(col(Invoice.issued_on).desc(), col(Invoice.id).desc())).all()
    # An open invoice with a bank payment on its way reads "pending", as on its own page.
    in_flight = payments_in_flight(
        session, [saved_id(invoice) for invoice, _ in found[:page_size] if invoice.status == InvoiceStatus.OPEN]
    )
    rows = [
        InvoiceRow(
            id=saved_id(invoice),
            number=invoice.number,
            customer=customer_name,
            kind=invoice.kind,
            status="pending" if invoice.id in in_flight else invoice.status,
            issued_on=display.day(invoice.issued_on),
            total=display.money(invoice.total_cents),
            balance=display.money(invoice.balance_cents),
        )
        for invoice, customer_name in found[:page_size]
    ]
    more = len(found) > page_size
    return InvoicePage(
        rows=rows,
        next_cursor=_cursor(found[page_size - 1][0]) if more else None,
        too_many_customers=too_many_customers,
    )


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


@dataclass(frozen=True)
class PaymentsInFlight:
    """An invoice's payments Stripe is still processing (bank debits take days): on their way, not
    yet collected."""

    amount_cents: int
    since: datetime
    bank_only: bool

    @classmethod
    def among(cls, payments: Sequence[Payment]) -> "PaymentsInFlight | None":
        """The same, from an invoice's payments already read (payments_in_flight's rule, for one invoice)."""
        processing = [payment for payment in payments if payment.status == PaymentStatus.PROCESSING]
        if not processing:
            return None
        return cls(
            sum(payment.amount_cents for payment in processing),
            min(payment.created_at for payment in processing),
            all(payment.method == PaymentMethod.ACH for payment in processing),
        )


def payments_in_flight(session: Session, invoice_ids: list[int]) -> dict[int, PaymentsInFlight]:
    """{invoice id: its processing payments} for those invoices that have any."""
    if not invoice_ids:
        return {}
    rows = session.exec(
        select(
            Payment.invoice_id,
            func.sum(Payment.amount_cents),
            func.min(Payment.created_at),
            func.min(sa.case((col(Payment.method) == PaymentMethod.ACH.value, 1), else_=0)),
        )
        .where(col(Payment.invoice_id).in_(invoice_ids), Payment.status == PaymentStatus.PROCESSING.value)
        .group_by(col(Payment.invoice_id))
    ).all()
    return {
        invoice_id: PaymentsInFlight(int(total), since, bool(all_bank)) for invoice_id, total, since, all_bank in rows
    }


def payable_while_in_flight(balance_cents: int, in_flight: PaymentsInFlight | None, partial_allowed: bool) -> int:
    """What a customer may still be asked to pay: the balance, less bank debits on their way. While
    a payment is processing, only a business that takes partial payments asks for the remainder."""
    if in_flight is None:
        return balance_cents
    if not partial_allowed or not in_flight.bank_only:
        return 0
    return max(0, balance_cents - in_flight.amount_cents)
