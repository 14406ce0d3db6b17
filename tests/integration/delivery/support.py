"""Helpers for the delivery integration tests (fixtures are in conftest.py)."""

import itertools
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlmodel import Session, select

from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, Settings
from smslinks.core import outbox
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.models import Business, MessageStatusEvent, OutboundMessage
from smslinks.providers.email import SmtpEmail
from smslinks.providers.twilio_sms import TwilioSms
from smslinks.sandbox.mail_sink import MailStore
from smslinks.sandbox.twilio_server import SandboxState
from tests.fakes import Clock

# Fast enough for CI, slow enough that "sent" and "delivered" are two separate callbacks.
SANDBOX_STEP_SECONDS = 0.05
CLIENT_TIMEOUT_SECONDS = 0.5
sending_numbers = itertools.count(1)


@dataclass
class DeliveryEnv:
    settings: Settings
    api_url: str
    sandbox_url: str
    sandbox: SandboxState
    mail: MailStore
    smtp_port: int
    engine: object

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def sms(self, timeout: float = CLIENT_TIMEOUT_SECONDS) -> TwilioSms:
        return TwilioSms(
            SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, base_url=self.sandbox_url, timeout=timeout
        )

    def email(self) -> SmtpEmail:
        return SmtpEmail("127.0.0.1", self.smtp_port, sender="invoices@smslinks.test", starttls=False, timeout=5)

    def dispatcher(self, clock: Clock | None = None, **policy) -> Dispatcher:
        defaults = dict(
            max_attempts=3,
            retry_base_seconds=0,
            sending_grace_seconds=10,
            status_callback_url=self.settings.twilio_status_callback_url,
        )
        return Dispatcher(
            self.engine,
            sms=self.sms(),
            email=self.email(),
            policy=DispatchPolicy(**{**defaults, **policy}),
            clock=clock or Clock(),
        )

    def sandbox_messages_to(self, number: str) -> list:
        return [m for m in self.sandbox.newest_first() if m.to == number and m.direction == "outbound-api"]

    def faults(self, **faults) -> None:
        httpx.post(f"{self.sandbox_url}/_sandbox/faults", json=faults).raise_for_status()


def enqueue(env: DeliveryEnv, business: Business, to: str, channel: str = "sms", **kwargs) -> int:
    with env.session() as session:
        message = outbox.enqueue(
            session,
            business_id=business.id,
            channel=channel,
            to_address=to,
            body=kwargs.pop(
                "body", f"Your invoice from {business.name}: https://pay.example.com/pay/{secrets.token_urlsafe(8)}"
            ),
            **kwargs,
        )
        session.commit()
        return message.id


def load(env: DeliveryEnv, message_id: int) -> OutboundMessage:
    with env.session() as session:
        return session.get(OutboundMessage, message_id)


def history(env: DeliveryEnv, message_id: int) -> list[str]:
    with env.session() as session:
        return session.exec(
            select(MessageStatusEvent.status)
            .where(MessageStatusEvent.message_id == message_id)
            .order_by(MessageStatusEvent.id)
        ).all()


def wait_for(condition: Callable[[], object], timeout: float = 10, what: str = "condition") -> object:
    """Poll until condition() is truthy (callbacks arrive asynchronously); fail after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
