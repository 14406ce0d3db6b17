"""The requests Twilio and Stripe would send, signed as they sign them, and a concurrent poster.

Twilio: X-Twilio-Signature is Twilio's RequestValidator signature over the public URL it posts to
(our status callback URL carries ?message=<id>, as the dispatcher sets it) and the form.
Stripe: Stripe-Signature is computed with the webhook secret when each delivery is sent (a retry of
an event is the same id and payload with a fresh signature), as Stripe does.
"""

import asyncio
import json
import random
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import stripe
from twilio.request_validator import RequestValidator

from bench.webhooks.seeding import Batch, Charge, Text, intent_metadata
from smslinks import routes
from smslinks.config import Settings
from smslinks.models import PaymentMethod

DUPLICATE_SHARE = 0.10


@dataclass(frozen=True)
class Delivery:
    """One POST: path and query, body, and how to sign it."""

    kind: str  # "twilio" | "stripe"
    path: str
    form: dict[str, str] | None = None
    payload: str | None = None
    event_id: str | None = None


@dataclass
class Results:
    seconds: float = 0.0
    statuses: Counter = field(default_factory=Counter)
    applied_events: Counter = field(default_factory=Counter)  # Stripe event id -> times reported applied
    errors: list[str] = field(default_factory=list)

    @property
    def server_errors(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def with_duplicates(deliveries: list[Delivery], rng: random.Random) -> list[Delivery]:
    """10% of the deliveries again (providers retry and deliver twice), all shuffled."""
    repeated = deliveries + rng.sample(deliveries, round(len(deliveries) * DUPLICATE_SHARE))
    rng.shuffle(repeated)
    return repeated


# --- Twilio ---------------------------------------------------------------------------------------


def twilio_callbacks(batch: Batch, account_sid: str) -> list[Delivery]:
    return [_twilio_callback(batch, text, status, account_sid) for text in batch.texts for status in text.statuses]


def _twilio_callback(batch: Batch, text: Text, status: str, account_sid: str) -> Delivery:
    form = {
        "AccountSid": account_sid,
        "ApiVersion": "2010-04-01",
        "From": batch.sending_number or "",
        "To": text.to,
        "MessageSid": text.sid,
        "SmsSid": text.sid,
        "MessageStatus": status,
        "SmsStatus": status,
    }
    if status == text.outcome.value and text.error_code:
        form["ErrorCode"] = text.error_code
    return Delivery("twilio", f"{routes.TWILIO_STATUS_WEBHOOK}?message={text.message_id}", form=form)


# --- Stripe ---------------------------------------------------------------------------------------


def stripe_events(batch: Batch) -> list[Delivery]:
    events = []
    for charge in batch.charges:
        if charge.method is PaymentMethod.ACH:
            kinds = ["payment_intent.processing", "payment_intent.succeeded"]
        else:
            kinds = (["payment_intent.payment_failed"] if charge.declined_first else []) + ["payment_intent.succeeded"]
        events += [_stripe_event(batch, charge, kind) for kind in kinds]
    return events


def _stripe_event(batch: Batch, charge: Charge, kind: str) -> Delivery:
    """An event as Stripe sends it: the intent as it was then, payment_method as an id (not expanded)."""
    ach = charge.method is PaymentMethod.ACH
    status = {
        "payment_intent.processing": "processing",
        "payment_intent.succeeded": "succeeded",
        "payment_intent.payment_failed": "requires_payment_method",
    }[kind]
    intent = {
        "id": charge.intent_id,
        "object": "payment_intent",
        "amount": charge.amount_cents,
        "currency": "usd",
        "amount_received": charge.amount_cents if status == "succeeded" else 0,
        "status": status,
        "client_secret": f"{charge.intent_id}_secret_{secrets.token_hex(8)}",
        "livemode": False,
        "metadata": intent_metadata(batch, charge),
        "created": int(time.time()),
        "payment_method": f"pm_{secrets.token_hex(12)}",
        "payment_method_types": ["us_bank_account"] if ach else ["card"],
        "last_payment_error": None,
    }
    if kind == "payment_intent.payment_failed":
        intent["payment_method"] = None
        intent["last_payment_error"] = {
            "type": "card_error",
            "code": "card_declined",
            "decline_code": "insufficient_funds",
            "message": "Your card has insufficient funds.",
            "payment_method": {
                "id": f"pm_{secrets.token_hex(12)}",
                "type": "card",
                "card": {"brand": "visa", "last4": "9995"},
            },
        }
    event_id = f"evt_{secrets.token_hex(12)}"
    event = {
        "id": event_id,
        "object": "event",
        "api_version": "2024-06-20",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "pending_webhooks": 1,
        "data": {"object": intent},
    }
    return Delivery("stripe", routes.STRIPE_WEBHOOK, payload=json.dumps(event), event_id=event_id)


# --- posting --------------------------------------------------------------------------------------


class Poster:
    """Signs and posts deliveries to the server with `concurrency` requests in flight."""

    def __init__(self, settings: Settings, server_url: str, concurrency: int):
        self.public_url = settings.backend_url  # what Twilio signs: the URL it was given
        self.twilio = RequestValidator(settings.twilio_credentials[1])
        self.stripe_secret = settings.stripe_keys[2]
        self.server_url = server_url
        self.concurrency = concurrency

    def _request(self, delivery: Delivery) -> tuple[str, dict, str | dict]:
        if delivery.kind == "twilio":
            signature = self.twilio.compute_signature(self.public_url + delivery.path, delivery.form)
            return delivery.path, {"X-Twilio-Signature": signature}, delivery.form
        signature = stripe.WebhookSignature.generate_signature_header(delivery.payload, self.stripe_secret)
        return delivery.path, {"Stripe-Signature": signature, "Content-Type": "application/json"}, delivery.payload

    def post_all(self, deliveries: list[Delivery]) -> Results:
        return asyncio.run(self._post_all(deliveries))

    async def _post_all(self, deliveries: list[Delivery]) -> Results:
        results = Results()
        pending = iter(deliveries)
        limits = httpx.Limits(max_connections=self.concurrency, max_keepalive_connections=self.concurrency)
        async with httpx.AsyncClient(base_url=self.server_url, limits=limits, timeout=120) as client:

            async def worker():
                for delivery in pending:
                    await self._post(client, delivery, results)

            started = time.perf_counter()
            await asyncio.gather(*(worker() for _ in range(self.concurrency)))
            results.seconds = time.perf_counter() - started
        return results

    async def _post(self, client: httpx.AsyncClient, delivery: Delivery, results: Results) -> None:
        path, headers, body = self._request(delivery)
        try:
            if isinstance(body, dict):
                response = await client.post(path, data=body, headers=headers)
            else:
                response = await client.post(path, content=body, headers=headers)
        except httpx.HTTPError as error:
            results.statuses[0] += 1
            results.errors.append(f"{delivery.kind} {path}: {error!r}")
            return
        results.statuses[response.status_code] += 1
        if response.status_code >= 300:
            results.errors.append(f"{delivery.kind} {path}: HTTP {response.status_code} {response.text[:200]}")
        elif delivery.kind == "stripe" and response.json().get("applied"):
            results.applied_events[delivery.event_id] += 1
