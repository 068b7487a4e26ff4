"""Attack suite: the error paths an insider walks on purpose, about the aliased survivor.

A trainer marks her before the session opens and twice absent (the messages name the woman);
a tutor tries to hand her daughter to the restricted father by id and by his first name (the
refusal names him); every role outside the care team searches for her by what the alias
hides (a hit tells the searcher who "Гүлнар" really is). Each answer, and the page its redirect
lands on, is searched for the markers of test_permissions.MARKERS.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction
from django.test import Client
from django.urls import reverse

from mamapro.conftest import ALIASED_SURVIVOR, RESTRICTED_ADULT
from mamapro.core.tests import attack_counts
from mamapro.core.tests.attack_counts import COUNTS
from mamapro.core.tests.test_permissions import build_world, leaks, response_text

pytestmark = pytest.mark.django_db

MARKS = ("present", "late", "excused", "absent", "no-such-mark")


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    with django_db_blocker.unblock(), transaction.atomic():
        yield build_world()
        transaction.set_rollback(True)
    attack_counts.write("paths")


def _signed_in(world: dict[str, Any], persona: str) -> Client:
    client = Client(headers={"Accept-Language": "en"})
    client.force_login(world["personas"][persona])
    return client


def _assert_clean(persona: str, responses: list[tuple[str, Any]]) -> None:
    found = []
    COUNTS["paths:error answers"] += len(responses)
    for where, response in responses:
        bad = leaks(persona, response_text(response))
        if bad:
            found.append(f"{where} [{response.status_code}]: {', '.join(bad)}")
    assert not found, f"{persona} received:\n  " + "\n  ".join(found)


# --- Roll call (finding 1) ------------------------------------------------------------------


def test_roll_call_messages_use_her_roster_name(world) -> None:
    """Marks before the session opens, marks that do not exist, two absences in a row and
    the no-show at her first session: every message names her as the roster does."""
    from mamapro.programs.models import Session

    persona = "trainer"
    client = _signed_in(world, persona)
    her = world["aliased"].pk
    run = world["run"]
    # Her first session, two days ago: absent there and yesterday makes two in a row.
    first = Session.objects.create(
        run=run,
        centre=run.centre,
        starts_at=world["session"].starts_at - dt.timedelta(days=1),
        ends_at=world["session"].ends_at - dt.timedelta(days=1),
    )
    responses = []
    for session in (world["next_session"], first, world["session"]):
        url = reverse("programs:roll_call", args=[session.pk])
        for mark in MARKS:
            responses.append(
                (f"{url} {mark}", client.post(url, {f"mark-{her}": mark}, follow=True))
            )
        responses.append(
            (f"{url} absent", client.post(url, {f"mark-{her}": "absent"}, follow=True))
        )
    for session in (world["next_session"], world["session"]):
        url = f"/api/v1/sessions/{session.pk}/attendance"
        token = _token(world, persona)
        for mark in MARKS:
            response = client.generic(
                "PUT",
                url,
                data=json.dumps([{"participant": her, "status": mark}]),
                content_type="application/json",
                headers=token,
            )
            responses.append((f"PUT {url} {mark}", response))
    _assert_clean(persona, responses)


def _token(world: dict[str, Any], persona: str) -> dict[str, str]:
    from mamapro.core.models import ApiToken

    _t, raw = ApiToken.issue(world["personas"][persona])
    return {"Authorization": f"Bearer {raw}", "Accept-Language": "en"}


# --- Kids' room check-out (findings 13, 20) -------------------------------------------------


def test_a_refused_check_out_never_names_the_restricted_father(world) -> None:
    """The tutor picks the restricted father by id (web and API) and types his first name:
    the refusal may say "Талғат Д." and what to do, never his surname or the court order."""
    tutor = _signed_in(world, "tutor")
    booking = world["aliased_booking"]
    father = world["aliased_adult"]
    first_name = RESTRICTED_ADULT["name"].split()[0]
    responses = [
        (
            "check in",
            tutor.post(
                reverse("kidsroom:check_in", args=[booking.pk]),
                {"brought_by_name": ALIASED_SURVIVOR["alias"]},
                follow=True,
            ),
        )
    ]
    out = reverse("kidsroom:check_out", args=[booking.pk])
    for data in (
        {"collected_by": str(father.pk)},
        {"collected_by_name": first_name},
        {"collected_by_name": f"  {first_name.upper()}  "},
        {"collected_by": str(father.pk), "collected_by_name": first_name},
    ):
        responses.append((f"web check-out {data}", tutor.post(out, data, follow=True)))
    token = _token(world, "tutor")
    for body in (
        {"adult": father.pk},
        {"adult_name": first_name},
    ):
        response = tutor.generic(
            "POST",
            "/api/v1/kidsroom/checkouts",
            data=json.dumps(
                {"child": world["aliased_child"].pk, "session": world["kids_session"].pk, **body}
            ),
            content_type="application/json",
            headers=token,
        )
        responses.append((f"API check-out {body}", response))
    responses.append(("board", tutor.get(reverse("kidsroom:board"))))
    responses.append(("child", tutor.get(reverse("people:child_detail", args=[booking.child_id]))))
    _assert_clean("tutor", responses)
    from mamapro.kidsroom.models import Booking

    assert Booking.objects.get(pk=booking.pk).checked_out_at is None, "she was handed over"


# --- Searching for what the alias hides (findings 3, 11) ------------------------------------

NOT_CARE = ["manager", "trainer", "tutor", "psychologist"]
HIDDEN_PARTS = [
    ALIASED_SURVIVOR["family_name"],
    ALIASED_SURVIVOR["given_name"],
    ALIASED_SURVIVOR["patronymic"],
    "Zhantorina",
    "жанторина сандугаш",
]


@pytest.mark.parametrize("persona", NOT_CARE)
def test_searching_by_her_real_name_finds_nobody(world, token_for, persona: str) -> None:
    """A hit for "Жанторина" listed as "Гүлнар" tells the searcher who Гүлнар is. Her phone
    finds her only for roles that see phones (the manager)."""
    client = _signed_in(world, persona)
    queries = list(HIDDEN_PARTS)
    if persona != "manager":
        queries += [ALIASED_SURVIVOR["phone"], ALIASED_SURVIVOR["phone"][-4:]]
    found = []
    her = world["aliased"]
    detail = reverse("people:participant_detail", args=[her.pk])
    for query in queries:
        COUNTS["paths:searches"] += 2
        page = response_text(client.get(reverse("people:participant_list"), {"q": query}))
        if ALIASED_SURVIVOR["alias"] in page or detail in page:
            found.append(f"page ?q={query}")
        api = client.get(
            "/api/v1/participants", {"search": query}, headers=token_for(world["personas"][persona])
        )
        items = api.json().get("items", []) if api.status_code == 200 else []
        if any(item.get("id") == her.pk for item in items):
            found.append(f"API ?search={query}")
    assert not found, f"{persona} found her by what her alias hides: {found}"
