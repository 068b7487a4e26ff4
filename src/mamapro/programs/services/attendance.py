"""Roll call, the rules that catch a woman before she drops out, completion and certificates.

Known pain: many who sign up never finish. So the roll call does more than count heads:
- a no-show at her first session gives her seat to the next woman waiting (when the run says
  so), and the coordinator gets a task to call her;
- two unexcused absences in a row put her on the coordinator's follow-up list;
- once the run has ended, attending `completion_percent` of its sessions completes it, with a
  certificate in her language; below that, she is recorded as not having completed.

Each action runs under the run's lock (the seat service's `locked_run`), so a roll call, a
withdrawal and an offer for the same run queue one behind another; every change is audited.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from mamapro.core import audit
from mamapro.core.errors import Conflict
from mamapro.core.models import AuditEntry, User
from mamapro.programs import signals
from mamapro.programs.locking import locked_run
from mamapro.programs.models import (
    Attendance,
    Certificate,
    Enrollment,
    FollowUpTask,
    Run,
    Session,
)
from mamapro.programs.services import enrollment as seats

Mark = Attendance.Mark
Status = Enrollment.Status
# Who is on a session's roll: women holding a seat (and, after the run, those who completed).
ON_ROLL = (Status.CONFIRMED, Status.COMPLETED)
ATTENDED = (Mark.PRESENT, Mark.LATE)
# The roll call opens an hour before the start (women arrive early); before that, the only
# mark is "excused", for a woman who called ahead to say she cannot come.
OPENS_BEFORE_START = dt.timedelta(hours=1)
# No 0/O or 1/I: the code is read aloud over the phone and typed from paper.
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10


@dataclass
class RollCallResult:
    created: int = 0
    changed: int = 0
    unchanged: int = 0
    # Seats given to the waitlist after a no-show at her first session.
    released: list[Enrollment] = field(default_factory=list)
    follow_ups: list[FollowUpTask] = field(default_factory=list)


@dataclass
class CompletionResult:
    completed: list[Enrollment] = field(default_factory=list)
    not_completed: list[Enrollment] = field(default_factory=list)
    certificates: list[Certificate] = field(default_factory=list)
    closed: bool = False


@dataclass(frozen=True)
class RollLine:
    """One woman on a session's roll and her mark there (None: not marked yet)."""

    enrollment: Enrollment
    mark: str | None


# --- Reads ------------------------------------------------------------------------------------
def held_sessions(run: Run) -> list[Session]:
    """The run's sessions that count: every one not cancelled, in order."""
    return list(Session.objects.filter(run=run, cancelled=False).order_by("starts_at", "id"))


def roll(session: Session, *, order: str = "participant__roster_key") -> list[RollLine]:
    """Everyone on the session's roll, by name, with her mark; two queries whatever the size.

    Only the names (and the roster alias a woman may have chosen) are loaded: the roll call
    is the trainer's screen, and a trainer never sees a woman's phone or circumstances.
    `order` is the viewer's (`programs.queries.name_order`): by the name she is shown, so
    the order never hints at the real family name behind an alias.
    """
    if order not in ("participant__roster_key", "participant__search_key"):
        raise ValueError(f"Not a name order: {order!r}")
    enrollments = (
        Enrollment.objects.filter(run_id=session.run_id, status__in=ON_ROLL)
        .select_related("participant")
        .only(
            "id",
            "run_id",
            "status",
            "seat_type",
            "confirmed_at",
            "participant__id",
            "participant__given_name",
            "participant__family_name",
            "participant__patronymic",
            "participant__alias",
            "participant__centre_id",
            "participant__search_key",
            "participant__roster_key",
        )
        .order_by(order, "id")
    )
    marks = dict(Attendance.objects.filter(session=session).values_list("enrollment_id", "status"))
    return [RollLine(e, marks.get(e.pk)) for e in enrollments]


def roll_call_opens_at(session: Session) -> dt.datetime:
    return session.starts_at - OPENS_BEFORE_START


def is_first_session_for(enrollment: Enrollment, session: Session, held: Sequence[Session]) -> bool:
    """Her first session: the run's first, or for a woman who took a freed seat later, the
    first one that started after her seat was confirmed."""
    since = enrollment.confirmed_at
    for candidate in held:
        if since is None or candidate.starts_at >= since:
            return candidate.pk == session.pk
    return False


def _has_come(enrollment: Enrollment) -> bool:
    """Present, late or excused at any session: whoever came once, or called, is no no-show
    (this guards a late edit of the first roll call)."""
    return Attendance.objects.filter(
        enrollment=enrollment, status__in=(Mark.PRESENT, Mark.LATE, Mark.EXCUSED)
    ).exists()


def attended_counts(run: Run) -> dict[int, int]:
    """Enrollment id → sessions attended (present or late), cancelled sessions left out."""
    rows = (
        Attendance.objects.filter(session__run=run, session__cancelled=False, status__in=ATTENDED)
        .values("enrollment_id")
        .annotate(n=Count("id"))
    )
    return {row["enrollment_id"]: row["n"] for row in rows}


def reaches_completion(attended: int, held: int, percent: int) -> bool:
    """Integer arithmetic: 6 of 8 is exactly 75 %, with no floating-point doubt at the edge."""
    return held > 0 and attended * 100 >= percent * held


def run_has_ended(run: Run, now: dt.datetime) -> bool:
    """After its last day; or on the last day, once every session still planned is over."""
    today = timezone.localdate(now)
    if today > run.ends_on:
        return True
    if today < run.ends_on:
        return False
    sessions = Session.objects.filter(run=run, cancelled=False)
    return sessions.exists() and not sessions.filter(ends_at__gt=now).exists()


# --- Roll call --------------------------------------------------------------------------------
def _check_session(session: Session, run: Run) -> None:
    if session.cancelled:
        raise Conflict(_("This session was cancelled; there is no roll call to take."))
    if run.status == Run.Status.CANCELLED:
        raise Conflict(_("This run was cancelled; there is no roll call to take."))
    if run.status == Run.Status.CLOSED:
        raise Conflict(
            _(
                "This run is finished and its certificates are issued; attendance can no "
                "longer change."
            )
        )


def record_roll_call(
    session: Session,
    marks: Sequence[tuple[int, str]],
    *,
    actor: User | None = None,
    now: dt.datetime | None = None,
) -> RollCallResult:
    """Save the marks (participant id, mark) of one session in one go, then apply the rules.

    Marks not listed stay as they are; nothing is ever deleted. Problems name the item by its
    place in the list ("2.participant"), and nothing is written while any item is wrong.
    """
    now = now or timezone.now()
    errors: dict[str, str] = {}
    seen: set[int] = set()
    for index, (participant_id, status) in enumerate(marks):
        if status not in Mark.values:
            errors[f"{index}.status"] = _("Choose present, late, excused or absent.")
        if participant_id in seen:
            errors[f"{index}.participant"] = _("She is listed twice; mark each woman once.")
        seen.add(participant_id)
    result = RollCallResult()
    with locked_run(session.run_id) as run, transaction.atomic():
        session = Session.objects.get(pk=session.pk)
        _check_session(session, run)
        on_roll = {
            e.participant_id: e for e in Enrollment.objects.filter(run=run, status__in=ON_ROLL)
        }
        early = now < roll_call_opens_at(session)
        for index, (participant_id, status) in enumerate(marks):
            if participant_id not in on_roll:
                errors.setdefault(
                    f"{index}.participant",
                    _("She is not enrolled in this run (or no longer holds a seat)."),
                )
            elif early and status in Mark.values and status != Mark.EXCUSED:
                errors.setdefault(
                    f"{index}.status",
                    _(
                        "The session has not started yet; the roll call opens an hour before. "
                        "Until then a woman can only be excused."
                    ),
                )
        if errors:
            raise ValidationError(errors)

        existing = {a.enrollment_id: a for a in Attendance.objects.filter(session=session)}
        events = []
        newly_absent: list[Enrollment] = []
        for participant_id, status in marks:
            enrollment = on_roll[participant_id]
            mark = existing.get(enrollment.pk)
            if mark is not None and mark.status == status:
                result.unchanged += 1
                continue
            details = {
                "session": session.pk,
                "enrollment": enrollment.pk,
                "participant": participant_id,
                "status": status,
            }
            if mark is None:
                mark = Attendance.objects.create(
                    session=session,
                    enrollment=enrollment,
                    centre_id=session.centre_id,
                    status=status,
                    recorded_at=now,
                    recorded_by=actor,
                )
                events.append(
                    audit.event_for(
                        AuditEntry.Action.CREATE,
                        mark,
                        fields=["status"],
                        details={"event": "attendance_recorded", **details},
                    )
                )
                result.created += 1
            else:
                # A later edit: who changed which mark from what, for the record.
                was = mark.status
                mark.status, mark.recorded_at, mark.recorded_by = status, now, actor
                mark.save(update_fields=["status", "recorded_at", "recorded_by"])
                events.append(
                    audit.event_for(
                        AuditEntry.Action.UPDATE,
                        mark,
                        fields=["status"],
                        details={"event": "attendance_changed", "was": was, **details},
                    )
                )
                result.changed += 1
            if status == Mark.ABSENT:
                newly_absent.append(enrollment)
        audit.record_events(events, actor=actor)
        if newly_absent:
            _apply_absence_rules(run, session, newly_absent, result, actor, now)
    return result


def _apply_absence_rules(
    run: Run,
    session: Session,
    absent: list[Enrollment],
    result: RollCallResult,
    actor: User | None,
    now: dt.datetime,
) -> None:
    held = held_sessions(run)
    for enrollment in absent:
        if enrollment.status != Status.CONFIRMED:
            continue
        if is_first_session_for(enrollment, session, held) and not _has_come(enrollment):
            task = _open_follow_up(enrollment, FollowUpTask.Reason.NO_SHOW, actor, now)
            if task is not None:
                result.follow_ups.append(task)
                signals.first_session_no_show.send(
                    sender=Enrollment,
                    enrollment=enrollment,
                    session=session,
                    released=run.no_show_releases_seat,
                    now=now,
                )
            if run.no_show_releases_seat:
                # The seat service frees her seat and offers it to the first woman waiting.
                released = seats.withdraw(
                    enrollment,
                    actor=actor,
                    reason=Enrollment.EndReason.NO_SHOW,
                    status=Status.DROPPED,
                    now=now,
                )
                result.released.append(released)
                continue
        later = _second_of_two_absences(enrollment, session, held)
        if later is not None and not _follow_up_covers(enrollment, later):
            task = _open_follow_up(enrollment, FollowUpTask.Reason.TWO_ABSENCES, actor, now)
            if task is not None:
                result.follow_ups.append(task)
                signals.absences_in_a_row.send(
                    sender=Enrollment, enrollment=enrollment, session=session, task=task, now=now
                )


def _second_of_two_absences(
    enrollment: Enrollment, session: Session, held: Sequence[Session]
) -> Session | None:
    """The later session of an absent–absent pair around `session`, if there is one.

    "In a row" means consecutive sessions that took place; a cancelled session in between
    does not break the row, an excused or unmarked one does.
    """
    ids = [s.pk for s in held]
    if session.pk not in ids:
        return None
    at = ids.index(session.pk)
    neighbours = [held[i] for i in (at - 1, at + 1) if 0 <= i < len(held)]
    absent_at = set(
        Attendance.objects.filter(
            enrollment=enrollment,
            session__in=[s.pk for s in neighbours],
            status=Mark.ABSENT,
        ).values_list("session_id", flat=True)
    )
    if at > 0 and held[at - 1].pk in absent_at:
        return session
    if at + 1 < len(held) and held[at + 1].pk in absent_at:
        return held[at + 1]
    return None


def _follow_up_covers(enrollment: Enrollment, later: Session) -> bool:
    """A task still open, or one closed after these absences happened, already covers them:
    editing an old roll call must not put her back on the list for absences followed up."""
    return FollowUpTask.objects.filter(
        Q(done_at__isnull=True) | Q(done_at__gte=later.starts_at),
        enrollment=enrollment,
        reason=FollowUpTask.Reason.TWO_ABSENCES,
    ).exists()


def _open_follow_up(
    enrollment: Enrollment, reason: str, actor: User | None, now: dt.datetime
) -> FollowUpTask | None:
    if FollowUpTask.objects.filter(enrollment=enrollment, reason=reason, done_at=None).exists():
        return None
    task = FollowUpTask.objects.create(
        centre_id=enrollment.centre_id, enrollment=enrollment, reason=reason, created_at=now
    )
    audit.record(
        AuditEntry.Action.CREATE,
        task,
        details={"event": "follow_up_opened", "reason": reason, "enrollment": enrollment.pk},
        actor=actor,
    )
    return task


def close_follow_up(
    task: FollowUpTask,
    *,
    actor: User | None = None,
    note: str = "",
    now: dt.datetime | None = None,
) -> FollowUpTask:
    """The coordinator has called her (or otherwise dealt with it)."""
    now = now or timezone.now()
    note = (note or "").strip()
    if len(note) > 2000:
        raise ValidationError({"note": _("At most %(max)s characters.") % {"max": 2000}})
    with transaction.atomic():
        task = FollowUpTask.objects.select_for_update().get(pk=task.pk)
        if task.done_at is not None:
            raise Conflict(_("This follow-up is already done."))
        task.done_at, task.done_by, task.note = now, actor, note
        task.save(update_fields=["done_at", "done_by", "note"])
        audit.record(
            AuditEntry.Action.UPDATE,
            task,
            fields=["done_at", "note"] if note else ["done_at"],
            details={"event": "follow_up_done", "reason": task.reason},
            actor=actor,
        )
    return task


# --- Completion and certificates --------------------------------------------------------------
def new_certificate_code() -> str:
    while True:
        code = "".join(secrets.choice(CODE_ALPHABET) for _i in range(CODE_LENGTH))
        if not Certificate.objects.filter(code=code).exists():
            return code


def normalise_code(raw: str) -> str:
    """What a person typed ("abcde-fghjk ", with the dash printed on paper) → the stored code."""
    return "".join(ch for ch in (raw or "").upper() if ch.isalnum())[:32]


def format_code(code: str) -> str:
    """For print: two groups of five, easier to read aloud and to type."""
    half = len(code) // 2
    return f"{code[:half]}-{code[half:]}" if len(code) == CODE_LENGTH else code


def complete_run(
    run: Run, *, actor: User | None = None, now: dt.datetime | None = None
) -> CompletionResult:
    """Close a run that has ended: who completed it (with a certificate) and who did not.

    Idempotent: a closed run is left as it is.
    """
    now = now or timezone.now()
    result = CompletionResult()
    with locked_run(run.pk) as run, transaction.atomic():
        if run.status == Run.Status.CLOSED:
            return result
        if run.status == Run.Status.CANCELLED:
            raise Conflict(_("This run was cancelled; nobody can complete it."))
        if not run_has_ended(run, now):
            raise Conflict(_("The run has not ended yet; it can be closed after its last session."))
        held = len(held_sessions(run))
        if held == 0:
            raise Conflict(
                _(
                    "This run has no sessions; add its sessions and take roll call before "
                    "closing it."
                )
            )
        attended = attended_counts(run)
        confirmed = Enrollment.objects.filter(run=run, status=Status.CONFIRMED).select_related(
            "participant"
        )
        for enrollment in confirmed:
            count = attended.get(enrollment.pk, 0)
            completed = reaches_completion(count, held, run.completion_percent)
            enrollment.status = Status.COMPLETED if completed else Status.DROPPED
            enrollment.end_reason = "" if completed else Enrollment.EndReason.NOT_COMPLETED
            enrollment.ended_at = now
            # A fee still due stays due: she took part, whatever the outcome.
            enrollment.save(update_fields=["status", "end_reason", "ended_at"])
            audit.record(
                AuditEntry.Action.UPDATE,
                enrollment,
                fields=["status"],
                details={
                    "event": "completed" if completed else "not_completed",
                    "run": run.pk,
                    "attended": count,
                    "held": held,
                },
                actor=actor,
            )
            if completed:
                result.completed.append(enrollment)
                result.certificates.append(_issue_certificate(enrollment, actor, now))
            else:
                result.not_completed.append(enrollment)
        _end_open_offers(run, actor, now)
        run.status = Run.Status.CLOSED
        run.save(update_fields=["status"])
        audit.record(
            AuditEntry.Action.UPDATE,
            run,
            fields=["status"],
            details={
                "event": "closed",
                "completed": len(result.completed),
                "not_completed": len(result.not_completed),
            },
            actor=actor,
        )
        result.closed = True
    return result


def _issue_certificate(enrollment: Enrollment, actor: User | None, now: dt.datetime) -> Certificate:
    certificate = Certificate.objects.create(
        enrollment=enrollment,
        centre_id=enrollment.centre_id,
        code=new_certificate_code(),
        issued_at=now,
        language=enrollment.participant.language,
    )
    audit.record(
        AuditEntry.Action.CREATE,
        certificate,
        details={"event": "certificate_issued", "enrollment": enrollment.pk},
        actor=actor,
    )
    signals.certificate_issued.send(sender=Certificate, certificate=certificate, now=now)
    return certificate


def _end_open_offers(run: Run, actor: User | None, now: dt.datetime) -> None:
    """An offer still open when the run ends can no longer be taken up. Ending it here (not by
    the offer sweep) matters: the sweep would pass the seat on to the next woman waiting."""
    for enrollment in Enrollment.objects.filter(run=run, status=Status.OFFERED):
        enrollment.status = Status.DROPPED
        enrollment.end_reason = Enrollment.EndReason.OFFER_EXPIRED
        enrollment.ended_at = now
        enrollment.offered_at = enrollment.offer_expires_at = None
        enrollment.save()
        audit.record(
            AuditEntry.Action.UPDATE,
            enrollment,
            fields=["status"],
            details={"event": "offer_expired", "run": run.pk, "why": "run_ended"},
            actor=actor,
        )


@dataclass
class SweepResult:
    closed: int = 0
    completed: int = 0
    not_completed: int = 0
    # Runs that ended but cannot close (no sessions): a person has to look at them.
    stuck: list[int] = field(default_factory=list)


def close_finished_runs(*, now: dt.datetime | None = None) -> SweepResult:
    """The worker's sweep: close every published run that has ended. One run per transaction,
    so one run that cannot close does not hold up the others."""
    now = now or timezone.now()
    sweep = SweepResult()
    due = Run.objects.filter(
        status=Run.Status.PUBLISHED, ends_on__lte=timezone.localdate(now)
    ).order_by("ends_on", "id")
    for run in due:
        if not run_has_ended(run, now):
            continue
        try:
            result = complete_run(run, now=now)
        except Conflict:
            sweep.stuck.append(run.pk)
            continue
        sweep.closed += int(result.closed)
        sweep.completed += len(result.completed)
        sweep.not_completed += len(result.not_completed)
    return sweep
