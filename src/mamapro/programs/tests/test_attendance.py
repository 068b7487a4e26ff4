"""The roll-call service and its rules: audited marks, two absences in a row, the first-session
no-show, completion at the run's attendance bar, the worker's sweep."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.utils import timezone

from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry
from mamapro.programs.models import Attendance, Certificate, Enrollment, Fee, FollowUpTask, Run
from mamapro.programs.services import attendance
from mamapro.programs.services import enrollment as seats
from mamapro.programs.tests.attendance_world import add_sessions, enroll_before_start, mark

pytestmark = pytest.mark.django_db

P, L, E, A = "present", "late", "excused", "absent"
TWO = FollowUpTask.Reason.TWO_ABSENCES
NO_SHOW = FollowUpTask.Reason.NO_SHOW


@pytest.fixture
def running(make_run):
    """A run that began ten days ago and ends in twenty."""
    return make_run(starts_in=-10, days=30)


def _tasks(enrollment, reason=None) -> list[FollowUpTask]:
    qs = FollowUpTask.objects.filter(enrollment=enrollment)
    if reason:
        qs = qs.filter(reason=reason)
    return list(qs)


# --- Recording ------------------------------------------------------------------------------
def test_marks_are_saved_and_first_recording_and_later_edit_are_audited_apart(
    running, make_women, personas
) -> None:
    trainer = personas["trainer"]
    (s1,) = add_sessions(running, [-9])
    a, b = make_women(2)
    ea, eb = enroll_before_start(running, [a, b])
    result = mark(s1, {a: P, b: L}, actor=trainer)
    assert (result.created, result.changed, result.unchanged) == (2, 0, 0)
    assert dict(Attendance.objects.values_list("enrollment_id", "status")) == {
        ea.pk: P,
        eb.pk: L,
    }
    created = AuditEntry.objects.filter(object_type="programs.attendance", action="create")
    assert created.count() == 2
    assert {e.details["event"] for e in created} == {"attendance_recorded"}
    assert all(e.actor == trainer for e in created)

    # The same marks again change nothing and log nothing.
    before = AuditEntry.objects.count()
    result = mark(s1, {a: P, b: L}, actor=trainer)
    assert (result.created, result.changed, result.unchanged) == (0, 0, 2)
    assert AuditEntry.objects.count() == before

    # A later edit by the coordinator: who changed it, from what.
    coordinator = personas["coordinator"]
    result = mark(s1, {b: P}, actor=coordinator)
    assert (result.created, result.changed) == (0, 1)
    edit = AuditEntry.objects.get(object_type="programs.attendance", action="update")
    assert edit.details["event"] == "attendance_changed"
    assert (edit.details["was"], edit.details["status"]) == (L, P)
    assert edit.actor == coordinator
    row = Attendance.objects.get(enrollment=eb)
    assert (row.status, row.recorded_by) == (P, coordinator)
    # Marks not listed stay as they were.
    assert Attendance.objects.get(enrollment=ea).status == P


def test_bad_items_are_named_by_place_and_nothing_is_written(
    running, make_women, make_participant, astana
) -> None:
    (s1,) = add_sessions(running, [-9])
    a, b, _waiting = make_women(3)
    enroll_before_start(running, [a, b])
    Enrollment.objects.filter(participant=b).update(status=Enrollment.Status.WAITLISTED)
    stranger = make_participant(astana, phone="+77019990000")
    with pytest.raises(ValidationError) as caught:
        attendance.record_roll_call(
            s1,
            [(a.pk, P), (b.pk, P), (stranger.pk, P), (999999, A), (a.pk, "sleeping")],
        )
    errors = caught.value.message_dict
    assert set(errors) == {"1.participant", "2.participant", "3.participant", "4.status"} | {
        "4.participant"
    }
    assert "not enrolled" in errors["1.participant"][0]
    assert "twice" in errors["4.participant"][0]
    assert not Attendance.objects.exists()


def test_cancelled_session_and_closed_run_refuse_a_roll_call(running, make_women) -> None:
    s1, s2 = add_sessions(running, [-9, -6])
    (a,) = make_women(1)
    enroll_before_start(running, [a])
    s1.cancelled = True
    s1.save()
    with pytest.raises(Conflict, match="cancelled"):
        mark(s1, {a: P})
    Run.objects.filter(pk=running.pk).update(status=Run.Status.CLOSED)
    with pytest.raises(Conflict, match="finished"):
        mark(s2, {a: P})
    assert not Attendance.objects.exists()


def test_before_the_session_only_an_excuse_can_be_recorded(running, make_women) -> None:
    (later,) = add_sessions(running, [2])
    a, b = make_women(2)
    enroll_before_start(running, [a, b])
    with pytest.raises(ValidationError) as caught:
        mark(later, {a: E, b: A})
    assert set(caught.value.message_dict) == {"1.status"}
    mark(later, {a: E})
    assert Attendance.objects.get().status == E
    # The roll call opens an hour before the start.
    mark(later, {b: P}, now=later.starts_at - dt.timedelta(minutes=50))
    assert Attendance.objects.count() == 2


# --- Two unexcused absences in a row ----------------------------------------------------------
def test_two_absences_in_a_row_open_a_follow_up_but_an_excuse_between_does_not(
    running, make_women
) -> None:
    sessions = add_sessions(running, [-9, -7, -5, -3])
    a, b, c = make_women(3)
    ea, eb, ec = enroll_before_start(running, [a, b, c])
    mark(sessions[0], {a: P, b: P, c: P})
    result = mark(sessions[1], {a: A, b: A, c: P})
    assert result.follow_ups == []
    mark(sessions[2], {a: A, b: E, c: A})
    result = mark(sessions[3], {a: P, b: A, c: P})
    assert [t.reason for t in _tasks(ea)] == [TWO]
    assert _tasks(eb) == [], "absent, excused, absent is not two in a row"
    assert _tasks(ec) == []
    assert result.follow_ups == []
    task = _tasks(ea)[0]
    assert task.centre_id == running.centre_id
    assert task.done_at is None
    assert AuditEntry.objects.filter(object_type="programs.followuptask", action="create").exists()


def test_a_cancelled_session_between_does_not_break_the_row(running, make_women) -> None:
    s1, s2, s3 = add_sessions(running, [-9, -7, -5])
    (a,) = make_women(1)
    (ea,) = enroll_before_start(running, [a])
    mark(s1, {a: P})
    mark(s2, {a: A})
    s3.cancelled = True
    s3.save()
    (s4,) = add_sessions(running, [-3])
    mark(s4, {a: A})
    assert [t.reason for t in _tasks(ea)] == [TWO]


def test_absences_entered_out_of_order_still_count(running, make_women) -> None:
    s1, s2, s3 = add_sessions(running, [-9, -7, -5])
    (a,) = make_women(1)
    (ea,) = enroll_before_start(running, [a])
    mark(s1, {a: P})
    mark(s3, {a: A})
    assert _tasks(ea) == []
    mark(s2, {a: A})  # the trainer catches up on last week's roll call
    assert [t.reason for t in _tasks(ea)] == [TWO]


def test_one_open_task_at_a_time_and_no_repeat_for_absences_already_followed_up(
    running, make_women, personas
) -> None:
    sessions = add_sessions(running, [-9, -8, -7, -6, -5, -4])
    (a,) = make_women(1)
    (ea,) = enroll_before_start(running, [a])
    mark(sessions[0], {a: P})
    mark(sessions[1], {a: A})
    mark(sessions[2], {a: A}, now=sessions[2].ends_at)
    mark(sessions[3], {a: A}, now=sessions[3].ends_at)  # a third: still the one open task
    assert len(_tasks(ea)) == 1
    attendance.close_follow_up(
        _tasks(ea)[0], actor=personas["coordinator"], now=sessions[3].ends_at
    )

    # Re-saving an old roll call does not put her back on the list for the same absences.
    mark(sessions[2], {a: L}, now=sessions[4].starts_at)
    mark(sessions[2], {a: A}, now=sessions[4].starts_at)
    assert len(_tasks(ea)) == 1
    # New absences after the call: a new task.
    mark(sessions[4], {a: A}, now=sessions[4].ends_at)
    mark(sessions[5], {a: A}, now=sessions[5].ends_at)
    tasks = _tasks(ea)
    assert len(tasks) == 2
    assert sum(1 for t in tasks if t.done_at is None) == 1


# --- No-show at the first session -------------------------------------------------------------
def test_no_show_at_the_first_session_gives_her_seat_to_the_first_woman_waiting(
    make_run, make_women, personas
) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=2, free_seats=0)
    s1, _s2 = add_sessions(run, [-9, -6])
    a, b, first_waiting, second_waiting = make_women(4)
    ea, eb, ew1, ew2 = enroll_before_start(run, [a, b, first_waiting, second_waiting])
    assert (ew1.status, ew2.status) == ("waitlisted", "waitlisted")

    result = mark(s1, {a: A, b: P}, actor=personas["trainer"])

    ea.refresh_from_db()
    ew1.refresh_from_db()
    ew2.refresh_from_db()
    assert (ea.status, ea.end_reason) == ("dropped", "no_show")
    assert [e.pk for e in result.released] == [ea.pk]
    assert ew1.status == "offered", "the seat goes to the first woman waiting"
    assert ew2.status == "waitlisted"
    assert [t.reason for t in _tasks(ea)] == [NO_SHOW]
    # Her absence stays on record; she is no longer on the roll.
    assert Attendance.objects.get(enrollment=ea).status == A
    assert [line.enrollment.pk for line in attendance.roll(s1)] == [eb.pk]
    assert seats.seat_counts(run).taken("paid") == 2


def test_no_show_keeps_her_seat_when_the_run_says_so(make_run, make_women) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=1, free_seats=0, no_show_releases_seat=False)
    (s1,) = add_sessions(run, [-9])
    a, waiting = make_women(2)
    ea, ew = enroll_before_start(run, [a, waiting])
    result = mark(s1, {a: A})
    ea.refresh_from_db()
    ew.refresh_from_db()
    assert ea.status == "confirmed"
    assert ew.status == "waitlisted"
    assert result.released == []
    assert [t.reason for t in _tasks(ea)] == [NO_SHOW], "the coordinator still calls her"


def test_absent_later_or_after_she_came_is_no_no_show(make_run, make_women) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=2, free_seats=0)
    s1, s2 = add_sessions(run, [-9, -6])
    a, b, waiting = make_women(3)
    ea, eb, ew = enroll_before_start(run, [a, b, waiting])
    mark(s1, {a: P, b: E})
    mark(s2, {a: P, b: A})  # b: absent, but not at her first session
    # A late correction of the first roll call, after she came to the second: not a no-show.
    mark(s1, {a: A})
    for e in (ea, eb, ew):
        e.refresh_from_db()
    assert (ea.status, eb.status, ew.status) == ("confirmed", "confirmed", "waitlisted")
    assert FollowUpTask.objects.count() == 0


def test_a_woman_who_took_a_freed_seat_is_a_no_show_at_her_own_first_session(
    make_run, make_women
) -> None:
    run = make_run(starts_in=-10, days=30, paid_seats=1, free_seats=0)
    s1, s2 = add_sessions(run, [-9, -6])
    a, late, next_one = make_women(3)
    ea, el, en = enroll_before_start(run, [a, late, next_one])
    seats.withdraw(ea, now=s1.ends_at)
    el.refresh_from_db()
    seats.accept_offer(el, now=s1.ends_at + dt.timedelta(hours=1))
    el.refresh_from_db()
    assert el.status == "confirmed"
    mark(s2, {late: A})
    el.refresh_from_db()
    en.refresh_from_db()
    assert (el.status, el.end_reason) == ("dropped", "no_show")
    assert en.status == "offered"


# --- Completion -------------------------------------------------------------------------------
@pytest.fixture
def finished(make_run):
    """A run that ended five days ago (enrolled women were enrolled before it began)."""
    return make_run(starts_in=-30, days=25)


def test_completion_at_exactly_the_bar_and_not_below(finished, make_women, personas) -> None:
    sessions = add_sessions(finished, [-29, -22, -15, -8])
    a, b, c, d = make_women(4)
    a.language, b.language = "ru", "en"
    for p in (a, b):
        p.save()
    ea, eb, ec, ed = enroll_before_start(finished, [a, b, c, d])
    plan = {
        a: [P, P, L, A],  # 3 of 4: exactly 75 % → completes
        b: [P, E, P, P],  # 3 of 4, an excuse is not attendance → completes
        c: [P, L, A, A],  # 2 of 4: 50 % → does not
        d: [P, P, E, A],  # 2 of 4 → does not
    }
    for i, session in enumerate(sessions):
        mark(session, {p: marks[i] for p, marks in plan.items()}, now=session.ends_at)

    result = attendance.complete_run(finished, actor=personas["coordinator"])

    assert result.closed
    assert {e.pk for e in result.completed} == {ea.pk, eb.pk}
    assert {e.pk for e in result.not_completed} == {ec.pk, ed.pk}
    for e in (ea, eb, ec, ed):
        e.refresh_from_db()
    assert (ea.status, eb.status) == ("completed", "completed")
    assert (ec.status, ec.end_reason) == ("dropped", "not_completed")
    assert (ed.status, ed.end_reason) == ("dropped", "not_completed")
    finished.refresh_from_db()
    assert finished.status == Run.Status.CLOSED
    certificates = {c.enrollment_id: c for c in Certificate.objects.all()}
    assert set(certificates) == {ea.pk, eb.pk}
    assert certificates[ea.pk].language == "ru"
    assert certificates[eb.pk].language == "en"
    for certificate in certificates.values():
        assert len(certificate.code) == attendance.CODE_LENGTH
        assert set(certificate.code) <= set(attendance.CODE_ALPHABET)
        assert not set(certificate.code) & set("01OI")
    assert certificates[ea.pk].code != certificates[eb.pk].code
    assert (
        AuditEntry.objects.filter(
            object_type="programs.certificate", details__event="certificate_issued"
        ).count()
        == 2
    )


@pytest.mark.parametrize(
    ("percent", "attended", "held", "completes"),
    [(75, 6, 8, True), (75, 5, 8, False), (76, 3, 4, False), (100, 4, 4, True), (1, 0, 3, False)],
)
def test_the_bar_is_the_runs_own(make_run, make_women, percent, attended, held, completes) -> None:
    run = make_run(starts_in=-30, days=25, completion_percent=percent)
    sessions = add_sessions(run, [-29 + i for i in range(held)])
    (a,) = make_women(1)
    (_ea,) = enroll_before_start(run, [a])
    for i, session in enumerate(sessions):
        mark(session, {a: P if i < attended else E})
    result = attendance.complete_run(run)
    assert bool(result.completed) is completes
    assert attendance.reaches_completion(attended, held, percent) is completes


def test_cancelled_sessions_do_not_count_and_unmarked_ones_do(finished, make_women) -> None:
    s1, s2, s3, s4, s5 = add_sessions(finished, [-29, -22, -15, -12, -8])
    a, b = make_women(2)
    ea, eb = enroll_before_start(finished, [a, b])
    s3.cancelled = True
    s3.save()
    for s in (s1, s2, s4):
        mark(s, {a: P})
    mark(s5, {a: A})
    for s in (s1, s2):
        mark(s, {b: P})  # b was never marked at the last two sessions
    result = attendance.complete_run(finished)
    # Four sessions held: a attended 3 (75 %); b attended 2 (50 %), not 2 of 2.
    assert [e.pk for e in result.completed] == [ea.pk]
    assert [e.pk for e in result.not_completed] == [eb.pk]


def test_closing_is_idempotent_and_keeps_a_due_fee_due(finished, make_women) -> None:
    s1, s2 = add_sessions(finished, [-20, -10])
    a, b = make_women(2)
    _ea, eb = enroll_before_start(finished, [a, b])
    mark(s1, {a: P, b: P})
    mark(s2, {a: P, b: A})
    first = attendance.complete_run(finished)
    assert len(first.completed) == 1
    again = attendance.complete_run(finished)
    assert (again.closed, again.completed, again.not_completed) == (False, [], [])
    assert Certificate.objects.count() == 1
    assert Fee.objects.get(enrollment=eb).status == Fee.Status.DUE


def test_a_run_cannot_close_before_it_ends(running, make_women) -> None:
    add_sessions(running, [-9])
    with pytest.raises(Conflict, match="not ended"):
        attendance.complete_run(running)
    running.refresh_from_db()
    assert running.status == Run.Status.PUBLISHED


def test_on_the_last_day_the_run_closes_once_its_last_session_is_over(make_run) -> None:
    now = timezone.now()
    run = make_run(starts_in=-10, days=10)  # ends today
    (last,) = add_sessions(run, [0], hours=1)
    assert attendance.run_has_ended(run, last.ends_at + dt.timedelta(minutes=1))
    assert not attendance.run_has_ended(run, last.starts_at)
    assert not attendance.run_has_ended(make_run(starts_in=-3, days=3), now), "no sessions"


def test_open_offers_end_with_the_run_and_the_waitlist_gets_no_new_offers(
    make_run, make_women
) -> None:
    run = make_run(starts_in=-30, days=25, paid_seats=2, free_seats=0, offer_hours=24 * 14)
    (s1,) = add_sessions(run, [-29])
    a, leaving, b, c = make_women(4)
    _ea, el, eb, ec = enroll_before_start(run, [a, leaving, b, c])
    mark(s1, {a: P, leaving: P})
    # A seat freed late in the run: b is offered it (for a fortnight), c waits.
    seats.withdraw(el, now=timezone.now() - dt.timedelta(days=6))
    eb.refresh_from_db()
    assert eb.status == "offered"
    attendance.complete_run(run)
    eb.refresh_from_db()
    ec.refresh_from_db()
    assert (eb.status, eb.end_reason) == ("dropped", "offer_expired")
    assert ec.status == "waitlisted", "her wait is on record"
    assert seats.expire_offers(now=timezone.now() + dt.timedelta(days=30)) == 0
    ec.refresh_from_db()
    assert ec.status == "waitlisted", "nobody is offered a seat in a finished course"


def test_a_cancelled_run_or_one_without_sessions_cannot_close(make_run) -> None:
    empty = make_run(starts_in=-30, days=25)
    with pytest.raises(Conflict, match="no sessions"):
        attendance.complete_run(empty)
    cancelled = make_run(starts_in=-30, days=25, status=Run.Status.CANCELLED)
    with pytest.raises(Conflict, match="cancelled"):
        attendance.complete_run(cancelled)


# --- The worker's sweep -------------------------------------------------------------------------
def test_the_sweep_closes_ended_runs_only(make_run, make_women) -> None:
    ended = make_run(starts_in=-30, days=25)
    s1, s2 = add_sessions(ended, [-29, -22])
    ongoing = make_run(starts_in=-10, days=30)
    add_sessions(ongoing, [-9])
    stuck = make_run(starts_in=-30, days=20)
    cancelled = make_run(starts_in=-30, days=20, status=Run.Status.CANCELLED)
    a, b = make_women(2)
    enroll_before_start(ended, [a, b])
    mark(s1, {a: P, b: P})
    mark(s2, {a: P, b: A})

    sweep = attendance.close_finished_runs()

    assert (sweep.closed, sweep.completed, sweep.not_completed) == (1, 1, 1)
    assert sweep.stuck == [stuck.pk]
    statuses = dict(Run.objects.values_list("pk", "status"))
    assert statuses[ended.pk] == "closed"
    assert statuses[ongoing.pk] == "published"
    assert statuses[cancelled.pk] == "cancelled"
    assert attendance.close_finished_runs().closed == 0


def test_tick_command_runs_every_sweep_and_prints_counts(make_run, make_women) -> None:
    ended = make_run(starts_in=-30, days=25)
    (s1,) = add_sessions(ended, [-29])
    (a,) = make_women(1)
    enroll_before_start(ended, [a])
    mark(s1, {a: P})
    out, err = StringIO(), StringIO()
    call_command("programs", "tick", stdout=out, stderr=err)
    text = out.getvalue()
    assert "offers expired: 0" in text
    assert "paid seats released: 0" in text
    assert "runs closed: 1 (completed: 1, not completed: 0)" in text
    assert err.getvalue() == ""
    closing = AuditEntry.objects.get(object_type="programs.run", details__event="closed")
    assert closing.via == "cli"


# --- Follow-up tasks ------------------------------------------------------------------------------
def test_closing_a_follow_up_records_who_and_refuses_twice(running, make_women, personas) -> None:
    (a,) = make_women(1)
    (ea,) = enroll_before_start(running, [a])
    task = FollowUpTask.objects.create(centre=running.centre, enrollment=ea, reason=TWO)
    coordinator = personas["coordinator"]
    attendance.close_follow_up(task, actor=coordinator, note="  She is ill; back next week. ")
    task.refresh_from_db()
    assert task.done_by == coordinator
    assert task.note == "She is ill; back next week."
    assert task.done_at is not None
    entry = AuditEntry.objects.get(object_type="programs.followuptask", action="update")
    assert entry.fields == ["done_at", "note"]
    assert "ill" not in str(entry.details), "the note's words stay out of the log"
    with pytest.raises(Conflict):
        attendance.close_follow_up(task, actor=coordinator)
    with pytest.raises(ValidationError):
        attendance.close_follow_up(
            FollowUpTask.objects.create(centre=running.centre, enrollment=ea, reason=NO_SHOW),
            note="x" * 2001,
        )


def test_codes_are_normalised_from_what_people_type() -> None:
    assert attendance.normalise_code(" abcde-fghjk ") == "ABCDEFGHJK"
    assert attendance.format_code("ABCDEFGHJK") == "ABCDE-FGHJK"
    assert attendance.normalise_code("") == ""
