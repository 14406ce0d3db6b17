"""Customers' replies in the office Inbox, live, answered back to the Dev phone; a text that cannot
arrive followed by an email of the same link; the technician sees replies about their job."""

import time

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from smslinks import demo, routes
from smslinks.core import links, outbox
from smslinks.core.sms_text import PayBy, invoice_text
from smslinks.models import Business, EmailAddress, Employee, OutboundMessage
from tests import factories
from tests.e2e.conftest import assert_fits, sign_in

pytestmark = pytest.mark.e2e

NUMBER = "+15125550952"  # this module's own customer number
SHOWN = "(512) 555-0952"
UNREACHABLE = "+15125550030"  # the sandbox reports "undelivered" (30003) for it


def wait_for(condition, timeout: float = 30, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if value := condition():
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


def text_invoice(live_app, number: str, name: str, email: str | None = None, technician: str | None = None):
    """What the office's Send does, through core: a fresh link and a queued text. Returns the
    message id, the link, the invoice id and the job id."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        customer = factories.customer(session, business, name)
        if email:
            session.add(EmailAddress(customer_id=customer.id, email=email))
        location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
        tech = session.exec(select(Employee).where(Employee.email == technician)).one() if technician else None
        job = factories.job(session, location, tech) if tech else None
        phone = factories.phone(session, number, customer=customer)
        invoice = factories.invoice(session, location, total_cents=21_500, job=job)
        link, token = links.mint(session, invoice)
        url = f"{live_app.url}{routes.pay(token)}"
        message = outbox.enqueue(
            session,
            business_id=business.id,
            channel="sms",
            to_address=phone.e164,
            body=invoice_text(business.name, invoice.number, invoice.balance_cents, url, PayBy.CARD),
            invoice_id=invoice.id,
            phone_number_id=phone.id,
            payment_link_id=link.id,
        )
        session.commit()
        return message.id, url, invoice.id, job.id if job else None


def status_of(live_app, message_id: int) -> str:
    with live_app.session() as session:
        return session.get(OutboundMessage, message_id).status


def test_a_reply_shows_live_in_the_inbox_and_the_answer_reaches_the_dev_phone(live_app, desktop, phone):
    message_id, _url, invoice_id, job_id = text_invoice(live_app, NUMBER, "Rita Replies", technician="tech@example.com")
    wait_for(lambda: status_of(live_app, message_id) == "delivered", what="the text to be delivered")

    sign_in(desktop, "office@example.com")
    desktop.goto(routes.INBOX)
    expect(desktop.get_by_role("heading", name="Inbox")).to_be_visible()

    dev_phone = desktop.context.new_page()
    dev_phone.goto(f"{live_app.settings.sandbox_twilio_url}/dev-phone")
    conversation = dev_phone.get_by_role("region", name=f"Conversation with {SHOWN}")
    conversation.get_by_label(f"Reply from {SHOWN}").fill("Can I pay on Friday instead?")
    conversation.get_by_role("button", name="Send", exact=True).click()

    # Live: the open Inbox shows the reply and the unread badge without a reload.
    row = desktop.get_by_test_id("inbox-thread").filter(has_text="Rita Replies")
    expect(row).to_contain_text("Can I pay on Friday instead?")
    expect(desktop.get_by_test_id("inbox-unread")).to_be_visible()
    row.click()
    panel = desktop.get_by_role("region", name="Conversation", exact=True)
    expect(panel.get_by_test_id("thread-reply").filter(has_text="Can I pay on Friday instead?")).to_be_visible()
    expect(row.get_by_label("unread")).to_have_count(0)  # opened: read

    panel.get_by_label("Answer").fill("Yes, Friday is fine. Thank you!")
    expect(panel.get_by_text("1 SMS segment", exact=False)).to_be_visible()
    panel.get_by_role("button", name="Send answer").click()
    answer = f"{demo.BUSINESS_NAME}: Yes, Friday is fine. Thank you!"
    expect(panel.get_by_test_id("thread-sent").filter(has_text=answer)).to_be_visible()
    expect(panel.get_by_text("Done", exact=True)).to_be_visible()  # answered: the thread is done
    conversations = desktop.get_by_role("region", name="Conversations").bounding_box()
    assert panel.bounding_box()["x"] - (conversations["x"] + conversations["width"]) >= 16  # room between them
    assert_fits(desktop, "inbox-desktop")

    dev_phone.reload()
    conversation = dev_phone.get_by_role("region", name=f"Conversation with {SHOWN}")
    expect(conversation.get_by_text(answer)).to_be_visible(timeout=20_000)

    # The invoice's timeline shows the reply too.
    desktop.goto(routes.invoice(invoice_id))
    reply = desktop.get_by_test_id("timeline-entry").filter(has_text=f"Reply from {SHOWN}")
    expect(reply).to_contain_text("Can I pay on Friday instead?")

    # STOP shows with what it did; answering is then refused with a clear message.
    conversation.get_by_role("button", name="STOP").click()
    desktop.goto(f"{routes.INBOX}?number={NUMBER.replace('+', '%2B')}")
    panel = desktop.get_by_role("region", name="Conversation", exact=True)
    expect(panel.get_by_text("Opted out: no more texts to this number.")).to_be_visible()
    expect(panel.get_by_text("no answer can be texted until it replies START", exact=False)).to_be_visible()

    # The technician sees the replies about their job's invoice on the job page, and the office
    # Inbox fits a phone.
    sign_in(phone, "tech@example.com")
    phone.goto(routes.tech_job(job_id))
    replies = phone.get_by_test_id("timeline-entry").filter(has_text=f"Reply from {SHOWN}")
    expect(replies.filter(has_text="Can I pay on Friday instead?")).to_be_visible()
    expect(replies.filter(has_text="Opted out: no more texts to this number.")).to_be_visible()
    assert_fits(phone, "tech-job-replies-phone")
    phone.context.clear_cookies()
    sign_in(phone, "office@example.com")
    phone.goto(routes.INBOX)
    phone.get_by_test_id("inbox-thread").filter(has_text="Rita Replies").click()
    expect(phone.get_by_role("region", name="Conversation", exact=True)).to_be_visible()
    assert_fits(phone, "inbox-thread-phone")
    phone.get_by_role("button", name="All conversations").click()
    expect(phone.get_by_test_id("inbox-thread").first).to_be_visible()
    assert_fits(phone, "inbox-list-phone")


def test_a_text_that_cannot_arrive_is_followed_by_the_email(live_app, desktop):
    message_id, url, invoice_id, _job = text_invoice(
        live_app, UNREACHABLE, "Una Reachable", email="una.reachable@example.net"
    )
    wait_for(lambda: status_of(live_app, message_id) == "undelivered", what="the text to fail")

    def emailed():
        with live_app.session() as session:
            return session.exec(
                select(OutboundMessage).where(
                    OutboundMessage.invoice_id == invoice_id, OutboundMessage.channel == "email"
                )
            ).first()

    email = wait_for(emailed, what="the fallback email")
    wait_for(lambda: status_of(live_app, email.id) == "sent", what="the email to be sent")
    desktop.goto(f"{live_app.settings.sandbox_twilio_url}/mail")
    mail = desktop.get_by_role("article").filter(has_text="una.reachable@example.net")
    expect(mail.get_by_role("link", name=url)).to_be_visible()

    sign_in(desktop, "office@example.com")
    desktop.goto(routes.invoice(invoice_id))
    entries = desktop.get_by_test_id("timeline-entry")
    expect(entries.filter(has_text="The phone was unreachable")).to_have_count(2)  # the text, and why the email
    expect(
        entries.filter(has_text="Email to una.reachable@example.net").get_by_text(
            "Emailed because the text could not be delivered: The phone was unreachable", exact=False
        )
    ).to_be_visible()
    assert_fits(desktop, "invoice-text-fallback-desktop")
