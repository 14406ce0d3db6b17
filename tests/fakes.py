"""In-memory providers and a settable clock for dispatcher tests."""

import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from smslinks.core.channels import ProviderMessage, SendReceipt, UnknownOutcome
from smslinks.models import utcnow

# Scripted outcomes for FakeSms.send, besides an exception instance to raise:
OK = "ok"
TIMEOUT_AFTER_REACHING = "timeout-after-reaching"  # the provider has the message, we got no answer
TIMEOUT_BEFORE_REACHING = "timeout-before-reaching"


class Clock:
    def __init__(self, start: datetime | None = None):
        self.now = start or utcnow() + timedelta(seconds=1)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@dataclass
class SendCall:
    to: str
    body: str
    from_: str | None
    messaging_service_sid: str | None
    status_callback: str | None


@dataclass
class FakeSms:
    clock: Clock
    script: list = field(default_factory=list)
    calls: list[SendCall] = field(default_factory=list)
    messages: list[ProviderMessage] = field(default_factory=list)  # what the provider holds
    on_send: object = None  # called with the new message's sid, as if a callback arrived now
    by_number: dict = field(default_factory=dict)  # outcomes for given numbers, whatever the order
    latency: float = 0.0  # seconds each call takes (outside the lock: calls overlap)
    max_in_flight: int = 0
    # The first `overlap` calls wait for one another (5 s at most): calls that can overlap are seen
    # to, however slowly a loaded machine starts the dispatcher's threads.
    overlap: int = 0
    # The dispatcher calls send from several threads at once.
    lock: threading.Lock = field(default_factory=threading.Lock)
    _in_flight: int = 0
    _started: int = 0
    _meeting: threading.Barrier | None = None

    def send(self, *, to, body, from_=None, messaging_service_sid=None, status_callback=None):
        with self.lock:
            self._in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self._in_flight)
        self._meet_the_others()
        time.sleep(self.latency)
        try:
            with self.lock:
                return self._send(to, body, from_, messaging_service_sid, status_callback)
        finally:
            with self.lock:
                self._in_flight -= 1

    def _meet_the_others(self) -> None:
        with self.lock:
            self._started += 1
            if self._started > self.overlap:
                return
            if self._meeting is None:
                self._meeting = threading.Barrier(self.overlap, timeout=5)
            meeting = self._meeting
        try:
            meeting.wait()
        except threading.BrokenBarrierError:
            pass  # they never overlapped: max_in_flight says so

    def _send(self, to, body, from_, messaging_service_sid, status_callback):
        self.calls.append(SendCall(to, body, from_, messaging_service_sid, status_callback))
        outcome = self.by_number.get(to) or (self.script.pop(0) if self.script else OK)
        if isinstance(outcome, Exception):
            raise outcome
        if outcome == TIMEOUT_BEFORE_REACHING:
            raise UnknownOutcome("Twilio did not answer within 15 seconds.")
        sid = f"SM{len(self.messages):032d}"
        self.messages.insert(0, ProviderMessage(sid, to, body, "queued", self.clock()))
        if self.on_send:
            self.on_send(sid)
        if outcome == TIMEOUT_AFTER_REACHING:
            raise UnknownOutcome("Twilio did not answer within 15 seconds.")
        return SendReceipt(sid, "queued")

    def messages_to(self, to, since):
        return [m for m in self.messages if m.to == to and m.created_at >= since]

    def line_type(self, e164):
        return "mobile"


@dataclass
class FakeEmail:
    script: list = field(default_factory=list)
    sent: list[dict] = field(default_factory=list)

    def send(self, *, to, subject, body, from_name=None, reply_to=None):
        outcome = self.script.pop(0) if self.script else OK
        if isinstance(outcome, Exception):
            raise outcome
        self.sent.append(dict(to=to, subject=subject, body=body, from_name=from_name, reply_to=reply_to))
        return SendReceipt(f"<{len(self.sent)}@example.test>", "accepted")
