"""Bad input never crashes a handler: whatever a person (or a script) types into an amount, a phone
number, a link, a reply, a name or a CSV file, core answers with a value or a DomainError that says
what is wrong; never another exception. Property-based (hypothesis), kept small and deterministic."""

import csv
import io
import unicodedata

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from smslinks.api.state_secrets import hash_link_tokens
from smslinks.core import (
    fresh_link,
    imports,
    inbound,
    links,
    money,
    pay_page,
    payments,
    phones,
    refunds,
    replies,
    sms_text,
    tips,
    tokens,
)
from smslinks.core.errors import DomainError
from smslinks.core.pay_page import Screen
from tests import factories

QUICK = settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
WITH_DB = settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as people and scripts send it: any characters, and the ones that upset parsers in particular.
awkward = st.one_of(
    st.text(max_size=60),
    st.text(alphabet="0123456789.,$-+eE ", max_size=30),
    st.sampled_from(["1e26", "1E+30", "NaN", "-Infinity", "9" * 400, "0x10", "1_000", "٣٤", "１２", "\x00", ""]),
)


@QUICK
@given(awkward)
@example("1e26")
def test_amounts_typed_anyhow(text):
    cents = money.cents(text)
    assert cents is None or (isinstance(cents, int) and abs(cents) < 10**15)
    for parse in (
        lambda: payments.parse_amount(text, 25_000, True),
        lambda: tips.tip_cents(tips.TipPolicy(True, (15, 18, 20)), 25_000, tips.TipChoice(tips.CUSTOM, text)),
        lambda: refunds.parse_refund_amount(text, 25_000),
    ):
        try:
            result = parse()
        except (DomainError, tips.TipRefused) as refused:  # a tip's refusal carries the code of its text
            assert str(refused)
        else:
            assert 0 <= result <= 25_000


@QUICK
@given(st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False))
def test_plain_amounts_read_as_their_cents(value):
    assert money.cents(f"${value:,.2f}") == int(value * 100)


@QUICK
@given(awkward)
def test_phone_numbers_typed_anyhow(text):
    try:
        e164 = phones.parse(text)
    except phones.InvalidPhone as refused:
        assert refused.message
    else:
        assert e164.startswith("+1") and e164[1:].isdigit()
    assert isinstance(phones.format_as_typed(text), str)
    phones.search_digits(text)


@QUICK
@given(st.text(max_size=400))
def test_replies_and_answers_of_any_text(text):
    assert inbound.classify(text) in inbound.Keyword
    assert inbound.classify_answer(text) in inbound.Keyword
    try:
        body = replies.check_answer("Lone Star Heating & Air", text)
    except DomainError as refused:
        assert refused.message
    else:
        assert body.startswith("Lone Star Heating & Air: ")


_UNWANTED = {"Cc", "Zl", "Zp"}


@QUICK
@given(st.text(max_size=80))
@example("Acme\u202e\u200f\r\n\x07 Co")
def test_names_go_into_texts_plain(name):
    plain = sms_text.plain_name(name)
    assert not [c for c in plain if unicodedata.category(c) in _UNWANTED or c in sms_text._BIDI_CONTROLS]
    assert sms_text.plain_name(plain) == plain
    text = sms_text.invoice_text(name, "1001", 12_000, "https://pay.example.com/pay/abc", sms_text.PayBy.CARD)
    assert "\n" not in text and "\u202e" not in text


@QUICK
@given(st.text(max_size=300))
@example('42/_event,["event",{"router_data":{"pathname":"/pay/tok","query":{"token":7}}}]')
def test_any_websocket_frame_passes_the_token_hashing(frame):
    assert isinstance(hash_link_tokens(frame), str)
    assert isinstance(hash_link_tokens(f'42/_event,["event",{{"router_data":{{"pathname":"/pay/{frame}"}}}}]'), str)


@pytest.fixture
def live_link(session):
    business = factories.business(session)
    location = factories.location(session, factories.customer(session, business))
    _link, token = links.mint(session, factories.invoice(session, location, total_cents=25_000))
    session.commit()
    return token


@WITH_DB
@given(token=st.one_of(st.text(max_size=120), st.binary(max_size=40).map(lambda b: b.hex())))
def test_tokens_of_any_shape_open_nothing(session, live_link, token):
    view = pay_page.open_link(session, token, client="203.0.113.7", host="pay.example.com")
    assert view.screen in (Screen.EXPIRED, Screen.THROTTLED) or token == live_link
    assert pay_page.open_link(session, tokens.Hashed(token), client="203.0.113.7", host="").screen != Screen.PAY
    assert fresh_link.request_new_link(session, token, client="203.0.113.7") is False


_HEADER = ["customer_external_id", "customer_name", "phone", "phone_type", "invoice_external_id", "line_description"]


@WITH_DB
@given(st.lists(st.lists(st.text(max_size=20), min_size=0, max_size=7), min_size=1, max_size=6))
def test_csv_rows_of_any_content(session, rows):
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(_HEADER)
    writer.writerows(rows)
    try:
        parsed = imports.parse(out.getvalue().encode())
    except imports.UnusableFile as refused:
        assert refused.message
    else:
        assert all(error.message for error in parsed.errors)
