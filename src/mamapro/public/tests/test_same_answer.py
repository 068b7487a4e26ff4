"""Typing a phone into a public form must not tell whether it belongs to a woman of the
centre: not by the answer, not by the work the server does, not by how long it takes.

Deterministic first: the same number of queries, the same writes (by table), the same answer
bytes for a new phone, a known one, and a known one already in the run. Then the clock: many
alternating tries, the two timing distributions compared by their medians.
"""

from __future__ import annotations

import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mamapro.people.models import Participant
from mamapro.programs.models import Enrollment, TopicRequest
from mamapro.public.models import Application, PendingVote
from mamapro.public.tests.test_views import FORM

pytestmark = pytest.mark.django_db

TRIES = 60
_WRITE = re.compile(r'^\s*(INSERT INTO|UPDATE|DELETE FROM)\s+"?(\w+)"?', re.IGNORECASE)
_SELECT_FROM = re.compile(r'\bFROM\s+"?(\w+)"?', re.IGNORECASE)


@pytest.fixture(autouse=True)
def _no_rate_limit(settings) -> None:
    # Many tries from one test client: the limit has its own tests (test_throttle.py).
    settings.PUBLIC_RATE_LIMITS = {
        "address": (10_000, 600),
        "application": (10_000, 600),
        "vote": (10_000, 600),
        "proposal": (10_000, 600),
    }


def _shape(sql: str) -> tuple[str, str]:
    """What a statement does to which table, without its values."""
    write = _WRITE.match(sql)
    if write:
        return write.group(1).split()[0].upper(), write.group(2)
    if sql.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK")):
        return "SAVEPOINT", ""  # a savepoint kept or rolled back: the same one statement
    table = _SELECT_FROM.search(sql)
    return sql.split()[0].upper(), table.group(1) if table else ""


def _post(client: Client, url: str, data: dict) -> tuple[int, str, bytes, Counter]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post(url, data)
    shapes = Counter(_shape(q["sql"]) for q in queries.captured_queries)
    # The first anonymous event of a minute creates that minute's counter row (core/audit.py,
    # in a savepoint of its own): it depends on the clock, never on the phone.
    minute_rows = shapes.pop(("INSERT", "core_anonymousauditwindow"), 0)
    shapes[("SAVEPOINT", "")] -= 2 * minute_rows
    return response.status_code, response.get("Location", ""), response.content, shapes


def _apply_url(run) -> str:
    return reverse("public:apply", args=[run.pk])


def test_an_application_does_the_same_work_for_new_known_and_enrolled_phones(
    client, make_run, make_participant
) -> None:
    run = make_run(paid_seats=50, free_seats=10)
    url = _apply_url(run)
    known = make_participant(phone="+77015550001")
    enrolled = make_participant(phone="+77015550002")
    _post(client, url, {**FORM, "phone": enrolled.phone})  # now she has her place in the run
    assert Enrollment.objects.filter(participant=enrolled).exists()

    new = _post(client, url, {**FORM, "phone": "+77015550009"})
    repeat = _post(client, url, {**FORM, "phone": known.phone})
    again = _post(client, url, {**FORM, "phone": enrolled.phone})
    assert new[:3] == repeat[:3] == again[:3]
    assert new[0] == 302
    assert sum(new[3].values()) == sum(repeat[3].values()) == sum(again[3].values())
    assert new[3] == repeat[3] == again[3]
    # And the writes that stayed are what each case needs, nothing of the rehearsal.
    assert Application.objects.count() == 4
    assert Enrollment.objects.filter(run=run).count() == 3  # new, known, enrolled once


def test_a_free_place_application_does_the_same_work_for_new_and_known_phones(
    client, make_run, make_participant
) -> None:
    run = make_run(paid_seats=5, free_seats=5)
    url = _apply_url(run)
    known = make_participant(phone="+77015550001", circumstances=("stay_at_home",))
    free = {**FORM, "seat_wanted": "free", "circumstances": ["domestic_violence"]}
    new = _post(client, url, {**free, "phone": "+77015550009"})
    repeat = _post(client, url, {**free, "phone": known.phone})
    assert new[:3] == repeat[:3]
    assert new[3] == repeat[3]
    assert not Enrollment.objects.exists()
    # Her record did not take the circumstance typed by someone with her phone.
    assert list(known.circumstances.values_list("kind", flat=True)) == ["stay_at_home"]


def test_a_vote_and_a_proposal_do_the_same_work_for_members_and_strangers(
    client, almaty, make_participant
) -> None:
    member = make_participant(phone="+77015550001")
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    url = reverse("public:topic_vote", args=[topic.pk])
    stranger = _post(client, url, {"phone": "+77015550009"})
    counted = _post(client, url, {"phone": member.phone})
    twice = _post(client, url, {"phone": member.phone})
    assert stranger[:3] == counted[:3] == twice[:3]
    assert stranger[3] == counted[3] == twice[3]
    assert PendingVote.objects.count() == 3

    propose = reverse("public:topic_propose")
    data = {"centre": almaty.pk, "title": "Английский язык", "details": ""}
    by_stranger = _post(client, propose, {**data, "phone": "+77015550009"})
    by_member = _post(client, propose, {**data, "phone": member.phone})
    assert by_stranger[:3] == by_member[:3]
    assert by_stranger[3] == by_member[3]


def _timings(first: Callable[[int], object], second: Callable[[int], object]) -> tuple:
    """`TRIES` of each, in pairs whose order is shuffled, after a few warm-up tries."""
    rng = random.Random(9)
    a: list[float] = []
    b: list[float] = []
    for i in range(TRIES + 5):
        pair = [(first, a), (second, b)]
        rng.shuffle(pair)
        for action, into in pair:
            start = time.perf_counter()
            action(i)
            elapsed = time.perf_counter() - start
            if i >= 5:
                into.append(elapsed)
    return a, b


def _assert_alike(a: list[float], b: list[float]) -> None:
    ma, mb = statistics.median(a), statistics.median(b)
    gap = abs(ma - mb)
    assert gap <= max(0.003, 0.25 * min(ma, mb)), (
        f"medians {ma * 1000:.1f} ms and {mb * 1000:.1f} ms differ by {gap * 1000:.1f} ms"
    )
    # The middle halves overlap: neither answer is told apart by its usual time.
    qa, qb = statistics.quantiles(a, n=4), statistics.quantiles(b, n=4)
    assert qa[0] <= qb[2], (qa, qb)
    assert qb[0] <= qa[2], (qa, qb)


def test_an_application_takes_as_long_for_a_known_phone_as_for_a_new_one(
    client, make_run, make_women
) -> None:
    run = make_run(paid_seats=500, free_seats=0)
    url = _apply_url(run)
    known = make_women(TRIES + 5)
    statuses: set[int] = set()

    def new_phone(i: int) -> None:
        statuses.add(client.post(url, {**FORM, "phone": f"+7705{i:07d}"}).status_code)

    def known_phone(i: int) -> None:
        statuses.add(client.post(url, {**FORM, "phone": known[i].phone}).status_code)

    unknown_times, known_times = _timings(new_phone, known_phone)
    assert statuses == {302}
    _assert_alike(unknown_times, known_times)


def test_a_vote_takes_as_long_for_a_member_as_for_a_stranger(client, almaty, make_women) -> None:
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    url = reverse("public:topic_vote", args=[topic.pk])
    members = make_women(TRIES + 5)
    statuses: set[int] = set()

    def stranger(i: int) -> None:
        statuses.add(client.post(url, {"phone": f"+7705{i:07d}"}).status_code)

    def member(i: int) -> None:
        statuses.add(client.post(url, {"phone": members[i].phone}).status_code)

    stranger_times, member_times = _timings(stranger, member)
    assert statuses == {302}
    _assert_alike(stranger_times, member_times)


def test_a_disguised_name_is_refused_beside_the_field_alike_for_known_and_new_phones(
    client, run, make_participant
) -> None:
    """A right-to-left override in a name is refused before any phone is looked at."""
    from mamapro.public.tests.test_views import CSRF

    known = make_participant(phone="+77015550001")
    url = _apply_url(run)
    disguised = {**FORM, "given_name": "Айгерім\u202e", "family_name": "Сейіт\u200bқызы"}
    pages = []
    for phone in (known.phone, "+77015550009"):
        response = client.post(url, {**disguised, "phone": phone})
        assert response.status_code == 200
        pages.append(CSRF.sub("", response.content.decode()).replace(phone, ""))
    assert 'id="id_given_name_error"' in pages[0]
    assert 'id="id_family_name_error"' in pages[0]
    assert "U+202E" in pages[0]
    assert pages[0] == pages[1].replace("+77015550009", "")
    assert not Application.objects.exists()
    assert Participant.objects.count() == 1


def test_a_disguised_topic_title_is_refused(client, almaty) -> None:
    response = client.post(
        reverse("public:topic_propose"),
        {"centre": almaty.pk, "title": "Английский\u202e язык", "phone": "+77015550009"},
    )
    assert response.status_code == 200
    assert 'id="id_title_error"' in response.content.decode()
    assert not TopicRequest.objects.exists()
    assert not PendingVote.objects.exists()
