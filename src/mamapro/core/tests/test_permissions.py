"""Every URL pattern and every API operation × every persona, against an explicit table.

Each app lists its rows in `<app>/tests/permission_rows.py`. A new view or API operation
without a row (or without a `@rule`) fails here, so no page ships without someone deciding
who may open it. Expected statuses are written out by hand, not derived from the permission
module they check.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import html
import importlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.apps import apps
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from mamapro.api import api
from mamapro.conftest import (
    ALIASED_SURVIVOR,
    PERSONAS,
    RESTRICTED_ADULT,
    build_aliased_child,
    build_aliased_survivor,
    build_almaty,
    build_astana,
    build_child,
    build_personas,
    build_survivor,
)
from mamapro.core.tests import attack_counts
from mamapro.core.tests.attack_counts import COUNTS
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


def build_world() -> dict[str, Any]:
    """The table's world: two centres, every persona, the survivor and her son, the aliased
    survivor and her daughter (conftest.ALIASED_SURVIVOR), then each app's rows' objects, then
    the aliased survivor placed in the work of every role (a run, the kids' room, counselling),
    so each role's own pages show her as they would in life."""
    almaty, astana = build_almaty(), build_astana()
    survivor = build_survivor(almaty)
    child = build_child(survivor)
    aliased = build_aliased_survivor(almaty)
    aliased_child = build_aliased_child(aliased)
    w: dict[str, Any] = {
        "personas": build_personas(almaty, astana),
        "participant": survivor,
        "child": child,
        "adult": child.adults.get(authorised=False),
        "almaty": almaty,
        "aliased": aliased,
        "aliased_child": aliased_child,
        "aliased_adult": aliased_child.adults.get(authorised=False),
    }
    for rows in ROWS:
        if rows.build is not None:
            rows.build(w)
    _put_her_in_the_work(w)
    return w


def _put_her_in_the_work(w: dict[str, Any]) -> None:
    """The aliased survivor on a paid seat of the trainer's run, her daughter booked in the
    kids' room, an appointment with the psychologist, a consent, a follow-up and an alert that
    names her daughter's father: every list a role reads has her in it."""
    from django.utils import timezone

    from mamapro.counselling import services as counselling
    from mamapro.kidsroom import services as kids
    from mamapro.kidsroom.models import Alert
    from mamapro.people import services as people
    from mamapro.programs.models import FollowUpTask
    from mamapro.programs.services import enrollment as seats

    her, daughter = w["aliased"], w["aliased_child"]
    enrollment = seats.enroll(w["run"], her, "paid")
    seats.enroll(w["kids_session"].run, her, "paid")
    start = timezone.now() + dt.timedelta(days=2)
    w.update(
        aliased_enrollment=enrollment,
        aliased_fee=enrollment.fee,
        aliased_booking=kids.book(w["kids_session"], daughter),
        aliased_appointment=counselling.book(
            w["personas"]["psychologist"], her, start, start + dt.timedelta(hours=1)
        ),
        aliased_consent=people.record_consent(her, kind="photos", version="2026-1"),
        aliased_follow_up=FollowUpTask.objects.create(
            centre=w["almaty"], enrollment=enrollment, reason=FollowUpTask.Reason.TWO_ABSENCES
        ),
        aliased_alert=Alert.objects.create(
            centre=w["almaty"],
            kind="check_out_blocked",
            child=daughter,
            adult=w["aliased_adult"],
            named=RESTRICTED_ADULT["name"],
        ),
    )


def pointed_at_her(w: dict[str, Any]) -> dict[str, Any]:
    """The same world with every row's object swapped for the aliased survivor's own: each
    row's URL and body then name her, her daughter, the restricted father, her seat…"""
    return {
        **w,
        "participant": w["aliased"],
        "child": w["aliased_child"],
        "adult": w["aliased_adult"],
        "enrollment": w["aliased_enrollment"],
        "fee": w["aliased_fee"],
        "booking": w["aliased_booking"],
        "appointment": w["aliased_appointment"],
        "consent": w["aliased_consent"],
        "follow_up": w["aliased_follow_up"],
        "alert": w["aliased_alert"],
    }


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    """Built once per module inside a transaction that is rolled back at the end (as Django's
    TestCase.setUpTestData does); each test still runs in its own savepoint, so what one
    test changes the next never sees. ~1,000 cases would otherwise rebuild it each time."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
    attack_counts.write("table")


@pytest.fixture
def personas(world: dict[str, Any]) -> dict[str, Any]:
    return world["personas"]


def _web_url(name: str, world: dict[str, Any]) -> str:
    row = WEB[name]
    return reverse(name, kwargs=row.kwargs(world) if row.kwargs else None)


CARE_TEAM = frozenset({"director", "coordinator"})
# The manager reaches women for fees: she holds their phones, never why they are here.
CONTACT = CARE_TEAM | {"manager"}
NOBODY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Marker:
    """Something only `allowed` personas may ever receive, on any path and in any status."""

    what: str
    pattern: re.Pattern[str]
    allowed: frozenset[str]


def _words(*words: str) -> re.Pattern[str]:
    return re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)


def _digits(number: str) -> re.Pattern[str]:
    """A phone number however it is written: +7 708 941-27-63, 8 (708) 9412763…"""
    return re.compile(r"[\s\-().\u00a0]*".join(number))


_SHE = ALIASED_SURVIVOR
_PHONE = _SHE["phone"].removeprefix("+7")
# What only some roles may ever read, and who they are. Every response of the table (page or
# API, allowed or refused) is searched for each marker: a persona outside its list must never
# receive it, whatever the URL, the centre or the status.
MARKERS = [
    # The survivor without an alias (build_survivor) and her son (build_child).
    Marker("her IIN", _words("900215450007"), CARE_TEAM),
    Marker("her address", _words("мкр. 5"), CARE_TEAM),
    Marker("her safe-contact note", _words("Только SMS по будням"), CARE_TEAM),
    Marker("the court order", _words("Protective order 123/2026"), CARE_TEAM),
    # A tutor recognises a restricted adult by first name, initial and relation ("Ерлан Қ."):
    # never his surname, which is so often the mother's own.
    Marker("the restricted father's first name", _words("Ерлан"), CARE_TEAM | {"tutor"}),
    Marker(
        "the restricted father's full name",
        _words("Ерлан Қасымов", "Қасымов Ерлан", "Ерлан Касымов", "Касымов Ерлан"),
        CARE_TEAM,
    ),
    Marker("her son's medication", _words("Депакин"), CARE_TEAM | {"tutor"}),
    Marker("a counselling note", _words("Тревожность после переезда"), frozenset({"psychologist"})),
    # The aliased survivor (conftest.ALIASED_SURVIVOR): rosters show "Гүлнар".
    Marker("her real family name", _words(_SHE["family_name"], "Жанторин"), CARE_TEAM),
    Marker("her real given name", _words(_SHE["given_name"], "Сандугаш"), CARE_TEAM),
    Marker("her patronymic", _words(_SHE["patronymic"], "Бакытжанкызы"), CARE_TEAM),
    Marker("her name in Latin script", _words("Zhantorina", "Sandugash"), CARE_TEAM),
    Marker("her phone", _digits(_PHONE), CONTACT),
    Marker(
        "the last digits of her phone",
        re.compile(r"(?:…|\.\.\.|\*+|•+|x{2,}|X{2,})\s*" + _PHONE[-4:]),
        CONTACT,
    ),
    Marker("her hidden address", _words("Жетісу 41", "Жетису 41"), NOBODY),
    Marker(
        "her daughter's restricted father's surname",
        _words("Дәулетбаев", "Даулетбаев"),
        CARE_TEAM,
    ),
    Marker("the court order on him", _words(RESTRICTED_ADULT["note"], "2-417/2026"), CARE_TEAM),
]


def response_text(response: Any) -> str:
    """What a person would read in the response: JSON with its \\u escapes undone, HTML
    with its character references undone (a name may travel either way)."""
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8", errors="replace")
    kind = response.get("Content-Type", "")
    if "json" in kind and text:
        with contextlib.suppress(ValueError):
            text = json.dumps(json.loads(text), ensure_ascii=False)
    elif "html" in kind:
        text = html.unescape(text)
    return text


def leaks(persona: str, text: str) -> list[str]:
    """The markers in `text` that `persona` may not receive, each with where it stood."""
    found = []
    for marker in MARKERS:
        match = marker.pattern.search(text) if persona not in marker.allowed else None
        if match:
            context = " ".join(text[max(0, match.start() - 60) : match.end() + 30].split())
            found.append(f"{marker.what} («{context}»)")
    return found


def assert_no_leak(persona: str, response: Any, where: str) -> None:
    COUNTS["table:answers searched"] += 1
    found = leaks(persona, response_text(response))
    assert not found, f"{persona} received {', '.join(found)} from {where}"


WEB_CASES = [(name, persona) for name in WEB for persona in PERSONAS]


@pytest.mark.parametrize(("name", "persona"), WEB_CASES)
def test_web_permission_table(client: Client, world, personas, name: str, persona: str) -> None:
    row = WEB[name]
    client.force_login(personas[persona])
    url = _web_url(name, world)
    response = getattr(client, row.method)(url, row.data(world) if row.data else {})
    assert response.status_code == row.expected[persona], f"{persona} {row.method.upper()} {url}"
    assert_no_leak(persona, response, f"{row.method.upper()} {url}")


@pytest.mark.parametrize("name", sorted(WEB))
def test_web_pages_send_anonymous_visitors_to_login(client: Client, world, name: str) -> None:
    row = WEB[name]
    response = getattr(client, row.method)(
        _web_url(name, world), row.data(world) if row.data else {}
    )
    assert_no_leak("anonymous", response, f"{row.method.upper()} {name}")
    if row.anonymous is not None:
        assert response.status_code == row.anonymous, name
    elif row.public:
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
    assert_no_leak(persona, response, f"{method} {url}")


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
        assert_no_leak("anonymous", response, f"{method} {url}")


POSTS = sorted(name for name, row in WEB.items() if row.method == "post" and row.anonymous is None)


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
