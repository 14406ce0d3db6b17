"""Two dispatchers on PostgreSQL, each with its own connections and a pool of sending threads,
never take the same row; one Twilio adapter shared by many threads gives each its own answer."""

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlmodel import func, select

from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN
from smslinks.core import outbox
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.db import make_engine
from smslinks.models import OutboundMessage
from smslinks.providers.twilio_sms import TwilioSms
from smslinks.sandbox.twilio_server import build_app
from tests.concurrency import at_once
from tests.servers import serving

MESSAGES = 1000


def test_two_concurrent_dispatchers_send_a_thousand_texts_exactly_once(env, business, delivery_db_url):
    with env.session() as session:
        for n in range(MESSAGES):
            outbox.enqueue(
                session,
                business_id=business.id,
                channel="sms",
                to_address=f"+1512555{1000 + n:04d}",
                body=f"Text number {n}",
            )
        session.commit()
    # A sandbox that only records (no callbacks): this test is about claiming.
    recorder = build_app(step_seconds=None)
    with serving(recorder) as sandbox_url:

        def work(_index: int, start) -> int:
            engine = make_engine(delivery_db_url)
            dispatcher = Dispatcher(
                engine,
                sms=TwilioSms(SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, base_url=sandbox_url, timeout=5),
                email=env.email(),
                policy=DispatchPolicy(max_attempts=1, concurrency=8),
            )
            start()
            handled = 0
            try:
                while count := dispatcher.run_once(limit=100):
                    handled += count
            finally:
                dispatcher.close()
                engine.dispose()
            return handled

        handled = at_once(2, work)
    at_twilio = recorder.state.sandbox.newest_first()
    assert len(at_twilio) == MESSAGES
    assert len({m.body for m in at_twilio}) == MESSAGES
    assert sum(handled) == MESSAGES and min(handled) > 0, handled
    with env.session() as session:
        statuses = dict(
            session.exec(
                select(OutboundMessage.status, func.count())
                .where(OutboundMessage.business_id == business.id)
                .group_by(OutboundMessage.status)
            ).all()
        )
        attempts = session.exec(
            select(func.max(OutboundMessage.attempts)).where(OutboundMessage.business_id == business.id)
        ).one()
        sids = session.exec(select(OutboundMessage.provider_id).where(OutboundMessage.business_id == business.id)).all()
    assert statuses == {"sent": MESSAGES} and attempts == 1
    assert set(sids) == {m.sid for m in at_twilio}


def test_one_twilio_adapter_shared_by_threads_gives_each_call_its_own_answer(env):
    """The SDK's HTTP client keeps the last answer on itself and returns it from there, so threads
    must not share one: the adapter keeps an SDK client per thread."""
    sms = env.sms()
    barrier = threading.Barrier(4)

    def clients_seen(_):
        barrier.wait()  # four threads at once, so the pool cannot hand one thread all the work
        return [id(sms.client), id(sms.client)]

    with ThreadPoolExecutor(4) as pool:
        seen = list(pool.map(clients_seen, range(4)))
    assert all(first == second for first, second in seen) and len({first for first, _ in seen}) == 4

    bodies = [f"Shared adapter text {n}" for n in range(100)]
    with ThreadPoolExecutor(16) as pool:
        receipts = list(pool.map(lambda body: sms.send(to="+15125550150", body=body, from_="+15125558999"), bodies))
    at_twilio = {m.sid: m.body for m in env.sandbox.newest_first()}
    assert [at_twilio[receipt.provider_id] for receipt in receipts] == bodies
