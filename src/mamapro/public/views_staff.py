"""Staff pages for what arrives from the public site: applications and workshop topics.

A seat asked for on the public form is only held (services/applications.py): the
coordinator confirms it here (or on the run page, or `POST /api/v1/enrollments/{id}/accept`)
once she has spoken to her on a safe channel or she has paid, or releases it to the next in
line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from mamapro.centres.context import current_centre_id
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.errors import Conflict
from mamapro.core.text import fold
from mamapro.programs.models import Enrollment, TopicRequest
from mamapro.programs.services import enrollment as seats
from mamapro.programs.services.enrollment import waitlist_positions
from mamapro.public import queries
from mamapro.public.models import Application
from mamapro.public.services import applications as services
from mamapro.public.services import topics as topic_services


@dataclass(frozen=True)
class ApplicationRow:
    application: Application
    contact: bool  # her typed contact wishes (contact details)
    sensitive: bool  # the circumstance she stated (a DV answer can endanger her)
    name_differs: bool
    waitlist_position: int | None


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


def _name_differs(application: Application) -> bool:
    her = application.participant
    typed = fold(f"{application.family_name} {application.given_name}")
    return typed != fold(f"{her.family_name} {her.given_name}")


@perms.rule(perms.ENROLLMENT_EDIT)
@require_GET
def applications(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    centre_id = current_centre_id(request)
    listing = queries.staff_applications(request.user, centre_id=centre_id, show_all=show_all)
    page = Paginator(listing, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    found: list[Application] = list(page.object_list)
    waiting = {
        a.run_id
        for a in found
        if a.enrollment is not None and a.enrollment.status == Enrollment.Status.WAITLISTED
    }
    positions = waitlist_positions(waiting) if waiting else {}
    me = perms.principal(request.user)
    rows = [
        ApplicationRow(
            application=a,
            contact=me.can(perms.PARTICIPANT_VIEW_CONTACT, a.centre_id),
            sensitive=me.can(perms.PARTICIPANT_VIEW_SENSITIVE, a.centre_id),
            name_differs=_name_differs(a),
            waitlist_position=positions.get(a.enrollment_id) if a.enrollment_id else None,
        )
        for a in found
    ]
    audit.record_reads(
        (row.application, ("stated_circumstances",))
        for row in rows
        if row.sensitive and row.application.stated_circumstances
    )
    return render(
        request,
        "public/staff/applications.html",
        {
            "page": page,
            "rows": rows,
            "show_all": show_all,
            "show_centre": centre_id is None and len(me.member_centre_ids() or {0, 1}) > 1,
        },
    )


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def application_handled(request: HttpRequest, pk: int) -> HttpResponse:
    application = perms.get_for_user(
        Application.objects.all(), request.user, perms.ENROLLMENT_EDIT, pk=pk
    )
    if services.mark_handled(application, actor=perms.acting_user(request)):
        messages.success(request, _("Marked as handled."))
    return _back(request, reverse("public:staff_applications"))


def _on_held_seat(
    request: HttpRequest, pk: int, act: Callable[..., Any], done: str
) -> HttpResponse:
    """Confirm or release the seat held for an application, and say what happened."""
    application = perms.get_for_user(
        Application.objects.select_related("enrollment"), request.user, perms.ENROLLMENT_EDIT, pk=pk
    )
    if application.enrollment is None:
        messages.error(request, _("No seat is held for this application."))
    else:
        try:
            act(application.enrollment, actor=perms.acting_user(request))
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
    return _back(request, reverse("public:staff_applications"))


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def application_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    """The centre confirms the seat held for her application."""
    return _on_held_seat(request, pk, seats.accept_offer, _("The seat is confirmed."))


@perms.rule(perms.ENROLLMENT_EDIT)
@require_POST
def application_release(request: HttpRequest, pk: int) -> HttpResponse:
    """The centre gives the held seat back: it passes to the next woman waiting."""
    return _on_held_seat(
        request, pk, seats.decline_offer, _("The seat is released to the next woman waiting.")
    )


@perms.rule(perms.TOPICS_VIEW)
@require_GET
def staff_topics(request: HttpRequest) -> HttpResponse:
    show_all = request.GET.get("show") == "all"
    centre_id = current_centre_id(request)
    listing = queries.staff_topics(request.user, centre_id=centre_id, show_all=show_all)
    page = Paginator(listing, settings.PAGE_SIZE).get_page(request.GET.get("page"))
    me = perms.principal(request.user)
    return render(
        request,
        "public/staff/topics.html",
        {
            "page": page,
            "topics": list(page.object_list),
            "show_all": show_all,
            "show_centre": centre_id is None and len(me.member_centre_ids() or {0, 1}) > 1,
        },
    )


# Publishing a member's proposal on the public page is the comms manager's and the
# coordinator's work; the permission module has one topics capability for both today.
@perms.rule(perms.TOPICS_VIEW)
@require_POST
def topic_review(request: HttpRequest, pk: int) -> HttpResponse:
    topic = perms.get_for_user(TopicRequest.objects.all(), request.user, perms.TOPICS_VIEW, pk=pk)
    decision = request.POST.get("decision")
    if decision not in {"publish", "decline"}:
        messages.error(request, _("Choose to publish or to decline the topic."))
    else:
        try:
            topic_services.review_topic(
                topic,
                publish=decision == "publish",
                actor=perms.acting_user(request),
            )
        except Conflict as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("The topic is on the public page now.")
                if decision == "publish"
                else _("The topic is declined and closed."),
            )
    return _back(request, reverse("public:staff_topics"))
