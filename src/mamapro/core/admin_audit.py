"""Admin changes are changes too: every save and delete in the admin is audited."""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib import admin
from django.db import models, transaction
from django.http import HttpRequest

from mamapro.core import audit
from mamapro.core.models import AuditEntry

M = TypeVar("M", bound=models.Model)


class AuditedModelAdmin(admin.ModelAdmin[M]):
    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE
            audit.record(action, obj, fields=form.changed_data, details={"via": "admin"})

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        with transaction.atomic():
            audit.record(AuditEntry.Action.DELETE, obj, details={"via": "admin"})
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[M]) -> None:
        with transaction.atomic():
            audit.record_events(
                [
                    audit.event_for(AuditEntry.Action.DELETE, obj, details={"via": "admin"})
                    for obj in queryset
                ]
            )
            super().delete_queryset(request, queryset)
