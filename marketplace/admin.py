"""
The marketplace's admin site: Django's, with filters that cannot break a page.

A changelist turns its query string into ORM lookups. Some values pass Django's own
checks and only fail in the database or while the query is compiled: a NUL byte
(PostgreSQL refuses it in any string), a year beyond what a date can hold. Those are
the visitor's mistake, so they get a 400 page, not a 500.

Its "view on site" shortcut (``/admin/r/<content type>/<id>/``) redirects to the
object's page, and so tells an order's number from its id: it answers only staff who
may view that model here.

Every list counts its rows with a bound (``core.admin.BoundedCountPaginator``), the
libraries' lists included.
"""

import re
from functools import wraps

from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.contenttypes.views import shortcut
from django.core.exceptions import BadRequest, PermissionDenied, ValidationError
from django.db import DataError, transaction
from django.http import Http404
from django.urls import path

from core.admin import bound_counts


class MarketplaceAdminSite(admin.AdminSite):
    site_header = "Marketplace administration"
    site_title = "Marketplace admin"

    def register(self, model_or_iterable, admin_class=None, **options):
        # The libraries' lists (login attempts, email addresses) grow with the users:
        # they count with the same bound as the portal's own (core.admin).
        bounded = bound_counts(admin_class or admin.ModelAdmin)
        super().register(model_or_iterable, bounded, **options)

    def admin_view(self, view, cacheable=False):
        return super().admin_view(_refuse_bad_lookups(view), cacheable)

    def get_urls(self):
        # Django's view_on_site lets any staff account through; ours asks the model's admin.
        view_on_site = path(
            "r/<path:content_type_id>/<path:object_id>/",
            self.admin_view(self.view_on_site),
            name="view_on_site",
        )
        return [
            view_on_site if getattr(url, "name", None) == "view_on_site" else url
            for url in super().get_urls()
        ]

    def view_on_site(self, request, content_type_id, object_id):
        """Django's shortcut, for staff who may view (or change) that model in this admin."""
        try:
            model = ContentType.objects.get(pk=content_type_id).model_class()
        except (ContentType.DoesNotExist, ValueError, ValidationError):
            raise Http404("No such content type.") from None
        model_admin = self._registry.get(model)
        if model_admin is None or not model_admin.has_view_or_change_permission(request):
            raise PermissionDenied
        return shortcut(request, content_type_id, object_id)


# The parts of a date a filter may name (``placed_at__year=2026``), and their ranges:
# a value outside them cannot be turned into a date, so it is refused up front.
DATE_PARTS = {
    "year": (1, 9999),
    "iso_year": (1, 9999),
    "quarter": (1, 4),
    "month": (1, 12),
    "week": (1, 53),
    "day": (1, 31),
    "week_day": (1, 7),
    "iso_week_day": (1, 7),
    "hour": (0, 23),
    "minute": (0, 59),
    "second": (0, 59),
}


def _check_lookup(key: str, value: str) -> None:
    if "\x00" in key or "\x00" in value:
        raise BadRequest("Filters may not contain NUL characters.")
    for part in key.split("__")[1:]:
        if part in DATE_PARTS:
            low, high = DATE_PARTS[part]
            if not (re.fullmatch(r"-?[0-9]{1,9}", value) and low <= int(value) <= high):
                raise BadRequest(f"{key} must be a whole number from {low} to {high}.")


def _refuse_bad_lookups(view):
    @wraps(view)
    def inner(request, *args, **kwargs):
        for key, value in request.GET.lists():
            for item in value:
                _check_lookup(key, item)
        if request.method != "GET":
            return view(request, *args, **kwargs)
        try:
            # A savepoint, so a refused query does not spoil a surrounding transaction.
            with transaction.atomic():
                response = view(request, *args, **kwargs)
                if hasattr(response, "render") and not response.is_rendered:
                    response.render()  # the result rows are read while rendering
        except (DataError, OverflowError) as error:
            raise BadRequest(f"A filter is out of range: {error}") from error
        return response

    return inner
