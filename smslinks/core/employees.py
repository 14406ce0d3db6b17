"""Settings > Company > Employees: who works for the business and what each of them may do.

Everything here is seen through the eyes of the person asking: they need "Manage employees" and
only ever see or change employees of their own business.
"""

from dataclasses import dataclass

from sqlmodel import Session, select

from smslinks.core import accounts
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import (
    DESCRIPTIONS,
    ROLE_DEFAULTS,
    Permission,
    effective_permissions,
    parse_permission,
    require_permission,
)
from smslinks.models import Employee, Role


@dataclass(frozen=True)
class EmployeeRow:
    id: int
    name: str
    email: str
    role: str
    # How many permissions differ from the role's defaults (0: exactly the role's).
    changes_from_role: int


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


def roster(session: Session, admin: Employee) -> list[EmployeeRow]:
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    staff = session.exec(
        select(Employee)
        .where(Employee.business_id == admin.business_id, Employee.active)
        .order_by(Employee.name)
    ).all()
    return [
        EmployeeRow(person.id, person.name, person.email, person.role, len(_differences(session, person)))
        for person in staff
    ]


def colleague(session: Session, admin: Employee, employee_id: int) -> Employee:
    """An active employee of the admin's business; one answer for "absent" and "not yours"."""
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    employee = session.get(Employee, employee_id)
    if employee is None or employee.business_id != admin.business_id or not employee.active:
        raise NotFound("That employee does not exist or is not in your business.")
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
