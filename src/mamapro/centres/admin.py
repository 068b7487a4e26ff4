from django.contrib import admin

from mamapro.centres.models import Centre, Membership, Room
from mamapro.core.admin_audit import AuditedModelAdmin


class RoomInline(admin.TabularInline[Room, Centre]):
    model = Room
    extra = 0


@admin.register(Centre)
class CentreAdmin(AuditedModelAdmin[Centre]):
    list_display = ("name", "city", "region", "is_active")
    inlines = [RoomInline]


@admin.register(Membership)
class MembershipAdmin(AuditedModelAdmin[Membership]):
    list_display = ("user", "centre", "role")
    list_filter = ("role", "centre")
