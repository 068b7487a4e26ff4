"""The staff's message pages: deliveries per run (and a message to its roster), failures with
retry, the channels' health, and each staff member's own alert contact. Her own deliveries
are a section of her page (notify/panels.py).

Deliveries are personal data: when and how the centre reaches a survivor is itself a pattern
her abuser could use. So they are for the care team only (MESSAGES_VIEW), scoped to its
centres (404 outside them), every page that lists them writes one audit entry per woman
shown, and a text (what went or would go out) is shown only on her own page.

A message to a run's roster goes through the gate (`outbox.queue_many`) like every other
message. Women who must get discreet messages (survivors, those who asked) receive it inside
the discreet template; a text that names the centre's purpose is then refused outright,
naming the words, rather than sent to the others only: a coordinator who sees "sent to 9 of
10" cannot tell which woman was left out, and a neutral stand-in ("call your coordinator")
would make a survivor call back about a message she cannot read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from mamapro.centres.context import working_centres
from mamapro.centres.models import Centre
from mamapro.core import audit
from mamapro.core import permissions as perms
from mamapro.core.models import AuditEntry, User
from mamapro.notify import outbox, queries, templates
from mamapro.notify.channels import adapter
from mamapro.notify.forms_staff import (
    FailedFilterForm,
    RosterMessageForm,
    StaffContactForm,
    new_send_key,
)
from mamapro.notify.models import Delivery, MessageKind, StaffContact
from mamapro.people.models import Participant
from mamapro.people.visibility import shown_name
from mamapro.programs.models import Run

RUN_LIST_LIMIT = 100
FAILED_PAGE = 25
DELIVERIES_READ = ("deliveries",)
TEXTS_READ = ("deliveries", "delivery_text")
Status = Delivery.Status


@dataclass(frozen=True)
class DeliveryRow:
    delivery: Delivery
    name: str
    reason: str
    # What went out (sent) or would go out now (queued); "" when not shown or not known.
    text: str = ""
    text_note: str = ""


def delivery_rows(
    user: User, deliveries: Iterable[Delivery], *, texts: bool = False
) -> list[DeliveryRow]:
    """Rows for a page: her name as this user may see it, why it did not go, and (`texts`,
    her own page only) what went out or what would go out now, rendered by one renderer for
    the whole page (its templates and subjects in one query each)."""
    found = list(deliveries)
    waiting = [d for d in found if d.status in (Status.QUEUED, Status.WAITING)] if texts else []
    renderer = templates.Renderer()
    if waiting:
        renderer.prefetch(waiting)
    rows = []
    for d in found:
        text, note = "", ""
        if texts and d.status in (Status.SENT, Status.DELIVERED, Status.FAILED) and d.text:
            text, note = d.text, _("What went out:")
        elif d in waiting:
            text, note = _preview(renderer, d)
        assert d.participant is not None
        rows.append(
            DeliveryRow(
                delivery=d,
                name=shown_name(user, d.participant),
                reason=outbox.explain(d),
                text=text,
                text_note=note,
            )
        )
    return rows


def _preview(renderer: templates.Renderer, delivery: Delivery) -> tuple[str, str]:
    """The text the worker would send now (it renders again when it sends)."""
    try:
        rendered = renderer.render(delivery, discreet=delivery.discreet)
    except ValueError:
        return "", refused_render()
    return rendered.text, _("Would go out now (rendered again when sent):")


def refused_render() -> str:
    return _(
        "The discreet check refuses this text: it names what the centre is for. Fix the "
        "discreet template, or it will not be sent."
    )


def audit_rows(rows: Iterable[DeliveryRow], fields: tuple[str, ...] = DELIVERIES_READ) -> None:
    """One entry per woman whose deliveries the page showed."""
    seen: dict[int, Participant] = {}
    for row in rows:
        p = row.delivery.participant
        if p is not None:
            seen.setdefault(p.pk, p)
    audit.record_reads((p, fields) for p in seen.values())


def _back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    target = request.POST.get("next") or default
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = default
    return HttpResponseRedirect(target)


# --- Deliveries per run, and a message to its roster -----------------------------------------


def _roster_previews(run: Run, text: str, reach: queries.Reach) -> list[dict[str, Any]]:
    """The message as each kind of woman it reaches would get it (per language and variant
    present), rendered by the templates of the moment."""
    out: list[dict[str, Any]] = []
    renderer = templates.Renderer()
    for language, discreet in sorted(reach.variants)[:6]:
        probe = Delivery(
            centre_id=run.centre_id,
            kind=MessageKind.ROSTER_MESSAGE,
            language=language,
            body=text,
            subject_type="programs.run",
            subject_id=str(run.pk),
            discreet=discreet,
        )
        try:
            rendered = renderer.render(probe, discreet=discreet).text
        except ValueError:
            rendered = refused_render()
        out.append({"language": language, "discreet": discreet, "text": rendered})
    return out


@perms.rule(perms.MESSAGES_VIEW)
@require_http_methods(["GET", "POST"])
def run_messages(request: HttpRequest, pk: int) -> HttpResponse:
    run = perms.get_for_user(
        Run.objects.select_related("course", "centre"), request.user, perms.MESSAGES_VIEW, pk=pk
    )
    user = perms.acting_user(request)
    may_send = perms.principal(user).can(perms.MESSAGES_SEND, run.centre_id)
    women = queries.roster_women(run)
    reach = queries.reach(women)
    form = RosterMessageForm(initial={"key": new_send_key()})
    previews: list[dict[str, Any]] = []
    if request.method == "POST":
        if not may_send:
            raise PermissionDenied
        form = RosterMessageForm(request.POST)
        if form.is_valid() and not (
            reach.discreet and form.refuse_revealing(queries.run_words(run))
        ):
            text = form.cleaned_data["text"]
            if "send" in request.POST:
                return _send_to_roster(request, run, women, text, form.cleaned_data["key"])
            previews = _roster_previews(run, text, reach)
    listing = queries.with_people(queries.for_run(run))
    count = listing.count()
    rows = delivery_rows(user, listing[:RUN_LIST_LIMIT])
    audit_rows(rows)
    return render(
        request,
        "notify/staff/run_messages.html",
        {
            "run": run,
            "rows": rows,
            "count": count,
            "limit": RUN_LIST_LIMIT,
            "form": form,
            "may_send": may_send,
            "reach": reach,
            "previews": previews,
        },
    )


def _send_to_roster(
    request: HttpRequest, run: Run, women: list[Participant], text: str, key: str
) -> HttpResponse:
    user = perms.acting_user(request)
    with transaction.atomic():
        queued = outbox.queue_many(
            women,
            MessageKind.ROSTER_MESSAGE,
            key=f"roster:{run.pk}:{key}",
            subject=run,
            body=text,
            created_by=user,
        )
        going = sum(1 for d in queued if d.status not in (Status.CANCELLED, Status.FAILED))
        # What was sent to whom is in the deliveries; the entry says who sent it and how many.
        audit.record(
            AuditEntry.Action.CREATE,
            run,
            details={"event": "roster_message", "women": len(women), "queued": going},
        )
    refused = len(women) - going
    messages.success(
        request,
        ngettext(
            "The message is queued for %(n)d woman.",
            "The message is queued for %(n)d women.",
            going,
        )
        % {"n": going}
        + (
            " "
            + ngettext(
                "The safe-contact rules hold it back from %(n)d woman.",
                "The safe-contact rules hold it back from %(n)d women.",
                refused,
            )
            % {"n": refused}
            if refused
            else ""
        ),
    )
    return HttpResponseRedirect(reverse("notify_run_messages", args=[run.pk]))


# --- Failures and retry ----------------------------------------------------------------------


@perms.rule(perms.MESSAGES_VIEW)
def failed_list(request: HttpRequest) -> HttpResponse:
    user = perms.acting_user(request)
    filters = FailedFilterForm(request.GET or None)
    chosen: dict[str, Any] = filters.cleaned_data if filters.is_valid() else {}
    listing = queries.with_people(
        queries.failed(
            user,
            working_centres(request, perms.MESSAGES_VIEW),
            channel=chosen.get("channel", ""),
            kind=chosen.get("kind", ""),
            before=chosen.get("before"),
        )
    )
    found = list(listing[: FAILED_PAGE + 1])
    more = len(found) > FAILED_PAGE
    rows = delivery_rows(user, found[:FAILED_PAGE])
    audit_rows(rows)
    me = perms.principal(user)
    next_query = ""
    if more:
        params = request.GET.copy()
        params["before"] = str(rows[-1].delivery.pk)
        next_query = params.urlencode()
    return render(
        request,
        "notify/staff/failed.html",
        {
            "rows": rows,
            "filters": filters,
            "next_query": next_query,
            "first_page": not chosen.get("before"),
            "may_retry": {
                r.delivery.pk for r in rows if me.can(perms.MESSAGES_SEND, r.delivery.centre_id)
            },
        },
    )


@perms.rule(perms.MESSAGES_SEND)
@require_POST
def retry(request: HttpRequest, pk: int) -> HttpResponse:
    delivery = perms.get_for_user(
        Delivery.objects.filter(participant__isnull=False), request.user, perms.MESSAGES_SEND, pk=pk
    )
    if delivery.status != Status.FAILED:
        messages.error(request, _("Only a failed message can be sent again."))
    else:
        try:
            with transaction.atomic():
                outbox.retry(delivery, actor=perms.acting_user(request))
        except outbox.NotRetryable as exc:  # it changed since the check above
            messages.error(request, str(exc))
        else:
            messages.success(request, _("The message is queued again."))
    return _back(request, reverse("notify_failed"))


# --- The channels' health --------------------------------------------------------------------


@dataclass(frozen=True)
class ChannelRow:
    channel: str
    label: str
    provider: str
    configured: bool
    missing: list[str]
    health: queries.ChannelHealth


@perms.rule(perms.CHANNELS_VIEW)
def channels(request: HttpRequest) -> HttpResponse:
    ids = working_centres(request, perms.CHANNELS_VIEW)
    centres = Centre.objects.all() if ids is None else Centre.objects.filter(pk__in=ids)
    health = queries.channel_health(centres)
    rows = []
    for channel, label in Delivery._meta.get_field("channel").choices or []:
        link = adapter(str(channel))
        rows.append(
            ChannelRow(
                channel=str(channel),
                label=str(label),
                provider=link.provider,
                configured=link.configured(),
                # Only the variables' names: a key or token is never shown, not even a part.
                missing=link.missing(),
                health=health[str(channel)],
            )
        )
    return render(request, "notify/staff/channels.html", {"rows": rows})


# --- Her own alert contact -------------------------------------------------------------------


@perms.rule(perms.AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def my_contact(request: HttpRequest) -> HttpResponse:
    user = perms.acting_user(request)
    if not perms.principal(user).is_staff_member:
        raise PermissionDenied
    current = StaffContact.objects.filter(user=user).first()
    initial = {"channel": current.channel, "address": current.address} if current else {}
    form = StaffContactForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            contact, created = StaffContact.objects.update_or_create(
                user=user,
                defaults={
                    "channel": form.cleaned_data["channel"],
                    "address": form.cleaned_data["address"],
                },
            )
            audit.record(
                AuditEntry.Action.CREATE if created else AuditEntry.Action.UPDATE,
                contact,
                fields=("channel", "address"),
            )
        messages.success(request, _("Your alert contact is saved."))
        return HttpResponseRedirect(reverse("notify_my_contact"))
    return render(request, "notify/staff/my_contact.html", {"form": form, "current": current})
