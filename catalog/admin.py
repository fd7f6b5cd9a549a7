from django.contrib import admin
from django.db import models

from core.forms import AsciiDecimalField, AsciiIntegerField

from .models import Listing, Seller


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ["store_name", "user", "created_at"]
    search_fields = ["store_name", "user__username", "user__email"]
    raw_id_fields = ["user"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["title", "seller", "price", "stock", "handling_days", "is_active", "updated_at"]
    list_filter = ["is_active", "handling_days", "seller"]
    search_fields = ["title", "seller__store_name"]
    list_select_related = ["seller"]
    raw_id_fields = ["seller"]
    readonly_fields = ["created_at", "updated_at"]
    formfield_overrides = {
        models.DecimalField: {"form_class": AsciiDecimalField},  # price
        models.IntegerField: {"form_class": AsciiIntegerField},  # stock, handling days
    }

    def get_readonly_fields(self, request, obj=None):
        # Stock on an existing listing moves only through catalog.services (checkout
        # reserves it with a conditional UPDATE); a form saving a stale number would
        # undo reservations made since the page was opened.
        if obj is not None:
            return [*self.readonly_fields, "stock"]
        return self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            # Write only what the form changed, so the save cannot put back a stock
            # number read before a checkout reserved some of it.
            obj.save(update_fields=[*form.changed_data, "updated_at"])
        else:
            obj.save()
