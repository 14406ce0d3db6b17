"""Random bearer tokens: 256 bits, handed out once, stored only as a SHA-256 hash."""

import hashlib
import hmac
import secrets


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_invitation_token() -> str:
    """128 random bits: an employee invitation (it travels in a copied link, so shorter)."""
    return secrets.token_urlsafe(16)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())
