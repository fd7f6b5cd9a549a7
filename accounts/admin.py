"""
A person's account as staff read it: their display time zone, whether and when they
closed the account, and their saved addresses, under Django's user page. They change
only through the account page's services (``accounts.services``), never here.
"""

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin

from core.admin import BoundedCountsAdmin, ReadOnlyInline

from .models import Address, Profile


class ProfileInline(ReadOnlyInline):
    model = Profile
    fields = readonly_fields = ("time_zone", "closed_at")
    verbose_name_plural = "profile"


class AddressInline(ReadOnlyInline):
    model = Address
    fields = readonly_fields = (
        "name",
        "line1",
        "line2",
        "city",
        "state",
        "postcode",
        "country",
        "is_default",
    )


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class AccountUserAdmin(BoundedCountsAdmin, UserAdmin):
    """Django's user admin, with the account's profile and saved addresses below it."""

    inlines = [ProfileInline, AddressInline]
