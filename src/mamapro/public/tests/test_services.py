"""Applications and topics from the public site: who is found, what is written, what is not."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.people import services as people
from mamapro.people.models import Consent, Participant
from mamapro.programs.models import Course, Enrollment, Fee, Run, TopicRequest, TopicVote
from mamapro.programs.services.enrollment import enroll
from mamapro.public.consent import CONSENT_VERSION
from mamapro.public.models import Application, PendingVote, TopicProposal
from mamapro.public.services import applications, topics
from mamapro.public.services.applications import ApplicationInput

pytestmark = pytest.mark.django_db

AIGERIM = ApplicationInput(
    given_name="  Айгерім ",
    family_name="Сейітқызы",
    phone="8 (701) 555-12-34",
    language="kk",
    seat_wanted="paid",
    contact_channels=("whatsapp", "sms"),
    safe_hours_from=dt.time(10, 0),
    safe_hours_to=dt.time(13, 0),
    do_not_call=True,
)


def test_a_new_woman_is_registered_with_her_consent_and_a_held_paid_seat(run) -> None:
    application = applications.apply(run, AIGERIM)

    her = Participant.objects.get()
    assert (her.given_name, her.family_name, her.phone) == ("Айгерім", "Сейітқызы", "+77015551234")
    assert her.centre_id == run.centre_id
    assert her.status == Participant.Status.APPLICANT
    assert her.language == "kk"
    assert her.contact_channels == ["whatsapp", "sms"]
    assert (her.safe_hours_from, her.safe_hours_to) == (dt.time(10), dt.time(13))
    assert her.do_not_call is True
    consent = Consent.objects.get(participant=her)
    assert (consent.kind, consent.version) == ("data_processing", CONSENT_VERSION)

    enrollment = Enrollment.objects.get(participant=her)
    # Held for the centre's confirmation, never confirmed by the form; no fee until then.
    assert (enrollment.seat_type, enrollment.status, enrollment.source) == (
        "paid",
        "offered",
        "public",
    )
    assert enrollment.confirmed_at is None
    assert enrollment.offer_expires_at is not None
    assert enrollment.offered_at is not None
    hold = enrollment.offer_expires_at - enrollment.offered_at
    assert hold == dt.timedelta(hours=applications.hold_hours()) == dt.timedelta(hours=48)
    assert not Fee.objects.exists()
    assert application.enrollment == enrollment
    assert application.is_repeat is False
    assert application.consent_version == CONSENT_VERSION
    created = AuditEntry.objects.filter(action="create", object_type="public.application").get()
    assert created.details["repeat"] is False
    assert created.actor is None
    # The audit names the fields, never what she typed.
    assert "Айгерім" not in str(created.details) + str(created.fields)


def test_a_repeat_with_the_same_phone_finds_her_and_changes_nothing(
    run, make_run, make_participant
) -> None:
    """Anyone who knows her phone can fill in the form: her record must not move."""
    survivor = make_participant(
        given_name="Әсел",
        family_name="Қасымова",
        phone="+77015551234",
        contact_channels=["sms"],
        do_not_call=True,
        circumstances=("domestic_violence",),
    )
    before = Participant.objects.values().get(pk=survivor.pk)
    typed = replace(
        AIGERIM,
        given_name="Ерлан",
        family_name="Қасымов",
        phone="+7 701 555 12 34",
        language="ru",
        contact_channels=("call",),
        do_not_call=False,
        circumstances=(),
    )
    application = applications.apply(run, typed)

    assert Participant.objects.count() == 1
    after = Participant.objects.values().get(pk=survivor.pk)
    assert after == before
    assert list(survivor.circumstances.values_list("kind", flat=True)) == ["domestic_violence"]
    assert not Consent.objects.filter(participant=survivor).exists()
    assert application.participant == survivor
    assert application.is_repeat is True
    # What was typed is kept on the application, for the coordinator to compare.
    assert (application.given_name, application.family_name) == ("Ерлан", "Қасымов")
    assert application.contact_channels == ["call"]
    assert application.enrollment is not None
    assert application.enrollment.participant == survivor

    # A third time, for another run: still one woman, one more enrollment.
    other = make_run(starts_in=30)
    applications.apply(other, typed)
    assert Participant.objects.count() == 1
    assert Enrollment.objects.filter(participant=survivor).count() == 2


def test_a_repeat_for_a_run_she_is_already_in_keeps_her_place(run) -> None:
    first = applications.apply(run, AIGERIM)
    again = applications.apply(run, replace(AIGERIM, seat_wanted="free", circumstances=("other",)))
    assert again.enrollment == first.enrollment
    assert Enrollment.objects.count() == 1
    assert Enrollment.objects.get().seat_type == "paid"
    assert Application.objects.count() == 2


def test_a_free_place_waits_for_the_in_person_check(run) -> None:
    application = applications.apply(
        run,
        replace(AIGERIM, seat_wanted="free", circumstances=("domestic_violence", "stay_at_home")),
    )
    her = application.participant
    assert application.enrollment is None
    assert not Enrollment.objects.exists()
    assert application.stated_circumstances == ["domestic_violence", "stay_at_home"]
    # Recorded as she said it, not verified.
    assert set(her.circumstances.values_list("kind", flat=True)) == {
        "domestic_violence",
        "stay_at_home",
    }
    assert her.eligibility_verified is False


def test_a_verified_woman_asking_for_a_free_place_still_waits_for_the_coordinator(
    run, make_participant
) -> None:
    """Her phone alone proves nothing: whoever typed it, the coordinator enrolls her."""
    her = make_participant(phone="+77015551234", circumstances=("stay_at_home",))
    people.update_participant(her, data={}, eligibility_verified=True)
    application = applications.apply(
        run, replace(AIGERIM, seat_wanted="free", circumstances=("stay_at_home",))
    )
    assert application.enrollment is None
    assert not Enrollment.objects.filter(participant=her).exists()


def test_a_full_run_puts_her_on_the_waiting_list(make_run, make_women) -> None:
    run = make_run(paid_seats=1, free_seats=0)
    enroll(run, make_women(1)[0], "paid")
    application = applications.apply(run, AIGERIM)
    assert application.enrollment is not None
    assert application.enrollment.status == "waitlisted"


def test_a_workshop_has_one_kind_of_place_and_no_fee(almaty) -> None:
    workshop = Course.objects.create(
        title="Как открыть ИП", category="entrepreneurship", is_workshop=True
    )
    day = dt.date.today() + dt.timedelta(days=5)
    run = Run.objects.create(
        course=workshop,
        centre=almaty,
        starts_on=day,
        ends_on=day,
        price=Decimal("0"),
        paid_seats=25,
        free_seats=0,
    )
    assert applications.seat_choices(run) == ["paid"]
    application = applications.apply(run, AIGERIM)
    assert application.enrollment is not None
    assert application.enrollment.status == "offered"  # held for the centre, free or not
    assert not Fee.objects.exists()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"phone": "8 701 555 12"}, "phone"),
        ({"given_name": "  "}, "given_name"),
        ({"seat_wanted": "vip"}, "seat_wanted"),
        ({"seat_wanted": "free", "circumstances": ()}, "circumstances"),
        ({"circumstances": ("rich",)}, "circumstances"),
        ({"contact_channels": ()}, "contact_channels"),
        ({"contact_channels": ("call",), "do_not_call": True}, "contact_channels"),
        ({"contact_channels": ("pigeon",)}, "contact_channels"),
        ({"safe_hours_to": None}, "safe_hours_to"),
        ({"kids_room": True, "children_count": 0}, "children_count"),
        ({"language": "de"}, "language"),
        ({"consent_version": "public-2020-1"}, "consent"),
    ],
)
def test_bad_input_names_the_field_and_writes_nothing(run, change, field) -> None:
    with pytest.raises(ValidationError) as caught:
        applications.apply(run, replace(AIGERIM, **change))
    assert field in caught.value.message_dict
    assert not Participant.objects.exists()
    assert not Application.objects.exists()


def test_call_is_dropped_when_she_asks_not_to_be_called(run) -> None:
    application = applications.apply(run, replace(AIGERIM, contact_channels=("call", "sms")))
    assert application.participant.contact_channels == ["sms"]
    assert application.contact_channels == ["sms"]


def test_a_closed_run_takes_no_application(make_run) -> None:
    for run in (make_run(status=Run.Status.DRAFT), make_run(starts_in=-3)):
        with pytest.raises(ValidationError) as caught:
            applications.apply(run, AIGERIM)
        assert "run" in caught.value.message_dict
    assert not Participant.objects.exists()


def test_two_applications_racing_with_one_phone_make_one_woman(run, monkeypatch) -> None:
    """The other application committed between our lookup and our insert."""
    other = applications.apply(run, AIGERIM)  # the other request, a moment earlier
    real_find = applications._find
    calls = []

    def late_find(run, phone):
        calls.append(phone)
        return (None, None) if len(calls) == 1 else real_find(run, phone)

    monkeypatch.setattr(applications, "_find", late_find)
    application = applications.apply(run, AIGERIM)
    assert Participant.objects.count() == 1
    assert application.is_repeat is True
    assert application.enrollment == other.enrollment


def test_kids_room_answers_are_kept_on_the_application(run) -> None:
    application = applications.apply(
        run, replace(AIGERIM, kids_room=True, children_count=2, children_ages=" 3  и 7 ")
    )
    assert (application.kids_room, application.children_count, application.children_ages) == (
        True,
        2,
        "3 и 7",
    )


def test_mark_handled_once(run, personas) -> None:
    application = applications.apply(run, AIGERIM)
    assert applications.mark_handled(application, actor=personas["coordinator"]) is True
    assert applications.mark_handled(application, actor=personas["director"]) is False
    application.refresh_from_db()
    assert application.handled_by == personas["coordinator"]


# --- Topics ---------------------------------------------------------------------------------


def test_a_member_proposes_a_topic_held_for_review_with_her_vote(almaty, make_participant) -> None:
    her = make_participant(phone="+77015551234")
    topic = topics.propose_topic(
        almaty, title="  Как  открыть ИП ", details="Налоги", phone="8 701 555 12 34"
    )
    assert topic.title == "Как открыть ИП"
    assert topic.status == TopicRequest.Status.OPEN
    assert TopicProposal.objects.get(topic=topic).reviewed_at is None
    # The request only kept the phone; the tick finds her, names her and counts her vote.
    assert topic.proposed_by is None
    assert not TopicVote.objects.exists()
    assert topics.count_pending_votes() == 1
    topic.refresh_from_db()
    assert topic.proposed_by == her
    assert list(TopicVote.objects.values_list("participant_id", flat=True)) == [her.pk]
    assert not PendingVote.objects.exists()


def test_a_stranger_s_proposal_is_kept_without_creating_anyone(almaty) -> None:
    topic = topics.propose_topic(
        almaty, title="Английский для начинающих", details="", phone="+77770001122"
    )
    assert topics.count_pending_votes() == 0
    topic.refresh_from_db()
    assert topic.proposed_by is None
    assert not Participant.objects.exists()
    assert not TopicVote.objects.exists()
    assert TopicProposal.objects.filter(topic=topic).exists()
    assert not PendingVote.objects.exists()  # the stranger's number is not kept


def test_one_vote_per_member_and_none_for_strangers(almaty, astana, make_participant) -> None:
    her = make_participant(phone="+77015551234")
    make_participant(astana, phone="+77015559999")
    topic = TopicRequest.objects.create(centre=almaty, title="Фотосъёмка")
    topics.vote(topic, phone="8 701 555 12 34")
    topics.vote(topic, phone="+77015551234")
    topics.vote(topic, phone="+77770001122")
    # A member of another centre is a stranger here.
    topics.vote(topic, phone="+77015559999")
    assert not topic.votes.exists()  # nothing counted by the request itself
    assert PendingVote.objects.count() == 4
    assert topics.count_pending_votes() == 1
    assert list(topic.votes.values_list("participant_id", flat=True)) == [her.pk]
    assert not PendingVote.objects.exists()
    assert Participant.objects.count() == 2
    with pytest.raises(ValidationError) as caught:
        topics.vote(topic, phone="12")
    assert "phone" in caught.value.message_dict


def test_review_publishes_or_declines_once(almaty, personas) -> None:
    kept = topics.propose_topic(almaty, title="Бухгалтерия", details="", phone="+77770001122")
    dropped = topics.propose_topic(almaty, title="Спам спам", details="", phone="+77770001122")
    topics.review_topic(kept, publish=True, actor=personas["comms"])
    topics.review_topic(dropped, publish=False, actor=personas["comms"])
    assert TopicProposal.objects.get(topic=kept).published is True
    dropped.refresh_from_db()
    assert dropped.status == TopicRequest.Status.CLOSED
    with pytest.raises(Conflict):
        topics.review_topic(kept, publish=False)
    staff_made = TopicRequest.objects.create(centre=almaty, title="От координатора")
    with pytest.raises(Conflict):
        topics.review_topic(staff_made, publish=True)


def test_topic_text_is_checked(almaty) -> None:
    with pytest.raises(ValidationError) as caught:
        topics.propose_topic(almaty, title="ИП", details="x" * 1001, phone="+77770001122")
    assert set(caught.value.message_dict) == {"title", "details"}
    assert not TopicRequest.objects.exists()
