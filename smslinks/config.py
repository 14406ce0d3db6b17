"""Process configuration, read once from the environment (SMSLINKS_* plus DATABASE_URL/REDIS_URL).

Sandbox mode is simply "no provider keys given": the same Twilio and Stripe adapters then talk to
the local sandbox servers started by `smslinks dev` (or by the tests) instead of the real APIs.
"""

import os
from functools import lru_cache
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from smslinks import routes

PROJECT_ROOT = Path(__file__).resolve().parent.parent

SANDBOX_TWILIO_ACCOUNT_SID = "AC" + "0" * 32
SANDBOX_TWILIO_AUTH_TOKEN = "sandbox-twilio-auth-token"
SANDBOX_STRIPE_SECRET_KEY = "sk_test_sandbox"
SANDBOX_STRIPE_PUBLISHABLE_KEY = "pk_test_sandbox"
SANDBOX_STRIPE_WEBHOOK_SECRET = "whsec_sandbox"

ENV_PREFIX = "SMSLINKS_"
# Secrets that only work together: each group is given whole or not at all, and what "not at all" means.
SECRET_GROUPS = {
    "Twilio": (("twilio_account_sid", "twilio_auth_token"), "to use the sandbox"),
    "Stripe": (("stripe_secret_key", "stripe_publishable_key", "stripe_webhook_secret"), "to use the sandbox"),
    "the SMTP login": (("smtp_username", "smtp_password"), "to send without logging in"),
}


class Settings(BaseSettings):
    # Errors never print the values given: they are secrets.
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", hide_input_in_errors=True)

    database_url: str = Field(
        default=f"sqlite:///{PROJECT_ROOT / 'smslinks.db'}",
        validation_alias=AliasChoices("DATABASE_URL", "SMSLINKS_DATABASE_URL"),
    )
    redis_url: str | None = Field(default=None, validation_alias=AliasChoices("REDIS_URL", "SMSLINKS_REDIS_URL"))

    # Where people reach the app (payment links are built on this host). In production mode
    # pages, websocket and webhooks share one port; api_url differs only when they do not.
    public_url: str = "http://localhost:3000"
    port: int = 3000
    backend_port: int | None = None
    api_url: str | None = None
    cors_allowed_origins: list[str] = ["*"]

    session_hours: int = 12
    # Wrong passwords for one email from one address before the waits start (core.auth.check_throttle);
    # the waits grow to at most the lockout.
    signin_max_failures: int = 5
    signin_lockout_minutes: int = 15
    # Wrong passwords from one address for any emails within the lockout before it waits the lockout.
    signin_address_max_failures: int = 100
    # Unknown or expired tokens allowed per client address before its next one gets "Too many
    # attempts" (live links always open). Sized for a carrier NAT, many phones behind one address.
    pay_link_max_failures: int = 100
    pay_link_lockout_minutes: int = 15

    # Twilio: live when an account SID is given, otherwise the sandbox server.
    twilio_account_sid: str | None = None
    # SecretStr: printed, logged or shown in a traceback's locals as '**********'.
    twilio_auth_token: SecretStr | None = None
    twilio_messaging_service_sid: str | None = None
    twilio_lookup_enabled: bool = False
    # A request unanswered after this many seconds has an unknown outcome (it may have reached Twilio).
    twilio_timeout_seconds: float = 15.0
    sandbox_twilio_port: int = 8421
    # How long the sandbox waits between queued -> sent -> delivered (and each status callback).
    sandbox_twilio_step_seconds: float = 1.0

    # Stripe: live (or Stripe test mode) when a secret key is given, otherwise localstripe.
    stripe_secret_key: SecretStr | None = None
    stripe_publishable_key: str | None = None
    stripe_webhook_secret: SecretStr | None = None
    sandbox_stripe_port: int = 8420
    # How long the sandbox bank takes to settle (or return) an ACH debit; Stripe takes up to 4 business days.
    sandbox_ach_settle_seconds: float = 20.0

    # Email: an SMTP server when a host is given, otherwise the sandbox mail sink.
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_from: str = "invoices@smslinks.local"
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = 30.0
    sandbox_smtp_port: int = 8425

    # The outbox dispatcher: `smslinks worker`, and a loop inside the app backend unless switched off.
    inprocess_dispatcher: bool = True
    dispatcher_poll_seconds: float = 1.0
    dispatcher_max_attempts: int = 5
    dispatcher_retry_base_seconds: float = 30.0
    # A row left in "sending" this long (crash, or a Twilio request that timed out) is reconciled
    # against Twilio's message list; keep it well above twilio_timeout_seconds.
    dispatcher_sending_grace_seconds: float = 120.0
    # Texts and emails one dispatcher hands to the providers at once (threads, each waiting on an
    # HTTP or SMTP answer); each batch claims four times as many rows in one transaction.
    dispatcher_concurrency: int = Field(default=16, ge=1, le=128)

    # REST API (/api/v1): requests each API key may make per minute (counted in the database, so
    # shared by every app worker); over it the API answers 429 with Retry-After.
    api_rate_limit_per_minute: int = Field(default=600, ge=1)

    # Outbound webhooks, delivered by the same workers: each request waits this long for an answer;
    # a claimed delivery is leased this long (a worker killed mid-delivery loses nothing: it is
    # taken again after the lease); this many requests go out at once per worker.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0)
    webhook_lease_seconds: float = Field(default=60.0, gt=0)
    webhook_concurrency: int = Field(default=16, ge=1, le=128)
    webhook_retry_base_seconds: float = Field(default=30.0, gt=0)

    @field_validator(*(name for names, _ in SECRET_GROUPS.values() for name in names), mode="before")
    @classmethod
    def _blank_is_unset(cls, value: str | SecretStr | None) -> str | None:
        """A variable set to "" or spaces counts as not given, never as an empty secret."""
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        return (value or "").strip() or None

    @model_validator(mode="after")
    def _no_half_set_secrets(self) -> "Settings":
        problems = [
            _half_set(service, names, otherwise, [name for name in names if getattr(self, name) is not None])
            for service, (names, otherwise) in SECRET_GROUPS.items()
        ]
        if problems := [problem for problem in problems if problem]:
            raise ValueError("\n".join(problems))
        return self

    @property
    def backend_url(self) -> str:
        """Where the browser's websocket and the providers' webhooks reach the backend."""
        return (self.api_url or self.public_url).rstrip("/")

    @property
    def sandbox(self) -> bool:
        """No provider keys at all: webhook endpoints may then be plain http on this machine."""
        return self.twilio_sandbox and self.stripe_sandbox and self.smtp_sandbox

    @property
    def twilio_sandbox(self) -> bool:
        return not self.twilio_account_sid

    @property
    def stripe_sandbox(self) -> bool:
        return not self.stripe_secret_key

    @property
    def smtp_sandbox(self) -> bool:
        return not self.smtp_host

    @property
    def twilio_credentials(self) -> tuple[str, str]:
        if self.twilio_sandbox:
            return SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN
        return str(self.twilio_account_sid), _revealed(self.twilio_auth_token)

    @property
    def twilio_base_url(self) -> str | None:
        """None means Twilio's own hosts."""
        return f"http://127.0.0.1:{self.sandbox_twilio_port}" if self.twilio_sandbox else None

    @property
    def stripe_keys(self) -> tuple[str, str, str]:
        """Secret key, publishable key, webhook signing secret."""
        if self.stripe_sandbox:
            return (
                SANDBOX_STRIPE_SECRET_KEY,
                SANDBOX_STRIPE_PUBLISHABLE_KEY,
                SANDBOX_STRIPE_WEBHOOK_SECRET,
            )
        return (
            _revealed(self.stripe_secret_key),
            str(self.stripe_publishable_key),
            _revealed(self.stripe_webhook_secret),
        )

    @property
    def stripe_base_url(self) -> str | None:
        return f"http://localhost:{self.sandbox_stripe_port}" if self.stripe_sandbox else None

    @property
    def smtp_address(self) -> tuple[str, int]:
        if self.smtp_sandbox:
            return "127.0.0.1", self.sandbox_smtp_port
        return str(self.smtp_host), self.smtp_port

    @property
    def smtp_login(self) -> tuple[str, str] | None:
        """Username and password, or None to send without logging in (always so for the sandbox)."""
        if self.smtp_sandbox or not self.smtp_username:
            return None
        return self.smtp_username, _revealed(self.smtp_password)

    @property
    def twilio_status_callback_url(self) -> str:
        return self.backend_url + routes.TWILIO_STATUS_WEBHOOK

    @property
    def twilio_inbound_url(self) -> str:
        return self.backend_url + routes.TWILIO_INBOUND_WEBHOOK

    @property
    def sandbox_twilio_url(self) -> str:
        """The Dev phone and mail sink pages live on the sandbox Twilio server."""
        return f"http://localhost:{self.sandbox_twilio_port}"


def _revealed(secret: SecretStr | None) -> str:
    """The secret's value, for the one call that hands it to a provider's SDK."""
    return secret.get_secret_value() if secret is not None else ""


def _half_set(service: str, names: tuple[str, ...], otherwise: str, given: list[str]) -> str:
    """'Missing SMSLINKS_TWILIO_AUTH_TOKEN: ...' when some but not all of a group are given."""
    missing = [env_name(name) for name in names if name not in given]
    if not given or not missing:
        return ""
    given_env = [env_name(name) for name in given]
    return (
        f"Missing {' and '.join(missing)}: {' and '.join(given_env)} {'is' if len(given) == 1 else 'are'} set, "
        f"and {service} needs {'both' if len(names) == 2 else f'all {len(names)}'}. "
        f"Set {'it' if len(missing) == 1 else 'them'}, or unset {' and '.join(given_env)} {otherwise}."
    )


def env_name(field: str) -> str:
    return ENV_PREFIX + field.upper()


def describe(error: ValidationError) -> str:
    """A settings error for people, one line per problem, naming variables but never their values."""
    return "\n".join(
        f"{env_name(str(problem['loc'][0]))}: {problem['msg']}"
        if problem["loc"]
        else problem["msg"].removeprefix("Value error, ")  # the checks across fields (_no_half_set_secrets)
        for problem in error.errors()
    )


def backend_workers(redis_url: str | None) -> int | None:
    """The app's worker processes unless GRANIAN_WORKERS says otherwise: with Redis one per core
    (Reflex would start 2 x cores + 1, and on 2 cores five processes each warming their own database
    and Redis pools cost more CPU per page visit than two: bench/load); without Redis, Reflex's one."""
    return (os.cpu_count() or 1) if redis_url else None


def reflex_redis_url(redis_url: str) -> str:
    """Reflex's Redis URL with redis-py's own version given (unless the URL gives one): without it
    redis-py reads its package metadata for every new connection, about 6 ms of CPU each, which a
    burst of page visits pays a hundred times over (bench/load)."""
    import redis  # only here: the worker and the CLI need no Redis client

    parts = urlsplit(redis_url)
    query = parse_qsl(parts.query)
    if not any(name == "lib_version" for name, _ in query):
        query.append(("lib_version", redis.__version__))
    return urlunsplit(parts._replace(query=urlencode(query)))


@lru_cache
def get_settings() -> Settings:
    return Settings()
