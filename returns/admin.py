"""
Returns in Django admin: staff read a return, its lines, its money and the order's
timeline; nothing here moves a return along or changes what it refunds.

Every field is read-only (the status and the money above all): a return changes only
through ``returns.services``, under the order's lock, with an audit row, its emails and
its refund. A return the parties cannot settle becomes a Resolution Center case, which
staff decide on the case's page (disputes.admin).
"""

from django.contrib import admin
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join

from core.admin import BoundedCountsAdmin, ReadOnlyAdminMixin, ReadOnlyInline
from core.formatting import format_placed, format_when, iso
from orders.events import Reader, render

from .models import ReturnLine, ReturnRequest, ReturnStatus


class OverdueFilter(admin.SimpleListFilter):
    """
    Returns past a deadline that a beat job has not acted on yet: a request past
    ``respond_by``, an authorized return past ``ship_back_by``, a parcel delivered back
    past ``receive_by``. A long list here means the beat jobs are not running.
    """

    title = "overdue"
    parameter_name = "overdue"
    DEADLINES = {
        "respond": ("Seller's answer overdue", ReturnStatus.REQUESTED, "respond_by"),
        "ship_back": ("Not shipped back in time", ReturnStatus.AUTHORIZED, "ship_back_by"),
        "receive": ("Not marked received in time", ReturnStatus.DELIVERED_BACK, "receive_by"),
    }
    ANY = "any"

    def lookups(self, request, model_admin):
        return [
            (self.ANY, "Any deadline passed"),
            *((key, label) for key, (label, _status, _field) in self.DEADLINES.items()),
        ]

    def queryset(self, request, queryset: QuerySet[ReturnRequest]) -> QuerySet[ReturnRequest]:
        value = self.value()
        if value == self.ANY:
            chosen = list(self.DEADLINES.values())
        elif value in self.DEADLINES:
            chosen = [self.DEADLINES[value]]
        else:
            return queryset
        now = timezone.now()
        overdue = Q()
        for _label, status, field in chosen:
            overdue |= Q(status=status, **{f"{field}__lt": now})
        return queryset.filter(overdue)


class ReturnLineInline(ReadOnlyInline):
    model = ReturnLine
    fields = ("order_line", "quantity")
    readonly_fields = fields


# The return's page: its sections and their (read-only) fields, in order.
RETURN_SECTIONS: dict[str | None, tuple[str, ...]] = {
    None: (
        "number",
        "order_link",
        "status",
        "reason",
        "note",
        "opened",
        "seller_fault",
        "returnless",
    ),
    "Money": ("item_value", "max_restocking_fee", "restocking_fee", "refund_amount"),
    "Deadlines": (
        "requested_at",
        "respond_by",
        "authorized_at",
        "authorized_by",
        "ship_back_by",
        "shipped_back_at",
        "delivered_back_at",
        "receive_by",
        "received_at",
        "closed_at",
    ),
    "Shipping back": ("return_address", "carrier", "tracking_number"),
    "Outcome": ("condition", "restocked", "close_reason", "close_note"),
    "Order": ("order_timeline",),
}


@admin.register(ReturnRequest)
class ReturnRequestAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: returns move through Seller Central, the buyer's pages and the beat jobs."""

    list_display = [
        "number",
        "order_number",
        "status",
        "reason",
        "store",
        "requested",
        "next_deadline",
        "refund_amount",
    ]
    list_filter = ["status", "reason", OverdueFilter, "seller_fault", "returnless"]
    list_select_related = ["order", "order__seller"]
    search_fields = ["=number", "=order__number", "order__buyer__username"]
    show_full_result_count = False  # one COUNT, as on the cases' list
    fieldsets = [(name, {"fields": names}) for name, names in RETURN_SECTIONS.items()]
    readonly_fields = tuple(name for names in RETURN_SECTIONS.values() for name in names)
    inlines = [ReturnLineInline]

    @admin.display(description="order", ordering="order__number")
    def order_number(self, obj: ReturnRequest) -> str:
        return format_html('<span class="nowrap">{}</span>', obj.order.number)

    @admin.display(description="store", ordering="order__seller__store_name")
    def store(self, obj: ReturnRequest) -> str:
        return obj.order.seller.store_name

    @admin.display(description="requested", ordering="requested_at")
    def requested(self, obj: ReturnRequest) -> str:
        return format_html('<span class="nowrap">{}</span>', format_placed(obj.requested_at))

    @admin.display(description="next deadline")
    def next_deadline(self, obj: ReturnRequest) -> str:
        """The deadline the return waits on, as the overdue filter reads it; "—" for none."""
        for _label, status, field in OverdueFilter.DEADLINES.values():
            if obj.status == status and getattr(obj, field):
                return format_html(
                    '<span class="nowrap">{}</span>', format_when(getattr(obj, field))
                )
        return "—"

    @admin.display(description="order")
    def order_link(self, obj: ReturnRequest) -> str:
        url = reverse("admin:orders_order_change", args=[obj.order_id])
        return format_html(
            '<a href="{}">Order {}</a> (<a href="{}#events-group">its timeline</a>)',
            url,
            obj.order.number,
            url,
        )

    @admin.display(description="order timeline")
    def order_timeline(self, obj: ReturnRequest) -> str:
        rows = (
            (iso(e.created_at), format_when(e.created_at), e.actor_role, render(e, Reader.STAFF))
            for e in obj.order.events.order_by("created_at", "pk")
        )
        return format_html(
            '<ol data-testid="order-timeline">{}</ol>',
            format_html_join("", '<li><time datetime="{}">{}</time> ({}): {}</li>', rows),
        )
