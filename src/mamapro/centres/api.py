from django.http import HttpRequest
from ninja import Query, Router, Schema

from mamapro.centres.models import Centre
from mamapro.core import permissions as perms
from mamapro.core.api import Page, PageFilters

router = Router(tags=["centres"])


class CentreOut(Schema):
    id: int
    name: str
    city: str
    region: str
    timezone: str


@router.get("/centres", response=Page[CentreOut])
@perms.rule(perms.CENTRE_VIEW)
def list_centres(request: HttpRequest, filters: Query[PageFilters]) -> dict[str, object]:
    qs = perms.scope(Centre.objects.all(), request.user, perms.CENTRE_VIEW, centre_field="id")
    window = qs[filters.offset : filters.offset + filters.limit]
    return {"items": list(window), "count": qs.count()}
