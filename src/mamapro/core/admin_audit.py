"""Admin changes are changes too: every add, change and delete in the admin is audited.

`AuditedModelAdmin` records, in the same transaction as the change:
- an add or a change (the names of the changed fields, never their values),
- the rows of inline forms added, changed or deleted,
- a delete — the object and every row the delete cascades to (a user's memberships and
  tokens, a woman's children and consents), each with its own entry.

Django's own admin history (`LogEntry`) is not written: it would keep each object's name (a
survivor's real name) in clear in a table nobody audits; the audit log is the history.

Every model registered in the admin uses it, or permits no add, change or delete
(core/tests/test_admin.py checks the whole registry).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

from django.contrib import admin
from django.db import models, router, transaction
from django.db.models.deletion import Collector
from django.http import HttpRequest

from mamapro.core import audit
from mamapro.core.models import AuditEntry

M = TypeVar("M", bound=models.Model)
VIA_ADMIN: dict[str, Any] = {"via": "admin"}


def deletion_events(objs: Iterable[models.Model]) -> list[audit.Event]:
    """An audit event for each row a delete of `objs` removes, cascades included."""
    objs = list(objs)
    if not objs:
        return []
    collector = Collector(using=router.db_for_write(type(objs[0])), origin=objs[0])
    collector.collect(objs)
    doomed: list[models.Model] = []
    for instances in collector.data.values():
        doomed.extend(instances)
    for queryset in collector.fast_deletes:
        doomed.extend(queryset)
    first = {id(obj) for obj in objs}
    events = []
    for obj in doomed:
        details = dict(VIA_ADMIN) if id(obj) in first else {**VIA_ADMIN, "cascade": True}
        events.append(audit.event_for(AuditEntry.Action.DELETE, obj, details=details))
    return events


class AuditedModelAdmin(admin.ModelAdmin[M]):
    def save_model(self, request: HttpRequest, obj: M, form: Any, change: bool) -> None:
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            action = AuditEntry.Action.UPDATE if change else AuditEntry.Action.CREATE
            audit.record(action, obj, fields=form.changed_data, details=dict(VIA_ADMIN))

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        with transaction.atomic():
            deleted = [f.instance for f in formset.deleted_forms if f.instance.pk is not None]
            # Deleted rows are collected before they go (with what they cascade to).
            events = deletion_events(deleted)
            super().save_formset(request, form, formset, change)
            for obj in formset.new_objects:
                events.append(
                    audit.event_for(AuditEntry.Action.CREATE, obj, details=dict(VIA_ADMIN))
                )
            for obj, fields in formset.changed_objects:
                events.append(
                    audit.event_for(
                        AuditEntry.Action.UPDATE, obj, fields=fields, details=dict(VIA_ADMIN)
                    )
                )
            if events:
                audit.record_events(events)

    def delete_model(self, request: HttpRequest, obj: M) -> None:
        with transaction.atomic():
            audit.record_events(deletion_events([obj]))
            super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[M]) -> None:
        with transaction.atomic():
            audit.record_events(deletion_events(queryset))
            super().delete_queryset(request, queryset)

    # Django's admin history would keep names in clear: the audit log above replaces it.
    def log_addition(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> None:  # type: ignore[override]
        return None

    def log_deletion(self, request: HttpRequest, obj: Any, object_repr: str) -> None:  # type: ignore[override]
        return None

    def log_deletions(self, request: HttpRequest, queryset: Any) -> None:  # type: ignore[override]
        return None
