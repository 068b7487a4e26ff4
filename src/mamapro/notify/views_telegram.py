"""Her Telegram on her page: the panel (linked / waiting for her confirmation / not linked —
never the chat id) and the coordinator's "Link Telegram" button, which shows the one-time
deep link once (telegram_links.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from mamapro.centres.clock import local
from mamapro.core import permissions as perms
from mamapro.core.errors import DomainError
from mamapro.notify import telegram_links
from mamapro.notify.channels.telegram import TelegramBot
from mamapro.notify.models import Channel, TelegramLink
from mamapro.people import reach
from mamapro.people.models import Participant
from mamapro.people.panels import Panel, register


def telegram_panel(request: HttpRequest, participant: Participant) -> Panel | None:
    """One query: her newest link, without its chat id (never read for a page)."""
    me = perms.principal(request.user)
    if participant.erased_at is not None or not me.can(perms.MESSAGES_VIEW, participant.centre_id):
        return None
    link = (
        TelegramLink.objects.filter(participant=participant)
        .only("used_at", "expires_at", "confirmed_at", "revoked_at", "participant_id")
        .order_by("-created_at", "-id")
        .first()
    )
    state = telegram_links.state(link)
    shown = link if state != "none" else None
    return Panel(
        "notify/telegram/_panel.html",
        {
            "participant": participant,
            "state": state,
            "link": shown,
            "expires_at": local(shown.expires_at, participant.centre) if shown else None,
            "confirmed_at": (
                local(shown.confirmed_at, participant.centre)
                if shown and shown.confirmed_at
                else None
            ),
            "safe": Channel.TELEGRAM in (participant.contact_channels or []),
            "configured": TelegramBot().configured(),
            "may_link": me.can(perms.MESSAGES_SEND, participant.centre_id),
        },
    )


@perms.rule(perms.MESSAGES_SEND)
@require_POST
def telegram_link(request: HttpRequest, pk: int) -> HttpResponse:
    participant = perms.get_for_user(
        reach.within_reach(Participant.objects.select_related("centre"), request.user),
        request.user,
        perms.MESSAGES_SEND,
        pk=pk,
    )
    try:
        new = telegram_links.create_link(participant, perms.acting_user(request))
    except DomainError as exc:
        messages.error(request, exc.message)
        return HttpResponseRedirect(reverse("people:participant_detail", args=[participant.pk]))
    response = render(
        request,
        "notify/telegram/link_created.html",
        {
            "participant": participant,
            "url": new.url,
            "expires_at": local(new.link.expires_at, participant.centre),
        },
    )
    # The link is a key to her channel: shown once, kept by no cache.
    response["Cache-Control"] = "no-store"
    return response


register(telegram_panel)
