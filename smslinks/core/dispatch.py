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
- Last guard before any text: a number in the opt-out registry is never texted, but for the one text
  confirming its opt-out.
- Scheduled rows (quiet hours) become queued when their time comes. A pay link is checked again
  when its time comes and when it is claimed (core/send_time): one that no longer applies (the
  invoice paid or voided, the link revoked, texting switched off) is canceled with the reason, and a
  text that would reach the recipient in their quiet hours (a retry at 9:00:10 PM, a backlog at
  11:30 PM) goes back to scheduled for their morning.

For speed, rows go in batches: one transaction claims a batch (one UPDATE for all its rows), up
to `concurrency` threads call the providers at once, and one transaction records the outcomes.
Until that second commit the rows are "sending" like any claimed row, so a crash in between is
reconciled as above. A row waits in its batch while slow calls ahead of it finish, so its call is
started only in the first half of its grace period (grace >= 2 x the provider timeout): a request
is then always answered or timed out before anyone may reconcile it. Later, it is queued again
unsent. The providers must be safe to call from several threads.
"""

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

import sqlalchemy as sa
from sqlmodel import Session, col, select

from smslinks.core import audit, consent, inbound, send_time, sms_readiness
from smslinks.core.channels import (
    EmailProvider,
    ProviderError,
    SendReceipt,
    SmsProvider,
    TransientFailure,
    UnknownOutcome,
)
from smslinks.core.delivery import (
    DISPATCHER_ACTOR,
    UNSUBSCRIBED_CODE,
    transition,
    transition_many,
    twilio_error_reason,
)
from smslinks.models import Business, Channel, MessageStatus, OutboundMessage, saved_id, utcnow

log = logging.getLogger(__name__)
T = TypeVar("T")
R = TypeVar("R")

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
    # Provider calls in flight at once (threads); a batch claims a few rounds of them.
    concurrency: int = 16

    @property
    def batch_size(self) -> int:
        return 4 * max(self.concurrency, 1)

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
    claimed_at: datetime


class Dispatcher:
    """Sends in batches: one transaction claims up to `policy.batch_size` due rows, a pool of
    `policy.concurrency` threads calls the providers, one transaction records the outcomes.
    The providers must be safe to call from several threads at once."""

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
        self._executor: ThreadPoolExecutor | None = None

    # --- the loop -------------------------------------------------------------------------

    def run_once(self, limit: int = 50) -> int:
        """Promote due scheduled rows, reconcile stuck ones, send due ones; returns how many
        messages were sent, failed, retried or reconciled."""
        self.revoke_unanswered()
        self.promote_scheduled(limit)
        handled = self.reconcile_stuck(limit)
        while handled < limit:
            claims = self.claim_batch(min(limit - handled, self.policy.batch_size))
            if not claims:
                break
            self._record(self._deliver(claims))
            handled += len(claims)
        return handled

    def revoke_unanswered(self) -> None:
        """Opt out the numbers that left a clarification unanswered (their confirmations join the outbox)."""
        with self._session() as session:
            inbound.revoke_unanswered(session, self.clock())
            session.commit()

    def run_forever(self, stop: threading.Event, poll_seconds: float = 1.0) -> None:
        """Run until `stop` is set; sleeps only when there was nothing to do."""
        try:
            while not stop.is_set():
                try:
                    handled = self.run_once(max(50, self.policy.batch_size))
                except Exception:  # a bad moment (database restarting...) must not end the worker
                    log.exception("dispatcher pass failed")
                    handled = 0
                if not handled:
                    stop.wait(poll_seconds)
        finally:
            self.close()

    def close(self) -> None:
        """Let the sending threads go (a pass in progress finishes first)."""
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    def _session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def _due(self, status: MessageStatus, column, now: datetime, limit: int):
        statement = (
            select(OutboundMessage.id)
            .where(OutboundMessage.status == status.value, column <= now)
            .order_by(column, col(OutboundMessage.id))
            .limit(limit)
        )
        if self.engine.dialect.name == "postgresql":
            statement = statement.with_for_update(skip_locked=True)
        return statement

    # --- scheduled -> queued --------------------------------------------------------------

    def promote_scheduled(self, limit: int = 50) -> int:
        with self._session() as session, session.no_autoflush:
            now = self.clock()
            due = session.exec(self._due(MessageStatus.SCHEDULED, OutboundMessage.send_after, now, limit)).all()
            messages = session.exec(select(OutboundMessage).where(col(OutboundMessage.id).in_(due))).all()
            ready = self._screen(session, messages, MessageStatus.SCHEDULED, now)
            promoted = transition_many(
                session,
                ready,
                MessageStatus.QUEUED,
                allowed_from={MessageStatus.SCHEDULED},
                actor=DISPATCHER_ACTOR,
                now=now,
                detail="Quiet hours are over; queued to send.",
                next_attempt_at=now,
            )
            session.commit()
        return len(promoted)

    def _screen(self, session: Session, messages, status: MessageStatus, now: datetime) -> list[int]:
        """The send-time checks (core/send_time) on messages in `status`: those that no longer apply
        are canceled, texts in the recipient's quiet hours wait for the morning; returns the rest."""
        verdicts = send_time.verdicts(session, list(messages), now)
        for message_id, verdict in verdicts.items():
            if verdict.cancel:
                transition(
                    session,
                    message_id,
                    MessageStatus.CANCELED,
                    allowed_from={status},
                    actor=DISPATCHER_ACTOR,
                    now=now,
                    failure_reason=verdict.cancel[:300],
                )
            else:
                transition(
                    session,
                    message_id,
                    MessageStatus.SCHEDULED,
                    allowed_from={status},
                    actor=DISPATCHER_ACTOR,
                    now=now,
                    detail=verdict.hold_note,
                    send_after=verdict.hold_until,
                    next_attempt_at=verdict.hold_until,
                )
        return [message.id for message in messages if message.id not in verdicts]

    # --- claiming -------------------------------------------------------------------------

    def claim_batch(self, size: int) -> list[Claim]:
        """Take up to `size` due queued rows in one transaction (committed as "sending"); an empty
        list when none is due.

        A text to an opted-out number, or from an account without a sending number, fails here
        instead of being claimed."""
        while True:
            with self._session() as session:
                now = self.clock()
                due = session.exec(self._due(MessageStatus.QUEUED, OutboundMessage.next_attempt_at, now, size)).all()
                if not due:
                    return []
                messages = session.exec(
                    select(OutboundMessage)
                    .where(col(OutboundMessage.id).in_(due))
                    .order_by(col(OutboundMessage.next_attempt_at), col(OutboundMessage.id))
                ).all()
                businesses = {
                    business.id: business
                    for business in session.exec(
                        select(Business).where(col(Business.id).in_({m.business_id for m in messages}))
                    ).all()
                }
                opted_out = self._opted_out(session, messages)
                unblocked = []
                # The batch's status events and audit rows are written together at the commit.
                with session.no_autoflush:
                    for message in messages:
                        if blocker := self._blocker(message, businesses.get(message.business_id), opted_out):
                            transition(
                                session,
                                saved_id(message),
                                MessageStatus.FAILED,
                                allowed_from={MessageStatus.QUEUED},
                                actor=DISPATCHER_ACTOR,
                                now=now,
                                failure_reason=blocker,
                                conditions=(col(OutboundMessage.next_attempt_at) <= now,),
                            )
                        else:
                            unblocked.append(message)
                    sendable = self._screen(session, unblocked, MessageStatus.QUEUED, now)
                    # (SQLite) another dispatcher may take some between our read and this write.
                    claimed = transition_many(
                        session,
                        sendable,
                        MessageStatus.SENDING,
                        allowed_from={MessageStatus.QUEUED},
                        actor=DISPATCHER_ACTOR,
                        now=now,
                        detail=lambda m: f"Attempt {m.attempts}",
                        conditions=(col(OutboundMessage.next_attempt_at) <= now,),
                        attempts=OutboundMessage.attempts + 1,
                        next_attempt_at=now + self.policy.grace,
                    )
                session.commit()
            position = {message_id: n for n, message_id in enumerate(sendable)}
            claimed.sort(key=lambda message: position[saved_id(message)])
            claims = [self._claim(message, businesses.get(message.business_id), now) for message in claimed]
            if claims:
                return claims
            # Every row was blocked, or (SQLite) taken by another dispatcher first: look again.

    @staticmethod
    def _claim(message: OutboundMessage, business: Business | None, now: datetime) -> Claim:
        return Claim(
            id=saved_id(message),
            channel=message.channel,
            to=message.to_address,
            body=message.body,
            subject=message.subject,
            from_=message.from_address or (business.default_sending_number if business else None),
            business_name=business.name if business else "",
            business_email=business.email if business else None,
            attempts=message.attempts,
            claimed_at=now,
        )

    @staticmethod
    def _opted_out(session: Session, messages: Sequence[OutboundMessage]) -> set[tuple[int, str]]:
        """(business id, number) of the batch's texts whose number opted out."""
        numbers: dict[int, set[str]] = {}
        for message in messages:
            if message.channel == Channel.SMS:
                numbers.setdefault(message.business_id, set()).add(message.to_address)
        return {
            (business_id, number)
            for business_id, wanted in numbers.items()
            for number in consent.opted_out_numbers(session, business_id, sorted(wanted))
        }

    def _blocker(
        self, message: OutboundMessage, business: Business | None, opted_out: set[tuple[int, str]]
    ) -> str | None:
        if message.channel != Channel.SMS:
            return None
        if (message.business_id, message.to_address) in opted_out and not consent.is_opt_out_confirmation(message):
            return OPTED_OUT_REASON
        if not self.policy.messaging_service_sid and not (
            message.from_address or (business and business.default_sending_number)
        ):
            return sms_readiness.NO_SENDING_NUMBER
        return None

    # --- sending --------------------------------------------------------------------------

    def _deliver(self, claims: list[Claim]) -> list[tuple[Claim, SendReceipt | ProviderError]]:
        """Each claim with its provider's answer; up to `policy.concurrency` calls at once."""
        return list(zip(claims, self._in_parallel(self._attempt, claims), strict=True))

    def _in_parallel(self, call: Callable[[T], R], items: list[T]) -> list[R]:
        """call(item) for each item, in order, up to `policy.concurrency` at once (provider calls wait
        on the network)."""
        if len(items) <= 1 or self.policy.concurrency <= 1:
            return [call(item) for item in items]
        if self._executor is None:
            self._executor = ThreadPoolExecutor(self.policy.concurrency, thread_name_prefix="dispatch")
        return list(self._executor.map(call, items))

    def _attempt(self, claim: Claim) -> SendReceipt | ProviderError:
        if self.clock() - claim.claimed_at > self.policy.grace / 2:
            # Slow calls ahead of it in the batch: started now, it could still be in flight when
            # another dispatcher reconciles it, find nothing at the provider, and send it again.
            return TransientFailure("Not sent yet: the provider was answering slowly.")
        try:
            return self._send_sms(claim) if claim.channel == Channel.SMS else self._send_email(claim)
        except ProviderError as error:
            return error
        except Exception as error:  # a bug or an unexpected library error: the call may have gone out
            log.exception("sending message %s failed unexpectedly", claim.id)
            return UnknownOutcome(f"Sending failed unexpectedly ({type(error).__name__}).")

    def _send_sms(self, claim: Claim) -> SendReceipt:
        callback = self.policy.status_callback_url
        return self.sms.send(
            to=claim.to,
            body=claim.body,
            from_=None if self.policy.messaging_service_sid else claim.from_,
            messaging_service_sid=self.policy.messaging_service_sid,
            # The message id in the (signed) URL lets a callback that beats our commit find its row.
            status_callback=f"{callback}?message={claim.id}" if callback else None,
        )

    def _send_email(self, claim: Claim) -> SendReceipt:
        return self.email.send(
            to=claim.to,
            subject=claim.subject or f"Invoice from {claim.business_name}",
            body=claim.body,
            from_name=claim.business_name or None,
            reply_to=claim.business_email,
        )

    def _record(self, outcomes: list[tuple[Claim, SendReceipt | ProviderError]]) -> None:
        """Save a batch's outcomes in one transaction. Should it fail, the rows stay "sending" and
        are reconciled against the provider like any unanswered request."""
        with self._session() as session:
            now = self.clock()
            for claim, outcome in outcomes:
                if isinstance(outcome, ProviderError):
                    self._failed_attempt(session, claim, outcome, now)
            # Successes in one UPDATE. (Failures above go one by one: an opt-out must see the one
            # recorded before it.)
            sids = {claim.id: outcome.provider_id for claim, outcome in outcomes if isinstance(outcome, SendReceipt)}
            with session.no_autoflush:
                self._mark_sent(session, sids, now)
            session.commit()

    def _sent(self, message_id: int, provider_id: str, detail: str | None = None) -> None:
        with self._session() as session:
            self._mark_sent(session, {message_id: provider_id}, self.clock(), detail)
            session.commit()

    @staticmethod
    def _mark_sent(session: Session, sids: dict[int, str], now: datetime, detail: str | None = None) -> None:
        """Record each message's provider id (sid) and mark it sent."""
        if not sids:
            return
        sid = sa.case(sids, value=OutboundMessage.id)
        # A status callback may already have adopted the sid and moved the row further on.
        transition_many(
            session,
            list(sids),
            MessageStatus.SENT,
            allowed_from={MessageStatus.QUEUED, MessageStatus.SENDING},
            actor=DISPATCHER_ACTOR,
            now=now,
            detail=detail,
            provider_id=sid,
            conditions=(sa.or_(col(OutboundMessage.provider_id).is_(None), col(OutboundMessage.provider_id) == sid),),
        )

    def _failed_attempt(self, session: Session, claim: Claim, error: ProviderError, now: datetime) -> None:
        log.warning(
            "outbound message %s (%s, attempt %s): %s %s",
            claim.id,
            claim.channel,
            claim.attempts,
            type(error).__name__,
            error.detail,
        )
        if isinstance(error, UnknownOutcome):
            # Leave it "sending"; reconcile_stuck looks for it at the provider after the grace period.
            session.execute(
                sa.update(OutboundMessage)
                .where(col(OutboundMessage.id) == claim.id, col(OutboundMessage.status) == MessageStatus.SENDING.value)
                .values(next_attempt_at=now + self.policy.grace)
            )
            message = session.get_one(OutboundMessage, claim.id)
            audit.record(
                session,
                f"{claim.channel}.outcome_unknown",
                "outbound_message",
                claim.id,
                business_id=message.business_id,
                actor=DISPATCHER_ACTOR,
                detail=error.detail,
            )
            return
        reason = (
            twilio_error_reason(error.code, error.detail)
            if claim.channel == Channel.SMS and error.code
            else error.detail
        )
        if isinstance(error, TransientFailure):
            self._retry_or_give_up(session, claim.id, claim.attempts, reason, now)
            return
        failed = transition(
            session,
            claim.id,
            MessageStatus.FAILED,
            allowed_from={MessageStatus.SENDING},
            actor=DISPATCHER_ACTOR,
            now=now,
            error_code=error.code,
            failure_reason=reason[:300],
        )
        if failed is not None and claim.channel == Channel.SMS and error.code == UNSUBSCRIBED_CODE:
            consent.opt_out(session, failed.business_id, failed.to_address, f"Twilio error {UNSUBSCRIBED_CODE}")

    def _retry_or_give_up(self, session: Session, message_id: int, attempts: int, reason: str, now: datetime) -> None:
        if attempts >= self.policy.max_attempts:
            transition(
                session,
                message_id,
                MessageStatus.FAILED,
                allowed_from={MessageStatus.SENDING},
                actor=DISPATCHER_ACTOR,
                now=now,
                failure_reason=f"{reason} Gave up after {attempts} attempts."[:300],
            )
            return
        retry_at = now + self.policy.backoff(attempts)
        transition(
            session,
            message_id,
            MessageStatus.QUEUED,
            allowed_from={MessageStatus.SENDING},
            actor=DISPATCHER_ACTOR,
            now=now,
            next_attempt_at=retry_at,
            detail=f"Will try again: {reason}"[:300],
        )

    # --- reconciling unknown outcomes ----------------------------------------------------

    def reconcile_stuck(self, limit: int = 50) -> int:
        """Settle rows left "sending" past the grace period; returns how many were settled.

        A crash leaves a whole batch behind: up to `policy.concurrency` numbers are looked up at
        Twilio at once. Rows to one number are settled one after another, so two identical texts
        each adopt a message of their own."""
        with self._session() as session:
            stuck = session.exec(
                self._due(MessageStatus.SENDING, OutboundMessage.next_attempt_at, self.clock(), limit)
            ).all()
        by_recipient: dict[str, list[OutboundMessage]] = {}
        for message_id in stuck:
            if (message := self._lease(message_id)) is not None:
                by_recipient.setdefault(message.to_address, []).append(message)
        return sum(self._in_parallel(self._settle_all, list(by_recipient.values())))

    def _settle_all(self, messages: list[OutboundMessage]) -> int:
        return sum(1 for message in messages if self._settle(message))

    def _lease(self, message_id: int) -> OutboundMessage | None:
        """Push the row's deadline on, so only this dispatcher reconciles it now."""
        with self._session() as session:
            now = self.clock()
            leased = session.exec(
                sa.update(OutboundMessage)
                .where(
                    col(OutboundMessage.id) == message_id,
                    col(OutboundMessage.status) == MessageStatus.SENDING.value,
                    col(OutboundMessage.next_attempt_at) <= now,
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
            self._sent(saved_id(message), found, detail="Found at Twilio after an unanswered request.")
            return True
        with self._session() as session:
            # Emails cannot be looked up: one may go twice after a crash mid-send (rare, harmless).
            self._retry_or_give_up(
                session,
                saved_id(message),
                message.attempts,
                "The provider did not answer and has no record of the message.",
                self.clock(),
            )
            session.commit()
        return True

    def _find_at_provider(self, message: OutboundMessage) -> str | None:
        candidates = [
            m
            for m in self.sms.messages_to(message.to_address, message.send_after - CLOCK_SKEW)
            if m.body == message.body
        ]
        if not candidates:
            return None
        with self._session() as session:
            taken = set(
                session.exec(
                    select(OutboundMessage.provider_id).where(
                        col(OutboundMessage.provider_id).in_([m.provider_id for m in candidates])
                    )
                ).all()
            )
        # Oldest first: with two identical bodies, each row adopts a different message.
        for candidate in reversed(candidates):
            if candidate.provider_id not in taken:
                return candidate.provider_id
        return None
