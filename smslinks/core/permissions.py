"""Roles grant default permissions; an admin can grant or revoke any of them per employee."""

from enum import StrEnum

from sqlalchemy import event
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, select

from smslinks.core.errors import NotAllowed
from smslinks.models import Employee, EmployeePermission, Role, saved_id


class Permission(StrEnum):
    VIEW_INVOICES = "View invoices"
    SEND_INVOICE_SMS = "Enable Invoice SMS Text Link"
    SEND_INVOICE_EMAIL = "Email invoice links"
    MANAGE_ONLINE_PAYMENTS = "Manage online payment settings"
    MANAGE_EMPLOYEES = "Manage employees"
    VIEW_ASSIGNED_JOBS = "View assigned jobs"
    MANAGE_COMPANY = "Manage company profile"
    MANAGE_CUSTOMERS = "Manage customers"
    EDIT_INVOICES = "Create and edit invoices"
    VOID_INVOICES = "Void invoices"
    SCHEDULE_JOBS = "Schedule jobs"
    EXPORT_DATA = "Export payments and messages"
    REFUND_PAYMENTS = "Refund payments"
    CHARGE_SAVED_CARDS = "Charge saved cards"
    VIEW_INSIGHTS = "View insights"


# What each permission lets a person do, as shown next to its switch in Settings > Employees.
DESCRIPTIONS: dict[Permission, str] = {
    Permission.VIEW_INVOICES: "See and search all of the business's invoices.",
    Permission.SEND_INVOICE_SMS: "Text customers a link to pay an invoice.",
    Permission.SEND_INVOICE_EMAIL: "Email customers a link to pay an invoice.",
    Permission.MANAGE_ONLINE_PAYMENTS: "Change Settings > Invoicing > Online Payments.",
    Permission.MANAGE_EMPLOYEES: "Change what each employee may do (this page).",
    Permission.VIEW_ASSIGNED_JOBS: "See the jobs assigned to them, on a phone.",
    Permission.MANAGE_COMPANY: "Change Settings > Company: what customers see of the business.",
    Permission.MANAGE_CUSTOMERS: "Add and change customers, their numbers, emails and service locations.",
    Permission.EDIT_INVOICES: "Create, change and finalize invoices (technicians: their own jobs' invoices).",
    Permission.VOID_INVOICES: "Void an invoice: its links stop working and its waiting texts are canceled.",
    Permission.SCHEDULE_JOBS: "Schedule jobs and assign them to technicians.",
    Permission.EXPORT_DATA: "Download payments and messages as CSV files (Settings > Export), e.g. for the books.",
    Permission.REFUND_PAYMENTS: "Send a card or bank payment back to the customer, in full or in part.",
    Permission.CHARGE_SAVED_CARDS: "Charge a card a customer saved, with their consent, for an invoice's balance.",
    Permission.VIEW_INSIGHTS: "See Insights: time to pay, what became of the links, delivery problems, what is owed.",
}

# A CSV import creates and changes customers and invoices: whoever may do both by hand may import.
IMPORT_PERMISSIONS = (Permission.MANAGE_CUSTOMERS, Permission.EDIT_INVOICES)

_OFFICE = {
    Permission.VIEW_INVOICES,
    Permission.SEND_INVOICE_SMS,
    Permission.SEND_INVOICE_EMAIL,
    Permission.MANAGE_CUSTOMERS,
    Permission.EDIT_INVOICES,
}

ROLE_DEFAULTS: dict[Role, frozenset[Permission]] = {
    Role.ADMINISTRATOR: frozenset(Permission) - {Permission.VIEW_ASSIGNED_JOBS},
    Role.MANAGER: frozenset(
        _OFFICE
        | {
            Permission.VOID_INVOICES,
            Permission.SCHEDULE_JOBS,
            Permission.EXPORT_DATA,
            Permission.REFUND_PAYMENTS,
            Permission.CHARGE_SAVED_CARDS,
            Permission.VIEW_INSIGHTS,
        }
    ),
    Role.OFFICE_EMPLOYEE: frozenset(_OFFICE | {Permission.SCHEDULE_JOBS}),
    Role.ACCOUNTANT: frozenset(
        _OFFICE
        | {
            Permission.VOID_INVOICES,
            Permission.EXPORT_DATA,
            Permission.REFUND_PAYMENTS,
            Permission.CHARGE_SAVED_CARDS,
            Permission.VIEW_INSIGHTS,
        }
    ),
    # Bookkeepers reconcile; texting customers is an explicit grant for them.
    Role.BOOKKEEPER: frozenset(
        {
            Permission.VIEW_INVOICES,
            Permission.SEND_INVOICE_EMAIL,
            Permission.MANAGE_CUSTOMERS,
            Permission.EDIT_INVOICES,
            Permission.EXPORT_DATA,
        }
    ),
    Role.DISPATCHER: frozenset(_OFFICE | {Permission.SCHEDULE_JOBS}),
    Role.CSR: frozenset(_OFFICE | {Permission.SCHEDULE_JOBS}),
    # A technician creates the invoice of their own job (core keeps them to their jobs).
    Role.TECHNICIAN: frozenset(
        {
            Permission.VIEW_ASSIGNED_JOBS,
            Permission.SEND_INVOICE_SMS,
            Permission.SEND_INVOICE_EMAIL,
            Permission.EDIT_INVOICES,
        }
    ),
}


def parse_role(text: str) -> Role:
    for role in Role:
        if text.strip().lower() in (role.value.lower(), role.name.lower()):
            return role
    choices = ", ".join(r.value for r in Role)
    raise ValueError(f"Unknown role {text!r}. Choose one of: {choices}.")


def parse_permission(text: str) -> Permission:
    for permission in Permission:
        if text.strip().lower() in (permission.value.lower(), permission.name.lower()):
            return permission
    choices = ", ".join(f'"{p.value}"' for p in Permission)
    raise ValueError(f"Unknown permission {text!r}. Choose one of: {choices}.")


# Effective permissions by (employee, active, role), kept in session.info for one transaction: a
# send asks several times. A role change or deactivation is a new key; a grant or revocation forgets
# them; so does the end of the outer transaction (commit, rollback, close), after which another
# session's changes may be seen. A savepoint released, or a flush, keeps them.
_REMEMBERED = "smslinks.effective_permissions"


def _forget_permissions(session: OrmSession) -> None:
    session.info.pop(_REMEMBERED, None)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_at_transaction_end(session: OrmSession, transaction) -> None:
    if transaction.parent is None:
        _forget_permissions(session)


@event.listens_for(OrmSession, "after_soft_rollback")
def _forget_after_savepoint_rollback(session: OrmSession, previous_transaction) -> None:
    # A savepoint rolled back may have undone a grant or revocation made inside it.
    if previous_transaction.nested:
        _forget_permissions(session)


def effective_permissions(session: Session, employee: Employee) -> frozenset[Permission]:
    remembered = session.info.setdefault(_REMEMBERED, {})
    key = (employee.id, employee.active, employee.role)
    if key not in remembered:
        remembered[key] = _effective_permissions(session, employee)
    return remembered[key]


def _effective_permissions(session: Session, employee: Employee) -> frozenset[Permission]:
    if not employee.active:
        return frozenset()
    granted = set(ROLE_DEFAULTS[Role(employee.role)])
    overrides = session.exec(select(EmployeePermission).where(EmployeePermission.employee_id == employee.id)).all()
    for override in overrides:
        permission = Permission(override.permission)
        if override.granted:
            granted.add(permission)
        else:
            granted.discard(permission)
    return frozenset(granted)


def has_permission(session: Session, employee: Employee, permission: Permission) -> bool:
    return permission in effective_permissions(session, employee)


def require_permission(session: Session, employee: Employee, permission: Permission) -> None:
    if not has_permission(session, employee, permission):
        raise NotAllowed(f'You need the "{permission.value}" permission to do this.')


def set_permission(session: Session, employee: Employee, permission: Permission, granted: bool) -> None:
    """Record a per-employee grant or revocation (idempotent)."""
    override = session.exec(
        select(EmployeePermission).where(
            EmployeePermission.employee_id == employee.id,
            EmployeePermission.permission == permission.value,
        )
    ).first()
    if override is None:
        override = EmployeePermission(employee_id=saved_id(employee), permission=permission.value, granted=granted)
    else:
        override.granted = granted
    session.add(override)
    _forget_permissions(session)
