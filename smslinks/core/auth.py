"""Sign-in, sessions and throttling of password guessing."""

from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, func, select

from smslinks.config import get_settings
from smslinks.core import tokens
from smslinks.core.errors import DomainError
from smslinks.models import Employee, EmployeeSession, SigninFailure, utcnow

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


def _recent_failures(session: Session, column, value: str) -> int:
    settings = get_settings()
    since = utcnow() - timedelta(minutes=settings.signin_lockout_minutes)
    return session.exec(
        select(func.count()).select_from(SigninFailure).where(column == value, SigninFailure.at >= since)
    ).one()


def check_throttle(session: Session, email: str, client: str) -> None:
    settings = get_settings()
    limit = settings.signin_max_failures
    # Per address a little more generous: an office shares one public IP.
    if (
        _recent_failures(session, SigninFailure.email, email) >= limit
        or _recent_failures(session, SigninFailure.client, client) >= limit * 4
    ):
        raise SigninThrottled(
            f"Too many failed sign-ins. Wait {settings.signin_lockout_minutes} minutes and try again."
        )


def sign_in(session: Session, email: str, password: str, client: str) -> SignedIn:
    """Check the credentials and open a session; raise DomainError with one vague message."""
    email = normalize_email(email)
    client = (client or "unknown")[:64]
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
    signed = open_session(session, employee)
    session.commit()
    return signed


def open_session(session: Session, employee: Employee) -> SignedIn:
    """A new session for an employee whose identity is already proven (the caller commits)."""
    token = tokens.new_token()
    session.add(
        EmployeeSession(
            employee_id=employee.id,
            token_hash=tokens.token_hash(token),
            expires_at=utcnow() + timedelta(hours=get_settings().session_hours),
        )
    )
    return SignedIn(employee_id=employee.id, token=token, must_change_password=employee.must_change_password)


def end_sessions(session: Session, employee: Employee) -> int:
    """Revoke every open session of an employee (the caller commits); how many there were."""
    now = utcnow()
    rows = session.exec(
        select(EmployeeSession).where(EmployeeSession.employee_id == employee.id, EmployeeSession.revoked_at.is_(None))
    ).all()
    for row in rows:
        row.revoked_at = now
        session.add(row)
    return len(rows)


def employee_for_token(session: Session, token: str) -> Employee | None:
    """The active employee behind a session token, or None when absent, expired or revoked."""
    if not token:
        return None
    row = session.exec(select(EmployeeSession).where(EmployeeSession.token_hash == tokens.token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow():
        return None
    employee = session.get(Employee, row.employee_id)
    return employee if employee and employee.active else None


def sign_out(session: Session, token: str) -> None:
    row = session.exec(
        select(EmployeeSession).where(EmployeeSession.token_hash == tokens.token_hash(token or ""))
    ).first()
    if row and row.revoked_at is None:
        row.revoked_at = utcnow()
        session.add(row)
        session.commit()
