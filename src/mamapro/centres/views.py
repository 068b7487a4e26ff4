from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from mamapro.centres.context import SESSION_KEY, current_centre_id
from mamapro.centres.models import Centre
from mamapro.centres.notices import notices_for
from mamapro.core.permissions import AUTHENTICATED, CENTRE_VIEW, Role, principal, rule, scope


def my_centres(request: HttpRequest) -> list[Centre]:
    return list(
        scope(Centre.objects.filter(is_active=True), request.user, CENTRE_VIEW, centre_field="id")
    )


@rule(AUTHENTICATED)
def home(request: HttpRequest) -> HttpResponse:
    me = principal(request.user)
    centres = my_centres(request)
    roles = []
    for centre in centres:
        role = me.role_in(centre.id)
        roles.append((centre, Role(role).label if role else None))
    return render(
        request,
        "centres/home.html",
        {
            "roles": roles,
            "no_role": not me.is_staff_member,
            "current_centre_id": current_centre_id(request),
            "notices": notices_for(request),
        },
    )


@rule(AUTHENTICATED)
@require_POST
def switch_centre(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("centre", "")
    allowed = {c.id for c in my_centres(request)}
    if raw.isdigit() and int(raw) in allowed:
        request.session[SESSION_KEY] = int(raw)
    else:
        request.session.pop(SESSION_KEY, None)
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = "/"
    return HttpResponseRedirect(next_url)
