"""Runs the outbox dispatcher: as `smslinks worker` (its own process) and inside the app backend.

Several of either may run at once: claims are atomic, so no row is sent twice.
"""

import asyncio
import logging
import signal
import threading

from smslinks.config import Settings, get_settings
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.db import get_engine
from smslinks.providers import email_provider, sms_provider

log = logging.getLogger(__name__)

# One in-process pass sends at most this many messages before giving the event loop a turn.
INPROCESS_BATCH = 20


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


def run_worker() -> None:
    """`smslinks worker`: dispatch until SIGTERM or Ctrl+C."""
    settings = get_settings()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # The Twilio SDK logs every request's and answer's headers at INFO: that is most of a busy
    # worker's CPU and of its log, and says nothing the outbox does not.
    logging.getLogger("twilio.http_client").setLevel(logging.WARNING)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("outbox worker started (polling every %ss)", settings.dispatcher_poll_seconds)
    build_dispatcher(settings).run_forever(stop, settings.dispatcher_poll_seconds)
    log.info("outbox worker stopped")


async def inprocess_dispatcher() -> None:
    """A Reflex lifespan task: the app backend sends texts without a separate worker process.

    The database and provider calls are blocking, so each pass runs in a thread."""
    settings = get_settings()
    if not settings.inprocess_dispatcher:
        return
    dispatcher = build_dispatcher(settings)
    while True:
        try:
            handled = await asyncio.to_thread(dispatcher.run_once, INPROCESS_BATCH)
        except Exception:  # e.g. the database is not migrated yet: keep the app up, try again
            log.exception("in-process dispatcher pass failed")
            handled = 0
        if not handled:
            await asyncio.sleep(settings.dispatcher_poll_seconds)
