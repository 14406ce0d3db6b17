"""The business itself: set up once, on a clean install, with its first administrator.

`smslinks setup` (and later the browser's first-run page) calls `set_up`; every field is checked
first and a refusal names each field that is wrong, so nothing is written half-way.
"""

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from smslinks.core import accounts, audit, phones, time_zones
from smslinks.core.errors import DomainError
from smslinks.models import Business, Employee, Role

ALREADY_SET_UP = "This installation already has a business. Sign in, or manage it in Settings."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass(frozen=True)
class CompanyProfile:
    """What customers see of the business: on texts, receipts and the pay page."""

    name: str
    phone: str
    email: str
    time_zone: str = ""  # IANA name; empty: from the postal code
    street: str = ""
    city: str = ""
    region: str = ""  # state or province
    postal_code: str = ""


class FieldErrors(DomainError):
    """Several fields are wrong at once: {field: what to fix}, shown beside each field."""

    def __init__(self, fields: dict[str, str]):
        super().__init__(" ".join(fields.values()))
        self.fields = fields


def checked(profile: CompanyProfile) -> CompanyProfile:
    """The profile cleaned up (E.164 phone, lower-case email, a real time zone), or FieldErrors."""
    errors: dict[str, str] = {}
    name = " ".join(profile.name.split())
    if not name:
        errors["name"] = "Enter the business's name."
    elif len(name) > 120:
        errors["name"] = "Keep the business's name under 120 characters."
    try:
        phone = phones.parse(profile.phone, textable=False)
    except DomainError as error:
        phone, errors["phone"] = "", error.message
    email = profile.email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = "Enter the email address customers can write to."
    zone = profile.time_zone.strip() or time_zones.zone_for_postal_code(profile.postal_code, profile.region) or ""
    if not zone:
        errors["time_zone"] = "Choose the time zone (e.g. America/Chicago), or give a US or Canadian postal code."
    elif not _is_zone(zone):
        errors["time_zone"] = f'"{zone[:40]}" is not a time zone. Use a name such as America/Chicago.'
    for field, limit in (("street", 200), ("city", 100), ("region", 40), ("postal_code", 20)):
        if len(getattr(profile, field).strip()) > limit:
            errors[field] = f"Keep it under {limit} characters."
    if errors:
        raise FieldErrors(errors)
    return replace(
        profile, name=name, phone=phone, email=email, time_zone=zone,
        street=profile.street.strip(), city=profile.city.strip(), region=profile.region.strip(),
        postal_code=profile.postal_code.strip().upper(),
    )


def _is_zone(name: str) -> bool:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return False
    return True


def is_set_up(session: Session) -> bool:
    return session.exec(select(Business.id).limit(1)).first() is not None


def set_up(
    session: Session, profile: CompanyProfile, *, admin_email: str, admin_name: str, admin_password: str
) -> tuple[Business, Employee]:
    """Create the business and its first administrator, in the caller's transaction."""
    if is_set_up(session):
        raise DomainError(ALREADY_SET_UP)
    profile = checked(profile)
    business = Business(
        name=profile.name, phone=profile.phone, email=profile.email, time_zone=profile.time_zone,
        street=profile.street, city=profile.city, region=profile.region, postal_code=profile.postal_code,
    )
    session.add(business)
    session.flush()
    accounts.payment_settings(session, business.id)
    admin = accounts.create_employee(session, business, admin_email, admin_password, admin_name, Role.ADMINISTRATOR)
    audit.record(session, "business.created", "business", business.id, business_id=business.id,
                 actor=audit.SUPPORT_ACTOR, name=business.name, admin=admin.email)
    return business, admin
