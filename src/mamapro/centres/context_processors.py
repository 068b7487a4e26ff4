from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from mamapro.centres.context import current_centre_id
from mamapro.centres.models import Centre
from mamapro.core.permissions import CENTRE_VIEW, principal, scope


def centre_switcher(request: HttpRequest) -> dict[str, Any]:
    """The centres a signed-in staff member can switch between (one query per page)."""
    if not request.user.is_authenticated or not principal(request.user).is_staff_member:
        return {}
    centres = list(
        scope(
            Centre.objects.filter(is_active=True), request.user, CENTRE_VIEW, centre_field="id"
        ).only("id", "name")
    )
    return {"switcher_centres": centres, "current_centre_id": current_centre_id(request)}
