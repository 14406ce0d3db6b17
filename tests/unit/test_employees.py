import json

import pytest
from sqlmodel import select

from smslinks.core import employees
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.permissions import Permission, has_permission
from smslinks.models import AuditEvent
from tests import factories


@pytest.fixture
def business(session):
    return factories.business(session)


@pytest.fixture
def admin(session, business):
    return factories.employee(session, business, "Administrator", name="Avery Admin")


def _rows_by_permission(session, admin, employee):
    return {row.permission: row for row in employees.permission_rows(session, admin, employee.id)}


def test_roster_lists_the_admins_business_only_deactivated_people_last(session, business, admin):
    bookkeeper = factories.employee(session, business, "Bookkeeper", name="Blake Bookkeeper")
    factories.employee(session, business, "Office employee", name="Gone Person", active=False)
    other = factories.business(session, name="Other Co")
    factories.employee(session, other, "Office employee", name="Someone Else")
    rows = employees.roster(session, admin)
    assert [(r.name, r.role, r.changes_from_role, r.status, r.is_me) for r in rows] == [
        ("Avery Admin", "Administrator", 0, "Active", True),
        ("Blake Bookkeeper", "Bookkeeper", 0, "Active", False),
        ("Gone Person", "Office employee", 0, "Deactivated", False),
    ]
    assert rows[1].email == bookkeeper.email


def test_granting_sms_to_a_bookkeeper_shows_as_a_change_from_the_role(session, business, admin):
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    row = _rows_by_permission(session, admin, bookkeeper)[Permission.SEND_INVOICE_SMS.value]
    assert (row.on, row.role_default) == (False, False)

    employees.change(session, admin, bookkeeper.id, "Enable Invoice SMS Text Link", True)
    assert has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
    row = _rows_by_permission(session, admin, bookkeeper)[Permission.SEND_INVOICE_SMS.value]
    assert (row.on, row.role_default) == (True, False)
    assert [r.changes_from_role for r in employees.roster(session, admin) if r.id == bookkeeper.id] == [1]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "permission.granted")).one()
    assert (event.actor, event.actor_employee_id, event.subject_id) == ("Avery Admin", admin.id, str(bookkeeper.id))
    assert json.loads(event.detail)["permission"] == "Enable Invoice SMS Text Link"

    employees.change(session, admin, bookkeeper.id, "Enable Invoice SMS Text Link", False)
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
    assert [r.changes_from_role for r in employees.roster(session, admin) if r.id == bookkeeper.id] == [0]


def test_an_admin_cannot_remove_their_own_employee_management(session, business, admin):
    row = _rows_by_permission(session, admin, admin)[Permission.MANAGE_EMPLOYEES.value]
    assert "cannot remove your own" in row.locked_reason
    with pytest.raises(DomainError, match="cannot remove your own"):
        employees.change(session, admin, admin.id, "Manage employees", False)
    assert has_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    # Other permissions of their own are theirs to change.
    employees.change(session, admin, admin.id, "Enable Invoice SMS Text Link", False)
    assert not has_permission(session, admin, Permission.SEND_INVOICE_SMS)


def test_employees_of_another_business_are_out_of_reach(session, business, admin):
    other = factories.business(session, name="Other Co")
    stranger = factories.employee(session, other, "Bookkeeper")
    with pytest.raises(NotFound):
        employees.change(session, admin, stranger.id, "Enable Invoice SMS Text Link", True)
    with pytest.raises(NotFound):
        employees.permission_rows(session, admin, stranger.id)
    with pytest.raises(NotFound):
        employees.change(session, admin, 10_000, "Enable Invoice SMS Text Link", True)
    assert not has_permission(session, stranger, Permission.SEND_INVOICE_SMS)


def test_only_people_who_manage_employees_may_look_or_change(session, business):
    office = factories.employee(session, business, "Office employee")
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    with pytest.raises(NotAllowed, match="Manage employees"):
        employees.roster(session, office)
    with pytest.raises(NotAllowed):
        employees.change(session, office, bookkeeper.id, "Enable Invoice SMS Text Link", True)
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)


def test_unknown_permissions_are_refused_with_the_choices(session, business, admin):
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    with pytest.raises(DomainError, match="Unknown permission"):
        employees.change(session, admin, bookkeeper.id, "Launch rockets", True)


def test_grants_must_be_yes_or_no(session, business, admin):
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    with pytest.raises(DomainError, match="either granted or not"):
        employees.change(session, admin, bookkeeper.id, "Enable Invoice SMS Text Link", "false")
    assert not has_permission(session, bookkeeper, Permission.SEND_INVOICE_SMS)
