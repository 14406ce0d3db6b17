"""Runs the outbox dispatcher, the webhook sender, reminders, pruning and Insights' rollups: as
`smslinks worker` (its own process) and inside the app backend.

Several of either may run at once: claims are atomic, so no row is sent twice.
"""

import asyncio
import fcntl
import hashlib
import logging
import signal
import tempfile
import threading
from pathlib import Path

from smslinks.config import Settings, get_settings
from smslinks.core import housekeeping, insight_rollups
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.core.reminders import ReminderScheduler
from smslinks.core.webhook_sender import WebhookPolicy, WebhookSender
from smslinks.db import get_engine, session_scope
from smslinks.models import utcnow
from smslinks.providers import email_provider, sms_provider
from smslinks.providers.webhook_http import HttpWebhookPoster

log = logging.getLogger(__name__)

# One in-process pass sends at most this many messages before giving the event loop a turn.
INPROCESS_BATCH = 20
# How often a backend worker checks whether the one that sends has stopped (and takes over).
SENDING_TURN_RETRY_SECONDS = 5.0


def policy_from(settings: Settings) -> DispatchPolicy:
    return DispatchPolicy(
        max_attempts=settings.dispatcher_max_attempts,
        retry_base_seconds=settings.dispatcher_retry_base_seconds,
        sending_grace_seconds=max(settings.dispatcher_sending_grace_seconds, 2 * settings.twilio_timeout_seconds),
        status_callback_url=settings.twilio_status_callback_url,
        messaging_service_sid=settings.twilio_messaging_service_sid,
        concurrency=settings.dispatcher_concurrency,
    )


def build_dispatcher(settings: Settings | None = None) -> Dispatcher:
    settings = settings or get_settings()
    return Dispatcher(
        get_engine(),
        sms=sms_provider(settings),
        email=email_provider(settings),
        policy=policy_from(settings),
    )


def build_webhook_sender(settings: Settings | None = None) -> WebhookSender:
    settings = settings or get_settings()
    policy = WebhookPolicy(
        timeout_seconds=settings.webhook_timeout_seconds,
        lease_seconds=settings.webhook_lease_seconds,
        concurrency=settings.webhook_concurrency,
        retry_base_seconds=settings.webhook_retry_base_seconds,
    )
    poster = HttpWebhookPoster(settings.webhook_timeout_seconds, max_connections=settings.webhook_concurrency)
    return WebhookSender(get_engine(), poster, policy)


def prune_once(_limit: int = 0) -> int:
    """Delete expired throttle rows, sessions, old Stripe event ids and webhook deliveries
    (core/housekeeping says how long each is kept); returns 0, so the loops then wait PRUNE_EVERY."""
    with session_scope() as session:
        pruned = housekeeping.prune(session, get_settings(), utcnow())
    log.info("pruned %s", pruned)
    return 0


def rollup_once(_limit: int = 0) -> int:
    """Bring Insights' daily rollups up to yesterday with the changes since the last pass
    (core/insight_rollups); returns 0, so the loops then wait ROLLUP_EVERY."""
    days = insight_rollups.roll_up_all(get_engine(), utcnow())
    if days:
        log.info("rolled up %s days of insights", days)
    return 0


def _every(stop: threading.Event, name: str, run_once, seconds: float) -> None:
    while not stop.is_set():
        try:
            run_once()
        except Exception:  # e.g. the database restarting: try again next time
            log.exception("%s failed", name)
        stop.wait(seconds)


def run_worker() -> None:
    """`smslinks worker`: dispatch until SIGTERM or Ctrl+C."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("outbox worker started (polling every %ss)", settings.dispatcher_poll_seconds)
    webhooks = threading.Thread(
        target=build_webhook_sender(settings).run_forever,
        args=(stop, settings.dispatcher_poll_seconds),
        name="webhooks",
    )
    webhooks.start()
    reminders = threading.Thread(
        target=ReminderScheduler(get_engine()).run_forever,
        args=(stop, settings.dispatcher_poll_seconds),
        name="reminders",
    )
    reminders.start()
    periodic = [
        threading.Thread(target=_every, args=(stop, name, run_once, every.total_seconds()), name=name)
        for name, run_once, every in (
            ("pruning", prune_once, housekeeping.PRUNE_EVERY),
            ("insight rollups", rollup_once, insight_rollups.ROLLUP_EVERY),
        )
    ]
    for thread in periodic:
        thread.start()
    build_dispatcher(settings).run_forever(stop, settings.dispatcher_poll_seconds)
    webhooks.join()
    reminders.join()
    for thread in periodic:
        thread.join()
    log.info("outbox worker stopped")


async def inprocess_dispatcher() -> None:
    """A Reflex lifespan task: the app backend sends texts and webhooks without a separate worker
    process. The database and provider calls are blocking, so each pass runs in a thread; texts and
    webhooks have a loop each, so a slow webhook receiver never holds up a text. Of the backend's
    workers on one machine, one sends at a time (`smslinks worker` processes add more senders)."""
    settings = get_settings()
    if not settings.inprocess_dispatcher:
        return
    # One backend worker per machine and database sends; closing the file gives its turn up.
    with open(sending_turn_path(settings.database_url), "a") as turn:
        while not _take_turn(turn):
            await asyncio.sleep(SENDING_TURN_RETRY_SECONDS)
        await _inprocess_loops(settings)


def sending_turn_path(database_url: str) -> Path:
    """The lock file whose holder is the app's in-process sender on this machine. Each idle loop asks
    the database for work every poll: the app's other workers keep that CPU for the pages."""
    name = hashlib.sha256(database_url.encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"smslinks-inprocess-sender-{name}.lock"


def _take_turn(turn) -> bool:
    """The operating system frees the lock when its holder ends, however it ends."""
    try:
        fcntl.flock(turn, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


async def _inprocess_loops(settings: Settings) -> None:
    await asyncio.gather(
        _inprocess_loop("dispatcher", build_dispatcher(settings).run_once, settings.dispatcher_poll_seconds),
        _inprocess_loop("webhook sender", build_webhook_sender(settings).run_once, settings.dispatcher_poll_seconds),
        _inprocess_loop(
            "reminder scheduler", ReminderScheduler(get_engine()).run_once, settings.dispatcher_poll_seconds
        ),
        _inprocess_loop("pruning", prune_once, housekeeping.PRUNE_EVERY.total_seconds()),
        _inprocess_loop("insight rollups", rollup_once, insight_rollups.ROLLUP_EVERY.total_seconds()),
    )


async def _inprocess_loop(name: str, run_once, poll_seconds: float) -> None:
    while True:
        try:
            handled = await asyncio.to_thread(run_once, INPROCESS_BATCH)
        except Exception:  # e.g. the database is not migrated yet: keep the app up, try again
            log.exception("in-process %s pass failed", name)
            handled = 0
        if not handled:
            await asyncio.sleep(poll_seconds)
