"""Random bearer tokens: 256 bits, handed out once, stored only as a SHA-256 hash."""

import hashlib
import hmac
import secrets
from dataclasses import dataclass

# Longer than any token we hand out: anything longer is not one of ours and is not even hashed.
MAX_TOKEN_LENGTH = 64


@dataclass(frozen=True)
class Hashed:
    """A token known only by its SHA-256. The browser-facing state holds tokens this way, so Reflex's
    state store (pickles on disk, Redis) never holds a raw one (see api/state_secrets.py)."""

    value: str


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_invitation_token() -> str:
    """128 random bits: an employee invitation (it travels in a copied link, so shorter)."""
    return secrets.token_urlsafe(16)


def idempotency_key(kind: str) -> str:
    """A Stripe idempotency key for one request the person may repeat, e.g. kind "refund": every
    click of one dialog's button reuses it; a new attempt takes a new one."""
    return f"smslinks-{kind}-{secrets.token_hex(12)}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def lookup_hash(token: "str | Hashed") -> str | None:
    """The hash to look a token up by; None for a raw token that cannot be one of ours."""
    if isinstance(token, Hashed):
        return token.value
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return token_hash(token)


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
