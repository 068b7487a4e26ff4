"""What causes a message: each programmes event queues one outbox row for her, in the same
transaction, with a key that makes it once; a rolled-back change queues nothing."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import transaction
from django.urls import resolve
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from mamapro.centres import clock
from mamapro.notify import offer_links, schedule
from mamapro.notify.fakes.mobizon import FakeMobizon
from mamapro.notify.models import Delivery
from mamapro.people import services as people
from mamapro.people.models import Consent, Participant
from mamapro.programs.models import Enrollment, Run, TopicRequest
from mamapro.programs.services import attendance, topics
from mamapro.programs.services import enrollment as seats
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

pytestmark = pytest.mark.django_db
Status = Enrollment.Status


def reachable(woman: Participant, channels: tuple[str, ...] = ("sms",)) -> Participant:
    """She consented to data processing and marked SMS safe."""
    Participant.objects.filter(pk=woman.pk).update(contact_channels=list(channels))
    people.record_consent(woman, kind=Consent.Kind.DATA_PROCESSING, version="2026-01")
    woman.refresh_from_db()
    return woman


def deliveries(woman: Participant, kind: str | None = None) -> list[Delivery]:
    qs = Delivery.objects.filter(participant=woman).order_by("id")
    return list(qs.filter(kind=kind) if kind else qs)


@pytest.fixture
def one_seat(make_run: Any) -> Run:
    run: Run = make_run(paid_seats=1, free_seats=0)
    return run


class Boom(Exception):
    pass


def rolled_back(*steps: Any) -> None:
    """Each step inside one transaction, then a failure that rolls them all back."""

    def fail() -> None:
        with transaction.atomic():
            for step in steps:
                step()
            raise Boom

    with pytest.raises(Boom):
        fail()


# --- Offers ----------------------------------------------------------------------------------
def test_a_freed_seat_queues_her_offer_with_her_link(one_seat: Run, make_women: Any) -> None:
    first, second = (reachable(w) for w in make_women(2))
    held = seats.enroll(one_seat, first, "paid")
    waiting = seats.enroll(one_seat, second, "paid")
    assert waiting.status == Status.WAITLISTED
    seats.withdraw(held)
    waiting.refresh_from_db()
    assert waiting.status == Status.OFFERED
    (offer,) = deliveries(second, "offer")
    assert offer.idempotency_key == f"offer:{waiting.pk}:{waiting.offered_at.isoformat()}"  # type: ignore[union-attr]
    assert (offer.subject_type, offer.subject_id) == ("programs.enrollment", str(waiting.pk))
    assert offer.context["valid_until"] == waiting.offer_expires_at.isoformat()  # type: ignore[union-attr]
    # The token answers for her seat: it is never stored in the outbox row (an attack found
    # it in the database file), only made when the message is rendered.
    assert set(offer.context) == {"valid_until", "offer_link"}
    from mamapro.notify import templates

    [link] = [w for w in templates.render(offer, discreet=False).text.split() if "/offers/" in w]
    match = resolve("/offers/" + link.split("/offers/", 1)[1].rstrip(".,"))
    assert match.url_name == "notify_offer"
    claim = offer_links.read_token(match.kwargs["token"])
    assert claim is not None
    assert claim.matches(waiting)
    assert offer.status in (Delivery.Status.QUEUED, Delivery.Status.WAITING)


def test_a_rolled_back_withdrawal_queues_no_offer(one_seat: Run, make_women: Any) -> None:
    first, second = (reachable(w) for w in make_women(2))
    held = seats.enroll(one_seat, first, "paid")
    seats.enroll(one_seat, second, "paid")
    before = Delivery.objects.count()

    def written_in_the_transaction() -> None:
        assert deliveries(second, "offer")

    rolled_back(lambda: seats.withdraw(held), written_in_the_transaction)
    assert Delivery.objects.count() == before  # and gone with it
    assert not deliveries(second, "offer")


def test_a_rolled_back_enrollment_sends_nothing(
    one_seat: Run, make_women: Any, settings: Any
) -> None:
    # SMS configured (the local Mobizon's settings; nothing is sent here): a queued message
    # then also wakes the worker, so the task row has something to be rolled back with.
    with FakeMobizon() as fake:
        for name, value in fake.settings().items():
            setattr(settings, name, value)
    (woman,) = (reachable(w) for w in make_women(1))
    tasks_before = DBTaskResult.objects.count()
    rolled_back(lambda: seats.enroll(one_seat, woman, "paid"))
    assert not deliveries(woman)
    assert DBTaskResult.objects.count() == tasks_before  # nor a wake-up for the worker
    assert not Enrollment.objects.filter(participant=woman).exists()
    # The same enrollment, kept: her confirmation and the worker's wake-up are written.
    seats.enroll(one_seat, woman, "paid")
    assert [d.kind for d in deliveries(woman)] == ["confirmed"]
    assert DBTaskResult.objects.count() > tasks_before


def test_a_public_form_hold_is_the_centres_and_messages_nobody(
    one_seat: Run, make_women: Any
) -> None:
    (woman,) = (reachable(w) for w in make_women(1))
    held = seats.enroll(one_seat, woman, "paid", source=Enrollment.Source.PUBLIC, hold_hours=48)
    assert held.status == Status.OFFERED
    assert not deliveries(woman)
    # When the coordinator confirms it (having called her), she hears it is confirmed.
    seats.accept_offer(held)
    assert [d.kind for d in deliveries(woman)] == ["confirmed"]


# --- Confirmation ------------------------------------------------------------------------------
def test_a_confirmed_seat_and_an_accepted_offer_each_tell_her_once(
    one_seat: Run, make_women: Any
) -> None:
    first, second = (reachable(w) for w in make_women(2))
    held = seats.enroll(one_seat, first, "paid")
    (confirmed,) = deliveries(first, "confirmed")
    assert confirmed.idempotency_key.startswith(f"confirmed:{held.pk}:")
    assert dt.datetime.fromisoformat(confirmed.context["valid_until"]) > timezone.now()
    seats.enroll(one_seat, second, "paid")
    assert not deliveries(second)  # waiting: nothing yet
    seats.withdraw(held)
    offered = Enrollment.objects.get(participant=second)
    seats.accept_offer(offered)
    assert [d.kind for d in deliveries(second)] == ["offer", "confirmed"]
    assert [d.kind for d in deliveries(first)] == ["confirmed"]  # a withdrawal says nothing


# --- Roll call --------------------------------------------------------------------------------
def test_a_first_session_no_show_queues_a_word_for_her_and_the_offer_for_the_next(
    make_run: Any, make_women: Any
) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=1, free_seats=0)
    (s1, _s2) = add_sessions(run, [-9, -2])
    missing, next_one = (reachable(w) for w in make_women(2))
    (enrollment,) = enroll_before_start(run, [missing])
    seats.enroll(run, next_one, "paid")
    mark(s1, {missing: "absent"})
    (word,) = deliveries(missing, "no_show")
    assert word.idempotency_key == f"no_show:{enrollment.pk}:{s1.pk}"
    assert word.context["released"] is True
    assert deliveries(next_one, "offer")
    # Her mark edited to "late" and back: no second word (she is no longer on the roll).
    assert len(deliveries(missing, "no_show")) == 1


def test_two_absences_in_a_row_queue_a_caring_word_with_the_coordinators_task(
    make_run: Any, make_women: Any
) -> None:
    run = make_run(starts_in=-10, days=30)
    s1, s2, s3 = add_sessions(run, [-9, -6, -3])
    (woman,) = (reachable(w) for w in make_women(1))
    enroll_before_start(run, [woman])
    mark(s1, {woman: "present"})
    mark(s2, {woman: "absent"})
    assert not deliveries(woman, "absence")
    result = mark(s3, {woman: "absent"})
    (task,) = result.follow_ups
    (word,) = deliveries(woman, "absence")
    assert word.idempotency_key == f"absence:{task.pk}"


def test_a_rolled_back_roll_call_queues_nothing(make_run: Any, make_women: Any) -> None:
    run = make_run(starts_in=-10, days=30)
    s1, s2 = add_sessions(run, [-9, -6])
    (woman,) = (reachable(w) for w in make_women(1))
    enroll_before_start(run, [woman])
    mark(s1, {woman: "present"})
    mark(s2, {woman: "absent"})
    s3 = add_sessions(run, [-3])[0]
    rolled_back(lambda: mark(s3, {woman: "absent"}))
    assert not deliveries(woman, "absence")


# --- Certificates ----------------------------------------------------------------------------
def test_a_certificate_tells_her_it_is_ready(make_run: Any, make_women: Any) -> None:
    run = make_run(starts_in=-20, days=10)
    (s1,) = add_sessions(run, [-15])
    (woman,) = (reachable(w) for w in make_women(1))
    enroll_before_start(run, [woman])
    mark(s1, {woman: "present"})
    result = attendance.complete_run(run)
    (certificate,) = result.certificates
    (word,) = deliveries(woman, "certificate")
    assert word.idempotency_key == f"certificate:{certificate.pk}"
    assert (word.subject_type, word.subject_id) == ("programs.certificate", str(certificate.pk))


# --- Workshops on a voted topic ----------------------------------------------------------------
def test_a_workshop_on_her_topic_reaches_the_women_who_voted_once(
    almaty: Any, make_run: Any, make_women: Any
) -> None:
    proposer, voter, other_voter, bystander, enrolled = (reachable(w) for w in make_women(5))
    topic = topics.propose_topic(almaty, title="Как открыть ИП", proposed_by=proposer)
    second_topic = topics.propose_topic(almaty, title="Налоги для ИП")
    for woman in (voter, other_voter, enrolled):
        topics.vote(topic, woman)
    topics.vote(second_topic, voter)
    workshop = make_run(starts_in=5, days=0, paid_seats=0, free_seats=20, price="0")
    Enrollment.objects.create(
        run=workshop,
        centre=almaty,
        participant=enrolled,
        seat_type="free",
        status=Status.CONFIRMED,
    )
    topics.set_topic_status(topic, status=TopicRequest.Status.SCHEDULED, workshop=workshop)
    told = {d.participant_id for d in Delivery.objects.filter(kind="workshop")}
    assert told == {proposer.pk, voter.pk, other_voter.pk}
    (word,) = deliveries(voter, "workshop")
    assert word.idempotency_key == f"workshop:{workshop.pk}:{voter.pk}"
    # Her second topic becomes the same workshop: still one message to her.
    topics.set_topic_status(second_topic, status=TopicRequest.Status.SCHEDULED, workshop=workshop)
    assert len(deliveries(voter, "workshop")) == 1
    assert not deliveries(bystander, "workshop")


def test_a_draft_workshop_tells_nobody_yet(almaty: Any, make_run: Any, make_women: Any) -> None:
    (voter,) = (reachable(w) for w in make_women(1))
    topic = topics.propose_topic(almaty, title="Фото для Instagram")
    topics.vote(topic, voter)
    draft = make_run(starts_in=5, days=0, status=Run.Status.DRAFT)
    topics.set_topic_status(topic, status=TopicRequest.Status.SCHEDULED, workshop=draft)
    assert not deliveries(voter)
    day = clock.centre_today(almaty)
    at_eleven = clock.combine(day, dt.time(11), almaty)
    assert schedule.run(at_eleven).workshops == 0
    # Published later: the next tick (from the reminder hour) tells her, once.
    Run.objects.filter(pk=draft.pk).update(status=Run.Status.PUBLISHED)
    assert schedule.run(clock.combine(day, dt.time(9), almaty)).workshops == 0
    assert schedule.run(at_eleven).workshops == 1
    assert schedule.run(at_eleven + dt.timedelta(minutes=1)).workshops == 0
    (word,) = deliveries(voter, "workshop")
    assert word.idempotency_key == f"workshop:{draft.pk}:{voter.pk}"
    # Once its day has passed, a workshop is no longer announced.
    late = make_run(starts_in=-2, days=0)
    (other,) = (reachable(w) for w in make_women(1))
    old_topic = topics.propose_topic(almaty, title="Бухгалтерия")
    topics.vote(old_topic, other)
    TopicRequest.objects.filter(pk=old_topic.pk).update(status="scheduled", workshop=late)
    assert schedule.run(at_eleven + dt.timedelta(minutes=2)).workshops == 0


# --- Each of them really goes out ------------------------------------------------------------
def test_every_triggered_message_renders_and_goes_out(
    almaty: Any, make_run: Any, make_women: Any, make_participant: Any
) -> None:
    """Through the real worker to the local Mobizon: no trigger's context leaves its template
    short of a value (a render error would fail the delivery)."""
    from django.test import override_settings

    from mamapro.notify import sender

    with FakeMobizon() as fake, override_settings(**fake.settings(), SITE_URL="https://m.example"):
        run = make_run(starts_in=-10, days=30, paid_seats=2, free_seats=0)
        s1, s2, s3 = add_sessions(run, [-9, -6, -3])
        absent, missing, next_one = (reachable(w) for w in make_women(3))
        enroll_before_start(run, [absent, missing])
        seats.enroll(run, next_one, "paid")
        mark(s1, {absent: "present", missing: "absent"})  # no-show; her seat is offered
        mark(s2, {absent: "absent"})
        mark(s3, {absent: "absent"})  # two in a row
        ended = make_run(starts_in=-20, days=10)
        (past,) = add_sessions(ended, [-15])
        enroll_before_start(ended, [absent])
        mark(past, {absent: "present"})
        attendance.complete_run(ended)  # her certificate
        topic = topics.propose_topic(almaty, title="Как открыть ИП", proposed_by=next_one)
        workshop = make_run(starts_in=3, days=0, paid_seats=0, free_seats=10, price="0")
        topics.set_topic_status(topic, status=TopicRequest.Status.SCHEDULED, workshop=workshop)
        tomorrow = add_sessions(run, [1])[0]
        day = clock.local_date(tomorrow.starts_at, almaty) - dt.timedelta(days=1)
        schedule.run(clock.combine(day, dt.time(12), almaty))  # her reminder

        kinds = {"confirmed", "no_show", "offer", "absence", "certificate", "workshop", "reminder"}
        rows = Delivery.objects.filter(kind__in=kinds)
        assert {d.kind for d in rows} == kinds
        sender.send_due()
        outcome = [(d.kind, d.status, d.reason) for d in Delivery.objects.filter(kind__in=kinds)]
        assert {kind for kind, status, _r in outcome if status == "sent"} == kinds, outcome
        # Only two confirmations are left unsent: the run's that ended before it was queued,
        # and hers whose seat went after her no-show (no "your seat is confirmed" after that).
        unsent = [row for row in outcome if row[1] != "sent"]
        assert unsent == [("confirmed", "cancelled", "no_longer_needed")] * 2, unsent
        assert len(fake.messages) == len(outcome) - 2
        assert fake.duplicates() == 0
