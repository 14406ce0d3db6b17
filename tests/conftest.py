import os

# Tests never reach the internet or a real provider, and Reflex must not phone home.
os.environ.setdefault("REFLEX_TELEMETRY_ENABLED", "false")
os.environ.setdefault("REFLEX_CHECK_LATEST_VERSION", "false")
for key in list(os.environ):
    if key.startswith(("SMSLINKS_STRIPE_", "SMSLINKS_TWILIO_", "SMSLINKS_SMTP_")) or key in (
        "DATABASE_URL",
        "REDIS_URL",
    ):
        del os.environ[key]

# Password hashing with production's argon2 parameters (64 MiB, three passes) took most of the unit
# suite's time. Tests hash with the cheapest ones instead; verifying reads the parameters from each
# hash, so hashes made either way still check. Production keeps argon2's defaults (core/auth.py).
from argon2 import PasswordHasher, profiles  # noqa: E402

from smslinks.core import auth  # noqa: E402

auth._hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)
auth._DUMMY_HASH = auth._hasher.hash("not-a-real-password")
