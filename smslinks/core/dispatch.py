"""The dispatcher: hands outbox rows to the SMS and email providers, exactly once.

Safety rules, in order:
- A row is claimed (queued -> sending, attempts + 1) and COMMITTED before the provider is called.
  PostgreSQL claims with SELECT ... FOR UPDATE SKIP LOCKED, SQLite with a conditional UPDATE, so
  several dispatchers never take the same row.
- A row stays "sending" while its outcome is unknown (a crash, or a request that timed out after
  reaching Twilio). Past a grace period (next_attempt_at, set at the claim) it is reconciled: the
  provider's messages to that number since the row was due are searched for its body; a match is
  adopted, otherwise the row is queued again. The grace period must exceed the provider timeout,
  so a request still in flight is never taken for lost.
- Transient errors retry with exponential backoff up to max_attempts, then fail with the reason;
  permanent errors fail at once; Twilio 21610 also opts the number out.
- Last guard before any text: a number in the opt-out registry is never texted.
- Scheduled rows (quiet hours) become queued when their time comes; a held text is never dropped.
"""

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from smslinks.core import audit, consent, sms_readiness
from smslinks.core.channels import (
    EmailProvider,
    ProviderError,
    SmsProvider,
    TransientFailure,
    UnknownOutcome,
)
from smslinks.core.delivery import DISPATCHER_ACTOR, UNSUBSCRIBED_CODE, transition, twilio_error_reason
from smslinks.models import Business, Channel, MessageStatus, OutboundMessage, utcnow

log = logging.getLogger(__name__)

OPTED_OUT_REASON = "Not sent: this number opted out of texts from the business (it replied STOP)."
# Twilio's clock and ours may differ a little; search its list from a bit before the row was due.
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class DispatchPolicy:
    max_attempts: int = 5
    retry_base_seconds: float = 30.0
    retry_max_seconds: float = 3600.0
    sending_grace_seconds: float = 120.0
    status_callback_url: str | None = None
    messaging_service_sid: str | None = None

    def backoff(self, attempts: int) -> timedelta:
        """Wait before attempt `attempts + 1`: base, 2x base, 4x base... capped."""
        return timedelta(seconds=min(self.retry_base_seconds * 2 ** max(attempts - 1, 0), self.retry_max_seconds))

    @property
    def grace(self) -> timedelta:
        return timedelta(seconds=self.sending_grace_seconds)


@dataclass(frozen=True)
class Claim:
    """What a dispatcher needs of a claimed row once its transaction has committed."""

    id: int
    channel: str
    to: str
    body: str
    subject: str | None
    from_: str | None
    business_name: str
    business_email: str | None
    attempts: int


class Dispatcher:
    def __init__(
        self,
        engine: sa.Engine,
        *,
        sms: SmsProvider,
        email: EmailProvider,
        policy: DispatchPolicy,
        clock: Callable[[], datetime] = utcnow,
    ):
        self.engine = engine
        self.sms = sms
        self.email = email
        self.policy = policy
        self.clock = clock

    # --- the loop -------------------------------------------------------------------------

    def run_once(self, limit: int = 50) -> int:
        """Promote due scheduled rows, reconcile stuck ones, send due ones; returns how many
        messages were sent, failed, retried or reconciled."""
        self.promote_scheduled(limit)
        handled = self.reconcile_stuck(limit)
        while handled < limit:
            claim = self.claim_next()
            if claim is None:
                break
            if claim.channel == Channel.SMS:
                self._send_sms(claim)
            else:
                self._send_email(claim)
            handled += 1
        return handled

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Run until `stop` is set; sleeps only when there was nothing to do."""
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:  # a bad moment (database restarting...) must not end the worker
                log.exception("dispatcher pass failed")
                handled = 0
            if not handled:
                stop.wait(poll_seconds)

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _due(self, status: MessageStatus, column, now: datetime, limit: int):
        statement = (
            select(OutboundMessage.id)
            .where(OutboundMessage.status == status.value, column <= now)
            .order_by(column, OutboundMessage.id)
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        return statement

    # --- scheduled -> queued --------------------------------------------------------------

    def promote_scheduled(self, limit: int = 50) -> int:
        promoted = 0
        with self._session() as session:
            now = self.clock()
            for message_id in session.exec(self._due(MessageStatus.SCHEDULED, OutboundMessage.send_after, now, limit)).all():
                if transition(
                    session, message_id, MessageStatus.QUEUED,
                    allowed_from={MessageStatus.SCHEDULED}, actor=DISPATCHER_ACTOR, now=now,
                    detail="Quiet hours are over; queued to send.", next_attempt_at=now,
                ):
                    promoted += 1
            session.commit()
        return promoted

    # --- claiming -------------------------------------------------------------------------

    def claim_next(self) -> Claim | None:
        """Take the next due queued row (committed as "sending"), or None when none is due.

        A text to an opted-out number, or from an account without a sending number, fails here
        instead of being claimed."""
        while True:
            with self._session() as session:
                now = self.clock()
                candidates = session.exec(self._due(MessageStatus.QUEUED, OutboundMessage.next_attempt_at, now, 1)).all()
                if not candidates:
                    return None
                message = session.get(OutboundMessage, candidates[0])
                business = session.get(Business, message.business_id)
                blocker = self._blocker(session, message, business)
                if blocker:
                    transition(
                        session, message.id, MessageStatus.FAILED, allowed_from={MessageStatus.QUEUED},
                        actor=DISPATCHER_ACTOR, now=now, failure_reason=blocker,
                        conditions=(OutboundMessage.next_attempt_at <= now,),
                    )
                    session.commit()
                    continue
                claimed = transition(
                    session, message.id, MessageStatus.SENDING, allowed_from={MessageStatus.QUEUED},
                    actor=DISPATCHER_ACTOR, now=now, detail=f"Attempt {message.attempts + 1}",
                    conditions=(OutboundMessage.next_attempt_at <= now,),
                    attempts=OutboundMessage.attempts + 1, next_attempt_at=now + self.policy.grace,
                )
                session.commit()
                if claimed is None:  # another dispatcher took it between our read and write
                    continue
                return Claim(
                    id=claimed.id, channel=claimed.channel, to=claimed.to_address, body=claimed.body,
                    subject=claimed.subject,
                    from_=claimed.from_address or (business.default_sending_number if business else None),
                    business_name=business.name if business else "",
                    business_email=business.email if business else None,
                    attempts=claimed.attempts,
                )

    def _blocker(self, session: Session, message: OutboundMessage, business: Business | None) -> str | None:
        if message.channel != Channel.SMS:
            return None
        if consent.opted_out_at(session, message.business_id, message.to_address) is not None:
            return OPTED_OUT_REASON
        if not self.policy.messaging_service_sid and not (message.from_address or (business and business.default_sending_number)):
            return sms_readiness.NO_SENDING_NUMBER
        return None

    # --- sending --------------------------------------------------------------------------

    def _send_sms(self, claim: Claim) -> None:
        callback = self.policy.status_callback_url
        try:
            receipt = self.sms.send(
                to=claim.to,
                body=claim.body,
                from_=None if self.policy.messaging_service_sid else claim.from_,
                messaging_service_sid=self.policy.messaging_service_sid,
                # The message id in the (signed) URL lets a callback that beats our commit find its row.
                status_callback=f"{callback}?message={claim.id}" if callback else None,
            )
        except ProviderError as error:
            self._failed_attempt(claim, error, twilio_error_reason(error.code, error.detail) if error.code else error.detail)
            return
        self._sent(claim.id, receipt.provider_id)

    def _send_email(self, claim: Claim) -> None:
        try:
            receipt = self.email.send(
                to=claim.to,
                subject=claim.subject or f"Invoice from {claim.business_name}",
                body=claim.body,
                from_name=claim.business_name or None,
                reply_to=claim.business_email,
            )
        except ProviderError as error:
            self._failed_attempt(claim, error, error.detail)
            return
        self._sent(claim.id, receipt.provider_id)

    def _sent(self, message_id: int, provider_id: str, detail: str | None = None) -> None:
        with self._session() as session:
            # A status callback may already have adopted the sid and moved the row further on.
            transition(
                session, message_id, MessageStatus.SENT,
                allowed_from={MessageStatus.QUEUED, MessageStatus.SENDING}, actor=DISPATCHER_ACTOR,
                now=self.clock(), detail=detail, provider_id=provider_id,
                conditions=(sa.or_(OutboundMessage.provider_id.is_(None), OutboundMessage.provider_id == provider_id),),
            )
            session.commit()

    def _failed_attempt(self, claim: Claim, error: ProviderError, reason: str) -> None:
        with self._session() as session:
            now = self.clock()
            if isinstance(error, UnknownOutcome):
                # Leave it "sending"; reconcile_stuck looks for it at the provider after the grace period.
                session.execute(
                    sa.update(OutboundMessage)
                    .where(OutboundMessage.id == claim.id, OutboundMessage.status == MessageStatus.SENDING.value)
                    .values(next_attempt_at=now + self.policy.grace)
                )
                message = session.get(OutboundMessage, claim.id)
                audit.record(session, f"{claim.channel}.outcome_unknown", "outbound_message", claim.id,
                             business_id=message.business_id, actor=DISPATCHER_ACTOR, detail=error.detail)
            elif isinstance(error, TransientFailure):
                self._retry_or_give_up(session, claim.id, claim.attempts, reason, now)
            else:
                failed = transition(
                    session, claim.id, MessageStatus.FAILED, allowed_from={MessageStatus.SENDING},
                    actor=DISPATCHER_ACTOR, now=now, error_code=error.code, failure_reason=reason[:300],
                )
                if failed is not None and claim.channel == Channel.SMS and error.code == UNSUBSCRIBED_CODE:
                    consent.opt_out(session, failed.business_id, failed.to_address, f"Twilio error {UNSUBSCRIBED_CODE}")
            session.commit()

    def _retry_or_give_up(self, session: Session, message_id: int, attempts: int, reason: str, now: datetime) -> None:
        if attempts >= self.policy.max_attempts:
            transition(
                session, message_id, MessageStatus.FAILED, allowed_from={MessageStatus.SENDING},
                actor=DISPATCHER_ACTOR, now=now,
                failure_reason=f"{reason} Gave up after {attempts} attempts."[:300],
            )
            return
        retry_at = now + self.policy.backoff(attempts)
        transition(
            session, message_id, MessageStatus.QUEUED, allowed_from={MessageStatus.SENDING},
            actor=DISPATCHER_ACTOR, now=now, next_attempt_at=retry_at,
            detail=f"Will try again: {reason}"[:300],
        )

    # --- reconciling unknown outcomes ----------------------------------------------------

    def reconcile_stuck(self, limit: int = 50) -> int:
        """Settle rows left "sending" past the grace period; returns how many were settled."""
        with self._session() as session:
            stuck = session.exec(
                self._due(MessageStatus.SENDING, OutboundMessage.next_attempt_at, self.clock(), limit)
            ).all()
        settled = 0
        for message_id in stuck:
            message = self._lease(message_id)
            if message is not None and self._settle(message):
                settled += 1
        return settled

    def _lease(self, message_id: int) -> OutboundMessage | None:
        """Push the row's deadline on, so only this dispatcher reconciles it now."""
        with self._session() as session:
            now = self.clock()
            leased = session.execute(
                sa.update(OutboundMessage)
                .where(
                    OutboundMessage.id == message_id,
                    OutboundMessage.status == MessageStatus.SENDING.value,
                    OutboundMessage.next_attempt_at <= now,
                )
                .values(next_attempt_at=now + self.policy.grace)
            ).rowcount
            message = session.get(OutboundMessage, message_id) if leased == 1 else None
            session.commit()
            return message

    def _settle(self, message: OutboundMessage) -> bool:
        found: str | None = None
        if message.channel == Channel.SMS:
            try:
                found = self._find_at_provider(message)
            except ProviderError as error:
                log.warning("could not reconcile message %s yet: %s", message.id, error.detail)
                return False
        if found:
            self._sent(message.id, found, detail="Found at Twilio after an unanswered request.")
            return True
        with self._session() as session:
            # Emails cannot be looked up: one may go twice after a crash mid-send (rare, harmless).
            self._retry_or_give_up(
                session, message.id, message.attempts,
                "The provider did not answer and has no record of the message.", self.clock(),
            )
            session.commit()
        return True

    def _find_at_provider(self, message: OutboundMessage) -> str | None:
        candidates = [
            m for m in self.sms.messages_to(message.to_address, message.send_after - CLOCK_SKEW)
            if m.body == message.body
        ]
        if not candidates:
            return None
        with self._session() as session:
            taken = set(
                session.exec(
                    select(OutboundMessage.provider_id).where(
                        OutboundMessage.provider_id.in_([m.provider_id for m in candidates])
                    )
                ).all()
            )
        # Oldest first: with two identical bodies, each row adopts a different message.
        for candidate in reversed(candidates):
            if candidate.provider_id not in taken:
                return candidate.provider_id
        return None

