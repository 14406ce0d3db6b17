"""Settings > Company > Employees: who works for the business and what each of them may do.

Everything here is seen through the eyes of the person asking: they need "Manage employees" and
only ever see or change employees of their own business.
"""

import secrets
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum

from sqlmodel import Session, col, func, select

from smslinks.core import accounts, api_keys, audit, auth, tokens
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import (
    DESCRIPTIONS,
    ROLE_DEFAULTS,
    Permission,
    effective_permissions,
    parse_permission,
    parse_role,
    require_permission,
)
from smslinks.models import Business, Employee, EmployeeInvitation, Role, saved_id, utcnow

INVITATION_DAYS = 7
# The password of an invited employee until they choose one: no argon2 hash matches it.
NO_PASSWORD = "!invited"
NOT_YOURS = "That employee does not exist or is not in your business."
INVITATION_NOT_USABLE = (
    "This invitation link cannot be used: it may have expired (links last "
    f"{INVITATION_DAYS} days), been used already, or been mistyped. Ask your administrator for a new one."
)
CANNOT_DEACTIVATE_YOURSELF = "You cannot deactivate yourself: ask another administrator."
CANNOT_CHANGE_OWN_ROLE = "You cannot change your own role: ask another administrator."
LAST_ADMINISTRATOR = (
    "{name} is the only active administrator. Make someone else an administrator first: a business always keeps one."
)
# Letters and digits nobody confuses when reading them aloud or off a screen.
_READABLE = "abcdefghjkmnpqrstuvwxyz23456789"


class FieldErrors(DomainError):
    """Several fields were refused; `fields` maps each field's name to what is wrong with it."""

    def __init__(self, fields: dict[str, str]):
        super().__init__("Check the highlighted fields.")
        self.fields = fields


class Access(StrEnum):
    INVITATION = "invitation"
    TEMPORARY_PASSWORD = "temporary_password"


class Status(StrEnum):
    ACTIVE = "Active"
    INVITED = "Invited"
    DEACTIVATED = "Deactivated"


@dataclass(frozen=True)
class Added:
    employee_id: int
    name: str
    access: Access
    # The invitation token or the temporary password, to show once; never stored as it is.
    secret: str = field(repr=False)


@dataclass(frozen=True)
class EmployeeRow:
    id: int
    name: str
    email: str
    role: str
    # How many permissions differ from the role's defaults (0: exactly the role's).
    changes_from_role: int
    status: str = Status.ACTIVE.value
    # The admin looking at the list (who cannot deactivate themselves or change their own role).
    is_me: bool = False


@dataclass(frozen=True)
class PermissionRow:
    permission: str
    description: str
    on: bool
    role_default: bool
    # Why the switch cannot be used, or "" when it can.
    locked_reason: str


def _differences(session: Session, employee: Employee) -> set[Permission]:
    return set(effective_permissions(session, employee)) ^ set(ROLE_DEFAULTS[Role(employee.role)])


def _status(employee: Employee) -> Status:
    if not employee.active:
        return Status.DEACTIVATED
    return Status.INVITED if employee.password_hash == NO_PASSWORD else Status.ACTIVE


def roster(session: Session, admin: Employee) -> list[EmployeeRow]:
    """Everyone of the admin's business: active (and invited) people first, then deactivated ones."""
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    staff = session.exec(
        select(Employee)
        .where(Employee.business_id == admin.business_id)
        .where(col(Employee.id).not_in(api_keys.api_key_employee_ids()))  # Settings > API keys lists those
        .order_by(col(Employee.active).desc(), col(Employee.name))
    ).all()
    return [
        EmployeeRow(
            saved_id(person),
            person.name,
            person.email,
            person.role,
            len(_differences(session, person)) if person.active else 0,
            _status(person).value,
            person.id == admin.id,
        )
        for person in staff
    ]


def colleague(session: Session, admin: Employee, employee_id: int, *, inactive_too: bool = False) -> Employee:
    """An (active, unless inactive_too) employee of the admin's business; one answer for "absent"
    and "not yours"."""
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    employee = session.get(Employee, employee_id) if isinstance(employee_id, int) else None
    if (
        employee is None
        or employee.business_id != admin.business_id
        or not (employee.active or inactive_too)
        or api_keys.is_api_key_employee(session, saved_id(employee))
    ):
        raise NotFound(NOT_YOURS)
    return employee


def permission_rows(session: Session, admin: Employee, employee_id: int) -> list[PermissionRow]:
    employee = colleague(session, admin, employee_id)
    granted = effective_permissions(session, employee)
    defaults = ROLE_DEFAULTS[Role(employee.role)]
    return [
        PermissionRow(
            permission=permission.value,
            description=DESCRIPTIONS[permission],
            on=permission in granted,
            role_default=permission in defaults,
            locked_reason=(
                accounts.CANNOT_REMOVE_OWN_ACCESS
                if employee.id == admin.id and permission is Permission.MANAGE_EMPLOYEES
                else ""
            ),
        )
        for permission in Permission
    ]


def change(session: Session, admin: Employee, employee_id: int, permission: str, granted: bool) -> Employee:
    """Grant or revoke one permission of a colleague (audited by accounts.change_permission)."""
    employee = colleague(session, admin, employee_id)
    try:
        parsed = parse_permission(permission)
    except ValueError as error:
        raise DomainError(str(error)) from None
    if not isinstance(granted, bool):
        raise DomainError(f'"{parsed.value}" is either granted or not.')
    accounts.change_permission(session, employee, parsed, granted, by=admin)
    return employee


# --- Adding people -------------------------------------------------------------------------------


def _new_employee_errors(session: Session, name: str, email: str, role: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "Give the employee a name."
    elif len(name.strip()) > 120:
        errors["name"] = "Names have at most 120 characters."
    if not email:
        errors["email"] = "Give the employee's email: they sign in with it."
    elif len(email) > 254 or not accounts.EMAIL_PATTERN.match(email):
        errors["email"] = f"{email} is not an email address."
    elif session.exec(select(Employee.id).where(Employee.email == email)).first() is not None:
        errors["email"] = f"An employee with the email {email} already exists."
    try:
        parse_role(role)
    except ValueError:
        errors["role"] = "Choose one of the roles."
    return errors


def temporary_password() -> str:
    """Three groups of four readable characters (about 59 bits): typed once, then replaced."""
    return "-".join("".join(secrets.choice(_READABLE) for _ in range(4)) for _ in range(3))


def add_employee(session: Session, admin: Employee, name: str, email: str, role: str, access: str) -> Added:
    """Add an employee who gets in with an invitation link or a temporary password. Nothing is
    written when a field is wrong (FieldErrors names each one)."""
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    name, email, role = str(name or "").strip(), auth.normalize_email(str(email or "")), str(role or "")
    try:
        how = Access(access)
    except ValueError:
        raise DomainError("Choose an invitation link or a temporary password.") from None
    errors = _new_employee_errors(session, name, email, role)
    if errors:
        raise FieldErrors(errors)
    parsed_role = parse_role(role)
    secret = "" if how is Access.INVITATION else temporary_password()
    employee = Employee(
        business_id=admin.business_id,
        email=email,
        name=name,
        role=parsed_role.value,
        password_hash=NO_PASSWORD if how is Access.INVITATION else auth.hash_password(secret),
        must_change_password=how is Access.TEMPORARY_PASSWORD,
    )
    session.add(employee)
    session.flush()
    if how is Access.INVITATION:
        secret = _invitation(session, admin, employee)
    audit.record(
        session,
        "employee.invited" if how is Access.INVITATION else "employee.created",
        "employee",
        employee.id,
        business_id=admin.business_id,
        employee=admin,
        name=name,
        email=email,
        role=parsed_role.value,
        access=how.value,
    )
    return Added(saved_id(employee), name, how, secret)


def _invitation(session: Session, admin: Employee, employee: Employee) -> str:
    """A new invitation link's token; any earlier link of theirs stops working."""
    now = utcnow()
    for earlier in session.exec(
        select(EmployeeInvitation).where(
            EmployeeInvitation.employee_id == employee.id, col(EmployeeInvitation.used_at).is_(None)
        )
    ).all():
        earlier.used_at = now  # retired: one link at a time
        session.add(earlier)
    token = tokens.new_invitation_token()
    session.add(
        EmployeeInvitation(
            employee_id=saved_id(employee),
            token_hash=tokens.token_hash(token),
            invited_by_employee_id=admin.id,
            expires_at=now + timedelta(days=INVITATION_DAYS),
        )
    )
    return token


def new_invitation(session: Session, admin: Employee, employee_id: int) -> Added:
    """Another link for someone who has not chosen a password yet (theirs expired, or got lost)."""
    employee = colleague(session, admin, employee_id)
    if _status(employee) is not Status.INVITED:
        raise DomainError(f"{employee.name} has already chosen a password.")
    secret = _invitation(session, admin, employee)
    audit.record(
        session,
        "employee.invited",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=admin,
        name=employee.name,
        email=employee.email,
        role=employee.role,
        access=Access.INVITATION.value,
        again=True,
    )
    return Added(saved_id(employee), employee.name, Access.INVITATION, secret)


# --- Roles, deactivation -------------------------------------------------------------------------


def _active_administrators(session: Session, business_id: int) -> int:
    return session.exec(
        select(func.count())
        .select_from(Employee)
        .where(
            Employee.business_id == business_id,
            Employee.active,
            Employee.role == Role.ADMINISTRATOR.value,
        )
    ).one()


def _keeps_an_administrator(session: Session, employee: Employee) -> None:
    if (
        employee.active
        and employee.role == Role.ADMINISTRATOR.value
        and _active_administrators(session, employee.business_id) <= 1
    ):
        raise DomainError(LAST_ADMINISTRATOR.format(name=employee.name))


def change_role(session: Session, admin: Employee, employee_id: int, role: str) -> Employee:
    """Give a colleague another role: its default permissions apply from now on, and their own
    grants and revocations stay as they are."""
    employee = colleague(session, admin, employee_id, inactive_too=True)
    try:
        parsed = parse_role(str(role or ""))
    except ValueError as error:
        raise DomainError(str(error)) from None
    if parsed.value == employee.role:
        return employee
    if employee.id == admin.id:
        raise DomainError(CANNOT_CHANGE_OWN_ROLE)
    if parsed is not Role.ADMINISTRATOR:
        _keeps_an_administrator(session, employee)
    before = employee.role
    employee.role = parsed.value
    session.add(employee)
    audit.record(
        session,
        "employee.role_changed",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=admin,
        before=before,
        after=parsed.value,
    )
    return employee


def deactivate(session: Session, admin: Employee, employee_id: int) -> Employee:
    """They can no longer sign in, and the sessions they have open end now. Their name stays on
    everything they did."""
    employee = colleague(session, admin, employee_id, inactive_too=True)
    if employee.id == admin.id:
        raise DomainError(CANNOT_DEACTIVATE_YOURSELF)
    if not employee.active:
        return employee
    _keeps_an_administrator(session, employee)
    employee.active = False
    session.add(employee)
    ended = auth.end_sessions(session, employee)
    audit.record(
        session,
        "employee.deactivated",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=admin,
        sessions_ended=ended,
    )
    return employee


def reactivate(session: Session, admin: Employee, employee_id: int) -> Employee:
    employee = colleague(session, admin, employee_id, inactive_too=True)
    if employee.active:
        return employee
    employee.active = True
    session.add(employee)
    audit.record(
        session,
        "employee.reactivated",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=admin,
    )
    return employee


# --- The new employee's side: an invitation, a first password -------------------------------------


class InvitationNotUsable(DomainError):
    pass


@dataclass(frozen=True)
class InvitationView:
    name: str
    email: str
    business_name: str


def _password_errors(password: str, again: str) -> dict[str, str]:
    if len(password) < accounts.MIN_PASSWORD_LENGTH:
        return {"password": f"Passwords need at least {accounts.MIN_PASSWORD_LENGTH} characters."}
    if len(password) > 1024:
        return {"password": "Passwords have at most 1024 characters."}
    if password != again:
        return {"again": "The two passwords differ."}
    return {}


def _usable_invitation(session: Session, token: str | tokens.Hashed) -> tuple[EmployeeInvitation, Employee]:
    """One answer, InvitationNotUsable, for unknown, used, expired, and deactivated."""
    row = None
    if token_hash := tokens.lookup_hash(token):
        row = session.exec(select(EmployeeInvitation).where(EmployeeInvitation.token_hash == token_hash)).first()
    employee = session.get(Employee, row.employee_id) if row else None
    if row is None or row.used_at is not None or row.expires_at <= utcnow() or employee is None or not employee.active:
        raise InvitationNotUsable(INVITATION_NOT_USABLE)
    return row, employee


def invitation(session: Session, token: str | tokens.Hashed) -> InvitationView:
    _row, employee = _usable_invitation(session, token)
    business = session.get(Business, employee.business_id)
    return InvitationView(employee.name, employee.email, business.name if business else "")


def accept_invitation(session: Session, token: str | tokens.Hashed, password: str, again: str) -> auth.SignedIn:
    """Set the invited employee's password, use up the link, and sign them in (the caller commits)."""
    row, employee = _usable_invitation(session, token)
    errors = _password_errors(str(password or ""), str(again or ""))
    if errors:
        raise FieldErrors(errors)
    employee.password_hash = auth.hash_password(password)
    employee.must_change_password = False
    row.used_at = utcnow()
    session.add_all([employee, row])
    audit.record(
        session,
        "employee.invitation_accepted",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=employee,
    )
    return auth.open_session(session, employee)


def choose_password(session: Session, employee: Employee, password: str, again: str) -> None:
    """The signed-in employee replaces a temporary password with their own (the caller commits)."""
    errors = _password_errors(str(password or ""), str(again or ""))
    if errors:
        raise FieldErrors(errors)
    if auth._password_matches(employee.password_hash, password):
        raise FieldErrors({"password": "Choose a password other than the temporary one."})
    employee.password_hash = auth.hash_password(password)
    employee.must_change_password = False
    session.add(employee)
    audit.record(
        session,
        "employee.password_chosen",
        "employee",
        employee.id,
        business_id=employee.business_id,
        employee=employee,
    )
