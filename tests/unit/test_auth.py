from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.config import get_settings
from smslinks.core import auth
from smslinks.core.errors import DomainError
from smslinks.models import EmployeeSession, SigninFailure, utcnow
from tests import factories


def test_sign_in_opens_a_session_stored_only_as_a_hash(session):
    business = factories.business(session)
    employee = factories.employee(session, business, email="olivia@example.com")
    signed = auth.sign_in(session, " Olivia@Example.com ", factories.PASSWORD, "10.0.0.1")
    assert signed.employee_id == employee.id
    stored = session.exec(select(EmployeeSession)).one()
    assert stored.token_hash != signed.token and len(signed.token) >= 32
    assert auth.employee_for_token(session, signed.token).id == employee.id


def test_wrong_email_and_wrong_password_get_the_same_message(session):
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    messages = set()
    for email, password in [("olivia@example.com", "nope-nope"), ("nobody@example.com", factories.PASSWORD)]:
        with pytest.raises(DomainError) as refused:
            auth.sign_in(session, email, password, "10.0.0.1")
        messages.add(refused.value.message)
    assert messages == {auth.WRONG_CREDENTIALS}


def test_repeated_failures_slow_that_address_down_with_growing_waits(session):
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    for _ in range(5):
        with pytest.raises(DomainError, match="don't match"):
            auth.sign_in(session, "olivia@example.com", "guess-guess", "10.0.0.2")
    # Even the right password waits: the waiting must not tell a guesser which guess was right.
    with pytest.raises(auth.SigninThrottled, match="Wait 30 seconds"):
        auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.2")
    assert [auth.retry_delay(n).total_seconds() for n in range(4, 11)] == [0, 30, 60, 120, 240, 480, 900]


def test_a_stranger_cannot_lock_a_person_out(session):
    """Wrong passwords for Olivia's email typed elsewhere never keep Olivia from signing in."""
    business = factories.business(session)
    employee = factories.employee(session, business, email="olivia@example.com")
    session.add_all([SigninFailure(email="olivia@example.com", client="203.0.113.66") for _ in range(50)])
    session.commit()
    with pytest.raises(auth.SigninThrottled, match="Wait 15 minutes"):
        auth.sign_in(session, "olivia@example.com", "guess-guess", "203.0.113.66")
    assert auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.3").employee_id == employee.id


def test_waits_are_counted_from_the_latest_failure_and_a_success_starts_afresh(session):
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    long_ago = utcnow() - timedelta(minutes=2)
    session.add_all([SigninFailure(email="olivia@example.com", client="10.0.0.4", at=long_ago) for _ in range(6)])
    session.commit()
    auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.4")  # the 1 minute wait is over
    assert session.exec(select(SigninFailure)).all() == []


def test_an_address_failing_for_many_emails_waits_the_lockout(session, monkeypatch):
    monkeypatch.setattr(get_settings(), "signin_address_max_failures", 6)
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    for n in range(6):
        with pytest.raises(DomainError, match="don't match"):
            auth.sign_in(session, f"person{n}@example.com", "guess-guess", "10.0.0.5")
    with pytest.raises(auth.SigninThrottled, match="Wait 15 minutes"):
        auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.5")


def test_ipv6_failures_count_per_64_network(session):
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    for n in range(5):
        with pytest.raises(DomainError, match="don't match"):
            auth.sign_in(session, "olivia@example.com", "guess-guess", f"2001:db8:1:2::{n + 1:x}")
    with pytest.raises(auth.SigninThrottled):
        auth.sign_in(session, "olivia@example.com", "guess-guess", "2001:db8:1:2:ffff::9")
    with pytest.raises(DomainError, match="don't match"):
        auth.sign_in(session, "olivia@example.com", "guess-guess", "2001:db8:1:3::1")


def test_inactive_employee_cannot_sign_in(session):
    business = factories.business(session)
    factories.employee(session, business, email="gone@example.com", active=False)
    # Only someone who knows the password learns that the account is deactivated.
    with pytest.raises(DomainError, match="don't match"):
        auth.sign_in(session, "gone@example.com", "a-wrong-password", "10.0.0.1")
    with pytest.raises(DomainError, match="has been deactivated"):
        auth.sign_in(session, "gone@example.com", factories.PASSWORD, "10.0.0.1")


def test_sessions_expire_and_can_be_signed_out(session):
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    signed = auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.1")
    auth.sign_out(session, signed.token)
    assert auth.employee_for_token(session, signed.token) is None

    again = auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.1")
    stored = session.exec(select(EmployeeSession).where(EmployeeSession.revoked_at.is_(None))).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.add(stored)
    session.commit()
    assert auth.employee_for_token(session, again.token) is None
    assert auth.employee_for_token(session, "") is None
    assert auth.employee_for_token(session, "made-up-token") is None
