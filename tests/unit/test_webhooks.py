"""Outbound webhooks: each event is recorded by the core change that causes it, only for endpoints that
want it; administrators manage endpoints; the sender signs, retries with backoff for 3 days, gives up,
switches off an endpoint failing that long, and a resend carries the same webhook-id."""

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select
from standardwebhooks import Webhook

from smslinks.core import (
    accounts,
    delivery,
    inbound,
    invoice_editing,
    links,
    outbox,
    pay_page,
    payments,
    recorded_payments,
    tips,
    webhooks,
)
from smslinks.core.errors import NotAllowed, NotFound
from smslinks.core.payment_gateway import GatewayEvent
from smslinks.core.webhook_sender import PostResult, WebhookPolicy, WebhookSender
from smslinks.models import (
    AuditEvent,
    MessageStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    utcnow,
)
from tests import factories
from tests.unit.stripe_double import BANK, CARD_OK, StripeDouble

CLIENT = "203.0.113.7"
ALL = list(webhooks.EVENT_TYPES)


@pytest.fixture
def shop(session):
    """A business with an administrator, an open $250 invoice for Pat Garcia and its pay link."""
    business = factories.business(session)
    admin = factories.employee(session, business, "Administrator")
    customer = factories.customer(session, business, "Pat Garcia")
    location = factories.location(session, customer)
    mobile = factories.phone(session, "512-555-0134", customer=customer)
    invoice = factories.invoice(session, location, total_cents=25_000)
    link, token = links.mint(session, invoice)
    outbox.enqueue(
        session,
        business_id=business.id,
        channel="sms",
        to_address=mobile.e164,
        body="link",
        invoice_id=invoice.id,
        payment_link_id=link.id,
    )
    session.commit()
    return business, admin, invoice, token, mobile.e164


def _endpoint(session, admin, events=ALL, url="https://books.example.com/hooks") -> int:
    endpoint_id, _secret = webhooks.add_endpoint(session, admin, url, events)
    session.commit()
    return endpoint_id


def _events(session) -> list[tuple[str, dict]]:
    rows = session.exec(select(WebhookEvent).order_by(WebhookEvent.id)).all()
    return [(row.type, json.loads(row.payload)) for row in rows]


def _types(session) -> list[str]:
    return [kind for kind, _ in _events(session)]


def _only(session, kind: str) -> dict:
    [body] = [body for found, body in _events(session) if found == kind]
    assert body["type"] == kind and body["timestamp"].endswith("Z")
    return body["data"]


def _card(session, stripe, token):
    return payments.pay_by_card(
        session, stripe, token, client=CLIENT, payment_method=CARD_OK, amount_text=None, language="en"
    )


def _bank(session, stripe, token) -> str:
    secret = payments.prepare_bank_payment(session, stripe, token, client=CLIENT)
    intent_id = secret.split("_secret_")[0]
    stripe.attach_bank(intent_id, BANK)
    payments.pay_by_bank(
        session,
        stripe,
        token,
        client=CLIENT,
        accepted=True,
        ip_address="198.51.100.4",
        user_agent="Mozilla/5.0 (iPhone)",
        language="en",
    )
    return intent_id


def _stripe_event(intent, kind):
    data = {
        "id": intent.id,
        "object": "payment_intent",
        "status": intent.status,
        "amount": intent.amount_cents,
        "client_secret": intent.client_secret,
        "metadata": intent.metadata,
        "payment_method": "pm_x",
        "last_payment_error": {"code": intent.error_code, "message": intent.error_message}
        if intent.error_code
        else None,
    }
    return GatewayEvent(id=f"evt_{kind}_{intent.id}", type=kind, created=utcnow(), object=data)


# --- each event at its real trigger ------------------------------------------------------------


def test_a_card_payment_records_payment_succeeded_and_invoice_paid_with_what_accounting_needs(session, shop):
    _business, admin, invoice, token, _mobile = shop
    _endpoint(session, admin)
    _card(session, StripeDouble(), token)
    session.commit()
    assert _types(session) == ["invoice.paid", "payment.succeeded"]
    paid = _only(session, "invoice.paid")["invoice"]
    assert paid["number"] == invoice.number and paid["status"] == "paid"
    assert (paid["total_cents"], paid["amount_paid_cents"], paid["balance_cents"]) == (25_000, 25_000, 0)
    assert paid["currency"] == "usd" and paid["customer"] == {"id": invoice.customer_id, "name": "Pat Garcia"}
    assert paid["issued_on"] == invoice.issued_on.isoformat() and paid["updated_at"].endswith("Z")
    payment = _only(session, "payment.succeeded")["payment"]
    assert (payment["amount_cents"], payment["status"], payment["method"]) == (25_000, "succeeded", "card")
    assert payment["method_detail"] == "Visa •••• 4242" and payment["created_at"].endswith("Z")


def test_a_bank_payment_records_processing_then_failed(session, shop):
    _business, admin, _invoice, token, _mobile = shop
    _endpoint(session, admin)
    stripe = StripeDouble()
    intent_id = _bank(session, stripe, token)
    payments.apply_event(
        session, _stripe_event(stripe.settle(intent_id, success=False), "payment_intent.payment_failed")
    )
    session.commit()
    assert _types(session) == ["payment.processing", "payment.failed"]
    failed = _only(session, "payment.failed")["payment"]
    assert failed["method"] == "ach" and "insufficient funds" in failed["failure_reason"]
    assert _only(session, "payment.failed")["invoice"]["balance_cents"] == 25_000


def test_a_refund_records_payment_refunded(session, shop):
    _business, admin, _invoice, token, _mobile = shop
    _card(session, StripeDouble(), token)
    _endpoint(session, admin)
    refund = {"id": "ch_1", "payment_intent": "pi_1", "amount": 25_000, "amount_refunded": 5_000}
    payments.apply_event(session, GatewayEvent("evt_r1", "charge.refunded", utcnow(), refund))
    session.commit()
    data = _only(session, "payment.refunded")
    assert data["payment"]["refunded_cents"] == 5_000
    assert data["invoice"]["status"] == "open" and data["invoice"]["balance_cents"] == 5_000


def test_a_tip_is_announced_apart_from_the_invoices_money(session, shop):
    business, admin, _invoice, token, _mobile = shop
    settings = accounts.payment_settings(session, business.id)
    settings.tips_enabled = True
    _endpoint(session, admin)
    payments.pay_by_card(
        session, StripeDouble(), token, client=CLIENT, payment_method=CARD_OK, tip=tips.TipChoice("custom", "20")
    )
    session.commit()
    payment = _only(session, "payment.succeeded")["payment"]
    assert (payment["amount_cents"], payment["tip_cents"], payment["tip_refunded_cents"]) == (25_000, 2_000, 0)


def test_a_recorded_payment_and_its_voiding_are_announced(session, shop):
    business, admin, invoice, _token, _mobile = shop
    _endpoint(session, admin)
    today = recorded_payments.business_today(business).isoformat()
    form = recorded_payments.RecordedPaymentForm("check", "100.00", today, "1042", "")
    recorded = recorded_payments.record_payment(session, admin, invoice.id, form)
    recorded_payments.void_payment(session, admin, recorded.id, "Entered twice")
    session.commit()
    assert _types(session) == ["payment.succeeded", "payment.voided"]
    succeeded = _only(session, "payment.succeeded")["payment"]
    assert (succeeded["method"], succeeded["method_detail"], succeeded["amount_cents"]) == (
        "check",
        "Check #1042",
        10_000,
    )
    voided = _only(session, "payment.voided")
    assert voided["payment"]["status"] == "voided" and voided["reason"] == "Entered twice"
    assert voided["invoice"]["balance_cents"] == 25_000


def test_voiding_records_invoice_voided_with_the_reason(session, shop):
    _business, admin, invoice, _token, _mobile = shop
    _endpoint(session, admin)
    invoice_editing.void(session, admin, invoice.id, "Duplicate of another invoice")
    session.commit()
    data = _only(session, "invoice.voided")
    assert data["invoice"]["status"] == "void" and data["reason"] == "Duplicate of another invoice"


def test_text_status_callbacks_record_message_delivered_and_failed(session, shop):
    business, admin, invoice, _token, mobile = shop
    _endpoint(session, admin)
    first, second = (
        outbox.enqueue(
            session, business_id=business.id, channel="sms", to_address=mobile, body=f"text {n}", invoice_id=invoice.id
        )
        for n in (1, 2)
    )
    for message, sid in ((first, "SM1"), (second, "SM2")):
        message.status, message.provider_id = MessageStatus.SENT, sid
    session.flush()
    delivery.apply_twilio_status(session, provider_id="SM1", status="delivered")
    delivery.apply_twilio_status(session, provider_id="SM1", status="delivered")  # a replay: no second event
    delivery.apply_twilio_status(session, provider_id="SM2", status="undelivered", error_code="30003")
    session.commit()
    assert _types(session) == ["message.delivered", "message.failed"]
    failed = _only(session, "message.failed")["message"]
    assert (failed["id"], failed["to"], failed["status"], failed["error_code"]) == (
        second.id,
        mobile,
        "undelivered",
        "30003",
    )
    assert "unreachable" in failed["failure_reason"]
    assert _only(session, "message.delivered")["invoice"]["number"] == invoice.number


def test_the_first_open_of_a_pay_link_records_link_opened_once(session, shop):
    _business, admin, invoice, token, _mobile = shop
    _endpoint(session, admin)
    pay_page.open_link(session, token, client=CLIENT, host="")
    session.commit()
    pay_page.open_link(session, token, client=CLIENT, host="")
    session.commit()
    data = _only(session, "link.opened")
    assert data["link"]["invoice_id"] == invoice.id and data["link"]["opened_at"].endswith("Z")


def test_stop_and_start_replies_record_opted_out_and_opted_in_naming_the_customer(session, shop):
    business, admin, invoice, _token, mobile = shop
    _endpoint(session, admin)
    for word in ("STOP", "START"):
        inbound.receive(session, from_number=mobile, to_number=business.default_sending_number, body=word)
        session.commit()
    assert _types(session) == ["customer.opted_out", "customer.opted_in"]
    data = _only(session, "customer.opted_out")
    assert data["phone"] == mobile and data["customers"] == [{"id": invoice.customer_id, "name": "Pat Garcia"}]


def test_an_event_is_part_of_its_transaction(session, shop):
    _business, admin, invoice, _token, _mobile = shop
    _endpoint(session, admin)
    invoice_editing.void(session, admin, invoice.id, "Wrong customer")
    session.rollback()
    assert _events(session) == [] and session.exec(select(WebhookDelivery)).all() == []


# --- who gets what -----------------------------------------------------------------------------


def test_only_enabled_endpoints_of_the_business_that_asked_for_the_type_get_a_delivery(session, shop):
    _business, admin, _invoice, token, _mobile = shop
    paid_only = _endpoint(session, admin, ["invoice.paid"])
    payments_only = _endpoint(session, admin, ["payment.succeeded"], url="https://crm.example.com/in")
    switched_off = _endpoint(session, admin, ALL, url="https://old.example.com/in")
    webhooks.set_enabled(session, admin, switched_off, False)
    other = factories.business(session, name="Other Co", default_sending_number="+15125550777")
    stranger = factories.employee(session, other, "Administrator")
    _endpoint(session, stranger, ALL, url="https://other.example.com/in")
    _card(session, StripeDouble(), token)
    session.commit()
    sent = session.exec(
        select(WebhookDelivery.endpoint_id, WebhookEvent.type).join(
            WebhookEvent, WebhookEvent.id == WebhookDelivery.event_id
        )
    ).all()
    assert sorted(sent) == sorted([(paid_only, "invoice.paid"), (payments_only, "payment.succeeded")])


def test_nothing_is_written_when_no_endpoint_wants_the_event(session, shop):
    _business, admin, _invoice, token, _mobile = shop
    _endpoint(session, admin, ["customer.opted_out"])
    _card(session, StripeDouble(), token)
    session.commit()
    assert _events(session) == []


def test_changing_the_events_changes_what_is_recorded_next(session, shop):
    _business, admin, invoice, _token, _mobile = shop
    endpoint_id = _endpoint(session, admin, ["invoice.paid"])
    webhooks.set_events(session, admin, endpoint_id, ["invoice.voided"])
    invoice_editing.void(session, admin, invoice.id, "Customer moved away")
    session.commit()
    assert _types(session) == ["invoice.voided"]
    assert webhooks.endpoints(session, admin)[0].events == ["invoice.voided"]


# --- managing endpoints --------------------------------------------------------------------------


def test_only_administrators_manage_endpoints(session, shop):
    business, admin, _invoice, _token, _mobile = shop
    endpoint_id = _endpoint(session, admin)
    manager = factories.employee(session, business, "Manager")
    for attempt in (
        lambda: webhooks.endpoints(session, manager),
        lambda: webhooks.add_endpoint(session, manager, "https://x.example.com", ALL),
        lambda: webhooks.set_events(session, manager, endpoint_id, ALL),
        lambda: webhooks.set_enabled(session, manager, endpoint_id, False),
        lambda: webhooks.rotate_secret(session, manager, endpoint_id),
        lambda: webhooks.delete_endpoint(session, manager, endpoint_id),
        lambda: webhooks.deliveries(session, manager, endpoint_id),
    ):
        with pytest.raises(NotAllowed, match="Only administrators"):
            attempt()
    admin.active = False
    with pytest.raises(NotAllowed):
        webhooks.endpoints(session, admin)


def test_another_business_endpoint_is_not_found(session, shop):
    _business, admin, _invoice, _token, _mobile = shop
    other = factories.business(session, name="Other Co")
    theirs = _endpoint(session, factories.employee(session, other, "Administrator"))
    with pytest.raises(NotFound):
        webhooks.delete_endpoint(session, admin, theirs)
    with pytest.raises(NotFound):
        webhooks.deliveries(session, admin, theirs)


@pytest.mark.parametrize(
    ("url", "sandbox", "says"),
    [
        ("", True, "Enter the URL"),
        ("books.example.com/hooks", True, "starting with https://"),
        ("ftp://books.example.com", True, "starting with https://"),
        ("http://books.example.com/hooks", True, "only to localhost or 127.0.0.1 in sandbox mode"),
        ("http://localhost:9000/hooks", False, "Use an https:// URL"),
        ("https://user:pw@books.example.com/hooks", True, "user name and password"),
        ("https://127.0.0.1/hooks", False, "public address"),
        ("https://10.1.2.3/hooks", False, "public address"),
        ("https://books.example.com:99999/", True, "not a valid URL"),
        ("https://" + "a" * 2000 + ".com", True, "under 2000"),
    ],
)
def test_bad_urls_are_refused_with_a_clear_message(url, sandbox, says):
    with pytest.raises(webhooks.FieldErrors) as refused:
        webhooks.check_url(url, sandbox=sandbox)
    assert says in refused.value.fields["url"]


@pytest.mark.parametrize(
    ("url", "sandbox"),
    [
        ("https://books.example.com/hooks/smslinks", False),
        ("http://localhost:9000/hooks", True),
        ("http://127.0.0.1:9000/hooks", True),
    ],
)
def test_good_urls_are_accepted(url, sandbox):
    assert webhooks.check_url(f"  {url} ", sandbox=sandbox) == url


def test_a_refused_endpoint_writes_nothing_and_names_each_field(session, shop):
    _business, admin, _invoice, _token, _mobile = shop
    with pytest.raises(webhooks.FieldErrors) as refused:
        webhooks.add_endpoint(session, admin, "http://books.example.com", ["no.such.event"])
    assert set(refused.value.fields) == {"url", "events"}
    assert session.exec(select(WebhookEndpoint)).all() == []


def test_the_secret_is_standard_webhooks_format_kept_to_sign_and_rotated_on_request(session, shop):
    _business, admin, _invoice, _token, _mobile = shop
    endpoint_id, secret = webhooks.add_endpoint(session, admin, "https://books.example.com/hooks", ALL)
    assert secret.startswith("whsec_") and len(Webhook(secret)._whsecret) == 24
    rotated = webhooks.rotate_secret(session, admin, endpoint_id)
    assert rotated != secret and session.get(WebhookEndpoint, endpoint_id).secret == rotated
    actions = session.exec(select(AuditEvent.action)).all()
    assert {"webhook.endpoint_added", "webhook.secret_rotated"} <= set(actions)
    assert all(secret not in row.detail and rotated not in row.detail for row in session.exec(select(AuditEvent)))


def test_deleting_an_endpoint_removes_its_deliveries(session, shop):
    _business, admin, _invoice, token, _mobile = shop
    endpoint_id = _endpoint(session, admin)
    _card(session, StripeDouble(), token)
    webhooks.delete_endpoint(session, admin, endpoint_id)
    session.commit()
    assert session.exec(select(WebhookDelivery)).all() == [] and webhooks.endpoints(session, admin) == []


# --- sending -------------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = utcnow()

    def __call__(self):
        return self.now

    def advance(self, **delta):
        self.now += timedelta(**delta)


class Receiver:
    """Answers every post with `status` (None: no answer) and keeps what arrived."""

    def __init__(self, status: int | None = 200):
        self.status = status
        self.posts: list[tuple[str, bytes, dict]] = []

    def post(self, url, body, headers):
        self.posts.append((url, body, headers))
        if self.status is None:
            return PostResult(None, "No answer within 10 seconds.")
        return PostResult(
            self.status, None if 200 <= self.status < 300 else f"The endpoint answered HTTP {self.status}."
        )


@pytest.fixture
def sending(engine):
    """An administrator's endpoint wanting every event, on a database the sender opens itself."""
    with Session(engine, expire_on_commit=False) as session:
        business = factories.business(session)
        admin = factories.employee(session, business, "Administrator")
        endpoint_id, secret = webhooks.add_endpoint(session, admin, "https://books.example.com/hooks", ALL)
        session.commit()
    clock, receiver = Clock(), Receiver()
    sender = WebhookSender(engine, receiver, WebhookPolicy(concurrency=1), clock=clock)
    return engine, business, admin, endpoint_id, secret, clock, receiver, sender


def _record(engine, business, clock, n=1) -> None:
    with Session(engine) as session:
        for i in range(n):
            webhooks.record_event(session, business.id, "invoice.paid", {"invoice": {"number": str(i)}}, at=clock())
        session.commit()


def _delivery(engine) -> WebhookDelivery:
    with Session(engine) as session:
        return session.exec(select(WebhookDelivery)).one()


def test_each_delivery_is_signed_per_standard_webhooks(sending):
    engine, business, _admin, _endpoint_id, secret, clock, receiver, sender = sending
    _record(engine, business, clock, 3)
    assert sender.run_once() == 3
    assert len(receiver.posts) == 3
    for url, body, headers in receiver.posts:
        assert url == "https://books.example.com/hooks"
        payload = Webhook(secret).verify(body, headers)
        assert payload["type"] == "invoice.paid" and set(payload) == {"type", "timestamp", "data"}
        assert headers["webhook-id"].startswith("msg_")
    assert len({headers["webhook-id"] for _, _, headers in receiver.posts}) == 3
    with Session(engine) as session:
        rows = session.exec(select(WebhookDelivery)).all()
    assert {(row.status, row.attempts, row.last_response_code) for row in rows} == {("delivered", 1, 200)}
    assert sender.run_once() == 0


def test_failures_back_off_exponentially_then_give_up_after_three_days(sending):
    engine, business, _admin, _endpoint_id, _secret, clock, receiver, sender = sending
    receiver.status = 503
    _record(engine, business, clock)
    start = clock()
    waits = []
    while _delivery(engine).status == "pending":
        before = clock()
        assert sender.run_once() == 1
        row = _delivery(engine)
        waits.append(row.next_attempt_at - before)
        assert sender.run_once() == 0  # nothing is due before its time
        clock.now = row.next_attempt_at
    row = _delivery(engine)
    assert row.status == "failed" and row.last_response_code == 503 and "HTTP 503" in row.last_error
    seconds = [wait.total_seconds() for wait in waits[:-1]]
    assert seconds[:6] == [30, 60, 120, 240, 480, 960]
    assert max(seconds) == 6 * 3600  # capped
    assert clock() - start == timedelta(days=3)  # the last attempt at exactly 3 days
    assert row.attempts == len(receiver.posts) == len(waits)


def test_an_endpoint_failing_for_three_days_is_switched_off_with_a_notice(sending):
    engine, business, admin, endpoint_id, _secret, clock, receiver, sender = sending
    receiver.status = None
    _record(engine, business, clock)
    sender.run_once()
    clock.advance(days=2)
    _record(engine, business, clock)  # a newer event keeps failing too
    while _endpoint_row(engine, endpoint_id).enabled:
        clock.advance(hours=6)
        sender.run_once()
    row = _endpoint_row(engine, endpoint_id)
    assert "failed, for 3 days" in row.disabled_reason and "enable the endpoint again" in row.disabled_reason
    with Session(engine) as session:
        shown = webhooks.endpoints(session, admin)[0]
    assert (shown.enabled, shown.disabled_reason) == (False, row.disabled_reason)
    clock.advance(hours=12)
    assert sender.run_once() == 0  # a switched-off endpoint is sent nothing
    with Session(engine) as session:
        webhooks.set_enabled(session, admin, endpoint_id, True)
        session.commit()
    receiver.status = 200
    assert sender.run_once() == 1  # the waiting delivery goes once it is back on
    assert _endpoint_row(engine, endpoint_id).disabled_reason == ""


def test_a_success_in_between_restarts_the_three_days(sending):
    engine, business, _admin, endpoint_id, _secret, clock, receiver, sender = sending
    receiver.status = 500
    _record(engine, business, clock)
    sender.run_once()
    clock.advance(days=2)
    receiver.status = 200
    _record(engine, business, clock)
    sender.run_once()  # the newer one goes through (the older waits for its backoff)
    receiver.status = 500
    clock.advance(days=1, hours=1)
    _record(engine, business, clock)
    sender.run_once()
    assert _endpoint_row(engine, endpoint_id).enabled


def _endpoint_row(engine, endpoint_id) -> WebhookEndpoint:
    with Session(engine) as session:
        return session.get(WebhookEndpoint, endpoint_id)


def test_a_resend_is_another_attempt_with_the_same_webhook_id_and_body(sending):
    engine, business, admin, endpoint_id, secret, clock, receiver, sender = sending
    _record(engine, business, clock)
    sender.run_once()
    with Session(engine) as session:
        [row] = webhooks.deliveries(session, admin, endpoint_id)
        assert (row.status, row.attempts, row.may_resend) == ("delivered", 1, True)
        webhooks.resend(session, admin, row.id)
        session.commit()
        with pytest.raises(Exception, match="already on its way"):
            webhooks.resend(session, admin, row.id)
    clock.advance(seconds=5)
    assert sender.run_once() == 1
    (_, first_body, first), (_, second_body, second) = receiver.posts
    assert second["webhook-id"] == first["webhook-id"] and second_body == first_body
    assert second["webhook-timestamp"] != first["webhook-timestamp"]  # signed at the time of sending
    Webhook(secret).verify(second_body, second)
    assert (_delivery(engine).status, _delivery(engine).attempts) == ("delivered", 2)


def test_a_failed_resend_fails_again_without_days_of_retries(sending):
    engine, business, admin, _endpoint_id, _secret, clock, receiver, sender = sending
    _record(engine, business, clock)
    sender.run_once()
    receiver.status = 410
    with Session(engine) as session:
        webhooks.resend(session, admin, _delivery(engine).id)
        session.commit()
    clock.advance(seconds=5)
    assert sender.run_once() == 1
    row = _delivery(engine)
    assert (row.status, row.last_response_code) == ("failed", 410)


def test_a_rotated_secret_signs_the_next_attempt(sending):
    engine, business, admin, endpoint_id, _secret, clock, receiver, sender = sending
    with Session(engine) as session:
        rotated = webhooks.rotate_secret(session, admin, endpoint_id)
        session.commit()
    _record(engine, business, clock)
    sender.run_once()
    _, body, headers = receiver.posts[0]
    Webhook(rotated).verify(body, headers)


def test_a_lease_that_ran_out_is_taken_again_with_the_same_webhook_id(sending):
    """A worker that died after claiming: once its lease is over, the delivery goes again."""
    engine, business, _admin, _endpoint_id, _secret, clock, receiver, sender = sending
    _record(engine, business, clock)
    [lost] = sender.claim_batch(10)  # claimed, then the worker is gone
    assert sender.run_once() == 0  # leased: nobody else takes it yet
    clock.advance(seconds=sender.policy.lease_seconds + 1)
    assert sender.run_once() == 1
    ((_, _, headers),) = receiver.posts
    assert headers["webhook-id"] == lost.message_id
    row = _delivery(engine)
    assert (row.status, row.attempts) == ("delivered", 2)


def test_the_late_outcome_of_a_lost_lease_changes_nothing(sending):
    engine, business, _admin, _endpoint_id, _secret, clock, receiver, sender = sending
    receiver.status = 500
    _record(engine, business, clock)
    [slow] = sender.claim_batch(10)
    clock.advance(seconds=sender.policy.lease_seconds + 1)
    receiver.status = 200
    sender.run_once()  # another worker delivers it
    sender._record([(slow, PostResult(500, "The endpoint answered HTTP 500."))])  # the first one's answer, late
    assert _delivery(engine).status == "delivered"
