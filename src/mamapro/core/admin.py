"""The admin: superusers only, behind the staff log-in (its throttle) and the second step.

- `/admin/login/` is not Django's own form: it sends to `/login/` (the throttled log-in),
  after which the second step (core/two_factor.py) is asked as on every staff page.
- The site itself also refuses a session that has not passed the second step.
- Authenticator secrets are never shown: devices can be seen (name, dates) and deleted (she
  sets up a new one at her next log-in), not added or edited.
- A revoked API token cannot be un-revoked: revocation is an action, `revoked_at` read-only.
- Every change is audited (core/admin_audit.py).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.admin import GroupAdmin, UserAdmin
from django.contrib.auth.models import Group
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from mamapro.core import audit, two_factor
from mamapro.core.admin_audit import VIA_ADMIN, AuditedModelAdmin
from mamapro.core.models import ApiToken, AuditEntry, TOTPDevice, User


def admin_has_permission(request: HttpRequest) -> bool:
    """An active superuser whose session passed the second step."""
    user = request.user
    return bool(user.is_active and user.is_superuser and two_factor.is_verified(request))


def admin_login(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """The admin's log-in is the staff log-in: one throttle, one second step."""
    target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    if request.user.is_authenticated:
        if admin_has_permission(request):
            return HttpResponseRedirect(target)
        # Signed in, but not as an administrator: no loop back through the log-in page.
        raise PermissionDenied
    return redirect_to_login(target, login_url=reverse("login"))


_own_password_change = admin.site.password_change


def admin_password_change(request: HttpRequest, extra_context: Any = None) -> HttpResponse:
    """An administrator changing her own password: audited like any change."""
    with transaction.atomic():
        response = _own_password_change(request, extra_context)
        if request.method == "POST" and response.status_code == 302:
            assert isinstance(request.user, User)
            audit.record(
                AuditEntry.Action.UPDATE, request.user, fields=["password"], details=dict(VIA_ADMIN)
            )
    return response


admin.site.login = admin_login  # type: ignore[method-assign]
admin.site.has_permission = admin_has_permission  # type: ignore[method-assign]
admin.site.password_change = admin_password_change  # type: ignore[method-assign,assignment]


@admin.register(User)
class MamaproUserAdmin(AuditedModelAdmin[User], UserAdmin):
    fieldsets = (*UserAdmin.fieldsets, ("Mama Pro", {"fields": ("language",)}))  # type: ignore[misc]

    def user_change_password(
        self, request: HttpRequest, id: str, form_url: str = ""
    ) -> HttpResponse:
        with transaction.atomic():
            response = super().user_change_password(request, id, form_url)
            if request.method == "POST" and response.status_code == 302:
                user = User.objects.get(pk=id)
                audit.record(
                    AuditEntry.Action.UPDATE, user, fields=["password"], details=dict(VIA_ADMIN)
                )
        return response


admin.site.unregister(Group)


@admin.register(Group)
class AuditedGroupAdmin(AuditedModelAdmin[Group], GroupAdmin):
    pass


@admin.register(AuditEntry)
class AuditEntryAdmin(admin.ModelAdmin[AuditEntry]):
    list_display = ("seq", "at", "actor_name", "action", "object_type", "object_id", "ip", "via")
    list_filter = ("action", "via")
    search_fields = ("actor_name", "object_type", "object_id")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(ApiToken)
class ApiTokenAdmin(AuditedModelAdmin[ApiToken]):
    list_display = ("prefix", "user", "label", "created_at", "expires_at", "revoked_at")
    list_filter = ("revoked_at",)
    fields = (
        "user",
        "prefix",
        "label",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    # Only the label can be edited: a token is never given to someone else, made to live
    # longer, or un-revoked. Revoking is the action below.
    readonly_fields = ("user", "prefix", "created_at", "expires_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # tokens are issued with `mamapro token create`, which shows them once

    @admin.action(description=_("Revoke the selected tokens"))
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiToken]) -> None:
        done = 0
        with transaction.atomic():
            for token in queryset.select_related("user"):
                if token.revoke():
                    done += 1
                    audit.record(
                        AuditEntry.Action.TOKEN,
                        token,
                        details={
                            **VIA_ADMIN,
                            "event": "revoked",
                            "user": token.user.username,
                            "prefix": token.prefix,
                        },
                    )
        self.message_user(
            request,
            ngettext("%(n)d token revoked.", "%(n)d tokens revoked.", done) % {"n": done},
            messages.SUCCESS,
        )


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(AuditedModelAdmin[TOTPDevice]):
    """Seen and deleted only: the secret is in no list, page or form."""

    list_display = ("user", "name", "confirmed", "created_at", "last_used_at")
    list_filter = ("confirmed",)
    fields = ("user", "name", "confirmed", "created_at", "last_used_at")
    readonly_fields = fields
    search_fields = ("user__username",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
