"""Settings > Employees: adding people (invitation link or temporary password), roles,
deactivation and reactivation, and the new employee's side of it."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.core import auth, employees, tokens
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.permissions import Permission, has_permission, set_permission
from smslinks.models import AuditEvent, Employee, EmployeeInvitation, EmployeeSession
from tests import factories


@pytest.fixture
def business(session):
    return factories.business(session)


@pytest.fixture
def admin(session, business):
    return factories.employee(session, business, "Administrator", name="Avery Admin")


def _audit(session, action):
    return session.exec(select(AuditEvent).where(AuditEvent.action == action)).all()


def _invite(session, admin, email="new@example.com", role="Office employee"):
    return employees.add_employee(session, admin, "Nora New", email, role, "invitation")


def test_an_invitation_stores_only_the_hash_of_a_128_bit_token_and_lasts_7_days(session, admin):
    added = _invite(session, admin, email="  Nora@Example.COM ")
    employee = session.get(Employee, added.employee_id)
    assert (employee.name, employee.email, employee.role, employee.active) == (
        "Nora New",
        "nora@example.com",
        "Office employee",
        True,
    )
    assert employee.password_hash == employees.NO_PASSWORD
    row = session.exec(select(EmployeeInvitation)).one()
    assert row.token_hash == tokens.token_hash(added.secret) != added.secret
    assert len(added.secret) >= 22  # 16 random bytes, url-safe base64
    assert timedelta(days=6, hours=23) < row.expires_at - row.created_at <= timedelta(days=7, seconds=1)
    assert [r.status for r in employees.roster(session, admin) if r.id == employee.id] == ["Invited"]
    event = _audit(session, "employee.invited")[0]
    assert (event.actor_employee_id, event.subject_id) == (admin.id, str(employee.id))
    assert added.secret not in event.detail
    # Nobody signs in to an invited account before they choose a password.
    with pytest.raises(DomainError, match="don't match"):
        auth.sign_in(session, "nora@example.com", employees.NO_PASSWORD, "10.0.0.1")


def test_accepting_an_invitation_sets_the_password_signs_in_and_uses_the_link_up(session, admin):
    added = _invite(session, admin)
    assert employees.invitation(session, added.secret).email == "new@example.com"
    with pytest.raises(employees.FieldErrors) as short:
        employees.accept_invitation(session, added.secret, "short", "short")
    assert "at least 8" in short.value.fields["password"]
    with pytest.raises(employees.FieldErrors) as differ:
        employees.accept_invitation(session, added.secret, "a-good-password", "a-good-passw0rd")
    assert differ.value.fields == {"again": "The two passwords differ."}

    signed = employees.accept_invitation(session, added.secret, "a-good-password", "a-good-password")
    assert auth.employee_for_token(session, signed.token).id == added.employee_id
    assert auth.sign_in(session, "new@example.com", "a-good-password", "10.0.0.1").employee_id == added.employee_id
    with pytest.raises(employees.InvitationNotUsable):
        employees.invitation(session, added.secret)
    with pytest.raises(employees.InvitationNotUsable):
        employees.accept_invitation(session, added.secret, "another-password", "another-password")


def test_unknown_expired_used_and_deactivated_invitations_all_get_one_message(session, admin):
    expired = _invite(session, admin, email="late@example.com")
    row = session.exec(select(EmployeeInvitation)).one()
    row.expires_at = row.created_at - timedelta(seconds=1)
    gone = _invite(session, admin, email="gone@example.com")
    employees.deactivate(session, admin, gone.employee_id)
    messages = set()
    for token in ("nonsense-token-that-is-long-enough", "", expired.secret, gone.secret):
        with pytest.raises(employees.InvitationNotUsable) as refused:
            employees.invitation(session, token)
        messages.add(refused.value.message)
    assert messages == {employees.INVITATION_NOT_USABLE}


def test_a_temporary_password_signs_in_once_then_must_be_replaced(session, admin):
    added = employees.add_employee(session, admin, "Tess Tech", "tess@example.com", "Technician", "temporary_password")
    assert len(added.secret) == 14 and added.secret.count("-") == 2
    employee = session.get(Employee, added.employee_id)
    assert employee.must_change_password and employee.password_hash != added.secret
    assert session.exec(select(EmployeeInvitation)).all() == []
    assert added.secret not in _audit(session, "employee.created")[0].detail

    signed = auth.sign_in(session, "tess@example.com", added.secret, "10.0.0.1")
    assert signed.must_change_password
    with pytest.raises(employees.FieldErrors, match="highlighted") as same:
        employees.choose_password(session, employee, added.secret, added.secret)
    assert "other than the temporary" in same.value.fields["password"]
    employees.choose_password(session, employee, "tess-own-password", "tess-own-password")
    assert not employee.must_change_password
    assert not auth.sign_in(session, "tess@example.com", "tess-own-password", "10.0.0.1").must_change_password


def test_bad_fields_are_named_and_nothing_is_written(session, business, admin):
    factories.employee(session, business, email="taken@example.com")
    before = len(session.exec(select(Employee)).all())
    with pytest.raises(employees.FieldErrors) as refused:
        employees.add_employee(session, admin, "  ", "not-an-email", "Astronaut", "invitation")
    assert set(refused.value.fields) == {"name", "email", "role"}
    assert refused.value.fields["email"] == "not-an-email is not an email address."
    with pytest.raises(employees.FieldErrors) as duplicate:
        employees.add_employee(session, admin, "Tom", "TAKEN@example.com", "Technician", "temporary_password")
    assert duplicate.value.fields == {"email": "An employee with the email taken@example.com already exists."}
    with pytest.raises(employees.FieldErrors) as empty:
        employees.add_employee(session, admin, "Tom", "", "Technician", "invitation")
    assert "email" in empty.value.fields
    with pytest.raises(DomainError, match="invitation link or a temporary password"):
        employees.add_employee(session, admin, "Tom", "tom@example.com", "Technician", "carrier pigeon")
    assert len(session.exec(select(Employee)).all()) == before
    assert session.exec(select(EmployeeInvitation)).all() == []
    assert _audit(session, "employee.invited") == []


def test_changing_a_role_applies_its_defaults_and_keeps_personal_grants(session, business, admin):
    bookkeeper = factories.employee(session, business, "Bookkeeper")
    employees.change(session, admin, bookkeeper.id, "Void invoices", False)  # a personal revocation
    employees.change(session, admin, bookkeeper.id, "Schedule jobs", True)  # a personal grant
    employees.change_role(session, admin, bookkeeper.id, "Technician")
    assert bookkeeper.role == "Technician"
    assert has_permission(session, bookkeeper, Permission.VIEW_ASSIGNED_JOBS)  # the new role's default
    assert not has_permission(session, bookkeeper, Permission.VIEW_INVOICES)  # the old role's is gone
    assert has_permission(session, bookkeeper, Permission.SCHEDULE_JOBS)  # the grant stays
    event = _audit(session, "employee.role_changed")[0]
    assert json.loads(event.detail) == {"before": "Bookkeeper", "after": "Technician"}
    with pytest.raises(DomainError, match="Unknown role"):
        employees.change_role(session, admin, bookkeeper.id, "Astronaut")


def test_an_admin_cannot_change_their_own_role_nor_leave_the_business_without_an_administrator(
    session, business, admin
):
    with pytest.raises(DomainError, match="your own role"):
        employees.change_role(session, admin, admin.id, "Manager")
    second = factories.employee(session, business, "Administrator", name="Second Admin")
    employees.change_role(session, admin, second.id, "Manager")
    assert second.role == "Manager"
    # A manager given "Manage employees" cannot demote the only administrator.
    set_permission(session, second, Permission.MANAGE_EMPLOYEES, True)
    with pytest.raises(DomainError, match="only active administrator"):
        employees.change_role(session, second, admin.id, "Manager")
    with pytest.raises(DomainError, match="only active administrator"):
        employees.deactivate(session, second, admin.id)
    assert admin.active and admin.role == "Administrator"


def test_deactivating_ends_sessions_refuses_sign_in_and_keeps_the_name(session, business, admin):
    office = factories.employee(session, business, "Office employee", name="Olive Office", email="olive@example.com")
    signed = auth.sign_in(session, "olive@example.com", factories.PASSWORD, "10.0.0.1")
    assert auth.employee_for_token(session, signed.token) is not None

    employees.deactivate(session, admin, office.id)
    assert auth.employee_for_token(session, signed.token) is None
    assert session.exec(select(EmployeeSession).where(EmployeeSession.employee_id == office.id)).one().revoked_at
    with pytest.raises(DomainError, match="deactivated"):
        auth.sign_in(session, "olive@example.com", factories.PASSWORD, "10.0.0.1")
    assert not has_permission(session, office, Permission.VIEW_INVOICES)
    assert session.get(Employee, office.id).name == "Olive Office"
    assert json.loads(_audit(session, "employee.deactivated")[0].detail) == {"sessions_ended": 1}

    employees.reactivate(session, admin, office.id)
    assert auth.sign_in(session, "olive@example.com", factories.PASSWORD, "10.0.0.1")
    # The old session stays ended.
    assert auth.employee_for_token(session, signed.token) is None
    assert len(_audit(session, "employee.reactivated")) == 1


def test_even_a_session_left_open_is_refused_once_the_employee_is_inactive(session, business):
    office = factories.employee(session, business, "Office employee", email="olive@example.com")
    signed = auth.sign_in(session, "olive@example.com", factories.PASSWORD, "10.0.0.1")
    office.active = False  # however it happened
    assert auth.employee_for_token(session, signed.token) is None


def test_an_admin_cannot_deactivate_themselves(session, business, admin):
    factories.employee(session, business, "Administrator")
    with pytest.raises(DomainError, match="cannot deactivate yourself"):
        employees.deactivate(session, admin, admin.id)
    assert admin.active


def test_only_managers_of_employees_of_the_same_business_may_add_change_or_deactivate(session, business, admin):
    office = factories.employee(session, business, "Office employee")
    tech = factories.employee(session, business, "Technician")
    stranger = factories.employee(session, factories.business(session, name="Other Co"), "Technician")
    with pytest.raises(NotAllowed):
        employees.add_employee(session, office, "Eve", "eve@example.com", "Administrator", "invitation")
    with pytest.raises(NotAllowed):
        employees.change_role(session, office, tech.id, "Administrator")
    with pytest.raises(NotAllowed):
        employees.deactivate(session, office, tech.id)
    with pytest.raises(NotAllowed):
        employees.reactivate(session, office, tech.id)
    for action in (employees.deactivate, employees.reactivate):
        with pytest.raises(NotFound):
            action(session, admin, stranger.id)
    with pytest.raises(NotFound):
        employees.change_role(session, admin, stranger.id, "Manager")
    assert stranger.active and stranger.role == "Technician" and tech.role == "Technician"


def test_a_new_invitation_link_retires_the_earlier_one(session, business, admin):
    first = _invite(session, admin)
    second = employees.new_invitation(session, admin, first.employee_id)
    assert second.secret != first.secret
    with pytest.raises(employees.InvitationNotUsable):
        employees.invitation(session, first.secret)
    assert employees.invitation(session, second.secret).name == "Nora New"
    assert len(_audit(session, "employee.invited")) == 2
    employees.accept_invitation(session, second.secret, "a-good-password", "a-good-password")
    with pytest.raises(DomainError, match="already chosen a password"):
        employees.new_invitation(session, admin, first.employee_id)
    office = factories.employee(session, business, "Office employee", name="Olive Office")
    with pytest.raises(DomainError, match="already chosen a password"):
        employees.new_invitation(session, admin, office.id)
    with pytest.raises(NotAllowed):
        employees.new_invitation(session, office, first.employee_id)
