"""Crashes lose nothing: 2,000 texts sent by `smslinks worker` on PostgreSQL through the official
Twilio SDK to the sandbox Twilio, which answers slowly, while the worker is killed with SIGKILL
20 times at random moments and restarted each time. At the end every text reached Twilio exactly
once, and every row says delivered with the sid Twilio gave that text.

A kill lands anywhere: before a claim commits, while requests are on their way to Twilio (recorded
there or not yet), between Twilio's answer and the commit of the outcome. Rows left "sending" are
reconciled by a later worker against Twilio's message list once their grace period is over.
"""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlmodel import Session, func, select
from starlette.requests import ClientDisconnect

from smslinks.api import build_api
from smslinks.config import PROJECT_ROOT, get_settings
from smslinks.core import outbox
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import MessageStatusEvent, OutboundMessage
from smslinks.sandbox.runner import free_port
from smslinks.sandbox.twilio_server import build_app
from tests import factories
from tests.databases import fresh_database
from tests.integration.delivery.support import wait_for
from tests.servers import serving

TEXTS = 2000
KILLS = 20
# Each Twilio API request takes this long (seconds), half before the sandbox sees it and half before
# its answer leaves, so kills find requests on both sides of Twilio's record.
LATENCY = (0.04, 0.3)
# A worker is killed this long after it first talks to Twilio.
KILL_AFTER = (0.2, 2.5)
TWILIO_TIMEOUT_SECONDS = 2
GRACE_SECONDS = 2 * TWILIO_TIMEOUT_SECONDS


class SlowTwilio:
    """ASGI middleware: Twilio's API answers after a network's and a data centre's delay; counts
    the requests it has seen and those still in flight."""

    def __init__(self, app, latency: tuple[float, float]):
        self.app = app
        self.latency = latency
        self.seen = 0
        self.in_flight = 0

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or not scope["path"].startswith("/2010-04-01/"):
            return await self.app(scope, receive, send)
        half = random.uniform(*self.latency) / 2
        self.seen += 1
        self.in_flight += 1

        async def answer_later(message):
            if message["type"] == "http.response.start":
                await asyncio.sleep(half)
            await send(message)

        try:
            await asyncio.sleep(half)
            await self.app(scope, receive, answer_later)
        except ClientDisconnect:
            pass  # the worker was killed while its request was on its way
        finally:
            self.in_flight -= 1


@dataclass
class Stack:
    db_url: str
    api_url: str
    sandbox_port: int
    twilio: SlowTwilio
    sandbox: object


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """A database of its own, the sandbox Twilio (slow) and the app's webhook routes (where the
    sandbox posts its signed status callbacks)."""
    from smslinks import db

    api_port, sandbox_port = free_port(), free_port()
    with fresh_database("smslinks_crashes") as db_url, pytest.MonkeyPatch.context() as patch:
        upgrade_to_head(db_url)
        patch.setenv("DATABASE_URL", db_url)
        patch.setenv("SMSLINKS_PUBLIC_URL", f"http://127.0.0.1:{api_port}")
        get_settings.cache_clear()
        db.get_engine.cache_clear()
        settings = get_settings()
        sandbox_app = build_app(inbound_url=settings.twilio_inbound_url, step_seconds=0.05)
        twilio = SlowTwilio(sandbox_app, LATENCY)
        try:
            # The sandbox stops first: no callback of its finds the app's routes gone.
            with serving(build_api(), api_port) as api_url, serving(twilio, sandbox_port):
                yield Stack(db_url, api_url, sandbox_port, twilio, sandbox_app.state.sandbox)
        finally:
            db.get_engine().dispose()
            db.get_engine.cache_clear()
            get_settings.cache_clear()


class Supervisor:
    """tests/integration/worker_supervisor.py: starts workers on demand; the test kills them."""

    def __init__(self, stack: Stack, log_path):
        self.log = open(log_path, "w")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.integration.worker_supervisor"],
            cwd=PROJECT_ROOT,
            env={
                **os.environ,
                "DATABASE_URL": stack.db_url,
                "SMSLINKS_PUBLIC_URL": stack.api_url,
                "SMSLINKS_SANDBOX_TWILIO_PORT": str(stack.sandbox_port),
                "SMSLINKS_TWILIO_TIMEOUT_SECONDS": str(TWILIO_TIMEOUT_SECONDS),
                "SMSLINKS_DISPATCHER_SENDING_GRACE_SECONDS": str(GRACE_SECONDS),
                "SMSLINKS_DISPATCHER_RETRY_BASE_SECONDS": "0.5",
                "SMSLINKS_DISPATCHER_POLL_SECONDS": "0.1",
            },
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )

    def start(self) -> int:
        self.process.stdin.write("start\n")
        self.process.stdin.flush()
        return int(self.process.stdout.readline())

    def stop(self) -> int:
        """SIGTERM to the running worker; its exit code."""
        try:
            output, _ = self.process.communicate("stop\n", timeout=60)
            return int(output)
        finally:
            self.log.close()


def _enqueue(db_url: str) -> dict[str, int]:
    """{body: message id} of TEXTS queued texts, each to a number of its own."""
    engine = make_engine(db_url)
    try:
        with Session(engine, expire_on_commit=False) as session:
            business = factories.business(session, default_sending_number="+15125557000")
            messages = [
                outbox.enqueue(
                    session,
                    business_id=business.id,
                    channel="sms",
                    to_address=f"+1512556{n:04d}",
                    body=f"Invoice {n} from Test Plumbing: https://pay.example.com/pay/crash{n}",
                )
                for n in range(TEXTS)
            ]
            session.commit()
            return {message.body: message.id for message in messages}
    finally:
        engine.dispose()


def _rows(db_url: str) -> dict[int, tuple[str, str | None]]:
    engine = make_engine(db_url)
    try:
        with Session(engine) as session:
            return {row.id: (row.status, row.provider_id) for row in session.exec(select(OutboundMessage)).all()}
    finally:
        engine.dispose()


def _wait_until_all_delivered(db_url: str, timeout: float) -> None:
    engine = make_engine(db_url)
    undelivered = select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status != "delivered")
    try:
        deadline = time.monotonic() + timeout
        while (left := _count(engine, undelivered)) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not left, f"{left} texts not delivered after {timeout} s"
    finally:
        engine.dispose()


def _count(engine, statement) -> int:
    with Session(engine) as session:
        return session.exec(statement).one()


# About a minute on two idle cores; three on a machine shared by several jobs.
@pytest.mark.timeout(480)
def test_a_worker_killed_twenty_times_mid_send_loses_no_text_and_sends_none_twice(stack, tmp_path):
    sent = _enqueue(stack.db_url)
    seed = time.time_ns()
    chance = random.Random(seed)
    supervisor = Supervisor(stack, tmp_path / "workers.log")
    started = time.monotonic()
    in_flight_at_kills = []
    try:
        for _ in range(KILLS):
            before = stack.twilio.seen
            pid = supervisor.start()
            wait_for(lambda before=before: stack.twilio.seen > before, timeout=30, what="the worker to call Twilio")
            time.sleep(chance.uniform(*KILL_AFTER))
            os.kill(pid, signal.SIGKILL)
            in_flight_at_kills.append(stack.twilio.in_flight)
        at_twilio_after_kills = len(stack.sandbox.newest_first())
        supervisor.start()
        _wait_until_all_delivered(stack.db_url, timeout=180)
    finally:
        exit_code = supervisor.stop()
    elapsed = time.monotonic() - started
    log = (tmp_path / "workers.log").read_text()
    assert exit_code == 0, log[-3000:]

    at_twilio = Counter(message.body for message in stack.sandbox.newest_first())
    lost = set(sent) - set(at_twilio)
    twice = {body for body, count in at_twilio.items() if count > 1}
    engine = make_engine(stack.db_url)
    try:
        # Claimed by a worker that was killed before it sent them, then claimed again.
        reclaimed = _count(engine, select(func.count()).where(OutboundMessage.attempts > 1))
        reconciled = _count(
            engine,
            select(func.count()).where(MessageStatusEvent.detail == "Found at Twilio after an unanswered request."),
        )
    finally:
        engine.dispose()
    print(
        f"\n{TEXTS} texts, worker killed {KILLS} times (seed {seed}): {len(lost)} lost, {len(twice)} sent twice; "
        f"{at_twilio_after_kills} had reached Twilio by the last kill; kills with requests in flight: "
        f"{sum(1 for n in in_flight_at_kills if n)} (up to {max(in_flight_at_kills)} at once); "
        f"{reclaimed} texts claimed again after a kill, {reconciled} found at Twilio by reconciliation; {elapsed:.0f} s"
    )
    assert not lost and not twice
    sid_of = {message.body: message.sid for message in stack.sandbox.newest_first()}
    rows = _rows(stack.db_url)
    assert rows == {message_id: ("delivered", sid_of[body]) for body, message_id in sent.items()}
    # The kills hit work in progress.
    assert reclaimed > 0 and any(in_flight_at_kills)
