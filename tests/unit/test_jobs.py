"""core/jobs: a technician's day and one job, only ever their own."""

from datetime import UTC, datetime, timedelta

import pytest

from smslinks.core import jobs
from smslinks.core.errors import NotFound
from tests import factories


@pytest.fixture
def crew(session):
    business = factories.business(session)
    terry = factories.employee(session, business, "Technician", name="Terry Tech")
    sam = factories.employee(session, business, "Technician", name="Sam Tech")
    customer = factories.customer(session, business, "Maria Garcia")
    location = factories.location(session, customer)  # America/Chicago
    return business, terry, sam, location


def test_detail_shows_the_job_with_its_time_place_and_invoice(session, crew):
    _business, terry, _sam, location = crew
    start = datetime(2026, 11, 24, 16, 30, tzinfo=UTC)  # 10:30 AM in Chicago
    job = factories.job(session, location, terry, start=start)
    invoice = factories.invoice(session, location, job=job)
    detail = jobs.detail(session, terry, job.id)
    assert (detail.customer, detail.location_name) == ("Maria Garcia", "Home")
    assert (detail.day, detail.time) == ("Nov 24, 2026", "10:30 AM – 12:30 PM")
    assert detail.address == "100 Main St, Austin, TX 78701"
    assert detail.maps_url == "https://www.google.com/maps/search/?api=1&query=100+Main+St%2C+Austin%2C+TX+78701"
    assert (detail.invoice_id, detail.paid) == (invoice.id, False)


def test_another_technicians_job_is_refused_like_a_missing_one(session, crew):
    _business, terry, sam, location = crew
    job = factories.job(session, location, sam)
    for job_id in (job.id, 999_999):
        with pytest.raises(NotFound, match=jobs.NOT_YOURS):
            jobs.detail(session, terry, job_id)


def test_the_invoice_worked_with_is_the_newest_that_is_not_void(session, crew):
    _business, terry, _sam, location = crew
    job = factories.job(session, location, terry)
    assert jobs.detail(session, terry, job.id).invoice_id is None
    first = factories.invoice(session, location, job=job)
    factories.invoice(session, location, job=job, status="void")
    assert jobs.detail(session, terry, job.id).invoice_id == first.id


def test_todays_jobs_say_which_are_paid(session, crew):
    _business, terry, sam, location = crew
    now = datetime.now(UTC)
    paid_job = factories.job(session, location, terry, start=now)
    open_job = factories.job(session, location, terry, start=now)
    factories.invoice(session, location, job=paid_job, status="paid")
    factories.invoice(session, location, job=open_job)
    factories.job(session, location, sam, start=now)  # someone else's
    factories.job(session, location, terry, start=now - timedelta(days=2))  # another day
    rows = jobs.todays_jobs(session, terry, now=now)
    assert {(row.id, row.paid) for row in rows} == {(paid_job.id, True), (open_job.id, False)}
    assert jobs.detail(session, terry, paid_job.id).paid
