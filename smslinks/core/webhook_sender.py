"""The workers' webhook sender: claims due deliveries, signs them, posts them, records the outcome.

- A claim is committed before any request: on PostgreSQL the due rows are locked with
  SELECT ... FOR UPDATE SKIP LOCKED, on SQLite the claiming UPDATE re-checks that each row is still
  due, so two workers never take the same delivery.
- A claim is a lease: the row is "sending" until next_attempt_at. A worker killed mid-delivery
  leaves its rows "sending"; once the lease runs out any worker takes them again. The receiver may
  then see a delivery twice, with the same `webhook-id` (Standard Webhooks: receivers dedupe on it).
- An outcome is recorded only by the worker still holding the lease (same attempt number).
- A failed attempt is retried with exponential backoff until the delivery is 3 days old, then the
  delivery fails; an endpoint whose deliveries have failed for 3 days without a success is
  switched off, with the reason shown in Settings > Webhooks.
- Each attempt is signed anew (Standard Webhooks: `webhook-timestamp` is the time of sending); the
  body and `webhook-id` never change.
"""

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
from sqlmodel import Session, col, select
from standardwebhooks import Webhook

from smslinks.core import audit, display
from smslinks.core.webhooks import RETRY_WINDOW
from smslinks.models import (
    Business,
    WebhookDelivery,
    WebhookDeliveryStatus,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)

log = logging.getLogger(__name__)

SENDER_ACTOR = "webhook sender"
_CLAIMABLE = (WebhookDeliveryStatus.PENDING.value, WebhookDeliveryStatus.SENDING.value)


@dataclass(frozen=True)
class PostResult:
    status_code: int | None  # None: no answer (timeout, connection refused)
    error: str | None  # None: delivered

    @property
    def delivered(self) -> bool:
        return self.error is None


class WebhookPoster(Protocol):
    """providers/webhook_http.HttpWebhookPoster in the app; safe to call from several threads."""

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> PostResult: ...


@dataclass(frozen=True)
class WebhookPolicy:
    timeout_seconds: float = 10.0
    lease_seconds: float = 60.0
    concurrency: int = 16
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 6 * 3600.0

    @property
    def batch_size(self) -> int:
        return 4 * max(self.concurrency, 1)

    @property
    def lease(self) -> timedelta:
        return timedelta(seconds=self.lease_seconds)

    def backoff(self, attempts: int) -> timedelta:
        """Wait after failed attempt number `attempts`: base, 2x, 4x... capped."""
        return timedelta(seconds=min(self.retry_base_seconds * 2 ** max(attempts - 1, 0), self.retry_max_seconds))


@dataclass(frozen=True)
class Claim:
    id: int
    attempts: int
    endpoint_id: int
    url: str
    secret: str
    message_id: str
    payload: str
    give_up_at: datetime
    claimed_at: datetime


def sign(secret: str, message_id: str, payload: str, at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers for one attempt."""
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": Webhook(secret).sign(message_id, at, payload),
        "content-type": "application/json",
    }


class WebhookSender:
    def __init__(
        self,
        engine: sa.Engine,
        poster: WebhookPoster,
        policy: WebhookPolicy,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.poster = poster
        self.policy = policy
        self.clock = clock
        self._executor: ThreadPoolExecutor | None = None

    def run_once(self, limit: int = 50) -> int:
        """Deliver due deliveries (up to `limit`); returns how many were attempted."""
        handled = 0
        while handled < limit:
            claims = self.claim_batch(min(limit - handled, self.policy.batch_size))
            if not claims:
                break
            self._record(self._deliver(claims))
            handled += len(claims)
        return handled

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        try:
            while not stop.is_set():
                try:
                    handled = self.run_once(max(50, self.policy.batch_size))
                except Exception:  # a bad moment (database restarting...) must not end the worker
                    log.exception("webhook pass failed")
                    handled = 0
                if not handled:
                    stop.wait(poll_seconds)
        finally:
            self.close()

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    # --- claiming ---------------------------------------------------------------------------

    def claim_batch(self, size: int) -> list[Claim]:
        """Lease up to `size` due deliveries of enabled endpoints (committed before returning)."""
        with self._session() as session:
            now = self.clock()
            due = (
                select(col(WebhookDelivery.id))
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
                .where(
                    col(WebhookDelivery.status).in_(_CLAIMABLE),
                    WebhookDelivery.next_attempt_at <= now,
                    col(WebhookEndpoint.enabled).is_(True),
                )
                .order_by(col(WebhookDelivery.next_attempt_at), col(WebhookDelivery.id))
                .limit(size)
            )
            if self.engine.dialect.name == "postgresql":
                due = due.with_for_update(skip_locked=True, of=WebhookDelivery)
            ids = session.exec(due).all()
            if not ids:
                return []
            # (SQLite) another worker may have leased some since the read: the WHERE skips those.
            claimed = session.execute(
                sa.update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id).in_(ids),
                    col(WebhookDelivery.status).in_(_CLAIMABLE),
                    col(WebhookDelivery.next_attempt_at) <= now,
                )
                .values(
                    status=WebhookDeliveryStatus.SENDING.value,
                    attempts=WebhookDelivery.attempts + 1,
                    next_attempt_at=now + self.policy.lease,
                    last_attempt_at=now,
                )
                .returning(col(WebhookDelivery.id), col(WebhookDelivery.attempts))
            ).all()
            attempts = dict(claimed)
            rows = session.exec(
                select(  # type: ignore[call-overload]  # sqlmodel's select() is typed for up to 4 columns
                    WebhookDelivery.id,
                    WebhookEndpoint.id,
                    WebhookEndpoint.url,
                    WebhookEndpoint.secret,
                    WebhookEvent.message_id,
                    WebhookEvent.payload,
                    WebhookDelivery.give_up_at,
                )
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
                .join(WebhookEvent, col(WebhookEvent.id) == WebhookDelivery.event_id)
                .where(col(WebhookDelivery.id).in_(list(attempts)))
                .order_by(col(WebhookDelivery.id))
            ).all()
            session.commit()
        return [
            Claim(
                id=row[0],
                attempts=attempts[row[0]],
                endpoint_id=row[1],
                url=row[2],
                secret=row[3],
                message_id=row[4],
                payload=row[5],
                give_up_at=row[6],
                claimed_at=now,
            )
            for row in rows
        ]

    # --- sending ----------------------------------------------------------------------------

    def _deliver(self, claims: list[Claim]) -> list[tuple[Claim, PostResult | None]]:
        if len(claims) == 1 or self.policy.concurrency <= 1:
            return [(claim, self._attempt(claim)) for claim in claims]
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="webhooks")
        return list(zip(claims, self._executor.map(self._attempt, claims), strict=True))

    def _attempt(self, claim: Claim) -> PostResult | None:
        """The endpoint's answer; None when the lease is too far gone to start (slow calls ahead of
        it in the batch): started now, it could outlive the lease and be sent twice at once."""
        now = self.clock()
        if now - claim.claimed_at > self.policy.lease / 2:
            return None
        try:
            headers = sign(claim.secret, claim.message_id, claim.payload, now)
            return self.poster.post(claim.url, claim.payload.encode(), headers)
        except Exception as error:  # a bad secret, a library error: a failed attempt, not a dead worker
            log.exception("webhook delivery %s failed unexpectedly", claim.id)
            return PostResult(None, f"Could not send ({type(error).__name__}).")

    # --- outcomes ---------------------------------------------------------------------------

    def _record(self, outcomes: list[tuple[Claim, PostResult | None]]) -> None:
        """Save a batch's outcomes in one transaction, each only if its lease is still ours (same
        attempt number, still sending): a worker that lost its lease changes nothing."""
        with self._session() as session:
            now = self.clock()
            delivered = {claim: result for claim, result in outcomes if result is not None and result.delivered}
            for claim, result in outcomes:
                mine = (
                    col(WebhookDelivery.id) == claim.id,
                    col(WebhookDelivery.attempts) == claim.attempts,
                    col(WebhookDelivery.status) == WebhookDeliveryStatus.SENDING.value,
                )
                if result is None:
                    session.execute(
                        sa.update(WebhookDelivery)
                        .where(*mine)
                        .values(
                            status=WebhookDeliveryStatus.PENDING.value, attempts=claim.attempts - 1, next_attempt_at=now
                        )
                    )
                elif not result.delivered:
                    self._failed(session, claim, result, now, mine)
            self._delivered(session, delivered, now)
            succeeded = {claim.endpoint_id for claim in delivered}
            failed = {claim.endpoint_id for claim, result in outcomes if result is not None and not result.delivered}
            self._endpoint_health(session, succeeded, failed - succeeded, now)
            session.commit()

    @staticmethod
    def _delivered(session: Session, delivered: dict[Claim, PostResult], now: datetime) -> None:
        """Every success of the batch in one UPDATE."""
        if not delivered:
            return
        codes = {claim.id: result.status_code for claim, result in delivered.items()}
        session.execute(
            sa.update(WebhookDelivery)
            .where(
                sa.tuple_(col(WebhookDelivery.id), col(WebhookDelivery.attempts)).in_(
                    [(claim.id, claim.attempts) for claim in delivered]
                ),
                col(WebhookDelivery.status) == WebhookDeliveryStatus.SENDING.value,
            )
            .values(
                status=WebhookDeliveryStatus.DELIVERED.value,
                delivered_at=now,
                last_error=None,
                last_response_code=sa.case(codes, value=WebhookDelivery.id),
            )
        )

    def _failed(self, session: Session, claim: Claim, result: PostResult, now: datetime, mine: tuple) -> None:
        """Try again after the backoff, or give up once the delivery's 3 days are over."""
        done = now >= claim.give_up_at
        session.execute(
            sa.update(WebhookDelivery)
            .where(*mine)
            .values(
                status=(WebhookDeliveryStatus.FAILED if done else WebhookDeliveryStatus.PENDING).value,
                next_attempt_at=now if done else min(now + self.policy.backoff(claim.attempts), claim.give_up_at),
                last_response_code=result.status_code,
                last_error=(result.error or "")[:300],
            )
        )

    def _endpoint_health(self, session: Session, succeeded: set[int], failing: set[int], now: datetime) -> None:
        """A success clears an endpoint's failing streak; a streak of 3 days switches it off."""
        if succeeded:
            session.execute(
                sa.update(WebhookEndpoint).where(col(WebhookEndpoint.id).in_(succeeded)).values(failing_since=None)
            )
        if not failing:
            return
        session.execute(
            sa.update(WebhookEndpoint)
            .where(col(WebhookEndpoint.id).in_(failing), col(WebhookEndpoint.failing_since).is_(None))
            .values(failing_since=now)
        )
        worn_out = session.exec(
            select(WebhookEndpoint).where(
                col(WebhookEndpoint.id).in_(failing),
                col(WebhookEndpoint.enabled).is_(True),
                col(WebhookEndpoint.failing_since) <= now - RETRY_WINDOW,
            )
        ).all()
        for endpoint in worn_out:
            self._switch_off(session, endpoint, now)

    @staticmethod
    def _switch_off(session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
        if endpoint.failing_since is None:
            raise ValueError(f"webhook endpoint {endpoint.id} is not failing")
        business = session.get(Business, endpoint.business_id)
        since = display.moment(endpoint.failing_since, business.time_zone if business else "UTC")
        endpoint.enabled = False
        endpoint.disabled_reason = (
            f"Switched off: every delivery since {since} failed, for 3 days. Fix the receiver, then enable "
            "the endpoint again; its waiting deliveries go then, and failed ones can be resent."
        )[:300]
        endpoint.updated_at = now
        session.add(endpoint)
        audit.record(
            session,
            "webhook.endpoint_disabled",
            "webhook_endpoint",
            endpoint.id,
            business_id=endpoint.business_id,
            actor=SENDER_ACTOR,
            reason="failing for 3 days",
        )
