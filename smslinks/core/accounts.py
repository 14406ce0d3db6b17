"""Employees and the account switches that Technical Support controls."""

import re

from sqlmodel import Session, col, select

from smslinks.core import audit, phones
from smslinks.core.auth import hash_password, normalize_email
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission, parse_role, require_permission, set_permission
from smslinks.models import Business, Employee, PaymentSettings, SmsRegistrationStatus, saved_id

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
CANNOT_REMOVE_OWN_ACCESS = 'You cannot remove your own "Manage employees" permission: ask another administrator.'


def the_business(session: Session, business_id: int | None = None) -> Business:
    """The account an admin command applies to: the given one, or the only one there is."""
    if business_id is not None:
        business = session.get(Business, business_id)
        if business is None:
            raise NotFound(f"No business with id {business_id}.")
        return business
    businesses = session.exec(select(Business).order_by(col(Business.id)).limit(2)).all()
    if not businesses:
        raise NotFound(
            "There is no business yet. Run `smslinks setup` to create it (or `smslinks demo load` for demo data)."
        )
    if len(businesses) > 1:
        raise DomainError("Several businesses exist; say which one with --business ID.")
    return businesses[0]


def payment_settings(session: Session, business_id: int) -> PaymentSettings:
    settings = session.exec(select(PaymentSettings).where(PaymentSettings.business_id == business_id)).first()
    if settings is None:
        settings = PaymentSettings(business_id=business_id)
        session.add(settings)
        session.flush()
    return settings


def create_employee(session: Session, business: Business, email: str, password: str, name: str, role: str) -> Employee:
    email = normalize_email(email)
    if not EMAIL_PATTERN.match(email):
        raise DomainError(f"{email!r} is not an email address.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(f"Passwords need at least {MIN_PASSWORD_LENGTH} characters.")
    if not name.strip():
        raise DomainError("Give the employee a name.")
    try:
        parsed_role = parse_role(role)
    except ValueError as error:
        raise DomainError(str(error)) from None
    if session.exec(select(Employee).where(Employee.email == email)).first():
        raise DomainError(f"An employee with the email {email} already exists.")
    employee = Employee(
        business_id=saved_id(business),
        email=email,
        name=name.strip(),
        role=parsed_role.value,
        password_hash=hash_password(password),
    )
    session.add(employee)
    session.flush()
    audit.record(
        session,
        "employee.created",
        "employee",
        employee.id,
        business_id=business.id,
        actor=audit.SUPPORT_ACTOR,
        email=email,
        role=parsed_role.value,
    )
    return employee


def employee_by_email(session: Session, email: str) -> Employee:
    employee = session.exec(select(Employee).where(Employee.email == normalize_email(email))).first()
    if employee is None:
        raise NotFound(f"No employee with the email {email}.")
    return employee


def change_permission(
    session: Session,
    employee: Employee,
    permission: Permission,
    granted: bool,
    *,
    by: Employee | None = None,
) -> None:
    """Grant or revoke one permission. `by` is the employee making the change (None for support
    on the command line): they need "Manage employees", may only change their own business's
    employees, and cannot take "Manage employees" away from themselves."""
    if by is not None:
        require_permission(session, by, Permission.MANAGE_EMPLOYEES)
        if by.business_id != employee.business_id:
            raise NotFound("That employee does not exist or is not in your business.")
        if by.id == employee.id and permission is Permission.MANAGE_EMPLOYEES and not granted:
            raise DomainError(CANNOT_REMOVE_OWN_ACCESS)
    set_permission(session, employee, permission, granted)
    audit.record(
        session,
        "permission.granted" if granted else "permission.revoked",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=by,
        actor=audit.SUPPORT_ACTOR,
        permission=permission.value,
    )


def set_sms_links_available(session: Session, business: Business, available: bool) -> None:
    before = business.sms_links_available
    business.sms_links_available = available
    session.add(business)
    audit.record(
        session,
        "account.sms_links_available",
        "business",
        business.id,
        business_id=business.id,
        actor=audit.SUPPORT_ACTOR,
        before=before,
        after=available,
    )


def set_sms_registration(session: Session, business: Business, status: str, number: str | None = None) -> None:
    try:
        new_status = SmsRegistrationStatus(status)
    except ValueError:
        choices = ", ".join(s.value for s in SmsRegistrationStatus)
        raise DomainError(f"Unknown registration status {status!r}. Choose one of: {choices}.") from None
    before = (business.sms_registration_status, business.default_sending_number)
    business.sms_registration_status = new_status.value
    if number is not None:
        business.default_sending_number = phones.parse(number)
    session.add(business)
    audit.record(
        session,
        "account.sms_registration",
        "business",
        business.id,
        business_id=business.id,
        actor=audit.SUPPORT_ACTOR,
        before={"status": before[0], "number": before[1]},
        after={"status": new_status.value, "number": business.default_sending_number},
    )
