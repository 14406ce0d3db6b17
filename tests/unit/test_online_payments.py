import json

import pytest
from sqlmodel import select

from smslinks.core import accounts, online_payments, sms_readiness
from smslinks.core.errors import DomainError, NotAllowed
from smslinks.core.permissions import Permission, set_permission
from smslinks.core.sms_text import PayBy
from smslinks.models import AuditEvent
from tests import factories


@pytest.fixture
def business(session):
    return factories.business(session, name="Lone Star Heating & Air", host="pay.lonestar.example")


@pytest.fixture
def admin(session, business):
    return factories.employee(session, business, "Administrator", name="Avery Admin")


def _settings(session, business):
    return accounts.payment_settings(session, business.id)


def _audit_rows(session):
    return [
        json.loads(row.detail) | {"actor": row.actor, "action": row.action}
        for row in session.exec(select(AuditEvent).where(AuditEvent.action == "settings.online_payments"))
    ]


def test_save_writes_one_audit_row_per_changed_setting(session, business, admin):
    changed = online_payments.save(
        session,
        admin,
        {
            "sms_links_enabled": True,
            "office_sms_enabled": True,
            "card_enabled": True,
            "sms_per_recipient_daily_limit": "5",
        },
    )
    assert changed == ["sms_links_enabled", "office_sms_enabled", "sms_per_recipient_daily_limit"]
    settings = _settings(session, business)
    assert (settings.sms_links_enabled, settings.office_sms_enabled, settings.sms_per_recipient_daily_limit) == (
        True,
        True,
        5,
    )
    rows = _audit_rows(session)
    assert [(r["setting"], r["before"], r["after"], r["actor"]) for r in rows] == [
        ("sms_links_enabled", False, True, "Avery Admin"),
        ("office_sms_enabled", False, True, "Avery Admin"),
        ("sms_per_recipient_daily_limit", 3, 5, "Avery Admin"),
    ]
    assert rows[0]["label"] == "SMS invoice links"


def test_saving_the_same_values_changes_nothing(session, business, admin):
    assert online_payments.save(session, admin, {"card_enabled": True, "link_valid_days": "30"}) == []
    assert _audit_rows(session) == []


def test_turning_sms_links_off_turns_its_options_off(session, business, admin):
    online_payments.save(
        session,
        admin,
        {
            "sms_links_enabled": True,
            "office_sms_enabled": True,
            "mobile_email_enabled": True,
            "mobile_sms_enabled": True,
        },
    )
    changed = online_payments.save(session, admin, {"sms_links_enabled": False})
    assert changed == ["sms_links_enabled", "office_sms_enabled", "mobile_email_enabled", "mobile_sms_enabled"]
    settings = _settings(session, business)
    assert not (settings.office_sms_enabled or settings.mobile_email_enabled or settings.mobile_sms_enabled)


def test_options_under_sms_links_stay_off_while_it_is_off(session, business, admin):
    assert online_payments.save(session, admin, {"office_sms_enabled": True}) == []
    assert not _settings(session, business).office_sms_enabled


def test_mobile_sms_needs_mobile_email_on_save(session, business, admin):
    with pytest.raises(DomainError, match="only be on while email invoice links in Mobile are on"):
        online_payments.save(session, admin, {"sms_links_enabled": True, "mobile_sms_enabled": True})
    assert not _settings(session, business).mobile_sms_enabled


@pytest.mark.parametrize(
    "name, value",
    [
        ("sms_per_recipient_daily_limit", "0"),
        ("sms_per_recipient_daily_limit", "11"),
        ("sms_per_recipient_daily_limit", "2.5"),
        ("sms_per_recipient_daily_limit", ""),
        ("sms_per_recipient_daily_limit", True),
        ("link_valid_days", "0"),
        ("link_valid_days", 91),
        ("link_valid_days", "-1"),
        ("link_valid_days", "٣"),
    ],
)
def test_numbers_out_of_range_are_refused_with_the_rule(session, business, admin, name, value):
    with pytest.raises(DomainError, match="from 1 to"):
        online_payments.save(session, admin, {name: value})
    assert _audit_rows(session) == []


@pytest.mark.parametrize(
    "name, value", [("link_valid_days", "1"), ("link_valid_days", 90), ("sms_per_recipient_daily_limit", " 10 ")]
)
def test_numbers_at_the_ends_of_the_range_are_accepted(session, business, admin, name, value):
    online_payments.save(session, admin, {name: value})
    assert getattr(_settings(session, business), name) == int(str(value))


def test_switches_must_be_booleans_and_names_known(session, business, admin):
    with pytest.raises(DomainError, match="either on or off"):
        online_payments.save(session, admin, {"card_enabled": "yes"})
    with pytest.raises(DomainError, match="no setting called 'business_id'"):
        online_payments.save(session, admin, {"business_id": 99})


def test_at_least_one_payment_method_stays_accepted(session, business, admin):
    online_payments.save(session, admin, {"ach_enabled": False})
    with pytest.raises(DomainError, match="at least one payment method"):
        online_payments.save(session, admin, {"card_enabled": False})


def test_sms_options_cannot_be_turned_on_until_support_enables_the_account(session, admin, business):
    business.sms_links_available = False
    with pytest.raises(DomainError, match=sms_readiness.ACCOUNT_NOT_ENABLED):
        online_payments.save(session, admin, {"sms_links_enabled": True})
    # Other settings still save, and SMS options may be turned off.
    assert online_payments.save(session, admin, {"partial_payments_enabled": True}) == ["partial_payments_enabled"]


def test_office_email_links_switch_on_and_off_whatever_the_sms_state(session, admin, business):
    business.sms_links_available = False  # email needs no SMS registration
    assert online_payments.save(session, admin, {"office_email_enabled": False}) == ["office_email_enabled"]
    assert not _settings(session, business).office_email_enabled
    assert online_payments.switch({"office_email_enabled": False}, "office_email_enabled", True, business) == {
        "office_email_enabled": True
    }
    assert online_payments.save(session, admin, {"office_email_enabled": True}) == ["office_email_enabled"]


def test_people_without_the_permission_cannot_see_or_save(session, business):
    office = factories.employee(session, business, "Office employee")
    with pytest.raises(NotAllowed, match="Manage online payment settings"):
        online_payments.save(session, office, {"sms_links_enabled": True})
    with pytest.raises(NotAllowed):
        online_payments.view(session, office)
    assert not _settings(session, business).sms_links_enabled
    set_permission(session, office, Permission.MANAGE_ONLINE_PAYMENTS, True)
    assert online_payments.save(session, office, {"sms_links_enabled": True}) == ["sms_links_enabled"]


def test_an_admin_saves_only_their_own_business(session, business, admin):
    other = factories.business(session, name="Other Co")
    online_payments.save(session, admin, {"sms_links_enabled": True})
    assert not _settings(session, other).sms_links_enabled


def test_switch_cascades_like_the_save_rules(business):
    values = {
        "sms_links_enabled": True,
        "office_sms_enabled": True,
        "mobile_email_enabled": True,
        "mobile_sms_enabled": True,
        "card_enabled": True,
    }
    off = online_payments.switch(values, "mobile_email_enabled", False, business)
    assert off["mobile_sms_enabled"] is False and off["office_sms_enabled"] is True
    with pytest.raises(DomainError, match="only be on while email"):
        online_payments.switch(off, "mobile_sms_enabled", True, business)
    all_off = online_payments.switch(values, "sms_links_enabled", False, business)
    assert not any(all_off[name] for name in online_payments.SMS_SWITCHES)
    with pytest.raises(DomainError, match="Turn on SMS invoice links first"):
        online_payments.switch(all_off, "office_sms_enabled", True, business)
    with pytest.raises(DomainError, match="no setting"):
        online_payments.switch(values, "sms_per_recipient_daily_limit", True, business)
    with pytest.raises(DomainError, match="either on or off"):
        online_payments.switch(values, "card_enabled", "false", business)


def test_switch_refuses_sms_options_until_the_account_is_enabled(business):
    business.sms_links_available = False
    with pytest.raises(DomainError, match=sms_readiness.ACCOUNT_NOT_ENABLED):
        online_payments.switch({"sms_links_enabled": False}, "sms_links_enabled", True, business)
    assert online_payments.switch({"card_enabled": False}, "card_enabled", True, business)["card_enabled"]


@pytest.mark.parametrize(
    "pay_by, wording, query",
    [(PayBy.CARD, "Pay securely by card", ""), (PayBy.ACH, "Pay from your bank account (ACH)", "?m=ach")],
)
def test_preview_is_the_real_text_on_the_business_host(business, pay_by, wording, query):
    preview = online_payments.preview(business, pay_by)
    link = f"https://pay.lonestar.example/pay/{online_payments.SAMPLE_TOKEN}{query}"
    assert preview.text == (
        f"Lone Star Heating & Air: invoice #10482 for $289.50 is ready. {wording}: {link} Reply STOP to opt out."
    )
    assert (preview.characters, preview.encoding) == (len(preview.text), "GSM-7")
    assert preview.segments == 2


def test_preview_of_a_unicode_business_name_counts_as_ucs2(session):
    business = factories.business(session, name="Café Łódź Plumbing")
    preview = online_payments.preview(business, PayBy.CARD)
    assert preview.encoding == "UCS-2"
    assert preview.segments == -(-len(preview.text) // 67)


def test_sample_token_looks_like_a_link_token_but_says_it_is_a_sample():
    assert len(online_payments.SAMPLE_TOKEN) == 22
    assert "SAMPLE" in online_payments.SAMPLE_TOKEN


def test_view_reports_prerequisites_and_what_blocks_sending(session, business, admin):
    page = online_payments.view(session, admin)
    assert page.account_enabled and page.sending_blocker is None
    assert [p.met for p in page.prerequisites] == [True, True, True]
    assert set(page.previews) == {PayBy.CARD, PayBy.ACH}
    assert page.values["link_valid_days"] == 30

    business.sms_registration_status = "pending"
    page = online_payments.view(session, admin)
    assert page.sending_blocker == sms_readiness.REGISTRATION_PENDING
    assert [p.met for p in page.prerequisites] == [True, True, False]

    business.sms_links_available = False
    page = online_payments.view(session, admin)
    assert not page.account_enabled
    # The account message is shown with the switches; the callout is for enabled accounts.
    assert page.sending_blocker is None
