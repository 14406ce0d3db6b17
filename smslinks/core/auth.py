"""Sign-in, sessions and throttling of password guessing."""

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, delete, func, select

from smslinks.config import get_settings
from smslinks.core import client_address, tokens
from smslinks.core.errors import DomainError
from smslinks.models import Employee, EmployeeSession, SigninFailure, saved_id, utcnow

_hasher = PasswordHasher()
# Verified when the email is unknown, so a wrong email costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("not-a-real-password")

WRONG_CREDENTIALS = "That email and password don't match an account."
# Said only to someone who knows the password: it tells nobody else that the email exists.
DEACTIVATED = "Your account has been deactivated. Ask an administrator of your business if you need it back."


class SigninThrottled(DomainError):
    pass


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_matches(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


@dataclass(frozen=True)
class SignedIn:
    employee_id: int
    token: str
    # Signed in with a temporary password: they choose their own before anything else.
    must_change_password: bool = False


# Failed sign-ins are remembered this long per email and address (the delays below grow with them).
FAILURE_MEMORY = timedelta(hours=24)
FIRST_DELAY = timedelta(seconds=30)


def _failures(session: Session, *conditions) -> tuple[int, datetime | None]:
    """How many failures match, and when the latest was."""
    count, latest = session.exec(
        select(func.count(), func.max(SigninFailure.at)).select_from(SigninFailure).where(*conditions)
    ).one()
    return count, latest


def retry_delay(failures: int) -> timedelta:
    """How long an email and address pair waits after its latest failure: nothing for the first few,
    then 30 s, doubling with each further failure, to at most the lockout."""
    settings = get_settings()
    if failures < settings.signin_max_failures:
        return timedelta(0)
    doublings = min(failures - settings.signin_max_failures, 16)
    return min(FIRST_DELAY * 2**doublings, timedelta(minutes=settings.signin_lockout_minutes))


def check_throttle(session: Session, email: str, client: str, now: datetime | None = None) -> None:
    """Slow guessing down without handing anyone a way to lock a person out.

    Failures count per email and address together: a stranger elsewhere typing wrong passwords for
    someone's email slows only themselves, never its owner. Per pair, the waits grow (30 s, 1 min,
    2 min... up to the lockout), so one address gets about a hundred guesses a day at one account. One
    address failing for many emails (a shared office address allows for colleagues) waits the lockout."""
    settings = get_settings()
    now = now or utcnow()
    client = client_address.throttle_key(client)
    pair, latest = _failures(
        session, SigninFailure.email == email, SigninFailure.client == client, SigninFailure.at >= now - FAILURE_MEMORY
    )
    lockout = timedelta(minutes=settings.signin_lockout_minutes)
    from_address, latest_from_address = _failures(
        session, SigninFailure.client == client, SigninFailure.at >= now - lockout
    )
    wait = timedelta(0)
    if latest is not None:
        wait = latest + retry_delay(pair) - now
    if from_address >= settings.signin_address_max_failures and latest_from_address is not None:
        wait = max(wait, latest_from_address + lockout - now)
    if wait > timedelta(0):
        raise SigninThrottled(f"Too many failed sign-ins. Wait {_duration(wait)} and try again.")


def _duration(wait: timedelta) -> str:
    seconds = max(1, math.ceil(wait.total_seconds()))
    if seconds < 60:
        return f"{seconds} seconds"
    minutes = math.ceil(seconds / 60)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def sign_in(session: Session, email: str, password: str, client: str) -> SignedIn:
    """Check the credentials and open a session; raise DomainError with one vague message."""
    email = normalize_email(email)
    client = client_address.throttle_key(client)
    check_throttle(session, email, client)
    employee = session.exec(select(Employee).where(Employee.email == email)).first()
    if employee is None:
        _password_matches(_DUMMY_HASH, password)
    if employee is None or not _password_matches(employee.password_hash, password):
        session.add(SigninFailure(email=email, client=client))
        session.commit()
        raise DomainError(WRONG_CREDENTIALS)
    if not employee.active:
        raise DomainError(DEACTIVATED)
    # The owner got in: their typos from here start afresh.
    session.exec(delete(SigninFailure).where(col(SigninFailure.email) == email, col(SigninFailure.client) == client))
    signed = open_session(session, employee)
    session.commit()
    return signed


def open_session(session: Session, employee: Employee) -> SignedIn:
    """A new session for an employee whose identity is already proven (the caller commits)."""
    token = tokens.new_token()
    session.add(
        EmployeeSession(
            employee_id=saved_id(employee),
            token_hash=tokens.token_hash(token),
            expires_at=utcnow() + timedelta(hours=get_settings().session_hours),
        )
    )
    return SignedIn(employee_id=saved_id(employee), token=token, must_change_password=employee.must_change_password)


def end_sessions(session: Session, employee: Employee) -> int:
    """Revoke every open session of an employee (the caller commits); how many there were."""
    now = utcnow()
    rows = session.exec(
        select(EmployeeSession).where(
            EmployeeSession.employee_id == employee.id, col(EmployeeSession.revoked_at).is_(None)
        )
    ).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def employee_for_token(session: Session, token: str | tokens.Hashed) -> Employee | None:
    """The active employee behind a session token (or its hash, as the staff pages' state holds it),
    or None when absent, expired or revoked."""
    if (token_hash := tokens.lookup_hash(token)) is None:
        return None
    row = session.exec(select(EmployeeSession).where(EmployeeSession.token_hash == token_hash)).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    employee = session.get(Employee, row.employee_id)
    return employee if employee and employee.active else None


def sign_out(session: Session, token: str | tokens.Hashed) -> None:
    if (token_hash := tokens.lookup_hash(token)) is None:
        return
    row = session.exec(select(EmployeeSession).where(EmployeeSession.token_hash == token_hash)).first()
    if row and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
