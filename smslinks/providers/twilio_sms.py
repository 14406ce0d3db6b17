"""Twilio over the official SDK: send texts, list them (to reconcile), look up line types, and
check webhook signatures.

In sandbox mode the same client talks to smslinks/sandbox/twilio_server.py: only the base URL of
the two API domains we use (api for Messages, lookups for Lookup v2) changes.
"""

import logging
import threading
from datetime import datetime

import requests
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.messaging_response import MessagingResponse
from urllib3.exceptions import NewConnectionError

from smslinks.core.channels import (
    PermanentFailure,
    ProviderError,
    ProviderMessage,
    SendReceipt,
    TransientFailure,
    UnknownOutcome,
)
from smslinks.core.sms_text import smart_encode

log = logging.getLogger(__name__)
# The SDK logs every request's and answer's headers at INFO: most of a busy worker's CPU and log,
# and nothing the outbox does not say. Quiet in every process that talks to Twilio (app and worker).
logging.getLogger("twilio.http_client").setLevel(logging.WARNING)


class TwilioSms:
    """Safe to share between threads (the dispatcher sends concurrently): each thread gets its own
    SDK client, because TwilioHttpClient keeps the last response on itself and returns it from
    there, so two threads sharing one could each read the other's answer (and adopt its sid)."""

    def __init__(self, account_sid: str, auth_token: str, *, base_url: str | None = None, timeout: float = 15.0):
        self.timeout = timeout
        self._credentials = (account_sid, auth_token)
        self._base_url = base_url
        self._per_thread = threading.local()

    @property
    def client(self) -> Client:
        client = getattr(self._per_thread, "client", None)
        if client is None:
            client = Client(*self._credentials, http_client=TwilioHttpClient(timeout=self.timeout))
            if self._base_url:
                client.api.base_url = self._base_url
                client.lookups.base_url = self._base_url
            self._per_thread.client = client
        return client

    def send(
        self,
        *,
        to: str,
        body: str,
        from_: str | None = None,
        messaging_service_sid: str | None = None,
        status_callback: str | None = None,
    ) -> SendReceipt:
        params: dict[str, str] = {"to": to, "body": body}
        if messaging_service_sid:
            params["messaging_service_sid"] = messaging_service_sid
        elif from_:
            params["from_"] = from_
        if status_callback:
            params["status_callback"] = status_callback
        try:
            message = self.client.messages.create(**params)
        except (TwilioRestException, requests.RequestException) as error:
            raise self._classified(error, "sending a text") from error
        return SendReceipt(provider_id=message.sid, status=str(message.status))

    def messages_to(self, to: str, since: datetime) -> list[ProviderMessage]:
        """Twilio lists newest first; stop at the first message older than `since`. (Its DateSent
        filter would miss messages still queued, which have no date_sent yet.) Twilio's dates have
        whole seconds, so `since` is rounded down to the second."""
        since = since.replace(microsecond=0)
        found = []
        try:
            for message in self.client.messages.stream(to=to, page_size=50):
                if message.date_created is not None and message.date_created < since:
                    break
                found.append(
                    ProviderMessage(
                        provider_id=message.sid,
                        to=message.to,
                        body=message.body or "",
                        status=str(message.status),
                        created_at=message.date_created,
                    )
                )
        except (TwilioRestException, requests.RequestException) as error:
            raise self._classified(error, "listing texts") from error
        return found

    def line_type(self, e164: str) -> str | None:
        """Lookup v2 line type intelligence: "mobile", "landline", "nonFixedVoip", "tollFree"...
        None when Twilio does not know the number. Outages raise TransientFailure/UnknownOutcome."""
        try:
            result = self.client.lookups.v2.phone_numbers(e164).fetch(fields="line_type_intelligence")
        except TwilioRestException as error:
            if error.status == 404:
                return None
            raise self._classified(error, "a line-type lookup") from error
        except requests.RequestException as error:
            raise self._classified(error, "a line-type lookup") from error
        if result.valid is False:
            return None
        return (result.line_type_intelligence or {}).get("type") or None

    def _classified(self, error: Exception, action: str) -> ProviderError:
        """The core's kind of failure; logged with Twilio's code and status (never the credentials)."""
        failure = self._kind_of(error)
        log.warning(
            "Twilio: %s failed: %s %s (code %s, HTTP %s)",
            action,
            type(failure).__name__,
            failure.detail,
            failure.code,
            getattr(error, "status", None),
        )
        return failure

    def _kind_of(self, error: Exception) -> ProviderError:
        if isinstance(error, TwilioRestException):
            code = str(error.code) if error.code else None
            if error.status == 429 or error.status >= 500:
                return TransientFailure(f"Twilio answered {error.status}: {error.msg}", code)
            return PermanentFailure(error.msg or f"Twilio answered {error.status}.", code)
        if isinstance(error, requests.exceptions.ConnectTimeout):
            return TransientFailure("Could not connect to Twilio (timed out).")
        if isinstance(error, requests.exceptions.Timeout):
            return UnknownOutcome(f"Twilio did not answer within {self.timeout:g} seconds.")
        if isinstance(error, requests.exceptions.ConnectionError) and _never_connected(error):
            return TransientFailure("Could not connect to Twilio.")
        return UnknownOutcome(f"The connection to Twilio failed before it answered ({type(error).__name__}).")


def _never_connected(error: requests.exceptions.ConnectionError) -> bool:
    """Connection refused or name not resolved: the request cannot have reached Twilio."""
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, NewConnectionError)


def signature_valid(auth_token: str, url: str, params, signature: str) -> bool:
    """Whether X-Twilio-Signature matches the public URL Twilio requested and the form it posted."""
    return bool(signature) and RequestValidator(auth_token).validate(url, params, signature)


def twiml_reply(text: str | None) -> str:
    """TwiML answering an inbound text: one <Message>, smart-encoded like every text we send, or an
    empty <Response/> (no reply)."""
    response = MessagingResponse()
    if text:
        response.message(smart_encode(text))
    return str(response)
