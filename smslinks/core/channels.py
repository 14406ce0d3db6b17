"""What core needs from the SMS and email providers, and how they report failure.

The adapters in smslinks/providers implement these Protocols over the Twilio SDK and smtplib;
unit tests pass fakes. Every provider error is one of three kinds, because the dispatcher treats
them differently: permanent (fail the message with the reason), transient (retry later) and unknown
outcome (the request may have reached the provider: never resend blindly, reconcile first).
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


class ProviderError(Exception):
    """A provider call failed. `code` is the provider's error code, if it gave one."""

    def __init__(self, detail: str, code: str | None = None):
        super().__init__(detail)
        self.detail = detail
        self.code = code


class PermanentFailure(ProviderError):
    """The provider refused the message; sending it again would fail the same way."""


class TransientFailure(ProviderError):
    """The provider could not take the message now (outage, rate limit, connection refused)."""


class UnknownOutcome(ProviderError):
    """No answer (e.g. a timeout after the request was sent): the message may or may not exist."""


@dataclass(frozen=True)
class SendReceipt:
    provider_id: str
    status: str  # the provider's own status word, e.g. Twilio's "queued"


@dataclass(frozen=True)
class ProviderMessage:
    """A message found in the provider's list (for reconciling unknown outcomes)."""

    provider_id: str
    to: str
    body: str
    status: str
    created_at: datetime | None


class SmsProvider(Protocol):
    def send(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> SendReceipt: ...

    def messages_to(self, to: str, since: datetime) -> list[ProviderMessage]:
        """Messages sent to this number created at or after `since`, newest first."""
        ...

    def line_type(self, e164: str) -> str | None:
        """The carrier's line type ("mobile", "landline", "nonFixedVoip"...), None if unknown."""
        ...


class EmailProvider(Protocol):
    def send(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        from_name: str | None = None,
        reply_to: str | None = None,
    ) -> SendReceipt: ...
