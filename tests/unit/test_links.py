from datetime import timedelta

from sqlmodel import select

from smslinks.core import links, tokens
from smslinks.core.links import LinkState
from smslinks.core.sms_text import PayBy
from smslinks.models import PaymentLink, utcnow
from tests import factories
from tests.statements import recorded


def _invoice(session, **kwargs):
    business = factories.business(session)
    location = factories.location(session, factories.customer(session, business))
    return business, factories.invoice(session, location, **kwargs)


def test_minted_token_has_128_bits_and_only_its_hash_is_stored(session):
    _business, invoice = _invoice(session)
    link, token = links.mint(session, invoice)
    assert len(token) >= 22  # 16 random bytes, url-safe base64
    stored = session.exec(select(PaymentLink)).one()
    assert stored.token_hash == tokens.token_hash(token) and token not in stored.token_hash
    assert links.lookup(session, token) == links.LinkLookup(LinkState.USABLE, invoice.id, link.id)


def test_a_lookup_reads_the_link_and_its_invoice_in_one_query(session):
    _business, invoice = _invoice(session)
    link, token = links.mint(session, invoice)
    session.commit()
    session.expunge_all()  # nothing in the session's memory: as a page visit's fresh session
    with recorded(session) as statements:
        found = links.lookup(session, token)
        assert (found.link.id, found.invoice.id, found.invoice.number) == (link.id, invoice.id, invoice.number)
    assert len(statements) == 1 and "FROM payment_link LEFT OUTER JOIN invoice" in statements[0]


def test_unknown_and_expired_tokens_look_the_same(session):
    _business, invoice = _invoice(session)
    _link, token = links.mint(session, invoice, now=utcnow() - timedelta(days=31))
    assert links.lookup(session, token) == links.lookup(session, "no-such-token")
    assert links.lookup(session, "no-such-token").state is LinkState.EXPIRED
    assert links.lookup(session, "x" * 500).state is LinkState.EXPIRED


def test_revoked_and_void(session):
    _business, invoice = _invoice(session)
    _link, token = links.mint(session, invoice)
    assert links.revoke_all(session, invoice) == 1
    assert links.lookup(session, token).state is LinkState.REVOKED
    invoice.status = "void"
    session.add(invoice)
    assert links.lookup(session, token).state is LinkState.VOID


def test_url_uses_the_business_host_and_opens_the_ach_tab(session):
    business, invoice = _invoice(session)
    assert links.url(business, "TOKEN").endswith("/pay/TOKEN")
    business.host = "pay.lonestarair.com"
    assert links.url(business, "TOKEN", PayBy.ACH) == "https://pay.lonestarair.com/pay/TOKEN?m=ach"
