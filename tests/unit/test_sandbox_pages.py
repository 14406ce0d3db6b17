"""Pieces of the sandbox's developer pages and TwiML reading."""

from smslinks.sandbox.html import linkify
from smslinks.sandbox.twilio_server import line_type_for, twiml_messages


def test_links_become_anchors_and_everything_else_is_escaped():
    text = 'Pay <b>now</b>: https://pay.example.com/pay/a-b_c?m=ach&x=1. Or http://x.test/p) "ok"'
    assert linkify(text) == (
        "Pay &lt;b&gt;now&lt;/b&gt;: "
        '<a href="https://pay.example.com/pay/a-b_c?m=ach&amp;x=1" target="_blank" rel="noopener">'
        "https://pay.example.com/pay/a-b_c?m=ach&amp;x=1</a>. Or "
        '<a href="http://x.test/p" target="_blank" rel="noopener">http://x.test/p</a>) &quot;ok&quot;'
    )


def test_javascript_urls_are_not_links():
    assert "<a" not in linkify("javascript:alert(1)")


def test_twiml_messages_are_read_in_either_form():
    assert twiml_messages('<?xml version="1.0"?><Response><Message>Hi &amp; bye</Message></Response>') == ["Hi & bye"]
    assert twiml_messages("<Response><Message><Body>One</Body></Message><Message>Two</Message></Response>") == [
        "One",
        "Two",
    ]
    assert twiml_messages("<Response />") == []
    assert twiml_messages("not xml") == []


def test_the_documented_line_type_rule():
    assert line_type_for("+15125550134") == "mobile"
    assert line_type_for("+15125559001") == "landline"
    assert line_type_for("+15125558001") == "nonFixedVoip"
    assert line_type_for("+15125550009") == "landline"
