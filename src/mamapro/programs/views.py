"""The coordinator's pages for runs: seat counters, waitlists, offers, roster, fees."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamapro.centres import clock
from mamapro.centres.context import current_centre_id
from mamapro.centres.models import Centre
from mamapro.core import permissions as perms
from mamapro.core.errors import DomainError
from mamapro.people import reach
from mamapro.people.models import Participant
from mamapro.people.queries import search_participants
from mamapro.people.visibility import shown_name
from mamapro.programs import queries
from mamapro.programs.forms import (
    EnrollForm,
    FeeForm,
    RunCreateForm,
    SeatsForm,
    SeatTypeForm,
    SponsorForm,
)
from mamapro.programs.models import Enrollment, Fee, FollowUpTask, Run
from mamapro.programs.services import enrollment as seats
from mamapro.programs.services import runs as run_services

UPCOMING_LIMIT = 60


@perms.rule(perms.PROGRAM_VIEW)
def run_list(request: HttpRequest) -> HttpResponse:
    # Runs not yet over by their own centre's clock (a day behind UTC at most, anywhere).
    now = timezone.now()
    runs = [
        run
        for run in queries.visible_runs(request.user, current_centre_id(request))
        .filter(ends_on__gte=now.astimezone(dt.UTC).date() - dt.timedelta(days=1))
        .exclude(status=Run.Status.CANCELLED)
        .order_by("starts_on", "id")[:UPCOMING_LIMIT]
        if run.ends_on >= clock.centre_today(run.centre, now)
    ]
    counts = queries.counts_for(runs)
    # Per seat type for the people who give and sell seats; totals for everyone else.
    rows = [
        (
            run,
            counts[run.pk] if queries.sees_seat_types(request.user, run.centre_id) else None,
            queries.totals(counts[run.pk]),
        )
        for run in runs
    ]
    me = perms.principal(request.user)
    return render(
        request,
        "programs/run_list.html",
        {
            "rows": rows,
            "show_centre": len(me.member_centre_ids() or {0, 1}) > 1,
            "can_create": me.can(perms.PROGRAM_EDIT),
        },
    )


def _run(request: HttpRequest, pk: int, capability: str) -> Run:
    return perms.get_for_user(
        Run.objects.select_related("course", "centre", "trainer"), request.user, capability, pk=pk
    )


@perms.rule(perms.PROGRAM_EDIT)
def run_create(request: HttpRequest) -> HttpResponse:
    """A new run of a course at one of her centres, with its weekly sessions generated."""
    centres = list(
        perms.scope(
            Centre.objects.filter(is_active=True),
            request.user,
            perms.PROGRAM_EDIT,
            centre_field="id",
        )
    )
    form = RunCreateForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        perms.require(request.user, perms.PROGRAM_EDIT, data["centre"].pk)
        try:
            # The run and its timetable together, or neither.
            with transaction.atomic():
                run = run_services.create_run(
                    course=data["course"],
                    centre=data["centre"],
                    starts_on=data["starts_on"],
                    ends_on=data["ends_on"],
                    paid_seats=data["paid_seats"],
                    free_seats=data["free_seats"],
                    price=data["price"],
                    trainer=data["trainer"],
                    sponsor=data["sponsor"],
                    kids_room=data["kids_room"],
                    actor=perms.acting_user(request),
                )
                run_services.generate_weekly_sessions(
                    run,
                    data["weekdays"],
                    data["start_time"],
                    data["end_time"],
                    room=data["room"],
                    actor=perms.acting_user(request),
                )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The run is open for enrollment."))
            return HttpResponseRedirect(reverse("programs:run_detail", args=[run.pk]))
    return render(request, "programs/run_form.html", {"form": form})


@perms.rule(perms.PROGRAM_VIEW)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, perms.PROGRAM_VIEW)
    me = perms.principal(request.user)
    may = {
        "names": me.can(perms.PARTICIPANT_VIEW, run.centre_id),
        # Seat types say who is on a free seat, i.e. who is vulnerable: only for the people
        # who sell and give seats (the per-type counters too: an offer or a new name on the
        # roster next to a counter that moved tells the same).
        "seats": queries.sees_seat_types(request.user, run.centre_id),
        "enroll": me.can(perms.ENROLLMENT_EDIT, run.centre_id),
        "fees": me.can(perms.FEE_EDIT, run.centre_id),
        "edit": me.can(perms.PROGRAM_EDIT, run.centre_id),
        "follow_ups": me.can(perms.FOLLOW_UP_MANAGE, run.centre_id),
        "roll_call": perms.may_take_roll_call(request.user, run.centre_id, run.trainer_id),
    }
    counts = seats.seat_counts(run)
    context: dict[str, Any] = {
        "run": run,
        "counts": counts if may["seats"] else None,
        "totals": queries.totals(counts),
        "may": may,
        "sessions": list(run.sessions.select_related("room")),
    }
    if may["names"]:
        context["roster"] = queries.roster(run, request.user)
        # A trainer, a tutor: only the women their work brings them are named.
        context["roster_limited"] = reach.participants_q(request.user) is not None
    if may["follow_ups"]:
        context["follow_ups"] = list(
            FollowUpTask.objects.filter(enrollment__run=run, done_at__isnull=True).select_related(
                "enrollment__participant"
            )
        )
    if may["edit"]:
        context["seats_form"] = SeatsForm(
            initial={"paid_seats": run.paid_seats, "free_seats": run.free_seats}
        )
        context["sponsor_form"] = SponsorForm()
    return render(request, "programs/run_detail.html", context)


@perms.rule(perms.ENROLLMENT_EDIT)
def run_candidates(request: HttpRequest, pk: int) -> HttpResponse:
    """Women of the run's centre matching a search, not yet in the run (htmx partial)."""
    run = _run(request, pk, perms.ENROLLMENT_EDIT)
    query = request.GET.get("q", "").strip()[:100]
    found: list[Participant] = []
    if len(query) >= 2:
        found = list(
            search_participants(request.user, query, centre_id=run.centre_id).exclude(
                enrollments__run=run, enrollments__status__in=Enrollment.ACTIVE
            )[:8]
        )
    return render(
        request, "programs/_candidates.html", {"run": run, "found": found, "query": query}
    )


def _act(
    request: HttpRequest, run_id: int, action: Callable[[], object], done: str
) -> HttpResponse:
    """Run a service action; its message (or its refusal) goes back to the run page."""
    try:
        action()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return HttpResponseRedirect(reverse("programs:run_detail", args=[run_id]))


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def run_enroll(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, perms.ENROLLMENT_EDIT)
    form = EnrollForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a woman and a seat."))
        return HttpResponseRedirect(reverse("programs:run_detail", args=[pk]))
    participant = (
        perms.scope(Participant.objects.all(), request.user, perms.PARTICIPANT_VIEW)
        .filter(pk=form.cleaned_data["participant"])
        .first()
    )
    if participant is None:
        messages.error(request, _("No such participant among yours."))
        return HttpResponseRedirect(reverse("programs:run_detail", args=[pk]))

    def enroll() -> Enrollment:
        return seats.enroll(
            run, participant, form.cleaned_data["seat_type"], actor=perms.acting_user(request)
        )

    done = _("%(name)s is enrolled.") % {"name": shown_name(request.user, participant)}
    return _act(request, pk, enroll, done)


def _enrollment(request: HttpRequest, pk: int, capability: str) -> Enrollment:
    return perms.get_for_user(
        Enrollment.objects.select_related("participant"), request.user, capability, pk=pk
    )


def _on_enrollment(
    request: HttpRequest,
    pk: int,
    action: Callable[..., Enrollment],
    done: Callable[[Enrollment], str],
) -> HttpResponse:
    """One service action on one enrollment, its outcome back on the run page."""
    enrollment = _enrollment(request, pk, perms.ENROLLMENT_EDIT)
    return _act(
        request,
        enrollment.run_id,
        lambda: action(enrollment, actor=perms.acting_user(request)),
        done(enrollment),
    )


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def enrollment_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    return _on_enrollment(
        request,
        pk,
        seats.withdraw,
        lambda e: _("%(name)s is withdrawn.") % {"name": shown_name(request.user, e.participant)},
    )


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def enrollment_accept(request: HttpRequest, pk: int) -> HttpResponse:
    return _on_enrollment(
        request,
        pk,
        seats.accept_offer,
        lambda e: (
            _("%(name)s accepted the seat.") % {"name": shown_name(request.user, e.participant)}
        ),
    )


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def enrollment_decline(request: HttpRequest, pk: int) -> HttpResponse:
    return _on_enrollment(
        request, pk, seats.decline_offer, lambda e: _("The seat passes to the next woman waiting.")
    )


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def enrollment_seat_type(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = _enrollment(request, pk, perms.ENROLLMENT_EDIT)
    form = SeatTypeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose a paid or a free seat."))
        return HttpResponseRedirect(reverse("programs:run_detail", args=[enrollment.run_id]))
    return _act(
        request,
        enrollment.run_id,
        lambda: seats.move_seat_type(
            enrollment, form.cleaned_data["seat_type"], actor=perms.acting_user(request)
        ),
        _("Seat changed."),
    )


def _form_errors(form: Any) -> str:
    return " ".join(
        f"{form.fields[name].label}: {' '.join(map(str, errs))}"
        for name, errs in form.errors.items()
    )


@perms.rule(perms.PROGRAM_EDIT)
@require_POST
def run_seats(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, perms.PROGRAM_EDIT)
    form = SeatsForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return HttpResponseRedirect(reverse("programs:run_detail", args=[pk]))
    return _act(
        request,
        pk,
        lambda: seats.change_seats(run, actor=perms.acting_user(request), **form.cleaned_data),
        _("Seats changed."),
    )


@perms.rule(perms.PROGRAM_EDIT)
@require_POST
def run_sponsor(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, perms.PROGRAM_EDIT)
    form = SponsorForm(request.POST)
    if not form.is_valid():
        messages.error(request, _form_errors(form))
        return HttpResponseRedirect(reverse("programs:run_detail", args=[pk]))
    return _act(
        request,
        pk,
        lambda: seats.fund_free_seats(run, actor=perms.acting_user(request), **form.cleaned_data),
        _("Sponsored seats added."),
    )


@perms.rule(perms.PROGRAM_EDIT)
@require_POST
def run_release(request: HttpRequest, pk: int) -> HttpResponse:
    run = _run(request, pk, perms.PROGRAM_EDIT)
    released: list[int] = []
    response = _act(
        request,
        pk,
        lambda: released.append(
            seats.release_unsold_paid_seats(run, actor=perms.acting_user(request))
        ),
        _("Unsold paid seats released as free seats."),
    )
    if released == [0]:
        messages.info(
            request,
            _("Nothing to release: it is too early, or every paid seat is taken or wanted."),
        )
    return response


@perms.rule(perms.FEE_EDIT)
@require_POST
def fee_status(request: HttpRequest, pk: int) -> HttpResponse:
    fee = perms.get_for_user(
        Fee.objects.select_related("enrollment"), request.user, perms.FEE_EDIT, pk=pk
    )
    form = FeeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choose due, paid or waived."))
        return HttpResponseRedirect(reverse("programs:run_detail", args=[fee.enrollment.run_id]))
    return _act(
        request,
        fee.enrollment.run_id,
        lambda: seats.set_fee_status(
            fee, form.cleaned_data["status"], actor=perms.acting_user(request)
        ),
        _("Fee updated."),
    )
