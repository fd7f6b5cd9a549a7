"""
Money rows are read-only in admin: only the services move money, through the gateway,
so staff can look (and follow a charge to the sandbox or Stripe's ledger, and see which
of Stripe's webhook events arrived and what each did) but never type a total in.
"""

from django.contrib import admin
from django.db.models import Q

from core.admin import BoundedCountsAdmin, ReadOnlyAdminMixin, ReadOnlyInline

from .models import (
    Payment,
    PaymentTransaction,
    SandboxCharge,
    SandboxIdempotencyKey,
    StripeCharge,
    StripeEvent,
    StripeIntent,
)

# A capture, void or refund the gateway refused: money that did not move as promised.
# (A declined authorization is the buyer's card saying no, handled by the order.)
FAILED_MONEY_MOVE = Q(
    status=PaymentTransaction.Status.FAILED,
    kind__in=[
        PaymentTransaction.Kind.CAPTURE,
        PaymentTransaction.Kind.VOID,
        PaymentTransaction.Kind.REFUND,
    ],
)


class NeedsAttentionFilter(admin.SimpleListFilter):
    """Staff's work list: failed captures, voids and refunds (or the payments that have one)."""

    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request, model_admin):
        return [("yes", "Failed capture, void or refund")]

    def queryset(self, request, queryset):
        if self.value() != "yes":
            return queryset
        if queryset.model is Payment:
            failed = PaymentTransaction.objects.filter(FAILED_MONEY_MOVE)
            return queryset.filter(pk__in=failed.values("payment_id"))
        return queryset.filter(FAILED_MONEY_MOVE)


class PaymentTransactionInline(ReadOnlyInline):
    model = PaymentTransaction
    fields = (
        "created_at",
        "kind",
        "amount",
        "status",
        "idempotency_key",
        "gateway_reference",
        "error",
        "processed_at",
    )
    readonly_fields = fields


@admin.register(Payment)
class PaymentAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "pk",
        "status",
        "amount",
        "amount_captured",
        "amount_refunded",
        "card_last4",
        "created_at",
    ]
    list_filter = [NeedsAttentionFilter, "status"]
    search_fields = ["charge_reference", "card_last4"]
    readonly_fields = [
        *(field.name for field in Payment._meta.fields),
        "amount_open",
        "amount_refundable",
    ]
    inlines = [PaymentTransactionInline]


@admin.register(PaymentTransaction)
class PaymentTransactionAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Every capture, void and refund; "needs attention" lists money that did not move."""

    list_display = ["pk", "payment", "kind", "amount", "status", "created_at", "processed_at"]
    list_filter = [NeedsAttentionFilter, "kind", "status"]
    search_fields = ["idempotency_key", "gateway_reference"]
    list_select_related = ["payment"]


@admin.register(SandboxCharge)
class SandboxChargeAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "amount_authorized",
        "amount_captured",
        "amount_voided",
        "amount_refunded",
        "created_at",
    ]
    search_fields = ["reference"]


@admin.register(SandboxIdempotencyKey)
class SandboxIdempotencyKeyAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["key", "operation", "created_at"]
    search_fields = ["key"]


class StripeIntentInline(ReadOnlyInline):
    model = StripeIntent
    fields = ("created_at", "intent", "amount", "amount_captured", "amount_refunded", "status")
    readonly_fields = fields


@admin.register(StripeCharge)
class StripeChargeAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """The Stripe gateway's ledger of a charge: its intents, and the one still holding money."""

    list_display = [
        "reference",
        "live_intent",
        "amount_authorized",
        "amount_captured",
        "amount_voided",
        "amount_refunded",
        "created_at",
    ]
    search_fields = ["reference", "live_intent", "intents__intent", "customer"]
    readonly_fields = [*(field.name for field in StripeCharge._meta.fields), "amount_open"]
    inlines = [StripeIntentInline]


@admin.register(StripeEvent)
class StripeEventAdmin(BoundedCountsAdmin, ReadOnlyAdminMixin, admin.ModelAdmin):
    """Each webhook event Stripe delivered, once, with what the portal did about it."""

    list_display = ["event_id", "type", "received_at", "outcome"]
    list_filter = ["type"]
    search_fields = ["event_id", "outcome"]
    date_hierarchy = "received_at"
