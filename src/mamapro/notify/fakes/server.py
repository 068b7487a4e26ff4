"""What every local provider server shares: a threaded HTTP/1.1 server on 127.0.0.1:0
(keep-alive, never logging a request — they carry phone numbers and texts), used as a context
manager, and a plain client to post a signed webhook to a running site."""

from __future__ import annotations

import http.client
import socketserver
import threading
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import urlsplit

# (HTTP status, body, content type)
Answer = tuple[int, bytes, str]


class Running:
    """A socket server on 127.0.0.1:0 in a thread of its own, as a context manager (the HTTP
    providers below and the SMTP server in smtp.py)."""

    _server: socketserver.BaseServer | None = None

    def make_server(self) -> socketserver.BaseServer:
        raise NotImplementedError

    def start(self) -> Self:
        self._server = self.make_server()
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class LocalServer(Running):
    """Subclasses answer requests in `answer`; `self.lock` guards what they record."""

    _server: ThreadingHTTPServer | None

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self._server = None

    def answer(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        raise NotImplementedError

    def make_server(self) -> ThreadingHTTPServer:
        server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        server.daemon_threads = True
        # Kept-alive client connections hold a thread each; never wait for them on close.
        server.block_on_close = False
        return server

    @property
    def root(self) -> str:
        assert self._server is not None, "start the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"


def post(url: str, body: bytes, headers: Mapping[str, str]) -> tuple[int, bytes]:
    """POST to a running site (a live_server's webhook), as the provider would."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
    try:
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request("POST", path or "/", body, dict(headers))
        answer = conn.getresponse()
        return answer.status, answer.read()
    finally:
        conn.close()


def _handler_for(fake: LocalServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive
        # Headers and body leave in two writes: with Nagle on, the body waits for the
        # client's delayed ACK (~40 ms a request on Linux).
        disable_nagle_algorithm = True
        timeout = 30  # an idle kept-alive connection is dropped after this

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, payload, content_type = fake.answer(self.command, self.path, headers, body)
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = _handle
        do_POST = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler
