"""
Shared admin pieces (core/admin.py): staff read records of what happened, never write
them, and a list never counts a whole big table.
"""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core.admin import (
    BoundedCountPaginator,
    ReadOnlyAdminMixin,
    ReadOnlyInline,
    bound_counts,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

User = get_user_model()


@pytest.fixture
def superuser_request():
    request = RequestFactory().get("/admin/")
    request.user = UserFactory(username="root", is_staff=True, is_superuser=True)
    return request


class Records(ReadOnlyAdminMixin, admin.ModelAdmin):
    pass


class Correctable(ReadOnlyAdminMixin, admin.ModelAdmin):
    may_change = True
    may_delete = True


def test_even_a_superuser_may_only_read_a_read_only_record(superuser_request):
    records = Records(User, admin.site)

    assert records.has_view_permission(superuser_request)
    assert not records.has_add_permission(superuser_request)
    assert not records.has_change_permission(superuser_request)
    assert not records.has_delete_permission(superuser_request)


def test_an_admin_that_lets_staff_correct_or_clear_still_asks_django(superuser_request):
    """
    may_change and may_delete lift the ban, and Django's own permissions still decide:
    the superuser may, a staff member without the permissions may not; nobody adds.
    """
    correctable = Correctable(User, admin.site)
    staff_request = RequestFactory().get("/admin/")
    staff_request.user = UserFactory(username="staff", is_staff=True)

    assert correctable.has_change_permission(superuser_request)
    assert correctable.has_delete_permission(superuser_request)
    assert not correctable.has_add_permission(superuser_request)
    assert not correctable.has_change_permission(staff_request)
    assert not correctable.has_delete_permission(staff_request)


def test_a_read_only_inline_offers_no_empty_row_and_no_delete_box(superuser_request):
    class Inline(ReadOnlyInline):
        model = User.groups.through

    inline = Inline(User, admin.site)

    assert (inline.extra, inline.can_delete) == (0, False)
    assert not inline.has_add_permission(superuser_request, obj=None)
    assert not inline.has_change_permission(superuser_request)


# The bounded count of a changelist (core.admin.BoundedCountPaginator).


class ThreeAtMost(BoundedCountPaginator):
    count_limit = 3


def count_statements(queries) -> list[str]:
    return [query["sql"] for query in queries if "COUNT(" in query["sql"].upper()]


def test_a_list_within_the_limit_is_counted_exactly_with_a_limited_count():
    """Given 3 users and a limit of 3, the count is 3, read by a COUNT over at most 4 rows."""
    UserFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        count = ThreeAtMost(User.objects.order_by("pk"), per_page=2).count

    assert count == 3
    (statement,) = count_statements(queries)
    assert "LIMIT 4" in statement.upper()


def test_a_list_past_the_limit_counts_one_row_past_it_in_the_same_one_query():
    """Given 6 users and a limit of 3, the pager holds 4 rows (two pages of 2), counted by
    one COUNT over at most 4 rows: as many queries as a short list, never a whole table."""
    UserFactory.create_batch(6)

    with CaptureQueriesContext(connection) as queries:
        paginator = ThreeAtMost(User.objects.order_by("pk"), per_page=2)
        count = paginator.count

    assert count == 4
    assert paginator.num_pages == 2
    (statement,) = [query["sql"] for query in queries]
    assert "LIMIT 4" in statement.upper()


def test_a_list_not_from_the_database_is_counted_as_django_does():
    assert ThreeAtMost(list(range(10)), per_page=2).count == 10


def test_a_library_admin_gets_the_bounded_count_unless_it_chose_its_own_paginator():
    """The admin site wraps a library's ModelAdmin; one with its own paginator is kept."""

    class Library(admin.ModelAdmin):
        show_full_result_count = True

    class OwnPager(admin.ModelAdmin):
        paginator = ThreeAtMost

    bounded = bound_counts(Library)
    assert issubclass(bounded, Library)
    assert bounded.paginator is BoundedCountPaginator
    assert bounded.show_full_result_count is False
    assert bound_counts(OwnPager) is OwnPager
    assert bound_counts(bounded) is bounded


def test_the_count_check_tells_a_bounded_count_from_a_whole_table():
    """tests/admin_counts.py: a LIMITed subquery or a page is bounded; a LIMIT inside an
    EXISTS is not."""
    from tests.admin_counts import unbounded_counts

    bounded = 'SELECT COUNT(*) FROM (SELECT "t"."id" AS "col1" FROM "t" LIMIT 10001) subquery'
    page = 'SELECT "t"."id", COUNT("u"."id") FROM "t" GROUP BY 1 ORDER BY 1 LIMIT 100'
    whole = 'SELECT COUNT(*) AS "__count" FROM "t" WHERE EXISTS(SELECT 1 FROM "u" LIMIT 1)'

    assert unbounded_counts([{"sql": sql} for sql in (bounded, page, whole)]) == [whole]
