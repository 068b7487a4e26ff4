"""A minimal SMTP server (RFC 5321) on 127.0.0.1, in-process, for the email adapter's tests.

It speaks what Django's SMTP backend uses — EHLO/HELO, MAIL FROM, RCPT TO, DATA (with dot
unstuffing), RSET, NOOP, QUIT — with no TLS and no AUTH, records every message it accepted
(envelope and the raw RFC 5322 bytes), and can be told to refuse: a recipient with a 5xx
(unknown mailbox) or 4xx (try later) reply, the next message's DATA with a code, or to drop
the connection right after the greeting.

    with FakeSMTP() as smtp:
        with override_settings(**smtp.settings()):
            ...
        assert smtp.messages[0].recipients == ["her@example.kz"]
"""

from __future__ import annotations

import email
import email.policy
import socketserver
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from mamapro.notify.fakes.server import Running


@dataclass(frozen=True)
class FakeMail:
    sender: str
    recipients: list[str]
    data: bytes

    def parsed(self) -> EmailMessage:
        message = email.message_from_bytes(self.data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class _Faults:
    refused: dict[str, tuple[int, str]] = field(default_factory=dict)
    data_replies: list[tuple[int, str]] = field(default_factory=list)
    drop_connections: int = 0


class FakeSMTP(Running):
    def __init__(self, hostname: str = "fake-smtp.test") -> None:
        self.hostname = hostname
        self.lock = threading.Lock()
        self._messages: list[FakeMail] = []
        self._faults = _Faults()
        self.connections = 0
        self._server: socketserver.ThreadingTCPServer | None = None

    # --- life -------------------------------------------------------------------------------

    def make_server(self) -> socketserver.ThreadingTCPServer:
        return _Server(("127.0.0.1", 0), _handler_for(self))

    @property
    def port(self) -> int:
        assert self._server is not None, "start the fake first"
        return int(self._server.server_address[1])

    def settings(self) -> dict[str, Any]:
        """Django's SMTP settings pointing here (for override_settings)."""
        return {
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": self.port,
            "EMAIL_HOST_USER": "",
            "EMAIL_HOST_PASSWORD": "",
            "EMAIL_USE_TLS": False,
            "EMAIL_USE_SSL": False,
            "EMAIL_TIMEOUT": 5,
        }

    # --- what it saw, and faults ------------------------------------------------------------

    @property
    def messages(self) -> list[FakeMail]:
        with self.lock:
            return list(self._messages)

    def reset(self) -> None:
        with self.lock:
            self._messages.clear()
            self._faults = _Faults()
            self.connections = 0

    def refuse(self, address: str, code: int = 550, text: str = "No such user here") -> None:
        with self.lock:
            self._faults.refused[address.lower()] = (code, text)

    def fail_next_data(self, code: int = 451, text: str = "Try again later") -> None:
        with self.lock:
            self._faults.data_replies.append((code, text))

    def drop_next(self, n: int = 1) -> None:
        """The next `n` connections are closed right after the greeting."""
        with self.lock:
            self._faults.drop_connections += n

    # --- used by the handler ----------------------------------------------------------------

    def _connected(self) -> bool:
        with self.lock:
            self.connections += 1
            if self._faults.drop_connections:
                self._faults.drop_connections -= 1
                return False
            return True

    def _recipient(self, address: str) -> tuple[int, str]:
        with self.lock:
            return self._faults.refused.get(address.lower(), (250, "OK"))

    def _accept(self, mail: FakeMail) -> tuple[int, str]:
        with self.lock:
            if self._faults.data_replies:
                return self._faults.data_replies.pop(0)
            self._messages.append(mail)
            return 250, f"OK queued as {len(self._messages)}"


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    block_on_close = False


def _address(argument: str) -> str:
    """ "FROM:<a@b> SIZE=12" → "a@b"."""
    _, _, rest = argument.partition(":")
    rest = rest.strip()
    if rest.startswith("<"):
        rest = rest[1 : rest.find(">")]
    return rest.split(" ")[0]


def _handler_for(fake: FakeSMTP) -> type[socketserver.StreamRequestHandler]:
    class Handler(socketserver.StreamRequestHandler):
        timeout = 30

        def reply(self, code: int, text: str) -> None:
            self.wfile.write(f"{code} {text}\r\n".encode())

        def handle(self) -> None:
            self.reply(220, f"{fake.hostname} ESMTP fake")
            if not fake._connected():
                return
            sender, recipients = "", list[str]()
            while True:
                line = self.rfile.readline(4096)
                if not line:
                    return
                command, _, argument = line.decode("utf-8", "replace").strip().partition(" ")
                verb = command.upper()
                if verb == "EHLO":
                    self.wfile.write(
                        f"250-{fake.hostname}\r\n250-8BITMIME\r\n250 SMTPUTF8\r\n".encode()
                    )
                elif verb == "HELO":
                    self.reply(250, fake.hostname)
                elif verb == "MAIL":
                    sender, recipients = _address(argument), []
                    self.reply(250, "OK")
                elif verb == "RCPT":
                    address = _address(argument)
                    code, text = fake._recipient(address)
                    if code == 250:
                        recipients.append(address)
                    self.reply(code, text)
                elif verb == "DATA":
                    if not recipients:
                        self.reply(503, "No valid recipients")
                        continue
                    self.reply(354, "End data with <CR><LF>.<CR><LF>")
                    data = self._read_data()
                    if data is None:
                        return
                    code, text = fake._accept(FakeMail(sender, recipients, data))
                    self.reply(code, text)
                    sender, recipients = "", []
                elif verb == "RSET":
                    sender, recipients = "", []
                    self.reply(250, "OK")
                elif verb == "NOOP":
                    self.reply(250, "OK")
                elif verb == "QUIT":
                    self.reply(221, "Bye")
                    return
                else:
                    self.reply(502, "Command not implemented")

        def _read_data(self) -> bytes | None:
            lines: list[bytes] = []
            while True:
                line = self.rfile.readline(1_000_000)
                if not line:
                    return None
                if line in (b".\r\n", b".\n"):
                    return b"".join(lines)
                lines.append(line[1:] if line.startswith(b"..") else line)

    return Handler
