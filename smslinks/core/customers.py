"""Customers: their numbers, emails and service locations. One function creates, one changes.

The office pages, the REST API and CSV import all call `create_customer` and `update_customer` with
the same plain values (a `CustomerDraft`): every rule is checked here, all of the draft at once, and
a refusal names each wrong field (`FieldErrors`, keys such as "name", "phones.1.number",
"locations.0.postal_code"), so nothing is written half-way.

A draft is the customer's whole record: numbers, emails and locations left out of it are removed.
A removed number that texts were sent to is detached from them (the messages keep the number they
went to, and the audit row keeps its consent record); a service location with invoices or jobs
cannot be removed.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypedDict

from sqlalchemy import exc, tuple_, update
from sqlmodel import Session, col, func, or_, select

from smslinks.core import audit, delivery, display, locations, phones, reminders
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.invoices import _name_matches
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import (
    Business,
    Channel,
    Customer,
    EmailAddress,
    Employee,
    Invoice,
    Job,
    Location,
    OutboundMessage,
    PhoneNumber,
    PhoneType,
    saved_id,
    utcnow,
)

PAGE_SIZE = 25
NAME_MAX = 160
MAX_PHONES = 10
MAX_EMAILS = 10
MAX_LOCATIONS = 50
NOT_FOUND = "That customer does not exist or is not yours to see."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LOCATION_LIMITS = (("name", 160), ("street", 200), ("city", 100), ("region", 40), ("postal_code", 20))


@dataclass(frozen=True)
class CustomerDraft:
    """What a person (or another system) typed.

    phones: (number, type, label), type one of PhoneType ("Mobile", "Home", "Work", "Other");
    emails: (address, label); locations: (id or None for a new one, name, street, city, region,
    postal_code)."""

    name: str
    phones: Sequence[tuple[str, str, str]] = ()
    emails: Sequence[tuple[str, str]] = ()
    locations: Sequence[tuple[int | None, str, str, str, str, str]] = ()


@dataclass(frozen=True)
class PhoneRow:
    id: int
    number: str  # formatted for people: (303) 555-0101
    e164: str
    type: str
    label: str


@dataclass(frozen=True)
class EmailRow:
    id: int
    address: str
    label: str


@dataclass(frozen=True)
class LocationRow:
    id: int
    name: str
    street: str
    city: str
    region: str
    postal_code: str
    address: str  # one line
    time_zone: str
    zone_label: str  # "Mountain Time"
    zone_warning: str  # "" unless the postal code did not give the zone


@dataclass(frozen=True)
class CustomerInvoiceRow:
    id: int
    number: str
    status: str
    issued_on: str
    total: str
    balance: str


@dataclass(frozen=True)
class CustomerDetail:
    id: int
    name: str
    phones: list[PhoneRow]
    emails: list[EmailRow]
    locations: list[LocationRow]
    invoices: list[CustomerInvoiceRow] = field(default_factory=list)


@dataclass(frozen=True)
class CustomerRow:
    id: int
    name: str
    phone: str  # the first number, formatted, with its type: "(303) 555-0101 · Mobile"
    email: str
    place: str  # the first service location's city, and how many more


@dataclass(frozen=True)
class CustomerPage:
    rows: list[CustomerRow]
    next_cursor: str | None


# ------------------------------------------------------------------ checking a draft


@dataclass(frozen=True)
class _Phone:
    e164: str
    type: str
    label: str


@dataclass(frozen=True)
class _Email:
    address: str
    label: str


@dataclass(frozen=True)
class _Place:
    id: int | None
    name: str
    street: str
    city: str
    region: str
    postal_code: str


class _Changes(TypedDict, total=False):
    """What an edit changed, as its audit row (customer.updated) records it."""

    name: list[str]
    phones_added: list[str]
    phones_changed: list[str]
    phones_removed: list[dict[str, object]]
    emails_added: list[str]
    emails_removed: list[str]
    locations_added: list[str]
    locations_changed: list[list[str]]
    locations_removed: list[str]


@dataclass(frozen=True)
class _Checked:
    name: str
    phones: list[_Phone]
    emails: list[_Email]
    places: list[_Place]


def _clean(text) -> str:
    return " ".join(str(text or "").split())


def _callable(number) -> bool:
    try:
        phones.parse(str(number or ""), textable=False)
    except DomainError:
        return False
    return True


def _check(draft: CustomerDraft) -> _Checked:
    """The draft cleaned up, or FieldErrors naming every wrong field."""
    errors: dict[str, str] = {}
    name = _clean(draft.name)
    if not name:
        errors["name"] = "Enter the customer's name."
    elif len(name) > NAME_MAX:
        errors["name"] = f"Keep the name under {NAME_MAX} characters."

    checked_phones: list[_Phone] = []
    seen: dict[str, int] = {}
    if len(draft.phones) > MAX_PHONES:
        errors["phones"] = f"A customer can have at most {MAX_PHONES} numbers."
    for index, (number, kind, label) in enumerate(draft.phones[:MAX_PHONES]):
        key = f"phones.{index}"
        kind = _clean(kind).capitalize() or PhoneType.MOBILE.value
        if kind not in {t.value for t in PhoneType}:
            errors[f"{key}.type"] = "Choose Mobile, Home, Work or Other."
            continue
        label = _clean(label)
        if len(label) > 60:
            errors[f"{key}.label"] = "Keep the label under 60 characters."
        try:
            e164 = phones.parse(str(number or ""), textable=kind == PhoneType.MOBILE)
        except DomainError as error:
            errors[f"{key}.number"] = error.message + (
                " Save it as Home, Work or Other if it is only for calls."
                if kind == PhoneType.MOBILE and _callable(number)
                else ""
            )
            continue
        if e164 in seen:
            errors[f"{key}.number"] = (
                f"{phones.display(e164)} is already on this customer (number {seen[e164] + 1}). "
                "One number is saved once per customer."
            )
            continue
        seen[e164] = index
        checked_phones.append(_Phone(e164, kind, label))

    checked_emails: list[_Email] = []
    seen_emails: set[str] = set()
    if len(draft.emails) > MAX_EMAILS:
        errors["emails"] = f"A customer can have at most {MAX_EMAILS} email addresses."
    for index, (address, label) in enumerate(draft.emails[:MAX_EMAILS]):
        key = f"emails.{index}"
        address = str(address or "").strip().lower()
        label = _clean(label) or "Primary"
        if not _EMAIL.match(address) or len(address) > 254:
            errors[f"{key}.address"] = "Enter an email address such as name@example.com."
            continue
        if address in seen_emails:
            errors[f"{key}.address"] = f"{address} is already on this customer."
            continue
        if len(label) > 40:
            errors[f"{key}.label"] = "Keep the label under 40 characters."
        seen_emails.add(address)
        checked_emails.append(_Email(address, label))

    places: list[_Place] = []
    if len(draft.locations) > MAX_LOCATIONS:
        errors["locations"] = f"A customer can have at most {MAX_LOCATIONS} service locations."
    for index, row in enumerate(draft.locations[:MAX_LOCATIONS]):
        key = f"locations.{index}"
        location_id, place_name, street, city, region, postal_code = row
        values = {
            "name": _clean(place_name),
            "street": _clean(street),
            "city": _clean(city),
            "region": _clean(region).upper() if len(_clean(region)) <= 3 else _clean(region),
            "postal_code": _clean(postal_code).upper(),
        }
        if not values["street"]:
            errors[f"{key}.street"] = "Enter the street address."
        if not values["city"]:
            errors[f"{key}.city"] = "Enter the city."
        for part, limit in _LOCATION_LIMITS:
            if len(values[part]) > limit:
                errors[f"{key}.{part}"] = f"Keep it under {limit} characters."
        if location_id is not None and not isinstance(location_id, int):
            errors[key] = "This service location is not on this customer's record."
            continue
        places.append(
            _Place(
                location_id,
                values["name"] or values["street"],
                values["street"],
                values["city"],
                values["region"],
                values["postal_code"],
            )
        )
    if errors:
        raise FieldErrors(errors)
    return _Checked(name, checked_phones, checked_emails, places)


# ------------------------------------------------------------------ reading


def _customer_for(session: Session, employee: Employee, customer_id) -> Customer:
    """The customer, if it is this employee's business's; one message for absent and not yours."""
    customer = session.get(Customer, customer_id) if isinstance(customer_id, int) else None
    if customer is None or customer.business_id != employee.business_id:
        raise NotFound(NOT_FOUND)
    return customer


def _business_zone(session: Session, business_id: int) -> str:
    return session.get_one(Business, business_id).time_zone


def _address(location: Location) -> str:
    tail = " ".join(part for part in (location.region, location.postal_code) if part)
    return ", ".join(part for part in (location.street, location.city, tail) if part)


def detail(session: Session, employee: Employee, customer_id: int, *, now: datetime | None = None) -> CustomerDetail:
    """The customer's record and invoices (newest first), for someone who may view invoices."""
    require_permission(session, employee, Permission.VIEW_INVOICES)
    customer = _customer_for(session, employee, customer_id)
    return _detail(session, customer, now)


def _detail(session: Session, customer: Customer, now: datetime | None = None) -> CustomerDetail:
    zone = _business_zone(session, customer.business_id)
    phone_rows = session.exec(
        select(PhoneNumber).where(PhoneNumber.customer_id == customer.id).order_by(col(PhoneNumber.id))
    ).all()
    email_rows = session.exec(
        select(EmailAddress).where(EmailAddress.customer_id == customer.id).order_by(col(EmailAddress.id))
    ).all()
    location_rows = session.exec(
        select(Location).where(Location.customer_id == customer.id).order_by(col(Location.id))
    ).all()
    invoice_rows = session.exec(
        select(Invoice)
        .where(Invoice.customer_id == customer.id)
        .order_by(col(Invoice.issued_on).desc(), col(Invoice.id).desc())
        .limit(100)
    ).all()
    places = []
    for location in location_rows:
        label, warning = locations.zone_words(location, zone, now)
        places.append(
            LocationRow(
                id=saved_id(location),
                name=location.name,
                street=location.street,
                city=location.city,
                region=location.region,
                postal_code=location.postal_code,
                address=_address(location),
                time_zone=location.time_zone,
                zone_label=label,
                zone_warning=warning,
            )
        )
    return CustomerDetail(
        id=saved_id(customer),
        name=customer.name,
        phones=[PhoneRow(saved_id(p), phones.display(p.e164), p.e164, p.type, p.label) for p in phone_rows],
        emails=[EmailRow(saved_id(e), e.email, e.label) for e in email_rows],
        locations=places,
        invoices=[
            CustomerInvoiceRow(
                id=saved_id(i),
                number=i.number,
                status=i.status,
                issued_on=display.day(i.issued_on),
                total=display.money(i.total_cents),
                balance=display.money(i.balance_cents),
            )
            for i in invoice_rows
        ],
    )


def draft_of(detail_: CustomerDetail) -> CustomerDraft:
    """The draft that would save the record unchanged: what an edit form starts from."""
    return CustomerDraft(
        name=detail_.name,
        phones=[(p.number, p.type, p.label) for p in detail_.phones],
        emails=[(e.address, e.label) for e in detail_.emails],
        locations=[(loc.id, loc.name, loc.street, loc.city, loc.region, loc.postal_code) for loc in detail_.locations],
    )


def _cursor(customer: Customer) -> str:
    return f"{customer.id}:{customer.search_name}"


def _parse_cursor(cursor: str | None) -> tuple[str, int] | None:
    try:
        customer_id, name = (cursor or "").split(":", 1)
        return name, int(customer_id)
    except ValueError:
        return None


def search(
    session: Session, employee: Employee, query: str = "", after: str | None = None, page_size: int = PAGE_SIZE
) -> CustomerPage:
    """Customers by name (A to Z), matching the starts of their names' words or a phone number
    (theirs or a service location's) typed any way, all of it or its last 4+ digits. `after`: a
    page's next_cursor."""
    require_permission(session, employee, Permission.VIEW_INVOICES)
    statement = select(Customer).where(Customer.business_id == employee.business_id)
    text = query.strip()[:100]
    if text:
        matches = [_name_matches(session, text)]
        if digits := phones.search_digits(text):
            by_digits = (
                select(PhoneNumber.customer_id, PhoneNumber.location_id)
                .where(PhoneNumber.business_id == employee.business_id)
                .where(col(PhoneNumber.reversed_digits).startswith(digits[::-1]))
            ).subquery()
            matches.append(col(Customer.id).in_(select(by_digits.c.customer_id)))
            matches.append(
                col(Customer.id).in_(
                    select(Location.customer_id).where(col(Location.id).in_(select(by_digits.c.location_id)))
                )
            )
        statement = statement.where(or_(*matches))
    if position := _parse_cursor(after):
        statement = statement.where(tuple_(Customer.search_name, Customer.id) > tuple_(*position))
    found = session.exec(statement.order_by(col(Customer.search_name), col(Customer.id)).limit(page_size + 1)).all()
    shown = found[:page_size]
    ids = [c.id for c in shown]
    first_phone: dict[int | None, PhoneNumber] = {}
    for phone in session.exec(
        select(PhoneNumber).where(col(PhoneNumber.customer_id).in_(ids)).order_by(col(PhoneNumber.id))
    ).all():
        first_phone.setdefault(phone.customer_id, phone)
    first_email: dict[int, str] = {}
    for email in session.exec(
        select(EmailAddress).where(col(EmailAddress.customer_id).in_(ids)).order_by(col(EmailAddress.id))
    ).all():
        first_email.setdefault(email.customer_id, email.email)
    cities: dict[int, list[str]] = {}
    for location in session.exec(
        select(Location).where(col(Location.customer_id).in_(ids)).order_by(col(Location.id))
    ).all():
        cities.setdefault(location.customer_id, []).append(location.city)
    rows = []
    for customer in shown:
        customer_id = saved_id(customer)
        first = first_phone.get(customer_id)
        places = cities.get(customer_id, [])
        rows.append(
            CustomerRow(
                id=customer_id,
                name=customer.name,
                phone=f"{phones.display(first.e164)} · {first.type}" if first else "",
                email=first_email.get(customer_id, ""),
                place=(places[0] + (f" +{len(places) - 1} more" if len(places) > 1 else "")) if places else "",
            )
        )
    return CustomerPage(rows=rows, next_cursor=_cursor(shown[-1]) if len(found) > page_size else None)


def count(session: Session, employee: Employee) -> int:
    require_permission(session, employee, Permission.VIEW_INVOICES)
    return session.exec(
        select(func.count()).select_from(Customer).where(Customer.business_id == employee.business_id)
    ).one()


# ------------------------------------------------------------------ writing


def create_customer(
    session: Session, employee: Employee, draft: CustomerDraft, *, now: datetime | None = None
) -> CustomerDetail:
    """Add a customer with its numbers, emails and service locations, in the caller's transaction."""
    require_permission(session, employee, Permission.MANAGE_CUSTOMERS)
    checked = _check(draft)
    if any(place.id is not None for place in checked.places):
        raise FieldErrors(
            {
                f"locations.{index}": "This service location is not on this customer's record."
                for index, place in enumerate(checked.places)
                if place.id is not None
            }
        )
    now = now or utcnow()
    customer = Customer(business_id=employee.business_id, name=checked.name, search_name=checked.name.lower())
    session.add(customer)
    session.flush()
    for phone in checked.phones:
        _add_phone(session, employee, customer, phone, now, "when adding the customer")
    for email in checked.emails:
        session.add(EmailAddress(customer_id=saved_id(customer), email=email.address, label=email.label))
    zone = _business_zone(session, customer.business_id)
    for place in checked.places:
        _add_location(session, customer, place, zone)
    _flush(session)
    audit.record(
        session,
        "customer.created",
        "customer",
        customer.id,
        business_id=customer.business_id,
        employee=employee,
        name=customer.name,
        phones=[f"{p.e164} ({p.type})" for p in checked.phones],
        emails=[e.address for e in checked.emails],
        locations=[_place_words(p) for p in checked.places],
    )
    return _detail(session, customer, now)


def update_customer(
    session: Session, employee: Employee, customer_id: int, draft: CustomerDraft, *, now: datetime | None = None
) -> CustomerDetail:
    """Make the customer's record what the draft says (its whole record: rows left out are removed)."""
    require_permission(session, employee, Permission.MANAGE_CUSTOMERS)
    customer = _customer_for(session, employee, customer_id)
    checked = _check(draft)
    now = now or utcnow()
    existing_locations = {
        loc.id: loc for loc in session.exec(select(Location).where(Location.customer_id == customer.id)).all()
    }
    errors = {
        f"locations.{index}": "This service location is not on this customer's record."
        for index, place in enumerate(checked.places)
        if place.id is not None and place.id not in existing_locations
    }
    kept_ids = {place.id for place in checked.places if place.id is not None}
    removed_locations = [loc for loc_id, loc in existing_locations.items() if loc_id not in kept_ids]
    for location in removed_locations:
        if _location_in_use(session, saved_id(location)):
            errors["locations"] = (
                f'"{location.name}" has invoices or jobs, so it stays on the record. Change its address instead.'
            )
    if errors:
        raise FieldErrors(errors)

    changes: _Changes = {}
    if customer.name != checked.name:
        changes["name"] = [customer.name, checked.name]
        customer.name, customer.search_name = checked.name, checked.name.lower()
        session.add(customer)

    changes.update(_update_phones(session, employee, customer, checked.phones, now))
    changes.update(_update_emails(session, customer, checked.emails))

    zone = _business_zone(session, customer.business_id)
    added, changed = [], []
    for place in checked.places:
        if place.id is None:
            _add_location(session, customer, place, zone)
            added.append(_place_words(place))
            continue
        location = existing_locations[place.id]
        before = _place_words(
            _Place(location.id, location.name, location.street, location.city, location.region, location.postal_code)
        )
        if before == _place_words(place):
            continue
        location.name, location.street, location.city = place.name, place.street, place.city
        location.region, location.postal_code = place.region, place.postal_code
        locations.apply_zone(location, zone)
        session.add(location)
        changed.append([before, _place_words(place)])
    for location in removed_locations:
        _delete_phones(session, select(PhoneNumber).where(PhoneNumber.location_id == location.id))
        session.delete(location)
    if added:
        changes["locations_added"] = added
    if changed:
        changes["locations_changed"] = changed
    if removed_locations:
        changes["locations_removed"] = [loc.name for loc in removed_locations]
    if changes:
        customer.updated_at = now
        session.add(customer)
    _flush(session)
    if changes:
        audit.record(
            session,
            "customer.updated",
            "customer",
            customer.id,
            business_id=customer.business_id,
            employee=employee,
            **changes,
        )
    return _detail(session, customer, now)


def _flush(session: Session) -> None:
    """Write, turning a number saved twice by two racing requests into the usual refusal."""
    try:
        session.flush()
    except exc.IntegrityError as error:
        if "e164" in str(error.orig) or "ux_phone_number_customer_e164" in str(error.orig):
            raise FieldErrors(
                {
                    "phones": "One of these numbers was just saved on this customer by someone else. "
                    "Reload the customer and try again."
                }
            ) from None
        raise


def _place_words(place: _Place) -> str:
    tail = " ".join(part for part in (place.region, place.postal_code) if part)
    return f"{place.name}: " + ", ".join(part for part in (place.street, place.city, tail) if part)


def _add_location(session: Session, customer: Customer, place: _Place, business_zone: str) -> Location:
    location = Location(
        business_id=customer.business_id,
        customer_id=saved_id(customer),
        name=place.name,
        street=place.street,
        city=place.city,
        region=place.region,
        postal_code=place.postal_code,
    )
    locations.apply_zone(location, business_zone)
    session.add(location)
    return location


def _location_in_use(session: Session, location_id: int) -> bool:
    for model in (Invoice, Job):
        if session.exec(select(model.id).where(model.location_id == location_id).limit(1)).first() is not None:
            return True
    return False


def _consent(phone: PhoneNumber, employee: Employee, now: datetime, when: str) -> None:
    phone.consent_at = now
    phone.consent_by_employee_id = employee.id
    phone.consent_method = f"Given to {employee.name} {when}"[:120]


def _add_phone(session: Session, employee: Employee, customer: Customer, phone: _Phone, now: datetime, when: str):
    row = PhoneNumber(
        business_id=customer.business_id,
        customer_id=customer.id,
        e164=phone.e164,
        reversed_digits=phones.reversed_digits(phone.e164),
        type=phone.type,
        label=phone.label,
    )
    if phone.type == PhoneType.MOBILE:
        _consent(row, employee, now, when)
    session.add(row)


def _update_phones(session, employee, customer, wanted: list[_Phone], now) -> _Changes:
    current = {p.e164: p for p in session.exec(select(PhoneNumber).where(PhoneNumber.customer_id == customer.id)).all()}
    wanted_by_number = {p.e164: p for p in wanted}
    added, changed = [], []
    taken_off: dict[str, str] = {}  # Mobile numbers removed or changed: {e164: what was done}
    for phone in wanted:
        row = current.get(phone.e164)
        if row is None:
            _add_phone(session, employee, customer, phone, now, "when adding the number to the customer")
            added.append(f"{phone.e164} ({phone.type})")
            continue
        if (row.type, row.label) == (phone.type, phone.label):
            continue
        changed.append(f"{phone.e164}: {row.type} {row.label!r} -> {phone.type} {phone.label!r}")
        if phone.type == PhoneType.MOBILE and row.consent_at is None:
            _consent(row, employee, now, "when marking the number Mobile")
        if row.type == PhoneType.MOBILE and phone.type != PhoneType.MOBILE:
            taken_off[row.e164] = f"marked {{number}} {phone.type}"
        row.type, row.label = phone.type, phone.label
        session.add(row)
    removed = [row for e164, row in current.items() if e164 not in wanted_by_number]
    changes: _Changes = {}
    if removed:
        # Their consent record goes into the audit row: the texts sent to them may be asked about.
        changes["phones_removed"] = [
            {"e164": row.e164, "type": row.type, "consent_at": row.consent_at, "consent_method": row.consent_method}
            for row in removed
        ]
        taken_off.update(
            {row.e164: "removed {number} from the customer" for row in removed if row.type == PhoneType.MOBILE}
        )
        _delete_phones(session, removed)
    _stop_texts_to_numbers_taken_off(session, employee, customer, taken_off, now)
    if added:
        changes["phones_added"] = added
    if changed:
        changes["phones_changed"] = changed
    return changes


def _stop_texts_to_numbers_taken_off(
    session: Session, employee: Employee, customer: Customer, taken_off: dict[str, str], now: datetime
) -> None:
    """Mobile numbers the employee took off the customer's record or marked as not Mobile ({e164:
    what they did, naming the number as {number}}). Unless a number is still a Mobile number of the
    customer or of one of its locations, the texts to it for the customer's invoices that have not
    gone yet (held for quiet hours, or queued) are canceled and its reminders stop: tomorrow
    morning's text must not reach a number the office has just taken away."""
    if not taken_off:
        return
    session.flush()
    still_mobile = set(
        session.exec(
            select(PhoneNumber.e164).where(
                col(PhoneNumber.e164).in_(list(taken_off)),
                PhoneNumber.type == PhoneType.MOBILE,
                or_(
                    PhoneNumber.customer_id == customer.id,
                    col(PhoneNumber.location_id).in_(select(Location.id).where(Location.customer_id == customer.id)),
                ),
            )
        ).all()
    )
    invoice_ids = select(Invoice.id).where(Invoice.customer_id == customer.id)
    for e164, what in taken_off.items():
        if e164 in still_mobile:
            continue
        why = f"{employee.name} {what.format(number=phones.display(e164))}"
        delivery.cancel_unsent(
            session,
            OutboundMessage.to_address == e164,
            OutboundMessage.channel == Channel.SMS,
            col(OutboundMessage.invoice_id).in_(invoice_ids),
            actor=employee.name,
            reason=f"Not sent: {why} before it went out."[:300],
            now=now,
        )
        reminders.stop_for_number(session, invoice_ids, e164, why, now)


def _delete_phones(session: Session, rows) -> None:
    """Delete numbers; texts sent to them keep the number they went to (to_address), not the row."""
    if not isinstance(rows, list):
        rows = list(session.exec(rows).all())
    ids = [row.id for row in rows]
    if not ids:
        return
    session.exec(
        update(OutboundMessage).where(col(OutboundMessage.phone_number_id).in_(ids)).values(phone_number_id=None)
    )
    for row in rows:
        session.delete(row)
    session.flush()


def _update_emails(session: Session, customer: Customer, wanted: list[_Email]) -> _Changes:
    current = {
        e.email: e for e in session.exec(select(EmailAddress).where(EmailAddress.customer_id == customer.id)).all()
    }
    wanted_by_address = {e.address: e for e in wanted}
    added, removed = [], []
    for email in wanted:
        row = current.get(email.address)
        if row is None:
            session.add(EmailAddress(customer_id=saved_id(customer), email=email.address, label=email.label))
            added.append(email.address)
        elif row.label != email.label:
            row.label = email.label
            session.add(row)
    for address, row in current.items():
        if address not in wanted_by_address:
            session.delete(row)
            removed.append(address)
    changes: _Changes = {}
    if added:
        changes["emails_added"] = added
    if removed:
        changes["emails_removed"] = removed
    return changes
