"""The expired-link page's "Text me a new link" (core/fresh_link)."""

from datetime import timedelta

import pytest
from sqlmodel import select

from smslinks.core import consent, fresh_link, links
from smslinks.models import Invoice, OutboundMessage, PaymentLink, utcnow
from tests.unit.test_reminders import World


@pytest.fixture
def world(session) -> World:
    return World(session, enabled=False)


def _expired_token(world: World) -> str:
    """The invoice texted with a link (token known to the test) that has since expired."""
    token = links.new_link_token()
    world.text()
    message = world.session.exec(select(OutboundMessage)).first()
    link, token = links.mint(world.session, world.invoice, token=token)
    message.payment_link_id, link.expires_at = link.id, utcnow() - timedelta(minutes=1)
    world.session.commit()
    return token


def _ask(world: World, token: str, now=None) -> bool:
    asked = fresh_link.request_new_link(world.session, token, client="203.0.113.9", now=now)
    world.session.commit()
    return asked


def _new_links(world: World) -> list[OutboundMessage]:
    return [
        m
        for m in world.session.exec(select(OutboundMessage)).all()
        if (m.idempotency_key or "").startswith(fresh_link.KEY_PREFIX)
    ]


def test_a_new_link_is_texted_to_the_number_the_expired_one_went_to(world):
    token = _expired_token(world)
    assert _ask(world, token)
    [text] = _new_links(world)
    assert text.to_address == "+15125550108"
    assert "invoice #10031 for $332.07" in text.body
    new_link = world.session.get(PaymentLink, text.payment_link_id)
    assert new_link.expires_at > utcnow() + timedelta(days=29)


def test_at_most_once_an_hour_per_invoice(world):
    token = _expired_token(world)
    assert _ask(world, token)
    world.delivered()
    assert not _ask(world, token, now=utcnow() + timedelta(minutes=50))
    assert len(_new_links(world)) == 1


def test_never_to_an_opted_out_number(world):
    token = _expired_token(world)
    consent.opt_out(world.session, world.business.id, "+15125550108", 'reply "STOP"')
    assert not _ask(world, token)
    assert _new_links(world) == []


@pytest.mark.parametrize("status", ["paid", "void"])
def test_only_for_an_invoice_still_payable(world, status):
    token = _expired_token(world)
    invoice = world.session.get(Invoice, world.invoice.id)
    invoice.status = status
    world.session.commit()
    assert not _ask(world, token)
    assert _new_links(world) == []


def test_unknown_and_live_tokens_get_nothing(world):
    token = _expired_token(world)
    assert not _ask(world, token[::-1])
    live, live_token = links.mint(world.session, world.invoice)
    world.session.commit()
    assert live is not None
    assert not _ask(world, live_token)
    assert _new_links(world) == []
