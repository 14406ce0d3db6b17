"""The settings State handlers, called directly as a browser could call them over the websocket
whether or not their page is on screen: they must check who is asking every time."""

import json

import pytest
import reflex as rx
from sqlmodel import select

from smslinks.core import accounts, auth
from smslinks.core.permissions import Permission, has_permission
from smslinks.db import session_scope, upgrade_to_head
from smslinks.models import AuditEvent, Employee
from smslinks.state.employees import EmployeesState
from smslinks.state.online_payments import OnlinePaymentsState
from tests import factories


def _state(state_class, token: str):
    root = rx.State(_reflex_internal_init=True)
    state = root.get_substate(state_class.get_full_name().split(".")[1:])
    factories.sign_in_state(state, token)
    return state


@pytest.fixture
def people(app_env):
    upgrade_to_head(app_env)
    with session_scope() as session:
        business = factories.business(session, sms_links_available=True)
        other = factories.business(session, name="Other Co")
        staff = {
            "admin": factories.employee(session, business, "Administrator"),
            "office": factories.employee(session, business, "Office employee"),
            "bookkeeper": factories.employee(session, business, "Bookkeeper"),
            "stranger": factories.employee(session, other, "Bookkeeper"),
        }
        ids = {key: person.id for key, person in staff.items()}
        emails = {key: person.email for key, person in staff.items()}
    with session_scope() as session:
        tokens = {key: auth.sign_in(session, email, factories.PASSWORD, "test").token for key, email in emails.items()}
    return ids, tokens


def _settings_audit_rows():
    with session_scope() as session:
        return session.exec(select(AuditEvent).where(AuditEvent.action == "settings.online_payments")).all()


def test_save_handler_refuses_an_office_user_and_changes_nothing(people):
    ids, tokens = people
    state = _state(OnlinePaymentsState, tokens["office"])
    state.switches = {"sms_links_enabled": True}
    answer = OnlinePaymentsState.save.fn(state)
    assert "Manage online payment settings" in str(answer)
    assert _settings_audit_rows() == []
    with session_scope() as session:
        business_id = session.get(Employee, ids["office"]).business_id
        assert not accounts.payment_settings(session, business_id).sms_links_enabled


def test_draft_handlers_refuse_an_office_user(people):
    _ids, tokens = people
    state = _state(OnlinePaymentsState, tokens["office"])
    answer = OnlinePaymentsState.set_switch.fn(state, "sms_links_enabled", True)
    assert "Manage online payment settings" in str(answer)
    assert state.switches == {}


def test_load_as_an_office_user_shows_the_refusal_and_no_settings(people):
    _ids, tokens = people
    state = _state(OnlinePaymentsState, tokens["office"])
    OnlinePaymentsState.load.fn(state)
    assert 'You need the "Manage online payment settings" permission' in state.refusal
    assert state.switches == {} and not state.loaded


def test_save_handler_saves_an_admins_draft_with_audit_rows(people):
    ids, tokens = people
    state = _state(OnlinePaymentsState, tokens["admin"])
    OnlinePaymentsState.load.fn(state)
    OnlinePaymentsState.set_switch.fn(state, "sms_links_enabled", True)
    OnlinePaymentsState.set_valid_days.fn(state, "14")
    assert state.has_changes
    OnlinePaymentsState.save.fn(state)
    assert not state.has_changes and state.save_error == ""
    rows = _settings_audit_rows()
    assert sorted(json.loads(row.detail)["setting"] for row in rows) == ["link_valid_days", "sms_links_enabled"]
    assert {row.actor_employee_id for row in rows} == {ids["admin"]}


def test_a_bad_number_keeps_the_draft_and_says_why(people):
    _ids, tokens = people
    state = _state(OnlinePaymentsState, tokens["admin"])
    OnlinePaymentsState.load.fn(state)
    OnlinePaymentsState.set_valid_days.fn(state, "365")
    OnlinePaymentsState.save.fn(state)
    assert "from 1 to 90" in state.save_error
    assert state.valid_days == "365" and state.has_changes


def test_permission_handler_refuses_people_who_do_not_manage_employees(people):
    ids, tokens = people
    state = _state(EmployeesState, tokens["office"])
    state.editing_id = ids["bookkeeper"]
    answer = EmployeesState.set_permission.fn(state, Permission.SEND_INVOICE_SMS.value, True)
    assert "Manage employees" in str(answer)
    with session_scope() as session:
        assert not has_permission(session, session.get(Employee, ids["bookkeeper"]), Permission.SEND_INVOICE_SMS)


def test_an_admin_cannot_reach_another_business_through_the_handlers(people):
    ids, tokens = people
    state = _state(EmployeesState, tokens["admin"])
    EmployeesState.open_editor.fn(state, ids["stranger"])
    assert state.editing_id == 0
    state.editing_id = ids["stranger"]  # as if the client forged it
    answer = EmployeesState.set_permission.fn(state, Permission.SEND_INVOICE_SMS.value, True)
    assert "not in your business" in str(answer)
    with session_scope() as session:
        assert not has_permission(session, session.get(Employee, ids["stranger"]), Permission.SEND_INVOICE_SMS)
