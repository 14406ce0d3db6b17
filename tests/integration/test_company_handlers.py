"""The Settings > Company and /setup State handlers, called directly as any browser could call them
over the websocket: they check who is asking (and whether a business exists) every time."""

import pytest
from sqlmodel import select

from smslinks.core import auth, setup_codes
from smslinks.db import session_scope
from smslinks.models import AuditEvent, Business, Employee
from smslinks.state.company import CompanyState
from smslinks.state.setup import SetupState
from tests import factories


@pytest.fixture
def people(signed_in):
    with session_scope() as session:
        business = factories.business(session, name="Lone Star Heating & Air", email="office@lonestar.example")
        staff = {role: factories.employee(session, business, role) for role in ("Administrator", "Office employee")}
        business_id, emails = business.id, {role: person.email for role, person in staff.items()}
    return business_id, signed_in.tokens(emails)


def _name(business_id: int) -> str:
    with session_scope() as session:
        return session.get(Business, business_id).name


def test_every_company_handler_refuses_an_office_user(people, signed_in):
    business_id, tokens = people
    state = signed_in.state(CompanyState, tokens["Office employee"])
    CompanyState.load.fn(state)
    assert 'You need the "Manage company profile" permission' in state.refusal and not state.loaded
    assert "Manage company profile" in str(CompanyState.set_field.fn(state, "name", "Taken Over"))
    assert state.draft == {} and state.preview == {}
    state.draft = {
        "name": "Taken Over",
        "phone": "5125550100",
        "email": "x@example.com",
        "time_zone": "America/Chicago",
    }
    assert "Manage company profile" in str(CompanyState.save.fn(state))
    assert _name(business_id) == "Lone Star Heating & Air"


def test_signed_out_the_handlers_send_to_sign_in(people, signed_in):
    business_id, _tokens = people
    state = signed_in.state(CompanyState, "")
    state.draft = {"name": "Taken Over"}
    assert "/signin" in str(CompanyState.save.fn(state))
    assert _name(business_id) == "Lone Star Heating & Air"


def test_an_admin_types_a_name_sees_the_preview_and_saves(people, signed_in):
    business_id, tokens = people
    state = signed_in.state(CompanyState, tokens["Administrator"])
    CompanyState.load.fn(state)
    assert state.loaded and state.draft["name"] == "Lone Star Heating & Air"
    CompanyState.set_field.fn(state, "name", "Lone Star Comfort Co")
    assert state.preview["text"].startswith("Lone Star Comfort Co:") and state.has_changes
    assert _name(business_id) == "Lone Star Heating & Air"
    CompanyState.set_field.fn(state, "phone", "555")
    CompanyState.save.fn(state)
    assert "phone" in state.errors and _name(business_id) == "Lone Star Heating & Air"
    CompanyState.set_field.fn(state, "phone", "(512) 555-0999")
    CompanyState.save.fn(state)
    assert state.errors == {} and not state.has_changes
    assert _name(business_id) == "Lone Star Comfort Co"
    with session_scope() as session:
        assert session.exec(select(AuditEvent).where(AuditEvent.action == "company.updated")).one()


def test_an_unknown_field_is_refused(people, signed_in):
    _business_id, tokens = people
    state = signed_in.state(CompanyState, tokens["Administrator"])
    CompanyState.load.fn(state)
    CompanyState.set_field.fn(state, "sms_links_available", "true")
    assert "sms_links_available" not in state.draft


def test_setup_is_closed_once_a_business_exists(people, signed_in):
    _business_id, _tokens = people
    state = signed_in.state(SetupState)
    assert "/signin" in str(SetupState.load.fn(state))
    SetupState.submit.fn(state, {"code": "ABCD-EFGH", "name": "Taken Over"})
    assert "already has a business" in state.errors["form"]
    with session_scope() as session:
        assert [b.name for b in session.exec(select(Business)).all()] == ["Lone Star Heating & Air"]


def test_setup_with_the_code_signs_the_administrator_in(signed_in):
    with session_scope() as session:
        code = setup_codes.issue(session)
    state = signed_in.state(SetupState)
    form = {
        "code": code,
        "name": "Bluebonnet Plumbing",
        "phone": "(512) 555-0142",
        "email": "office@bluebonnet.example",
        "postal_code": "78701",
        "admin_name": "Rosa Diaz",
        "admin_email": "rosa@bluebonnet.example",
        "admin_password": "long-enough-pass",
        "admin_password_again": "long-enough-pass",
    }
    assert SetupState.submit.fn(state, {**form, "code": "WRONG-CODE"}) is None
    assert state.errors == {"code": setup_codes.WRONG_CODE}
    answer = SetupState.submit.fn(state, form)
    assert state._after_sign_in == "/settings" and state.errors == {}  # once the cookie is saved
    assert "/settings" in str(SetupState.cookie_saved.fn(state, True))
    with session_scope() as session:
        admin = auth.employee_for_token(session, factories.handed_over_token(answer))
        assert admin is not None and admin.email == "rosa@bluebonnet.example"
        assert session.exec(select(Employee)).one().role == "Administrator"
