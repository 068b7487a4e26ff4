"""Every URL pattern and every API operation × every persona, against an explicit table.

A new view or API operation without a row here (or without a `@rule`) fails this test, so no
page can ship without someone deciding who may open it. Expected statuses are written out by
hand, not derived from the permission module they check.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from mamapro.api import api
from mamapro.conftest import PERSONAS

pytestmark = pytest.mark.django_db


def table(default: int | None = None, **by_persona: int) -> dict[str, int]:
    """Expected status per persona; `default` fills every persona not named."""
    out = {p: default for p in PERSONAS if default is not None}
    out.update(by_persona)
    assert set(out) == set(PERSONAS), f"missing personas: {set(PERSONAS) - set(out)}"
    return out


ALL_OK = table(200)
CARE_TEAM_ONLY = dict(director=200, coordinator=200, outsider=404)
CHILD_READERS = dict(director=200, coordinator=200, tutor=200, outsider=404)
PARTICIPANT_READERS = dict(
    director=200,
    coordinator=200,
    manager=200,
    trainer=200,
    tutor=200,
    psychologist=200,
    outsider=404,
)

# name -> (method, expected statuses; None = anonymous allowed)
WEB: dict[str, tuple[str, dict[str, int]]] = {
    "home": ("get", ALL_OK),
    "healthz": ("get", ALL_OK),
    "login": ("get", table(302)),  # already signed in: straight on
    "logout": ("post", table(302)),
    "set_language": ("post", table(302)),
    "switch_centre": ("post", table(302)),
    "people:participant_list": ("get", table(403, **{**PARTICIPANT_READERS, "outsider": 200})),
    "people:participant_create": ("get", table(403, director=200, coordinator=200, outsider=200)),
    "people:participant_detail": ("get", table(403, **PARTICIPANT_READERS)),
    "people:participant_edit": ("get", table(403, **CARE_TEAM_ONLY)),
    "people:child_create": ("get", table(403, **CARE_TEAM_ONLY)),
    "people:consent_create": ("post", table(403, director=302, coordinator=302, outsider=404)),
    "people:consent_revoke": ("post", table(403, director=302, coordinator=302, outsider=404)),
    "people:child_detail": ("get", table(403, **CHILD_READERS)),
    "people:child_edit": ("get", table(403, **CARE_TEAM_ONLY)),
    "people:adult_create": ("get", table(403, **CARE_TEAM_ONLY)),
    "people:adult_edit": ("get", table(403, **CARE_TEAM_ONLY)),
    "people:adult_delete": ("post", table(403, director=302, coordinator=302, outsider=404)),
}
PUBLIC_WEB = {"healthz", "login", "logout", "set_language"}
# The API's own documentation pages carry no data.
PUBLIC_API_DOCS = {"api:openapi-json", "api:openapi-view"}

CREATE = dict(director=201, coordinator=201)
API: dict[tuple[str, str], dict[str, int]] = {
    ("GET", "/centres"): table(200, norole=403),
    ("GET", "/participants"): table(403, **{**PARTICIPANT_READERS, "outsider": 200}),
    ("POST", "/participants"): table(403, **CREATE, outsider=422),
    ("GET", "/participants/{participant_id}"): table(403, **PARTICIPANT_READERS),
    ("PATCH", "/participants/{participant_id}"): table(403, **CARE_TEAM_ONLY),
    ("GET", "/children"): table(403, director=200, coordinator=200, tutor=200, outsider=200),
    ("POST", "/children"): table(403, **CREATE, outsider=422),
    ("GET", "/children/{child_id}"): table(403, **CHILD_READERS),
    ("PATCH", "/children/{child_id}"): table(403, **CARE_TEAM_ONLY),
    ("GET", "/children/{child_id}/adults"): table(403, **CHILD_READERS),
    ("POST", "/children/{child_id}/adults"): table(403, **CREATE, outsider=404),
    ("PATCH", "/adults/{adult_id}"): table(403, **CARE_TEAM_ONLY),
    ("DELETE", "/adults/{adult_id}"): table(403, director=204, coordinator=204, outsider=404),
}


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


@pytest.fixture
def world(personas, survivor, child, restricted_adult) -> dict[str, Any]:
    from mamapro.people import services

    consent = services.record_consent(survivor, kind="photos", version="2026-1")
    return {
        "participant": survivor,
        "child": child,
        "adult": restricted_adult,
        "consent": consent,
        "almaty": survivor.centre,
    }


def _web_url(name: str, world: dict[str, Any]) -> str:
    from django.urls import reverse

    kwargs_by_name = {
        "people:participant_detail": world["participant"].pk,
        "people:participant_edit": world["participant"].pk,
        "people:child_create": world["participant"].pk,
        "people:consent_create": world["participant"].pk,
        "people:consent_revoke": world["consent"].pk,
        "people:child_detail": world["child"].pk,
        "people:child_edit": world["child"].pk,
        "people:adult_create": world["child"].pk,
        "people:adult_edit": world["adult"].pk,
        "people:adult_delete": world["adult"].pk,
    }
    if name in kwargs_by_name:
        return reverse(name, kwargs={"pk": kwargs_by_name[name]})
    return reverse(name)


WEB_CASES = [(name, persona) for name in WEB for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), WEB_CASES)
def test_web_permission_table(client: Client, world, personas, name: str, persona: str) -> None:
    method, expected = WEB[name]
    client.force_login(personas[persona])
    url = _web_url(name, world)
    data = {"kind": "photos", "version": "2026-2"} if name == "people:consent_create" else {}
    response = getattr(client, method)(url, data)
    assert response.status_code == expected[persona], f"{persona} {method.upper()} {url}"


@pytest.mark.parametrize("name", sorted(WEB))
def test_web_pages_send_anonymous_visitors_to_login(client: Client, world, name: str) -> None:
    method, _expected = WEB[name]
    response = getattr(client, method)(_web_url(name, world))
    if name in PUBLIC_WEB:
        assert response.status_code in {200, 302}
        if response.status_code == 302:
            assert "/login/" not in response["Location"] or name == "logout"
    else:
        assert response.status_code == 302
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
    ids = {
        "participant_id": world["participant"].pk,
        "child_id": world["child"].pk,
        "adult_id": world["adult"].pk,
    }
    url = "/api/v1" + path.format(**ids)
    bodies: dict[tuple[str, str], dict[str, Any]] = {
        ("POST", "/participants"): {
            "centre": world["almaty"].pk,
            "given_name": "Гүлнар",
            "family_name": "Сейітова",
            "phone": "+7 777 000 11 22",
        },
        ("PATCH", "/participants/{participant_id}"): {"status": "resident"},
        ("POST", "/children"): {
            "parent": world["participant"].pk,
            "given_name": "Інжу",
            "birth_date": str(dt.date(2020, 1, 2)),
        },
        ("PATCH", "/children/{child_id}"): {"diet": ["gluten_free", "halal"]},
        ("POST", "/children/{child_id}/adults"): {"name": "Күлпаш апа", "relation": "grandmother"},
        ("PATCH", "/adults/{adult_id}"): {"note": "Court order renewed"},
    }
    return url, bodies.get((method, path))


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
    expected = API[(method, path)][persona]
    assert response.status_code == expected, f"{persona} {method} {url}: {response.content[:300]!r}"
    assert response.status_code != 500


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
