"""Her offer link: the token, the page at /offers/<token>, accept and decline from it."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from mamapro.core.models import AuditEntry
from mamapro.notify import offer_links
from mamapro.people.models import Participant
from mamapro.people.safe_contact import is_discreet
from mamapro.programs.models import Enrollment, Run

pytestmark = pytest.mark.django_db
Status = Enrollment.Status


def _offer(run: Run, woman: Participant, *, hours: float = 48) -> Enrollment:
    """An offer as the seat service leaves one (status, offered_at, expiry)."""
    now = timezone.now()
    return Enrollment.objects.create(
        run=run,
        centre=run.centre,
        participant=woman,
        seat_type=Enrollment.SeatType.PAID,
        status=Status.OFFERED,
        offered_at=now,
        offer_expires_at=now + dt.timedelta(hours=hours),
    )


def _url(enrollment: Enrollment) -> str:
    return reverse("notify_offer", kwargs={"token": offer_links.make_token(enrollment)})


def _text(response: Any) -> str:
    """What the page says (tags and attributes removed)."""
    body = response.content.decode()
    body = re.sub(r"<(script|style)[^>]*>.*?</\1>", " ", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


@pytest.fixture
def small_run(make_run: Any) -> Run:
    run: Run = make_run(paid_seats=1, free_seats=0, title="Тігін шеберханасы")
    return run


@pytest.fixture
def woman(make_participant: Any) -> Participant:
    p: Participant = make_participant(language="kk")
    return p


# --- The token -----------------------------------------------------------------------------
def test_the_token_is_short_enough_for_an_sms(small_run: Run, woman: Participant) -> None:
    offer = _offer(small_run, woman)
    token = offer_links.make_token(offer)
    assert len(token) <= 40, token
    assert re.fullmatch(r"[0-9a-z]+-[0-9a-z]+\.[A-Za-z0-9_-]{22}", token)
    claim = offer_links.read_token(token)
    assert claim is not None
    assert claim.matches(offer)


def test_a_token_altered_anywhere_is_refused(small_run: Run, woman: Participant) -> None:
    token = offer_links.make_token(_offer(small_run, woman))
    for i, ch in enumerate(token):
        other = "b" if ch != "b" else "c"
        assert offer_links.read_token(token[:i] + other + token[i + 1 :]) is None
    assert offer_links.read_token(token[:-1]) is None
    assert offer_links.read_token("") is None
    assert offer_links.read_token("x" * 500) is None


def test_a_token_for_another_enrollment_cannot_be_forged(
    small_run: Run, woman: Participant, make_participant: Any
) -> None:
    mine = _offer(small_run, woman)
    token = offer_links.make_token(mine)
    value, _sep, signature = token.partition(".")
    other_id = offer_links._base36(mine.pk + 1)
    forged = other_id + value[value.index("-") :] + "." + signature
    assert offer_links.read_token(forged) is None


# --- The page ------------------------------------------------------------------------------
def test_her_page_shows_the_offer_in_her_language_with_safe_headers(
    client: Client, small_run: Run, woman: Participant, django_assert_max_num_queries: Any
) -> None:
    offer = _offer(small_run, woman)
    with django_assert_max_num_queries(4):
        response = client.get(_url(offer))
    assert response.status_code == 200
    assert response["Content-Language"] == "kk"
    assert '<html lang="kk">' in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert response["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response["X-Robots-Tag"]
    text = _text(response)
    assert "Тігін шеберханасы" in text
    assert small_run.centre.name in text
    assert 'id="quick-exit"' in response.content.decode()
    assert 'name="csrfmiddlewaretoken"' in response.content.decode()
    # The language switcher keeps her on this page.
    assert 'name="lang" value="ru"' in response.content.decode()
    assert client.get(_url(offer) + "?lang=ru")["Content-Language"] == "ru"


def test_a_survivors_page_names_nothing(
    client: Client, small_run: Run, survivor: Participant
) -> None:
    offer = _offer(small_run, survivor)
    response = client.get(_url(offer) + "?lang=en")
    assert response.status_code == 200
    text = _text(response)
    assert "A place is kept for you until" in text
    for revealing in ("Тігін", small_run.centre.name, small_run.centre.city, "Mama Pro"):
        assert revealing not in response.content.decode()
    assert is_discreet(text)
    for lang in ("kk", "ru"):
        assert is_discreet(_text(client.get(_url(offer) + f"?lang={lang}")))


def test_a_woman_who_asked_for_discretion_gets_the_discreet_page(
    client: Client, small_run: Run, make_participant: Any
) -> None:
    her = make_participant(discreet=True)
    response = client.get(_url(_offer(small_run, her)))
    assert "Тігін" not in response.content.decode()
    assert small_run.centre.name not in response.content.decode()
    # The quick exit stays (Shift three times too) but says only "close": a labelled quick
    # exit is what survivors' support sites have (an attack on the demo pointed it out).
    page = response.content.decode()
    assert 'id="quick-exit"' in page
    for hint in ("Quick exit", "Быстрый выход", "Жылдам шығу", "Shift"):
        assert hint not in page


def test_accept_confirms_her_seat_once(client: Client, small_run: Run, woman: Participant) -> None:
    offer = _offer(small_run, woman)
    url = _url(offer)
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 200
    offer.refresh_from_db()
    assert offer.status == Status.CONFIRMED
    entry = AuditEntry.objects.filter(object_id=str(offer.pk)).order_by("-id").first()
    assert entry is not None
    assert entry.details["event"] == "offer_accepted"
    assert entry.actor is None
    # The link works once: a second answer changes nothing.
    again = client.post(url, {"action": "decline"})
    assert again.status_code == 410
    assert client.get(url).status_code == 410
    offer.refresh_from_db()
    assert offer.status == Status.CONFIRMED


def test_decline_passes_the_seat_to_the_next_woman(
    client: Client, small_run: Run, woman: Participant, make_participant: Any
) -> None:
    offer = _offer(small_run, woman)
    next_one = Enrollment.objects.create(
        run=small_run,
        centre=small_run.centre,
        participant=make_participant(),
        seat_type=Enrollment.SeatType.PAID,
        status=Status.WAITLISTED,
    )
    response = client.post(_url(offer), {"action": "decline"})
    assert response.status_code == 200
    offer.refresh_from_db()
    next_one.refresh_from_db()
    assert (offer.status, offer.end_reason) == (Status.WITHDRAWN, "declined_offer")
    assert next_one.status == Status.OFFERED


def test_an_expired_link_answers_a_clear_page_and_keeps_the_seat(
    client: Client, small_run: Run, woman: Participant
) -> None:
    offer = _offer(small_run, woman, hours=-1)
    url = _url(offer)
    assert client.get(url).status_code == 410
    response = client.post(url, {"action": "accept"})
    assert response.status_code == 410
    assert "Бұл ұсыныстың мерзімі аяқталды" in _text(response)  # her language (kk)
    offer.refresh_from_db()
    assert offer.status == Status.OFFERED  # untouched: the sweep passes it on


def test_an_old_offers_link_cannot_take_a_new_offer(
    client: Client, small_run: Run, woman: Participant
) -> None:
    offer = _offer(small_run, woman)
    old_url = _url(offer)
    # Offered again later (she declined, joined the line again and a seat came free).
    later = timezone.now() + dt.timedelta(minutes=5)
    offer.offered_at, offer.offer_expires_at = later, later + dt.timedelta(hours=48)
    offer.save()
    assert client.post(old_url, {"action": "accept"}).status_code == 410
    offer.refresh_from_db()
    assert offer.status == Status.OFFERED


def test_a_tampered_link_is_not_found(client: Client, small_run: Run, woman: Participant) -> None:
    url = _url(_offer(small_run, woman))
    response = client.get(url[:-2] + "xx")
    assert response.status_code == 404
    assert "This link is not valid" in _text(response)
    assert client.post(url[:-2] + "xx", {"action": "accept"}).status_code == 404


def test_a_post_without_a_choice_names_it(
    client: Client, small_run: Run, woman: Participant
) -> None:
    offer = _offer(small_run, woman)
    response = client.post(_url(offer) + "?lang=en", {"action": "both"})
    assert response.status_code == 400
    assert "Choose “Accept” or “Decline”." in _text(response)
    offer.refresh_from_db()
    assert offer.status == Status.OFFERED


def test_the_post_needs_the_pages_csrf_token(small_run: Run, woman: Participant) -> None:
    strict = Client(enforce_csrf_checks=True)
    offer = _offer(small_run, woman)
    assert strict.post(_url(offer), {"action": "accept"}).status_code == 403
    page = strict.get(_url(offer))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode())
    assert token is not None
    answer = strict.post(_url(offer), {"action": "accept", "csrfmiddlewaretoken": token.group(1)})
    assert answer.status_code == 200
    offer.refresh_from_db()
    assert offer.status == Status.CONFIRMED


def test_posts_are_rate_limited_per_address(
    client: Client, settings: Any, small_run: Run, woman: Participant
) -> None:
    settings.PUBLIC_RATE_LIMITS = {"address": (2, 600)}
    offer = _offer(small_run, woman)
    url = _url(offer)
    assert client.post(url, {"action": "nothing"}).status_code == 400
    assert client.post(url, {"action": "nothing"}).status_code == 400
    refused = client.post(url, {"action": "accept"})
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    offer.refresh_from_db()
    assert offer.status == Status.OFFERED


def test_in_english_the_time_is_on_the_24_hour_clock_and_the_sentence_ends_once(
    client: Client, small_run: Run, make_participant: Any
) -> None:
    her = make_participant(language="en")
    page = _text(client.get(_url(_offer(small_run, her))))
    assert "p.m." not in page
    assert "a.m." not in page
    assert ".." not in page
