"""Two dispatchers on PostgreSQL, each with its own connections, never take the same row."""

import threading

from sqlmodel import func, select

from smslinks.config import SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN
from smslinks.core import outbox
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.db import make_engine
from smslinks.models import OutboundMessage
from smslinks.providers.twilio_sms import TwilioSms
from smslinks.sandbox.twilio_server import build_app
from tests.servers import serving

MESSAGES = 1000


def test_two_dispatchers_send_a_thousand_texts_exactly_once(env, business, delivery_db_url):
    with env.session() as session:
        for n in range(MESSAGES):
            outbox.enqueue(session, business_id=business.id, channel="sms", to_address=f"+1512555{n:04d}",
                           body=f"Text number {n}")
        session.commit()
    # A sandbox that only records (no callbacks): this test is about claiming.
    recorder = build_app(step_seconds=None)
    handled = [0, 0]
    with serving(recorder) as sandbox_url:
        start = threading.Barrier(2)

        def work(index: int) -> None:
            engine = make_engine(delivery_db_url)
            dispatcher = Dispatcher(
                engine,
                sms=TwilioSms(SANDBOX_TWILIO_ACCOUNT_SID, SANDBOX_TWILIO_AUTH_TOKEN, base_url=sandbox_url, timeout=5),
                email=env.email(),
                policy=DispatchPolicy(max_attempts=1),
            )
            start.wait()
            try:
                while count := dispatcher.run_once(limit=25):
                    handled[index] += count
            finally:
                engine.dispose()

        threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=120)
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
    assert statuses == {"sent": MESSAGES} and attempts == 1
