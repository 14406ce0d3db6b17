"""API keys: shown once, stored as a hash, acting through an employee nobody can sign in as."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from smslinks.core import api_keys, auth, employees, tokens
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotAllowed, NotFound
from smslinks.core.permissions import Permission, effective_permissions
from smslinks.models import ApiKey, ApiRateWindow, AuditEvent, Business, Employee
from tests import factories


@pytest.fixture
def admin(session):
    return factories.employee(session, factories.business(session), role="Administrator")


def test_a_key_is_shown_once_and_kept_as_its_hash(session, admin):
    new = api_keys.create(session, admin, "  Accounting   sync ")

    row = session.get(ApiKey, new.id)
    assert new.name == row.name == "Accounting sync"
    assert new.key.startswith("smsl_") and len(new.key) >= 45
    assert row.key_hash == tokens.token_hash(new.key) and new.key not in row.key_hash
    assert row.prefix == new.key[:12]
    assert [r.prefix for r in api_keys.list_keys(session, admin)] == [new.key[:12] + "…"]


def test_the_key_acts_as_an_employee_with_what_an_integration_needs(session, admin):
    new = api_keys.create(session, admin, "Accounting sync")

    key, employee = api_keys.employee_for_key(session, new.key)

    assert key.id == new.id and employee.name == "API key 'Accounting sync'"
    assert effective_permissions(session, employee) >= {
        Permission.MANAGE_CUSTOMERS,
        Permission.EDIT_INVOICES,
        Permission.VOID_INVOICES,
        Permission.SEND_INVOICE_SMS,
        Permission.SEND_INVOICE_EMAIL,
        Permission.VIEW_INVOICES,
    }
    assert Permission.MANAGE_EMPLOYEES not in effective_permissions(session, employee)


def test_nobody_signs_in_as_the_key_and_settings_employees_does_not_list_it(session, admin):
    new = api_keys.create(session, admin, "Accounting sync")
    employee = api_keys.employee_for_key(session, new.key)[1]

    with pytest.raises(DomainError):
        auth.sign_in(session, employee.email, new.key, client="test")
    assert [row.name for row in employees.roster(session, admin)] == [admin.name]
    with pytest.raises(NotFound):
        employees.colleague(session, admin, employee.id)


def test_revoking_stops_the_key_and_its_employee(session, admin):
    new = api_keys.create(session, admin, "Accounting sync")

    api_keys.revoke(session, admin, new.id)

    assert api_keys.employee_for_key(session, new.key) is None
    row = session.get(ApiKey, new.id)
    assert session.get(Employee, row.employee_id).active is False
    with pytest.raises(DomainError, match="revoked already"):
        api_keys.revoke(session, admin, new.id)
    actions = [e.action for e in session.exec(select(AuditEvent).where(AuditEvent.subject_type == "api_key"))]
    assert actions == ["api_key.created", "api_key.revoked"]
    # The name is free again for a new key.
    assert api_keys.create(session, admin, "Accounting sync").name == "Accounting sync"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("   ", 'Name the key after the system that will use it, e.g. "Accounting sync".'),
        ("x" * 61, "Keep the name under 60 characters."),
        ("Bob's sync", "Leave out the ' character (the key's actions are listed as API key '<name>')."),
    ],
)
def test_bad_names_are_refused(session, admin, name, message):
    with pytest.raises(FieldErrors) as raised:
        api_keys.create(session, admin, name)
    assert raised.value.fields == {"name": message}


def test_two_live_keys_cannot_share_a_name(session, admin):
    api_keys.create(session, admin, "Accounting sync")
    with pytest.raises(FieldErrors, match="exists already"):
        api_keys.create(session, admin, "Accounting sync")


def test_only_those_who_manage_employees_handle_keys(session, admin):
    office = factories.employee(session, session.get(Business, admin.business_id))
    new = api_keys.create(session, admin, "Accounting sync")
    for attempt in (
        lambda: api_keys.create(session, office, "Mine"),
        lambda: api_keys.list_keys(session, office),
        lambda: api_keys.revoke(session, office, new.id),
    ):
        with pytest.raises(NotAllowed):
            attempt()


def test_another_business_cannot_revoke_a_key(session, admin):
    new = api_keys.create(session, admin, "Accounting sync")
    other_admin = factories.employee(session, factories.business(session, name="Other"), role="Administrator")
    with pytest.raises(NotFound):
        api_keys.revoke(session, other_admin, new.id)


def test_unknown_and_malformed_keys_find_nobody(session, admin):
    api_keys.create(session, admin, "Accounting sync")
    for key in ("", "smsl_nope", "not-even-ours", "smsl_" + "x" * 200):
        assert api_keys.employee_for_key(session, key) is None


def test_last_used_is_written_at_most_once_a_minute(session, admin):
    new = api_keys.create(session, admin, "Accounting sync")
    start = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)

    api_keys.employee_for_key(session, new.key, now=start)
    api_keys.employee_for_key(session, new.key, now=start + timedelta(seconds=30))
    assert session.get(ApiKey, new.id).last_used_at == start
    api_keys.employee_for_key(session, new.key, now=start + timedelta(minutes=2))
    assert session.get(ApiKey, new.id).last_used_at == start + timedelta(minutes=2)


def test_the_rate_limit_counts_per_key_and_minute(session, admin):
    key = session.get(ApiKey, api_keys.create(session, admin, "Accounting sync").id)
    other = session.get(ApiKey, api_keys.create(session, admin, "Other sync").id)
    minute = datetime(2026, 12, 3, 12, 0, 45, tzinfo=UTC)

    for _ in range(3):
        api_keys.count_request(session, key, 3, now=minute)
    with pytest.raises(api_keys.RateLimited) as raised:
        api_keys.count_request(session, key, 3, now=minute)

    assert raised.value.retry_after == 15
    api_keys.count_request(session, other, 3, now=minute)  # another key has its own count
    api_keys.count_request(session, key, 3, now=minute + timedelta(seconds=15))  # a new minute
    api_keys.count_request(session, key, 3, now=minute + timedelta(hours=2))
    windows = session.exec(select(ApiRateWindow.api_key_id, ApiRateWindow.requests)).all()
    assert sorted(windows) == [(key.id, 1), (other.id, 1)]  # the key's old minutes are cleared
