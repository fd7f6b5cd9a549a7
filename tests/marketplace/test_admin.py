"""
Django admin as a whole: every changelist survives junk filters, and the
"Marketplace staff" group lets staff read what the README's walk-through shows.
"""

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from marketplace.admin import MarketplaceAdminSite
from orders.models import Order
from tests.admin_counts import unbounded_counts
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

REGISTERED = sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label)


def changelist(model) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def date_field(model) -> str | None:
    for field in model._meta.get_fields():
        if isinstance(field, models.DateField) and not field.is_relation:
            return field.name
    return None


def test_the_admin_site_is_the_marketplace_site():
    assert isinstance(admin.site, MarketplaceAdminSite)


@pytest.mark.parametrize("model", [model for model, _ in REGISTERED], ids=str)
def test_a_nul_byte_in_a_filter_is_a_400(admin_client, model):
    """
    Given any changelist, when a filter value (or name) carries a NUL byte,
    then the answer is 400, never a 500 from the database.
    """
    OrderFactory()
    assert admin_client.get(changelist(model), {"status__exact": "\x00"}).status_code == 400
    assert admin_client.get(changelist(model), {"pk\x00": "1"}).status_code == 400


@pytest.mark.parametrize("model", [model for model, _ in REGISTERED if date_field(model)], ids=str)
@pytest.mark.parametrize("year", ["99999999999999999999", "0", "-5", "10000", "²", "1e3"])
def test_a_year_out_of_range_is_a_400(admin_client, model, year):
    """
    A year no date can hold (or not a whole number): the site refuses it with a 400
    before the query runs, never a 500 and never Django's "invalid filter" redirect.
    """
    OrderFactory()
    response = admin_client.get(changelist(model), {f"{date_field(model)}__year": year})
    assert response.status_code == 400


def test_a_huge_integer_filter_finds_nothing(admin_client):
    """An id beyond any integer column is a filter that matches no row, not a 500."""
    OrderFactory()
    response = admin_client.get(changelist(Order), {"pk__exact": "9" * 30})
    assert response.status_code == 200
    assert response.context["cl"].result_count == 0


def test_a_sane_filter_still_filters(admin_client):
    shown, _hidden = OrderFactory(status="unshipped"), OrderFactory(status="cancelled")
    response = admin_client.get(changelist(Order), {"status__exact": "unshipped"})
    assert response.status_code == 200
    assert [order.pk for order in response.context["cl"].result_list] == [shown.pk]


def test_marketplace_staff_group_reads_orders_cancellations_payments_and_outbox(client):
    """
    Given a staff user in the "Marketplace staff" group (made by a data migration),
    when they open admin, then the changelists the walk-through names answer 200,
    and they still cannot add or change orders.
    """
    staff = UserFactory(is_staff=True)
    staff.groups.add(Group.objects.get(name="Marketplace staff"))
    client.force_login(staff)
    OrderFactory()
    for name in [
        "orders_order",
        "orders_orderevent",
        "cancellations_cancellation",
        "cancellations_cancellationrequest",
        "payments_payment",
        "payments_paymenttransaction",
        "notifications_outboxmessage",
    ]:
        assert client.get(reverse(f"admin:{name}_changelist")).status_code == 200, name
    assert client.get(reverse("admin:orders_order_add")).status_code == 403


def test_staff_outside_the_group_sees_nothing(client):
    client.force_login(UserFactory(is_staff=True))
    assert client.get(reverse("admin:orders_order_changelist")).status_code == 403


def view_on_site(order) -> str:
    content_type = ContentType.objects.get_for_model(Order)
    return reverse("admin:view_on_site", args=[content_type.pk, order.pk])


def test_view_on_site_refuses_staff_who_may_not_view_the_model(client):
    """
    Given a staff account with no permission on orders,
    when it opens admin's "view on site" link of an order by id,
    then it is refused (403) and does not learn the order's number.
    """
    order = OrderFactory()
    client.force_login(UserFactory(is_staff=True))

    response = client.get(view_on_site(order))

    assert response.status_code == 403
    assert order.number not in response.content.decode()
    assert order.number not in response.get("Location", "")


def test_view_on_site_redirects_staff_who_may_view_orders(client):
    """Given staff with orders.view_order, "view on site" redirects to the order's page."""
    order = OrderFactory()
    staff = UserFactory(is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_order"))
    client.force_login(staff)

    response = client.get(view_on_site(order))

    assert response.status_code == 302
    assert response["Location"].endswith(order.get_absolute_url())


def test_view_on_site_of_an_unknown_content_type_is_a_404(admin_client):
    assert admin_client.get(reverse("admin:view_on_site", args=["abc", 1])).status_code == 404
    assert admin_client.get(reverse("admin:view_on_site", args=[10**9, 1])).status_code == 404


@pytest.mark.parametrize("model", [model for model, _ in REGISTERED], ids=str)
def test_no_changelist_counts_a_whole_table(admin_client, model):
    """
    Given any changelist, plain and under a search, when staff open it, then every
    COUNT it runs reads at most the paginator's limit of rows (no full COUNT(*)).
    """
    OrderFactory()

    for params in ({}, {"q": "1"}):
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(changelist(model), params)
        assert response.status_code == 200
        assert unbounded_counts(queries) == []


def test_django_s_own_paginator_would_be_caught(admin_client, monkeypatch):
    """The check above can fail: Django's own paginator counts the whole table."""
    from django.core.paginator import Paginator

    monkeypatch.setattr(admin.site._registry[Order], "paginator", Paginator)
    OrderFactory()

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(changelist(Order))

    assert unbounded_counts(queries)
