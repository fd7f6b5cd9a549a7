from django.contrib import admin
from django.db import models
from django.utils.html import format_html

from core.admin import BoundedCountsAdmin
from core.forms import AsciiDecimalField, AsciiIntegerField

from .forms import StoreForm
from .models import Category, Listing, ListingPhoto, Seller


@admin.register(Seller)
class SellerAdmin(BoundedCountsAdmin, admin.ModelAdmin):
    list_display = ["store_name", "user", "return_country", "default_handling_days", "created_at"]
    search_fields = ["store_name", "user__username", "user__email"]
    raw_id_fields = ["user"]
    readonly_fields = ["created_at"]
    # What its seller sets (Start selling, the store's settings), then when it opened.
    fields = ["user", *StoreForm.Meta.fields, "created_at"]


@admin.register(Category)
class CategoryAdmin(BoundedCountsAdmin, admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}


class ListingPhotoInline(admin.TabularInline):
    """
    The listing's photos, to look at (and take off): a photo is added by its seller, through
    the checks of catalog.photos, never here.
    """

    model = ListingPhoto
    extra = 0
    fields = ["preview", "position", "width", "height", "created_at"]
    readonly_fields = ["preview", "position", "width", "height", "created_at"]
    ordering = ["position", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Photo")
    def preview(self, photo: ListingPhoto) -> str:
        return format_html('<img src="{}" width="96" height="96" alt="">', photo.thumbnail.url)


@admin.register(Listing)
class ListingAdmin(BoundedCountsAdmin, admin.ModelAdmin):
    list_display = ["title", "seller", "price", "stock", "handling_days", "is_active", "updated_at"]
    list_filter = ["is_active", "category", "condition", "handling_days", "seller"]
    search_fields = ["title", "seller__store_name"]
    list_select_related = ["seller"]
    raw_id_fields = ["seller"]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [ListingPhotoInline]
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
