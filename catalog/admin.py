from django.contrib import admin

from .models import Seller


@admin.register(Seller)
class SellerAdmin(admin.ModelAdmin):
    list_display = ["store_name", "user", "created_at"]
    search_fields = ["store_name", "user__username", "user__email"]
    raw_id_fields = ["user"]
