"""A small HTTP/1.1 client for the channel adapters: one kept-alive connection per adapter
instance, short timeouts, and network trouble turned into `TransientError`.

The standard library only (http.client): the providers speak plain JSON or form posts, and a
runtime dependency for that would be one more thing to patch. A connection the provider closed
while idle is noticed before the next request (the socket reads as closed) and reopened; a
request that fails after it was written is NOT repeated here, because the provider may have
acted on it (a second copy to her phone) — the caller gets a TransientError and the outbox
decides.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar
from urllib.parse import urlencode, urlsplit

from django.conf import settings

from mamapro.notify.channels.base import NotConfigured, TransientError

DEFAULT_TIMEOUT = 10.0


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        """The body as JSON; ValueError when it is not (a proxy's HTML error page)."""
        return json.loads(self.body.decode("utf-8"))


class HttpClient:
    """Requests to one base URL ("https://api.telegram.org", "http://127.0.0.1:8123/v21.0")."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {base_url!r}")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port
        self.prefix = parts.path.rstrip("/")
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and _dropped(conn):
            conn.close()
            conn = None
        if conn is None:
            if self.scheme == "https":
                conn = http.client.HTTPSConnection(
                    self.host,
                    self.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            self._conn = conn
        return conn

    def request(
        self,
        method: str,
        path: str,
        *,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """One request; TransientError (code "timeout" or "network") when no answer came."""
        conn = self._connection()
        try:
            conn.request(method, self.prefix + path, body=body, headers=dict(headers or {}))
            answer = conn.getresponse()
            data = answer.read()
        except TimeoutError as exc:
            self.close()
            raise TransientError("the provider did not answer in time", code="timeout") from exc
        except (OSError, http.client.HTTPException) as exc:
            self.close()
            raise TransientError(
                f"could not reach the provider ({type(exc).__name__})", code="network"
            ) from exc
        if answer.will_close:
            self.close()
        return Response(answer.status, data)

    def post_json(
        self, path: str, payload: Any, *, headers: Mapping[str, str] | None = None
    ) -> Response:
        body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
        sent = {"Content-Type": "application/json", "Accept": "application/json"}
        return self.request("POST", path, body=body, headers={**sent, **(headers or {})})

    def post_form(
        self,
        path: str,
        fields: Mapping[str, str] | Sequence[tuple[str, str]],
        *,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        body = urlencode(fields).encode("ascii")
        sent = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        return self.request("POST", path, body=body, headers={**sent, **(headers or {})})

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def _dropped(conn: http.client.HTTPConnection) -> bool:
    """Did the server close this idle kept-alive connection? (Readable with nothing asked
    means end of file, or junk we would misread as the next answer.)"""
    sock: socket.socket | None = conn.sock
    if sock is None:
        return True
    try:
        readable, _w, _x = select.select([sock], [], [], 0)
    except (OSError, ValueError):
        return True
    return bool(readable)


class HttpAdapter:
    """What an adapter over an HTTP API shares: its variables (`REQUIRED`, named by
    `missing()`), the setting holding its base URL, one kept-alive client, and the rule that
    an error's own `permanent` flag says whether to retry."""

    REQUIRED: ClassVar[tuple[str, ...]] = ()
    BASE_URL_SETTING: ClassVar[str] = ""

    def __init__(self) -> None:
        self._client: HttpClient | None = None

    def missing(self) -> list[str]:
        return [name for name in self.REQUIRED if not getattr(settings, name, "")]

    def configured(self) -> bool:
        return not self.missing()

    def is_permanent(self, error: Exception) -> bool:
        return bool(getattr(error, "permanent", False))

    def http(self) -> HttpClient:
        """The client for this adapter's base URL (NotConfigured without its variables)."""
        if not self.configured():
            raise NotConfigured(", ".join(self.missing()))
        if self._client is None:
            self._client = HttpClient(getattr(settings, self.BASE_URL_SETTING))
        return self._client

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
