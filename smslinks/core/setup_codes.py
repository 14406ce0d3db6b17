"""One-time setup codes: a server with no business prints one at start; /setup asks for it.

So whoever reaches a new server first cannot take it over: only someone who can read the server's
output can create the business. Codes are 8 characters from an alphabet without look-alikes
(shown as XXXX-XXXX, about 39 bits), stored only as their SHA-256, valid for a day; wrong codes
are counted per client and throttled like sign-ins. Several processes may each hold a valid code.
"""

import secrets
from datetime import datetime, timedelta

from sqlmodel import Session, col, delete, func, select

from smslinks.config import get_settings
from smslinks.core import tokens
from smslinks.core.errors import DomainError
from smslinks.models import SetupCode, SetupCodeFailure, utcnow

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L
LENGTH = 8
VALID_HOURS = 24

WRONG_CODE = "That setup code is not right, or it has expired. Use the code the server printed when it started."
NO_CODE = "Enter the setup code the server printed when it started."


class SetupThrottled(DomainError):
    pass


def normalized(code: str) -> str:
    """What was typed, without spaces or dashes, in capitals (people retype codes loosely)."""
    return "".join(ch for ch in (code or "").upper() if ch.isalnum())[:32]


def shown(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def issue(session: Session, now: datetime | None = None) -> str:
    """A new code (as shown: XXXX-XXXX), stored as its hash in the caller's transaction.
    Expired codes are cleared on the way."""
    now = now or utcnow()
    session.exec(delete(SetupCode).where(col(SetupCode.expires_at) <= now))
    code = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    session.add(
        SetupCode(code_hash=tokens.token_hash(code), created_at=now, expires_at=now + timedelta(hours=VALID_HOURS))
    )
    return shown(code)


def check_throttle(session: Session, client: str, now: datetime | None = None) -> None:
    settings = get_settings()
    since = (now or utcnow()) - timedelta(minutes=settings.signin_lockout_minutes)
    failures = session.exec(
        select(func.count())
        .select_from(SetupCodeFailure)
        .where(SetupCodeFailure.client == client, SetupCodeFailure.at >= since)
    ).one()
    if failures >= settings.signin_max_failures:
        raise SetupThrottled(
            f"Too many wrong setup codes. Wait {settings.signin_lockout_minutes} minutes and try again."
        )


def is_valid(session: Session, code: str, now: datetime | None = None) -> bool:
    code = normalized(code)
    if len(code) != LENGTH:
        return False
    row = session.exec(select(SetupCode).where(SetupCode.code_hash == tokens.token_hash(code))).first()
    return row is not None and row.expires_at > (now or utcnow())


def record_failure(session: Session, client: str) -> None:
    """Count a wrong code; committed at once, so the refusal that follows cannot roll it back."""
    session.add(SetupCodeFailure(client=client))
    session.commit()


def consume(session: Session, code: str, now: datetime | None = None) -> bool:
    """Use the code up, with every other one (setup is happening): True if this code was still valid.

    Deleting its row is the lock: of two setups at once (even with two processes' codes), the second
    waits for the first's delete and then finds its own code gone."""
    used = session.exec(
        delete(SetupCode).where(
            col(SetupCode.code_hash) == tokens.token_hash(normalized(code)),
            col(SetupCode.expires_at) > (now or utcnow()),
        )
    ).rowcount
    session.exec(delete(SetupCode))
    session.exec(delete(SetupCodeFailure))
    return used == 1
