"""Insights, as an accountant uses it: a range of days, charts that follow it, a table as CSV."""

import csv
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
    Location,
    MessageStatus,
    OutboundMessage,
    PaymentLink,
    utcnow,
)
from tests.e2e.conftest import DESKTOP, assert_fits, sign_in

pytestmark = pytest.mark.e2e

NUMBER = "INS-1"


@pytest.fixture
def texted_two_months_ago(live_app):
    """An invoice texted 60 days ago and paid 5 hours later: outside the last 30 days."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        location = session.exec(select(Location).where(Location.business_id == business.id)).first()
        paid_at = utcnow() - timedelta(days=60)
        invoice = Invoice(
            business_id=business.id,
            number=NUMBER,
            customer_id=location.customer_id,
            location_id=location.id,
            status=InvoiceStatus.PAID,
            issued_on=paid_at.date(),
            due_on=paid_at.date() + timedelta(days=30),
            total_cents=12_000,
            subtotal_cents=12_000,
            amount_paid_cents=12_000,
            paid_at=paid_at,
        )
        session.add(invoice)
        session.flush()
        link, _ = links.mint(session, invoice)
        sent = paid_at - timedelta(hours=5)
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
        invoice_id = invoice.id
    yield
    with live_app.session() as session:
        session.exec(delete(OutboundMessage).where(col(OutboundMessage.invoice_id) == invoice_id))
        session.exec(delete(PaymentLink).where(col(PaymentLink.invoice_id) == invoice_id))
        session.exec(delete(Invoice).where(col(Invoice.id) == invoice_id))
        session.commit()


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


def test_a_technician_is_refused(live_app, phone):
    sign_in(phone, "tech@example.com")
    expect(phone.get_by_role("navigation", name="Main").get_by_role("link", name="Insights")).to_have_count(0)
    phone.goto("/insights")
    expect(phone.get_by_text('You need the "View insights" permission to do this.').first).to_be_visible()
    expect(phone.get_by_role("heading", name="Time to pay")).to_have_count(0)
