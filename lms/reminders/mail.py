"""Plain-text email over one SMTP connection, configured by the ``LMS_MAIL_*`` settings."""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

TIMEOUT_SECONDS = 30


class MailError(Exception):
    """The connection, or one message, failed; the text says why."""


@dataclass(frozen=True)
class Email:
    to: tuple[str, ...]
    subject: str
    body: str


def build_message(email: Email, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = ", ".join(email.to)
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=True)
    message["Message-ID"] = make_msgid(domain=sender.rpartition("@")[2] or "localhost")
    message.set_content(email.body, charset="utf-8")
    return message


def _text(reply: bytes | str) -> str:
    return reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)


def _refusals(refused: Mapping[str, tuple[int, bytes]]) -> str:
    return "; ".join(f"{address}: {code} {_text(reply)}" for address, (code, reply) in refused.items())


class Mailer:
    """``with Mailer.from_config(app.config) as mailer: mailer.send(email)``."""

    def __init__(self, host: str, port: int = 25, *, sender: str, username: str | None = None,
                 password: str | None = None, use_tls: bool = False, timeout: float = TIMEOUT_SECONDS):
        self.host, self.port, self.sender, self.timeout = host, port, sender, timeout
        self.username, self.password, self.use_tls = username, password, use_tls
        self._smtp: smtplib.SMTP | None = None

    @classmethod
    def from_config(cls, config: Mapping[str, Any], timeout: float = TIMEOUT_SECONDS) -> Mailer:
        return cls(config["LMS_MAIL_SERVER"], int(config["LMS_MAIL_PORT"]), sender=config["LMS_MAIL_FROM"],
                   username=config.get("LMS_MAIL_USERNAME"), password=config.get("LMS_MAIL_PASSWORD"),
                   use_tls=bool(config.get("LMS_MAIL_USE_TLS")), timeout=timeout)

    def __enter__(self) -> Mailer:
        try:
            smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(f"cannot connect to {self.host}:{self.port}: {error}") from error
        try:
            if self.use_tls:
                smtp.starttls(context=ssl.create_default_context())
            if self.username:
                smtp.login(self.username, self.password or "")
        except (smtplib.SMTPException, OSError) as error:
            smtp.close()
            raise MailError(f"{self.host}:{self.port}: {error}") from error
        self._smtp = smtp
        return self

    def __exit__(self, *exc_info: object) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()

    def send(self, email: Email) -> str | None:
        """Send one message. Raises MailError when no recipient took it; when only some
        refused it, says which (the message still counts as sent)."""
        assert self._smtp is not None, "use the Mailer in a with block"
        try:
            message = build_message(email, self.sender)
        except ValueError as error:  # e.g. an address with a line break in it
            raise MailError(f"cannot build the message: {error}") from error
        try:
            refused = self._smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            raise MailError(_refusals(error.recipients)) from error
        except smtplib.SMTPResponseException as error:
            raise MailError(f"{error.smtp_code} {_text(error.smtp_error)}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise MailError(str(error) or type(error).__name__) from error
        return _refusals(refused) if refused else None
