"""Her offer link: `/offers/<token>`, a page of the site with no login (offer_links.py).

GET shows the offer and until when it holds; POST `accept` or `decline` answers it through
the seat service (`accept_offer`, `decline_offer`: locked, recounted, audited with no staff
actor). A link that is altered, expired or already used answers a clear page and changes
nothing. The page is in her language (the switcher changes it for this page only), sent with
`Cache-Control: no-store`, `Referrer-Policy: no-referrer` and noindex, and carries the quick
exit of the public site.

A discreet page (she asked for discretion, or she is a survivor of domestic violence) says
only that a place is kept for her until a time, with the two buttons: no centre, no course,
no brand, nothing whoever holds her phone could learn from. Every POST passes the public
rate limit per address first (public/throttle.py).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from mamapro.centres import clock
from mamapro.core.errors import Conflict
from mamapro.core.permissions import PUBLIC, rule
from mamapro.notify import offer_links
from mamapro.people.models import Circumstance, Participant
from mamapro.programs.locking import locked_run
from mamapro.programs.models import Enrollment
from mamapro.programs.services import enrollment as seats
from mamapro.public import throttle

TEMPLATE = "notify/offers/offer.html"
LANGUAGE_CODES = {code for code, _name in settings.LANGUAGES}
# What the page answers, by state: an open offer 200; the answer just given 200; a link
# that no longer works 410 (Gone); a link that never did 404.
OPEN, ACCEPTED, DECLINED, EXPIRED, USED, INVALID, TOO_MANY = (
    "open",
    "accepted",
    "declined",
    "expired",
    "used",
    "invalid",
    "too_many",
)
STATUS = {OPEN: 200, ACCEPTED: 200, DECLINED: 200, EXPIRED: 410, USED: 410, INVALID: 404}


def _discreet(participant: Participant) -> bool:
    """As the safe-contact gate decides it: she asked for discretion, or she is a survivor."""
    return participant.discreet or (
        Circumstance.objects.filter(participant=participant)
        .of_kind(Circumstance.Kind.DOMESTIC_VIOLENCE)
        .exists()
    )


def _state(enrollment: Enrollment, claim: offer_links.Claim) -> str:
    if claim.matches(enrollment):
        assert enrollment.offer_expires_at is not None
        return OPEN if enrollment.offer_expires_at > timezone.now() else EXPIRED
    if (
        enrollment.status == Enrollment.Status.DROPPED
        and enrollment.end_reason == Enrollment.EndReason.OFFER_EXPIRED
    ):
        return EXPIRED
    return USED


def _language(request: HttpRequest, default: str) -> str:
    chosen = request.GET.get("lang", "")
    return chosen if chosen in LANGUAGE_CODES else default


def _page(
    request: HttpRequest,
    state: str,
    *,
    language: str,
    enrollment: Enrollment | None = None,
    discreet: bool = True,
    error: str = "",
    status: int | None = None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    zone = clock.centre_zone(enrollment.centre) if enrollment else timezone.get_current_timezone()
    context = {
        "state": state,
        "enrollment": enrollment,
        "run": enrollment.run if enrollment else None,
        "discreet": discreet,
        "error": error,
        "lang": language,
        "languages": [
            (code, translation.get_language_info(code)) for code, _n in settings.LANGUAGES
        ],
        **(extra or {}),
    }
    with translation.override(language), timezone.override(zone):
        response = render(request, TEMPLATE, context, status=status or STATUS[state])
    response["Content-Language"] = language
    response["Referrer-Policy"] = "no-referrer"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _too_many(
    request: HttpRequest, refusal: throttle.Refusal, language: str, enrollment: Enrollment | None
) -> HttpResponse:
    minutes = max(1, -(-refusal.retry_after // 60))
    with translation.override(language):
        wait = ngettext(
            "Please try again in %(count)s minute.",
            "Please try again in %(count)s minutes.",
            minutes,
        ) % {"count": minutes}
    response = _page(
        request,
        TOO_MANY,
        language=language,
        enrollment=enrollment,
        status=429,
        extra={"wait": wait},
    )
    response["Retry-After"] = str(refusal.retry_after)
    return response


def _answer(enrollment: Enrollment, claim: offer_links.Claim, action: str) -> str:
    """Accept or decline under the run's lock, only if this very offer is still open."""
    try:
        with locked_run(enrollment.run_id):
            current = Enrollment.objects.get(pk=enrollment.pk)
            state = _state(current, claim)
            if state != OPEN:
                return state
            if action == "accept":
                seats.accept_offer(current, actor=None)
                return ACCEPTED
            seats.decline_offer(current, actor=None)
            return DECLINED
    except Conflict:
        # It lapsed (or was answered) between the check and the lock.
        state = _state(Enrollment.objects.get(pk=enrollment.pk), claim)
        return EXPIRED if state == OPEN else state


@rule(PUBLIC)
@require_http_methods(["GET", "POST"])
@never_cache
def offer(request: HttpRequest, token: str) -> HttpResponse:
    claim = offer_links.read_token(token)
    enrollment = None
    if claim is not None:
        enrollment = (
            Enrollment.objects.select_related("run__course", "run__centre", "centre", "participant")
            .filter(pk=claim.enrollment_id)
            .first()
        )
    if request.method == "POST":
        default = enrollment.participant.language if enrollment else translation.get_language()
        refusal = throttle.check_address(request)
        if refusal is not None:
            return _too_many(request, refusal, _language(request, default), enrollment)
    if claim is None or enrollment is None:
        return _page(request, INVALID, language=_language(request, translation.get_language()))
    participant = enrollment.participant
    language = _language(request, participant.language)
    discreet = _discreet(participant)
    state = _state(enrollment, claim)
    if request.method == "POST" and state == OPEN:
        action = request.POST.get("action", "")
        if action not in ("accept", "decline"):
            with translation.override(language):
                error = _("Choose “Accept” or “Decline”.")
            return _page(
                request,
                OPEN,
                language=language,
                enrollment=enrollment,
                discreet=discreet,
                error=error,
                status=400,
            )
        state = _answer(enrollment, claim, action)
        enrollment.refresh_from_db()
    return _page(request, state, language=language, enrollment=enrollment, discreet=discreet)
