"""Adapters over the providers' SDKs: the only modules that import twilio, stripe or smtplib.

core/ uses them through the Protocols in core/channels.py and core/payment_gateway.py; these factories build them from the
settings (live keys, or the sandbox servers when there are none).
"""

from smslinks.config import Settings, get_settings
from smslinks.core.payment_gateway import PaymentGateway
from smslinks.providers import stripe_payments
from smslinks.providers.email import SmtpEmail
from smslinks.providers.twilio_sms import TwilioSms


def sms_provider(settings: Settings | None = None) -> TwilioSms:
    settings = settings or get_settings()
    account_sid, auth_token = settings.twilio_credentials
    return TwilioSms(
        account_sid, auth_token, base_url=settings.twilio_base_url, timeout=settings.twilio_timeout_seconds
    )


def email_provider(settings: Settings | None = None) -> SmtpEmail:
    settings = settings or get_settings()
    host, port = settings.smtp_address
    username, password = settings.smtp_login or (None, None)
    return SmtpEmail(
        host,
        port,
        sender=settings.smtp_from,
        username=username,
        password=password,
        starttls=settings.smtp_starttls and not settings.smtp_sandbox,
        timeout=settings.smtp_timeout_seconds,
    )


def payment_gateway() -> PaymentGateway:
    """Stripe as configured (live keys, or the sandbox Stripe); one per process."""
    return stripe_payments.gateway()
