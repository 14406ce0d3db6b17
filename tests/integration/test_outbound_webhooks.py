"""Outbound webhooks for real on PostgreSQL: httpx to a local receiver that verifies every request
with standardwebhooks' Webhook.verify; two workers at once; a worker killed with SIGKILL mid-delivery;
redirects not followed; a slow receiver timed out."""

import os
import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlmodel import Session, select

from smslinks.config import PROJECT_ROOT
from smslinks.core import webhooks
from smslinks.core.webhook_sender import WebhookPolicy, WebhookSender
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import WebhookDelivery, WebhookEvent
from smslinks.providers.webhook_http import HttpWebhookPoster
from tests import factories
from tests.concurrency import at_once
from tests.databases import fresh_database
from tests.integration.delivery.support import wait_for
from tests.servers import serving
from tests.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="module")
def db_url() -> Iterator[str]:
    """A database of its own: `smslinks worker` processes here must find nothing else to send."""
    with fresh_database("smslinks_webhooks") as url:
        upgrade_to_head(url)
        yield url


@pytest.fixture
def engine(db_url):
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


@pytest.fixture
def receiver() -> Iterator[tuple[WebhookReceiver, str]]:
    receiver = WebhookReceiver(slow_seconds=3)
    with serving(receiver.app) as url:
        yield receiver, url


def _endpoint(engine, url: str) -> tuple[int, str, int]:
    """A business whose administrator registered `url` for every event: (business id, secret, endpoint id)."""
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session)
        admin = factories.employee(session, business, "Administrator")
        endpoint_id, secret = webhooks.add_endpoint(session, admin, url, list(webhooks.EVENT_TYPES))
        session.commit()
        return business.id, secret, endpoint_id


def _record(engine, business_id: int, count: int) -> set[str]:
    """`count` events; returns their webhook-ids."""
    with Session(engine) as session:
        events = [
            webhooks.record_event(
                session, business_id, "payment.succeeded", {"payment": {"id": n, "amount_cents": 100 + n}}
            )
            for n in range(count)
        ]
        session.commit()
        return {event.message_id for event in events}


def _deliveries(engine, endpoint_id: int) -> list[WebhookDelivery]:
    with Session(engine) as session:
        return session.exec(select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)).all()


def _sender(engine, timeout: float = 5, concurrency: int = 8) -> WebhookSender:
    policy = WebhookPolicy(timeout_seconds=timeout, lease_seconds=max(60, 4 * timeout), concurrency=concurrency)
    return WebhookSender(engine, HttpWebhookPoster(timeout, max_connections=concurrency), policy)


def test_every_delivery_arrives_signed_and_verifies(engine, receiver):
    receiver, url = receiver
    business_id, secret, endpoint_id = _endpoint(engine, f"{url}/ok")
    receiver.secret = secret
    sent = _record(engine, business_id, 40)
    assert _sender(engine).run_once(100) == 40
    received = receiver.received
    assert len(received) == 40 and all(r.verified for r in received)
    assert {r.webhook_id for r in received} == sent
    assert {r.payload["type"] for r in received} == {"payment.succeeded"}
    assert {(d.status, d.attempts, d.last_response_code) for d in _deliveries(engine, endpoint_id)} == {
        ("delivered", 1, 204)
    }


def test_two_workers_at_once_deliver_each_exactly_once(db_url, engine, receiver):
    receiver, url = receiver
    business_id, secret, endpoint_id = _endpoint(engine, f"{url}/ok")
    receiver.secret = secret
    sent = _record(engine, business_id, 600)

    def work(_index: int, start) -> int:
        own_engine = make_engine(db_url)
        sender = _sender(own_engine, concurrency=4)
        start()
        handled = 0
        try:
            while count := sender.run_once(50):
                handled += count
        finally:
            sender.close()
            own_engine.dispose()
        return handled

    handled = at_once(2, work)
    ids = Counter(r.webhook_id for r in receiver.received)
    assert set(ids) == sent and set(ids.values()) == {1}
    assert all(r.verified for r in receiver.received)
    assert sum(handled) == 600 and min(handled) > 0, handled
    assert {(d.status, d.attempts) for d in _deliveries(engine, endpoint_id)} == {("delivered", 1)}


def _worker(db_url: str, lease_seconds: float, concurrency: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "smslinks.cli", "worker"],
        cwd=PROJECT_ROOT,
        env={
            **os.environ,
            "DATABASE_URL": db_url,
            "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.1",
            "SMSLINKS_WEBHOOK_TIMEOUT_SECONDS": "5",
            "SMSLINKS_WEBHOOK_LEASE_SECONDS": str(lease_seconds),
            "SMSLINKS_WEBHOOK_CONCURRENCY": str(concurrency),
        },
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def test_a_worker_killed_mid_delivery_loses_nothing_and_redelivers_with_the_same_webhook_id(db_url, engine, receiver):
    receiver, url = receiver
    receiver.slow_seconds = 2  # each request is in flight for 2 s after it arrives
    business_id, secret, endpoint_id = _endpoint(engine, f"{url}/slow")
    receiver.secret = secret
    sent = _record(engine, business_id, 30)
    doomed = _worker(db_url, lease_seconds=12, concurrency=4)
    try:
        wait_for(lambda: len(receiver.received) >= 4, timeout=60, what="the first worker's requests")
        doomed.send_signal(signal.SIGKILL)  # its requests are still waiting for their answers
    finally:
        doomed.wait(timeout=20)
    in_flight = {r.webhook_id for r in receiver.received}
    leased = [d for d in _deliveries(engine, endpoint_id) if d.status == "sending"]
    assert leased, "the killed worker left no leased deliveries"
    survivor = _worker(db_url, lease_seconds=12, concurrency=8)
    try:
        wait_for(
            lambda: all(d.status == "delivered" for d in _deliveries(engine, endpoint_id)),
            timeout=120,
            what="every delivery delivered",
        )
    finally:
        survivor.send_signal(signal.SIGTERM)
        output, _ = survivor.communicate(timeout=30)
    assert survivor.returncode == 0, output
    received = receiver.received
    assert all(r.verified for r in received)
    assert {r.webhook_id for r in received} == sent  # nothing lost
    counts = Counter(r.webhook_id for r in received)
    redelivered = {webhook_id for webhook_id, n in counts.items() if n > 1}
    # What the killed worker had sent without hearing back went again, under the same webhook-id.
    assert redelivered and redelivered <= in_flight
    with Session(engine) as session:
        attempts = dict(
            session.exec(
                select(WebhookEvent.message_id, WebhookDelivery.attempts)
                .join(WebhookDelivery, WebhookDelivery.event_id == WebhookEvent.id)
                .where(WebhookDelivery.endpoint_id == endpoint_id)
            ).all()
        )
    assert all(attempts[webhook_id] == 2 for webhook_id in redelivered)


def test_a_redirect_is_not_followed_and_counts_as_a_failed_attempt(engine, receiver):
    receiver, url = receiver
    business_id, secret, endpoint_id = _endpoint(engine, f"{url}/redirect")
    receiver.secret = secret
    _record(engine, business_id, 1)
    assert _sender(engine).run_once() == 1
    assert [r.path for r in receiver.received] == ["redirect"]  # never /ok
    [delivery] = _deliveries(engine, endpoint_id)
    assert (delivery.status, delivery.last_response_code) == ("pending", 307)
    assert "redirects are not followed" in delivery.last_error and delivery.next_attempt_at > delivery.last_attempt_at


def test_a_slow_receiver_times_out_and_the_delivery_is_retried_later(engine, receiver):
    receiver, url = receiver
    receiver.slow_seconds = 5
    business_id, secret, endpoint_id = _endpoint(engine, f"{url}/slow")
    receiver.secret = secret
    _record(engine, business_id, 1)
    assert _sender(engine, timeout=1).run_once() == 1
    [delivery] = _deliveries(engine, endpoint_id)
    assert (delivery.status, delivery.last_response_code) == ("pending", None)
    assert delivery.last_error == "No answer within 1 second."
    assert len(receiver.received) == 1 and receiver.received[0].verified
