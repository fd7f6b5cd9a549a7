"""Read-only admin (core/admin.py): staff read records of what happened, never write them."""

import pytest
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.test import RequestFactory

from core.admin import ReadOnlyAdminMixin, ReadOnlyInline
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
