"""Which headers each kind of answer carries (tests/e2e/test_security.py checks them on the live app)."""

from smslinks.api.security_headers import headers_for


def test_pages_whose_url_is_a_key_send_no_referrer():
    for path in ("/pay/abc123", "/invite/abc123"):
        assert headers_for(path)["Referrer-Policy"] == "no-referrer"
    assert headers_for("/invoices")["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers_for("/payments")["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_get_a_content_security_policy_and_the_api_does_not():
    assert "frame-ancestors 'none'" in headers_for("/invoices")["Content-Security-Policy"]
    assert headers_for("/invoices")["X-Frame-Options"] == "DENY"
    api = headers_for("/api/v1/customers")
    assert "Content-Security-Policy" not in api and api["X-Content-Type-Options"] == "nosniff"
