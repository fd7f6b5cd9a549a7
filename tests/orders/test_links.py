"""Where a seller reads an order (orders/links.py), filled in by Seller Central."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from orders import links
from tests.factories import OrderFactory


@pytest.mark.django_db
def test_the_sellers_link_to_an_order_is_seller_centrals_order_page(client):
    """Given an order, then its seller's link is the page Seller Central serves at that path."""
    order = OrderFactory()

    url = order.get_seller_url()

    assert url == f"/seller/orders/{order.number}/"
    client.force_login(order.seller.user)
    assert f"Order {order.number}" in client.get(url).content.decode()


def test_without_an_app_serving_the_page_the_link_says_so(monkeypatch):
    """Given nothing registered the seller's order page, then asking for it fails loudly."""
    monkeypatch.setattr(links, "_seller_order_page", [])

    with pytest.raises(ImproperlyConfigured, match="seller's order page"):
        links.seller_order_url("123-4567890-1234")


def test_the_page_registered_last_is_the_one_linked(monkeypatch):
    """Given two pages registered, then the link is built by the last alone, from the number."""
    monkeypatch.setattr(links, "_seller_order_page", [])
    links.seller_order_page(lambda number: f"/first/{number}/")
    links.seller_order_page(lambda number: f"/elsewhere/{number}/")

    assert links.seller_order_url("123-4567890-1234") == "/elsewhere/123-4567890-1234/"
