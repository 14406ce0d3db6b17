"""Email links through smtplib and the sandbox mail sink."""

import httpx

from smslinks.core.channels import TransientFailure
from smslinks.providers.email import SmtpEmail
from smslinks.sandbox.runner import free_port
from tests.integration.delivery.support import enqueue, load


def test_an_email_reaches_the_mail_sink_and_its_page(env, business):
    link = "https://pay.example.com/pay/abc123"
    message_id = enqueue(
        env,
        business,
        "maria@example.net",
        channel="email",
        subject="Invoice 10042",
        body=f"Hello Maria,\n\nPay invoice 10042 here: {link}\n",
    )
    assert env.dispatcher().run_once() == 1
    sent = load(env, message_id)
    assert sent.status == "sent" and sent.provider_id.startswith("<")
    [mail] = env.mail.newest_first()
    assert mail.recipients == ["maria@example.net"] and mail.subject == "Invoice 10042"
    assert mail.from_header == f"{business.name} <invoices@smslinks.test>"
    assert link in mail.body
    page = httpx.get(f"{env.sandbox_url}/mail").text
    assert f'<a href="{link}"' in page and "Invoice 10042" in page


def test_an_unreachable_mail_server_is_a_transient_failure():
    provider = SmtpEmail("127.0.0.1", free_port(), sender="invoices@smslinks.test", starttls=False, timeout=2)
    try:
        provider.send(to="maria@example.net", subject="Invoice", body="hello")
    except TransientFailure as error:
        assert "Could not reach the mail server" in error.detail
    else:
        raise AssertionError("sending to a closed port succeeded")
