"""Small builders for test data; each returns a flushed row with an id."""

import itertools
import re
from datetime import UTC, date, datetime, timedelta

from reflex.istate.data import HeaderData
from sqlmodel import Session

from smslinks import routes
from smslinks.api.state_secrets import hash_session_cookie
from smslinks.core import accounts, invoice_editing, phones
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
    PhoneNumber,
    PhoneType,
    SmsRegistrationStatus,
)

PASSWORD = "correct-horse-battery"
_counter = itertools.count(1)


def business(session: Session, **overrides) -> Business:
    values = dict(
        name="Test Plumbing",
        time_zone="America/Chicago",
        phone="+15125550999",
        sms_links_available=True,
        sms_registration_status=SmsRegistrationStatus.APPROVED,
        default_sending_number="+15125550998",
    )
    values.update(overrides)
    row = Business(**values)
    session.add(row)
    session.flush()
    return row


def employee(session: Session, business: Business, role: str = "Office employee", **overrides) -> Employee:
    n = next(_counter)
    row = accounts.create_employee(
        session,
        business,
        overrides.pop("email", f"person{n}@example.com"),
        overrides.pop("password", PASSWORD),
        overrides.pop("name", f"Person {n}"),
        role,
    )
    for key, value in overrides.items():
        setattr(row, key, value)
    session.flush()
    return row


def customer(session: Session, business: Business, name: str | None = None) -> Customer:
    name = name or f"Customer {next(_counter)}"
    row = Customer(business_id=business.id, name=name, search_name=name.lower())
    session.add(row)
    session.flush()
    return row


def location(session: Session, customer: Customer, time_zone: str = "America/Chicago") -> Location:
    row = Location(
        business_id=customer.business_id,
        customer_id=customer.id,
        name="Home",
        street="100 Main St",
        city="Austin",
        region="TX",
        postal_code="78701",
        time_zone=time_zone,
    )
    session.add(row)
    session.flush()
    return row


def phone(
    session: Session,
    number: str,
    *,
    customer: Customer | None = None,
    location: Location | None = None,
    type: str = PhoneType.MOBILE,
) -> PhoneNumber:
    e164 = phones.parse(number)
    owner = customer or location
    row = PhoneNumber(
        business_id=owner.business_id,
        customer_id=customer.id if customer else None,
        location_id=location.id if location else None,
        e164=e164,
        reversed_digits=phones.reversed_digits(e164),
        type=type,
        label=type,
    )
    session.add(row)
    session.flush()
    return row


def job(session: Session, location: Location, technician: Employee | None, start: datetime | None = None) -> Job:
    start = start or datetime.now(UTC)
    row = Job(
        business_id=location.business_id,
        number=str(next(_counter)),
        customer_id=location.customer_id,
        location_id=location.id,
        technician_id=technician.id if technician else None,
        summary="Fix the AC",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=2),
    )
    session.add(row)
    session.flush()
    return row


def invoice(
    session: Session,
    location: Location,
    *,
    total_cents: int = 25_000,
    kind: str = InvoiceKind.JOB,
    status: str = InvoiceStatus.OPEN,
    job: Job | None = None,
    number: str | None = None,
) -> Invoice:
    row = Invoice(
        business_id=location.business_id,
        # From the business's own counter, as finalizing does: the two never collide.
        number=number or invoice_editing.next_number(session, location.business_id),
        customer_id=location.customer_id,
        location_id=location.id,
        job_id=job.id if job else None,
        kind=kind,
        status=status,
        issued_on=date.today(),
        due_on=date.today() + timedelta(days=30),
        subtotal_cents=total_cents,
        total_cents=total_cents,
    )
    session.add(row)
    session.flush()
    session.add(
        InvoiceLine(
            invoice_id=row.id,
            position=1,
            description="Service call",
            quantity=1,
            unit_price_cents=total_cents,
            amount_cents=total_cents,
        )
    )
    session.flush()
    return row


def zone_where_local_hour_is(hour: int, now: datetime | None = None) -> str:
    """An IANA zone ("Etc/GMT+5" is UTC-5) whose local time is now within the given hour.

    Quiet hours depend on the clock: tests pick the service location's zone from this instead."""
    utc_hour = (now or datetime.now(UTC)).astimezone(UTC).hour
    offset = (utc_hour - hour) % 24  # hours behind UTC
    if offset > 12:
        offset -= 24
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'+' if offset > 0 else '-'}{abs(offset)}"


def sign_in_state(state, token: str) -> None:
    """A staff page's state as its websocket reaches it: the session cookie, hashed on the way in."""
    state.rx_router_headers = HeaderData(cookie=hash_session_cookie(f"{routes.SESSION_COOKIE}={token}"))


def handed_over_token(answer) -> str:
    """The session token a sign-in handler's answer posts to /auth/session (state.session.save_session_cookie)."""
    script = answer.args[0][1]._var_value
    return re.search(r'body: "([^"]+)"', script).group(1)
