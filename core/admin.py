"""
What every app's Django admin shares: records staff read and never write.

A record of what happened (an order's timeline, a cancellation, a money row, a case)
changes only through its app's services, under the order's lock and with an audit row,
so admin never adds, changes or deletes one. An admin that lets staff correct a part
(the order's shipping address, with every other field in ``readonly_fields``) or clear
a record says so with ``may_change`` or ``may_delete``; Django's own permissions still
apply on top.

Lists of tables that grow with the orders count their rows with a bound
(``BoundedCountPaginator``): a page view never reads a whole big table to say how many
rows it holds. The admin site gives the same to the libraries' admins.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property


class ReadOnlyAdminMixin:
    """For a ``ModelAdmin`` or an inline: staff read, never add, change or delete."""

    may_change = False
    may_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_change and super().has_change_permission(request, obj)  # type: ignore[misc]

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.may_delete and super().has_delete_permission(request, obj)  # type: ignore[misc]


class ReadOnlyInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The rows under a record (its lines, its timeline, its messages), read in place."""

    extra = 0
    can_delete = False
    show_change_link = False


class BoundedCountPaginator(Paginator):
    """
    A changelist's paginator whose count never reads a whole big table.

    Django's admin counts every row the list could show on each page view: a full
    ``COUNT(*)``, which at 100,000 orders reads the whole table or index every time. This
    counts at most ``count_limit`` + 1 rows (``SELECT COUNT(*) FROM (… LIMIT 10001)``):
    a list of up to 10,000 rows (100 pages) says exactly how many it holds, and a bigger
    one costs the same as one of 10,000, in the same one query, so a page's queries do
    not grow with the table either. Past the limit the list says 10,001 and pages to
    page 101; nobody pages further by hand, and a filter or a search narrows it. (A
    PostgreSQL planner estimate past the limit was tried: it costs a second query only
    on big lists, so the page's query count changed with the data.)
    """

    count_limit = 10_000

    @cached_property
    def count(self) -> int:
        rows = self.object_list
        if not isinstance(rows, QuerySet):
            return super().count
        return rows.order_by()[: self.count_limit + 1].count()


class BoundedCountsAdmin:
    """For a ``ModelAdmin`` of a table that grows with the orders: one bounded count.

    ``show_full_result_count`` off drops Django's second count (the "n of all" beside a
    filtered list's total), which would be a full ``COUNT(*)`` of the table every time.
    """

    paginator: ClassVar[type] = BoundedCountPaginator
    show_full_result_count: ClassVar[bool] = False


def bound_counts(admin_class: type[admin.ModelAdmin[Any]]) -> type[admin.ModelAdmin[Any]]:
    """A library's ``ModelAdmin`` class with the same bounded count (a subclass of it)."""
    if issubclass(admin_class, BoundedCountsAdmin) or admin_class.paginator is not Paginator:
        return admin_class
    names = {"__module__": admin_class.__module__, "__qualname__": admin_class.__qualname__}
    return type(admin_class.__name__, (BoundedCountsAdmin, admin_class), names)
