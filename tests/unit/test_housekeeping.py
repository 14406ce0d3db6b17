"""The workers' pruning: each kind of row goes once it can no longer matter, and not before."""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from sqlmodel import select

from smslinks.config import Settings
from smslinks.core import api_keys, housekeeping, webhooks
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
from tests import factories

NOW = datetime(2026, 12, 3, 18, 0, tzinfo=UTC)
SETTINGS = Settings(signin_lockout_minutes=15, pay_link_lockout_minutes=15)


def _ids(session, table) -> set:
    return set(session.exec(select(table.id)).all())


def test_throttle_rows_go_after_their_lockout_window(session):
    inside, outside = NOW - timedelta(minutes=14), NOW - timedelta(minutes=16)
    for table, extra in ((SigninFailure, {"email": "a@example.com"}), (PayLinkFailure, {}), (SetupCodeFailure, {})):
        session.add(table(client="1.2.3.4", at=inside, **extra))
        session.add(table(client="1.2.3.4", at=outside, **extra))
    session.flush()
    assert housekeeping.prune(session, SETTINGS, NOW).throttle_rows == 3
    for table in (SigninFailure, PayLinkFailure, SetupCodeFailure):
        assert session.exec(select(table.at)).all() == [inside.replace(tzinfo=UTC)]


def test_stripe_event_ids_are_kept_past_stripes_three_day_retry_window(session):
    for days in (3, 6, 8):
        session.add(
            ProcessedWebhookEvent(provider="stripe", event_id=f"evt_{days}", received_at=NOW - timedelta(days=days))
        )
    session.flush()
    assert housekeeping.prune(session, SETTINGS, NOW).processed_events == 1
    assert set(session.exec(select(ProcessedWebhookEvent.event_id)).all()) == {"evt_3", "evt_6"}


def test_expired_and_revoked_sessions_go_live_ones_stay(session):
    business = factories.business(session)
    employee = factories.employee(session, business)
    rows = {
        "live": EmployeeSession(employee_id=employee.id, token_hash="a" * 64, expires_at=NOW + timedelta(hours=1)),
        "expired": EmployeeSession(employee_id=employee.id, token_hash="b" * 64, expires_at=NOW - timedelta(seconds=1)),
        "revoked": EmployeeSession(
            employee_id=employee.id,
            token_hash="c" * 64,
            expires_at=NOW + timedelta(hours=1),
            revoked_at=NOW - timedelta(minutes=1),
        ),
    }
    session.add_all(rows.values())
    session.flush()
    assert housekeeping.prune(session, SETTINGS, NOW).sessions == 2
    assert _ids(session, EmployeeSession) == {rows["live"].id}


def test_finished_webhook_deliveries_go_after_thirty_days_then_their_events(session):
    business = factories.business(session)
    admin = factories.employee(session, business, "Administrator")
    webhooks.add_endpoint(session, admin, "https://example.com/hook", list(webhooks.EVENT_TYPES))
    events = {
        age: webhooks.record_event(session, business.id, "payment.succeeded", {"n": age}, at=NOW - timedelta(days=age))
        for age in (29, 31, 32)
    }
    finished = {
        29: WebhookDeliveryStatus.DELIVERED,
        31: WebhookDeliveryStatus.FAILED,
        32: WebhookDeliveryStatus.PENDING,
    }
    for age, status in finished.items():
        session.execute(
            sa.update(WebhookDelivery).where(WebhookDelivery.event_id == events[age].id).values(status=status)
        )
    pruned = housekeeping.prune(session, SETTINGS, NOW)
    # The 31-day-old failed delivery and its event go; a recent one and one still pending stay.
    assert (pruned.webhook_deliveries, pruned.webhook_events) == (1, 1)
    assert _ids(session, WebhookEvent) == {events[29].id, events[32].id}


def test_idempotent_api_answers_go_after_a_day(session):
    business = factories.business(session)
    key = api_keys.create_for_support(session, business, "Books")
    for name, age in (("fresh", timedelta(hours=23)), ("stale", timedelta(hours=25))):
        session.add(
            ApiIdempotentResponse(
                api_key_id=key.id, key=name, request_hash="0" * 64, status_code=200, body="{}", created_at=NOW - age
            )
        )
    session.flush()
    assert housekeeping.prune(session, SETTINGS, NOW).idempotent_answers == 1
    assert session.exec(select(ApiIdempotentResponse.key)).all() == ["fresh"]
