from sqlmodel import select

from smslinks.core import consent
from smslinks.models import AuditEvent
from tests import factories


def test_opt_out_and_back_in_are_idempotent_and_audited(session):
    business = factories.business(session)
    assert consent.opted_out_at(session, business.id, "+15125550134") is None
    assert consent.opt_out(session, business.id, "+15125550134", 'reply "STOP"') is True
    assert consent.opt_out(session, business.id, "+15125550134", 'reply "STOP"') is False
    assert consent.opted_out_at(session, business.id, "+15125550134") is not None
    assert set(consent.opted_out_numbers(session, business.id, ["+15125550134", "+15125550135"])) == {"+15125550134"}
    assert consent.opt_in(session, business.id, "+15125550134", 'reply "START"') is True
    assert consent.opt_in(session, business.id, "+15125550134", 'reply "START"') is False
    assert consent.opted_out_at(session, business.id, "+15125550134") is None
    actions = session.exec(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["sms.opted_out", "sms.opted_in"]


def test_opt_out_is_per_business(session):
    one = factories.business(session)
    other = factories.business(session, name="Other")
    consent.opt_out(session, one.id, "+15125550134", "STOP")
    assert consent.opted_out_at(session, other.id, "+15125550134") is None
