"""The centre a staff member is working in right now (the centre switcher)."""

from __future__ import annotations

from django.http import HttpRequest

from mamapro.core.permissions import principal

SESSION_KEY = "mamapro_centre_id"


def current_centre_id(request: HttpRequest) -> int | None:
    """The chosen centre, if the user still belongs to it; None means all her centres."""
    raw = request.session.get(SESSION_KEY)
    if raw is None:
        return None
    member_of = principal(request.user).member_centre_ids()
    if member_of is not None and raw not in member_of:
        return None
    return int(raw)


def working_centres(request: HttpRequest, capability: str) -> list[int] | None:
    """Where she works with `capability`, narrowed to the centre chosen in the switcher
    (None: every centre)."""
    ids = principal(request.user).centre_ids_for(capability)
    chosen = current_centre_id(request)
    if chosen is not None and (ids is None or chosen in ids):
        return [chosen]
    return None if ids is None else sorted(ids)
