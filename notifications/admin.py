from django.contrib import admin

from .models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
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

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
