from django.contrib import admin

from core.admin import BoundedCountsAdmin, ReadOnlyAdminMixin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    # Messages are written by the outbox and delivered by it; a superuser may still
    # clear one by hand, as before (the staff group only reads).
    may_delete = True
    list_display = [
        "pk",
        "kind",
        "status",
        "attempts",
        "created_at",
        "available_at",
        "delivered_at",
    ]
    list_filter = ["status", "kind"]
    search_fields = ["last_error"]
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
