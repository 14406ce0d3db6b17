"""The browser's first run (a one-time setup code, then the business and its administrator) and
Settings > Company (update_profile and its live SMS preview)."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.config import get_settings
from smslinks.core import company, setup_codes
from smslinks.core.errors import DomainError, NotAllowed
from smslinks.core.permissions import Permission, set_permission
from smslinks.core.sms_text import segment_info
from smslinks.models import AuditEvent, Business, Employee, SetupCode, SetupCodeFailure, utcnow
from tests import factories

PROFILE = company.CompanyProfile(
    name="Bluebonnet Plumbing",
    phone="(512) 555-0142",
    email="Office@Bluebonnet.example",
    street="1200 Congress Ave",
    city="Austin",
    region="TX",
    postal_code="78701",
)
ADMIN = dict(
    admin_name="Rosa Diaz",
    admin_email="rosa@bluebonnet.example",
    admin_password="long-enough-pass",
    admin_password_again="long-enough-pass",
)


def _set_up(session, code, profile=PROFILE, client="203.0.113.9", **admin):
    return company.set_up_with_code(session, code, profile, client=client, **{**ADMIN, **admin})


def _nothing_written(session) -> bool:
    return session.exec(select(Business)).first() is None and session.exec(select(Employee)).first() is None


# ------------------------------------------------------------------ setup codes


def test_a_code_is_eight_unambiguous_characters_stored_only_as_its_hash(session):
    code = setup_codes.issue(session)
    assert len(code) == 9 and code[4] == "-"
    assert set(code.replace("-", "")) <= set(setup_codes.ALPHABET)
    assert not set("01OIL") & set(code.replace("-", ""))
    row = session.exec(select(SetupCode)).one()
    assert code.replace("-", "") not in row.code_hash and len(row.code_hash) == 64
    assert timedelta(hours=23) < row.expires_at - row.created_at <= timedelta(hours=24)


def test_a_code_is_accepted_as_people_retype_it(session):
    code = setup_codes.issue(session)
    assert setup_codes.is_valid(session, code)
    assert setup_codes.is_valid(session, " " + code.lower().replace("-", " ") + " ")
    assert not setup_codes.is_valid(session, code[:-1])
    assert not setup_codes.is_valid(session, "")


def test_a_code_expires_after_a_day_and_expired_codes_are_cleared(session):
    code = setup_codes.issue(session, now=utcnow() - timedelta(hours=25))
    assert not setup_codes.is_valid(session, code)
    setup_codes.issue(session)
    assert len(session.exec(select(SetupCode)).all()) == 1


def test_each_process_may_hold_its_own_valid_code(session):
    first, second = setup_codes.issue(session), setup_codes.issue(session)
    assert first != second
    assert setup_codes.is_valid(session, first) and setup_codes.is_valid(session, second)


# ------------------------------------------------------------------ set_up_with_code


def test_the_right_code_creates_the_business_and_its_administrator_and_every_code_goes(session):
    code = setup_codes.issue(session)
    other = setup_codes.issue(session)
    business, admin = _set_up(session, code)
    assert business.name == "Bluebonnet Plumbing" and business.phone == "+15125550142"
    assert business.time_zone == "America/Chicago"  # from the ZIP
    assert admin.email == "rosa@bluebonnet.example" and admin.role == "Administrator"
    assert session.exec(select(SetupCode)).first() is None
    assert not setup_codes.is_valid(session, other)
    with pytest.raises(DomainError, match="already has a business"):
        _set_up(session, other)


def test_a_wrong_code_is_refused_beside_its_field_counted_and_nothing_else_is_written(session):
    setup_codes.issue(session)
    with pytest.raises(company.FieldErrors) as refused:
        _set_up(session, "ABCD-EFGH")
    assert refused.value.fields == {"code": setup_codes.WRONG_CODE}
    assert _nothing_written(session)
    assert len(session.exec(select(SetupCodeFailure)).all()) == 1


def test_an_expired_code_is_refused(session):
    code = setup_codes.issue(session, now=utcnow() - timedelta(hours=25))
    with pytest.raises(company.FieldErrors) as refused:
        _set_up(session, code)
    assert "code" in refused.value.fields
    assert _nothing_written(session)


def test_every_wrong_field_is_named_at_once_and_nothing_is_written(session):
    code = setup_codes.issue(session)
    bad = company.CompanyProfile(name="", phone="12", email="not-an-email", time_zone="Mars/Olympus")
    with pytest.raises(company.FieldErrors) as refused:
        _set_up(session, code, bad, admin_email="nope", admin_password_again="something-else")
    assert set(refused.value.fields) == {"name", "phone", "email", "time_zone", "admin_email", "admin_password_again"}
    assert _nothing_written(session)
    # A right code with wrong fields is not a guess: nothing is counted, the code still works.
    assert session.exec(select(SetupCodeFailure)).first() is None
    assert setup_codes.is_valid(session, code)


def test_a_short_password_is_refused_beside_it(session):
    code = setup_codes.issue(session)
    with pytest.raises(company.FieldErrors) as refused:
        _set_up(session, code, admin_password="short", admin_password_again="short")
    assert set(refused.value.fields) == {"admin_password"}


def test_wrong_codes_are_throttled_per_client_even_the_right_one_then(session, monkeypatch):
    monkeypatch.setattr(get_settings(), "signin_max_failures", 3)
    code = setup_codes.issue(session)
    session.commit()  # as the server does at start
    for _ in range(3):
        with pytest.raises(company.FieldErrors):
            _set_up(session, "WRONG-CODE", client="198.51.100.7")
    with pytest.raises(company.FieldErrors) as refused:
        _set_up(session, code, client="198.51.100.7")
    assert "Too many wrong setup codes" in refused.value.fields["code"]
    assert _nothing_written(session)
    # Another client is not held back by someone else's guesses.
    business, _admin = _set_up(session, code, client="203.0.113.50")
    assert business.id is not None


# ------------------------------------------------------------------ update_profile


@pytest.fixture
def office(session):
    business = factories.business(session, name="Lone Star Heating & Air", email="office@lonestar.example")
    admin = factories.employee(session, business, role="Administrator")
    clerk = factories.employee(session, business, role="Office employee")
    return business, admin, clerk


def test_update_profile_saves_what_changed_with_one_audit_row(session, office):
    business, admin, _clerk = office
    profile = company.profile_of(business)
    changed = company.update_profile(
        session,
        admin,
        company.CompanyProfile(**{**profile.__dict__, "name": "  Lone Star  HVAC ", "postal_code": "78701"}),
        "Pay.LoneStar-HVAC.example",
    )
    assert changed == ["name", "postal_code", "host"]
    assert business.name == "Lone Star HVAC" and business.host == "pay.lonestar-hvac.example"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "company.updated")).one()
    assert json.loads(event.detail)["changes"]["name"] == ["Lone Star Heating & Air", "Lone Star HVAC"]
    assert event.actor_employee_id == admin.id
    # Saving the same again changes nothing and writes no row.
    assert company.update_profile(session, admin, company.profile_of(business), "pay.lonestar-hvac.example") == []
    assert len(session.exec(select(AuditEvent).where(AuditEvent.action == "company.updated")).all()) == 1


def test_update_profile_refuses_bad_fields_beside_each_and_writes_nothing(session, office):
    business, admin, _clerk = office
    bad = company.CompanyProfile(name="X", phone="555", email="x@", time_zone="Nowhere/Land")
    with pytest.raises(company.FieldErrors) as refused:
        company.update_profile(session, admin, bad, "https://pay.example.com/x")
    assert set(refused.value.fields) == {"phone", "email", "time_zone", "host"}
    assert refused.value.fields["host"] == company.HOST_ONLY
    assert business.name == "Lone Star Heating & Air"
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "company.updated")).first() is None


@pytest.mark.parametrize(
    "host", ["localhost", "pay..example.com", "-pay.example.com", "pay.example.123", "pay_x.example.com"]
)
def test_a_link_host_must_be_a_real_host_name(host):
    with pytest.raises(company.FieldErrors) as refused:
        company.checked_host(host)
    assert refused.value.fields == {"host": company.BAD_HOST}


@pytest.mark.parametrize("host", ["pay.example.com:8443", "http://pay.example.com", "pay.example.com/pay"])
def test_a_link_host_is_only_the_host(host):
    with pytest.raises(company.FieldErrors, match="no https://"):
        company.checked_host(host)


def test_an_empty_link_host_means_this_apps_address():
    assert company.checked_host("  ") is None
    assert company.checked_host("Pay.Example-HVAC.com.") == "pay.example-hvac.com"


def test_only_people_who_manage_the_company_may_change_or_preview_it(session, office):
    business, admin, clerk = office
    with pytest.raises(NotAllowed):
        company.update_profile(session, clerk, company.profile_of(business), "")
    with pytest.raises(NotAllowed):
        company.preview(session, clerk, "Anything", "")
    set_permission(session, admin, Permission.MANAGE_COMPANY, False)
    with pytest.raises(NotAllowed):
        company.update_profile(session, admin, company.profile_of(business), "")
    set_permission(session, clerk, Permission.MANAGE_COMPANY, True)
    assert company.update_profile(session, clerk, company.profile_of(business), "") == []


def test_the_preview_follows_the_typed_name_and_a_valid_host_without_saving(session, office):
    business, admin, _clerk = office
    preview = company.preview(session, admin, "Bluebonnet  Plumbing", "pay.bluebonnet.example")
    assert preview.text.startswith("Bluebonnet Plumbing")
    assert "https://pay.bluebonnet.example/pay/" in preview.text
    assert preview.characters == segment_info(preview.text).characters
    # Half-typed: an empty name and a host that is not one yet keep the saved ones.
    preview = company.preview(session, admin, "", "https://pay")
    assert "Lone Star Heating & Air" in preview.text and "https://pay/" not in preview.text
    assert business.name == "Lone Star Heating & Air" and business.host is None


def test_a_code_used_up_meanwhile_by_another_setup_is_refused(session):
    first, second = setup_codes.issue(session), setup_codes.issue(session)
    assert setup_codes.consume(session, first)
    assert not setup_codes.is_valid(session, second)
    assert not setup_codes.consume(session, second)


def test_the_profile_as_edited_saves_back_unchanged(session, office):
    business, admin, _clerk = office
    shown = company.editable_profile(business)
    assert shown["phone"] == "(512) 555-0999" and shown["host"] == ""
    profile = company.CompanyProfile(**{field: shown[field] for field in company.PROFILE_FIELDS})
    assert company.update_profile(session, admin, profile, shown["host"]) == []
