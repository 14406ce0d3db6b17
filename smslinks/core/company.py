"""The business itself: set up once, on a clean install, with its first administrator; then kept
up to date in Settings > Company.

`smslinks setup` calls `set_up`; the browser's first-run page calls `set_up_with_code` (the
one-time code the server printed, then `set_up`); Settings > Company calls `update_profile`.
Every field is checked first and a refusal names each field that is wrong, so nothing is written
half-way.
"""

import re
from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session, select

from smslinks.core import accounts, audit, online_payments, phones, setup_codes, time_zones
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, require_permission
from smslinks.core.sms_text import PayBy
from smslinks.models import Business, Employee, Role, saved_id

ALREADY_SET_UP = "This installation already has a business. Sign in, or manage it in Settings."
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_HOST_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
BAD_HOST = "Enter a host name such as pay.example-hvac.com, or leave it empty to use this app's address."
HOST_ONLY = "Enter only the host name, such as pay.example-hvac.com: no https://, no path."
# What each field is called in an audit row and on the page.
PROFILE_FIELDS = ("name", "phone", "email", "street", "city", "region", "postal_code", "time_zone")


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
        profile,
        name=name,
        phone=phone,
        email=email,
        time_zone=zone,
        street=profile.street.strip(),
        city=profile.city.strip(),
        region=profile.region.strip(),
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
        name=profile.name,
        phone=profile.phone,
        email=profile.email,
        time_zone=profile.time_zone,
        street=profile.street,
        city=profile.city,
        region=profile.region,
        postal_code=profile.postal_code,
    )
    session.add(business)
    session.flush()
    accounts.payment_settings(session, saved_id(business))
    admin = accounts.create_employee(session, business, admin_email, admin_password, admin_name, Role.ADMINISTRATOR)
    audit.record(
        session,
        "business.created",
        "business",
        business.id,
        business_id=business.id,
        actor=audit.SUPPORT_ACTOR,
        name=business.name,
        admin=admin.email,
    )
    return business, admin


def checked_host(host: str) -> str | None:
    """The business's own host for pay links (a bare host name, lower case), None for none; or FieldErrors."""
    host = (host or "").strip().lower().rstrip(".")
    if not host:
        return None
    if any(mark in host for mark in ("://", "/", "?", "#", "@", ":", " ")):
        raise FieldErrors({"host": HOST_ONLY})
    labels = host.split(".")
    if (
        len(host) > 253
        or len(labels) < 2
        or not all(_HOST_LABEL.match(label) for label in labels)
        or not labels[-1].isalpha()
    ):
        raise FieldErrors({"host": BAD_HOST})
    return host


def profile_of(business: Business) -> CompanyProfile:
    return CompanyProfile(
        name=business.name,
        phone=business.phone or "",
        email=business.email or "",
        time_zone=business.time_zone,
        street=business.street,
        city=business.city,
        region=business.region,
        postal_code=business.postal_code,
    )


def editable_profile(business: Business) -> dict[str, str]:
    """The profile as Settings > Company shows it for editing: the phone as people write it, the link host."""
    profile = profile_of(business)
    values = {field: getattr(profile, field) for field in PROFILE_FIELDS}
    values["phone"] = phones.display(profile.phone) if profile.phone else ""
    return {**values, "host": business.host or ""}


def _admin_errors(admin_name: str, admin_email: str, password: str, password_again: str) -> dict[str, str]:
    errors = {}
    if not " ".join(admin_name.split()):
        errors["admin_name"] = "Enter the administrator's name."
    elif len(admin_name.strip()) > 120:
        errors["admin_name"] = "Keep the name under 120 characters."
    email = admin_email.strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        errors["admin_email"] = "Enter the administrator's email address: it is how they sign in."
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        errors["admin_password"] = f"Use at least {accounts.MIN_PASSWORD_LENGTH} characters."
    elif len(password) > 1024:
        errors["admin_password"] = "Use at most 1024 characters."
    elif password != password_again:
        errors["admin_password_again"] = "The two passwords are not the same."
    return errors


def set_up_with_code(
    session: Session,
    code: str,
    profile: CompanyProfile,
    *,
    admin_name: str,
    admin_email: str,
    admin_password: str,
    admin_password_again: str,
    client: str,
) -> tuple[Business, Employee]:
    """The browser's first run: the one-time code the server printed, then `set_up`.

    Every wrong field is named at once (FieldErrors); a wrong code is counted for the client
    (and committed) but nothing else is written. Once the business exists, every code is gone."""
    if is_set_up(session):
        raise DomainError(ALREADY_SET_UP)
    client = (client or "unknown")[:64]
    try:
        setup_codes.check_throttle(session, client)
    except setup_codes.SetupThrottled as error:
        raise FieldErrors({"code": error.message}) from None
    errors: dict[str, str] = {}
    wrong_code = False
    if not setup_codes.normalized(code):
        errors["code"] = setup_codes.NO_CODE
    elif not setup_codes.is_valid(session, code):
        errors["code"] = setup_codes.WRONG_CODE
        wrong_code = True
    try:
        profile = checked(profile)
    except FieldErrors as bad:
        errors.update(bad.fields)
    errors.update(_admin_errors(admin_name, admin_email, admin_password, admin_password_again))
    if errors:
        if wrong_code:  # nothing else has been written yet: only the failure is committed
            setup_codes.record_failure(session, client)
        raise FieldErrors(errors)
    if not setup_codes.consume(session, code):  # another setup used the codes meanwhile
        raise FieldErrors({"code": setup_codes.WRONG_CODE})
    return set_up(
        session,
        profile,
        admin_email=admin_email,
        admin_name=" ".join(admin_name.split()),
        admin_password=admin_password,
    )


def update_profile(session: Session, employee: Employee, profile: CompanyProfile, host: str) -> list[str]:
    """Settings > Company: the same checks as set up, plus the link host; one audit row naming
    what changed (before and after). Returns the names of the changed fields."""
    require_permission(session, employee, Permission.MANAGE_COMPANY)
    business = session.get_one(Business, employee.business_id)
    errors: dict[str, str] = {}
    try:
        profile = checked(profile)
    except FieldErrors as bad:
        errors.update(bad.fields)
    try:
        new_host = checked_host(host)
    except FieldErrors as bad:
        errors.update(bad.fields)
    if errors:
        raise FieldErrors(errors)
    before = {**{field: getattr(profile_of(business), field) for field in PROFILE_FIELDS}, "host": business.host}
    after = {**{field: getattr(profile, field) for field in PROFILE_FIELDS}, "host": new_host}
    changed = [field for field in after if after[field] != before[field]]
    if changed:
        for field in changed:
            setattr(business, field, after[field])
        session.add(business)
        audit.record(
            session,
            "company.updated",
            "business",
            business.id,
            business_id=business.id,
            employee=employee,
            changes={field: [before[field], after[field]] for field in changed},
        )
    return changed


def preview(session: Session, employee: Employee, name: str, host: str) -> online_payments.MessagePreview:
    """The invoice text customers get, as it would read with this (unsaved) name and link host.
    A name or host that is not valid yet (half typed) keeps the saved one."""
    require_permission(session, employee, Permission.MANAGE_COMPANY)
    business = session.get_one(Business, employee.business_id)
    typed = " ".join((name or "").split())[:120]
    try:
        link_host = checked_host(host)
    except FieldErrors:
        link_host = business.host
    draft = Business(name=typed or business.name, host=link_host)
    return online_payments.preview(draft, PayBy.CARD)


def zone_hint(time_zone: str, postal_code: str, region: str = "") -> str:
    """How the page names the zone being typed ("Central Time", "Central Time, from the ZIP code");
    empty while it is not one."""
    typed = (time_zone or "").strip()
    zone = typed or time_zones.zone_for_postal_code(postal_code, region) or ""
    if not zone or not _is_zone(zone):
        return ""
    name = time_zones.zone_name(zone)
    return name if typed else f"{name} ({zone}), from the ZIP code"
