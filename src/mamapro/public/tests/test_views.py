"""Public pages and the two staff lists: what shows, what never shows, pinned query counts."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from mamapro.centres.context import SESSION_KEY
from mamapro.core.models import AuditEntry
from mamapro.people.models import Participant
from mamapro.programs.models import Course, Enrollment, Run, TopicRequest
from mamapro.programs.services.enrollment import enroll
from mamapro.public.models import Application
from mamapro.public.services import applications, topics
from mamapro.public.services.applications import ApplicationInput

pytestmark = pytest.mark.django_db

FORM = {
    "given_name": "Айгерім",
    "family_name": "Сейітқызы",
    "phone": "8 701 555 12 34",
    "language": "kk",
    "seat_wanted": "paid",
    "contact_channels": ["whatsapp"],
    "safe_hours_from": "10:00",
    "safe_hours_to": "13:00",
    "consent": "on",
    "consent_version": "public-2026-1",
}
KK = {"HTTP_ACCEPT_LANGUAGE": "kk"}
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]+"')


def _in(language: str, text: str) -> str:
    with translation.override(language):
        return str(translation.gettext(text))


def _html(client: Client, url: str, **extra) -> str:
    response = client.get(url, **extra)
    assert response.status_code == 200, url
    return response.content.decode()


@pytest.fixture
def workshop(almaty) -> Run:
    course = Course.objects.create(
        title="Как открыть ИП", category="entrepreneurship", is_workshop=True
    )
    day = dt.date.today() + dt.timedelta(days=3)
    return Run.objects.create(
        course=course,
        centre=almaty,
        starts_on=day,
        ends_on=day,
        price=Decimal("0"),
        paid_seats=20,
        free_seats=0,
        speaker="Гүлмира Әбенова",
    )


# --- Catalogue and run page -----------------------------------------------------------------


def test_catalogue_lists_upcoming_runs_per_centre_and_never_names(
    client, run, make_run, astana, workshop, make_women
) -> None:
    full = make_run(astana, paid_seats=1, free_seats=1, title="Компьютерная грамотность")
    woman = make_women(1, centre=astana)[0]
    enroll(full, woman, "paid")
    make_run(status=Run.Status.DRAFT, title="Черновик")
    make_run(starts_in=-2, title="Уже идёт")

    html = _html(client, "/", HTTP_ACCEPT_LANGUAGE="en")
    assert "Mama Pro Алматы" in html
    assert "Mama Pro Астана" in html
    assert "Кәсіпкерлік негіздері" in html
    assert "Компьютерная грамотность" in html
    assert "Черновик" not in html
    assert "Уже идёт" not in html
    assert "Free workshop" in html
    assert "Paid places: waiting list" in html
    assert "Free places: available" in html
    assert "Places available" in html  # the workshop: one kind of place
    assert "15\xa0000\xa0₸" in html
    assert woman.family_name not in html
    # The quick exit sits at the top of the page, before any content.
    assert html.index('id="quick-exit"') < html.index("<main")


def test_catalogue_filters_by_centre(client, run, make_run, astana) -> None:
    make_run(astana, title="Астанинский курс")
    html = _html(client, f"/?centre={astana.pk}")
    assert "Астанинский курс" in html
    assert "Кәсіпкерлік негіздері" not in html
    assert "Кәсіпкерлік негіздері" in _html(client, "/?centre=abc")


@pytest.mark.parametrize("runs", [1, 6])
def test_catalogue_query_count_is_constant(
    client, make_run, astana, django_assert_num_queries, runs, make_women
) -> None:
    for i in range(runs):
        made = make_run(astana if i % 2 else None, starts_in=10 + i)
        enroll(made, make_women(1, centre=made.centre)[0], "paid")
    # centres, runs with their seat counts
    with django_assert_num_queries(2):
        assert client.get("/").status_code == 200


def test_run_page_shows_the_workshop_and_its_apply_link(client, workshop) -> None:
    html = _html(
        client, reverse("public:run_detail", args=[workshop.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "Гүлмира Әбенова" in html
    assert "Free workshop" in html
    assert reverse("public:apply", args=[workshop.pk]) in html


@pytest.mark.parametrize("status", [Run.Status.DRAFT, Run.Status.CANCELLED, Run.Status.CLOSED])
def test_unpublished_runs_are_not_found_in_the_public_layout(client, make_run, status) -> None:
    run = make_run(status=status)
    for name in ("public:run_detail", "public:apply"):
        response = client.get(reverse(name, args=[run.pk]))
        assert response.status_code == 404
        assert b'id="quick-exit"' in response.content


def test_public_pages_are_never_cached(client, run) -> None:
    for url in ("/", reverse("public:apply", args=[run.pk]), reverse("public:topics")):
        assert "no-store" in client.get(url)["Cache-Control"]


# --- Applying -------------------------------------------------------------------------------


def test_the_form_is_in_kazakh_and_prefers_kazakh(client, run) -> None:
    html = _html(client, reverse("public:apply", args=[run.pk]), **KK)
    assert '<html lang="kk">' in html
    assert re.search(r'<input[^>]*value="kk"[^>]*checked', html)
    assert 'autocomplete="off"' in html
    # The consent text is on the page, in the page's language.
    assert _in("kk", "I have read this and I agree") in html


def test_field_errors_are_shown_beside_the_field_in_the_page_language(client, run) -> None:
    data = {**FORM, "phone": "8 701 555 12", "consent": ""}
    response = client.post(reverse("public:apply", args=[run.pk]), data, **KK)
    assert response.status_code == 200
    html = response.content.decode()
    phone_error = _in("kk", "A phone number has 10 digits after +7, e.g. +7 701 123 45 67.")
    assert phone_error != "A phone number has 10 digits after +7, e.g. +7 701 123 45 67."
    assert re.search(r'id="id_phone_error">' + re.escape(phone_error), html)
    assert 'id="id_consent_error"' in html
    assert "Айгерім" in html, "what she typed is still there"
    assert not Participant.objects.exists()


def test_do_not_call_with_only_calls_is_refused_beside_the_channels(client, run) -> None:
    data = {**FORM, "contact_channels": ["call"], "do_not_call": "on"}
    html = client.post(reverse("public:apply", args=[run.pk]), data).content.decode()
    assert 'id="id_contact_channels_error"' in html
    assert not Participant.objects.exists()


def test_a_woman_applies_and_the_coordinator_finds_her(client, run, personas) -> None:
    response = client.post(reverse("public:apply", args=[run.pk]), FORM, **KK)
    assert response.status_code == 302
    assert response["Location"] == reverse("public:applied", args=[run.pk])
    thanks = _html(client, response["Location"], **KK)
    assert run.course.title in thanks

    her = Participant.objects.get()
    assert (her.language, her.status) == ("kk", "applicant")
    client.force_login(personas["coordinator"])
    page = _html(client, reverse("public:staff_applications"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Сейітқызы Айгерім" in page
    assert reverse("people:participant_detail", args=[her.pk]) in page
    # The form held her seat; the coordinator confirms it after speaking to her.
    assert "Seat offered" in page
    assert "The seat is held until" in page
    assert reverse("public:application_confirm", args=[Application.objects.get().pk]) in page


def test_a_repeat_looks_exactly_like_a_first_application(client, run, make_participant) -> None:
    """Typing a phone must not tell anyone whether that woman comes to the centre."""
    stranger = client.post(reverse("public:apply", args=[run.pk]), FORM, **KK)
    make_participant(phone="+77015550000")
    known = client.post(
        reverse("public:apply", args=[run.pk]), {**FORM, "phone": "+7 701 555 00 00"}, **KK
    )
    twice = client.post(reverse("public:apply", args=[run.pk]), FORM, **KK)
    assert stranger.status_code == known.status_code == twice.status_code == 302
    assert stranger["Location"] == known["Location"] == twice["Location"]
    pages = {CSRF.sub("", _html(client, r["Location"], **KK)) for r in (stranger, known, twice)}
    assert len(pages) == 1
    assert Participant.objects.count() == 2
    assert Application.objects.filter(is_repeat=True).count() == 2


def test_applications_closed_after_the_form_was_opened(client, run) -> None:
    url = reverse("public:apply", args=[run.pk])
    assert client.get(url).status_code == 200
    Run.objects.filter(pk=run.pk).update(status=Run.Status.CANCELLED)
    assert client.post(url, FORM).status_code == 404
    assert not Participant.objects.exists()


def test_the_free_place_question_only_where_it_applies(client, run, workshop) -> None:
    course_form = _html(client, reverse("public:apply", args=[run.pk]), HTTP_ACCEPT_LANGUAGE="en")
    assert "I am going through a difficult family situation" in course_form
    assert "domestic violence" not in course_form.lower()
    workshop_form = _html(
        client, reverse("public:apply", args=[workshop.pk]), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "difficult family situation" not in workshop_form
    assert 'type="hidden" name="seat_wanted" value="paid"' in workshop_form
    response = client.post(reverse("public:apply", args=[workshop.pk]), FORM)
    assert response.status_code == 302
    assert Enrollment.objects.get().run == workshop


def test_no_kids_room_questions_when_the_run_has_none(client, make_run) -> None:
    run = make_run(kids_room=False)
    html = _html(client, reverse("public:apply", args=[run.pk]))
    assert 'name="kids_room"' not in html


# --- Staff: applications --------------------------------------------------------------------

APPLICANT = ApplicationInput(
    given_name="Жанар",
    family_name="Омарова",
    phone="+77051112233",
    language="ru",
    seat_wanted="free",
    circumstances=("domestic_violence",),
    contact_channels=("sms",),
    do_not_call=True,
)


def test_applications_are_scoped_to_her_centres_and_the_switcher(
    client, personas, run, make_run, astana
) -> None:
    applications.apply(run, APPLICANT)
    in_astana = make_run(astana, title="Астана курс")
    applications.apply(in_astana, replace(APPLICANT, family_name="Нұрланқызы"))

    client.force_login(personas["outsider"])
    page = _html(client, reverse("public:staff_applications"))
    assert "Нұрланқызы" in page
    assert "Омарова" not in page

    client.force_login(personas["director"])
    assert "Омарова" in _html(client, reverse("public:staff_applications"))
    session = client.session
    session[SESSION_KEY] = astana.pk
    session.save()
    page = _html(client, reverse("public:staff_applications"))
    assert "Нұрланқызы" in page
    assert "Омарова" not in page


def test_the_coordinator_sees_what_to_do_and_the_stated_circumstance_is_audited(
    client, personas, run
) -> None:
    application = applications.apply(run, APPLICANT)
    client.force_login(personas["coordinator"])
    page = _html(client, reverse("public:staff_applications"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Free place asked" in page
    assert "Check her circumstance in person" in page
    assert "Survivor of domestic violence" in page
    assert "Do not call her." in page
    read = AuditEntry.objects.get(action="read_sensitive", object_type="public.application")
    assert read.object_id == str(application.pk)
    assert read.actor == personas["coordinator"]


def test_a_repeat_with_another_name_is_flagged(client, personas, run, make_participant) -> None:
    make_participant(given_name="Әсел", family_name="Қасымова", phone="+77051112233")
    applications.apply(run, replace(APPLICANT, given_name="Ерлан", family_name="Қасымов"))
    client.force_login(personas["coordinator"])
    page = _html(client, reverse("public:staff_applications"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Already registered: her record was not changed" in page
    assert "Қасымов Ерлан" in page
    assert "Someone else may have used her phone" in page


def test_handled_applications_leave_the_new_list(client, personas, run) -> None:
    application = applications.apply(run, APPLICANT)
    client.force_login(personas["coordinator"])
    url = reverse("public:staff_applications")
    response = client.post(
        reverse("public:application_handled", args=[application.pk]), {"next": url}
    )
    assert response["Location"] == url
    assert "Омарова" not in _html(client, url)
    assert "Омарова" in _html(client, url + "?show=all")


def test_outsiders_cannot_handle_another_centre_s_application(client, personas, run) -> None:
    application = applications.apply(run, APPLICANT)
    client.force_login(personas["outsider"])
    url = reverse("public:application_handled", args=[application.pk])
    assert client.post(url).status_code == 404
    application.refresh_from_db()
    assert application.handled_at is None


@pytest.mark.parametrize("count", [2, 12])
def test_applications_query_count_is_constant(
    client, personas, make_run, make_women, django_assert_num_queries, count
) -> None:
    full = make_run(paid_seats=1)
    enroll(full, make_women(1)[0], "paid")  # every paid application below waits in line
    for i in range(count):
        applications.apply(
            full,
            replace(
                APPLICANT,
                phone=f"+7705{i:07d}",
                seat_wanted="paid" if i % 2 else "free",
                circumstances=("stay_at_home",),
            ),
        )
    client.force_login(personas["coordinator"])
    # session, user, memberships, count, page, waitlist positions,
    # audit (head lock, insert, head update), centre switcher
    with django_assert_num_queries(10):
        assert client.get(reverse("public:staff_applications")).status_code == 200


# --- Topics ---------------------------------------------------------------------------------


def test_public_topics_hide_unreviewed_proposals_and_all_counts(
    client, almaty, make_participant
) -> None:
    member = make_participant(phone="+77015551234")
    open_topic = TopicRequest.objects.create(centre=almaty, title="Как открыть ИП")
    held = topics.propose_topic(almaty, title="Секретная тема", details="", phone=member.phone)
    published = topics.propose_topic(almaty, title="Налоги", details="", phone="+77770001122")
    topics.review_topic(published, publish=True)
    topics.vote(open_topic, phone=member.phone)

    html = _html(client, reverse("public:topics"), HTTP_ACCEPT_LANGUAGE="en")
    assert "Как открыть ИП" in html
    assert "Налоги" in html
    assert held.title not in html
    assert not re.search(r"\b1 vote", html)
    assert client.get(reverse("public:topic_vote", args=[held.pk])).status_code == 404


def test_a_vote_answers_the_same_for_members_strangers_and_repeats(
    client, almaty, make_participant
) -> None:
    member = make_participant(phone="+77015551234")
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    url = reverse("public:topic_vote", args=[topic.pk])
    answers = [
        client.post(url, {"phone": phone})
        for phone in ("8 701 555 12 34", "8 701 555 12 34", "+7 777 000 11 22")
    ]
    assert {(r.status_code, r["Location"]) for r in answers} == {(302, "/topics/?done=vote")}
    topics.count_pending_votes()  # the tick
    assert list(topic.votes.values_list("participant_id", flat=True)) == [member.pk]
    assert Participant.objects.count() == 1


def test_a_bad_phone_is_named_on_the_vote_form(client, almaty) -> None:
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    response = client.post(reverse("public:topic_vote", args=[topic.pk]), {"phone": "12"}, **KK)
    assert response.status_code == 200
    assert 'id="id_phone_error"' in response.content.decode()


def test_proposing_a_topic(client, almaty) -> None:
    response = client.post(
        reverse("public:topic_propose"),
        {"centre": almaty.pk, "title": "Английский язык", "details": "", "phone": "+77770001122"},
    )
    assert response["Location"] == "/topics/?done=proposal"
    assert TopicRequest.objects.get().title == "Английский язык"


def test_staff_see_topics_ordered_by_votes_and_review_them(
    client, personas, almaty, make_women
) -> None:
    women = make_women(3)
    few = TopicRequest.objects.create(centre=almaty, title="Мало голосов")
    many = topics.propose_topic(almaty, title="Много голосов", details="", phone=women[0].phone)
    for woman in women:
        topics.vote(many, phone=woman.phone)
    topics.vote(few, phone=women[1].phone)
    topics.count_pending_votes()  # the tick

    client.force_login(personas["comms"])
    page = _html(client, reverse("public:staff_topics"), HTTP_ACCEPT_LANGUAGE="en")
    assert page.index("Много голосов") < page.index("Мало голосов")
    assert "3 votes" in page
    assert "1 vote" in page
    assert "not public yet" in page

    response = client.post(reverse("public:topic_review", args=[many.pk]), {"decision": "publish"})
    assert response.status_code == 302
    assert "Много голосов" in _html(client, reverse("public:topics"))


@pytest.mark.parametrize("count", [2, 10])
def test_staff_topics_query_count_is_constant(
    client, personas, almaty, make_women, django_assert_num_queries, count
) -> None:
    women = make_women(2)
    for i in range(count):
        topic = topics.propose_topic(almaty, title=f"Тема {i}", details="", phone=women[0].phone)
        topics.vote(topic, phone=women[1].phone)
    client.force_login(personas["coordinator"])
    # session, user, memberships, count, page (votes counted, proposal joined), centre switcher
    with django_assert_num_queries(6):
        assert client.get(reverse("public:staff_topics")).status_code == 200
