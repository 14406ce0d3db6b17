"""API keys: how another system signs in to /api/v1.

A key is shown once, when it is made; only its SHA-256 is kept (the key carries 256 random bits, so
a plain hash is enough). Each key acts through its own Employee row, named "API key '<name>'", that
has no password, cannot sign in and is not listed in Settings > Employees: every core rule, every
permission check and every audit row applies to the key as to a person. Its role (Accountant) gives
what an integration needs: manage customers, create, edit and void invoices, text and email links.
Revoking the key deactivates that employee, so a stolen key stops at once.

Each key may make `api_rate_limit_per_minute` requests a minute, counted in the database (one row
per key and minute) so every app worker shares the count.
"""

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from smslinks.core import audit, tokens
from smslinks.core.company import FieldErrors
from smslinks.core.errors import DomainError, NotFound
from smslinks.core.permissions import Permission, require_permission
from smslinks.models import ApiKey, ApiRateWindow, Business, Employee, Role, saved_id, utcnow

KEY_PREFIX = "smsl_"
NAME_MAX = 60
NOT_FOUND = "That API key does not exist."
# Never a valid argon2 hash: the backing employee cannot sign in with any password.
NO_SIGN_IN = "!api-key"
# last_used_at is written at most this often per key (not on every request).
LAST_USED_PRECISION = timedelta(minutes=1)
OLD_WINDOWS = timedelta(hours=1)


@dataclass(frozen=True)
class NewKey:
    id: int
    name: str
    key: str  # shown once


@dataclass(frozen=True)
class KeyRow:
    id: int
    name: str
    prefix: str  # "smsl_AbC123…"
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None


def backing_employee_name(name: str) -> str:
    return f"API key '{name}'"


def is_api_key_employee(session: Session, employee_id: int) -> bool:
    return session.exec(select(ApiKey.id).where(ApiKey.employee_id == employee_id)).first() is not None


def api_key_employee_ids():
    """A subquery of the employees that stand for API keys (kept out of Settings > Employees)."""
    return select(ApiKey.employee_id)


def _checked_name(session: Session, business_id: int, name: str) -> str:
    name = " ".join(str(name or "").split())
    if not name:
        raise FieldErrors({"name": 'Name the key after the system that will use it, e.g. "Accounting sync".'})
    if len(name) > NAME_MAX:
        raise FieldErrors({"name": f"Keep the name under {NAME_MAX} characters."})
    if "'" in name:
        raise FieldErrors({"name": "Leave out the ' character (the key's actions are listed as API key '<name>')."})
    taken = session.exec(
        select(ApiKey.id).where(
            ApiKey.business_id == business_id, ApiKey.name == name, col(ApiKey.revoked_at).is_(None)
        )
    ).first()
    if taken is not None:
        raise FieldErrors({"name": f'A key named "{name}" exists already. Choose another name.'})
    return name


def _create(session: Session, business: Business, name: str, *, admin: Employee | None) -> NewKey:
    business_id = saved_id(business)
    name = _checked_name(session, business_id, name)
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    employee = Employee(
        business_id=business_id,
        email=f"api-key-{secrets.token_hex(8)}@api-keys.invalid",
        name=backing_employee_name(name),
        role=Role.ACCOUNTANT.value,
        password_hash=NO_SIGN_IN,
    )
    session.add(employee)
    session.flush()
    row = ApiKey(
        business_id=business_id,
        employee_id=saved_id(employee),
        name=name,
        key_hash=tokens.token_hash(key),
        prefix=key[:12],
        created_by_employee_id=admin.id if admin else None,
    )
    session.add(row)
    session.flush()
    audit.record(
        session,
        "api_key.created",
        "api_key",
        row.id,
        business_id=business_id,
        employee=admin,
        actor=None if admin else audit.SUPPORT_ACTOR,
        name=name,
        prefix=row.prefix,
    )
    return NewKey(saved_id(row), name, key)


def create(session: Session, admin: Employee, name: str) -> NewKey:
    """A new key for the admin's business (Settings > API keys); its text is in the result, once."""
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    return _create(session, session.get_one(Business, admin.business_id), name, admin=admin)


def create_for_support(session: Session, business: Business, name: str) -> NewKey:
    """The same from the command line (`smslinks api-keys create`), audited as support."""
    return _create(session, business, name, admin=None)


def _rows(session: Session, business_id: int) -> list[KeyRow]:
    keys = session.exec(
        select(ApiKey)
        .where(ApiKey.business_id == business_id)
        .order_by(col(ApiKey.revoked_at).is_not(None), col(ApiKey.created_at).desc(), col(ApiKey.id).desc())
    ).all()
    creators = {
        e.id: e.name
        for e in session.exec(
            select(Employee).where(col(Employee.id).in_([k.created_by_employee_id for k in keys]))
        ).all()
    }
    return [
        KeyRow(
            saved_id(k),
            k.name,
            k.prefix + "…",
            k.created_at,
            creators.get(k.created_by_employee_id, audit.SUPPORT_ACTOR),
            k.last_used_at,
            k.revoked_at,
        )
        for k in keys
    ]


def list_keys(session: Session, admin: Employee) -> list[KeyRow]:
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    return _rows(session, admin.business_id)


def list_for_support(session: Session, business: Business) -> list[KeyRow]:
    return _rows(session, saved_id(business))


def _revoke(session: Session, business_id: int, key_id, *, admin: Employee | None, now: datetime | None) -> ApiKey:
    row = session.get(ApiKey, key_id) if isinstance(key_id, int) else None
    if row is None or row.business_id != business_id:
        raise NotFound(NOT_FOUND)
    if row.revoked_at is not None:
        raise DomainError(f'The key "{row.name}" is revoked already.')
    row.revoked_at = now or utcnow()
    employee = session.get_one(Employee, row.employee_id)
    employee.active = False
    session.add_all([row, employee])
    audit.record(
        session,
        "api_key.revoked",
        "api_key",
        row.id,
        business_id=business_id,
        employee=admin,
        actor=None if admin else audit.SUPPORT_ACTOR,
        name=row.name,
        prefix=row.prefix,
    )
    session.flush()
    return row


def revoke(session: Session, admin: Employee, key_id: int, now: datetime | None = None) -> ApiKey:
    require_permission(session, admin, Permission.MANAGE_EMPLOYEES)
    return _revoke(session, admin.business_id, key_id, admin=admin, now=now)


def revoke_for_support(session: Session, business: Business, key_id: int) -> ApiKey:
    return _revoke(session, saved_id(business), key_id, admin=None, now=None)


# ---------------------------------------------------------------- using a key


class RateLimited(DomainError):
    def __init__(self, retry_after: int):
        super().__init__("Too many requests with this API key. Try again in a minute.")
        self.retry_after = retry_after


def employee_for_key(session: Session, key: str, now: datetime | None = None) -> tuple[ApiKey, Employee] | None:
    """The live key and the employee it acts as, or None (unknown, revoked, or malformed)."""
    if not key or not key.startswith(KEY_PREFIX) or len(key) > 100:
        return None
    row = session.exec(select(ApiKey).where(ApiKey.key_hash == tokens.token_hash(key))).first()
    if row is None or row.revoked_at is not None:
        return None
    employee = session.get(Employee, row.employee_id)
    if employee is None or not employee.active:
        return None
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_PRECISION:
        row.last_used_at = now
        session.add(row)
    return row, employee


def count_request(session: Session, key: ApiKey, limit: int, now: datetime | None = None) -> None:
    """Count one request in this minute's window; RateLimited once the key is over its limit.
    One atomic upsert, so app workers on several machines share the count. The first request of a
    minute clears the key's windows older than an hour (they count for nothing any more)."""
    now = now or utcnow()
    window = now.replace(second=0, microsecond=0)
    table: sa.Table = ApiRateWindow.__table__  # type: ignore[attr-defined]  # every table model has one; SQLModel does not declare it
    dialect = session.get_bind().dialect.name
    insert = (postgresql.insert(table) if dialect == "postgresql" else sqlite.insert(table)).values(
        api_key_id=key.id, window_start=window, requests=1
    )
    counted = session.execute(
        insert.on_conflict_do_update(
            index_elements=["api_key_id", "window_start"], set_={"requests": table.c.requests + 1}
        ).returning(table.c.requests)
    ).scalar_one()
    if counted == 1:
        session.execute(
            sa.delete(ApiRateWindow).where(
                col(ApiRateWindow.api_key_id) == key.id, col(ApiRateWindow.window_start) < window - OLD_WINDOWS
            )
        )
    if counted > limit:
        raise RateLimited(retry_after=max(1, 60 - now.second))
