"""Outgoing email for the contract lifecycle (signing invitations, reminders, renewal alerts).

One small promise: ``send(to, subject, body, now)`` delivers a plain-text
message through SMTP (smtplib), with STARTTLS and login when configured, or
raises ``MailError`` with a one-line reason that never contains the password.
The ``Date`` header comes from the caller's clock, so tests on a FakeClock
see the simulated time. Lines are wrapped at 76 characters without splitting
a word, so links and hashes reach the reader whole.
"""

from __future__ import annotations

import smtplib
import ssl
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any, Protocol

from core.config import ConfigFileError, SmtpSettings


class MailError(Exception):
    """A message could not be handed to the SMTP server (one line, no secrets)."""


class Mailer(Protocol):
    def send(self, to: Sequence[str], subject: str, body: str, *, now: datetime) -> None:
        """Deliver one message to every address in ``to``."""


@dataclass
class SmtpMailer:
    settings: SmtpSettings
    ssl_context: ssl.SSLContext | None = None

    def send(self, to: Sequence[str], subject: str, body: str, *, now: datetime) -> None:
        s = self.settings
        msg = EmailMessage()
        msg["From"] = s.sender
        msg["To"] = ", ".join(to)
        msg["Subject"] = subject
        msg["Date"] = format_datetime(now)
        msg["Message-ID"] = make_msgid(domain=s.sender.rpartition("@")[2] or None)
        msg.set_content(plain_lines(body))
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                if s.starttls:
                    smtp.starttls(context=self.ssl_context or ssl.create_default_context())
                if s.username:
                    secret = s.password.get_secret_value() if s.password else ""
                    smtp.login(s.username, secret)
                smtp.send_message(msg)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"email to {', '.join(to)} not sent via {s.host}:{s.port}: "
                            f"{_reason(exc)}") from None


def plain_lines(body: str, width: int = 76) -> str:
    """Lines short enough to travel as 7-bit text (no quoted-printable soft breaks); a link
    or a hash is never split, so it can be copied whole from any mail viewer."""
    return "\n".join(textwrap.fill(line, width, break_long_words=False,
                                    break_on_hyphens=False) if line else ""
                      for line in body.splitlines()) + "\n"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"server answered {exc.smtp_code} {text}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return f"recipients refused: {', '.join(exc.recipients)}"
    return f"{type(exc).__name__}: {exc}"


def mailer_from_config(config: Any) -> SmtpMailer:
    """The configured SMTP mailer, or a ConfigFileError naming the missing section."""
    smtp = config.signing.smtp
    if smtp is None:
        raise ConfigFileError(f"{config.path}: signing.smtp is not set (host, port, from) -- "
                              "emails for signing and renewals go through it")
    return SmtpMailer(smtp)
