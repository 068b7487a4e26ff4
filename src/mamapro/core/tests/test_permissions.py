"""Every URL pattern and every API operation × every persona, against an explicit table.

Each app lists its rows in `<app>/tests/permission_rows.py`. A new view or API operation
without a row (or without a `@rule`) fails here, so no page ships without someone deciding
who may open it. Expected statuses are written out by hand, not derived from the permission
module they check.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mamapro.api import api
from mamapro.conftest import (
    PERSONAS,
    build_almaty,
    build_astana,
    build_child,
    build_personas,
    build_survivor,
)
from mamapro.core.tests.rows import ApiRow, Rows, WebRow

pytestmark = pytest.mark.django_db

# The API's own documentation pages carry no data.
PUBLIC_API_DOCS = {"api:openapi-json", "api:openapi-view"}


def _all_rows() -> list[Rows]:
    found = []
    for config in apps.get_app_configs():
        if not config.name.startswith("mamapro."):
            continue
        try:
            module = importlib.import_module(f"{config.name}.tests.permission_rows")
        except ModuleNotFoundError:
            continue
        found.append(module.ROWS)
    return found


ROWS = _all_rows()
WEB: dict[str, WebRow] = {name: row for rows in ROWS for name, row in rows.web.items()}
API: dict[tuple[str, str], ApiRow] = {key: row for rows in ROWS for key, row in rows.api.items()}


def _patterns(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str, Any]]:
    found = []
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            ns = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found += _patterns(entry, prefix + str(entry.pattern), ns)
        elif isinstance(entry, URLPattern):
            found.append((prefix + str(entry.pattern), f"{namespace}{entry.name}", entry.callback))
    return found


def _web_patterns() -> list[tuple[str, str, Any]]:
    return [
        (route, name, view)
        for route, name, view in _patterns(get_resolver())
        if not route.startswith("admin/") and not route.startswith("api/v1/")
    ]


def _api_operations() -> list[tuple[str, str, Any]]:
    ops = []
    for _prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                for method in operation.methods:
                    ops.append((method, path, operation.view_func))
    return ops


def test_every_web_view_has_a_rule_and_a_row() -> None:
    for route, name, view in _web_patterns():
        assert hasattr(view, "mamapro_rule"), f"{route} ({name}) has no @rule"
        assert name in WEB, f"{route} ({name}) has no row in the permission table"
    assert set(WEB) == {name for _r, name, _v in _web_patterns()}


def test_every_api_operation_has_a_rule_and_a_row() -> None:
    seen = set()
    for method, path, view in _api_operations():
        assert hasattr(view, "mamapro_rule"), f"{method} {path} has no @rule"
        assert (method, path) in API, f"{method} {path} has no row in the permission table"
        seen.add((method, path))
    assert seen == set(API)
    api_names = {
        name for route, name, _v in _patterns(get_resolver()) if route.startswith("api/v1/")
    }
    assert api_names >= PUBLIC_API_DOCS


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Built once per module inside a transaction that is rolled back at the end (as Django's
    TestCase.setUpTestData does); each test still runs in its own savepoint, so what one
    test changes the next never sees. ~1,000 cases would otherwise rebuild it each time."""
    with django_db_blocker.unblock(), transaction.atomic():
        almaty, astana = build_almaty(), build_astana()
        survivor = build_survivor(almaty)
        child = build_child(survivor)
        w: dict[str, Any] = {
            "personas": build_personas(almaty, astana),
            "participant": survivor,
            "child": child,
            "adult": child.adults.get(authorised=False),
            "almaty": almaty,
        }
        for rows in ROWS:
            if rows.build is not None:
                rows.build(w)
        yield w
        transaction.set_rollback(True)


@pytest.fixture
def personas(world: dict[str, Any]) -> dict[str, Any]:
    return world["personas"]


def _web_url(name: str, world: dict[str, Any]) -> str:
    row = WEB[name]
    return reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)


# What only some roles may ever read, and who they are. Every response of the table (page or
# API, allowed or refused) is searched for each secret: a persona outside its list must never
# receive it, whatever the URL, the centre or the status.
SECRETS = {
    "900215450007": {"director", "coordinator"},  # her IIN
    "мкр. 5": {"director", "coordinator"},  # her address
    "Только SMS по будням": {"director", "coordinator"},  # her safe-contact note
    "Protective order 123/2026": {"director", "coordinator"},  # the court order
    "Ерлан": {"director", "coordinator"},  # the restricted father
    "Депакин": {"director", "coordinator", "tutor"},  # her son's medication
    "Тревожность после переезда": {"psychologist"},  # a counselling note
}


def _assert_no_leak(persona: str, response: Any, where: str) -> None:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8", errors="replace")
    for secret, allowed in SECRETS.items():
        if persona not in allowed:
            assert secret not in text, f"{persona} received {secret!r} from {where}"


WEB_CASES = [(name, persona) for name in WEB for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), WEB_CASES)
def test_web_permission_table(client: Client, world, personas, name: str, persona: str) -> None:
    row = WEB[name]
    client.force_login(personas[persona])
    url = _web_url(name, world)
    response = getattr(client, row.method)(url, row.data(world) if row.data else {})
    assert response.status_code == row.expected[persona], f"{persona} {row.method.upper()} {url}"
    _assert_no_leak(persona, response, f"{row.method.upper()} {url}")


@pytest.mark.parametrize("name", sorted(WEB))
def test_web_pages_send_anonymous_visitors_to_login(client: Client, world, name: str) -> None:
    row = WEB[name]
    response = getattr(client, row.method)(
        _web_url(name, world), row.data(world) if row.data else {}
    )
    if row.public:
        assert response.status_code in {200, 302, 303}
        if response.status_code == 302 and name != "logout":
            assert not response["Location"].startswith("/login/")
    else:
        assert response.status_code == 302, name
        assert response["Location"].startswith("/login/")


def test_admin_is_for_superusers_only(client: Client, personas, make_user) -> None:
    for persona in PERSONAS:
        client.force_login(personas[persona])
        assert client.get("/admin/").status_code == 302, persona
    client.force_login(make_user("root", is_superuser=True, is_staff=True))
    assert client.get("/admin/").status_code == 200


def _api_request(
    method: str, path: str, world: dict[str, Any]
) -> tuple[str, dict[str, Any] | None]:
    ids: dict[str, Any] = {}
    for rows in ROWS:
        if rows.path_ids is not None:
            ids.update(rows.path_ids(world))
    row = API[(method, path)]
    return "/api/v1" + path.format(**ids), row.body(world) if row.body else None


API_CASES = [(method, path, persona) for (method, path) in API for persona in PERSONAS]


@pytest.mark.parametrize(("method", "path", "persona"), API_CASES)
def test_api_permission_table(
    client: Client, world, personas, token_for, method: str, path: str, persona: str
) -> None:
    url, body = _api_request(method, path, world)
    response = client.generic(
        method,
        url,
        data=None if body is None else json.dumps(body),
        content_type="application/json",
        headers=token_for(personas[persona]),
    )
    expected = API[(method, path)].expected[persona]
    assert response.status_code == expected, f"{persona} {method} {url}: {response.content[:300]!r}"
    _assert_no_leak(persona, response, f"{method} {url}")


@pytest.mark.parametrize(("method", "path"), sorted(API))
def test_api_needs_a_valid_token(client: Client, world, method: str, path: str) -> None:
    url, body = _api_request(method, path, world)
    for headers in ({}, {"Authorization": "Bearer mp_not-a-real-token"}):
        response = client.generic(
            method,
            url,
            data="{}" if body else None,
            content_type="application/json",
            headers=headers,
        )
        assert response.status_code == 401, f"{method} {url} {headers}"
        assert "detail" in response.json()


POSTS = sorted(name for name, row in WEB.items() if row.method == "post")


@pytest.mark.parametrize("name", POSTS)
def test_every_form_post_needs_the_csrf_token(world, personas, name: str) -> None:
    """A page elsewhere cannot make a signed-in director's browser change anything here."""
    client = Client(enforce_csrf_checks=True, headers={"Accept-Language": "en"})
    client.force_login(personas["director"])
    row = WEB[name]
    response = client.post(_web_url(name, world), row.data(world) if row.data else {})
    assert response.status_code == 403, name


def test_the_api_ignores_the_session_cookie(client, personas) -> None:
    """The API answers bearer tokens only, so a browser's session can never be ridden."""
    client.force_login(personas["director"])
    assert client.get("/api/v1/participants").status_code == 401
