"""Technicians' jobs: a technician sees only the jobs assigned to them."""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from smslinks.core import display
from smslinks.core.errors import NotFound
from smslinks.models import Business, Customer, Employee, Job, Location, utcnow


@dataclass(frozen=True)
class JobRow:
    id: int
    number: str
    time: str
    customer: str
    address: str
    summary: str
    status: str


def address_line(location: Location) -> str:
    return f"{location.street}, {location.city}, {location.region} {location.postal_code}"


def _day_bounds(day: date, time_zone: str) -> tuple[datetime, datetime]:
    zone = ZoneInfo(time_zone)
    start = datetime.combine(day, time.min, tzinfo=zone)
    return start, start + timedelta(days=1)


def today_in(time_zone: str, now: datetime | None = None) -> date:
    return (now or utcnow()).astimezone(ZoneInfo(time_zone)).date()


def todays_jobs(session: Session, technician: Employee, now: datetime | None = None) -> list[JobRow]:
    business = session.get(Business, technician.business_id)
    start, end = _day_bounds(today_in(business.time_zone, now), business.time_zone)
    found = session.exec(
        select(Job, Customer, Location)
        .join(Customer, Customer.id == Job.customer_id)
        .join(Location, Location.id == Job.location_id)
        .where(Job.technician_id == technician.id)
        .where(Job.scheduled_start >= start, Job.scheduled_start < end)
        .order_by(Job.scheduled_start)
    ).all()
    return [
        JobRow(
            id=job.id,
            number=job.number,
            time=display.time_of_day(job.scheduled_start, location.time_zone),
            customer=customer.name,
            address=address_line(location),
            summary=job.summary,
            status=job.status,
        )
        for job, customer, location in found
    ]


def get_for_technician(session: Session, technician: Employee, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None or job.technician_id != technician.id:
        raise NotFound("That job does not exist or is not assigned to you.")
    return job
