"""The production email adapter through Django's SMTP backend against an in-process SMTP
server (notify/fakes/smtp.py), and through the file backend the demo uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import override_settings

from mamapro.notify.channels import adapter
from mamapro.notify.channels.base import NotConfigured, Outgoing, PermanentError, TransientError
from mamapro.notify.channels.email import SMTPEmail
from mamapro.notify.fakes.smtp import FakeSMTP

ADDRESS = "aigul@example.kz"
TEXT = "Сәлеметсіз бе! Сертификатыңыз дайын.\nКелесі сабақ: 12.12, 10:00."


@pytest.fixture(scope="module")
def smtp_server() -> Iterator[FakeSMTP]:
    with FakeSMTP() as running:
        yield running


@pytest.fixture
def smtp(smtp_server: FakeSMTP) -> Iterator[FakeSMTP]:
    smtp_server.reset()
    with override_settings(
        **smtp_server.settings(), DEFAULT_FROM_EMAIL="Mama Pro <hello@mamapro.kz>"
    ):
        yield smtp_server


@pytest.fixture
def email(smtp: FakeSMTP) -> Iterator[SMTPEmail]:
    channel = adapter("email")
    assert isinstance(channel, SMTPEmail)
    yield channel
    channel.close()


def outgoing(**kw: object) -> Outgoing:
    fields: dict[str, object] = {
        "delivery_id": 7,
        "idempotency_key": "certificate:7",
        "to": ADDRESS,
        "text": TEXT,
        "language": "kk",
        "subject": "Хабарлама",
    }
    fields.update(kw)
    return Outgoing(**fields)  # type: ignore[arg-type]


def test_a_plain_text_message_reaches_the_smtp_server(smtp: FakeSMTP, email: SMTPEmail) -> None:
    sent = email.send(outgoing())
    [mail] = smtp.messages
    assert mail.recipients == [ADDRESS]
    assert mail.sender == "hello@mamapro.kz"
    letter = mail.parsed()
    assert letter["Subject"] == "Хабарлама"
    assert letter["To"] == ADDRESS
    assert letter["Message-ID"] == sent.provider_message_id
    assert letter["Content-Language"] == "kk"
    assert letter.get_content_type() == "text/plain"
    assert letter.get_content().replace("\r\n", "\n").strip() == TEXT


def test_without_a_subject_it_is_a_neutral_one(smtp: FakeSMTP, email: SMTPEmail) -> None:
    email.send(outgoing(subject=""))
    assert smtp.messages[0].parsed()["Subject"] == "Сізге хабар"  # "A message for you", in kk


def test_a_subject_is_one_line_whatever_it_held(smtp: FakeSMTP, email: SMTPEmail) -> None:
    email.send(outgoing(subject="Хабар\r\nBcc: someone@evil.test"))
    mail = smtp.messages[0]
    assert mail.recipients == [ADDRESS]
    assert mail.parsed()["Bcc"] is None
    assert mail.parsed()["Subject"] == "Хабар Bcc: someone@evil.test"


def test_the_same_delivery_keeps_its_message_id(email: SMTPEmail) -> None:
    first = email.send(outgoing())
    again = email.send(outgoing())
    other = email.send(outgoing(delivery_id=8, idempotency_key="certificate:8"))
    assert first.provider_message_id == again.provider_message_id
    assert first.provider_message_id != other.provider_message_id
    assert first.provider_message_id.endswith("@mamapro.kz>")
    assert "certificate" not in first.provider_message_id


def test_one_smtp_session_serves_many_messages(smtp: FakeSMTP, email: SMTPEmail) -> None:
    for n in range(3):
        email.send(outgoing(delivery_id=n, idempotency_key=f"k{n}"))
    assert len(smtp.messages) == 3
    assert smtp.connections == 1


@pytest.mark.parametrize("address", ["", "not-an-address", "a@b", "x@example.kz\nBcc: y@z.kz"])
def test_a_malformed_address_never_reaches_the_server(
    smtp: FakeSMTP, email: SMTPEmail, address: str
) -> None:
    with pytest.raises(PermanentError) as caught:
        email.send(outgoing(to=address))
    assert caught.value.code == "invalid_address"
    assert smtp.connections == 0


def test_a_recipient_refused_with_5xx_is_permanent(smtp: FakeSMTP, email: SMTPEmail) -> None:
    smtp.refuse(ADDRESS, 550)
    with pytest.raises(PermanentError) as caught:
        email.send(outgoing())
    assert caught.value.code == "recipient_refused"
    assert email.is_permanent(caught.value)
    assert ADDRESS not in str(caught.value)
    assert smtp.messages == []


def test_a_recipient_deferred_with_4xx_is_transient(smtp: FakeSMTP, email: SMTPEmail) -> None:
    smtp.refuse(ADDRESS, 450, "Mailbox busy")
    with pytest.raises(TransientError) as caught:
        email.send(outgoing())
    assert caught.value.code == "recipient_deferred"
    assert not email.is_permanent(caught.value)


@pytest.mark.parametrize(("reply", "error"), [(554, PermanentError), (451, TransientError)])
def test_a_refused_message_is_permanent_a_deferred_one_transient(
    smtp: FakeSMTP, email: SMTPEmail, reply: int, error: type[Exception]
) -> None:
    smtp.fail_next_data(reply)
    with pytest.raises(error):
        email.send(outgoing())
    assert smtp.messages == []
    email.send(outgoing())  # a new session, and the next message goes
    assert len(smtp.messages) == 1


def test_a_dropped_connection_is_transient_and_the_next_try_goes(
    smtp: FakeSMTP, email: SMTPEmail
) -> None:
    smtp.drop_next()
    with pytest.raises(TransientError) as caught:
        email.send(outgoing())
    assert caught.value.code == "network"
    email.send(outgoing())
    assert len(smtp.messages) == 1


def test_a_server_that_is_down_is_transient() -> None:
    with FakeSMTP() as stopped:
        settings = stopped.settings()
    with override_settings(**settings), pytest.raises(TransientError) as caught:
        SMTPEmail().send(outgoing())
    assert caught.value.code == "network"


def test_smtp_has_no_status_no_lookup_and_no_webhook(email: SMTPEmail) -> None:
    assert email.poll(["<x@y>"]) == []
    with pytest.raises(NotImplementedError):
        email.find_sent(outgoing())
    with pytest.raises(NotConfigured):
        email.parse_webhook(None)  # type: ignore[arg-type]


def test_with_email_host_it_is_configured_with_nothing_to_say() -> None:
    with override_settings(EMAIL_HOST="smtp.example.kz"):
        email = SMTPEmail()
        assert email.configured()
        assert email.missing() == []
        assert email.status_note() == ""


def test_without_email_host_a_message_lands_as_a_file(tmp_path: Path) -> None:
    with override_settings(
        EMAIL_HOST="",
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
        EMAIL_FILE_PATH=str(tmp_path),
    ):
        email = SMTPEmail()
        assert email.configured()
        assert email.missing() == []
        assert "files" in email.status_note()
        email.send(outgoing())
        email.send(outgoing(delivery_id=8, idempotency_key="certificate:8"))
    files = sorted(tmp_path.iterdir())
    assert len(files) == 2  # one file per message
    content = files[0].read_bytes()
    assert f"To: {ADDRESS}".encode() in content
    assert b"Content-Type: text/plain" in content


def test_a_discreet_letter_never_comes_from_an_address_that_names_the_centre(
    smtp: FakeSMTP, email: SMTPEmail
) -> None:
    with pytest.raises(TransientError) as refused:
        email.send(outgoing(discreet=True))
    assert refused.value.code == "config_discreet_sender"
    assert smtp.messages == []
    with override_settings(DISCREET_FROM_EMAIL="Aigerim <a.info@example.kz>"):
        sent = email.send(outgoing(discreet=True))
    [mail] = smtp.messages
    assert mail.sender == "a.info@example.kz"
    letter = mail.parsed()
    assert "mamapro" not in letter["From"].lower()
    assert "mamapro" not in sent.provider_message_id
