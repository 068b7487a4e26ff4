"""API plumbing shared by every domain: bearer tokens, errors and list envelopes.

No `from __future__ import annotations` in API modules: django-ninja reads the annotations of
the operation functions at import time.
"""

from typing import Any, Generic, TypeVar

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.security import HttpBearer

from mamapro.core import audit
from mamapro.core.errors import DomainError
from mamapro.core.models import ApiToken, User, hash_token


class TokenExpired(AuthenticationError):
    """A real token past its `expires_at`: 401, saying so (a new one is needed, not a fix)."""

    def __init__(self, expired_on: str) -> None:
        super().__init__()
        self.expired_on = expired_on


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; the request then acts as the token's user.
    Revoked tokens, tokens of deactivated users and expired tokens are refused (401)."""

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=hash_token(token), revoked_at__isnull=True, user__is_active=True)
            .first()
        )
        if found is None:
            return None
        now = timezone.now()
        if found.expires_at <= now:
            raise TokenExpired(timezone.localdate(found.expires_at).isoformat())
        if found.last_used_at is None or (now - found.last_used_at).total_seconds() > 300:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        audit.set_actor(found.user)
        if found.user.language:
            translation.activate(found.user.language)
        return found.user


class ErrorOut(Schema):
    detail: str


class FieldError(Schema):
    field: str
    message: str


class ValidationErrorOut(Schema):
    detail: str
    errors: list[FieldError]


T = TypeVar("T")


class Page(Schema, Generic[T]):
    items: list[T]
    count: int


def _message(err: dict[str, Any]) -> str:
    """A translated message for pydantic's common error types; its own text otherwise."""
    kind = err.get("type", "")
    ctx = err.get("ctx") or {}
    if kind == "missing":
        return _("This field is required.")
    if kind == "string_too_short":
        return _("This field cannot be empty.") if ctx.get("min_length") == 1 else _("Too short.")
    if kind == "string_too_long":
        return _("At most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind in {"literal_error", "enum"}:
        return _("Choose one of: %(expected)s.") % {"expected": ctx.get("expected", "")}
    if kind in {"int_parsing", "int_type", "int_from_float"}:
        return _("Enter a whole number.")
    if kind in {"bool_parsing", "bool_type"}:
        return _("Enter true or false.")
    if kind.startswith("date"):
        return _("Enter a real date as YYYY-MM-DD.")
    if kind.startswith("time"):
        return _("Enter a time as HH:MM.")
    if kind == "list_type":
        return _("Send a list.")
    if kind in {"string_type"}:
        return _("Send text.")
    if kind == "greater_than_equal":
        return _("Must be at least %(ge)s.") % {"ge": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Must be at most %(le)s.") % {"le": ctx.get("le")}
    if kind in {"json_invalid"}:
        return _("The request body is not valid JSON.")
    if kind in {"model_attributes_type", "dict_type", "model_type"}:
        return _("Send a JSON object.")
    return str(err.get("msg", ""))


def _field_name(loc: tuple[Any, ...] | list[Any]) -> str:
    # Ninja locates body errors as ("body", "payload", "phone"); keep the part a client sent.
    parts = [str(p) for p in loc if p not in ("body", "payload", "query", "path")]
    return ".".join(parts) or "__all__"


def validation_response(
    api: NinjaAPI, request: HttpRequest, errors: list[FieldError]
) -> HttpResponse:
    summary = "; ".join(f"{e.field}: {e.message}" for e in errors)
    return api.create_response(
        request,
        {
            "detail": _("Invalid input — %(summary)s") % {"summary": summary},
            "errors": [e.dict() for e in errors],
        },
        status=422,
    )


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(NinjaValidationError)
    def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
        errors = [
            FieldError(field=_field_name(err.get("loc", ())), message=_message(err))
            for err in exc.errors
        ]
        return validation_response(api, request, errors)

    @api.exception_handler(DjangoValidationError)
    def _model_invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        if hasattr(exc, "error_dict"):
            errors = [
                FieldError(
                    field=name,
                    message=" ".join(str(m) for m in DjangoValidationError(errs).messages),
                )
                for name, errs in exc.error_dict.items()
            ]
        else:
            errors = [FieldError(field="__all__", message=" ".join(exc.messages))]
        return validation_response(api, request, errors)

    @api.exception_handler(DomainError)
    def _domain(request: HttpRequest, exc: DomainError) -> HttpResponse:
        return api.create_response(request, {"detail": exc.message}, status=exc.status)

    @api.exception_handler(PermissionDenied)
    def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        return api.create_response(
            request, {"detail": _("Your role does not allow this.")}, status=403
        )

    @api.exception_handler(Http404)
    def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
        return api.create_response(request, {"detail": _("Not found.")}, status=404)

    @api.exception_handler(AuthenticationError)
    def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        if isinstance(exc, TokenExpired):
            return api.create_response(
                request,
                {
                    "detail": _(
                        "This token expired on %(date)s. Ask for a new one (mamapro token create)."
                    )
                    % {"date": exc.expired_on}
                },
                status=401,
            )
        return api.create_response(
            request,
            {"detail": _("Send a valid token: Authorization: Bearer <token>.")},
            status=401,
        )


class PageFilters(Schema):
    limit: int = Field(50, ge=1, le=200, description="at most 200 per page")
    offset: int = Field(0, ge=0, le=2**31 - 1)


def patch_data(payload: Schema, *, nullable: set[str], blankable: set[str]) -> dict[str, Any]:
    """The fields a PATCH sent; null clears an optional field and is refused elsewhere."""
    data = payload.dict(exclude_unset=True)
    errors = {}
    for name, value in data.items():
        if value is None and name not in nullable:
            if name in blankable:
                data[name] = ""
            else:
                errors[name] = _("This field cannot be null.")
    if errors:
        raise DjangoValidationError(errors)
    return data
