"""A small JSON client for the programmes API tests: `api.as_(user).call("POST", path, body)`."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.test import Client

from mamapro.core.models import User


class Api:
    def __init__(self, client: Client, token_for: Callable[[User], dict[str, str]]) -> None:
        self.client = client
        self.token_for = token_for
        self.headers: dict[str, str] = {}
        self._tokens: dict[int, dict[str, str]] = {}

    def as_(self, user: User) -> Api:
        if user.pk not in self._tokens:
            self._tokens[user.pk] = self.token_for(user)
        self.headers = self._tokens[user.pk]
        return self

    def call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        if method == "GET":
            return self.client.get("/api/v1" + path, params, headers=self.headers)
        return self.client.generic(
            method,
            "/api/v1" + path,
            data=json.dumps(body) if body is not None else None,
            content_type="application/json",
            headers=self.headers,
        )

    def ok(self, method: str, path: str, body: Any = None, expect: int = 200, **params: Any) -> Any:
        """The JSON of a call that must answer `expect`."""
        response = self.call(method, path, body, **params)
        assert response.status_code == expect, (response.status_code, response.content[:500])
        return response.json()


def error_fields(response: Any) -> set[str]:
    assert response.status_code == 422, (response.status_code, response.content[:500])
    return {e["field"] for e in response.json()["errors"]}
