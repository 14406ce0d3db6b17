"""The adapters log each failed provider call with ids and codes, and never a key, token or card."""

import logging

import pytest
import requests
import stripe

from smslinks.config import Settings
from smslinks.core.channels import UnknownOutcome
from smslinks.providers.stripe_payments import PaymentDeclined, StripePayments
from smslinks.providers.twilio_sms import TwilioSms

SECRET_KEY = "sk_test_never_logged"
CARD = "4000000000000002"


def test_a_declined_stripe_call_is_logged_with_the_intent_and_request_ids_and_no_secret(caplog):
    gateway = StripePayments(Settings())
    gateway._client = stripe.StripeClient(SECRET_KEY)

    def decline(intent_id, params, options):
        raise stripe.CardError("Your card was declined.", None, "card_declined", http_status=402)

    caplog.set_level(logging.WARNING, logger="smslinks.providers.stripe_payments")
    with pytest.raises(PaymentDeclined):
        gateway._call(decline, "pi_123", params={"payment_method": CARD}, options={"idempotency_key": "k"})
    [record] = caplog.records
    assert "pi_123" in record.getMessage() and "card_declined" in record.getMessage()
    assert SECRET_KEY not in caplog.text and CARD not in caplog.text


def test_a_failed_twilio_send_is_logged_with_its_code_and_without_the_auth_token(caplog, monkeypatch):
    sms = TwilioSms("AC" + "1" * 32, "auth-token-never-logged", base_url="http://127.0.0.1:9", timeout=1)

    def timed_out(**_params):
        raise requests.exceptions.ReadTimeout()

    monkeypatch.setattr(sms.client.messages, "create", timed_out)
    caplog.set_level(logging.WARNING, logger="smslinks.providers.twilio_sms")
    with pytest.raises(UnknownOutcome):
        sms.send(to="+15125550123", body="Hello", from_="+15125550999")
    assert "sending a text failed: UnknownOutcome" in caplog.text
    assert "auth-token-never-logged" not in caplog.text


def test_the_twilio_sdk_request_log_is_quiet_wherever_the_adapter_is_loaded():
    assert logging.getLogger("twilio.http_client").getEffectiveLevel() == logging.WARNING
