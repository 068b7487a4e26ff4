"""The rate limit on every public POST: per address and per phone, 429 with Retry-After and a
translated message, counted in database rows that keep neither the address nor the phone."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from mamapro.people.models import Participant
from mamapro.programs.models import TopicRequest
from mamapro.public import throttle
from mamapro.public.models import Application, PendingVote, PublicAttempt
from mamapro.public.tests.test_views import CSRF, FORM

pytestmark = pytest.mark.django_db

KK = {"HTTP_ACCEPT_LANGUAGE": "kk"}


@pytest.fixture
def limits(settings) -> None:
    settings.PUBLIC_RATE_LIMITS = {
        "address": (4, 600),
        "application": (2, 24 * 3600),
        "vote": (2, 24 * 3600),
        "proposal": (2, 24 * 3600),
    }


def _from(address: str) -> dict[str, str]:
    return {"REMOTE_ADDR": address}


def _kk(text: str) -> str:
    with translation.override("kk"):
        return str(translation.gettext(text))


def test_an_address_over_its_limit_is_refused_with_429_and_nothing_is_written(
    client, run, limits
) -> None:
    url = reverse("public:apply", args=[run.pk])
    for n in range(4):
        response = client.post(url, {**FORM, "phone": f"+7701555{n:04d}"}, **_from("10.0.0.1"))
        assert response.status_code == 302
    refused = client.post(url, {**FORM, "phone": "+77015559999"}, **_from("10.0.0.1"), **KK)
    assert refused.status_code == 429
    assert 500 < int(refused["Retry-After"]) <= 600
    assert _kk("Too many requests") in refused.content.decode()
    assert Application.objects.count() == 4
    assert not Participant.objects.filter(phone="+77015559999").exists()
    # Another address is not held back by this one.
    other = client.post(url, {**FORM, "phone": "+77015559999"}, **_from("10.0.0.2"))
    assert other.status_code == 302


def test_invalid_posts_count_for_the_address_too(client, run, limits) -> None:
    url = reverse("public:apply", args=[run.pk])
    for _ in range(4):
        assert client.post(url, {"phone": "12"}, **_from("10.0.0.1")).status_code == 200
    assert client.post(url, FORM, **_from("10.0.0.1")).status_code == 429
    assert not Application.objects.exists()


def test_a_phone_over_its_limit_is_refused_from_any_address(client, run, limits) -> None:
    url = reverse("public:apply", args=[run.pk])
    for n in range(2):
        assert client.post(url, FORM, **_from(f"10.0.1.{n}")).status_code == 302
    refused = client.post(url, FORM, **_from("10.0.1.9"))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 23 * 3600
    assert Application.objects.count() == 2
    # The same phone written another way is the same phone.
    assert (
        client.post(url, {**FORM, "phone": "8 (701) 555-12-34"}, **_from("10.0.1.8")).status_code
        == 429
    )
    assert (
        client.post(url, {**FORM, "phone": "+77015550000"}, **_from("10.0.1.9")).status_code == 302
    )


def test_the_refusal_is_the_same_for_a_known_and_an_unknown_phone(
    client, run, limits, make_participant
) -> None:
    known = make_participant(phone="+77015550001")
    url = reverse("public:apply", args=[run.pk])
    answers = []
    for phone in (known.phone, "+77015550002"):
        for n in range(2):
            client.post(url, {**FORM, "phone": phone}, **_from(f"10.0.2.{n}"))
        answers.append(client.post(url, {**FORM, "phone": phone}, **_from("10.0.2.9")))
    assert [a.status_code for a in answers] == [429, 429]
    # Byte for byte, but for the CSRF token of the language switch (masked anew each time).
    same = [CSRF.sub("", a.content.decode()) for a in answers]
    assert same[0] == same[1]


def test_votes_and_proposals_are_limited_and_a_refused_vote_keeps_no_phone(
    client, almaty, limits
) -> None:
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    vote = reverse("public:topic_vote", args=[topic.pk])
    for n in range(2):
        assert (
            client.post(vote, {"phone": "+77015551234"}, **_from(f"10.0.3.{n}")).status_code == 302
        )
    refused = client.post(vote, {"phone": "+77015551234"}, **_from("10.0.3.9"))
    assert refused.status_code == 429
    assert "Retry-After" in refused
    assert PendingVote.objects.count() == 2

    propose = reverse("public:topic_propose")
    data = {"centre": almaty.pk, "title": "Английский язык", "details": "", "phone": "+77015551234"}
    for n in range(2):
        assert client.post(propose, data, **_from(f"10.0.4.{n}")).status_code == 302
    assert client.post(propose, data, **_from("10.0.4.9")).status_code == 429
    assert TopicRequest.objects.filter(title="Английский язык").count() == 2
    # The address limit covers every form together.
    for _ in range(2):
        client.get(reverse("public:topics"), **_from("10.0.5.1"))  # reading costs nothing
    for n in range(4):
        client.post(vote, {"phone": f"+7701666{n:04d}"}, **_from("10.0.5.1"))
    assert (
        client.post(propose, {**data, "phone": "+77016669999"}, **_from("10.0.5.1")).status_code
        == 429
    )


def test_old_attempts_leave_the_window_and_the_tick_forgets_them(client, run, limits) -> None:
    url = reverse("public:apply", args=[run.pk])
    for n in range(4):
        client.post(url, {**FORM, "phone": f"+7701555{n:04d}"}, **_from("10.0.6.1"))
    PublicAttempt.objects.update(at=timezone.now() - dt.timedelta(minutes=11))
    assert (
        client.post(url, {**FORM, "phone": "+77015559999"}, **_from("10.0.6.1")).status_code == 302
    )
    PublicAttempt.objects.update(at=timezone.now() - dt.timedelta(days=2))
    assert throttle.prune() > 0
    assert not PublicAttempt.objects.exists()


def test_the_counts_keep_neither_the_address_nor_the_phone(client, run) -> None:
    client.post(reverse("public:apply", args=[run.pk]), FORM, **_from("203.0.113.77"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT key FROM public_publicattempt")
        keys = [row[0] for row in cursor.fetchall()]
    assert len(keys) == 2  # the address, the phone
    for key in keys:
        assert "203.0.113" not in key
        assert "7015551234" not in key
        assert len(key) == 64
