from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.core import auth
from smslinks.core.errors import DomainError
from smslinks.models import EmployeeSession, utcnow
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


def test_repeated_failures_are_throttled_even_with_the_right_password(session):
    business = factories.business(session)
    factories.employee(session, business, email="olivia@example.com")
    for _ in range(5):
        with pytest.raises(DomainError):
            auth.sign_in(session, "olivia@example.com", "guess-guess", "10.0.0.2")
    with pytest.raises(auth.SigninThrottled, match="Too many failed sign-ins"):
        auth.sign_in(session, "olivia@example.com", factories.PASSWORD, "10.0.0.3")


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
