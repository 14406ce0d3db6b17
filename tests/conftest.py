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
