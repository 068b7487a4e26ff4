"""Counselling pages: the week's schedule (names only for the psychologist concerned and a
clinical lead; "taken" for everyone else), booking, and an appointment with its notes.

Every page that shows who an appointment is with, or a note, writes a sensitive read to the
audit log. A woman is named as the viewer may see her (`shown_name`: her roster alias, if
she chose one). The booking form lists the psychologist's own clients only; a new client is
found by her exact phone or full name (counselling/queries.py).
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from mamapro.centres import clock
from mamapro.centres.context import working_centres
from mamapro.centres.models import Room
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.dates import day_param
from mamapro.core.errors import DomainError
from mamapro.core.models import User
from mamapro.counselling import access, queries, services
from mamapro.counselling.models import Appointment
from mamapro.people import reach
from mamapro.people.models import Participant
from mamapro.people.visibility import shown_name


def _start_day(request: HttpRequest, centres: list[int] | None) -> tuple[dt.date, str]:
    """The `?from=` day, or today with the reason it was refused: today by the clock of the
    centres shown (the head office's when theirs differ)."""
    today = clock.page_today(centres)
    try:
        return day_param(request, "from") or today, ""
    except ValidationError as exc:
        return today, exc.messages[0]


@perms.rule(perms.COUNSELLING_SCHEDULE)
def schedule(request: HttpRequest) -> HttpResponse:
    """Seven days from `?from=`: each slot with its time, room and psychologist, on the day
    and at the time of its centre's clock."""
    centres = working_centres(request, perms.COUNSELLING_SCHEDULE)
    start_day, refused = _start_day(request, centres)
    start, end = clock.widest_bounds(start_day, days=7)
    qs = Appointment.objects.filter(starts_at__gte=start, starts_at__lt=end).exclude(
        status=Appointment.Status.CANCELLED
    )
    if centres is not None:
        qs = qs.filter(centre_id__in=centres)
    leads = access.lead_centres(request.user)
    rows = []
    shown = []
    for a in clock.rows_on_day(
        qs.select_related("psychologist", "room", "participant", "centre"),
        start_day,
        moment=lambda a: a.starts_at,
        centre=lambda a: a.centre,
        days=7,
    ):
        visible = access.sees_client(request.user, a, lead=a.centre_id in leads)
        rows.append((a, visible))
        if visible:
            shown.append((a.participant, ("counselling",)))
    audit.record_reads(shown)
    days: dict[dt.date, list[tuple[Appointment, bool, ZoneInfo]]] = {}
    for a, visible in rows:
        zone = clock.centre_zone(a.centre)
        days.setdefault(clock.local_date(a.starts_at, zone), []).append((a, visible, zone))
    return render(
        request,
        "counselling/schedule.html",
        {
            "days": sorted(days.items()),
            "start_day": start_day,
            "previous_week": start_day - dt.timedelta(days=7),
            "next_week": start_day + dt.timedelta(days=7),
            "may_book": perms.principal(request.user).can(perms.COUNSELLING_PRACTISE),
            "refused": refused,
        },
        status=400 if refused else 200,
    )


class AppointmentForm(forms.Form):
    # Her own clients; a new one comes from the search, as a signed `found` token.
    participant = forms.ModelChoiceField(
        queryset=Participant.objects.none(),
        label=gettext_lazy("Client"),
        required=False,
        empty_label=gettext_lazy("— a new client: find her above —"),
    )
    found = forms.CharField(required=False, widget=forms.HiddenInput)
    day = forms.DateField(label=gettext_lazy("Day"), widget=forms.DateInput(attrs={"type": "date"}))
    starts = forms.TimeField(
        label=gettext_lazy("From"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    ends = forms.TimeField(
        label=gettext_lazy("Until"), widget=forms.TimeInput(attrs={"type": "time"})
    )
    room = forms.ModelChoiceField(
        queryset=Room.objects.none(), label=gettext_lazy("Room"), required=False
    )
    kids_room = forms.BooleanField(
        label=gettext_lazy("Book the kids' room for her children during the appointment"),
        required=False,
    )

    def __init__(self, *args: Any, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        centres = perms.principal(user).centre_ids_for(perms.COUNSELLING_PRACTISE)
        # Her clients as she sees them (her alias, if she chose one), in that order; never
        # a phone, never the centre's other women.
        women = reach.within_reach(queries.bookable(user), user).order_by("roster_key", "id")
        rooms = Room.objects.filter(kind=Room.Kind.COUNSELLING)
        if centres is not None:
            rooms = rooms.filter(centre_id__in=centres)
        self.fields["participant"].queryset = women  # type: ignore[attr-defined]
        field: Any = self.fields["participant"]
        field.label_from_instance = lambda p: shown_name(user, p)
        self.fields["room"].queryset = rooms  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        token = data.get("found") or ""
        # A client chosen from her list wins; the search answer counts when none is.
        if token and not data.get("participant"):
            woman = queries.from_token(self.user, token)
            if woman is None:
                self.add_error(
                    "participant", _("Find her again: that search answer is no longer valid.")
                )
            else:
                data["participant"] = woman
        if not data.get("participant") and "participant" not in self.errors:
            self.add_error(
                "participant",
                _("Choose one of your clients, or find a new one by her phone or full name."),
            )
        return data

    def found_woman(self) -> Participant | None:
        """The woman a search found, to show her again when the form comes back."""
        if not self.is_bound or not self.data.get("found"):
            return None
        return queries.from_token(self.user, str(self.data["found"]))


@perms.rule(perms.COUNSELLING_PRACTISE)
def appointment_create(request: HttpRequest) -> HttpResponse:
    psychologist = perms.acting_user(request)
    form = AppointmentForm(request.POST or None, user=psychologist)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            appointment = services.book(
                psychologist,
                data["participant"],
                dt.datetime.combine(data["day"], data["starts"]),
                dt.datetime.combine(data["day"], data["ends"]),
                room=data["room"],
                kids_room_children=list(data["participant"].children.all())
                if data["kids_room"]
                else [],
                actor=perms.acting_user(request),
            )
        except ValidationError as exc:
            for field, errors in exc.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("The appointment is booked."))
            return HttpResponseRedirect(reverse("counselling:appointment", args=[appointment.pk]))
    context: dict[str, Any] = {"form": form, "query": ""}
    found = form.found_woman()
    if found is not None:
        context["search"] = queries.Search(kind="", key="", found=[found])
    elif request.method == "GET" and "q" in request.GET:
        # Without script the search form reloads this page: the answer takes its place here.
        context["query"] = request.GET["q"][: queries.QUERY_MAX]
        context["search"] = queries.find(psychologist, context["query"])
    if "search" in context:
        context["found"] = _found(psychologist, context["search"])
    return render(request, "counselling/appointment_form.html", context)


def _found(user: User, search: queries.Search) -> list[tuple[str, str]]:
    """(label, booking token) per woman found. Her shown name only if she is already this
    psychologist's client; otherwise a neutral label, so that typing a real name never
    reveals the roster alias behind it (an attack on the demo linked the two)."""
    if not search.found:
        return []
    clients = set(
        Appointment.objects.filter(psychologist=user, participant__in=search.found).values_list(
            "participant_id", flat=True
        )
    )
    neutral = _("the woman you searched for")
    return [
        (shown_name(user, p) if p.pk in clients else neutral, queries.token_for(user, p))
        for p in search.found
    ]


@perms.rule(perms.COUNSELLING_PRACTISE)
def client_find(request: HttpRequest) -> HttpResponse:
    """The search answer (htmx partial): her name as the psychologist may see it, or "no one
    found" for anything else, each search audited."""
    user = perms.acting_user(request)
    query = request.GET.get("q", "")[: queries.QUERY_MAX]
    search = queries.find(user, query)
    return render(
        request,
        "counselling/_found.html",
        {"search": search, "found": _found(user, search), "query": query},
    )


def _appointment(request: HttpRequest, pk: int) -> tuple[Appointment, bool]:
    """Her appointment: 404 outside the user's centres, 403 to anyone but its psychologist
    and a clinical lead."""
    appointment = perms.get_for_user(
        Appointment.objects.select_related("participant", "psychologist", "room", "centre"),
        request.user,
        perms.COUNSELLING_SCHEDULE,
        pk=pk,
    )
    lead = access.is_clinical_lead(request.user, appointment.centre_id)
    if not access.sees_client(request.user, appointment, lead=lead):
        raise PermissionDenied
    return appointment, lead


@perms.rule(perms.COUNSELLING_PRACTISE)
def appointment(request: HttpRequest, pk: int) -> HttpResponse:
    appointment, lead = _appointment(request, pk)
    notes = [
        n
        for n in appointment.notes.select_related("author")
        if access.may_read(request.user, n, {appointment.centre_id} if lead else set())
    ]
    audit.record_reads(
        [(appointment.participant, ("counselling",))] + [(n, ("text",)) for n in notes]
    )
    # Its day and times on its centre's clock.
    with timezone.override(clock.centre_zone(appointment.centre)):
        return render(
            request,
            "counselling/appointment.html",
            {
                "a": appointment,
                "notes": notes,
                "may_write": appointment.psychologist_id == request.user.pk,
                "now": timezone.now(),
            },
        )


@require_POST
@perms.rule(perms.COUNSELLING_PRACTISE)
def note_add(request: HttpRequest, pk: int) -> HttpResponse:
    appointment, _lead = _appointment(request, pk)
    author = perms.acting_user(request)
    assert isinstance(author, User)
    try:
        services.write_note(appointment, author, request.POST.get("text", ""))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("The note is saved."))
    return HttpResponseRedirect(reverse("counselling:appointment", args=[appointment.pk]))


@require_POST
@perms.rule(perms.COUNSELLING_PRACTISE)
def appointment_status(request: HttpRequest, pk: int) -> HttpResponse:
    appointment, _lead = _appointment(request, pk)
    if appointment.psychologist_id != request.user.pk:
        raise PermissionDenied
    try:
        services.set_status(
            appointment, request.POST.get("status", ""), actor=perms.acting_user(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except DomainError as exc:
        messages.error(request, exc.message)
    return HttpResponseRedirect(reverse("counselling:appointment", args=[appointment.pk]))
