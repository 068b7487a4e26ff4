"""Roll call on the trainer's phone, the coordinator's follow-up list, certificates, and the
public page that confirms a certificate is genuine."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from mamapro.centres import clock
from mamapro.centres.context import current_centre_id
from mamapro.core import permissions as perms
from mamapro.core.errors import DomainError
from mamapro.people.visibility import shown_name
from mamapro.programs import queries
from mamapro.programs.certificates import certificate_name, render_certificate
from mamapro.programs.models import Attendance, Certificate, Enrollment, FollowUpTask, Run, Session
from mamapro.programs.services import attendance as services

Mark = Attendance.Mark
RECENT_DAYS = 7  # the roll-call list reaches back this many days for a late roll call


def mark_choices() -> list[tuple[str, str]]:
    """Short labels: four of them share a phone's width."""
    return [
        # Translators: a button of the roll call on a phone; four share its width, so keep
        # each of them short (about 9 letters at most).
        (Mark.PRESENT, pgettext("roll call", "Present")),
        (Mark.LATE, pgettext("roll call", "Late")),
        (Mark.EXCUSED, pgettext("roll call", "Excused")),
        (Mark.ABSENT, pgettext("roll call", "Absent")),
    ]


def _may_take_roll_call(request: HttpRequest, run: Run) -> None:
    if not perms.may_take_roll_call(request.user, run.centre_id, run.trainer_id):
        raise PermissionDenied


def _session(request: HttpRequest, pk: int) -> Session:
    """The session, or 404 outside her centres, 403 for a trainer of another run."""
    session = perms.get_for_user(
        Session.objects.select_related("run__course", "room", "centre"),
        request.user,
        perms.ATTENDANCE_RECORD,
        pk=pk,
    )
    _may_take_roll_call(request, session.run)
    return session


def _roll_call_sessions(request: HttpRequest) -> QuerySet[Session]:
    """Sessions she may take roll call for: a trainer her own runs', others their centres'."""
    me = perms.principal(request.user)
    qs = perms.scope(
        Session.objects.filter(cancelled=False),
        request.user,
        perms.ATTENDANCE_RECORD,
        only_centre=current_centre_id(request),
    )
    if not me.spans_all_centres:
        teaching = {cid for cid, role in me.roles.items() if role == perms.Role.TRAINER}
        qs = qs.filter(~Q(centre_id__in=teaching) | Q(run__trainer=request.user))
    return qs


@perms.rule(perms.ATTENDANCE_RECORD)
def roll_call_list(request: HttpRequest) -> HttpResponse:
    """Today's, tomorrow's and the last seven days' sessions, each by its centre's clock:
    one query over the days they may fall on anywhere, each kept by its own centre's today."""
    now = timezone.now()
    window_start, window_end = clock.widest_bounds(
        now.astimezone(dt.UTC).date() - dt.timedelta(days=RECENT_DAYS + 1), days=RECENT_DAYS + 4
    )
    on_roll = (
        Enrollment.objects.filter(run=OuterRef("run_id"), status__in=services.ON_ROLL)
        .order_by()
        .values("run")
        .annotate(n=Count("id"))
        .values("n")
    )
    sessions = list(
        _roll_call_sessions(request)
        .filter(starts_at__gte=window_start, starts_at__lt=window_end)
        .select_related("run__course", "room", "centre")
        .annotate(
            marked=Count(
                "attendance",
                filter=Q(attendance__enrollment__status__in=services.ON_ROLL),
                distinct=True,
            ),
            on_roll=Coalesce(Subquery(on_roll, output_field=IntegerField()), 0),
        )
        .order_by("starts_at", "id")[:200]
    )
    groups: dict[str, list[tuple[Session, ZoneInfo]]] = {"today": [], "tomorrow": [], "recent": []}
    for session in sessions:
        zone = clock.centre_zone(session.centre)
        today = clock.centre_today(zone, now)
        day = clock.local_date(session.starts_at, zone)
        if not today - dt.timedelta(days=RECENT_DAYS) <= day <= today + dt.timedelta(days=1):
            continue
        key = "today" if day == today else "tomorrow" if day > today else "recent"
        groups[key].append((session, zone))
    groups["recent"].reverse()
    me = perms.principal(request.user)
    return render(
        request,
        "programs/attendance/roll_call_list.html",
        {
            "groups": [
                (_("Today"), groups["today"]),
                (_("Tomorrow"), groups["tomorrow"]),
                (_("The last seven days"), groups["recent"]),
            ],
            "empty": not any(groups.values()),
            "show_centre": len(me.member_centre_ids() or {0, 1}) > 1
            and current_centre_id(request) is None,
        },
    )


def _roll_call_messages(request: HttpRequest, result: services.RollCallResult) -> None:
    """Every message naming a woman names her as the viewer may see her (her roster alias for
    a trainer): a flash outlives the page and is read over the trainer's shoulder."""
    messages.success(request, _("Roll call saved."))
    for enrollment in result.released:
        messages.warning(
            request,
            _(
                "%(name)s did not come to her first session: her seat is offered to the next "
                "woman waiting, and the coordinator will call her."
            )
            % {"name": shown_name(request.user, enrollment.participant)},
        )
    for task in result.follow_ups:
        if task.reason == FollowUpTask.Reason.TWO_ABSENCES:
            messages.warning(
                request,
                _("%(name)s has missed two sessions in a row; the coordinator will call her.")
                % {"name": shown_name(request.user, task.enrollment.participant)},
            )


@perms.rule(perms.ATTENDANCE_RECORD)
def roll_call(request: HttpRequest, pk: int) -> HttpResponse:
    session = _session(request, pk)
    run = session.run
    lines = services.roll(session, order=queries.name_order(request.user, run.centre_id))
    chosen = {line.enrollment.participant_id: line.mark for line in lines}
    errors: list[str] = []
    if request.method == "POST":
        marks = []
        for line in lines:
            value = request.POST.get(f"mark-{line.enrollment.participant_id}", "")
            if value:
                marks.append((line.enrollment.participant_id, value))
                chosen[line.enrollment.participant_id] = value
        try:
            result = services.record_roll_call(session, marks, actor=perms.acting_user(request))
        except ValidationError as exc:
            errors = _named_errors(request, exc, marks, lines)
        except DomainError as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(request.path)
        else:
            _roll_call_messages(request, result)
            unmarked = len(lines) - len([v for v in chosen.values() if v])
            if unmarked:
                messages.warning(
                    request,
                    ngettext(
                        "%(count)s woman is not marked yet.",
                        "%(count)s women are not marked yet.",
                        unmarked,
                    )
                    % {"count": unmarked},
                )
            return HttpResponseRedirect(request.path)
    now = timezone.now()
    held = services.held_sessions(run)
    first = bool(held) and held[0].pk == session.pk
    last = (
        Attendance.objects.filter(session=session)
        .select_related("recorded_by")
        .order_by("-recorded_at")
        .first()
    )
    tally = Counter(mark for mark in chosen.values() if mark)
    context: dict[str, Any] = {
        "session": session,
        "run": run,
        "rows": [(line, chosen[line.enrollment.participant_id]) for line in lines],
        "choices": mark_choices(),
        "tally": [(label, tally[value], value) for value, label in mark_choices()],
        "marked": sum(tally.values()),
        "errors": errors,
        "first_session": first,
        "early": now < services.roll_call_opens_at(session),
        "closed": run.status in (Run.Status.CLOSED, Run.Status.CANCELLED) or session.cancelled,
        "last": last,
    }
    # Its day and times on its centre's clock.
    with timezone.override(clock.centre_zone(session.centre)):
        return render(
            request,
            "programs/attendance/roll_call.html",
            context,
            status=422 if errors else 200,
        )


def _named_errors(
    request: HttpRequest,
    exc: ValidationError,
    marks: list[tuple[int, str]],
    lines: list[services.RollLine],
) -> list[str]:
    """The service names items by place ("3.status"); a person needs the woman's name, as
    she may see it."""
    names = {
        line.enrollment.participant_id: shown_name(request.user, line.enrollment.participant)
        for line in lines
    }
    out = []
    by_key = exc.error_dict if hasattr(exc, "error_dict") else {"": exc.error_list}
    for key, problems in by_key.items():
        index, _dot, _field = key.partition(".")
        who = ""
        if index.isdigit() and int(index) < len(marks):
            who = names.get(marks[int(index)][0], "")
        text = " ".join(str(m) for p in problems for m in p.messages)
        out.append(f"{who}: {text}" if who else text)
    return out


def _run_for_roll_call(request: HttpRequest, pk: int) -> Run:
    run = perms.get_for_user(
        Run.objects.select_related("course", "centre"), request.user, perms.ATTENDANCE_RECORD, pk=pk
    )
    _may_take_roll_call(request, run)
    return run


@perms.rule(perms.ATTENDANCE_RECORD)
def run_attendance(request: HttpRequest, pk: int) -> HttpResponse:
    """The run's register: every session, every woman's marks, her share against the bar."""
    run = _run_for_roll_call(request, pk)
    sessions = list(Session.objects.filter(run=run).order_by("starts_at", "id"))
    held = [s for s in sessions if not s.cancelled]
    women = list(
        Enrollment.objects.filter(
            Q(status__in=services.ON_ROLL)
            | Q(
                status=Enrollment.Status.DROPPED,
                end_reason__in=[
                    Enrollment.EndReason.NO_SHOW,
                    Enrollment.EndReason.NOT_COMPLETED,
                ],
            ),
            run=run,
        )
        .select_related("participant", "certificate")
        .order_by(queries.name_order(request.user, run.centre_id), "id")
    )
    marks = {
        (enrollment_id, session_id): status
        for enrollment_id, session_id, status in Attendance.objects.filter(
            session__run=run
        ).values_list("enrollment_id", "session_id", "status")
    }
    rows = []
    for enrollment in women:
        attended = sum(1 for s in held if marks.get((enrollment.pk, s.pk)) in services.ATTENDED)
        rows.append(
            {
                "enrollment": enrollment,
                "marks": [marks.get((enrollment.pk, s.pk)) for s in sessions],
                "attended": attended,
                "percent": round(100 * attended / len(held)) if held else 0,
                "reaches": services.reaches_completion(attended, len(held), run.completion_percent),
                "certificate": getattr(enrollment, "certificate", None),
            }
        )
    me = perms.principal(request.user)
    can_close = me.can(perms.PROGRAM_EDIT, run.centre_id)
    # The sessions' days and times on the run's centre's clock.
    with timezone.override(clock.centre_zone(run.centre)):
        return render(
            request,
            "programs/attendance/run_attendance.html",
            {
                "run": run,
                "sessions": sessions,
                "rows": rows,
                "held": len(held),
                "initials": dict(
                    present=pgettext("attendance initial", "P"),
                    late=pgettext("attendance initial", "L"),
                    excused=pgettext("attendance initial", "E"),
                    absent=pgettext("attendance initial", "A"),
                ),
                "can_close": can_close
                and run.status == Run.Status.PUBLISHED
                and services.run_has_ended(run, timezone.now()),
                "can_certify": can_close,
            },
        )


@perms.rule(perms.PROGRAM_EDIT)
@require_POST
def run_complete(request: HttpRequest, pk: int) -> HttpResponse:
    run = perms.get_for_user(Run.objects.all(), request.user, perms.PROGRAM_EDIT, pk=pk)
    try:
        result = services.complete_run(run, actor=perms.acting_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("The run is closed: %(completed)s completed it, %(not_completed)s did not.")
            % {"completed": len(result.completed), "not_completed": len(result.not_completed)},
        )
    return HttpResponseRedirect(reverse("programs:run_attendance", args=[pk]))


@perms.rule(perms.FOLLOW_UP_MANAGE)
def follow_up_list(request: HttpRequest) -> HttpResponse:
    done = request.GET.get("show") == "done"
    centre_id = current_centre_id(request)
    qs = perms.scope(
        FollowUpTask.objects.select_related(
            "enrollment__participant", "enrollment__run__course", "centre", "done_by"
        ),
        request.user,
        perms.FOLLOW_UP_MANAGE,
        only_centre=centre_id,
    ).filter(done_at__isnull=not done)
    # Open tasks oldest first: the longer she waits for a call, the likelier she is gone.
    qs = qs.order_by("-done_at", "-id") if done else qs.order_by("created_at", "id")
    page = Paginator(qs, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    me = perms.principal(request.user)
    return render(
        request,
        "programs/attendance/follow_up_list.html",
        {
            "page": page,
            "done": done,
            "show_centre": centre_id is None and len(me.member_centre_ids() or {0, 1}) > 1,
        },
    )


@perms.rule(perms.FOLLOW_UP_MANAGE)
@require_POST
def follow_up_done(request: HttpRequest, pk: int) -> HttpResponse:
    task = perms.get_for_user(
        FollowUpTask.objects.select_related("enrollment__participant"),
        request.user,
        perms.FOLLOW_UP_MANAGE,
        pk=pk,
    )
    try:
        services.close_follow_up(
            task, actor=perms.acting_user(request), note=request.POST.get("note", "")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            _("Done: %(name)s.") % {"name": shown_name(request.user, task.enrollment.participant)},
        )
    return HttpResponseRedirect(reverse("programs:follow_up_list"))


@perms.rule(perms.PROGRAM_EDIT)
def certificate_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    certificate = perms.get_for_user(
        Certificate.objects.select_related(
            "enrollment__participant", "enrollment__run__course", "enrollment__run__centre"
        ),
        request.user,
        perms.PROGRAM_EDIT,
        pk=pk,
    )
    verify_url = request.build_absolute_uri(
        reverse("programs:certificate_check", args=[certificate.code])
    )
    response = HttpResponse(
        render_certificate(certificate, verify_url=verify_url), content_type="application/pdf"
    )
    filename = f"certificate-{services.format_code(certificate.code)}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _certificate_by_code(code: str) -> Certificate | None:
    code = services.normalise_code(code)
    if not code:
        return None
    return (
        Certificate.objects.select_related("enrollment__participant", "enrollment__run__course")
        .filter(code=code)
        .first()
    )


@perms.rule(perms.PUBLIC)
@never_cache
def certificate_verify(request: HttpRequest) -> HttpResponse:
    """A form for the code printed on a certificate; no hint of which codes exist."""
    raw = request.GET.get("code", "")[:64]
    if raw.strip():
        certificate = _certificate_by_code(raw)
        if certificate is not None:
            return HttpResponseRedirect(
                reverse("programs:certificate_check", args=[certificate.code])
            )
        return render(
            request,
            "programs/attendance/certificate_verify.html",
            {"code": raw, "not_found": True},
            status=404,
        )
    return render(request, "programs/attendance/certificate_verify.html", {"code": ""})


@perms.rule(perms.PUBLIC)
@never_cache
def certificate_check(request: HttpRequest, code: str) -> HttpResponse:
    """Only her name, the course and the date: nothing a stranger could use against her."""
    certificate = _certificate_by_code(code)
    if certificate is None:
        raise Http404
    enrollment = certificate.enrollment
    return render(
        request,
        "programs/attendance/certificate_check.html",
        {
            "name": certificate_name(enrollment.participant, certificate.language),
            "course": enrollment.run.display_title,
            "completed_on": enrollment.run.ends_on,
        },
    )
