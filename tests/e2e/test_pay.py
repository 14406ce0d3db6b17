"""The customer pay page on a phone (390x844), against the production build and the sandbox Stripe."""

import json
import re
import time
from datetime import date, timedelta

import httpx
import pytest
import stripe
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect
from sqlmodel import select

from smslinks import demo
from smslinks.api.pay_document import static_dir
from smslinks.config import SANDBOX_STRIPE_WEBHOOK_SECRET
from smslinks.core import links, outbox, phones
from smslinks.core.accounts import payment_settings
from smslinks.models import (
    Business,
    Customer,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Location,
    OutboundMessage,
    PayLinkFailure,
    Payment,
    PaymentStatus,
    PhoneNumber,
    utcnow,
)
from tests.e2e.conftest import PHONE, screenshot

pytestmark = pytest.mark.e2e

_numbers = iter(range(9100, 9999))


def _new_invoice(live_app, lines=(("AC tune-up", 12_900), ("Capacitor 45/5 MFD", 14_500)), status="open"):
    """An invoice of its own for each test, in the demo business, texted to a mobile number."""
    with live_app.session() as session:
        business = session.exec(select(Business).where(Business.name == demo.BUSINESS_NAME)).one()
        number = next(_numbers)
        customer = Customer(business_id=business.id, name=f"Pay Test {number}", search_name=f"pay test {number}")
        session.add(customer)
        session.flush()
        location = Location(
            business_id=business.id,
            customer_id=customer.id,
            name="Home",
            street=f"{number} Oak St",
            city="Austin",
            region="TX",
            postal_code="78704",
        )
        mobile = phones.parse(f"512-555-{number:04d}")
        session.add(location)
        session.add(
            PhoneNumber(
                business_id=business.id,
                customer_id=customer.id,
                e164=mobile,
                reversed_digits=phones.reversed_digits(mobile),
            )
        )
        session.flush()
        invoice = Invoice(
            business_id=business.id,
            number=f"P{number}",
            customer_id=customer.id,
            location_id=location.id,
            status=status,
            issued_on=date.today(),
            due_on=date.today() + timedelta(days=30),
        )
        session.add(invoice)
        session.flush()
        for position, (description, cents) in enumerate(lines, start=1):
            session.add(
                InvoiceLine(
                    invoice_id=invoice.id,
                    position=position,
                    description=description,
                    quantity=1,
                    unit_price_cents=cents,
                    amount_cents=cents,
                )
            )
        invoice.subtotal_cents = sum(cents for _, cents in lines)
        invoice.tax_cents = 1_296
        invoice.total_cents = invoice.subtotal_cents + invoice.tax_cents
        link, token = links.mint(session, invoice)
        # What the office's "Send" leaves behind: the text that carried the link.
        outbox.enqueue(
            session,
            business_id=business.id,
            channel="sms",
            to_address=mobile,
            body="(invoice text)",
            invoice_id=invoice.id,
            payment_link_id=link.id,
        )
        session.commit()
        return invoice.id, token, mobile


def _fill_card(page: Page, number: str) -> None:
    page.get_by_label("Card number").fill(number)
    page.get_by_label("Expiration month").fill("12")
    page.get_by_label("Expiration year").fill("34")
    page.get_by_label("Security code").fill("123")
    page.get_by_label("ZIP code").fill("78704")


def _invoice(live_app, invoice_id: int) -> Invoice:
    with live_app.session() as session:
        return session.get(Invoice, invoice_id)


def _payments(live_app, invoice_id: int) -> list[Payment]:
    with live_app.session() as session:
        return session.exec(select(Payment).where(Payment.invoice_id == invoice_id)).all()


def _open(page: Page, token: str, query: str = "") -> None:
    page.goto(f"/pay/{token}{query}")


def _serious_violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results.response["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def _post_event(live_app, kind: str, intent: dict) -> httpx.Response:
    event = {
        "id": f"evt_e2e_{time.time_ns()}",
        "object": "event",
        "type": kind,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": intent},
    }
    payload = json.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(payload, SANDBOX_STRIPE_WEBHOOK_SECRET)
    return httpx.post(f"{live_app.url}/webhooks/stripe", content=payload, headers={"Stripe-Signature": signature})


def _intent_json(live_app, invoice_id: int) -> dict:
    payment = _payments(live_app, invoice_id)[0]
    settings = live_app.settings
    client = stripe.StripeClient(settings.stripe_keys[0], base_addresses={"api": settings.stripe_base_url})
    return client.v1.payment_intents.retrieve(payment.stripe_payment_intent_id).to_dict(recursive=True)


def _start_bank_payment(page: Page, account: str = "the payment succeeds") -> None:
    """Connect a bank account through the sandbox bank (Stripe's bank connection dialog in live mode)."""
    page.get_by_role("tab", name="ACH").click()
    page.get_by_label("Name on the bank account").fill("Pat Customer")
    page.get_by_role("button", name="Connect bank account").click()
    dialog = page.get_by_role("dialog", name="Sandbox bank")
    dialog.get_by_role("radio", name=re.compile(account)).check()
    dialog.get_by_role("button", name="Connect account").click()
    expect(page.get_by_text(re.compile(r"STRIPE TEST BANK •••• \d{4}"))).to_be_visible(timeout=15_000)


# --- cards ----------------------------------------------------------------------------------------


def test_pay_by_card_shows_a_confirmation_and_texts_a_receipt_where_the_link_went(phone, live_app):
    invoice_id, token, mobile = _new_invoice(live_app)
    _open(phone, token)
    expect(phone.get_by_role("heading", name=re.compile(r"Invoice #P\d+"))).to_be_visible()
    expect(phone.locator("#balance-due")).to_have_text("$286.96")
    expect(phone.get_by_text("Capacitor 45/5 MFD")).to_be_visible()
    expect(phone.get_by_role("tab", name="Credit Card")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    screenshot(phone, "pay-card-phone")

    _fill_card(phone, "4242 4242 4242 4242")
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    expect(phone.get_by_text("Thank you! $286.96 was paid with Visa •••• 4242.")).to_be_visible()
    expect(phone.get_by_text("A receipt is on its way by text message.")).to_be_visible()
    screenshot(phone, "pay-confirmed-phone")

    invoice = _invoice(live_app, invoice_id)
    assert invoice.status == InvoiceStatus.PAID and invoice.amount_paid_cents == 28_696
    with live_app.session() as session:
        receipt = session.exec(
            select(OutboundMessage).where(
                OutboundMessage.invoice_id == invoice_id, OutboundMessage.idempotency_key.startswith("receipt-")
            )
        ).one()
    assert (receipt.channel, receipt.to_address) == ("sms", mobile)
    assert "payment of $286.96 received" in receipt.body

    phone.reload()  # the link now shows the receipt
    expect(phone.get_by_role("heading", name="This invoice is paid")).to_be_visible()
    expect(phone.get_by_text("Visa •••• 4242")).to_be_visible()
    screenshot(phone, "pay-already-paid-phone")


def test_a_declined_card_shows_stripes_message_then_another_card_pays(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token)
    _fill_card(phone, "4000 0000 0000 0341")  # the sandbox Stripe declines it when charged
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("alert")).to_have_text("Your card was declined.", timeout=20_000)
    screenshot(phone, "pay-declined-phone")
    assert _invoice(live_app, invoice_id).amount_paid_cents == 0

    _fill_card(phone, "4242 4242 4242 4242")
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    assert [p.status for p in _payments(live_app, invoice_id)] == [PaymentStatus.SUCCEEDED]


def test_three_d_secure_card(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token)
    _fill_card(phone, "4000 0025 0000 3155")
    phone.get_by_role("button", name="Pay $286.96").click()
    challenge = phone.get_by_role("button", name="Complete authentication")
    expect(challenge).to_be_visible(timeout=20_000)
    screenshot(phone, "pay-3ds-challenge-phone")
    challenge.click()
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    assert _invoice(live_app, invoice_id).status == InvoiceStatus.PAID


def test_partial_payment_when_the_business_allows_it(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    with live_app.session() as session:
        settings = payment_settings(session, _invoice(live_app, invoice_id).business_id)
        settings.partial_payments_enabled = True
        session.commit()
    try:
        _open(phone, token)
        phone.get_by_role("button", name="Pay another amount").click()
        amount = phone.get_by_label("Amount to pay")
        amount.fill("0.50")
        amount.blur()
        expect(phone.get_by_role("alert")).to_have_text("The smallest payment is $1.00.")
        amount.fill("100")
        amount.blur()
        pay = phone.get_by_role("button", name="Pay $100.00")
        expect(pay).to_be_visible()
        _fill_card(phone, "4242 4242 4242 4242")
        pay.click()
        expect(phone.get_by_text("Remaining balance: $186.96")).to_be_visible(timeout=20_000)
        screenshot(phone, "pay-partial-confirmed-phone")
        phone.get_by_role("button", name="Pay the remaining balance").click()
        expect(phone.locator("#balance-due")).to_have_text("$186.96")
        expect(phone.get_by_role("button", name="Pay $186.96")).to_be_visible()
        invoice = _invoice(live_app, invoice_id)
        assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid_cents == 10_000
    finally:
        with live_app.session() as session:
            settings = payment_settings(session, _invoice(live_app, invoice_id).business_id)
            settings.partial_payments_enabled = False
            session.commit()


# --- bank payments --------------------------------------------------------------------------------


def test_bank_payment_processes_then_a_signed_success_event_marks_it_paid(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token, "?m=ach")  # the ACH link opens the ACH tab
    expect(phone.get_by_role("tab", name="ACH")).to_have_attribute("aria-selected", "true")
    _start_bank_payment(phone)
    pay = phone.get_by_role("button", name="Pay $286.96")
    expect(phone.get_by_text("I authorize Lone Star Heating & Air to electronically debit")).to_be_visible()
    screenshot(phone, "pay-ach-mandate-phone")
    pay.click()
    expect(phone.get_by_role("alert")).to_have_text("Check the box to authorize the debit.")
    assert _payments(live_app, invoice_id) == []

    phone.get_by_label("I authorize this one-time bank debit.").check()
    pay.click()
    expect(phone.get_by_role("heading", name="Payment processing")).to_be_visible(timeout=20_000)
    expect(phone.get_by_text("Bank payments take up to 4 business days.")).to_be_visible()
    screenshot(phone, "pay-ach-processing-phone")
    assert _invoice(live_app, invoice_id).status == InvoiceStatus.OPEN  # paid only on success

    intent = _intent_json(live_app, invoice_id) | {"status": "succeeded"}
    assert _post_event(live_app, "payment_intent.succeeded", intent).status_code == 200
    expect(phone.get_by_role("heading", name="This invoice is paid")).to_be_visible(timeout=15_000)
    assert _invoice(live_app, invoice_id).status == InvoiceStatus.PAID


def test_a_failed_bank_payment_reopens_the_balance_and_card_can_pay(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token)
    _start_bank_payment(phone, "insufficient funds")
    phone.get_by_label("I authorize this one-time bank debit.").check()
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Payment processing")).to_be_visible(timeout=20_000)

    intent = _intent_json(live_app, invoice_id) | {
        "status": "requires_payment_method",
        "last_payment_error": {
            "code": "insufficient_funds",
            "message": "The customer's account has insufficient funds to cover this payment.",
        },
    }
    assert _post_event(live_app, "payment_intent.payment_failed", intent).status_code == 200
    expect(phone.locator("#balance-due")).to_have_text("$286.96", timeout=15_000)
    [failed] = _payments(live_app, invoice_id)
    assert failed.status == PaymentStatus.FAILED and "insufficient funds" in failed.failure_reason

    phone.get_by_role("tab", name="Credit Card").click()
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    _fill_card(phone, "4242 4242 4242 4242")
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)


def test_a_bank_account_typed_in_by_hand_waits_for_its_microdeposits(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token)
    _start_bank_payment(phone, "microdeposits")
    phone.get_by_label("I authorize this one-time bank debit.").check()
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Verify your bank account")).to_be_visible(timeout=20_000)
    screenshot(phone, "pay-ach-verify-phone")
    with phone.context.expect_page() as opened:
        phone.get_by_role("link", name="Open the verification page").click()
    verification = opened.value
    verification.get_by_label("First deposit (cents)").fill("32")
    verification.get_by_label("Second deposit (cents)").fill("45")
    verification.get_by_role("button", name="Verify account").click()
    expect(verification.get_by_role("status")).to_contain_text("Verified")
    verification.close()
    expect(phone.get_by_role("heading", name="Payment processing")).to_be_visible(timeout=15_000)
    assert [p.status for p in _payments(live_app, invoice_id)] == [PaymentStatus.PROCESSING]


# --- links that do not open an invoice ------------------------------------------------------------


def test_expired_and_unknown_links_get_the_same_screen(phone, live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    with live_app.session() as session:
        invoice = session.exec(select(Invoice).where(Invoice.id == _invoice_id)).one()
        _link, expired = links.mint(session, invoice, now=utcnow() - timedelta(days=45))
        session.commit()
    _open(phone, expired)
    heading = phone.get_by_role("heading", name="This payment link has expired")
    expect(heading).to_be_visible()
    expect(phone.get_by_role("link", name="(512) 555-9000", exact=True)).to_have_attribute("href", "tel:+15125559000")
    expect(phone.get_by_role("link", name="Call (512) 555-9000")).to_be_visible()
    expired_text = phone.locator("main").inner_text()
    screenshot(phone, "pay-expired-phone")
    _open(phone, "x" * 22)
    expect(heading).to_be_visible()
    assert phone.locator("main").inner_text() == expired_text


def test_revoked_and_void_links(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    with live_app.session() as session:
        links.revoke_all(session, session.get(Invoice, invoice_id))
        session.commit()
    _open(phone, token)
    expect(phone.get_by_role("heading", name="This payment link is no longer active")).to_be_visible()
    screenshot(phone, "pay-revoked-phone")

    invoice_id, token, _mobile = _new_invoice(live_app, status=InvoiceStatus.VOID)
    _open(phone, token)
    expect(phone.get_by_role("heading", name="This invoice was cancelled")).to_be_visible()
    screenshot(phone, "pay-void-phone")


def test_too_many_bad_links_from_one_client_are_throttled_but_a_live_link_still_pays(phone, live_app):
    """Guesses are counted, not visits: behind the same address (a carrier NAT) a real link pays."""
    _open(phone, "not-a-token-at-all")
    expect(phone.get_by_role("heading", name="This payment link has expired")).to_be_visible()
    with live_app.session() as session:
        client = session.exec(select(PayLinkFailure).order_by(PayLinkFailure.id.desc())).first().client
        session.add_all(
            [
                PayLinkFailure(client=client, token_hash=f"guess-{n}")
                for n in range(live_app.settings.pay_link_max_failures)
            ]
        )
        session.commit()
    try:
        _open(phone, "another-guess-at-a-token")
        expect(phone.get_by_role("heading", name="Too many attempts")).to_be_visible()
        screenshot(phone, "pay-throttled-phone")
        _invoice_id, token, _mobile = _new_invoice(live_app)
        _open(phone, token)
        expect(phone.locator("#balance-due")).to_have_text("$286.96")
        _fill_card(phone, "4242 4242 4242 4242")
        phone.get_by_role("button", name="Pay $286.96").click()
        expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    finally:
        with live_app.session() as session:
            for row in session.exec(select(PayLinkFailure).where(PayLinkFailure.client == client)).all():
                session.delete(row)
            session.commit()


# --- language, accessibility, zoom, desktop -------------------------------------------------------


@pytest.fixture
def spanish_phone(browser, base_url):
    context = browser.new_context(
        viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True, device_scale_factor=2, locale="es-MX"
    )
    page = context.new_page()
    yield page
    context.close()


def test_spanish_from_the_browser_language_with_a_switch(spanish_phone, live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    _open(spanish_phone, token)
    expect(spanish_phone.get_by_text("Saldo pendiente").first).to_be_visible()
    expect(spanish_phone.get_by_role("tab", name="Tarjeta de crédito")).to_be_visible()
    expect(spanish_phone.get_by_role("button", name="Pagar $286.96")).to_be_visible()
    expect(spanish_phone.locator("main")).to_have_attribute("lang", "es")
    expect(spanish_phone).to_have_title("Pague su factura")
    screenshot(spanish_phone, "pay-spanish-phone")
    spanish_phone.get_by_role("button", name="English").click()
    expect(spanish_phone.get_by_role("button", name="Pay $286.96")).to_be_visible()
    expect(spanish_phone).to_have_title("Pay your invoice")
    expect(spanish_phone.get_by_role("button", name="English")).to_have_attribute("aria-pressed", "true")


def test_no_serious_accessibility_violations(phone, live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    _open(phone, token)
    expect(phone.get_by_label("Card number")).to_be_visible(timeout=15_000)
    assert _serious_violations(phone) == []
    phone.get_by_role("tab", name="ACH").click()
    assert _serious_violations(phone) == []
    _start_bank_payment(phone)
    assert _serious_violations(phone) == []
    _open(phone, "no-such-token-here")
    expect(phone.get_by_role("heading", name="This payment link has expired")).to_be_visible()
    assert _serious_violations(phone) == []


def test_usable_at_200_percent_zoom(browser, base_url, live_app):
    """200% zoom on a 390px phone leaves 195 CSS pixels: nothing may need sideways scrolling."""
    _invoice_id, token, _mobile = _new_invoice(live_app)
    context = browser.new_context(
        viewport={"width": 195, "height": 422}, base_url=base_url, is_mobile=True, has_touch=True, device_scale_factor=4
    )
    page = context.new_page()
    try:
        _open(page, token)
        expect(page.get_by_label("Card number")).to_be_visible(timeout=15_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 195  # the server-drawn page
        # The card field now shows before the app takes over: wait for the app's page, then look again.
        expect(page.locator("#pay-ssr")).to_have_count(0, timeout=20_000)
        assert page.evaluate("document.documentElement.scrollWidth") <= 195
        expect(page.locator("#balance-due")).to_have_text("$286.96")
        pay = page.get_by_role("button", name="Pay $286.96")
        pay.scroll_into_view_if_needed()
        expect(pay).to_be_in_viewport()
        screenshot(page, "pay-zoom-200-phone")
    finally:
        context.close()


def test_desktop_layout(desktop, live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    _open(desktop, token)
    expect(desktop.get_by_label("Card number")).to_be_visible(timeout=15_000)
    assert desktop.evaluate("document.documentElement.scrollWidth") <= 1280
    screenshot(desktop, "pay-card-desktop")


# --- the first screen, drawn on the server --------------------------------------------------------

# The moment React's page appears beside the server-drawn one (before pay_takeover.js removes the
# latter), both as lists of "tag attr=value…" and text lines, attributes sorted. Left out: what is
# inside Stripe's card field (the server-drawn page has it already, React's copy not yet) and the
# "Loading the secure card form…" hint after it, which pay.css hides once the field is in.
_SNAPSHOT_AT_TAKEOVER = """
(() => {
  const lines = (root) => {
    const out = [];
    const walk = (node) => {
      if (node.nodeType === Node.TEXT_NODE) { if (node.data) out.push('text ' + node.data); return; }
      if (node.nodeType !== Node.ELEMENT_NODE) return;
      if (node.previousElementSibling?.id === 'card-element' && node.classList.contains('pay-hint')) return;
      const attributes = [...node.attributes].map((a) => a.name + '=' + a.value).sort();
      out.push(node.tagName.toLowerCase() + ' ' + attributes.join(' '));
      node.normalize();
      if (node.id !== 'card-element') node.childNodes.forEach(walk);
      out.push('/' + node.tagName.toLowerCase());
    };
    walk(root.cloneNode(true));
    return out;
  };
  window.__takeover = null;
  new MutationObserver((_records, observer) => {
    const drawn = document.querySelector('#pay-ssr main.pay');
    const react = [...document.querySelectorAll('main.pay')].find((main) => !main.closest('#pay-ssr'));
    if (drawn && react) {
      window.__takeover = {drawn: lines(drawn), react: lines(react)};
      observer.disconnect();
    }
  }).observe(document, {childList: true, subtree: true});
})();
"""


def _takeover_snapshot(page: Page) -> dict:
    page.wait_for_function("window.__takeover !== null", timeout=20_000)
    return page.evaluate("window.__takeover")


def test_the_first_response_already_shows_the_invoice_and_its_pay_button(live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    response = httpx.get(f"{live_app.url}/pay/{token}", headers={"Accept-Language": "es-MX,es;q=0.9"})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert "Saldo pendiente" in response.text and "Pagar $286.96" in response.text
    assert "Capacitor 45/5 MFD" in response.text and token not in response.text
    # The app's script files are named by their content: a second visit needs none of them again.
    script = re.search(r'href="(/assets/[^"]+\.js)"', response.text).group(1)
    answer = httpx.get(f"{live_app.url}{script}", headers={"Accept-Encoding": "br, gzip"})
    assert answer.headers["content-encoding"] == "br" and "immutable" in answer.headers["cache-control"]
    assert answer.headers["x-content-type-options"] == "nosniff"  # answered from memory, still behind our headers
    brotli_copy = static_dir() / f"{script.lstrip('/')}.br"
    assert answer.headers["content-length"] == str(brotli_copy.stat().st_size)


def test_the_server_drawn_page_is_the_page_react_draws(browser, base_url, live_app):
    """Same markup both sides, so the takeover changes nothing on screen (English card tab; Spanish
    ACH tab with partial payments)."""
    invoice_id, token, _mobile = _new_invoice(live_app)
    with live_app.session() as session:
        business_id = session.get(Invoice, invoice_id).business_id
    for locale, query, partial in (("en-US", "", False), ("es-MX", "?m=ach", True)):
        with live_app.session() as session:
            payment_settings(session, business_id).partial_payments_enabled = partial
            session.commit()
        context = browser.new_context(viewport=PHONE, base_url=base_url, is_mobile=True, has_touch=True, locale=locale)
        try:
            page = context.new_page()
            requests, errors = [], []
            page.on("request", lambda request, requests=requests: requests.append(request.url))
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            page.on("console", lambda message, errors=errors: message.type == "error" and errors.append(message.text))
            page.add_init_script(_SNAPSHOT_AT_TAKEOVER)
            _open(page, token, query)
            snapshot = _takeover_snapshot(page)
            assert snapshot["drawn"] == snapshot["react"]
            expect(page.locator("#pay-ssr")).to_have_count(0)
            expect(page.locator("main")).to_have_count(1)
            expect(page.get_by_label("Card number")).to_be_attached(timeout=15_000)  # in the app's copy
            # React hydrated the page shell without complaint (a mismatch would redraw it all).
            assert [error for error in errors if "favicon" not in error and "404" not in error] == []
            # The staff pages' stylesheet (Radix Themes) is neither waited for nor downloaded.
            assert not [url for url in requests if url.endswith(".css")]
        finally:
            context.close()
    with live_app.session() as session:
        payment_settings(session, business_id).partial_payments_enabled = False
        session.commit()


def test_what_the_customer_does_before_the_app_takes_over_is_handed_on(phone, live_app):
    """Typed text and a pressed button on the server-drawn page reach the app's copy of it."""
    _invoice_id, token, _mobile = _new_invoice(live_app)
    app = HeldScripts(phone, _PAY_ROUTE_SCRIPT)  # the page's own script
    phone.goto(f"/pay/{token}?m=ach", wait_until="domcontentloaded")
    phone.get_by_label("Name on the bank account").fill("Pat Customer")
    phone.get_by_role("button", name="Connect bank account").click()
    expect(phone.locator("#pay-ssr")).to_have_count(1)  # still the server-drawn page
    app.release()
    expect(phone.get_by_role("dialog", name="Sandbox bank")).to_be_visible(timeout=15_000)
    expect(phone.locator("#pay-ssr")).to_have_count(0)
    expect(phone.get_by_label("Name on the bank account")).to_have_value("Pat Customer")


_APP_SCRIPTS = re.compile(r"/assets/[^/]+\.js$")
_PAY_ROUTE_SCRIPT = re.compile(r"/assets/_pay_\.__token_\._index-[^/]+\.js$")


class HeldScripts:
    """Scripts matching a pattern wait until released (the page's first screen, its pay.js and
    Stripe.js do not match): the app cannot take over meanwhile."""

    def __init__(self, page: Page, pattern: re.Pattern = _APP_SCRIPTS):
        self.held: list = []
        self.holding = True
        page.route(pattern, self._arrived)

    def _arrived(self, route) -> None:
        if self.holding:
            self.held.append(route)
        else:
            route.continue_()

    def release(self) -> None:
        self.holding = False
        for route in self.held:
            route.continue_()


def test_a_card_typed_and_paid_before_the_app_has_loaded_is_charged_once(phone, live_app):
    """Stripe's card field is there without the app; the tap on Pay is kept, shown busy, and
    completed once the app takes over: one payment, of the balance the server knows."""
    invoice_id, token, _mobile = _new_invoice(live_app)
    app = HeldScripts(phone)
    phone.goto(f"/pay/{token}", wait_until="domcontentloaded")
    _fill_card(phone, "4242 4242 4242 4242")
    phone.get_by_label("Card number").focus()
    expect(phone.get_by_text("Loading the secure card form…")).to_be_hidden()
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("button", name="Processing…")).to_be_disabled()
    screenshot(phone, "pay-card-before-the-app-phone")
    expect(phone.locator("#pay-ssr")).to_have_count(1)  # still the server-drawn page: no app yet
    assert _payments(live_app, invoice_id) == []
    app.release()
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    expect(phone.get_by_text("Thank you! $286.96 was paid with Visa •••• 4242.")).to_be_visible()
    [payment] = _payments(live_app, invoice_id)
    assert (payment.status, payment.amount_cents) == (PaymentStatus.SUCCEEDED, 28_696)
    assert _invoice(live_app, invoice_id).status == InvoiceStatus.PAID


def test_the_card_typed_before_the_app_is_the_one_it_pays_with(phone, live_app):
    """Typed digits survive the takeover: the app's copy of the page shows them, and pays."""
    invoice_id, token, _mobile = _new_invoice(live_app)
    app = HeldScripts(phone)
    phone.goto(f"/pay/{token}", wait_until="domcontentloaded")
    _fill_card(phone, "4000 0025 0000 3155")  # asks for 3-D Secure
    app.release()
    expect(phone.locator("#pay-ssr")).to_have_count(0)
    expect(phone.get_by_label("Card number")).to_have_value("4000 0025 0000 3155")
    expect(phone.get_by_label("Card number")).to_have_count(1)  # one card form
    phone.get_by_role("button", name="Pay $286.96").click()
    phone.get_by_role("button", name="Complete authentication").click(timeout=20_000)
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    assert [p.status for p in _payments(live_app, invoice_id)] == [PaymentStatus.SUCCEEDED]


class HeldAnswers:
    """The app's websocket with the server's answers held after the first (the state snapshot sent
    when a page connects) until released: what a slow network can do between the two."""

    def __init__(self, page: Page):
        self.held: list = []
        self.holding = True
        self.answers = 0
        page.route_web_socket(re.compile(r"/_event"), self._connect)

    def _connect(self, client) -> None:
        server = client.connect_to_server()
        server.on_message(lambda message: self._from_server(client, message))

    def _from_server(self, client, message) -> None:
        is_answer = isinstance(message, str) and message.startswith("42")  # a Socket.IO event
        self.answers += is_answer
        if is_answer and self.answers > 1 and self.holding:
            self.held.append((client, message))
        else:
            client.send(message)

    def wait_for_the_snapshot(self, page: Page) -> None:
        """Until the answer after the snapshot is held: the app has had the snapshot for a moment."""
        while not self.held:
            page.wait_for_timeout(50)
        page.wait_for_timeout(500)

    def release(self) -> None:
        self.holding = False
        for client, message in self.held:
            client.send(message)


def test_a_tab_that_showed_another_link_draws_only_the_new_one_and_keeps_the_card_typed(phone, live_app):
    """A tab keeps the app's state from one link to the next. Until the new link is resolved, the app
    must not draw the last link's screen: it would flash up, take over from the server-drawn page and
    drop the card field with what was typed in it."""
    _open(phone, "not-a-token-at-all")
    expect(phone.get_by_role("heading", name="This payment link has expired")).to_be_visible()
    invoice_id, token, _mobile = _new_invoice(live_app)
    app, answers = HeldScripts(phone), HeldAnswers(phone)
    phone.goto(f"/pay/{token}", wait_until="domcontentloaded")
    _fill_card(phone, "4242 4242 4242 4242")
    app.release()
    answers.wait_for_the_snapshot(phone)  # the app has this tab's last state, not yet this link's
    assert phone.locator("#pay-ssr").count() == 1  # no takeover by the last link's screen
    assert phone.get_by_role("heading", name="This payment link has expired").count() == 0
    answers.release()
    expect(phone.locator("#pay-ssr")).to_have_count(0)
    expect(phone.get_by_label("Card number")).to_have_value("4242 4242 4242 4242")
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Payment received")).to_be_visible(timeout=20_000)
    assert [p.status for p in _payments(live_app, invoice_id)] == [PaymentStatus.SUCCEEDED]


def test_the_bank_tab_works_before_the_app_and_its_connect_tap_is_kept(phone, live_app):
    invoice_id, token, _mobile = _new_invoice(live_app)
    app = HeldScripts(phone)
    phone.goto(f"/pay/{token}", wait_until="domcontentloaded")
    phone.get_by_role("tab", name="ACH").click()
    expect(phone.get_by_role("tab", name="ACH")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_label("Card number")).to_be_hidden()
    phone.get_by_label("Name on the bank account").fill("Pat Customer")
    phone.get_by_role("button", name="Connect bank account").click()
    expect(phone.get_by_role("button", name="Opening your bank…")).to_be_disabled()
    screenshot(phone, "pay-ach-before-the-app-phone")
    expect(phone.locator("#pay-ssr")).to_have_count(1)
    app.release()
    dialog = phone.get_by_role("dialog", name="Sandbox bank")
    dialog.get_by_role("radio", name=re.compile("the payment succeeds")).check()
    dialog.get_by_role("button", name="Connect account").click()
    expect(phone.get_by_text(re.compile(r"STRIPE TEST BANK •••• \d{4}"))).to_be_visible(timeout=15_000)
    expect(phone.get_by_role("tab", name="ACH")).to_have_attribute("aria-selected", "true")
    phone.get_by_label("I authorize this one-time bank debit.").check()
    phone.get_by_role("button", name="Pay $286.96").click()
    expect(phone.get_by_role("heading", name="Payment processing")).to_be_visible(timeout=20_000)
    assert [p.status for p in _payments(live_app, invoice_id)] == [PaymentStatus.PROCESSING]


_APP_HAS_DRAWN = "[...document.querySelectorAll('main.pay')].some((main) => !main.closest('#pay-ssr'))"


class Press:
    """A finger (or mouse button) held down on an element and lifted later, as the two halves of a tap."""

    def __init__(self, page: Page, pointer: str):
        self.page, self.pointer = page, pointer
        self.cdp = page.context.new_cdp_session(page) if pointer == "finger" else None

    def down(self, locator) -> None:
        box = locator.bounding_box()
        self.x, self.y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        if self.cdp:
            self._touch("touchStart", [{"x": self.x, "y": self.y}])
        else:
            self.page.mouse.move(self.x, self.y)
            self.page.mouse.down()

    def up(self) -> None:
        if self.cdp:
            self._touch("touchEnd", [])
        else:
            self.page.mouse.up()

    def _touch(self, kind: str, points: list) -> None:
        self.cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})


@pytest.mark.parametrize("pointer", ["finger", "mouse"])
def test_a_tap_begun_before_the_app_takes_over_and_ended_after_is_kept(phone, live_app, pointer):
    """The app is ready while the customer's finger is on "Connect bank account": the server-drawn
    page stays under the finger until it is lifted (a browser drops a click whose element is gone)."""
    _invoice_id, token, _mobile = _new_invoice(live_app)
    app = HeldScripts(phone)
    phone.goto(f"/pay/{token}?m=ach", wait_until="domcontentloaded")
    phone.get_by_label("Name on the bank account").fill("Pat Customer")
    press = Press(phone, pointer)
    press.down(phone.get_by_role("button", name="Connect bank account"))
    app.release()
    phone.wait_for_function(_APP_HAS_DRAWN, timeout=15_000)
    phone.wait_for_timeout(300)
    assert phone.locator("#pay-ssr").count() == 1  # still under the finger
    press.up()
    expect(phone.get_by_role("dialog", name="Sandbox bank")).to_be_visible(timeout=15_000)
    expect(phone.locator("#pay-ssr")).to_have_count(0)
    expect(phone.get_by_label("Name on the bank account")).to_have_value("Pat Customer")


class HeldEvents:
    """The page's events to the server whose text matches, held until released (the others go on)."""

    def __init__(self, page: Page, pattern: str):
        self.pattern, self.held, self.holding = pattern, [], True
        page.route_web_socket(re.compile(r"/_event"), self._connect)

    def _connect(self, client) -> None:
        server = client.connect_to_server()
        client.on_message(lambda message: self._from_page(server, message))

    def _from_page(self, server, message) -> None:
        if self.holding and isinstance(message, str) and self.pattern in message:
            self.held.append((server, message))
        else:
            server.send(message)

    def release(self) -> None:
        self.holding = False
        for server, message in self.held:
            server.send(message)


def _name_typed_on_the_drawn_bank_form(phone, live_app, name: str) -> tuple[HeldScripts, HeldEvents]:
    """A customer chose ACH and typed a name on the server-drawn page, with the app's scripts and
    its copy's tab answers held."""
    _invoice_id, token, _mobile = _new_invoice(live_app)
    app, tab_choice = HeldScripts(phone), HeldEvents(phone, "choose_tab")
    phone.goto(f"/pay/{token}", wait_until="domcontentloaded")
    phone.get_by_role("tab", name="ACH").click()
    phone.get_by_label("Name on the bank account").fill(name)
    return app, tab_choice


def test_typing_goes_on_into_the_app_when_it_takes_over_on_the_tab_chosen_before(phone, live_app):
    """The customer chose ACH on the server-drawn page and is typing a name when the app is ready:
    the app's copy shows ACH (a server round trip) before it takes over, so the field keeps the focus
    and nothing typed is lost."""
    app, tab_choice = _name_typed_on_the_drawn_bank_form(phone, live_app, "Pat")
    app.release()
    phone.wait_for_function(_APP_HAS_DRAWN, timeout=15_000)
    phone.wait_for_timeout(500)
    assert phone.locator("#pay-ssr").count() == 1  # the app's copy still shows the card tab
    phone.keyboard.type(" Cust")
    tab_choice.release()
    expect(phone.locator("#pay-ssr")).to_have_count(0)
    phone.keyboard.type("omer")
    expect(phone.get_by_label("Name on the bank account")).to_have_value("Pat Customer")
    expect(phone.get_by_label("Name on the bank account")).to_be_focused()
    phone.get_by_role("button", name="Connect bank account").click()
    expect(phone.get_by_role("dialog", name="Sandbox bank")).to_be_visible(timeout=15_000)


def test_a_tab_answer_that_is_late_does_not_keep_the_app_out(phone, live_app):
    """The app's copy never hears back about the tab chosen: it takes over 5 s after asking anyway,
    with what was typed, and shows that tab once the answer comes."""
    app, tab_choice = _name_typed_on_the_drawn_bank_form(phone, live_app, "Pat Customer")
    app.release()
    expect(phone.locator("#pay-ssr")).to_have_count(0, timeout=20_000)
    tab_choice.release()
    expect(phone.get_by_role("tab", name="ACH")).to_have_attribute("aria-selected", "true")
    expect(phone.get_by_label("Name on the bank account")).to_have_value("Pat Customer")


def test_the_first_response_is_the_same_for_unknown_and_expired_links(live_app):
    _invoice_id, token, _mobile = _new_invoice(live_app)
    with live_app.session() as session:
        _link, expired = links.mint(session, session.get(Invoice, _invoice_id), now=utcnow() - timedelta(days=45))
        session.commit()
    first = httpx.get(f"{live_app.url}/pay/{expired}").text
    assert first == httpx.get(f"{live_app.url}/pay/{'y' * 22}").text
    assert "Loading your invoice" in first and demo.BUSINESS_NAME not in first
