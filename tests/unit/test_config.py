"""config.Settings: provider secrets come whole or not at all, and errors never show a secret."""

import pytest
import redis
from pydantic import ValidationError

from smslinks import cli
from smslinks.config import (
    SECRET_GROUPS,
    Settings,
    backend_workers,
    describe,
    env_name,
    get_settings,
    reflex_redis_url,
)

SECRET_FIELDS = [name for names, _ in SECRET_GROUPS.values() for name in names]
SECRET = "s3cr3t-value-never-shown"


@pytest.fixture(autouse=True)
def no_secrets_in_env(monkeypatch):
    for name in SECRET_FIELDS:
        monkeypatch.delenv(env_name(name), raising=False)


def _refusal(**given) -> str:
    with pytest.raises(ValidationError) as refused:
        Settings(**given)
    assert SECRET not in str(refused.value)  # hide_input_in_errors: not even pydantic's own text
    return describe(refused.value)


@pytest.mark.parametrize(
    "given, message",
    [
        (
            ["twilio_account_sid"],
            "Missing SMSLINKS_TWILIO_AUTH_TOKEN: SMSLINKS_TWILIO_ACCOUNT_SID is set, and Twilio needs both. "
            "Set it, or unset SMSLINKS_TWILIO_ACCOUNT_SID to use the sandbox.",
        ),
        (
            ["twilio_auth_token"],
            "Missing SMSLINKS_TWILIO_ACCOUNT_SID: SMSLINKS_TWILIO_AUTH_TOKEN is set, and Twilio needs both. "
            "Set it, or unset SMSLINKS_TWILIO_AUTH_TOKEN to use the sandbox.",
        ),
        (
            ["stripe_secret_key"],
            "Missing SMSLINKS_STRIPE_PUBLISHABLE_KEY and SMSLINKS_STRIPE_WEBHOOK_SECRET: SMSLINKS_STRIPE_SECRET_KEY "
            "is set, and Stripe needs all 3. Set them, or unset SMSLINKS_STRIPE_SECRET_KEY to use the sandbox.",
        ),
        (
            ["stripe_secret_key", "stripe_publishable_key"],
            "Missing SMSLINKS_STRIPE_WEBHOOK_SECRET: SMSLINKS_STRIPE_SECRET_KEY and SMSLINKS_STRIPE_PUBLISHABLE_KEY "
            "are set, and Stripe needs all 3. Set it, or unset SMSLINKS_STRIPE_SECRET_KEY and "
            "SMSLINKS_STRIPE_PUBLISHABLE_KEY to use the sandbox.",
        ),
        (["stripe_secret_key", "stripe_webhook_secret"], "Missing SMSLINKS_STRIPE_PUBLISHABLE_KEY: "),
        (["stripe_webhook_secret"], "Missing SMSLINKS_STRIPE_SECRET_KEY and SMSLINKS_STRIPE_PUBLISHABLE_KEY: "),
        (
            ["smtp_username"],
            "Missing SMSLINKS_SMTP_PASSWORD: SMSLINKS_SMTP_USERNAME is set, and the SMTP login needs both. "
            "Set it, or unset SMSLINKS_SMTP_USERNAME to send without logging in.",
        ),
    ],
)
def test_a_half_set_group_of_secrets_is_refused_naming_what_is_missing(given, message):
    assert _refusal(**{name: SECRET for name in given}).startswith(message)


def test_every_half_set_group_is_reported_at_once():
    lines = _refusal(twilio_auth_token=SECRET, stripe_secret_key=SECRET).splitlines()
    assert [line.split(":")[0] for line in lines] == [
        "Missing SMSLINKS_TWILIO_ACCOUNT_SID",
        "Missing SMSLINKS_STRIPE_PUBLISHABLE_KEY and SMSLINKS_STRIPE_WEBHOOK_SECRET",
    ]


def test_a_blank_secret_counts_as_missing():
    assert _refusal(twilio_account_sid=SECRET, twilio_auth_token="   ").startswith("Missing SMSLINKS_TWILIO_AUTH_TOKEN")
    settings = Settings(twilio_account_sid="", twilio_auth_token="", stripe_webhook_secret=" ")
    assert settings.twilio_sandbox and settings.stripe_sandbox and settings.stripe_webhook_secret is None


def test_whole_groups_go_live_and_none_means_the_sandbox():
    settings = Settings(**{name: f"{name}-{SECRET}" for name in SECRET_FIELDS})
    assert settings.twilio_credentials == (f"twilio_account_sid-{SECRET}", f"twilio_auth_token-{SECRET}")
    assert settings.stripe_keys[2] == f"stripe_webhook_secret-{SECRET}"
    sandbox = Settings()
    assert sandbox.twilio_sandbox and sandbox.stripe_sandbox
    assert all(sandbox.stripe_keys) and all(sandbox.twilio_credentials)


def test_secrets_never_show_when_settings_are_printed_or_logged():
    secret = {"twilio_auth_token", "stripe_secret_key", "stripe_webhook_secret", "smtp_password"}
    given = {name: f"{name}-{SECRET}" if name in secret else name for name in SECRET_FIELDS}
    settings = Settings(**given, smtp_host="smtp.example.com")
    assert SECRET not in repr(settings) and SECRET not in str(settings.model_dump())
    # Only the adapters' factories reveal them, to hand them to the SDKs.
    assert settings.stripe_keys[0] == f"stripe_secret_key-{SECRET}"
    assert settings.smtp_login == ("smtp_username", f"smtp_password-{SECRET}")
    assert Settings(smtp_host="smtp.example.com").smtp_login is None


def test_other_setting_errors_name_the_variable():
    with pytest.raises(ValidationError) as refused:
        Settings(port="three thousand")
    assert describe(refused.value).startswith("SMSLINKS_PORT: Input should be a valid integer")


def test_the_command_line_stops_with_the_reason_and_no_traceback(monkeypatch, capsys):
    monkeypatch.setenv("SMSLINKS_TWILIO_ACCOUNT_SID", SECRET)
    get_settings.cache_clear()
    try:
        assert cli.main(["db", "upgrade"]) == 2
    finally:
        get_settings.cache_clear()
    err = capsys.readouterr().err
    assert err.startswith("error: Missing SMSLINKS_TWILIO_AUTH_TOKEN: ") and SECRET not in err
    assert "Traceback" not in err


def test_with_redis_the_app_runs_one_worker_per_core_without_it_reflexs_one(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    assert backend_workers("redis://127.0.0.1:6379/0") == 2
    assert backend_workers(None) is None


def test_reflexs_redis_url_names_redis_pys_version_so_no_connection_looks_it_up():
    assert reflex_redis_url("redis://cache:6379/0") == f"redis://cache:6379/0?lib_version={redis.__version__}"
    given = reflex_redis_url("rediss://:secret@cache:6380/2?socket_timeout=5")
    assert given == f"rediss://:secret@cache:6380/2?socket_timeout=5&lib_version={redis.__version__}"
    assert reflex_redis_url("redis://cache/0?lib_version=7.0.0") == "redis://cache/0?lib_version=7.0.0"
    pool = redis.asyncio.Redis.from_url(reflex_redis_url("redis://cache:6379/0")).connection_pool
    assert pool.connection_kwargs["lib_version"] == redis.__version__
