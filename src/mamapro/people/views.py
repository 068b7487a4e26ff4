"""Staff pages for participants, their children and the adults around them."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mamapro.centres.context import current_centre_id
from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.people import reach, services, subject_rights
from mamapro.people.forms import AdultForm, ChildForm, ConsentForm, ParticipantForm
from mamapro.people.models import Child, ChildAdult, Consent, Participant
from mamapro.people.panels import panels_for
from mamapro.people.queries import search_participants
from mamapro.people.visibility import (
    EDIT_FORM_SENSITIVE_FIELDS,
    child_access,
    participant_access,
    sees_real_names,
    shown_child_name,
    shown_name,
)


# Every lookup goes through the reach registry: a woman or child the user's work does not
# reach is a 404, exactly like one of another centre.
def _participant(request: HttpRequest, pk: int, capability: str) -> Participant:
    return reach.get_for_user(
        Participant.objects.select_related("centre"), request.user, capability, pk=pk
    )


def _child(request: HttpRequest, pk: int, capability: str) -> Child:
    return reach.get_for_user(
        Child.objects.select_related("parent", "centre"), request.user, capability, pk=pk
    )


@perms.rule(perms.PARTICIPANT_VIEW)
def participant_list(request: HttpRequest) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:100]
    centre_id = current_centre_id(request)
    paginator = Paginator(
        search_participants(request.user, query, centre_id=centre_id), settings.PAGE_SIZE
    )
    page = paginator.get_page(request.GET.get("page"))
    me = perms.principal(request.user)
    rows = [
        (
            p,
            me.can(perms.PARTICIPANT_VIEW_CONTACT, p.centre_id),
            me.can(perms.CHILD_VIEW, p.centre_id),
        )
        for p in page.object_list
    ]
    context = {
        "page": page,
        "rows": rows,
        "query": query,
        "show_centre": centre_id is None and len(me.member_centre_ids() or {0, 1}) > 1,
        "can_create": me.can(perms.PARTICIPANT_EDIT),
    }
    template = (
        "people/_participant_results.html"
        if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results"
        else "people/participant_list.html"
    )
    return render(request, template, context)


def _edit_centres(request: HttpRequest) -> list[Centre]:
    return list(
        perms.scope(
            Centre.objects.filter(is_active=True),
            request.user,
            perms.PARTICIPANT_EDIT,
            centre_field="id",
        )
    )


@perms.rule(perms.PARTICIPANT_EDIT)
def participant_create(request: HttpRequest) -> HttpResponse:
    centres = _edit_centres(request)
    chosen = current_centre_id(request)
    if chosen is not None:
        centres = [c for c in centres if c.id == chosen] or centres
    form = ParticipantForm(request.POST or None, centres=centres)
    if request.method == "POST" and form.is_valid():
        centre = form.cleaned_data["centre"]
        perms.require(request.user, perms.PARTICIPANT_EDIT, centre.id)
        try:
            participant = services.create_participant(
                centre=centre,
                data=form.service_data(),
                circumstances=form.cleaned_data["circumstances"],
                eligibility_verified=form.cleaned_data["eligibility_verified"],
                actor=perms.acting_user(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request,
                _("%(name)s is registered.") % {"name": shown_name(request.user, participant)},
            )
            return HttpResponseRedirect(reverse("people:participant_detail", args=[participant.pk]))
    return render(request, "people/participant_form.html", {"form": form, "participant": None})


@perms.rule(perms.PARTICIPANT_EDIT)
def participant_edit(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk, perms.PARTICIPANT_EDIT)
    form = ParticipantForm(request.POST or None, instance=participant, centres=[participant.centre])
    if request.method == "POST" and form.is_valid():
        verify = form.cleaned_data["eligibility_verified"]
        if verify != participant.eligibility_verified:
            perms.require(request.user, perms.PARTICIPANT_VERIFY, participant.centre_id)
        try:
            services.update_participant(
                participant,
                data=form.service_data(),
                circumstances=form.cleaned_data["circumstances"],
                eligibility_verified=verify,
                actor=perms.acting_user(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return HttpResponseRedirect(reverse("people:participant_detail", args=[pk]))
    elif request.method == "GET":
        # The edit form shows her sensitive fields: that is a read, and it is audited with
        # exactly the fields the form shows (a hidden address is not among them).
        shown = tuple(f for f in EDIT_FORM_SENSITIVE_FIELDS if f in form.fields)
        audit.record_reads([(participant, shown)])
    return render(
        request, "people/participant_form.html", {"form": form, "participant": participant}
    )


@perms.rule(perms.PARTICIPANT_VIEW)
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk, perms.PARTICIPANT_VIEW)
    access = participant_access(request.user, participant.centre_id)
    context: dict[str, Any] = {
        "p": participant,
        "access": access,
        "real_names": sees_real_names(request.user, participant),
    }
    reads: list[tuple[Any, tuple[str, ...]]] = [(participant, access.sensitive_fields(participant))]
    if access.sensitive:
        context["circumstances"] = list(participant.circumstances.all())
        context["consents"] = list(participant.consents.all())
        context["consent_form"] = ConsentForm()
    if access.children:
        cards = child_access(request.user, participant.centre_id)
        adults = (
            ChildAdult.objects.all()
            if cards.restricted_adults
            else ChildAdult.objects.filter(authorised=True)
        )
        # Only the children her work reaches (a tutor: those booked in her room).
        children = list(
            reach.within_reach(participant.children.all(), request.user).prefetch_related(
                Prefetch("adults", queryset=adults)
            )
        )
        context["children"] = children
        context["cards"] = cards
        reads += [(child, cards.sensitive_fields()) for child in children]
    audit.record_reads(reads)
    context["panels"] = panels_for(request, participant)
    context["perms_erase"] = perms.principal(request.user).can(
        perms.PARTICIPANT_ERASE, participant.centre_id
    )
    return render(request, "people/participant_detail.html", context)


@perms.rule(perms.CHILD_VIEW)
def child_detail(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child(request, pk, perms.CHILD_VIEW)
    cards = child_access(request.user, child)
    adults = child.adults.all() if cards.restricted_adults else child.adults.filter(authorised=True)
    audit.record_reads([(child, cards.sensitive_fields())])
    photo_consent = cards.needs and services.photo_allowed(child)
    return render(
        request,
        "people/child_detail.html",
        {"child": child, "cards": cards, "adults": list(adults), "photo_consent": photo_consent},
    )


@perms.rule(perms.CHILD_EDIT)
def child_create(request: HttpRequest, pk: int) -> HttpResponse:
    parent = _participant(request, pk, perms.CHILD_EDIT)
    form = ChildForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            child = services.add_child(
                parent, data=form.service_data(), actor=perms.acting_user(request)
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(
                request, _("%(name)s is added.") % {"name": shown_child_name(request.user, child)}
            )
            return HttpResponseRedirect(reverse("people:child_detail", args=[child.pk]))
    return render(
        request, "people/child_form.html", {"form": form, "parent": parent, "child": None}
    )


@perms.rule(perms.CHILD_EDIT)
def child_edit(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child(request, pk, perms.CHILD_EDIT)
    form = ChildForm(request.POST or None, instance=child)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_child(child, data=form.service_data(), actor=perms.acting_user(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return HttpResponseRedirect(reverse("people:child_detail", args=[pk]))
    elif request.method == "GET":
        audit.record_reads([(child, child_access(request.user, child).sensitive_fields())])
    return render(
        request, "people/child_form.html", {"form": form, "parent": child.parent, "child": child}
    )


@perms.rule(perms.CHILD_ADULTS_EDIT)
def adult_create(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child(request, pk, perms.CHILD_ADULTS_EDIT)
    form = AdultForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.add_adult(child, data=form.service_data(), actor=perms.acting_user(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Adult added."))
            return HttpResponseRedirect(reverse("people:child_detail", args=[pk]))
    return render(request, "people/adult_form.html", {"form": form, "child": child, "adult": None})


@perms.rule(perms.CHILD_ADULTS_EDIT)
def adult_edit(request: HttpRequest, pk: int) -> HttpResponse:
    adult = reach.get_for_user(
        ChildAdult.objects.select_related("child__parent"),
        request.user,
        perms.CHILD_ADULTS_EDIT,
        pk=pk,
    )
    form = AdultForm(request.POST or None, instance=adult)
    if request.method == "POST" and form.is_valid():
        try:
            services.update_adult(adult, data=form.service_data(), actor=perms.acting_user(request))
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Changes saved."))
            return HttpResponseRedirect(reverse("people:child_detail", args=[adult.child_id]))
    elif request.method == "GET":
        audit.record_reads([(adult.child, ("restricted_adults",) if not adult.authorised else ())])
    return render(
        request, "people/adult_form.html", {"form": form, "child": adult.child, "adult": adult}
    )


@perms.rule(perms.CHILD_ADULTS_EDIT)
@require_POST
def adult_delete(request: HttpRequest, pk: int) -> HttpResponse:
    adult = reach.get_for_user(
        ChildAdult.objects.all(), request.user, perms.CHILD_ADULTS_EDIT, pk=pk
    )
    child_id = adult.child_id
    services.remove_adult(adult, actor=perms.acting_user(request))
    messages.success(request, _("Adult removed."))
    return HttpResponseRedirect(reverse("people:child_detail", args=[child_id]))


@perms.rule(perms.PARTICIPANT_EDIT)
@require_POST
def consent_create(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk, perms.PARTICIPANT_EDIT)
    form = ConsentForm(request.POST)
    if form.is_valid():
        try:
            services.record_consent(
                participant,
                kind=form.cleaned_data["kind"],
                version=form.cleaned_data["version"],
                valid_until=form.cleaned_data["valid_until"],
                third_party_transfer=form.cleaned_data["third_party_transfer"],
                cross_border_transfer=form.cleaned_data["cross_border_transfer"],
                actor=perms.acting_user(request),
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Consent recorded."))
    else:
        for field, errors in form.errors.items():
            messages.error(request, f"{form.fields[field].label}: {' '.join(map(str, errors))}")
    return HttpResponseRedirect(reverse("people:participant_detail", args=[pk]))


@perms.rule(perms.PARTICIPANT_EDIT)
@require_POST
def consent_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    consent = perms.get_for_user(
        Consent.objects.filter(
            participant__in=reach.within_reach(Participant.objects.all(), request.user)
        ),
        request.user,
        perms.PARTICIPANT_EDIT,
        pk=pk,
    )
    services.revoke_consent(consent, actor=perms.acting_user(request))
    messages.success(request, _("Consent revoked."))
    return HttpResponseRedirect(reverse("people:participant_detail", args=[consent.participant_id]))


@perms.rule(perms.CHILD_VIEW_NEEDS)
def child_photo(request: HttpRequest, pk: int) -> FileResponse:
    """Her photo for the needs card: only to roles that see the card, only with consent."""
    child = _child(request, pk, perms.CHILD_VIEW_NEEDS)
    if not child.photo or not services.photo_allowed(child):
        raise Http404
    audit.record_reads([(child, ("photo",))])
    response = FileResponse(child.photo.open("rb"), content_type="image/jpeg")
    response["Cache-Control"] = "private, no-store"
    return response


@require_POST
@perms.rule(perms.CHILD_EDIT)
def child_photo_upload(request: HttpRequest, pk: int) -> HttpResponse:
    child = _child(request, pk, perms.CHILD_EDIT)
    try:
        if request.POST.get("remove"):
            services.remove_child_photo(child, actor=perms.acting_user(request))
            messages.success(request, _("The photo is deleted."))
        elif "photo" not in request.FILES:
            raise ValidationError({"photo": _("Choose a photo to upload.")})
        else:
            services.set_child_photo(
                child, request.FILES["photo"], actor=perms.acting_user(request)
            )
            messages.success(request, _("The photo is saved."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return HttpResponseRedirect(reverse("people:child_detail", args=[child.pk]))


@perms.rule(perms.PARTICIPANT_EXPORT)
def participant_export(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything the centre holds about her, for her: JSON (`?format=json`) or PDF."""
    participant = _participant(request, pk, perms.PARTICIPANT_EXPORT)
    actor = perms.acting_user(request)
    # A hidden address stays out of her file unless a director asks for it explicitly.
    include_address = (
        request.GET.get("address") == "include"
        and perms.principal(request.user).role_in(participant.centre_id) == perms.Role.DIRECTOR
    )
    if request.GET.get("format") == "json":
        body = subject_rights.export_json(participant, actor=actor, include_address=include_address)
        response = HttpResponse(body, content_type="application/json; charset=utf-8")
        name = f"mamapro-{participant.pk}.json"
    else:
        body = subject_rights.export_pdf(participant, actor=actor, include_address=include_address)
        response = HttpResponse(body, content_type="application/pdf")
        name = f"mamapro-{participant.pk}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


@perms.rule(perms.PARTICIPANT_ERASE)
def participant_erase(request: HttpRequest, pk: int) -> HttpResponse:
    """Erase her (pseudonymise): asked on a page of its own, confirmed with a tick."""
    participant = _participant(request, pk, perms.PARTICIPANT_ERASE)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, _("Tick the box to confirm: erasure cannot be undone."))
        elif participant.erased_at is None:
            subject_rights.erase(participant, actor=perms.acting_user(request))
            messages.success(request, _("Her data is erased; only anonymous figures remain."))
            return HttpResponseRedirect(reverse("people:participant_detail", args=[pk]))
    return render(request, "people/participant_erase.html", {"p": participant})
