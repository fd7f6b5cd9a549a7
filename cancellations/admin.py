from django.contrib import admin

from core.admin import BoundedCountsAdmin, ReadOnlyAdminMixin, ReadOnlyInline

from .models import Cancellation, CancellationLine, CancellationRequest, CancellationRequestLine


class CancellationLineInline(ReadOnlyInline):
    model = CancellationLine
    fields = ["order_line", "quantity"]


class CancellationRequestLineInline(ReadOnlyInline):
    model = CancellationRequestLine
    fields = ["order_line", "quantity"]


@admin.register(Cancellation)
class CancellationAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
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


@admin.register(CancellationRequest)
class CancellationRequestAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Requests are answered in Seller Central (or by the beat job), never edited here."""

    list_display = ["pk", "order", "buyer", "status", "reason", "created_at", "responded_at"]
    list_filter = ["status", "reason"]
    search_fields = ["order__number", "buyer__username"]
    list_select_related = ["order", "buyer"]
    inlines = [CancellationRequestLineInline]
