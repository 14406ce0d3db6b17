"""Demo data: one HVAC and plumbing business in Austin, its staff, customers, jobs and invoices.

Most service locations are around Austin (Central Time); a few customers have a second place in
another time zone, and one a ZIP code we cannot place, so quiet hours and the zone warnings show.

Loading is idempotent: a second run changes nothing except moving the technicians' demo jobs to
today, so "Today's jobs" is never empty on a later day, and setting each location's time zone from
its address (demo data loaded before zones followed addresses had them all in Central Time).
"""

import random
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from smslinks.core import accounts, consent, phones
from smslinks.core.jobs import today_in
from smslinks.core.locations import apply_zone
from smslinks.models import (
    Business,
    Customer,
    EmailAddress,
    Employee,
    Invoice,
    InvoiceKind,
    InvoiceLine,
    InvoiceStatus,
    Job,
    JobStatus,
    Location,
    Payment,
    PaymentMethod,
    PaymentStatus,
    PhoneNumber,
    PhoneType,
    Role,
    SmsRegistrationStatus,
    utcnow,
)

BUSINESS_NAME = "Lone Star Heating & Air"
TIME_ZONE = "America/Chicago"
DEMO_PASSWORD = "smslinks-demo"
TAX_RATE_BASIS_POINTS = 825  # 8.25% Texas sales tax on parts

DEMO_STAFF = [
    ("admin@example.com", "Avery Admin", Role.ADMINISTRATOR),
    ("manager@example.com", "Morgan Manager", Role.MANAGER),
    ("office@example.com", "Olivia Office", Role.OFFICE_EMPLOYEE),
    ("accountant@example.com", "Alex Accountant", Role.ACCOUNTANT),
    ("bookkeeper@example.com", "Blake Bookkeeper", Role.BOOKKEEPER),
    ("dispatcher@example.com", "Dana Dispatcher", Role.DISPATCHER),
    ("csr@example.com", "Casey Service", Role.CSR),
    ("tech@example.com", "Terry Technician", Role.TECHNICIAN),
    ("tech2@example.com", "Sam Technician", Role.TECHNICIAN),
]

_FIRST = [
    "Maria",
    "James",
    "Linda",
    "Robert",
    "Patricia",
    "Michael",
    "Jennifer",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Carlos",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Sandra",
    "Luis",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Melissa",
    "George",
    "Deborah",
    "Timothy",
    "Stephanie",
    "Ronald",
    "Rebecca",
    "Jason",
]
_LAST = [
    "Garcia",
    "Johnson",
    "Nguyen",
    "Smith",
    "Martinez",
    "Brown",
    "Hernandez",
    "Davis",
    "Lopez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Gomez",
    "Phillips",
    "Evans",
    "Turner",
    "Diaz",
]
_STREETS = [
    "Barton Springs Rd",
    "S Lamar Blvd",
    "Burnet Rd",
    "E Cesar Chavez St",
    "Manor Rd",
    "W 38th St",
    "Red River St",
    "S Congress Ave",
    "Airport Blvd",
    "Bee Cave Rd",
    "Slaughter Ln",
    "Parmer Ln",
    "William Cannon Dr",
    "Mopac Expy",
    "Guadalupe St",
]
_CITIES = [
    ("Austin", "78704"),
    ("Austin", "78745"),
    ("Round Rock", "78664"),
    ("Pflugerville", "78660"),
    ("Cedar Park", "78613"),
    ("Austin", "78751"),
]
# (customer index, name, street, city, region, postal code): out-of-town places with an open invoice.
# Customers 0-7 have today's technician jobs and stay all in Austin; these all have a mobile number.
_AWAY = [
    (12, "Ski condo", "1550 Wewatta St", "Denver", "CO", "80202"),
    (13, "Winter home", "200 W Washington St", "Phoenix", "AZ", "85004"),
    (15, "Mother's house", "500 N Broadway", "Los Angeles", "CA", "90012"),
    (16, "Apartment", "350 W 31st St", "New York", "NY", "10001"),
    (18, "Condo", "15 Mercer St", "Toronto", "ON", "M5V 2T6"),
    (20, "New build", "Lot 14 Sandy Creek Rd", "Leander", "TX", "78699"),  # a ZIP the data does not know
    (22, "Rental property", "201 N Oregon St", "El Paso", "TX", "79901"),  # Texas, but Mountain Time
]
_COMMERCIAL = [
    "Rosa's Taqueria",
    "Hill Country Dental",
    "Eastside Yoga Studio",
    "Bluebonnet Property Management",
    "Capitol Auto Repair",
]

# (description, quantity, unit price in cents, taxable part)
_WORK = [
    [("Diagnostic service call", 1, 8900, False), ("Capacitor 45/5 MFD", 1, 14500, True), ("Labor", 1, 9500, False)],
    [("AC tune-up, 21-point inspection", 1, 12900, False), ("R-410A refrigerant (lb)", 2, 9500, True)],
    [("Water heater flush", 1, 15900, False), ("Anode rod", 1, 6800, True)],
    [
        ("Furnace safety inspection", 1, 11900, False),
        ("Flame sensor", 1, 5400, True),
        ("Air filter 16x25x1", 2, 1800, True),
    ],
    [("Drain cleaning, main line", 1, 24900, False), ("Camera inspection", 1, 17500, False)],
    [("Thermostat replacement", 1, 9500, False), ("Smart thermostat", 1, 21900, True)],
    [("Condenser fan motor", 1, 38900, True), ("Labor (hours)", 2, 11000, False)],
    [("Garbage disposal replacement", 1, 14900, False), ("1/2 HP disposal unit", 1, 18900, True)],
    [("Ductwork repair", 1, 42500, False), ("Mastic and foil tape", 1, 3900, True)],
    [("Emergency after-hours call", 1, 14900, False), ("Contactor 40A", 1, 8900, True), ("Labor", 1, 9500, False)],
]
_MEMBERSHIP = [("Comfort Club membership, annual", 1, 18900, False)]
_STATEMENT = [("Statement balance forward", 1, 45600, False)]

_TODAY_SLOTS = [time(8, 0), time(10, 30), time(13, 0), time(15, 30)]


@dataclass
class LoadResult:
    created: bool
    jobs_moved_to_today: int
    zones_corrected: int = 0


def load(session: Session, seed: int = 7) -> LoadResult:
    business = session.exec(select(Business).where(Business.name == BUSINESS_NAME)).first()
    if business is not None:
        return LoadResult(
            created=False,
            jobs_moved_to_today=_move_jobs_to_today(session, business),
            zones_corrected=_correct_zones(session, business),
        )
    rng = random.Random(seed)
    business = _business(session)
    staff = {email: _employee(session, business, email, name, role) for email, name, role in DEMO_STAFF}
    technicians = [staff["tech@example.com"], staff["tech2@example.com"]]
    today = today_in(TIME_ZONE)
    invoice_numbers = iter(range(10001, 20000))
    job_numbers = iter(range(5001, 9000))
    for index in range(50):
        customer, locations = _customer(session, business, index, rng)
        for _ in range(rng.randint(1, 4)):
            _past_invoice(
                session,
                business,
                customer,
                rng.choice(locations),
                rng,
                today,
                next(invoice_numbers),
                next(job_numbers),
                technicians,
            )
        if index < 4:
            _invoice(
                session,
                business,
                customer,
                locations[0],
                None,
                next(invoice_numbers),
                InvoiceKind.MEMBERSHIP if index % 2 == 0 else InvoiceKind.STATEMENT,
                InvoiceStatus.OPEN,
                today - timedelta(days=3),
                rng,
            )
    _todays_jobs(session, business, technicians, rng, invoice_numbers, job_numbers)
    # Last, so the random draws above (and the customers, numbers and invoices tests know) stay as they were.
    _away_locations(session, business, rng, today, invoice_numbers, job_numbers, technicians)
    session.flush()
    return LoadResult(created=True, jobs_moved_to_today=0)


def _business(session: Session) -> Business:
    business = Business(
        name=BUSINESS_NAME,
        time_zone=TIME_ZONE,
        phone="+15125559000",
        email="office@lonestarair.example",
        sms_links_available=True,
        sms_registration_status=SmsRegistrationStatus.APPROVED,
        sms_brand_id="BN3F4C2A1D0E9B8A7",
        sms_campaign_id="CM8D7C6B5A4F3E2D1",
        default_sending_number="+15125559001",
    )
    session.add(business)
    session.flush()
    settings = accounts.payment_settings(session, business.id)
    settings.sms_links_enabled = True
    settings.office_sms_enabled = True
    settings.mobile_email_enabled = True
    settings.mobile_sms_enabled = True
    session.add(settings)
    return business


def _employee(session: Session, business: Business, email: str, name: str, role: Role) -> Employee:
    return accounts.create_employee(session, business, email, DEMO_PASSWORD, name, role.value)


def _phone(number: int) -> str:
    """Austin 512-555-xxxx numbers: 555 exchange numbers are not given to real subscribers."""
    return phones.parse(f"512-555-{number:04d}")


def _add_phone(session, business, kind, e164, label, *, customer=None, location=None, opted_out=False):
    now = utcnow()
    session.add(
        PhoneNumber(
            business_id=business.id,
            customer_id=customer.id if customer else None,
            location_id=location.id if location else None,
            e164=e164,
            reversed_digits=phones.reversed_digits(e164),
            type=kind,
            label=label,
            consent_at=now - timedelta(days=200) if kind == PhoneType.MOBILE else None,
            consent_method="Given verbally when booking the first job" if kind == PhoneType.MOBILE else None,
        )
    )
    if opted_out:
        consent.opt_out(session, business.id, e164, 'reply "STOP"', at=now - timedelta(days=12))


def _customer(session: Session, business: Business, index: int, rng: random.Random):
    commercial = index % 10 == 9
    name = _COMMERCIAL[index // 10] if commercial else f"{_FIRST[index]} {_LAST[index]}"
    customer = Customer(business_id=business.id, name=name, search_name=name.lower())
    session.add(customer)
    session.flush()
    slug = name.lower().replace(" ", ".").replace("'", "")
    session.add(EmailAddress(customer_id=customer.id, email=f"{slug}@example.net"))
    locations = []
    for place in range(2 if commercial or index % 7 == 0 else 1):
        city, postal = rng.choice(_CITIES)
        location = Location(
            business_id=business.id,
            customer_id=customer.id,
            name="Main office" if commercial and place == 0 else ("Rental property" if place else "Home"),
            street=f"{rng.randint(100, 9800)} {rng.choice(_STREETS)}",
            city=city,
            region="TX",
            postal_code=postal,
        )
        apply_zone(location, TIME_ZONE)
        session.add(location)
        locations.append(location)
    session.flush()
    base = 100 + index * 4
    # Most customers have a mobile; some only a landline; a few have opted out of texts.
    if index % 6 != 5:
        _add_phone(
            session, business, PhoneType.MOBILE, _phone(base), "Cell", customer=customer, opted_out=index in (3, 17, 31)
        )
    if index % 3 == 0 or index % 6 == 5:
        _add_phone(session, business, PhoneType.HOME, _phone(base + 1), "Home", customer=customer)
    if commercial:
        _add_phone(session, business, PhoneType.WORK, _phone(base + 2), "Front desk", location=locations[0])
    if len(locations) > 1:
        _add_phone(session, business, PhoneType.MOBILE, _phone(base + 3), "Tenant", location=locations[1])
    return customer, locations


def _invoice(session, business, customer, location, job, number, kind, status, issued_on, rng):
    lines = {InvoiceKind.MEMBERSHIP: _MEMBERSHIP, InvoiceKind.STATEMENT: _STATEMENT}.get(kind, rng.choice(_WORK))
    invoice = Invoice(
        business_id=business.id,
        number=str(number),
        customer_id=customer.id,
        location_id=location.id,
        job_id=job.id if job else None,
        kind=kind,
        status=status,
        issued_on=issued_on,
        due_on=issued_on + timedelta(days=30),
    )
    session.add(invoice)
    session.flush()
    subtotal = taxable = 0
    for position, (description, quantity, unit_cents, is_part) in enumerate(lines, start=1):
        amount = quantity * unit_cents
        subtotal += amount
        taxable += amount if is_part else 0
        session.add(
            InvoiceLine(
                invoice_id=invoice.id,
                position=position,
                description=description,
                quantity=quantity,
                unit_price_cents=unit_cents,
                amount_cents=amount,
            )
        )
    invoice.subtotal_cents = subtotal
    invoice.tax_cents = (taxable * TAX_RATE_BASIS_POINTS + 5000) // 10000
    invoice.total_cents = subtotal + invoice.tax_cents
    if status == InvoiceStatus.PAID:
        invoice.amount_paid_cents = invoice.total_cents
        # Paid a few days after it was issued (never in the future), for Insights' time to pay.
        paid_at = datetime.combine(issued_on + timedelta(days=int(number) % 9), time(16, int(number) % 60), UTC)
        invoice.paid_at = min(paid_at, datetime.now(UTC))
        session.add(
            Payment(
                invoice_id=invoice.id,
                amount_cents=invoice.total_cents,
                method=rng.choice([PaymentMethod.CARD, PaymentMethod.ACH]),
                status=PaymentStatus.SUCCEEDED,
            )
        )
    session.add(invoice)
    return invoice


def _away_locations(session, business, rng, today, invoice_numbers, job_numbers, technicians):
    customers = session.exec(select(Customer).where(Customer.business_id == business.id).order_by(Customer.id)).all()
    for index, name, street, city, region, postal in _AWAY:
        customer = customers[index]
        location = Location(
            business_id=business.id,
            customer_id=customer.id,
            name=name,
            street=street,
            city=city,
            region=region,
            postal_code=postal,
        )
        apply_zone(location, business.time_zone)
        session.add(location)
        session.flush()
        yesterday = today - timedelta(days=1)
        start = datetime.combine(yesterday, time(9, 0), tzinfo=ZoneInfo(location.time_zone))
        job = Job(
            business_id=business.id,
            number=str(next(job_numbers)),
            customer_id=customer.id,
            location_id=location.id,
            technician_id=rng.choice(technicians).id,
            summary="Service visit",
            scheduled_start=start,
            scheduled_end=start + timedelta(hours=2),
            status=JobStatus.COMPLETED,
        )
        session.add(job)
        session.flush()
        _invoice(
            session,
            business,
            customer,
            location,
            job,
            next(invoice_numbers),
            InvoiceKind.JOB,
            InvoiceStatus.OPEN,
            yesterday,
            rng,
        )


def _correct_zones(session: Session, business: Business) -> int:
    """Set every demo location's time zone from its address; how many changed."""
    rows = session.exec(select(Location).where(Location.business_id == business.id)).all()
    changed = [row for row in rows if apply_zone(row, business.time_zone)]
    session.add_all(changed)
    return len(changed)


def _past_invoice(session, business, customer, location, rng, today, number, job_number, technicians):
    days_ago = rng.randint(1, 120)
    issued_on = today - timedelta(days=days_ago)
    status = rng.choices(
        [InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.DRAFT, InvoiceStatus.VOID],
        weights=[5, 5, 1, 1],
    )[0]
    start = datetime.combine(issued_on, time(9, 0), tzinfo=ZoneInfo(TIME_ZONE))
    job = Job(
        business_id=business.id,
        number=str(job_number),
        customer_id=customer.id,
        location_id=location.id,
        technician_id=rng.choice(technicians).id,
        summary="Service visit",
        scheduled_start=start,
        scheduled_end=start + timedelta(hours=2),
        status=JobStatus.COMPLETED,
    )
    session.add(job)
    session.flush()
    _invoice(session, business, customer, location, job, number, InvoiceKind.JOB, status, issued_on, rng)


_TODAY_WORK = [
    "No cooling upstairs",
    "Annual furnace maintenance",
    "Water heater leaking",
    "Thermostat not responding",
    "Kitchen drain backing up",
    "AC making a buzzing noise",
    "Replace garbage disposal",
    "Duct inspection before move-in",
]


def _todays_jobs(session, business, technicians, rng, invoice_numbers, job_numbers):
    customers = session.exec(select(Customer).where(Customer.business_id == business.id).order_by(Customer.id)).all()
    for slot, customer in enumerate(customers[:8]):
        location = session.exec(select(Location).where(Location.customer_id == customer.id)).first()
        job = Job(
            business_id=business.id,
            number=str(next(job_numbers)),
            customer_id=customer.id,
            location_id=location.id,
            technician_id=technicians[slot % 2].id,
            summary=_TODAY_WORK[slot],
            scheduled_start=utcnow(),
            scheduled_end=utcnow(),
            status=JobStatus.IN_PROGRESS if slot < 2 else JobStatus.SCHEDULED,
        )
        session.add(job)
        session.flush()
        _invoice(
            session,
            business,
            customer,
            location,
            job,
            next(invoice_numbers),
            InvoiceKind.JOB,
            InvoiceStatus.OPEN,
            today_in(TIME_ZONE),
            rng,
        )
    _move_jobs_to_today(session, business)


def _move_jobs_to_today(session: Session, business: Business) -> int:
    """Put the demo's not-completed technician jobs on today's schedule."""
    jobs = session.exec(
        select(Job).where(Job.business_id == business.id, Job.status != JobStatus.COMPLETED).order_by(Job.id)
    ).all()
    zone = ZoneInfo(business.time_zone)
    today: date = today_in(business.time_zone)
    moved = 0
    for index, job in enumerate(jobs):
        start = datetime.combine(today, _TODAY_SLOTS[(index // 2) % len(_TODAY_SLOTS)], tzinfo=zone)
        if job.scheduled_start != start:
            job.scheduled_start = start
            job.scheduled_end = start + timedelta(hours=2)
            session.add(job)
            moved += 1
    return moved
