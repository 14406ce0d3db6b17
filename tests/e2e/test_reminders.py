"""Payment reminders as people meet them: the admin switches them on and sees the text; a customer
who leaves a texted invoice unpaid gets a reminder on their phone, and none after paying; a customer
with an expired link asks for a new one from the page.

Nobody can wait days in a test: the reminder's due time is set in the database to the past, as the
clock would have made it (and the first text moved back to three days ago)."""

import re
import time
from datetime import timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.core import accounts, links, reminders
from smslinks.models import Business, Invoice, InvoiceReminder, MessageStatus, OutboundMessage, utcnow
from tests.e2e.conftest import demo_settings, screenshot, settled, sign_in
from tests.e2e.test_office_sending import _NEEDED, SLOW, make_invoice, text_dialog
from tests.e2e.test_pay import _fill_card

pytestmark = pytest.mark.e2e

REMINDERS_ON = {**_NEEDED["settings"], "reminders_enabled": True, "reminder_days": "3,7,14"}


def _dev_phone_conversation(page: Page, live_app, shown: str):
    page.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    return page.get_by_role("region", name=f"Conversation with {shown}")


def _plan(live_app, invoice_id: int) -> InvoiceReminder | None:
    with live_app.session() as session:
        return session.exec(select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice_id)).first()


def _wait_for(condition, what: str, seconds: float = 20):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _as_if_texted_days_ago(live_app, invoice_id: int, days: int) -> None:
    """Move the first text and its plan back in time, and make the next reminder due now."""
    with live_app.session() as session:
        for message in session.exec(select(OutboundMessage).where(OutboundMessage.invoice_id == invoice_id)).all():
            message.created_at -= timedelta(days=days)
            session.add(message)
        plan = session.exec(select(InvoiceReminder).where(InvoiceReminder.invoice_id == invoice_id)).one()
        plan.first_text_at -= timedelta(days=days)
        plan.next_reminder_at = utcnow() - timedelta(seconds=1)
        session.add(plan)
        session.commit()


def test_admin_turns_reminders_on_and_sees_the_reminder_text(desktop, live_app):
    off = {**_NEEDED["settings"], "reminders_enabled": False, "reminder_days": "3,7,14"}
    with demo_settings(live_app, _NEEDED["business"], off):
        sign_in(desktop, "admin@example.com")
        desktop.goto("/settings/invoicing/online-payments")
        section = desktop.get_by_role("region", name="Reminders")
        expect(section).to_be_visible(timeout=SLOW)
        switch = section.get_by_role("switch", name="Send payment reminders")
        expect(switch).not_to_be_checked()  # off by default
        preview = section.get_by_test_id("reminder-preview")
        expect(preview).to_contain_text("reminder: invoice #10482 for $289.50 is still due.")
        expect(preview).to_contain_text("Reply STOP to opt out.")
        expect(section.get_by_test_id("reminder-preview-stats")).to_contain_text("GSM-7")
        expect(section.get_by_test_id("reminder-preview-stats")).to_contain_text(re.compile(r"SMS segments\s*1$"))
        switch.click()
        days = section.get_by_label("Send a reminder this many days after the first text")
        days.fill("14, 7")
        section.get_by_role("button", name="Save reminders").click()
        expect(section.get_by_test_id("reminder-days-error")).to_contain_text("increasing")
        assert _saved(live_app) == (False, "3,7,14")  # nothing written
        days.fill("2, 5, 10")
        expect(section.get_by_text("Reminders go 2, 5 and 10 days after the first text.")).to_be_visible()
        section.get_by_role("button", name="Save reminders").click()
        expect(desktop.get_by_text("Reminder settings saved.")).to_be_visible()
        assert _saved(live_app) == (True, "2,5,10")
        settled(desktop)
        screenshot(desktop, "reminders-settings-desktop")


def _saved(live_app) -> tuple[bool, str]:
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        settings = accounts.payment_settings(session, business.id)
        return settings.reminders_enabled, settings.reminder_days


def test_an_unpaid_invoice_gets_its_reminder_on_the_phone_and_none_after_payment(live_app, desktop, phone):
    with demo_settings(live_app, _NEEDED["business"], REMINDERS_ON):
        made = make_invoice(live_app, "Rosa Reminded", [("512-555-0781", "Mobile")])
        sign_in(desktop, "office@example.com")
        desktop.goto(f"/invoices/{made.invoice_id}")
        text_dialog(desktop).get_by_role("button", name="Send").click()
        first = desktop.get_by_test_id("timeline-entry").filter(has_text="Text to (512) 555-0781")
        expect(first.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
        desktop.reload()
        expect(desktop.get_by_test_id("reminder-line")).to_contain_text("Reminder 1 of 3: ", timeout=SLOW)
        expect(desktop.get_by_test_id("reminder-line")).to_contain_text("9:00 AM")

        # Three days later, at the reminder's time (moved here by the database).
        _as_if_texted_days_ago(live_app, made.invoice_id, 3)
        conversation = _dev_phone_conversation(phone, live_app, "(512) 555-0781")
        expect(conversation).to_contain_text(f"reminder: invoice #{made.number} for $245.00 is still due", timeout=SLOW)
        desktop.reload()
        reminder = desktop.get_by_test_id("timeline-entry").filter(has_text="Reminder 1 to (512) 555-0781")
        expect(reminder.get_by_text("Delivered", exact=True)).to_be_visible(timeout=SLOW)
        expect(desktop.get_by_test_id("reminder-line")).to_contain_text("Reminder 2 of 3: ")
        screenshot(desktop, "reminders-invoice-timeline-desktop")

        # The customer pays from the reminder's link.
        with phone.context.expect_page() as opened:
            conversation.locator("a[href*='/pay/']").last.click()
        customer = opened.value
        expect(customer.get_by_label("Card number")).to_be_visible(timeout=15_000)
        _fill_card(customer, "4242 4242 4242 4242")
        customer.get_by_role("button", name="Pay $245.00").click()
        expect(customer.get_by_role("heading", name="Payment received")).to_be_visible(timeout=SLOW)

        # Reminder 2's time comes: the workers stop the plan instead of texting.
        with live_app.session() as session:
            plan = session.exec(select(InvoiceReminder).where(InvoiceReminder.invoice_id == made.invoice_id)).one()
            plan.next_reminder_at = utcnow() - timedelta(seconds=1)
            session.add(plan)
            session.commit()
        stopped = _wait_for(lambda: (p := _plan(live_app, made.invoice_id)).stopped_at and p, "the plan to stop")
        assert (stopped.sent, stopped.stop_reason) == (1, reminders.STOP_PAID)
        with live_app.session() as session:
            keys = session.exec(
                select(OutboundMessage.idempotency_key).where(OutboundMessage.invoice_id == made.invoice_id)
            ).all()
        assert [key for key in keys if (key or "").startswith("reminder-")] == [f"reminder-{made.invoice_id}-1"]
        desktop.reload()
        expect(desktop.get_by_test_id("reminder-line")).to_contain_text("Reminders stopped: the invoice was paid")


def test_pause_and_resume_on_the_invoice_page(live_app, desktop):
    with demo_settings(live_app, _NEEDED["business"], REMINDERS_ON):
        made = make_invoice(live_app, "Paula Paused", [("512-555-0782", "Mobile")])
        sign_in(desktop, "office@example.com")
        desktop.goto(f"/invoices/{made.invoice_id}")
        text_dialog(desktop).get_by_role("button", name="Send").click()
        desktop.reload()
        section = desktop.get_by_role("region", name="Reminders")
        section.get_by_role("button", name="Pause reminders").click()
        expect(section.get_by_test_id("reminder-line")).to_contain_text("Reminders paused by ")
        assert _plan(live_app, made.invoice_id).next_reminder_at is None
        section.get_by_role("button", name="Resume").click()
        expect(section.get_by_test_id("reminder-line")).to_contain_text("Reminder 1 of 3: ")
        assert _plan(live_app, made.invoice_id).next_reminder_at is not None


def test_an_expired_link_texts_a_new_one_to_the_same_number(live_app, phone):
    with demo_settings(live_app, _NEEDED["business"], _NEEDED["settings"]):
        made = make_invoice(live_app, "Eli Expired", [("512-555-0783", "Mobile")])
        with live_app.session() as session:
            invoice = session.get(Invoice, made.invoice_id)
            link, token = links.mint(session, invoice, now=utcnow() - timedelta(days=45))
            session.add(
                OutboundMessage(
                    business_id=invoice.business_id,
                    invoice_id=invoice.id,
                    channel="sms",
                    to_address="+15125550783",
                    payment_link_id=link.id,
                    body="(the first text, 45 days ago)",
                    status=MessageStatus.DELIVERED,
                    created_at=utcnow() - timedelta(days=45),
                )
            )
            session.commit()
        phone.goto(f"/pay/{token}")
        expect(phone.get_by_role("heading", name="This payment link has expired")).to_be_visible(timeout=SLOW)
        phone.get_by_role("button", name="Text me a new link").click()
        expect(phone.get_by_role("status")).to_have_text(
            "If this link was texted to you, a new one is on its way to the same number."
        )
        screenshot(phone, "pay-expired-new-link-phone")
        conversation = _dev_phone_conversation(phone, live_app, "(512) 555-0783")
        expect(conversation).to_contain_text(f"invoice #{made.number} for $245.00 is ready", timeout=SLOW)
        # Asking again within the hour sends nothing more.
        phone.goto(f"/pay/{token}")
        phone.get_by_role("button", name="Text me a new link").click()
        expect(phone.get_by_role("status")).to_be_visible()
        with live_app.session() as session:
            new_links = session.exec(
                select(OutboundMessage).where(
                    OutboundMessage.invoice_id == made.invoice_id, OutboundMessage.idempotency_key.is_not(None)
                )
            ).all()
        assert len(new_links) == 1
