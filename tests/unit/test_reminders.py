"""Payment reminders (core/reminders): the cadence rules, when a reminder goes, and every reason
reminders stop for good."""

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smslinks.core import accounts, consent, inbound, invoice_view, reminders, sending
from smslinks.core.errors import DomainError
from smslinks.core.sending import Recipient, Via
from smslinks.core.sms_text import PayBy
from smslinks.models import Invoice, InvoiceReminder, OutboundMessage, Payment, utcnow
from tests import factories

ZONE = "America/Chicago"


# ---------------------------------------------------------------- cadence rules


@pytest.mark.parametrize(
    ("text", "days"), [("3, 7, 14", [3, 7, 14]), ("1", [1]), ("1,2,3,4,90", [1, 2, 3, 4, 90]), (" 5 10 ", [5, 10])]
)
def test_a_cadence_is_up_to_five_increasing_days_from_1_to_90(text, days):
    assert reminders.parse_cadence(text) == days


@pytest.mark.parametrize("text", ["", "0", "91", "3,3", "7,3", "1,2,3,4,5,6", "3,x", "-1", "2.5", "３"])
def test_a_bad_cadence_is_refused_with_the_rule(text):
    with pytest.raises(DomainError) as refused:
        reminders.parse_cadence(text)
    assert refused.value.message == reminders.CADENCE_RULE


def test_a_reminder_is_due_at_9_am_at_the_service_location_n_days_after_the_first_text():
    first = utcnow().replace(year=2026, month=12, day=3, hour=20, minute=15)  # 2:15 PM in Chicago
    due = reminders.due_at(first, 3, ZONE)
    assert (due.month, due.day, due.hour, due.minute) == (12, 6, 15, 0)  # 9:00 AM CST


def test_the_reminder_text_is_fixed_names_the_invoice_and_says_how_to_stop():
    text = reminders.reminder_text("Test Plumbing", "10031", 33_207, "https://pay.example/p/abc")
    assert text == (
        "Test Plumbing reminder: invoice #10031 for $332.07 is still due. "
        "Pay: https://pay.example/p/abc Reply STOP to opt out."
    )


# ---------------------------------------------------------------- a texted invoice and its plan


class World:
    def __init__(self, session: Session, enabled: bool = True):
        self.session = session
        business = factories.business(session)
        settings = accounts.payment_settings(session, business.id)
        settings.sms_links_enabled = settings.office_sms_enabled = True
        settings.reminders_enabled = enabled
        settings.reminder_days = "3,7,14"
        self.business, self.settings = business, settings
        self.office = factories.employee(session, business, name="Olivia Office")
        customer = factories.customer(session, business, "Maria Garcia")
        location = factories.location(session, customer, time_zone=ZONE)
        self.invoice = factories.invoice(session, location, total_cents=33_207, number="10031")
        self.phone = factories.phone(session, "512-555-0108", customer=customer)
        session.commit()
        self.first_text_at = utcnow()

    def text(self, key="k1", now=None):
        sending.send_invoice_text(
            self.session,
            self.office,
            self.invoice.id,
            Recipient(phone_number_id=self.phone.id),
            PayBy.CARD,
            Via.OFFICE,
            key,
            now=now or self.first_text_at,
        )
        self.delivered()

    def delivered(self) -> None:
        """The dispatcher's part, not under test here: every queued text went out."""
        for message in self.session.exec(select(OutboundMessage)).all():
            message.status = "delivered"
        self.session.commit()

    def plan(self) -> InvoiceReminder | None:
        self.session.expire_all()
        return self.session.exec(select(InvoiceReminder)).first()

    def run_at(self, when) -> int:
        queued = reminders.run_due(self.session, when)
        self.session.commit()
        self.delivered()
        return queued

    def run_when_due(self) -> int:
        return self.run_at(self.plan().next_reminder_at + timedelta(minutes=1))

    def reminder_texts(self) -> list[OutboundMessage]:
        return [
            m
            for m in self.session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all()
            if reminders.reminder_number(m)
        ]


@pytest.fixture
def world(session) -> World:
    return World(session)


def test_the_first_text_makes_a_plan_due_3_days_later_at_9_am(world):
    world.text()
    plan = world.plan()
    assert plan.to_address == "+15125550108"
    assert plan.next_reminder_at == reminders.due_at(world.first_text_at, 3, ZONE)
    line = reminders.status(world.session, world.office, world.invoice.id).line
    assert line.startswith("Reminder 1 of 3: ")
    assert "9:00 AM" in line


def test_no_plan_while_reminders_are_off(session):
    world = World(session, enabled=False)
    world.text()
    assert world.plan() is None


def test_nothing_goes_before_the_reminder_is_due(world):
    world.text()
    assert world.run_at(world.plan().next_reminder_at - timedelta(minutes=1)) == 0
    assert world.reminder_texts() == []


def test_a_due_reminder_is_queued_once_with_a_fresh_link_and_the_next_is_planned(world):
    world.text()
    due = world.plan().next_reminder_at
    assert world.run_when_due() == 1
    assert world.run_at(due + timedelta(minutes=2)) == 0  # a second pass finds nothing due
    [reminder] = world.reminder_texts()
    assert reminder.to_address == "+15125550108"
    assert reminder.body.startswith("Test Plumbing reminder: invoice #10031 for $332.07 is still due.")
    assert reminder.payment_link_id is not None
    plan = world.plan()
    assert plan.sent == 1
    assert plan.next_reminder_at == reminders.due_at(world.first_text_at, 7, ZONE)
    titles = [entry.title for entry in invoice_view.timeline(world.session, world.office, world.invoice.id)]
    assert titles[0] == "Reminder 1 to (512) 555-0108"
    assert reminders.status(world.session, world.office, world.invoice.id).line.startswith("Reminder 2 of 3: ")


def test_after_the_last_reminder_the_plan_ends(world):
    world.text()
    for _ in range(3):
        assert world.run_when_due() == 1
    plan = world.plan()
    assert (plan.sent, plan.next_reminder_at, plan.stop_reason) == (3, None, reminders.STOP_DONE)
    assert [reminders.reminder_number(m) for m in world.reminder_texts()] == [1, 2, 3]


def test_a_reminder_goes_to_the_number_texted_last(world):
    world.text()
    other = factories.phone(world.session, "512-555-0177", customer=world.session.get(Invoice, world.invoice.id))
    world.session.commit()
    assert other is not None
    plan = world.plan()
    reminders.on_text_sent(world.session, world.invoice, "+15125550177", utcnow())
    world.session.commit()
    assert world.plan().to_address == "+15125550177"
    assert plan.first_text_at == world.plan().first_text_at


# ---------------------------------------------------------------- stop reasons


def _stopped_for(world: World, reason: str) -> None:
    assert world.run_when_due() == 0
    plan = world.plan()
    assert (plan.stop_reason, plan.next_reminder_at) == (reason, None)
    assert world.reminder_texts() == []
    assert f"Reminders stopped: {reason}" in reminders.status(world.session, world.office, world.invoice.id).line


def test_paid_stops_reminders(world):
    world.text()
    world.invoice.amount_paid_cents, world.invoice.status = 33_207, "paid"
    world.session.commit()
    _stopped_for(world, reminders.STOP_PAID)


def test_void_stops_reminders(world):
    world.text()
    world.invoice.status = "void"
    world.session.commit()
    _stopped_for(world, reminders.STOP_VOID)


def test_a_bank_payment_in_flight_stops_reminders(world):
    world.text()
    world.session.add(Payment(invoice_id=world.invoice.id, amount_cents=33_207, method="ach", status="processing"))
    world.session.commit()
    _stopped_for(world, reminders.STOP_IN_FLIGHT)


def test_an_opt_out_stops_reminders(world):
    world.text()
    consent.opt_out(world.session, world.business.id, "+15125550108", 'reply "STOP"')
    world.session.commit()
    _stopped_for(world, reminders.STOP_OPTED_OUT)


def test_any_reply_from_the_number_stops_reminders(world):
    world.text()
    inbound.receive(world.session, from_number="+15125550108", to_number="+15125550998", body="Will pay Friday")
    world.session.commit()
    plan = world.plan()
    assert (plan.stop_reason, plan.next_reminder_at) == (reminders.STOP_REPLIED, None)
    assert world.run_at(utcnow() + timedelta(days=30)) == 0


def test_switching_reminders_off_stops_them(world):
    world.text()
    world.settings.reminders_enabled = False
    world.session.commit()
    _stopped_for(world, reminders.STOP_SWITCHED_OFF)


def test_paused_reminders_wait_and_resume_on_a_morning_to_come(world):
    world.text()
    reminders.pause(world.session, world.office, world.invoice.id)
    world.session.commit()
    assert world.plan().next_reminder_at is None
    assert world.run_at(utcnow() + timedelta(days=5)) == 0
    assert "Reminders paused by Olivia Office" in reminders.status(world.session, world.office, world.invoice.id).line
    later = utcnow() + timedelta(days=5)
    reminders.resume(world.session, world.office, world.invoice.id, now=later)
    world.session.commit()
    assert world.plan().next_reminder_at == reminders.next_morning(later, ZONE)
    assert world.run_when_due() == 1


def test_only_staff_who_may_text_pause_reminders(world):
    world.text()
    other = factories.business(world.session, name="Other Co")
    stranger = factories.employee(world.session, other)
    with pytest.raises(DomainError):
        reminders.pause(world.session, stranger, world.invoice.id)


# ---------------------------------------------------------------- never the same day as a hand text


def test_a_reminder_waits_for_the_next_morning_after_a_text_sent_by_hand_that_day(world):
    world.text()
    due = world.plan().next_reminder_at
    world.text(key="k2", now=due - timedelta(hours=1))
    by_hand = world.session.exec(select(OutboundMessage).order_by(OutboundMessage.id.desc())).first()
    by_hand.created_at = due - timedelta(hours=1)  # the outbox stamps the real time: sent at 8 AM that day
    world.session.commit()
    assert world.run_at(due + timedelta(minutes=1)) == 0
    assert world.plan().next_reminder_at == reminders.next_morning(due, ZONE)


# ---------------------------------------------------------------- settings


def test_settings_refuse_a_bad_cadence_and_write_nothing(world):
    admin = factories.employee(world.session, world.business, role="Administrator")
    with pytest.raises(DomainError):
        reminders.save_settings(world.session, admin, True, "14, 7")
    world.session.rollback()
    assert world.settings.reminder_days == "3,7,14"
    saved = reminders.save_settings(world.session, admin, True, "2, 5")
    assert saved.days == "2, 5"
    assert "Reply STOP to opt out." in saved.preview
    assert (saved.encoding, saved.segments) == ("GSM-7", 1)


def test_office_staff_cannot_change_reminder_settings(world):
    with pytest.raises(DomainError):
        reminders.save_settings(world.session, world.office, False, "3")
