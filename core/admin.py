"""
What every app's Django admin shares: records staff read and never write.

A record of what happened (an order's timeline, a cancellation, a money row, a case)
changes only through its app's services, under the order's lock and with an audit row,
so admin never adds, changes or deletes one. An admin that lets staff correct a part
(the order's shipping address, with every other field in ``readonly_fields``) or clear
a record says so with ``may_change`` or ``may_delete``; Django's own permissions still
apply on top.
"""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest


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
