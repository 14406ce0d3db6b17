"""Deleting rows that have served their purpose; the workers run it every PRUNE_EVERY.

Each kind of row is kept as long as it can still matter, and no longer:
- throttle rows (failed sign-ins, setup codes, pay-link visits): their lockout window;
- Stripe events already applied: PROCESSED_EVENT_RETENTION, past Stripe's retry window, so a
  retried event is still recognised and applied once;
- sessions: until they expire or are revoked (the token then opens nothing either way);
- outbound webhook deliveries that arrived or were given up: WEBHOOK_DELIVERY_RETENTION, then their
  events once no delivery refers to them;
- the REST API's first answers to Idempotency-Keys: IDEMPOTENT_ANSWER_RETENTION, while a retry may come.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.config import Settings
from smslinks.models import (
    ApiIdempotentResponse,
    EmployeeSession,
    PayLinkFailure,
    ProcessedWebhookEvent,
    SetupCodeFailure,
    SigninFailure,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEvent,
)

PRUNE_EVERY = timedelta(hours=1)
# Stripe retries an event it could not deliver for up to 3 days (live mode); 4 more days cover an
# outage of ours that long and a late manual resend from the Stripe dashboard.
PROCESSED_EVENT_RETENTION = timedelta(days=7)
# Long enough for an administrator to look back at (and resend) a month of deliveries.
WEBHOOK_DELIVERY_RETENTION = timedelta(days=30)
# A client retrying a POST with the same Idempotency-Key gets the first answer back for this long.
IDEMPOTENT_ANSWER_RETENTION = timedelta(hours=24)
# Stripe's events are the ones its retries repeat (Twilio's inbound texts are kept by MessageSid elsewhere).
STRIPE = "stripe"


@dataclass(frozen=True)
class Pruned:
    throttle_rows: int
    processed_events: int
    sessions: int
    webhook_deliveries: int
    webhook_events: int
    idempotent_answers: int


def prune(session: Session, settings: Settings, now: datetime) -> Pruned:
    """Delete what has expired as of `now`; the caller commits."""
    signin_window = now - timedelta(minutes=settings.signin_lockout_minutes)
    throttle_rows = (
        _delete(session, SigninFailure, col(SigninFailure.at) < signin_window)
        + _delete(session, SetupCodeFailure, col(SetupCodeFailure.at) < signin_window)
        + _delete(
            session, PayLinkFailure, col(PayLinkFailure.at) < now - timedelta(minutes=settings.pay_link_lockout_minutes)
        )
    )
    processed_events = _delete(
        session,
        ProcessedWebhookEvent,
        col(ProcessedWebhookEvent.provider) == STRIPE,
        col(ProcessedWebhookEvent.received_at) < now - PROCESSED_EVENT_RETENTION,
    )
    sessions = _delete(
        session,
        EmployeeSession,
        sa.or_(col(EmployeeSession.expires_at) < now, col(EmployeeSession.revoked_at) < now),
    )
    old = now - WEBHOOK_DELIVERY_RETENTION
    webhook_deliveries = _delete(
        session,
        WebhookDelivery,
        col(WebhookDelivery.status).in_([WebhookDeliveryStatus.DELIVERED, WebhookDeliveryStatus.FAILED]),
        col(WebhookDelivery.created_at) < old,
    )
    webhook_events = _delete(
        session,
        WebhookEvent,
        col(WebhookEvent.created_at) < old,
        ~col(WebhookEvent.id).in_(select(WebhookDelivery.event_id)),
    )
    idempotent_answers = _delete(
        session, ApiIdempotentResponse, col(ApiIdempotentResponse.created_at) < now - IDEMPOTENT_ANSWER_RETENTION
    )
    return Pruned(throttle_rows, processed_events, sessions, webhook_deliveries, webhook_events, idempotent_answers)


def _delete(session: Session, table, *conditions) -> int:
    result = session.execute(sa.delete(table).where(*conditions))
    return cast(sa.CursorResult, result).rowcount  # a DELETE's result is a cursor's
