"""Technicians' jobs: a technician sees only the jobs assigned to them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import quote_plus
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, func, select

from smslinks.core import display
from smslinks.core.errors import NotFound
from smslinks.models import (
    Business,
    Customer,
    Employee,
    Invoice,
    InvoiceStatus,
    Job,
    Location,
    Payment,
    PaymentStatus,
    saved_id,
    utcnow,
)

NOT_YOURS = "That job does not exist or is not assigned to you."


@dataclass(frozen=True)
class JobRow:
    id: int
    number: str
    time: str
    customer: str
    address: str
    summary: str
    status: str
    paid: bool  # the job's invoice is paid


@dataclass(frozen=True)
class JobDetail:
    id: int
    number: str
    day: str  # "Nov 24, 2026"
    time: str  # "10:30 AM – 12:30 PM"
    customer: str
    location_name: str
    address: str
    maps_url: str
    summary: str
    status: str
    invoice_id: int | None  # the invoice the technician works with (see _job_invoice)
    paid: bool
    tips: str = ""  # tips customers paid on this job's invoices credited to this technician, e.g. $43.04


def address_line(location: Location) -> str:
    return f"{location.street}, {location.city}, {location.region} {location.postal_code}"


def _day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def today_in(time_zone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()


def todays_jobs(session: Session, technician: Employee, now: datetime | None = None) -> list[JobRow]:
    business = session.get_one(Business, technician.business_id)
    start, end = _day_bounds(today_in(business.time_zone, now), business.time_zone)
    found = session.exec(
        select(Job, Customer, Location)
        .join(Customer, col(Customer.id) == Job.customer_id)
        .join(Location, col(Location.id) == Job.location_id)
        .where(Job.technician_id == technician.id)
        .where(Job.scheduled_start >= start, Job.scheduled_start < end)
        .order_by(col(Job.scheduled_start))
    ).all()
    invoices = _invoices_by_job(session, [saved_id(job) for job, _, _ in found])
    return [
        JobRow(
            id=saved_id(job),
            number=job.number,
            time=display.time_of_day(job.scheduled_start, location.time_zone),
            customer=customer.name,
            address=address_line(location),
            summary=job.summary,
            status=job.status,
            paid=_is_paid(_job_invoice(invoices.get(job.id, []))),
        )
        for job, customer, location in found
    ]


def get_for_technician(session: Session, technician: Employee, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.technician_id != technician.id:
        raise NotFound(NOT_YOURS)
    return job


def detail(session: Session, technician: Employee, job_id: int) -> JobDetail:
    """One of the technician's jobs, with the invoice they would send from it."""
    job = get_for_technician(session, technician, job_id)
    customer = session.get_one(Customer, job.customer_id)
    location = session.get_one(Location, job.location_id)
    invoice = _job_invoice(_invoices_by_job(session, [saved_id(job)]).get(job.id, []))
    zone = location.time_zone
    start, end = display.time_of_day(job.scheduled_start, zone), display.time_of_day(job.scheduled_end, zone)
    address = address_line(location)
    return JobDetail(
        id=saved_id(job),
        number=job.number,
        day=display.day(display.local(job.scheduled_start, zone).date()),
        time=start if start == end else f"{start} – {end}",
        customer=customer.name,
        location_name=location.name,
        address=address,
        maps_url=maps_url(address),
        summary=job.summary,
        status=job.status,
        invoice_id=saved_id(invoice) if invoice else None,
        paid=_is_paid(invoice),
        tips=_tips_for(session, technician, job),
    )


def _tips_for(session: Session, technician: Employee, job: Job) -> str:
    """The tips this technician keeps on the job (succeeded payments, less tips refunded), or "" if none."""
    cents = session.exec(
        select(func.coalesce(func.sum(Payment.tip_cents - Payment.tip_refunded_cents), 0))
        .join(Invoice, col(Invoice.id) == Payment.invoice_id)
        .where(
            Invoice.job_id == job.id,
            Payment.tip_employee_id == technician.id,
            Payment.status == PaymentStatus.SUCCEEDED,
        )
    ).one()
    return display.money(cents) if cents else ""


def maps_url(address: str) -> str:
    """A Google Maps link that opens the maps app on iPhone and Android, or the web page."""
    return f"https://www.google.com/maps/search/?api=1&query={quote_plus(address)}"


def _invoices_by_job(session: Session, job_ids: list[int]) -> dict[int | None, list[Invoice]]:
    """{job id: its invoices, newest first}, keyed by Invoice.job_id (optional, as the model has it)."""
    found: dict[int | None, list[Invoice]] = {}
    if job_ids:
        for invoice in session.exec(
            select(Invoice).where(col(Invoice.job_id).in_(job_ids)).order_by(col(Invoice.id).desc())
        ).all():
            found.setdefault(invoice.job_id, []).append(invoice)
    return found


def _job_invoice(newest_first: list[Invoice]) -> Invoice | None:
    """The invoice a technician works with: the job's newest one that is not void, else its newest."""
    live = [invoice for invoice in newest_first if invoice.status != InvoiceStatus.VOID]
    return (live or newest_first)[0] if newest_first else None


def _is_paid(invoice: Invoice | None) -> bool:
    return invoice is not None and invoice.status == InvoiceStatus.PAID
