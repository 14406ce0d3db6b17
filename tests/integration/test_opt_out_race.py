"""Two texts to one number fail with Twilio's 21610 at the same moment (a bulk send to a customer
with two open invoices; bench/webhooks sends such callbacks but its shuffle rarely lines the two up,
this test does): on PostgreSQL both callbacks apply, the number opts out once, and neither request
fails on the opt-out's unique key (Twilio does not retry a status callback, so a failed request
would lose the "failed" status for good). Replies race too: one message delivered twice at once, two
ambiguous replies at once, a YES while a worker counts the silence."""

import itertools
import threading
import time

import sqlalchemy as sa
from sqlmodel import Session, select

from smslinks.core import consent, delivery, inbound, outbox
from smslinks.models import AuditEvent, MessageStatus, OutboundMessage, SmsOptOut, SmsOptOutQuestion, utcnow
from tests import factories

NUMBER = "+15125550861"
_numbers = itertools.count(1)


def _sent_text(session: Session, business, invoice, sid: str) -> OutboundMessage:
    message = outbox.enqueue(
        session, business_id=business.id, channel="sms", to_address=NUMBER, body="link", invoice_id=invoice.id
    )
    message.status, message.provider_id = MessageStatus.SENT, sid
    session.add(message)
    return message


def _unsubscribed(session: Session, sid: str) -> bool:
    return delivery.apply_twilio_status(
        session, provider_id=sid, status="failed", error_code=delivery.UNSUBSCRIBED_CODE
    )


def _wait_until_blocked(engine: sa.Engine) -> None:
    waiting = sa.text(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
    )
    deadline = time.monotonic() + 20
    while True:
        with engine.connect() as connection:  # pg_stat_activity is a snapshot per transaction
            if connection.execute(waiting).scalar():
                return
        assert time.monotonic() < deadline, "the second callback never waited on the first"
        time.sleep(0.05)


def test_two_unsubscribed_failures_racing_for_one_number_both_apply(pg_engine):
    with Session(pg_engine, expire_on_commit=False) as session:
        business = factories.business(session, name="Race Heating")
        customer = factories.customer(session, business, "Una Subscribed")
        location = factories.location(session, customer)
        first = _sent_text(session, business, factories.invoice(session, location), "SMrace0001")
        second = _sent_text(session, business, factories.invoice(session, location), "SMrace0002")
        session.commit()

    errors = []

    def second_callback():
        try:
            with Session(pg_engine) as session:
                assert _unsubscribed(session, "SMrace0002")
                session.commit()  # waits on the first callback's uncommitted opt-out row
        except Exception as error:  # the assertion below shows it
            errors.append(error)

    with Session(pg_engine) as session:
        assert _unsubscribed(session, "SMrace0001")
        session.flush()
        racer = threading.Thread(target=second_callback)
        racer.start()
        _wait_until_blocked(pg_engine)  # the second callback is writing its opt-out behind ours
        session.commit()
    racer.join(timeout=30)

    assert errors == []
    with Session(pg_engine) as session:
        assert [session.get(OutboundMessage, m.id).status for m in (first, second)] == ["failed", "failed"]
        assert len(session.exec(select(SmsOptOut).where(SmsOptOut.e164 == NUMBER)).all()) == 1
        opted_out = select(AuditEvent).where(AuditEvent.action == "sms.opted_out", AuditEvent.subject_id == NUMBER)
        assert len(session.exec(opted_out).all()) == 1


def _race(engine: sa.Engine, first, second) -> list:
    """Run `first` in a transaction left open, `second` in a thread that must wait on it, then commit
    the first; what `second` returned (or raised)."""
    outcomes = []

    def run_second():
        try:
            with Session(engine) as session:
                outcomes.append(second(session))
                session.commit()
        except Exception as error:  # the caller's assertion shows it
            outcomes.append(error)

    with Session(engine) as session:
        first(session)
        session.flush()
        racer = threading.Thread(target=run_second)
        racer.start()
        _wait_until_blocked(engine)
        session.commit()
    racer.join(timeout=30)
    return outcomes


def _reply(business, body: str, sid: str, now=None):
    return lambda session: inbound.receive(
        session, from_number=NUMBER, to_number=business.default_sending_number, body=body, provider_id=sid, now=now
    )


def _business(engine: sa.Engine, name: str):
    """A business with a sending number of its own, so replies find it."""
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session, name=name, default_sending_number=f"+15125557{next(_numbers):03d}")
        session.commit()
        return business


def test_one_message_delivered_twice_at_once_is_applied_once(pg_engine):
    business = _business(pg_engine, "Twice Told Plumbing")
    [second] = _race(pg_engine, _reply(business, "STOP", "SMtwice0001"), _reply(business, "STOP", "SMtwice0001"))
    assert second.replayed and second.reply is None
    with Session(pg_engine) as session:
        replies = session.exec(select(AuditEvent).where(AuditEvent.action == "sms.reply_received")).all()
        assert [event.business_id for event in replies].count(business.id) == 1


def test_two_ambiguous_replies_at_once_get_one_clarification(pg_engine):
    business = _business(pg_engine, "Two Questions Electric")
    [second] = _race(
        pg_engine,
        _reply(business, "Can I cancel the appointment?", "SMtwoq0001"),
        _reply(business, "I'll pay at the end of the month", "SMtwoq0002"),
    )
    assert second.keyword is inbound.Keyword.AMBIGUOUS and second.reply is None
    with Session(pg_engine) as session:
        asked = select(SmsOptOutQuestion).where(SmsOptOutQuestion.business_id == business.id)
        assert len(session.exec(asked).all()) == 1


def test_yes_arriving_as_a_worker_counts_the_silence_resubscribes(pg_engine):
    business = _business(pg_engine, "Just In Time Heating")
    with Session(pg_engine) as session:
        _reply(business, "I'll pay at the end of the month", "SMlate0001")(session)
        session.commit()
    five_minutes_on = utcnow() + inbound.ANSWER_WINDOW
    [answer] = _race(
        pg_engine,
        lambda session: inbound.revoke_unanswered(session, five_minutes_on),
        _reply(business, "Yes", "SMlate0002"),
    )
    # The worker's opt-out came first; the customer's YES then undid it.
    assert answer.reply == inbound.signed(business.name, inbound.OPTED_IN)
    with Session(pg_engine) as session:
        assert consent.opted_out_at(session, business.id, NUMBER) is None
