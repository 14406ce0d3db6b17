"""core/sending: every rule and its message, in order; the one send path; quiet hours; limits."""

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from smslinks.core import accounts, consent, links, sending, sms_readiness, sms_text, tokens
from smslinks.core.channels import TransientFailure
from smslinks.core.errors import DomainError
from smslinks.core.permissions import Permission, set_permission
from smslinks.core.sending import NewNumber, Recipient, Via
from smslinks.core.sms_text import PayBy
from smslinks.models import (
    AuditEvent,
    Business,
    Employee,
    Invoice,
    Location,
    OutboundMessage,
    PaymentLink,
    PaymentSettings,
    PhoneNumber,
    utcnow,
)
from tests import factories

NOT_YOURS = "That invoice does not exist or is not yours to see."


@dataclass
class World:
    session: Session
    business: Business
    settings: PaymentSettings
    office: Employee
    tech: Employee
    location: Location
    invoice: Invoice
    mobile: PhoneNumber
    home: PhoneNumber
    tenant: PhoneNumber

    def text(self, recipient=None, *, employee=None, via=Via.OFFICE, key="key-1", pay_by=PayBy.CARD, **kwargs):
        return sending.send_invoice_text(
            self.session,
            employee or self.office,
            self.invoice.id,
            recipient or Recipient(phone_number_id=self.mobile.id),
            pay_by,
            via,
            key,
            **kwargs,
        )

    def messages(self) -> list[OutboundMessage]:
        return self.session.exec(select(OutboundMessage).order_by(OutboundMessage.id)).all()

    def deliver_all(self) -> None:
        """The texts written so far went out (a text still waiting would refuse another)."""
        for message in self.messages():
            message.status = "delivered"
            self.session.add(message)
        self.session.flush()


@pytest.fixture
def world(session) -> World:
    business = factories.business(session)
    settings = accounts.payment_settings(session, business.id)
    settings.sms_links_enabled = settings.office_sms_enabled = True
    settings.mobile_email_enabled = settings.mobile_sms_enabled = True
    office = factories.employee(session, business, name="Olivia Office")
    tech = factories.employee(session, business, role="Technician", name="Terry Tech")
    customer = factories.customer(session, business, "Maria Garcia")
    # Quiet hours depend on the clock: the location's local time is mid-afternoon now.
    location = factories.location(session, customer, time_zone=factories.zone_where_local_hour_is(14))
    job = factories.job(session, location, tech)
    invoice = factories.invoice(session, location, total_cents=24_500, job=job, number="10012")
    mobile = factories.phone(session, "512-555-0104", customer=customer)
    home = factories.phone(session, "512-555-0105", customer=customer, type="Home")
    tenant = factories.phone(session, "512-555-0107", location=location)
    session.flush()
    return World(session, business, settings, office, tech, location, invoice, mobile, home, tenant)


# ---------------------------------------------------------------- invoice-level rules, in order


def _other_business_invoice(w: World):
    other = factories.business(w.session, name="Elsewhere")
    location = factories.location(w.session, factories.customer(w.session, other))
    w.invoice = factories.invoice(w.session, location)


def _revoke(permission):
    def change(w: World):
        set_permission(w.session, w.office, permission, False)

    return change


def _set(target, **values):
    def change(w: World):
        for key, value in values.items():
            setattr(getattr(w, target), key, value)

    return change


TEXT_RULES = [
    ("another business's invoice", _other_business_invoice, NOT_YOURS),
    ("no SMS permission", _revoke(Permission.SEND_INVOICE_SMS), sending.NEEDS_SMS_PERMISSION),
    ("account not enabled", _set("business", sms_links_available=False), sms_readiness.ACCOUNT_NOT_ENABLED),
    ("no sending number", _set("business", default_sending_number=None), sms_readiness.NO_SENDING_NUMBER),
    ("registration pending", _set("business", sms_registration_status="pending"), sms_readiness.REGISTRATION_PENDING),
    ("SMS links off", _set("settings", sms_links_enabled=False), sending.SMS_LINKS_OFF),
    ("office option off", _set("settings", office_sms_enabled=False), sending.OFFICE_SMS_OFF),
    ("membership invoice", _set("invoice", kind="membership"), sending.TEXT_KIND_UNAVAILABLE),
    ("statement invoice", _set("invoice", kind="statement"), sending.TEXT_KIND_UNAVAILABLE),
    ("draft", _set("invoice", status="draft"), sending.DRAFT),
    ("paid", _set("invoice", status="paid", amount_paid_cents=24_500), sending.PAID),
    ("void", _set("invoice", status="void"), sending.VOID),
    ("no balance", _set("invoice", amount_paid_cents=24_500), sending.NO_BALANCE),
    ("no payment method", _set("settings", card_enabled=False, ach_enabled=False), sending.NO_PAYMENT_METHOD),
]


@pytest.mark.parametrize("change, message", [case[1:] for case in TEXT_RULES], ids=[c[0] for c in TEXT_RULES])
def test_each_text_rule_blocks_the_button_and_the_send_with_its_message(world, change, message):
    assert sending.text_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) is None
    change(world)
    world.session.flush()
    assert sending.text_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) == message
    with pytest.raises(DomainError, match=_exact(message)):
        world.text()
    assert world.messages() == []
    assert world.session.exec(select(PaymentLink)).all() == []


def _exact(message: str) -> str:
    import re

    return "^" + re.escape(message) + "$"


def test_membership_message_is_the_one_people_know():
    assert sending.TEXT_KIND_UNAVAILABLE.startswith(
        "SMS payment links for membership payments or statement payments are not available"
    )


def test_rules_are_checked_in_order(world):
    world.invoice.kind = "membership"
    world.invoice.status = "void"
    world.settings.office_sms_enabled = False
    world.business.sms_registration_status = "pending"
    assert sending.text_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) == (
        sms_readiness.REGISTRATION_PENDING
    )
    world.business.sms_registration_status = "approved"
    assert sending.text_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) == sending.OFFICE_SMS_OFF
    world.settings.office_sms_enabled = True
    assert sending.text_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) == (
        sending.TEXT_KIND_UNAVAILABLE
    )


@pytest.mark.parametrize(
    "settings, message",
    [
        (dict(mobile_sms_enabled=False), sending.MOBILE_SMS_OFF),
        (dict(mobile_email_enabled=False), sending.MOBILE_SMS_OFF),
        (dict(office_sms_enabled=False), None),  # the office option does not govern Mobile
        (dict(sms_links_enabled=False), sending.SMS_LINKS_OFF),
    ],
)
def test_mobile_texts_follow_the_mobile_settings(world, settings, message):
    for key, value in settings.items():
        setattr(world.settings, key, value)
    assert sending.text_blocker(world.session, world.tech, world.invoice.id, Via.MOBILE) == message


@pytest.mark.parametrize(
    "change, text, email",
    [
        (_set("settings", mobile_sms_enabled=False), sending.MOBILE_SMS_OFF, None),
        (_set("settings", mobile_email_enabled=False), sending.MOBILE_SMS_OFF, sending.MOBILE_EMAIL_OFF),
        (_set("settings", sms_links_enabled=False), sending.SMS_LINKS_OFF, sending.MOBILE_EMAIL_OFF),
        (_set("business", sms_links_available=False), sms_readiness.ACCOUNT_NOT_ENABLED, None),
        (_set("invoice", status="paid", amount_paid_cents=24_500), None, None),  # the invoice's, not the door's
    ],
)
def test_what_mobile_offers_at_all_is_told_apart_from_what_this_invoice_allows(world, change, text, email):
    assert sending.text_unavailable(world.session, world.tech, Via.MOBILE) is None
    change(world)
    world.session.flush()
    assert sending.text_unavailable(world.session, world.tech, Via.MOBILE) == text
    assert sending.email_unavailable(world.session, world.tech, Via.MOBILE) == email
    # Whatever is not offered also blocks the action on the invoice, with the same message.
    if text:
        assert sending.text_blocker(world.session, world.tech, world.invoice.id, Via.MOBILE) == text


def test_a_technician_without_the_sms_permission_is_not_offered_texting(world):
    set_permission(world.session, world.tech, Permission.SEND_INVOICE_SMS, False)
    assert sending.text_unavailable(world.session, world.tech, Via.MOBILE) == sending.NEEDS_SMS_PERMISSION
    assert sending.email_unavailable(world.session, world.tech, Via.MOBILE) is None


def test_office_texts_ignore_the_mobile_settings(world):
    world.settings.mobile_sms_enabled = world.settings.mobile_email_enabled = False
    assert sending.text_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) is None


def test_technician_texts_only_their_own_jobs_invoices(world):
    result = world.text(employee=world.tech, via=Via.MOBILE)
    assert result.to_address == "+15125550104"
    other_tech = factories.employee(world.session, world.business, role="Technician")
    world.invoice.job_id = factories.job(world.session, world.location, other_tech).id
    world.session.flush()
    assert sending.text_blocker(world.session, world.tech, world.invoice.id, Via.MOBILE) == NOT_YOURS
    with pytest.raises(DomainError, match=NOT_YOURS):
        world.text(employee=world.tech, via=Via.MOBILE, key="key-2")
    with pytest.raises(DomainError, match=NOT_YOURS):
        sending.recipient_options(world.session, world.tech, world.invoice.id)


def test_each_sender_uses_their_own_door(world):
    # A technician calling the office's handler would dodge the Mobile settings; and vice versa.
    world.settings.mobile_sms_enabled = False
    assert sending.text_blocker(world.session, world.tech, world.invoice.id, Via.OFFICE) == (
        'Sending from the office needs the "View invoices" permission.'
    )
    assert sending.email_blocker(world.session, world.office, world.invoice.id, Via.MOBILE) == (
        'Sending from Mobile needs the "View assigned jobs" permission.'
    )
    with pytest.raises(DomainError, match="needs the"):
        world.text(employee=world.tech, via=Via.OFFICE)


def test_bookkeeper_may_email_but_not_text(world):
    bookkeeper = factories.employee(world.session, world.business, role="Bookkeeper")
    assert sending.text_blocker(world.session, bookkeeper, world.invoice.id, Via.OFFICE) == sending.NEEDS_SMS_PERMISSION
    assert sending.email_blocker(world.session, bookkeeper, world.invoice.id, Via.OFFICE) is None


# ---------------------------------------------------------------- recipient rules


class FakeLineTypes:
    def __init__(self, types: dict[str, str]):
        self.types = types
        self.asked: list[str] = []

    def line_type(self, e164: str) -> str | None:
        self.asked.append(e164)
        return self.types.get(e164)


def _new(number, **kwargs):
    return Recipient(new_number=NewNumber(number=number, **kwargs))


@pytest.mark.parametrize(
    "recipient, message",
    [
        (Recipient(), sending.CHOOSE_A_NUMBER),
        (_new(""), "Enter a phone number."),
        (_new("555-12"), '"555-12" is not a valid phone number.'),
        (_new("call me"), '"call me" is not a phone number.'),
        (_new("+44 20 7946 0958"), "Only US and Canadian numbers can receive invoice texts."),
        (_new("512-555-0188", type="Home"), "Only Mobile numbers can receive texts: (512) 555-0188 is a Home number."),
        (_new("512-555-0188", type="Pager"), "Choose the number's type: Mobile, Home, Work or Other."),
        (
            _new("(512) 555-0105"),
            "(512) 555-0105 is on the record as a Home number. Only Mobile numbers can receive texts.",
        ),
    ],
)
def test_typed_numbers_must_be_valid_us_or_canadian_mobiles(world, recipient, message):
    with pytest.raises(DomainError, match=_exact(message)):
        world.text(recipient)
    assert world.messages() == []


def test_a_home_number_on_record_cannot_be_texted(world):
    with pytest.raises(DomainError, match=_exact(f"{sending.ONLY_MOBILE}: (512) 555-0105 is a Home number.")):
        world.text(Recipient(phone_number_id=world.home.id))


def test_a_number_of_another_customer_is_refused(world):
    stranger = factories.phone(
        world.session, "512-555-0150", customer=factories.customer(world.session, world.business)
    )
    with pytest.raises(DomainError, match=_exact(sending.NOT_ON_RECORD)):
        world.text(Recipient(phone_number_id=stranger.id))
    with pytest.raises(DomainError, match=_exact(sending.NOT_ON_RECORD)):
        world.text(Recipient(phone_number_id=999_999))


def test_an_opted_out_number_says_since_when(world):
    consent.opt_out(
        world.session,
        world.business.id,
        "+15125550104",
        'reply "STOP"',
        at=datetime(2026, 11, 12, 18, 0, tzinfo=UTC),
    )
    with pytest.raises(DomainError, match=r"^\(512\) 555-0104 replied STOP on Nov 12, 2026 and has opted out"):
        world.text()
    consent.opt_in(world.session, world.business.id, "+15125550104", 'reply "START"')
    assert world.text().to_address == "+15125550104"


def test_a_carrier_lookup_rejects_landlines_typed_as_mobile(world):
    lookup = FakeLineTypes({"+15125550188": "landline", "+15125550189": "mobile"})
    with pytest.raises(DomainError, match=r"^The carrier says \(512\) 555-0188 is a landline number"):
        world.text(_new("512 555 0188", save_to_customer=True), line_types=lookup)
    assert world.messages() == []
    assert world.session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550188")).all() == []
    assert world.text(_new("512 555 0189"), line_types=lookup, key="key-2").to_address == "+15125550189"
    assert lookup.asked == ["+15125550188", "+15125550189"]


def test_a_lookup_outage_is_a_clear_message_and_sends_nothing(world):
    class Down:
        def line_type(self, e164):
            raise TransientFailure("Twilio answered 503")

    with pytest.raises(DomainError, match=r"^The carrier lookup for \(512\) 555-0104 did not answer"):
        world.text(line_types=Down())
    assert world.messages() == []


def test_unknown_line_type_does_not_block(world):
    assert world.text(line_types=FakeLineTypes({})).to_address == "+15125550104"


def test_daily_limit_per_invoice_and_recipient_says_when_the_next_text_can_go(world):
    world.settings.sms_per_recipient_daily_limit = 3
    for n in range(3):
        world.text(key=f"k{n}")
        world.deliver_all()
    with pytest.raises(DomainError) as refused:
        world.text(key="k4")
    assert refused.value.message.startswith(
        "(512) 555-0104 already got 3 texts for invoice #10012 in the last 24 hours. The next one can go at "
    )
    first = world.messages()[0].created_at
    assert display_moment(first + timedelta(hours=24), world.business.time_zone) in refused.value.message
    # Another number of the same customer is not limited; nor is this one a day later.
    assert world.text(Recipient(phone_number_id=world.tenant.id), key="k5").to_address == "+15125550107"
    later = utcnow() + timedelta(hours=24, minutes=1)
    assert world.text(key="k6", now=later).to_address == "+15125550104"


def display_moment(moment, zone):
    from smslinks.core import display

    return display.moment(moment, zone)


def test_pay_by_must_be_accepted(world):
    world.settings.ach_enabled = False
    with pytest.raises(DomainError, match=_exact(sending.ACH_OFF)):
        world.text(pay_by=PayBy.ACH)
    with pytest.raises(DomainError, match="Choose Credit Card or ACH."):
        world.text(pay_by="bitcoin")
    assert sending.pay_by_choices(world.session, world.office) == [PayBy.CARD]


# ---------------------------------------------------------------- the send itself


def test_a_send_mints_a_link_renders_the_exact_text_and_queues_it(world):
    token = sending.new_link_token()
    preview = sending.preview_text(world.session, world.office, world.invoice.id, PayBy.ACH, token, Via.OFFICE)
    before = world.invoice.updated_at
    result = world.text(pay_by=PayBy.ACH, token=token)
    message = world.messages()[0]
    link = world.session.get(PaymentLink, message.payment_link_id)
    assert message.body == preview.body
    assert message.body == sms_text.invoice_text(
        "Test Plumbing", "10012", 24_500, links.url(world.business, token, PayBy.ACH), PayBy.ACH
    )
    assert f"/pay/{token}?m=ach" in message.body and link.token_hash == tokens.token_hash(token)
    assert (message.status, message.to_address, message.channel) == ("queued", "+15125550104", "sms")
    assert message.phone_number_id == world.mobile.id and message.sent_by_employee_id == world.office.id
    assert message.from_address == world.business.default_sending_number
    assert result.confirmation == "Text queued to (512) 555-0104"
    assert result.scheduled_for is None and not result.repeated
    assert preview.send_note == "" and "SMS segment" in preview.segments
    actions = [row.action for row in world.session.exec(select(AuditEvent)).all()]
    assert "sms.queued" in actions and "payment_link.sent" in actions
    assert world.invoice.updated_at > before


def test_the_same_key_sends_once(world):
    first = world.text(key="double-click")
    again = world.text(key="double-click")
    assert len(world.messages()) == 1
    assert again.message_id == first.message_id and again.repeated and not first.repeated
    assert len(world.session.exec(select(PaymentLink)).all()) == 1
    world.deliver_all()
    world.text(key="next-dialog")
    assert len(world.messages()) == 2


def test_a_repeated_key_answers_even_once_the_limit_is_reached(world):
    world.settings.sms_per_recipient_daily_limit = 1
    first = world.text(key="only")
    assert world.text(key="only").message_id == first.message_id


def test_a_key_used_for_another_invoice_is_refused(world):
    world.text(key="shared")
    world.invoice = factories.invoice(world.session, world.location, job=None)
    with pytest.raises(DomainError, match=_exact(sending.KEY_REUSED)):
        world.text(key="shared")


def test_a_new_number_is_saved_to_both_records_with_consent(world):
    result = world.text(_new("(512) 555-0177", label="Maria's daughter", save_to_customer=True, save_to_location=True))
    saved = world.session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550177")).all()
    assert {(p.customer_id, p.location_id) for p in saved} == {
        (world.invoice.customer_id, None),
        (None, world.location.id),
    }
    for phone in saved:
        assert phone.type == "Mobile" and phone.label == "Maria's daughter"
        assert phone.reversed_digits == "77105552151"
        assert phone.consent_by_employee_id == world.office.id and phone.consent_at is not None
        assert phone.consent_method == "Given to Olivia Office to text invoice #10012 from the office"
    message = world.session.get(OutboundMessage, result.message_id)
    assert message.phone_number_id in {p.id for p in saved}
    added = world.session.exec(select(AuditEvent).where(AuditEvent.action == "phone.added")).all()
    assert len(added) == 2 and json.loads(added[0].detail)["e164"] == "+15125550177"


def test_a_new_number_not_saved_is_texted_without_touching_the_records(world):
    count = len(world.session.exec(select(PhoneNumber)).all())
    result = world.text(_new("512.555.0178"))
    assert result.to_display == "(512) 555-0178"
    assert len(world.session.exec(select(PhoneNumber)).all()) == count


@pytest.mark.parametrize(
    "new, message",
    [
        (
            dict(number="512-555-0104", save_to_customer=True),
            "(512) 555-0104 is already on the customer's record. Choose it from the list.",
        ),
        (
            dict(number="+1 512 555 0107", save_to_location=True),
            "(512) 555-0107 is already on the service location's record. Choose it from the list.",
        ),
    ],
)
def test_a_number_already_on_the_record_is_a_clear_message_not_a_duplicate(world, new, message):
    with pytest.raises(DomainError, match=_exact(message)):
        world.text(Recipient(new_number=NewNumber(**new)))
    assert world.messages() == []
    assert len(world.session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550104")).all()) == 1


def test_a_mobile_on_one_record_may_be_saved_to_the_other(world):
    world.text(_new("512-555-0104", save_to_location=True))
    on_location = world.session.exec(
        select(PhoneNumber).where(PhoneNumber.location_id == world.location.id, PhoneNumber.e164 == "+15125550104")
    ).one()
    assert on_location.consent_by_employee_id == world.office.id


def test_technician_consent_says_it_was_taken_in_the_field(world):
    world.text(_new("512-555-0179", save_to_customer=True), employee=world.tech, via=Via.MOBILE)
    phone = world.session.exec(select(PhoneNumber).where(PhoneNumber.e164 == "+15125550179")).one()
    assert phone.consent_method == "Given to Terry Tech to text invoice #10012 in the field (Mobile)"


# ---------------------------------------------------------------- quiet hours


def test_the_quiet_hours_note_names_the_zone_in_words(world):
    world.location.time_zone = "America/Los_Angeles"
    world.session.flush()
    late = datetime(2026, 11, 25, 7, 0, tzinfo=UTC)  # 11 PM the evening before in Los Angeles
    preview = sending.preview_text(
        world.session, world.office, world.invoice.id, PayBy.CARD, sending.new_link_token(), Via.OFFICE, now=late
    )
    assert preview.send_note == (
        "It is 11:00 PM at the service location (Pacific Time). Texts go out between 8 AM and 9 PM there, "
        "so this one will go at 8:00 AM PST tomorrow."
    )


def test_a_text_outside_quiet_hours_is_scheduled_for_8am_there_and_says_so(world):
    world.location.time_zone = factories.zone_where_local_hour_is(23)
    world.session.flush()
    token = sending.new_link_token()
    preview = sending.preview_text(world.session, world.office, world.invoice.id, PayBy.CARD, token, Via.OFFICE)
    assert "Texts go out between 8 AM and 9 PM there, so this one will go at 8:00 AM" in preview.send_note
    result = world.text(token=token)
    message = world.messages()[0]
    local = message.send_after.astimezone(ZoneInfo(world.location.time_zone))
    assert message.status == "scheduled" and (local.hour, local.minute) == (8, 0)
    assert timedelta(hours=8) < message.send_after - utcnow() < timedelta(hours=10)
    assert result.scheduled_for == message.send_after
    assert result.confirmation.startswith("Scheduled for 8:00 AM ") and result.confirmation.endswith(
        " tomorrow because of quiet hours"
    )


def _utc(*args):
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    "now, zone, expected",
    [
        # Inside 8 AM - 9 PM: goes now.
        (_utc(2026, 11, 24, 14, 0), "America/Chicago", None),  # 8:00 AM CST
        (_utc(2026, 11, 25, 2, 59), "America/Chicago", None),  # 8:59 PM CST
        # Evening: tomorrow 8 AM; early morning: today 8 AM.
        (_utc(2026, 11, 25, 3, 0), "America/Chicago", _utc(2026, 11, 25, 14, 0)),  # 9:00 PM CST
        (_utc(2026, 11, 24, 13, 59), "America/Chicago", _utc(2026, 11, 24, 14, 0)),  # 7:59 AM CST
        # Spring forward (Mar 8, 2026): 1:30 AM CST, and 8 AM is already CDT (UTC-5).
        (_utc(2026, 3, 8, 7, 30), "America/Chicago", _utc(2026, 3, 8, 13, 0)),
        # The evening before spring forward: 10 PM CST -> 8 AM CDT, 9 hours later, not 10.
        (_utc(2026, 3, 8, 4, 0), "America/Chicago", _utc(2026, 3, 8, 13, 0)),
        # Fall back (Nov 1, 2026): 10 PM CDT on Oct 31 -> 8 AM CST (UTC-6), 11 hours later.
        (_utc(2026, 11, 1, 3, 0), "America/Chicago", _utc(2026, 11, 1, 14, 0)),
        # 1:30 AM happens twice on Nov 1; either way 8 AM CST.
        (_utc(2026, 11, 1, 6, 30), "America/Chicago", _utc(2026, 11, 1, 14, 0)),
        (_utc(2026, 11, 1, 7, 30), "America/Chicago", _utc(2026, 11, 1, 14, 0)),
        # One instant, two coasts: 7 PM in Los Angeles is fine, 10 PM in New York waits.
        (_utc(2026, 11, 25, 3, 0), "America/Los_Angeles", None),
        (_utc(2026, 11, 25, 3, 0), "America/New_York", _utc(2026, 11, 25, 13, 0)),
        # 6 AM in Los Angeles waits until 8 AM there (16:00 UTC); 9 AM in New York goes.
        (_utc(2026, 11, 24, 14, 0), "America/Los_Angeles", _utc(2026, 11, 24, 16, 0)),
        (_utc(2026, 11, 24, 14, 0), "America/New_York", None),
    ],
)
def test_quiet_hours_across_time_zones_and_dst(now, zone, expected):
    assert sending.quiet_hours_send_after(now, zone) == expected


def test_send_time_reads_naturally():
    now = _utc(2026, 11, 25, 4, 0)  # 10 PM CST on Nov 24
    assert sending.describe_send_time(_utc(2026, 11, 25, 14, 0), now, "America/Chicago") == "8:00 AM CST tomorrow"
    early = _utc(2026, 11, 25, 8, 0)  # 2 AM CST
    assert sending.describe_send_time(_utc(2026, 11, 25, 14, 0), early, "America/Chicago") == "8:00 AM CST"
    assert sending.describe_send_time(_utc(2026, 11, 27, 14, 0), now, "America/Chicago") == (
        "8:00 AM CST on Nov 27, 2026"
    )


# ---------------------------------------------------------------- the picker


def test_recipient_options_say_which_numbers_can_be_texted_and_why_not(world):
    consent.opt_out(
        world.session,
        world.business.id,
        "+15125550107",
        'reply "STOP"',
        at=datetime(2026, 11, 12, 18, 0, tzinfo=UTC),
    )
    options = sending.recipient_options(world.session, world.office, world.invoice.id)
    assert [(o.number, o.owner, o.choosable, o.reason) for o in options] == [
        ("(512) 555-0104", "Customer", True, ""),
        ("(512) 555-0105", "Customer", False, "Only Mobile numbers can receive texts"),
        ("(512) 555-0107", "Service location", False, "Opted out of texts on Nov 12, 2026"),
    ]


def test_recipient_options_show_a_number_at_its_daily_limit(world):
    world.settings.sms_per_recipient_daily_limit = 1
    world.text()
    mobile = sending.recipient_options(world.session, world.office, world.invoice.id)[0]
    assert not mobile.choosable and mobile.reason.startswith("Texted 1 times in 24 hours; next text possible at")


# ---------------------------------------------------------------- email


def test_email_enqueues_the_link_with_subject_and_body(world):
    token = sending.new_link_token()
    preview = sending.preview_email(world.session, world.office, world.invoice.id, PayBy.CARD, token, Via.OFFICE)
    result = sending.send_invoice_email(
        world.session,
        world.office,
        world.invoice.id,
        " maria@example.net ",
        PayBy.CARD,
        Via.OFFICE,
        "e-1",
        token=token,
    )
    message = world.messages()[0]
    assert (message.channel, message.to_address, message.status) == ("email", "maria@example.net", "queued")
    assert message.subject == preview.subject == "Invoice #10012 from Test Plumbing: $245.00 due"
    assert message.body == preview.body and f"/pay/{token}" in message.body
    assert "Hello Maria Garcia," in message.body
    assert result.confirmation == "Email queued to maria@example.net"
    again = sending.send_invoice_email(
        world.session, world.office, world.invoice.id, "maria@example.net", PayBy.CARD, Via.OFFICE, "e-1"
    )
    assert again.repeated and len(world.messages()) == 1


@pytest.mark.parametrize(
    "settings, via, message",
    [
        (dict(office_email_enabled=False), Via.OFFICE, sending.OFFICE_EMAIL_OFF),
        (dict(mobile_email_enabled=False), Via.MOBILE, sending.MOBILE_EMAIL_OFF),
        (dict(sms_links_enabled=False), Via.MOBILE, sending.MOBILE_EMAIL_OFF),
        (dict(sms_links_enabled=False, office_sms_enabled=False), Via.OFFICE, None),
    ],
)
def test_email_follows_the_email_settings(world, settings, via, message):
    for key, value in settings.items():
        setattr(world.settings, key, value)
    employee = world.tech if via is Via.MOBILE else world.office
    assert sending.email_blocker(world.session, employee, world.invoice.id, via) == message


@pytest.mark.parametrize(
    "change, message",
    [
        (_revoke(Permission.SEND_INVOICE_EMAIL), sending.NEEDS_EMAIL_PERMISSION),
        (_set("invoice", kind="statement"), sending.EMAIL_KIND_UNAVAILABLE),
        (_set("invoice", status="paid"), sending.PAID),
    ],
)
def test_email_rules(world, change, message):
    change(world)
    world.session.flush()
    assert sending.email_blocker(world.session, world.office, world.invoice.id, Via.OFFICE) == message
    with pytest.raises(DomainError, match=_exact(message)):
        sending.send_invoice_email(world.session, world.office, world.invoice.id, "a@b.co", "card", Via.OFFICE, "e")


@pytest.mark.parametrize(
    "address, message", [("", "Enter an email address."), ("maria@", '"maria@" is not an email address.')]
)
def test_email_address_must_be_one(world, address, message):
    with pytest.raises(DomainError, match=_exact(message)):
        sending.send_invoice_email(world.session, world.office, world.invoice.id, address, "card", Via.OFFICE, "e")
    assert world.messages() == []


def test_email_options_are_the_customers_addresses(world):
    from smslinks.models import EmailAddress

    world.session.add(EmailAddress(customer_id=world.invoice.customer_id, email="maria@example.net"))
    world.session.flush()
    options = sending.email_options(world.session, world.office, world.invoice.id)
    assert [(o.address, o.label) for o in options] == [("maria@example.net", "Primary")]
