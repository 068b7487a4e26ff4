"""The kids' room on the tutor's phone (today's board, check-in, check-out), the coordinator's
planning (bookings per session, tutors' shifts), the safety alerts, incidents and the report.

A check-out to a restricted adult never happens here: the service refuses it, and this page
answers with an unmistakable warning (403) while the alert reaches the coordinator.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from mamapro.centres import clock
from mamapro.centres.context import working_centres
from mamapro.centres.models import Centre, Membership
from mamapro.centres.notices import Notice
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.dates import day_param
from mamapro.core.errors import DomainError
from mamapro.core.models import User
from mamapro.kidsroom import names, queries
from mamapro.kidsroom import services as kids
from mamapro.kidsroom.models import Alert, Booking, Incident, Rules, Shift
from mamapro.people import reach
from mamapro.people.models import Child, ChildAdult
from mamapro.people.panels import Panel
from mamapro.people.visibility import CHILD_NEEDS_FIELDS, child_access
from mamapro.programs.models import Enrollment, Session

FEEDBACK = "kidsroom_feedback"


def _day(request: HttpRequest, today: dt.date) -> dt.date:
    """`?day=` (YYYY-MM-DD), `today` without it; a ValidationError naming `day` otherwise."""
    return day_param(request, "day") or today


def _today(centres: list[int] | None) -> dt.date:
    """Today by the clock of the centres shown (the head office's when theirs differ); each
    row still falls on its day by its own centre's clock (queries.day_board)."""
    return clock.page_today(centres)


def _bad_request(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    return render(request, "kidsroom/bad_request.html", {"errors": exc.messages}, status=400)


def _tell(request: HttpRequest, booking: Booking, level: str, text: str) -> None:
    """Feedback on a check-in or check-out, shown on the child's card the tutor acted on
    (the board jumps there), not at the top of the page."""
    request.session[FEEDBACK] = {"booking": booking.pk, "level": level, "text": str(text)}


def _children_in_reach(request: HttpRequest) -> Any:
    """A Q over Child: those the user's work reaches (None: every child of her centres)."""
    return reach.children_q(request.user)


def _back_to_plan(booking: Booking) -> HttpResponseRedirect:
    """The session's bookings page, or the board for a slot of its own."""
    if booking.session_id is None:
        return _back_to_board(booking)
    return HttpResponseRedirect(reverse("kidsroom:session_bookings", args=[booking.session_id]))


def _back_to_board(booking: Booking) -> HttpResponseRedirect:
    day = clock.local_date(booking.window[0], booking.centre)
    return HttpResponseRedirect(
        f"{reverse('kidsroom:board')}?day={day.isoformat()}#child-{booking.pk}"
    )


def _alerts_open(request: HttpRequest) -> int:
    centres = working_centres(request, perms.KIDSROOM_ALERTS)
    if not perms.principal(request.user).can(perms.KIDSROOM_ALERTS):
        return 0
    qs = Alert.objects.filter(acknowledged_at__isnull=True)
    return (qs if centres is None else qs.filter(centre_id__in=centres)).count()


def alerts_notice(request: HttpRequest) -> Notice | None:
    """On the staff home page of a coordinator or the director: safety alerts not yet handled."""
    n = _alerts_open(request)
    if not n:
        return None
    return Notice(
        ngettext(
            "%(n)s kids' room safety alert is waiting for you.",
            "%(n)s kids' room safety alerts are waiting for you.",
            n,
        )
        % {"n": n},
        reverse("kidsroom:alerts"),
        urgent=True,
    )


# --- Today's board ---------------------------------------------------------------------------


@perms.rule(perms.KIDSROOM_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    """Each session of the day with its children: needs card, check-in, check-out."""
    centres = working_centres(request, perms.KIDSROOM_VIEW)
    today = _today(centres)
    try:
        day = _day(request, today)
    except ValidationError as exc:
        return _bad_request(request, exc)
    in_reach = _children_in_reach(request)
    # Only adults who may collect the child are offered; the restricted ones are never a choice
    # but each is named (first name, initial, relation) in a warning on the child's card.
    adults = ChildAdult.objects.filter(authorised=True)
    rows = queries.day_board(centres, day, adults=adults, reach=in_reach, restricted=True)
    me = perms.principal(request.user)
    needs = me.can(perms.CHILD_VIEW_NEEDS)
    feedback = request.session.pop(FEEDBACK, None)
    shown = _label_cards(request, rows, feedback)
    audit.record_reads(
        [
            (
                b.child,
                (CHILD_NEEDS_FIELDS if needs else ())
                + (("restricted_adults",) if _restricted(b.child) else ()),
            )
            for row in rows
            for b in row.booked
        ]
    )
    next_with_children = None
    if not rows:
        # A quiet day: where the next children are, one tap away.
        # From the day's earliest end anywhere; the first booking after the day by its own
        # centre's clock (none of this day's can be among them: the board is empty).
        later = Booking.objects.filter(
            status=Booking.Status.BOOKED,
            session__starts_at__gte=clock.widest_bounds(day + dt.timedelta(days=1))[0],
            session__cancelled=False,
        )
        if centres is not None:
            later = later.filter(centre_id__in=centres)
        if in_reach is not None:
            later = later.filter(child__in=Child.objects.filter(in_reach).values("pk"))
        first = later.order_by("session__starts_at").values_list(
            "session__starts_at", "centre__timezone"
        )
        next_with_children = next(
            (d for d in (clock.local_date(at, tz) for at, tz in first[:50]) if d > day), None
        )
    return render(
        request,
        "kidsroom/board.html",
        {
            "day": day,
            "is_today": day == today,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "rows": rows,
            "needs": needs,
            "may_check": me.can(perms.KIDSROOM_CHECK),
            "may_plan": me.can(perms.KIDSROOM_BOOK),
            "may_record_incident": me.can(perms.INCIDENT_RECORD),
            "alerts_open": _alerts_open(request),
            "next_with_children": next_with_children,
            # Feedback about a child not on this day's board: at the top, still announced.
            "feedback": feedback if feedback and not shown else None,
        },
    )


def coordinator_contacts(centre_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Per centre: the coordinators' names and the phone tutors call (the kids' room rules)."""
    if not centre_ids:
        return {}
    who: dict[int, list[str]] = {}
    for m in (
        Membership.objects.filter(
            role=perms.Role.COORDINATOR, centre_id__in=centre_ids, user__is_active=True
        )
        .select_related("user")
        .order_by("id")
    ):
        assert m.centre_id is not None
        who.setdefault(m.centre_id, []).append(m.user.display_name())
    phones = dict(
        Rules.objects.filter(centre_id__in=centre_ids).values_list("centre_id", "coordinator_phone")
    )
    return {c: (", ".join(who.get(c, [])), phones.get(c) or "") for c in centre_ids}


@dataclass
class Card:
    """What one child's card on the board says, as this user may see it (kidsroom.names)."""

    child_label: str
    choices: list[tuple[int, str, str]]  # authorised adults: pk, name, relation
    warning: str  # "Ерлан Қ. (father)": whom she must not be given to
    contact: tuple[str, str]  # the coordinators' names, the phone to call
    brought_by: str
    collected_by: str
    feedback: dict[str, Any] | None = None


def _restricted(child: Child) -> list[ChildAdult]:
    return list(getattr(child, "restricted", []))


def _label_cards(request: HttpRequest, rows: list[queries.SessionRow], feedback: Any) -> bool:
    """Each card's names, the warning about the child's restricted adults with whom to call,
    and the feedback on the card acted on (`booking.card`). Whether the feedback found its
    card."""
    user = request.user
    shown = False
    warned = {b.centre_id for row in rows for b in row.booked if _restricted(b.child)}
    contacts = coordinator_contacts(warned)
    for row in rows:
        for b in row.booked:
            child = b.child
            authorised, restricted = list(child.adults.all()), _restricted(child)
            b.card = Card(
                child_label=names.child_label(user, child),
                choices=[
                    (a.pk, names.adult_label(user, a, child), a.get_relation_display())
                    for a in authorised
                ],
                warning=", ".join(
                    f"{names.adult_label(user, a, child)} ({a.get_relation_display().lower()})"
                    for a in restricted
                ),
                contact=contacts.get(b.centre_id, ("", "")),
                brought_by=names.typed_label(user, b.brought_by, child, authorised + restricted),
                collected_by=(
                    names.adult_label(user, b.collected_by, child) if b.collected_by else ""
                ),
            )
            if feedback and feedback.get("booking") == b.pk:
                b.card.feedback = feedback
                shown = True
    return shown


def _booking(request: HttpRequest, pk: int, capability: str) -> Booking:
    """The booking, if the user's work reaches its child (else 404)."""
    qs = Booking.objects.select_related("session", "child__parent", "centre")
    in_reach = _children_in_reach(request)
    if in_reach is not None:
        qs = qs.filter(child__in=Child.objects.filter(in_reach).values("pk"))
    return perms.get_for_user(qs, request.user, capability, pk=pk)


@require_POST
@perms.rule(perms.KIDSROOM_CHECK)
def check_in(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, perms.KIDSROOM_CHECK)
    child = booking.child
    brought_by = request.POST.get("brought_by_name", "").strip()
    chosen = request.POST.get("brought_by", "")
    if not brought_by and chosen.isdigit():
        adult = ChildAdult.objects.filter(pk=int(chosen), child_id=booking.child_id).first()
        brought_by = adult.name if adult else ""
    try:
        done = kids.check_in(
            booking.session,
            child,
            brought_by=brought_by,
            booking_id=booking.pk,
            actor=perms.acting_user(request),
        )
    except ValidationError as exc:
        _tell(request, booking, "error", " ".join(exc.messages))
    except DomainError as exc:
        _tell(request, booking, "error", exc.message)
    else:
        label = names.child_label(request.user, child)
        if done.alert is not None and done.alert.adult is not None:
            _tell(
                request,
                booking,
                "error",
                _(
                    "%(name)s must never receive %(child)s. The child is checked in and safe "
                    "here; the coordinator and the director have been alerted. Do not hand "
                    "the child to this person."
                )
                % {
                    "name": names.adult_label(request.user, done.alert.adult, child),
                    "child": label,
                },
            )
        else:
            adults = list(ChildAdult.objects.filter(child=child))
            _tell(
                request,
                booking,
                "success",
                _("%(child)s is checked in (brought by %(name)s).")
                % {
                    "child": label,
                    "name": names.typed_label(request.user, brought_by, child, adults),
                },
            )
    return _back_to_board(booking)


@require_POST
@perms.rule(perms.KIDSROOM_CHECK)
def check_out(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, perms.KIDSROOM_CHECK)
    child = booking.child
    name = request.POST.get("collected_by_name", "").strip()
    chosen = request.POST.get("collected_by", "")
    adult = None
    if not name and chosen.isdigit():
        # Any of her adults, restricted ones included: a forged choice must meet the block.
        adult = ChildAdult.objects.filter(pk=int(chosen), child_id=booking.child_id).first()
        if adult is None:
            _tell(request, booking, "error", _("Choose the adult who collects the child."))
            return _back_to_board(booking)
    elif not name:
        _tell(request, booking, "error", _("Choose the adult who collects the child."))
        return _back_to_board(booking)
    try:
        done = kids.check_out(
            booking.session,
            child,
            adult=adult,
            adult_name=name,
            booking_id=booking.pk,
            actor=perms.acting_user(request),
        )
    except kids.RestrictedAdult as blocked:
        cards = child_access(request.user, child)
        return render(
            request,
            "kidsroom/blocked.html",
            {
                "booking": booking,
                "child_label": names.child_label(request.user, child),
                "adult_label": names.adult_label(request.user, blocked.adult, child),
                "relation": blocked.adult.get_relation_display().lower(),
                "contact": coordinator_contacts({child.centre_id})[child.centre_id],
                "note": blocked.adult.note if cards.restricted_adults else "",
                "day": clock.local_date(booking.window[0], booking.centre),
            },
            status=403,
        )
    except ValidationError as exc:
        _tell(request, booking, "error", " ".join(exc.messages))
    except DomainError as exc:
        _tell(request, booking, "error", exc.message)
    else:
        assert done.collected_by is not None
        assert done.checked_out_at is not None
        _tell(
            request,
            booking,
            "success",
            _("%(child)s went home with %(name)s at %(time)s.")
            % {
                "child": names.child_label(request.user, child),
                "name": names.adult_label(request.user, done.collected_by, child),
                "time": clock.local(done.checked_out_at, booking.centre).strftime("%H:%M"),
            },
        )
    return _back_to_board(booking)


# --- Planning: bookings per session, shifts ----------------------------------------------------


@perms.rule(perms.KIDSROOM_BOOK)
def session_bookings(request: HttpRequest, pk: int) -> HttpResponse:
    session = perms.get_for_user(
        Session.objects.select_related("run__course", "room", "centre"),
        request.user,
        perms.KIDSROOM_BOOK,
        pk=pk,
    )
    bookings = list(
        Booking.objects.filter(session=session)
        .exclude(status=Booking.Status.CANCELLED)
        .select_related("child")
        .order_by("status", "queued_at", "id")
    )
    taken = {b.child_id for b in bookings}
    mothers = Enrollment.objects.filter(
        run_id=session.run_id, status=Enrollment.Status.CONFIRMED
    ).values("participant_id")
    candidates = [
        c
        for c in Child.objects.filter(parent_id__in=mothers).select_related("parent")
        if c.pk not in taken
    ]
    if request.method == "POST":
        child = next((c for c in candidates if str(c.pk) == request.POST.get("child")), None)
        if child is None:
            messages.error(request, _("Choose a child whose mother attends this session."))
        else:
            try:
                made = kids.book(
                    session,
                    child,
                    actor=perms.acting_user(request),
                    waitlist=bool(request.POST.get("waitlist")),
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            except DomainError as exc:
                messages.error(request, exc.message)
            else:
                if made.shortage is not None:
                    messages.warning(
                        request,
                        _("%(child)s is on the waiting list: %(missing)s")
                        % {"child": child, "missing": made.shortage.message()},
                    )
                else:
                    messages.success(request, _("%(child)s is booked.") % {"child": child})
        return HttpResponseRedirect(reverse("kidsroom:session_bookings", args=[session.pk]))
    room = kids.kids_room_for(session.centre_id)
    waiting = [b for b in bookings if b.status == Booking.Status.WAITLISTED]
    # What keeps the first waiting child out (or what the room lacks already).
    shortage = (
        kids.find_shortage(
            room,
            session.starts_at,
            session.ends_at,
            kids.ratio_for(session.centre_id),
            adding=[waiting[0].child.support_level] if waiting else [],
        )
        if room is not None
        else None
    )
    # Its day and times on its centre's clock.
    with timezone.override(clock.centre_zone(session.centre)):
        return render(
            request,
            "kidsroom/session_bookings.html",
            {
                "session": session,
                "booked": [b for b in bookings if b.status == Booking.Status.BOOKED],
                "waiting": waiting,
                "candidates": candidates,
                "room": room,
                "shortage": shortage,
            },
        )


@require_POST
@perms.rule(perms.KIDSROOM_BOOK)
def cancel_booking(request: HttpRequest, pk: int) -> HttpResponse:
    booking = _booking(request, pk, perms.KIDSROOM_BOOK)
    if request.POST.get("all_sessions"):
        n = kids.cancel_child_from_run(booking, actor=perms.acting_user(request))
        messages.success(
            request,
            ngettext(
                "%(child)s no longer comes to the kids' room on this course (%(n)s session).",
                "%(child)s no longer comes to the kids' room on this course (%(n)s sessions).",
                n,
            )
            % {"child": booking.child, "n": n},
        )
        return _back_to_plan(booking)
    try:
        kids.cancel(booking, actor=perms.acting_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, _("%(child)s no longer comes to this session.") % {"child": booking.child}
        )
    return _back_to_plan(booking)


class ShiftForm(forms.Form):
    tutor: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=User.objects.none(), label=gettext_lazy("Tutor")
    )
    starts = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=gettext_lazy("Until"), widget=forms.TimeInput(attrs={"type": "time"})
    )

    def __init__(self, *args: Any, centres: list[int] | None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        staff = Membership.objects.filter(role=perms.Role.TUTOR)
        if centres is not None:
            staff = staff.filter(centre_id__in=centres)
        self.fields["tutor"].queryset = User.objects.filter(  # type: ignore[attr-defined]
            is_active=True, pk__in=staff.values("user_id")
        ).order_by("first_name", "username")
        self.fields["tutor"].label_from_instance = lambda u: u.get_full_name() or u.username  # type: ignore[attr-defined]


@perms.rule(perms.KIDSROOM_BOOK)
def shifts(request: HttpRequest) -> HttpResponse:
    centres = working_centres(request, perms.KIDSROOM_BOOK)
    rooms = list(queries.kids_rooms(centres).select_related("centre"))
    try:
        day = _day(request, clock.shared_today(r.centre for r in rooms))
    except ValidationError as exc:
        return _bad_request(request, exc)
    form = ShiftForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        tutor = form.cleaned_data["tutor"]
        tutor_centres = perms.principal(tutor).roles
        room = next((r for r in rooms if r.centre_id in tutor_centres), None)
        if room is None:
            form.add_error("tutor", _("No kids' room at this tutor's centre."))
        else:
            try:
                kids.add_shift(
                    room,
                    tutor,
                    clock.combine(day, form.cleaned_data["starts"], room.centre),
                    clock.combine(day, form.cleaned_data["ends"], room.centre),
                    actor=perms.acting_user(request),
                )
            except ValidationError as exc:
                for message in exc.messages:
                    form.add_error(None, message)
            else:
                messages.success(request, _("The shift is added."))
                return HttpResponseRedirect(f"{reverse('kidsroom:shifts')}?day={day.isoformat()}")
    # Each shift on the day by its own centre's clock, shown on it.
    start, end = clock.widest_bounds(day)
    on_duty = []
    for shift in Shift.objects.filter(
        room__in=rooms, starts_at__lt=end, ends_at__gt=start
    ).select_related("tutor", "room__centre"):
        first, last = clock.day_bounds(day, shift.room.centre)
        if shift.starts_at < last and shift.ends_at > first:
            on_duty.append((shift, clock.centre_zone(shift.room.centre)))
    saved = {
        r.centre_id: r for r in Rules.objects.filter(centre_id__in=[r.centre_id for r in rooms])
    }
    ratio_forms = [
        (room, RulesForm(instance=saved.get(room.centre_id) or Rules(centre_id=room.centre_id)))
        for room in rooms
    ]
    return render(
        request,
        "kidsroom/shifts.html",
        {
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "form": form,
            "shifts": on_duty,
            "rooms": rooms,
            "ratio_forms": ratio_forms,
        },
    )


class RulesForm(forms.ModelForm[Rules]):
    # Typed as people write numbers ("8 701 555 01 11"); the service normalises it.
    coordinator_phone = forms.CharField(
        label=gettext_lazy("phone for tutors to call"),
        max_length=24,
        required=False,
        help_text=gettext_lazy(
            "The coordinator's or the centre's number, shown to tutors in an emergency."
        ),
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )

    class Meta:
        model = Rules
        fields = ["children_per_tutor", "high_support_per_tutor"]
        widgets = {
            "children_per_tutor": forms.NumberInput(attrs={"inputmode": "numeric"}),
            "high_support_per_tutor": forms.NumberInput(attrs={"inputmode": "numeric"}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["coordinator_phone"].initial = self.instance.coordinator_phone


def _named_errors(form: forms.BaseForm, exc: ValidationError) -> str:
    """'<field label>: <message>' for each error, so the message names what to fix."""
    if not hasattr(exc, "error_dict"):
        return " ".join(exc.messages)
    parts = []
    for name, errors in exc.message_dict.items():
        field = form.fields.get(name)
        label = str(field.label) if field is not None and field.label else ""
        parts += [f"{label}: {e}" if label else e for e in errors]
    return " ".join(parts)


@require_POST
@perms.rule(perms.KIDSROOM_BOOK)
def rules(request: HttpRequest, pk: int) -> HttpResponse:
    """The centre's ratio (pk: the centre)."""
    centre = perms.get_for_user(
        Centre.objects.all(), request.user, perms.KIDSROOM_BOOK, centre_field="id", pk=pk
    )
    form = RulesForm(request.POST)
    if form.is_valid():
        try:
            kids.set_rules(
                centre.pk,
                children_per_tutor=form.cleaned_data["children_per_tutor"],
                high_support_per_tutor=form.cleaned_data["high_support_per_tutor"],
                coordinator_phone=form.cleaned_data["coordinator_phone"],
                actor=perms.acting_user(request),
            )
        except ValidationError as exc:
            messages.error(request, _named_errors(form, exc))
        else:
            messages.success(request, _("The ratio is saved."))
    else:
        messages.error(request, _named_errors(form, ValidationError(form.errors)))
    return HttpResponseRedirect(reverse("kidsroom:shifts"))


@require_POST
@perms.rule(perms.KIDSROOM_BOOK)
def shift_delete(request: HttpRequest, pk: int) -> HttpResponse:
    shift = perms.get_for_user(
        Shift.objects.select_related("room__centre"), request.user, perms.KIDSROOM_BOOK, pk=pk
    )
    day = clock.local_date(shift.starts_at, shift.room.centre)
    try:
        kids.remove_shift(shift, actor=perms.acting_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The shift is removed."))
    return HttpResponseRedirect(f"{reverse('kidsroom:shifts')}?day={day.isoformat()}")


# --- Alerts ----------------------------------------------------------------------------------


@perms.rule(perms.KIDSROOM_ALERTS)
def alerts(request: HttpRequest) -> HttpResponse:
    centres = working_centres(request, perms.KIDSROOM_ALERTS)
    qs = Alert.objects.select_related(
        "child__parent",
        "adult",
        "raised_by",
        "acknowledged_by",
        "booking__session__run__course",
        "centre",
    )
    if centres is not None:
        qs = qs.filter(centre_id__in=centres)
    found = list(qs[:100])
    # The court-order note is a sensitive read.
    audit.record_reads(
        [(a.adult, ("note",)) for a in found if a.adult is not None and a.adult.note]
    )
    return render(request, "kidsroom/alerts.html", {"alerts": found})


@require_POST
@perms.rule(perms.KIDSROOM_ALERTS)
def alert_acknowledge(request: HttpRequest, pk: int) -> HttpResponse:
    alert = perms.get_for_user(Alert.objects.all(), request.user, perms.KIDSROOM_ALERTS, pk=pk)
    kids.acknowledge(alert, actor=perms.acting_user(request))
    messages.success(request, _("Marked as handled."))
    return HttpResponseRedirect(reverse("kidsroom:alerts"))


# --- Incidents -------------------------------------------------------------------------------


class IncidentForm(forms.ModelForm):
    class Meta:
        model = Incident
        fields = ["kind", "what_happened", "action_taken", "parent_informed"]
        widgets = {
            "what_happened": forms.Textarea(attrs={"rows": 3}),
            "action_taken": forms.Textarea(attrs={"rows": 3}),
        }


@perms.rule(perms.INCIDENT_RECORD)
def incident_create(request: HttpRequest, pk: int) -> HttpResponse:
    child = perms.get_for_user(
        reach.within_reach(Child.objects.select_related("parent", "centre"), request.user),
        request.user,
        perms.INCIDENT_RECORD,
        pk=pk,
    )
    form = IncidentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        start, end = clock.day_bounds(clock.centre_today(child.centre), child.centre)
        booking = (
            Booking.objects.filter(
                child=child,
                checked_in_at__isnull=False,
                session__starts_at__gte=start,
                session__starts_at__lt=end,
            )
            .order_by("-checked_in_at")
            .first()
        )
        try:
            kids.record_incident(
                child,
                booking=booking,
                actor=perms.acting_user(request),
                **{k: form.cleaned_data[k] for k in form.Meta.fields},
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("The incident is recorded; the coordinator can see it."))
            return HttpResponseRedirect(reverse("kidsroom:board"))
    return render(
        request,
        "kidsroom/incident_form.html",
        {"child_label": names.child_label(request.user, child), "form": form},
    )


@perms.rule(perms.INCIDENT_VIEW)
def incidents(request: HttpRequest) -> HttpResponse:
    centres = working_centres(request, perms.INCIDENT_VIEW)
    qs = Incident.objects.select_related("child__parent", "reported_by", "centre")
    if centres is not None:
        qs = qs.filter(centre_id__in=centres)
    return render(request, "kidsroom/incidents.html", {"incidents": list(qs[:200])})


def incidents_panel(request: HttpRequest, participant: Any) -> Panel | None:
    """Her children's incidents on the mother's record (coordinators and the director)."""
    if not perms.principal(request.user).can(perms.INCIDENT_VIEW, participant.centre_id):
        return None
    found = list(
        Incident.objects.filter(child__parent=participant).select_related(
            "child", "reported_by", "centre"
        )[:50]
    )
    return Panel("kidsroom/_incidents_panel.html", {"incidents": found})


# --- Report ----------------------------------------------------------------------------------


@perms.rule(perms.KIDSROOM_REPORT)
def report(request: HttpRequest) -> HttpResponse:
    """Occupancy against capacity and tutors per session, attendance, and the snack order."""
    centres = working_centres(request, perms.KIDSROOM_REPORT)
    try:
        day = _day(request, _today(centres))
    except ValidationError as exc:
        return _bad_request(request, exc)
    rows = queries.day_board(centres, day, adults=ChildAdult.objects.none())
    children, diets, allergies = queries.diet_counts(rows)
    return render(
        request,
        "kidsroom/report.html",
        {
            "day": day,
            "previous_day": day - dt.timedelta(days=1),
            "next_day": day + dt.timedelta(days=1),
            "rows": rows,
            "children": children,
            "diets": diets,
            "allergies": allergies,
        },
    )
