"""The public REST API under /api/v1/ (contract: shared/API.md)."""

from ninja import NinjaAPI

from mamapro.centres.api import router as centres_router
from mamapro.core.api import TokenAuth, install_error_handlers
from mamapro.kidsroom.api import router as kidsroom_router
from mamapro.people.api import router as people_router
from mamapro.programs.api import router as programs_router
from mamapro.programs.api_attendance import router as attendance_router

api = NinjaAPI(
    title="Mama Pro Centre API",
    version="1",
    description="Centres, participants, children and their adults, programmes, the kids' room. "
    "Authenticate with `Authorization: Bearer <token>` (`mamapro token create USERNAME`).",
    auth=TokenAuth(),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", centres_router)
api.add_router("/", people_router)
api.add_router("/", programs_router)
api.add_router("/", attendance_router)
api.add_router("/", kidsroom_router)
