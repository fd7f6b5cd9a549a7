from django.contrib import admin

from .models import Cancellation, CancellationLine, CancellationRequest, CancellationRequestLine


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class CancellationLineInline(ReadOnlyInline):
    model = CancellationLine
    fields = ["order_line", "quantity"]


class CancellationRequestLineInline(ReadOnlyInline):
    model = CancellationRequestLine
    fields = ["order_line", "quantity"]


@admin.register(Cancellation)
class CancellationAdmin(admin.ModelAdmin):
    """The record of what happened: read-only, as audit rows are."""

    list_display = [
        "pk",
        "order",
        "initiator",
        "reason",
        "refund_amount",
        "counts_against_seller",
        "created_at",
    ]
    list_filter = ["initiator", "reason", "counts_against_seller"]
    search_fields = ["order__number"]
    list_select_related = ["order"]
    inlines = [CancellationLineInline]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(CancellationRequest)
class CancellationRequestAdmin(admin.ModelAdmin):
    list_display = ["pk", "order", "buyer", "status", "reason", "created_at", "responded_at"]
    list_filter = ["status", "reason"]
    search_fields = ["order__number", "buyer__username"]
    list_select_related = ["order", "buyer"]
    inlines = [CancellationRequestLineInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
