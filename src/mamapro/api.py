"""The public REST API under /api/v1/ (contract: shared/API.md)."""

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema
from ninja.parser import Parser

from mamapro.centres.api import router as centres_router
from mamapro.core.api import TokenAuth, install_error_handlers
from mamapro.kidsroom.api import router as kidsroom_router
from mamapro.notify.api import router as notify_router
from mamapro.people.api import router as people_router
from mamapro.programs.api import router as programs_router
from mamapro.programs.api_attendance import router as attendance_router

_DETAIL = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_FIELD_ERRORS = {
    "type": "object",
    "properties": {
        "detail": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
                "required": ["field", "message"],
            },
        },
    },
    "required": ["detail", "errors"],
}
# Every operation can answer these (core/api.py's handlers); the schema says so, once.
ERRORS = {
    "400": ("The request could not be read.", _DETAIL),
    "401": ("No valid bearer token.", _DETAIL),
    "403": ("Your role does not allow this (or a safety rule refuses it).", _DETAIL),
    "404": ("Not found among the records you may see.", _DETAIL),
    "409": ("The request clashes with the current state.", _DETAIL),
    "422": ("Bad input: each error names its field.", _FIELD_ERRORS),
}


class MamaProAPI(NinjaAPI):
    def get_openapi_schema(self, *args: Any, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(*args, **kwargs)
        for operations in schema.get("paths", {}).values():
            for operation in operations.values():
                responses = operation.setdefault("responses", {})
                for code, (description, body) in ERRORS.items():
                    responses.setdefault(
                        code,
                        {
                            "description": description,
                            "content": {"application/json": {"schema": body}},
                        },
                    )
        return schema


class ObjectBodies(Parser):
    """JSON bodies are objects, but for the one operation that takes a list (PUT of a
    session's attendance). Without this, django-ninja reads an array sent to a PATCH as an
    object with no fields, and answers 200 for a body that breaks the contract."""

    def parse_body(self, request: HttpRequest) -> dict[str, Any]:
        data = super().parse_body(request)
        if not isinstance(data, dict) and request.method != "PUT":
            raise ValueError("the body must be a JSON object")
        return data


api = MamaProAPI(
    parser=ObjectBodies(),
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
api.add_router("/", notify_router)
