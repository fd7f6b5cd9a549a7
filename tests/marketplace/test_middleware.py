"""marketplace/middleware.py: a signed-in user's pages are kept out of shared caches."""

import pytest
from django.urls import reverse

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
