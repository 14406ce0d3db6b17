"""Insights, as an accountant uses it: a range of days, charts that follow it, a table as CSV."""

import csv
import time
from datetime import date, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, delete, select

from smslinks import demo
from smslinks.core import links
from smslinks.models import (
    Business,
    Invoice,
    InvoiceStatus,
    LinkOpen,
    Location,
    MessageStatus,
    OutboundMessage,
    PaymentLink,
    utcnow,
)
from tests.e2e.conftest import DESKTOP, assert_fits, sign_in

pytestmark = pytest.mark.e2e

NUMBER = "INS-1"
IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 Safari/604.1"


def _texted_invoice(live_app, number: str, paid_at, sent) -> tuple[int, int, str]:
    """An invoice (paid at paid_at, or open) whose link was texted and delivered at sent."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        location = session.exec(select(Location).where(Location.business_id == business.id)).first()
        invoice = Invoice(
            business_id=business.id,
            number=number,
            customer_id=location.customer_id,
            location_id=location.id,
            status=InvoiceStatus.PAID if paid_at else InvoiceStatus.OPEN,
            issued_on=sent.date(),
            due_on=sent.date() + timedelta(days=30),
            total_cents=12_000,
            subtotal_cents=12_000,
            amount_paid_cents=12_000 if paid_at else 0,
            paid_at=paid_at,
        )
        session.add(invoice)
        session.flush()
        link, token = links.mint(session, invoice)
        session.add(
            OutboundMessage(
                business_id=business.id,
                invoice_id=invoice.id,
                channel="sms",
                to_address="+15125550100",
                body="Pay here",
                status=MessageStatus.DELIVERED,
                payment_link_id=link.id,
                created_at=sent,
                send_after=sent,
                updated_at=sent,
            )
        )
        session.commit()
        return invoice.id, link.id, token


def _remove(live_app, invoice_id: int) -> None:
    with live_app.session() as session:
        links_of = select(PaymentLink.id).where(col(PaymentLink.invoice_id) == invoice_id)
        session.exec(delete(LinkOpen).where(col(LinkOpen.payment_link_id).in_(links_of)))
        session.exec(delete(OutboundMessage).where(col(OutboundMessage.invoice_id) == invoice_id))
        session.exec(delete(PaymentLink).where(col(PaymentLink.invoice_id) == invoice_id))
        session.exec(delete(Invoice).where(col(Invoice.id) == invoice_id))
        session.commit()


@pytest.fixture
def texted_two_months_ago(live_app):
    """An invoice texted 60 days ago and paid 5 hours later: outside the last 30 days."""
    paid_at = utcnow() - timedelta(days=60)
    invoice_id, _, _ = _texted_invoice(live_app, NUMBER, paid_at, paid_at - timedelta(hours=5))
    yield
    _remove(live_app, invoice_id)


@pytest.fixture
def texted_today(live_app):
    invoice_id, link_id, token = _texted_invoice(live_app, "INS-2", None, utcnow() - timedelta(minutes=5))
    yield link_id, token
    _remove(live_app, invoice_id)


def _texted_count(page: Page) -> int:
    row = page.get_by_role("table").first.get_by_role("row").filter(has_text="Texted")
    return int(row.get_by_role("cell").nth(1).inner_text())


def _chart(page: Page) -> str:
    return page.locator(".recharts-wrapper").first.inner_html()


def test_an_accountant_changes_the_days_sees_the_charts_follow_and_downloads_a_table(
    live_app, browser, base_url, texted_two_months_ago
):
    context = browser.new_context(viewport=DESKTOP, base_url=base_url, accept_downloads=True)
    page = context.new_page()
    sign_in(page, "accountant@example.com")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Insights").click()
    expect(page.get_by_role("heading", name="Time to pay", exact=True)).to_be_visible()
    expect(page.locator(".recharts-bar-rectangle").first).to_be_visible()
    recent, recent_chart = _texted_count(page), _chart(page)
    assert_fits(page, "insights-desktop")
    # The weekday and hour charts say what their bars are: hours, not a count of invoices.
    for day_or_hour in ("weekday", "hour"):
        heading = f"Median hours to pay for texted invoices, by {day_or_hour} of the first text"
        expect(page.get_by_role("heading", name=heading)).to_be_visible()

    page.get_by_label("From").fill((date.today() - timedelta(days=90)).isoformat())
    texted = page.get_by_role("table").first.get_by_role("row").filter(has_text="Texted")
    expect(texted.get_by_role("cell").nth(1)).to_have_text(str(recent + 1))
    assert _chart(page) != recent_chart
    assert_fits(page, "insights-90-days-desktop")

    with page.expect_download() as download:
        page.get_by_role("button", name="Download time to pay as CSV").click()
    assert download.value.suggested_filename.startswith("time-to-pay-")
    with open(download.value.path(), encoding="utf-8-sig", newline="") as saved:
        rows = list(csv.reader(saved))
    assert rows[0] == ["Invoices", "Paid", "Median", "75th percentile"]
    assert rows[1][:2] == ["Texted", str(recent + 1)]
    context.close()


def test_insights_fit_a_phone(live_app, phone):
    sign_in(phone, "manager@example.com")
    phone.goto("/insights")
    expect(phone.get_by_role("heading", name="What is owed")).to_be_visible()
    assert_fits(phone, "insights-phone")
    assert_fits(phone, "insights-phone-top", full_page=False)
    phone.get_by_role("heading", name="Delivery problems").scroll_into_view_if_needed()
    assert_fits(phone, "insights-phone-delivery-problems", full_page=False)


def test_a_technician_is_refused(live_app, phone):
    sign_in(phone, "tech@example.com")
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Insights")).to_have_count(0)
    phone.goto("/insights")
    expect(phone.get_by_text('You need the "View insights" permission to do this.').first).to_be_visible()
    expect(phone.get_by_role("heading", name="Time to pay")).to_have_count(0)


def _opened_by_a_person(page: Page) -> str:
    funnel = page.get_by_role("table").filter(has_text="Opened by a person")
    return (
        funnel.get_by_role("row")
        .filter(has_text="Text")
        .filter(has_text="Opened by a person")
        .get_by_role("cell")
        .nth(2)
    )


def _opens(live_app, link_id: int, count: int) -> list[bool]:
    """The link's visits, oldest first, once there are `count` of them (on_load comes after the page)."""
    for _ in range(100):
        with live_app.session() as session:
            opens = session.exec(
                select(LinkOpen).where(LinkOpen.payment_link_id == link_id).order_by(LinkOpen.id)
            ).all()
        if len(opens) >= count:
            return [o.by_person for o in opens]
        time.sleep(0.2)
    return [o.by_person for o in opens]


def test_a_customer_opening_the_link_counts_and_a_link_preview_does_not(
    live_app, browser, base_url, desktop, texted_today
):
    link_id, token = texted_today
    sign_in(desktop, "accountant@example.com")
    desktop.goto("/insights")
    before = int(_opened_by_a_person(desktop).inner_text())

    preview = browser.new_context(base_url=base_url)  # headless Chromium: what a scanner drives
    preview.new_page().goto(f"/pay/{token}")
    assert _opens(live_app, link_id, 2) == [False, False]
    preview.close()
    customer = browser.new_context(base_url=base_url, user_agent=IPHONE, viewport={"width": 390, "height": 844})
    customer.new_page().goto(f"/pay/{token}")
    assert _opens(live_app, link_id, 4) == [False, False, False, True]
    customer.close()

    desktop.reload()
    expect(_opened_by_a_person(desktop)).to_have_text(str(before + 1))
