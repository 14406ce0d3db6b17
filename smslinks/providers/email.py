"""Email over SMTP (smtplib): STARTTLS and login when configured, the sandbox mail sink otherwise."""

import secrets
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formataddr, formatdate

from smslinks.core.channels import PermanentFailure, SendReceipt, TransientFailure


class SmtpEmail:
    def __init__(
        self,
        host: str,
        port: int,
        *,
        sender: str,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 30.0,
    ):
        self.host = host
        self.port = port
        self.sender = sender
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout

    def send(
        self,
        *,
        to: str,
        subject: str,
        body: str,
        from_name: str | None = None,
        reply_to: str | None = None,
    ) -> SendReceipt:
        message = self._message(to, subject, body, from_name, reply_to)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password or "")
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            code, reply = next(iter(error.recipients.values()))
            raise PermanentFailure(
                f"The mail server refused the address {to} ({code} {_text(reply)}).", str(code)
            ) from error
        except smtplib.SMTPResponseException as error:
            detail = f"The mail server answered {error.smtp_code} {_text(error.smtp_error)}."
            if error.smtp_code >= 500:
                raise PermanentFailure(detail, str(error.smtp_code)) from error
            raise TransientFailure(detail, str(error.smtp_code)) from error
        except (smtplib.SMTPException, OSError) as error:
            raise TransientFailure(f"Could not reach the mail server ({type(error).__name__}).") from error
        return SendReceipt(provider_id=message["Message-ID"][:64], status="accepted")

    def _message(self, to: str, subject: str, body: str, from_name: str | None, reply_to: str | None) -> EmailMessage:
        message = EmailMessage()
        message["From"] = formataddr((from_name or "", self.sender))
        message["To"] = to
        message["Subject"] = subject
        if reply_to:
            message["Reply-To"] = reply_to
        message["Date"] = formatdate(usegmt=True)
        domain = self.sender.rpartition("@")[2] or "smslinks.local"
        message["Message-ID"] = f"<{secrets.token_hex(12)}@{domain}>"
        message.set_content(body)
        return message


def _text(reply: bytes | str) -> str:
    return reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
