"""Email through Django's mail API and the configured backend: SMTP when `EMAIL_HOST` is set
(Django's `EMAIL_*` settings), otherwise one file per message under `var/mail/` — so on a demo
a coordinator reads exactly what would have gone out, and nothing leaves the server.

Plain text, the neutral subject the outbox gives (never what the centre is for), from
`DEFAULT_FROM_EMAIL`. The Message-ID is derived from the delivery's idempotency key: the same
delivery sent twice after a crash carries the same Message-ID, which mail clients use to
drop the copy (SMTP itself has no way to ask "did you take this?", so `find_sent` cannot tell
and the outbox never resends on its own).

Errors: an address that is not one, or a recipient the server refuses with 5xx → permanent;
4xx replies, a refused connection, a timeout, a dropped connection → transient; the server
refusing our sender or our login is configuration → transient with a "config_" code.
"""

from __future__ import annotations

import contextlib
import hashlib
import smtplib
import time

from django.conf import settings
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as SMTPBackend
from django.core.validators import validate_email
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext as _

from mamapro.notify.channels.base import (
    ChannelError,
    NotConfigured,
    Outgoing,
    PermanentError,
    Sent,
    StatusUpdate,
    TransientError,
    WebhookResult,
    discreet_sender,
)

# Servers drop idle sessions (often after a minute or so): an SMTP session unused for this
# long is closed and a new one opened, rather than finding out mid-message.
IDLE_REOPEN = 30.0


class SMTPEmail:
    channel = "email"
    provider = "smtp"

    def __init__(self) -> None:
        self.rate_per_second = float(getattr(settings, "EMAIL_RATE_PER_SECOND", 5))
        self._connection: BaseEmailBackend | None = None
        self._last_used = 0.0

    # Email is never "off": without EMAIL_HOST it is written to files.
    def missing(self) -> list[str]:
        return []

    def configured(self) -> bool:
        return True

    def writes_files(self) -> bool:
        return not settings.EMAIL_HOST

    def status_note(self) -> str:
        if self.writes_files():
            return _(
                "EMAIL_HOST is not set: messages are written to files under var/mail/ and "
                "nothing leaves the server."
            )
        return ""

    def is_permanent(self, error: Exception) -> bool:
        return isinstance(error, ChannelError) and error.permanent

    def send(self, message: Outgoing) -> Sent:
        address = message.to.strip()
        try:
            validate_email(address)
        except ValidationError as exc:
            raise PermanentError("not a valid email address", code="invalid_address") from exc
        # One line, whatever the template held (a newline would be a header injection).
        subject = " ".join(message.subject.split())
        if not subject:
            with translation.override(message.language or None):
                subject = _("A message for you")
        sender = discreet_sender(settings.DEFAULT_FROM_EMAIL, settings.DISCREET_FROM_EMAIL, message)
        message_id = self._message_id(message, sender)
        letter = mail.EmailMessage(
            subject=subject,
            body=message.text,
            from_email=sender,
            to=[address],
            headers={
                "Message-ID": message_id,
                "Content-Language": message.language,
                "Auto-Submitted": "auto-generated",
            },
        )
        try:
            self._backend().send_messages([letter])
        except (smtplib.SMTPException, OSError) as exc:
            self.close()
            raise _error(exc) from exc
        self._last_used = time.monotonic()
        return Sent(message_id)

    def poll(self, provider_message_ids: list[str]) -> list[StatusUpdate]:
        return []  # SMTP reports nothing back

    def find_sent(self, message: Outgoing) -> Sent | None:
        raise NotImplementedError("SMTP offers no way to ask whether a message was taken")

    def parse_webhook(self, request: HttpRequest) -> WebhookResult:
        raise NotConfigured("email has no webhook")

    def close(self) -> None:
        if self._connection is not None:
            # The session may be gone already (that is why we are closing it).
            with contextlib.suppress(smtplib.SMTPException, OSError):
                self._connection.close()
            self._connection = None

    def _backend(self) -> BaseEmailBackend:
        """One SMTP session kept open across messages; other backends (the files of the
        demo, the tests' memory) open per message: one file per message under var/mail/."""
        if self._connection is not None and time.monotonic() - self._last_used > IDLE_REOPEN:
            self.close()
        if self._connection is None:
            backend = mail.get_connection(fail_silently=False)
            if not isinstance(backend, SMTPBackend):
                return backend
            backend.open()
            self._connection = backend
        return self._connection

    @staticmethod
    def _message_id(message: Outgoing, sender: str | None = None) -> str:
        # The sender's own domain: a discreet letter's headers name the centre nowhere.
        domain = (sender or settings.DEFAULT_FROM_EMAIL).rpartition("@")[2].strip("> ")
        domain = domain or "localhost"
        digest = hashlib.sha256(message.idempotency_key.encode()).hexdigest()[:32]
        return f"<{digest}.{message.delivery_id}@{domain}>"


def _error(exc: smtplib.SMTPException | OSError) -> ChannelError:
    """What an SMTP failure means for this message: only a 5xx about her address or this
    message is permanent; our sender or login refused is configuration (kept for a retry)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        reply = min((c for c, _text in exc.recipients.values()), default=0)
        if reply >= 500:
            return PermanentError(
                f"the mail server refused the address (SMTP {reply})", code="recipient_refused"
            )
        return TransientError(
            f"the mail server deferred the address (SMTP {reply})", code="recipient_deferred"
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        return TransientError(
            f"the mail server refused DEFAULT_FROM_EMAIL (SMTP {exc.smtp_code})",
            code="config_sender",
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return TransientError(
            f"the mail server refused the login (SMTP {exc.smtp_code})", code="config_auth"
        )
    if isinstance(exc, smtplib.SMTPDataError) and exc.smtp_code >= 500:
        return PermanentError(
            f"the mail server refused the message (SMTP {exc.smtp_code})", code="rejected"
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        return TransientError(f"the mail server answered SMTP {exc.smtp_code}", code="deferred")
    code = "timeout" if isinstance(exc, TimeoutError) else "network"
    return TransientError(f"could not reach the mail server ({type(exc).__name__})", code=code)
