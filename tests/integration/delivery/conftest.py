"""The delivery path for real: the twilio SDK and smtplib against the sandbox servers, the app's
webhook routes served on a free port, and a PostgreSQL database of its own."""

from collections.abc import Iterator

import pytest

from smslinks.api import build_api
from smslinks.config import get_settings
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import Business
from smslinks.sandbox.mail_sink import MailStore, start_smtp
from smslinks.sandbox.runner import free_port
from smslinks.sandbox.twilio_server import build_app
from tests import factories
from tests.databases import fresh_database
from tests.integration.delivery.support import (
    SANDBOX_STEP_SECONDS,
    DeliveryEnv,
    sending_numbers,
)
from tests.servers import serving


@pytest.fixture(scope="package")
def delivery_db_url() -> Iterator[str]:
    with fresh_database("smslinks_delivery") as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture(scope="package")
def delivery_env(delivery_db_url) -> Iterator[DeliveryEnv]:
    """Settings point at the test database and at the API server's public URL (the URL the
    sandbox posts signed callbacks to, and the one the webhooks verify signatures against)."""
    from smslinks import db

    api_port, smtp_port = free_port(), free_port()
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DATABASE_URL", delivery_db_url)
        patch.setenv("SMSLINKS_PUBLIC_URL", f"http://127.0.0.1:{api_port}")
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        settings = get_settings()
        mail = MailStore()
        smtp = start_smtp(mail, smtp_port)
        sandbox_app = build_app(inbound_url=settings.twilio_inbound_url, step_seconds=SANDBOX_STEP_SECONDS, mail=mail)
        engine = make_engine(delivery_db_url)
        try:
            with serving(sandbox_app) as sandbox_url, serving(build_api(), api_port) as api_url:
                yield DeliveryEnv(settings, api_url, sandbox_url, sandbox_app.state.sandbox, mail, smtp_port, engine)
        finally:
            smtp.stop()
            engine.dispose()
            db.get_engine().dispose()
            db.get_engine.cache_clear()
            get_settings.cache_clear()


@pytest.fixture
def env(delivery_env) -> DeliveryEnv:
    delivery_env.sandbox.reset()
    delivery_env.mail.clear()
    return delivery_env


@pytest.fixture
def business(env) -> Business:
    """A business of its own per test (its own sending number, so inbound replies find it)."""
    with env.session() as session:
        row = factories.business(session, default_sending_number=f"+1512555{8000 + next(sending_numbers):04d}")
        session.commit()
        return row
