"""Every pay link is checked again at the moment it leaves (core/send_time through the dispatcher),
and one text per invoice and number waits at a time (core/sending)."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smslinks.core import accounts, invoice_view, links, outbox, sending
from smslinks.core.channels import TransientFailure
from smslinks.core.dispatch import Dispatcher, DispatchPolicy
from smslinks.core.errors import DomainError, NotAllowed
from smslinks.core.permissions import Permission, set_permission
from smslinks.core.sending import Recipient, TextAlreadyWaiting, Via
from smslinks.core.sms_text import PayBy
from smslinks.models import Business, Invoice, OutboundMessage, Payment, PaymentLink, utcnow
from tests import factories
from tests.fakes import Clock, FakeEmail, FakeSms


class LeadingClock(Clock):
    """The outbox stamps rows with the real time: a dispatcher clock set ahead, never behind it."""

    def __call__(self):
        return max(self.now, utcnow())

    def advance(self, **delta):
        self.now = self() + timedelta(**delta)
        return self.now


class World:
    """An invoice whose service location is at 11 PM now: texts are held until 8 AM there."""

    def __init__(self, engine, local_hour: int = 23):
        self.engine = engine
        self.clock = LeadingClock()
        self.sms, self.email = FakeSms(self.clock), FakeEmail()
        self.dispatcher = Dispatcher(
            engine,
            sms=self.sms,
            email=self.email,
            clock=self.clock,
            policy=DispatchPolicy(max_attempts=5, retry_base_seconds=30, concurrency=1),
        )
        with self.session() as session:
            business = factories.business(session)
            settings = accounts.payment_settings(session, business.id)
            settings.sms_links_enabled = settings.office_sms_enabled = True
            settings.mobile_email_enabled = settings.mobile_sms_enabled = True
            self.office = factories.employee(session, business, name="Olivia Office")
            self.tech = factories.employee(session, business, role="Technician", name="Terry Tech")
            customer = factories.customer(session, business, "Maria Garcia")
            self.zone = factories.zone_where_local_hour_is(local_hour, self.clock())
            location = factories.location(session, customer, time_zone=self.zone)
            job = factories.job(session, location, self.tech)
            self.invoice_id = factories.invoice(session, location, total_cents=33_207, job=job, number="10031").id
            self.mobile_id = factories.phone(session, "512-555-0108", customer=customer).id
            self.other_mobile_id = factories.phone(session, "512-555-0109", location=location).id
            factories.phone(session, "512-555-0110", customer=customer, type="Home")
            self.business_id = business.id
            session.commit()

    def session(self) -> Session:
        return Session(self.engine, expire_on_commit=False)

    def text(self, *, phone_id=None, via=Via.OFFICE, key="k1", employee=None, pay_by=PayBy.CARD):
        with self.session() as session:
            result = sending.send_invoice_text(
                session,
                employee or (self.tech if via is Via.MOBILE else self.office),
                self.invoice_id,
                Recipient(phone_number_id=phone_id or self.mobile_id),
                pay_by,
                via,
                key,
                now=self.clock(),
            )
            session.commit()
            return result

    def change(self, table, row_id, **values):
        with self.session() as session:
            row = session.get(table, row_id)
            for name, value in values.items():
                setattr(row, name, value)
            session.add(row)
            session.commit()

    def settings(self, **values):
        with self.session() as session:
            settings = accounts.payment_settings(session, self.business_id)
            for name, value in values.items():
                setattr(settings, name, value)
            session.add(settings)
            session.commit()

    def message(self, message_id) -> OutboundMessage:
        with self.session() as session:
            return session.get(OutboundMessage, message_id)

    def morning(self, message_id) -> None:
        """Move the clock to just after the held text's time and let the dispatcher run."""
        self.clock.now = self.message(message_id).send_after + timedelta(seconds=1)
        self.dispatcher.run_once()

    def timeline(self):
        with self.session() as session:
            office = session.get(type(self.office), self.office.id)
            return invoice_view.timeline(session, office, self.invoice_id, now=self.clock())


@pytest.fixture
def world(engine) -> World:
    return World(engine)


def _pay_in_full(world: World) -> None:
    world.change(Invoice, world.invoice_id, amount_paid_cents=33_207, status="paid")


# ---------------------------------------------------------------- what a held text meets in the morning


def test_a_held_text_for_an_invoice_paid_overnight_is_canceled_and_the_timeline_says_why(world):
    sent = world.text()
    assert sent.scheduled_for is not None
    _pay_in_full(world)
    world.morning(sent.message_id)
    message = world.message(sent.message_id)
    assert message.status == "canceled" and world.sms.calls == []
    assert message.failure_reason == "Not sent: the invoice was paid before 8:00 AM."
    entry = world.timeline()[0]
    assert (entry.status, entry.note) == ("canceled", "Not sent: the invoice was paid before 8:00 AM.")


def test_a_held_text_still_due_goes_in_the_morning(world):
    sent = world.text()
    world.morning(sent.message_id)
    assert world.message(sent.message_id).status == "sent"
    assert [call.to for call in world.sms.calls] == ["+15125550108"]


def _void(world):
    world.change(Invoice, world.invoice_id, status="void")


def _revoke_links(world):
    with world.session() as session:
        links.revoke_all(session, session.get(Invoice, world.invoice_id))
        session.commit()


def _expire_links(world):
    with world.session() as session:
        for link in session.exec(select(PaymentLink)).all():
            link.expires_at = utcnow()
            session.add(link)
        session.commit()


def _bank_payment_processing(world):
    with world.session() as session:
        session.add(Payment(invoice_id=world.invoice_id, amount_cents=33_207, method="ach", status="processing"))
        session.commit()


CHANGES_OVERNIGHT = [
    ("voided", _void, "Not sent: the invoice was voided before 8:00 AM."),
    ("links revoked", _revoke_links, "Not sent: its payment link was revoked before 8:00 AM."),
    ("link expired", _expire_links, "Not sent: its payment link expired before it could go."),
    ("SMS links off", lambda w: w.settings(sms_links_enabled=False), f"Not sent: {sending.SMS_LINKS_OFF}"),
    ("office texting off", lambda w: w.settings(office_sms_enabled=False), f"Not sent: {sending.OFFICE_SMS_OFF}"),
    (
        "card and ACH off",
        lambda w: w.settings(card_enabled=False, ach_enabled=False),
        f"Not sent: {sending.NO_PAYMENT_METHOD}",
    ),
    (
        "account disabled by support",
        lambda w: w.change(Business, w.business_id, sms_links_available=False),
        "Not sent: Account configuration is required: contact support.",
    ),
    (
        "bank payment in flight",
        _bank_payment_processing,
        "Not sent: A bank payment of $332.07 has been processing since",
    ),
]


@pytest.mark.parametrize("change, reason", [c[1:] for c in CHANGES_OVERNIGHT], ids=[c[0] for c in CHANGES_OVERNIGHT])
def test_what_changed_overnight_cancels_the_held_text_with_its_reason(world, change, reason):
    sent = world.text()
    change(world)
    world.morning(sent.message_id)
    message = world.message(sent.message_id)
    assert message.status == "canceled" and message.failure_reason.startswith(reason)
    assert world.sms.calls == []


def test_office_settings_do_not_cancel_a_technicians_text_but_mobile_settings_do(world):
    from_the_field = world.text(via=Via.MOBILE, key="tech")
    world.settings(office_sms_enabled=False)
    world.clock.now = world.message(from_the_field.message_id).send_after + timedelta(seconds=1)
    world.settings(mobile_sms_enabled=False)
    world.dispatcher.run_once()
    message = world.message(from_the_field.message_id)
    assert (message.status, message.failure_reason) == ("canceled", f"Not sent: {sending.MOBILE_SMS_OFF}")


def test_a_retry_that_falls_in_quiet_hours_waits_for_the_morning(engine):
    world = World(engine, local_hour=20)  # 8 PM there: the text goes at once
    world.sms.script = [TransientFailure("Twilio is busy.")]
    sent = world.text()
    world.dispatcher.run_once()
    assert world.message(sent.message_id).status == "queued"
    # The retry comes due at 9:00:10 PM there: back to scheduled, for 8 AM.
    world.clock.advance(minutes=60, seconds=10)
    world.dispatcher.run_once()
    held = world.message(sent.message_id)
    assert held.status == "scheduled" and len(world.sms.calls) == 1
    assert held.send_after.astimezone(world.clock().tzinfo) > world.clock()
    note = world.timeline()[0].history
    assert "Scheduled" in note
    world.morning(sent.message_id)
    assert world.message(sent.message_id).status == "sent" and len(world.sms.calls) == 2


def test_receipts_keep_their_own_rules_at_night(world):
    with world.session() as session:
        receipt = outbox.enqueue(
            session,
            business_id=world.business_id,
            channel="sms",
            to_address="+15125550108",
            body="Test Plumbing: payment received",
            invoice_id=world.invoice_id,
            idempotency_key="receipt-payment-1",
        )
        session.commit()
    _pay_in_full(world)
    world.dispatcher.run_once()
    assert world.message(receipt.id).status == "sent"


def test_an_emailed_link_is_canceled_once_paid_but_never_held_for_quiet_hours(world):
    with world.session() as session:
        emailed = sending.send_invoice_email(
            session,
            world.office,
            world.invoice_id,
            "maria@example.net",
            PayBy.CARD,
            Via.OFFICE,
            "e1",
        )
        session.commit()
    world.dispatcher.run_once()  # 11 PM there: emails still go
    assert world.message(emailed.message_id).status == "sent"
    with world.session() as session:
        second = sending.send_invoice_email(
            session,
            world.office,
            world.invoice_id,
            "maria@example.net",
            PayBy.CARD,
            Via.OFFICE,
            "e2",
        )
        session.commit()
    _pay_in_full(world)
    world.dispatcher.run_once()
    assert world.message(second.message_id).failure_reason == "Not sent: the invoice was paid before it went out."
    assert len(world.email.sent) == 1


# ---------------------------------------------------------------- one waiting text per invoice and number


def test_a_second_send_to_a_number_with_a_held_text_is_refused_with_its_time(world):
    first = world.text()
    with pytest.raises(TextAlreadyWaiting) as refused:
        world.text(key="k2")
    assert refused.value.message.startswith("A text to (512) 555-0108 is already scheduled for 8:00 AM ")
    assert refused.value.message_id == first.message_id
    # The technician's door and another number are no different / not affected.
    with pytest.raises(TextAlreadyWaiting):
        world.text(key="k3", via=Via.MOBILE)
    assert world.text(key="k4", phone_id=world.other_mobile_id).to_address == "+15125550109"


def test_the_picker_shows_the_waiting_text_and_the_sender_may_cancel_it(world):
    first = world.text()
    with world.session() as session:
        options = sending.recipient_options(session, world.office, world.invoice_id, now=world.clock())
    mobile = options[0]
    assert mobile.choosable and mobile.waiting.startswith("A text to (512) 555-0108 is already scheduled for 8:00 AM")
    assert mobile.waiting_message_id == first.message_id
    with world.session() as session:
        said = sending.cancel_waiting_text(session, world.office, world.invoice_id, first.message_id, Via.OFFICE)
        session.commit()
    assert said == "Canceled the text to (512) 555-0108."
    canceled = world.message(first.message_id)
    assert (canceled.status, canceled.failure_reason) == ("canceled", "Canceled by Olivia Office before it went out.")
    assert world.text(key="k2").message_id != first.message_id


def test_only_senders_may_cancel_and_only_a_text_not_yet_gone(world):
    first = world.text()
    with world.session() as session:
        set_permission(session, world.office, Permission.SEND_INVOICE_SMS, False)
        session.commit()
        with pytest.raises(NotAllowed):
            sending.cancel_waiting_text(session, world.office, world.invoice_id, first.message_id, Via.OFFICE)
        set_permission(session, world.office, Permission.SEND_INVOICE_SMS, True)
        session.commit()
    world.morning(first.message_id)
    with world.session() as session, pytest.raises(DomainError, match="already gone out"):
        sending.cancel_waiting_text(session, world.office, world.invoice_id, first.message_id, Via.OFFICE)


def test_a_sent_text_frees_the_number_for_the_next(world):
    first = world.text()
    world.morning(first.message_id)
    assert world.text(key="k2").message_id != first.message_id


def test_the_button_says_when_quiet_hours_will_hold_the_text(engine):
    for hour, label in ((23, "Schedule for 8:00 AM"), (14, "Send")):
        world = World(engine, local_hour=hour)
        with world.session() as session:
            preview = sending.preview_text(
                session,
                world.office,
                world.invoice_id,
                PayBy.CARD,
                sending.new_link_token(),
                Via.OFFICE,
                now=world.clock(),
            )
        assert preview.send_label == label


def test_texting_is_disabled_when_every_mobile_number_had_its_texts_today(engine):
    world = World(engine, local_hour=14)
    world.settings(sms_per_recipient_daily_limit=1)
    with world.session() as session:
        assert sending.text_blocker(session, world.office, world.invoice_id, Via.OFFICE, now=world.clock()) is None
    world.dispatcher.run_once()
    for n, phone_id in enumerate((world.mobile_id, world.other_mobile_id)):
        world.text(phone_id=phone_id, key=f"k{n}")
        world.dispatcher.run_once()
    with world.session() as session:
        blocker = sending.text_blocker(session, world.office, world.invoice_id, Via.OFFICE, now=world.clock())
    assert blocker.startswith(
        "Every Mobile number on record has had its text for invoice #10031 today. The next text can go at "
    )


# ---------------------------------------------------------------- a bank payment in flight


def test_a_bank_payment_in_flight_refuses_another_link_for_that_amount(world):
    _bank_payment_processing(world)
    with pytest.raises(DomainError, match=r"^A bank payment of \$332.07 has been processing since"):
        world.text()


def test_with_partial_payments_the_remainder_may_still_be_texted(world):
    world.settings(partial_payments_enabled=True)
    with world.session() as session:
        session.add(Payment(invoice_id=world.invoice_id, amount_cents=20_000, method="ach", status="processing"))
        session.commit()
    sent = world.text()
    assert "invoice #10031 for $132.07 is ready" in world.message(sent.message_id).body
