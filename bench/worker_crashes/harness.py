"""The crash run (see __init__.py), shared by the bench and tests/integration/test_worker_crashes.py:
the stack it runs against, the workers' supervisor, the run and what it found."""

import asyncio
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, func, select
from starlette.requests import ClientDisconnect

from smslinks.api import build_api
from smslinks.config import PROJECT_ROOT, get_settings
from smslinks.core import outbox
from smslinks.db import make_engine, upgrade_to_head
from smslinks.models import MessageStatusEvent, OutboundMessage
from smslinks.sandbox.runner import environ, free_port
from smslinks.sandbox.twilio_server import build_app
from tests import factories
from tests.databases import fresh_database
from tests.integration.delivery.support import wait_for
from tests.servers import serving

# Each Twilio API request takes this long (seconds), half before the sandbox sees it and half before
# its answer leaves, so kills find requests on both sides of Twilio's record.
LATENCY = (0.04, 0.3)
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


@contextmanager
def crash_stack() -> Iterator[Stack]:
    """A database of its own, the sandbox Twilio (slow) and the app's webhook routes (where the
    sandbox posts its signed status callbacks), served from this process."""
    from smslinks import db

    api_port, sandbox_port = free_port(), free_port()
    with (
        fresh_database("smslinks_crashes") as db_url,
        environ({"DATABASE_URL": db_url, "SMSLINKS_PUBLIC_URL": f"http://127.0.0.1:{api_port}"}),
    ):
        upgrade_to_head(db_url)
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
    """bench/worker_crashes/supervisor.py: starts workers on demand; the run kills them."""

    def __init__(self, stack: Stack, log_path: Path):
        self.log = open(log_path, "w")  # closed in stop()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.worker_crashes.supervisor"],
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


@dataclass
class Outcome:
    texts: int
    kills: int
    seed: int
    lost: set[str]  # bodies Twilio never received
    twice: set[str]  # bodies Twilio received more than once
    wrong: dict[int, tuple[str, str | None]]  # {message id: (status, sid)} of rows not delivered with Twilio's sid
    worker_exit_code: int
    worker_log: str
    at_twilio_after_kills: int
    in_flight_at_kills: list[int] = field(default_factory=list)
    reclaimed: int = 0  # claimed by a worker killed before it sent them, then claimed again
    reconciled: int = 0  # found at Twilio by a later worker's reconciliation
    seconds: float = 0.0

    @property
    def right(self) -> bool:
        return not (self.lost or self.twice or self.wrong) and self.worker_exit_code == 0

    def summary(self) -> str:
        return (
            f"{self.texts} texts, worker killed {self.kills} times (seed {self.seed}): {len(self.lost)} lost, "
            f"{len(self.twice)} sent twice, {len(self.wrong)} rows not delivered with Twilio's sid; "
            f"{self.at_twilio_after_kills} had reached Twilio by the last kill; kills with requests in flight: "
            f"{sum(1 for n in self.in_flight_at_kills if n)} (up to {max(self.in_flight_at_kills, default=0)} at "
            f"once); {self.reclaimed} texts claimed again after a kill, {self.reconciled} found at Twilio by "
            f"reconciliation; {self.seconds:.0f} s"
        )


def run(
    stack: Stack,
    *,
    texts: int,
    kills: int,
    kill_after: tuple[float, float],
    log_path: Path,
    seed: int,
    delivery_timeout: float = 180,
) -> Outcome:
    """Queue `texts` texts, then `kills` times: start a worker, kill it (SIGKILL) a random
    `kill_after` seconds after it first talks to Twilio. A last worker then finishes the work."""
    sent = _enqueue(stack.db_url, texts)
    chance = random.Random(seed)
    supervisor = Supervisor(stack, log_path)
    started = time.monotonic()
    in_flight_at_kills = []
    try:
        for _ in range(kills):
            before = stack.twilio.seen
            pid = supervisor.start()
            wait_for(lambda before=before: stack.twilio.seen > before, timeout=30, what="the worker to call Twilio")
            time.sleep(chance.uniform(*kill_after))
            os.kill(pid, signal.SIGKILL)
            in_flight_at_kills.append(stack.twilio.in_flight)
        at_twilio_after_kills = len(stack.sandbox.newest_first())
        supervisor.start()
        _wait_until_all_delivered(stack.db_url, timeout=delivery_timeout)
    finally:
        exit_code = supervisor.stop()
    seconds = time.monotonic() - started

    at_twilio = Counter(message.body for message in stack.sandbox.newest_first())
    sid_of = {message.body: message.sid for message in stack.sandbox.newest_first()}
    expected = {message_id: ("delivered", sid_of.get(body)) for body, message_id in sent.items()}
    engine = make_engine(stack.db_url)
    try:
        with Session(engine) as session:
            rows = {row.id: (row.status, row.provider_id) for row in session.exec(select(OutboundMessage)).all()}
            reclaimed = session.exec(select(func.count()).where(OutboundMessage.attempts > 1)).one()
            reconciled = session.exec(
                select(func.count()).where(MessageStatusEvent.detail == "Found at Twilio after an unanswered request.")
            ).one()
    finally:
        engine.dispose()
    return Outcome(
        texts=texts,
        kills=kills,
        seed=seed,
        lost=set(sent) - set(at_twilio),
        twice={body for body, count in at_twilio.items() if count > 1},
        wrong={message_id: row for message_id, row in rows.items() if expected.get(message_id) != row},
        worker_exit_code=exit_code,
        worker_log=log_path.read_text(),
        at_twilio_after_kills=at_twilio_after_kills,
        in_flight_at_kills=in_flight_at_kills,
        reclaimed=reclaimed,
        reconciled=reconciled,
        seconds=seconds,
    )


def _enqueue(db_url: str, texts: int) -> dict[str, int]:
    """{body: message id} of `texts` queued texts, each to a number of its own."""
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
                for n in range(texts)
            ]
            session.commit()
            return {message.body: message.id for message in messages}
    finally:
        engine.dispose()


def _wait_until_all_delivered(db_url: str, timeout: float) -> None:
    """Until every row says delivered, or `timeout` seconds (the outcome then shows the others)."""
    engine = make_engine(db_url)
    undelivered = select(func.count()).select_from(OutboundMessage).where(OutboundMessage.status != "delivered")
    try:
        deadline = time.monotonic() + timeout
        while _count(engine, undelivered) and time.monotonic() < deadline:
            time.sleep(0.5)
    finally:
        engine.dispose()


def _count(engine, statement) -> int:
    with Session(engine) as session:
        return session.exec(statement).one()
