"""Superusers' admin for messages: read-only, and never a message's text or an address.

Deliveries, Telegram links, staff contacts and replies are written by the outbox, the
webhooks and the staff pages, each audited there; the admin only looks. What went out
(`text`), a staff-written message (`body`), her Telegram chat, a staff member's phone or
e-mail and a reply's words are in no list, page or form here: the staff pages show a
delivery's text on her page only, audited. Opening a delivery is a read of her personal
data (when and how the centre reaches her), audited like her page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from mamapro.core import audit
from mamapro.notify.models import (
    Delivery,
    InboundMessage,
    MessageTemplate,
    StaffContact,
    TelegramLink,
)


class ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ("id", "centre", "kind", "channel", "status", "created_at", "sent_at")
    list_filter = ("status", "channel", "kind", "centre")
    fields = (
        "centre",
        "participant_id",
        "user_id",
        "kind",
        "channel",
        "language",
        "status",
        "reason",
        "error",
        "subject_type",
        "subject_id",
        "discreet",
        "attempts",
        "send_after",
        "claimed_at",
        "sent_at",
        "delivered_at",
        "provider_message_id",
        "parts",
        "created_at",
    )
    readonly_fields = fields

    def change_view(self, request: HttpRequest, object_id: str, *args: Any, **kwargs: Any) -> Any:
        obj = self.get_object(request, object_id)
        if obj is not None and obj.participant is not None:
            audit.record_reads([(obj.participant, ("deliveries",))])
        return super().change_view(request, object_id, *args, **kwargs)


@admin.register(MessageTemplate)
class MessageTemplateAdmin(ReadOnlyAdmin):
    """The words are edited on the template editor (versioned); here they are only read."""

    list_display = ("kind", "variant", "language", "version")
    list_filter = ("kind", "variant", "language")


@admin.register(TelegramLink)
class TelegramLinkAdmin(ReadOnlyAdmin):
    list_display = ("id", "centre", "created_at", "expires_at", "used_at", "confirmed_at")
    fields = (
        "centre",
        "participant_id",
        "expires_at",
        "used_at",
        "confirmed_at",
        "revoked_at",
        "created_at",
    )
    readonly_fields = fields


@admin.register(StaffContact)
class StaffContactAdmin(ReadOnlyAdmin):
    list_display = ("user", "channel", "updated_at")
    fields = ("user", "channel", "updated_at")
    readonly_fields = fields


@admin.register(InboundMessage)
class InboundMessageAdmin(ReadOnlyAdmin):
    list_display = ("id", "channel", "action", "received_at")
    list_filter = ("channel", "action")
    fields = ("centre", "participant_id", "channel", "action", "received_at")
    readonly_fields = fields
