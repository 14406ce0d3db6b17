"""Settings > Employees handlers and the invitation page's, called directly as any browser could
call them over the websocket: each asks core again who is asking."""

import pytest
from sqlmodel import select

from smslinks.core import auth, employees
from smslinks.db import session_scope
from smslinks.models import AuditEvent, Employee
from smslinks.state.employees import EmployeesState
from smslinks.state.invite import ChoosePasswordState, InviteState
from tests import factories


@pytest.fixture
def people(signed_in):
    with session_scope() as session:
        business = factories.business(session)
        other = factories.business(session, name="Other Co")
        staff = {
            "admin": factories.employee(session, business, "Administrator"),
            "office": factories.employee(session, business, "Office employee"),
            "stranger": factories.employee(session, other, "Technician"),
        }
        ids = {key: person.id for key, person in staff.items()}
        emails = {key: person.email for key, person in staff.items()}
    tokens = signed_in.tokens(emails)
    return ids, tokens


def _employee(employee_id: int) -> Employee:
    with session_scope() as session:
        return session.get(Employee, employee_id)


def _public_values(state) -> str:
    return repr({name: getattr(state, name) for name in state.base_vars})


def test_people_who_do_not_manage_employees_are_refused_by_every_handler(people, signed_in):
    ids, tokens = people
    state = signed_in.state(EmployeesState, tokens["office"])
    form = {"name": "Eve", "email": "eve@example.com", "role": "Administrator", "access": "invitation"}
    assert "Manage employees" in str(EmployeesState.add.fn(state, form))
    assert "Manage employees" in str(EmployeesState.change_role.fn(state, ids["admin"], "Technician"))
    assert "Manage employees" in str(EmployeesState.reactivate.fn(state, ids["admin"]))
    state.confirming_id = ids["admin"]  # as if the client forged it
    assert "Manage employees" in str(EmployeesState.deactivate.fn(state))
    with session_scope() as session:
        assert session.exec(select(Employee).where(Employee.email == "eve@example.com")).first() is None
        assert (
            session.exec(
                select(AuditEvent).where(
                    AuditEvent.actor_employee_id.is_not(None), AuditEvent.action.like("employee.%")
                )
            ).all()
            == []
        )
    admin = _employee(ids["admin"])
    assert admin.active and admin.role == "Administrator"


def test_another_business_is_out_of_reach(people, signed_in):
    ids, tokens = people
    state = signed_in.state(EmployeesState, tokens["admin"])
    assert "not in your business" in str(EmployeesState.change_role.fn(state, ids["stranger"], "Manager"))
    EmployeesState.ask_deactivate.fn(state, ids["stranger"])
    assert state.confirming_id == 0
    state.confirming_id = ids["stranger"]
    assert "not in your business" in str(EmployeesState.deactivate.fn(state))
    assert "not in your business" in str(EmployeesState.change_role.fn(state, "1 OR 1=1", "Manager"))
    stranger = _employee(ids["stranger"])
    assert stranger.active and stranger.role == "Technician"


def test_the_invitation_token_reaches_the_browser_only_as_a_script_argument(people, signed_in):
    _ids, tokens = people
    state = signed_in.state(EmployeesState, tokens["admin"])
    form = {"name": "Nora New", "email": "nora@example.com", "role": "Office employee", "access": "invitation"}
    answer = EmployeesState.add.fn(state, form)
    assert state.adding == "added" and state.added_name == "Nora New"
    script = str(answer)
    assert "/invite/" in script
    token = script.split("/invite/")[1][:22]
    assert token not in _public_values(state)
    with session_scope() as session:
        assert employees.invitation(session, token).email == "nora@example.com"


def test_a_bad_form_shows_each_fields_message_and_adds_nobody(people, signed_in):
    _ids, tokens = people
    state = signed_in.state(EmployeesState, tokens["admin"])
    EmployeesState.add.fn(state, {"name": "", "email": "nope", "role": "Office employee", "access": "invitation"})
    assert state.add_errors["name"] == "Give the employee a name."
    assert state.add_errors["email"] == "nope is not an email address."
    assert state.adding != "added"


def test_a_deactivated_employees_open_page_sends_them_to_sign_in(people, signed_in):
    ids, tokens = people
    with session_scope() as session:
        employees.deactivate(session, session.get(Employee, ids["admin"]), ids["office"])
    state = signed_in.state(EmployeesState, tokens["office"])
    assert "/signin" in str(EmployeesState.load.fn(state))


def test_a_temporary_password_allows_nothing_but_choosing_a_password(people, signed_in):
    ids, tokens = people
    with session_scope() as session:
        added = employees.add_employee(
            session,
            session.get(Employee, ids["admin"]),
            "Ada Admin",
            "ada@example.com",
            "Administrator",
            "temporary_password",
        )
    with session_scope() as session:
        token = auth.sign_in(session, "ada@example.com", added.secret, "test").token
    state = signed_in.state(EmployeesState, token)
    assert "/account/password" in str(EmployeesState.add.fn(state, {"name": "X", "email": "x@example.com"}))
    chooser = signed_in.state(ChoosePasswordState, token)
    ChoosePasswordState.choose.fn(chooser, {"password": "ada-own-password", "again": "ada-own-password"})
    assert not _employee(added.employee_id).must_change_password
    EmployeesState.load.fn(state)
    assert state.loaded


def test_an_unknown_invitation_gets_the_one_clear_screen(people, signed_in):
    state = signed_in.state(InviteState, "")
    state._token = "made-up-token-made-up-token"
    assert InviteState.accept.fn(state, {"password": "long-enough-1", "again": "long-enough-1"}) is None
    assert state.screen == "unusable" and state.unusable == employees.INVITATION_NOT_USABLE


def test_a_new_invitation_link_is_shown_once_like_the_first(people, signed_in):
    _ids, tokens = people
    state = signed_in.state(EmployeesState, tokens["admin"])
    form = {"name": "Nora New", "email": "nora@example.com", "role": "Office employee", "access": "invitation"}
    first = str(EmployeesState.add.fn(state, form)).split("/invite/")[1][:22]
    EmployeesState.close_add.fn(state, False)
    nora = next(row for row in state.employees if row["email"] == "nora@example.com")
    assert nora["status"] == "Invited"
    second = str(EmployeesState.new_link.fn(state, nora["id"])).split("/invite/")[1][:22]
    assert state.adding == "added" and state.added_heading == "New invitation link for Nora New"
    assert second != first and second not in _public_values(state)
    with session_scope() as session:
        assert employees.invitation(session, second).name == "Nora New"
        with pytest.raises(employees.InvitationNotUsable):
            employees.invitation(session, first)
