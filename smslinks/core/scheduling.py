"""Scheduling a job for a technician: the office's one door (SCHEDULE_JOBS).

Times are typed in the service location's time zone and stored in UTC; the job then appears in the
technician's Today's jobs (core/jobs.todays_jobs) on its day.
"""

from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from smslinks.core import audit, display, jobs
from smslinks.core.company import FieldErrors
from smslinks.core.errors import NotAllowed
from smslinks.core.invoice_editing import JOB_COUNTER, Choice, customers_named, next_number
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.models import Customer, Employee, Invoice, InvoiceStatus, Job, JobStatus, Location, Role, saved_id

NEEDS_SCHEDULE = f'You need the "{Permission.SCHEDULE_JOBS.value}" permission to schedule jobs.'


@dataclass(frozen=True)
class JobDraft:
    customer_id: int | None
    location_id: int | None
    day: date | str  # "2026-12-03"
    start: time | str  # "09:30", in the location's time zone
    end: time | str
    summary: str
    technician_id: int | None


@dataclass(frozen=True)
class ScheduledRow:
    id: int
    number: str
    when: str
    customer: str
    technician: str
    summary: str
    status: str
    invoice_id: int  # 0: none yet
    invoice_number: str


def _require(session: Session, employee: Employee) -> None:
    if Permission.SCHEDULE_JOBS not in effective_permissions(session, employee):
        raise NotAllowed(NEEDS_SCHEDULE)


def _technicians(session: Session, business_id: int) -> list[Employee]:
    return list(
        session.exec(
            select(Employee)
            .where(
                Employee.business_id == business_id,
                Employee.role == Role.TECHNICIAN.value,
                col(Employee.active).is_(True),
            )
            .order_by(Employee.name)
        ).all()
    )


def find_customers(session: Session, employee: Employee, text: str) -> list[Choice]:
    _require(session, employee)
    return customers_named(session, employee.business_id, text)


def technician_choices(session: Session, employee: Employee) -> list[Choice]:
    _require(session, employee)
    return [Choice(saved_id(t), t.name) for t in _technicians(session, employee.business_id)]


def location_choices(session: Session, employee: Employee, customer_id: int) -> list[Choice]:
    _require(session, employee)
    customer = session.get(Customer, customer_id)
    if customer is None or customer.business_id != employee.business_id:
        return []
    rows = session.exec(select(Location).where(Location.customer_id == customer.id).order_by(col(Location.id))).all()
    return [Choice(saved_id(row), f"{row.name} · {jobs.address_line(row)}") for row in rows]


def _parse_time(value, field: str, errors: dict[str, str]) -> time | None:
    if isinstance(value, time):
        return value
    try:
        return time.fromisoformat(str(value).strip())
    except ValueError:
        errors[field] = "Enter a time such as 09:30."
        return None


def schedule_job(session: Session, employee: Employee, draft: JobDraft) -> int:
    """Create the job; returns its id. FieldErrors names each wrong field; nothing is written then."""
    _require(session, employee)
    errors: dict[str, str] = {}
    customer = session.get(Customer, draft.customer_id) if draft.customer_id is not None else None
    if customer is None or customer.business_id != employee.business_id:
        errors["customer_id"] = "Choose a customer."
        customer = None
    location = session.get(Location, draft.location_id) if draft.location_id is not None else None
    if location is None or location.business_id != employee.business_id:
        errors["location_id"] = "Choose a service location."
        location = None
    elif customer is not None and location.customer_id != customer.id:
        errors["location_id"] = "That service location is not this customer's."
        location = None
    technician = session.get(Employee, draft.technician_id) if draft.technician_id is not None else None
    if (
        technician is None
        or technician.business_id != employee.business_id
        or not technician.active
        or technician.role != Role.TECHNICIAN.value
    ):
        errors["technician_id"] = "Choose one of the business's active technicians."
        technician = None
    summary = " ".join(str(draft.summary or "").split())
    if not summary:
        errors["summary"] = 'Say what the job is (e.g. "AC not cooling").'
    elif len(summary) > 200:
        errors["summary"] = "Keep the summary under 200 characters."
    try:
        day = draft.day if isinstance(draft.day, date) else date.fromisoformat(str(draft.day).strip())
    except ValueError:
        errors["day"] = "Enter the day as a date (YYYY-MM-DD)."
        day = None
    start = _parse_time(draft.start, "start", errors)
    end = _parse_time(draft.end, "end", errors)
    if start and end and end <= start:
        errors["end"] = "The job must end after it starts."
    zone = ZoneInfo(location.time_zone) if location else None
    if day and location and "day" not in errors and day < jobs.today_in(location.time_zone):
        errors["day"] = "Choose today or a later day."
    if (
        errors
        or customer is None
        or location is None
        or technician is None
        or day is None
        or start is None
        or end is None
    ):  # each None has its error
        raise FieldErrors(errors)
    job = Job(
        business_id=employee.business_id,
        number=next_number(session, employee.business_id, JOB_COUNTER),
        customer_id=saved_id(customer),
        location_id=saved_id(location),
        technician_id=saved_id(technician),
        summary=summary,
        scheduled_start=datetime.combine(day, start, tzinfo=zone),
        scheduled_end=datetime.combine(day, end, tzinfo=zone),
        status=JobStatus.SCHEDULED,
    )
    session.add(job)
    session.flush()
    audit.record(
        session,
        "job.scheduled",
        "job",
        job.id,
        business_id=employee.business_id,
        employee=employee,
        number=job.number,
        technician=technician.name,
        start=job.scheduled_start.isoformat(),
    )
    return saved_id(job)


def upcoming(session: Session, employee: Employee, limit: int = 50) -> list[ScheduledRow]:
    """Jobs from today on, soonest first (the Jobs page's list)."""
    _require(session, employee)
    from smslinks.models import Business

    zone = session.get_one(Business, employee.business_id).time_zone
    start, _ = jobs._day_bounds(jobs.today_in(zone), zone)
    rows = session.exec(
        select(Job, Customer, Location, Employee)
        .join(Customer, col(Customer.id) == Job.customer_id)
        .join(Location, col(Location.id) == Job.location_id)
        .join(Employee, col(Employee.id) == Job.technician_id, isouter=True)
        .where(Job.business_id == employee.business_id, Job.scheduled_start >= start)
        .order_by(col(Job.scheduled_start))
        .limit(limit)
    ).all()
    invoiced: dict[int | None, Invoice] = {}  # by job id (Invoice.job_id, optional as the model has it)
    for invoice in session.exec(
        select(Invoice).where(col(Invoice.job_id).in_([job.id for job, *_ in rows])).order_by(col(Invoice.id))
    ).all():
        if invoice.status != InvoiceStatus.VOID or invoice.job_id not in invoiced:
            invoiced[invoice.job_id] = invoice
    return [
        ScheduledRow(
            id=saved_id(job),
            number=job.number,
            invoice_id=saved_id(invoiced[job.id]) if job.id in invoiced else 0,
            invoice_number=invoiced[job.id].number if job.id in invoiced else "",
            when=f"{display.day(display.local(job.scheduled_start, location.time_zone).date())} "
            f"{display.time_of_day(job.scheduled_start, location.time_zone)}",
            customer=customer.name,
            technician=tech.name if tech else "Unassigned",
            summary=job.summary,
            status=job.status,
        )
        for job, customer, location, tech in rows
    ]
