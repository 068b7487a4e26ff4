"""`render`: the newest words, in her language and her centre's time, filled from the
delivery's subject; a discreet message never names the centre's purpose; placeholders reach
no attribute of anything."""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from mamapro.centres.models import Centre, Room
from mamapro.core.regions import Region
from mamapro.notify import templates
from mamapro.notify.models import Delivery, MessageTemplate
from mamapro.people.models import Participant
from mamapro.programs.models import Enrollment, Run, Session
from mamapro.programs.services import enrollment as seats

pytestmark = pytest.mark.django_db

ALMATY = ZoneInfo("Asia/Almaty")
SITE = "https://centre.example.kz"


def _delivery(
    her: Participant, kind: str, subject: Any = None, *, language: str = "", **context: Any
) -> Delivery:
    return Delivery(
        centre=her.centre,
        participant=her,
        kind=kind,
        channel="sms",
        language=language or her.language,
        subject_type=subject._meta.label_lower if subject is not None else "",
        subject_id=str(subject.pk) if subject is not None else "",
        context=context,
        idempotency_key=f"test:{kind}:{her.pk}",
    )


def _offer(run: Run, her: Participant, expires: dt.datetime) -> Enrollment:
    enrollment = seats.enroll(run, her, "paid")
    Enrollment.objects.filter(pk=enrollment.pk).update(
        status=Enrollment.Status.OFFERED,
        offered_at=expires - dt.timedelta(hours=48),
        offer_expires_at=expires,
    )
    return Enrollment.objects.get(pk=enrollment.pk)


@override_settings(SITE_URL=SITE)
def test_an_offer_in_kazakh_names_her_course_her_time_and_her_link(
    run: Run, make_participant: Any
) -> None:
    her = make_participant(given_name="Жанар", language="kk")
    enrollment = _offer(run, her, dt.datetime(2026, 12, 3, 13, 0, tzinfo=dt.UTC))
    done = templates.render(
        _delivery(her, "offer", enrollment, path="/offers/abc/"), discreet=False
    )
    assert done.text == (
        "Жанар, «Кәсіпкерлік негіздері» курсында сізге 3 желтоқсан 18:00 дейін орын бар. "
        f"Қабылдау немесе бас тарту: {SITE}/offers/abc/"
    )
    assert done.subject == "Сізге хабарлама"
    assert done.template is None  # nobody edited it: the shipped words
    assert done.whatsapp_name == "offer_standard"
    assert done.whatsapp_params == (
        "Жанар",
        "Кәсіпкерлік негіздері",
        "3 желтоқсан 18:00",
        f"{SITE}/offers/abc/",
    )


@override_settings(SITE_URL=SITE)
def test_a_discreet_offer_names_neither_course_nor_centre(run: Run, make_participant: Any) -> None:
    her = make_participant(language="ru")
    enrollment = _offer(run, her, dt.datetime(2026, 12, 3, 13, 0, tzinfo=dt.UTC))
    done = templates.render(_delivery(her, "offer", enrollment, path="/offers/abc/"), discreet=True)
    assert (
        done.text
        == f"Для вас сохранено место до 3 декабря 18:00. Ответ по ссылке: {SITE}/offers/abc/"
    )
    assert "Кәсіпкерлік" not in done.text
    assert "Mama Pro" not in done.text
    assert done.whatsapp_name == "offer_discreet"


def test_the_newest_version_is_the_one_rendered(run: Run, make_participant: Any) -> None:
    her = make_participant(language="en", given_name="Aida")
    for version, words in ((1, "Old words {name}"), (3, "Newest words {name}"), (2, "Middle")):
        MessageTemplate.objects.create(
            kind="confirmed", variant="standard", language="en", version=version, text=words
        )
    MessageTemplate.objects.create(  # another language's newer version does not count
        kind="confirmed", variant="standard", language="ru", version=9, text="Русский"
    )
    enrollment = seats.enroll(run, her, "paid")
    done = templates.render(_delivery(her, "confirmed", enrollment), discreet=False)
    assert done.text == "Newest words Aida"
    assert done.template is not None
    assert done.template.version == 3


def test_her_alias_never_her_family_name(run: Run, make_participant: Any) -> None:
    hidden = make_participant(given_name="Сандуғаш", family_name="Жанторина", alias="Гүлнар")
    plain = make_participant(given_name="Меруерт", family_name="Ахметова")
    for her, expected in ((hidden, "Гүлнар"), (plain, "Меруерт")):
        enrollment = seats.enroll(run, her, "paid")
        text = templates.render(_delivery(her, "confirmed", enrollment), discreet=False).text
        assert text.startswith(f"{expected}, ")
        assert her.family_name not in text
    assert (
        "Сандуғаш"
        not in templates.render(_delivery(hidden, "confirmed", enrollment), discreet=False).text
    )


def test_the_reminder_tells_the_time_in_her_centre_s_zone(
    make_participant: Any, course: Any
) -> None:
    """A centre in Aqtobe (UTC+5) and the server in Almaty: 13:00 UTC is 18:00 there."""
    aqtobe = Centre.objects.create(
        name="Mama Pro Ақтөбе", city="Ақтөбе", region=Region.AKTOBE, timezone="Asia/Aqtobe"
    )
    room = Room.objects.create(centre=aqtobe, name="Аудитория 3", kind="classroom", capacity=12)
    run = Run.objects.create(
        course=course, centre=aqtobe, starts_on=dt.date(2026, 12, 2), ends_on=dt.date(2026, 12, 30)
    )
    session = Session.objects.create(
        run=run,
        centre=aqtobe,
        room=room,
        starts_at=dt.datetime(2026, 12, 2, 13, 0, tzinfo=dt.UTC),
        ends_at=dt.datetime(2026, 12, 2, 15, 0, tzinfo=dt.UTC),
    )
    her = make_participant(aqtobe, language="ru")
    done = templates.render(
        _delivery(her, "reminder", session, language="en", kids_room=2), discreet=False
    )
    assert done.text == (
        "Reminder: “Кәсіпкерлік негіздері” on 2 December 18:00, Аудитория 3. "
        "Kids' room booked for 2 children."
    )
    alone = templates.render(_delivery(her, "reminder", session), discreet=False)
    assert alone.text == "Напоминаем: «Кәсіпкерлік негіздері» — 2 декабря 18:00, Аудитория 3."
    assert templates.render(
        _delivery(her, "reminder", session, kids_room=2), discreet=True
    ).text == ("Напоминание: 2 декабря 18:00. Ответьте СТОП, чтобы больше не получать сообщений.")


def test_confirmed_names_the_first_session(run: Run, make_participant: Any, almaty: Centre) -> None:
    her = make_participant(language="en", given_name="Aida")
    for day in (5, 3, 4):
        Session.objects.create(
            run=run,
            centre=almaty,
            starts_at=dt.datetime(2026, 12, day, 10, 0, tzinfo=ALMATY),
            ends_at=dt.datetime(2026, 12, day, 12, 0, tzinfo=ALMATY),
            cancelled=day == 3,
        )
    enrollment = seats.enroll(run, her, "paid")
    text = templates.render(_delivery(her, "confirmed", enrollment), discreet=False).text
    assert "First session: 4 December 10:00." in text


def test_a_discreet_message_that_names_the_centre_s_purpose_is_refused(
    make_participant: Any,
) -> None:
    her = make_participant(language="ru")
    delivery = _delivery(her, "roster_message")
    delivery.body = "Завтра психолог принимает в кабинете 2."
    assert "психолог" in templates.render(delivery, discreet=False).text
    with pytest.raises(templates.NotDiscreet, match="names what the centre is for"):
        templates.render(delivery, discreet=True)
    delivery.body = "Завтра занятие в 10:00."
    assert templates.render(delivery, discreet=True).text == "Завтра занятие в 10:00."
    assert (
        templates.render(delivery, discreet=False).text
        == "Mama Pro Алматы: Завтра занятие в 10:00."
    )


@pytest.mark.parametrize(
    "words",
    [
        "{name.__class__}",
        "{name.__init__.__globals__}",
        "{name[0]}",
        "{name!r}",
        "{0}",
        "{name:>99999999}",
        "{message.__class__.__mro__}",
    ],
)
def test_a_placeholder_reaches_no_attribute_even_when_stored_unchecked(
    make_participant: Any, words: str
) -> None:
    """A row written around the editor (the admin, a migration) still cannot reach inside."""
    MessageTemplate.objects.create(kind="stopped", variant="standard", language="kk", text=words)
    her = make_participant()
    with pytest.raises(ValueError, match="unknown placeholder"):
        templates.render(_delivery(her, "stopped"), discreet=False)


def test_a_language_she_does_not_have_falls_back_to_hers(make_participant: Any) -> None:
    her = make_participant(language="en")
    assert templates.render(_delivery(her, "stopped", language="xx"), discreet=True).text == (
        "Done: no more messages here."
    )


def test_a_batch_renders_in_a_constant_number_of_queries(
    make_participant: Any, make_run: Any, django_assert_num_queries: Any, almaty: Centre
) -> None:
    deliveries = []
    for i in range(12):
        run = make_run(title=f"Run {i}")
        Session.objects.create(
            run=run,
            centre=almaty,
            starts_at=dt.datetime(2026, 12, 4, 10, 0, tzinfo=ALMATY),
            ends_at=dt.datetime(2026, 12, 4, 12, 0, tzinfo=ALMATY),
        )
        her = make_participant(language=("kk", "ru", "en")[i % 3])
        enrollment = seats.enroll(run, her, "paid")
        deliveries.append(
            _delivery(her, ("confirmed", "absence", "certificate")[i % 3], enrollment)
        )
    for d in deliveries:  # the caller loads her (the worker selects her with the row)
        d.participant = Participant.objects.get(pk=d.participant_id or 0)
    renderer = templates.Renderer()
    # The templates, the enrollments (with run and course), the runs' first sessions, the centres.
    with django_assert_num_queries(4):
        renderer.prefetch(deliveries)
        texts = [renderer.render(d, discreet=False).text for d in deliveries]
    assert "«Run 0»" in texts[0]
    assert "“Run 2”" in texts[2]
    assert "4 желтоқсан 10:00" in texts[0]


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_every_discreet_kind_rendered_from_real_objects_gives_nothing_away(
    make_participant: Any, make_run: Any, almaty: Centre, language: str
) -> None:
    """A course, a room and a topic that name the centre's purpose, at "Mama Pro": the
    discreet words of every kind, filled from them, still say nothing of it."""
    from mamapro.notify.models import MessageKind
    from mamapro.people import safe_contact
    from mamapro.programs.models import Certificate

    room = Room.objects.create(
        centre=almaty, name="Кабинет психолога", kind="classroom", capacity=5
    )
    run = make_run(title="Психология для мам особых детей")
    session = Session.objects.create(
        run=run,
        centre=almaty,
        room=room,
        topic="Как уйти от насилия",
        starts_at=dt.datetime(2026, 12, 4, 10, 0, tzinfo=ALMATY),
        ends_at=dt.datetime(2026, 12, 4, 12, 0, tzinfo=ALMATY),
    )
    her = make_participant(language=language)
    enrollment = _offer(run, her, dt.datetime(2026, 12, 3, 13, 0, tzinfo=dt.UTC))
    certificate = Certificate.objects.create(
        enrollment=enrollment, centre=almaty, code="ABC123", language=language
    )
    subjects: dict[str, Any] = {
        "reminder": session,
        "certificate": certificate,
        "workshop": run,
        "roster_message": run,
        "telegram_link": None,
        "stopped": None,
        "staff_alert": None,
    }
    for kind in MessageKind.values:
        delivery = _delivery(
            her, kind, subjects.get(kind, enrollment), path="/offers/x/", kids_room=2
        )
        delivery.body = "До встречи."
        standard = templates.render(delivery, discreet=False)
        done = templates.render(delivery, discreet=True)
        assert safe_contact.is_discreet(done.text), (kind, done.text)
        assert safe_contact.is_discreet(done.subject)
        for word in ("Психология", "психолог", "насили", "Mama Pro", "Kids", "детск", "бала"):
            assert word.casefold() not in done.text.casefold(), (kind, done.text)
        if kind in {"offer", "confirmed", "reminder", "certificate", "no_show", "absence"}:
            assert "Психология для мам" in standard.text  # the standard one does name it


def test_a_discreet_link_never_carries_the_centre_s_domain(run: Run, make_participant: Any) -> None:
    her = make_participant(language="ru")
    enrollment = _offer(run, her, dt.datetime(2026, 12, 3, 13, 0, tzinfo=dt.UTC))
    delivery = _delivery(her, "offer", enrollment, path="/offers/abc/")
    with override_settings(SITE_URL="https://mamapro.kz", DISCREET_SITE_URL=""):
        # The standard text may name the site; the discreet one is refused, never sent.
        assert "https://mamapro.kz/offers/abc/" in templates.render(delivery, discreet=False).text
        with pytest.raises(templates.NotDiscreet):
            templates.render(delivery, discreet=True)
    with override_settings(SITE_URL="https://mamapro.kz", DISCREET_SITE_URL="https://c.example.kz"):
        done = templates.render(delivery, discreet=True)
        assert done.text.endswith("https://c.example.kz/offers/abc/")
        assert "https://mamapro.kz/offers/abc/" in templates.render(delivery, discreet=False).text
