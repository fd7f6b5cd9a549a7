"""
marketplace/middleware.py: a signed-in user's pages are kept out of shared caches, and
show times in the person's display time zone without a query per request.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Profile
from accounts.time_zones import SESSION_KEY
from tests.factories import ListingFactory, OrderFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db

PRIVATE = {"private", "no-store"}


def directives(response) -> set[str]:
    return {part.strip() for part in response.get("Cache-Control", "").split(",") if part.strip()}


def test_a_buyers_order_pages_are_private_and_not_stored(client):
    """Your Orders and an order's page (amounts, address) carry private, no-store."""
    order = OrderFactory()
    client.force_login(order.buyer)

    for url in [reverse("orders:your_orders"), order.get_absolute_url(), reverse("home")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == PRIVATE, url


def test_seller_central_is_private_and_not_stored(client):
    seller = SellerFactory()
    order = OrderFactory(seller=seller)
    client.force_login(seller.user)

    for url in [
        reverse("sellercentral:home"),
        reverse("sellercentral:orders"),
        order.get_seller_url(),
    ]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert directives(response) == PRIVATE, url


def test_a_redirect_for_a_signed_in_user_is_private_too(client):
    """Adding to the cart answers with a redirect: it carries the header as well."""
    client.force_login(UserFactory())
    listing = ListingFactory()

    response = client.post(reverse("storefront:cart_add"), {"listing": listing.pk, "quantity": 1})

    assert response.status_code == 302
    assert directives(response) == PRIVATE


def test_a_views_own_cache_control_is_kept(admin_client):
    """Django admin sets its own (never_cache): it is left as the view set it."""
    response = admin_client.get(reverse("admin:index"))

    assert "max-age=0" in directives(response)
    assert {"private", "no-store", "no-cache", "must-revalidate"} <= directives(response)


def test_anonymous_pages_are_left_alone(client):
    """The storefront for visitors who are not signed in carries no Cache-Control."""
    for url in [reverse("home"), reverse("storefront:shop")]:
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Cache-Control" not in response, url


# --- Display time zone -------------------------------------------------------------------------
def profile_queries(client, url) -> tuple[int, int]:
    """(all queries, queries of the profile table) of one GET."""
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries), sum("accounts_profile" in q["sql"] for q in queries)


def test_a_person_sees_times_in_their_zone(client, settings):
    """Bea chose Tokyo while the portal shows UTC: her order page says JST, never UTC."""
    settings.DISPLAY_TIME_ZONE = "UTC"
    order = OrderFactory()
    Profile.objects.create(user=order.buyer, time_zone="Asia/Tokyo")

    client.force_login(order.buyer)

    assert client.session[SESSION_KEY] == "Asia/Tokyo"  # read once, at sign-in
    body = client.get(order.get_absolute_url()).content.decode()
    assert "JST" in body and "UTC" not in body


def test_the_zone_costs_no_query_per_request(client):
    """
    Given two people, one with a chosen zone and one without, when each loads the same
    page twice, then the query counts are equal and the profile is never read.
    """
    plain = UserFactory()
    zoned = UserFactory()
    Profile.objects.create(user=zoned, time_zone="America/Chicago")
    counts = []
    for user in (plain, zoned):
        client.force_login(user)
        counts.append([profile_queries(client, reverse("orders:your_orders")) for _ in range(2)])
        client.logout()

    assert counts[0] == counts[1]
    assert {profile for _total, profile in counts[0] + counts[1]} == {0}


def test_a_session_from_before_reads_the_zone_once(client):
    """A session signed in before zones were kept: the first page reads it, the next do not."""
    user = UserFactory()
    Profile.objects.create(user=user, time_zone="Europe/Paris")
    client.force_login(user)
    session = client.session
    del session[SESSION_KEY]
    session.save()

    first = profile_queries(client, reverse("orders:your_orders"))
    second = profile_queries(client, reverse("orders:your_orders"))

    assert (first[1], second[1]) == (1, 0)
    assert client.session[SESSION_KEY] == "Europe/Paris"


def test_an_empty_choice_follows_the_portals_zone(client, settings):
    settings.DISPLAY_TIME_ZONE = "America/New_York"
    order = OrderFactory()
    client.force_login(order.buyer)

    assert client.session[SESSION_KEY] == ""
    body = client.get(order.get_absolute_url()).content.decode()
    assert "EST" in body or "EDT" in body
