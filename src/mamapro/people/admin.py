"""Superusers' admin for people: every change and every opened record is audited."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mamapro.core import audit
from mamapro.core.admin_audit import AuditedModelAdmin
from mamapro.people import services
from mamapro.people.models import Child, ChildAdult, Consent, Participant
from mamapro.people.visibility import CHILD_NEEDS_FIELDS, PARTICIPANT_SENSITIVE_FIELDS


@admin.register(Participant)
class ParticipantAdmin(AuditedModelAdmin[Participant]):
    """Saves go through the services (which audit them); deletes are audited with every row
    they cascade to (core/admin_audit.py)."""

    list_display = ("family_name", "given_name", "centre", "status", "language")
    list_filter = ("centre", "status", "language")
    search_fields = ("search_key",)
    readonly_fields = ("eligibility_verified_by", "eligibility_verified_at", "created_at")

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit.record_reads([(obj, PARTICIPANT_SENSITIVE_FIELDS)])
        return super().change_view(request, object_id, *args, **kwargs)

    def save_model(self, request: HttpRequest, obj: Participant, form: Any, change: bool) -> None:
        data = {
            name: form.cleaned_data[name]
            for name in services.PARTICIPANT_FIELDS
            if name in form.cleaned_data
        }
        if change:
            services.update_participant(obj, data=data, actor=request.user)  # type: ignore[arg-type]
        else:
            created = services.create_participant(centre=obj.centre, data=data, actor=request.user)  # type: ignore[arg-type]
            obj.pk = created.pk


@admin.register(Child)
class ChildAdmin(AuditedModelAdmin[Child]):
    list_display = ("given_name", "family_name", "parent", "centre", "support_level")
    list_filter = ("centre", "support_level")
    raw_id_fields = ("parent",)

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None:
            audit.record_reads([(obj, CHILD_NEEDS_FIELDS)])
        return super().change_view(request, object_id, *args, **kwargs)


@admin.register(ChildAdult)
class ChildAdultAdmin(AuditedModelAdmin[ChildAdult]):
    list_display = ("name", "child", "relation", "authorised")
    raw_id_fields = ("child",)


@admin.register(Consent)
class ConsentAdmin(AuditedModelAdmin[Consent]):
    list_display = ("participant", "kind", "version", "granted_at", "revoked_at")
    raw_id_fields = ("participant",)
