"""A store's page (storefront): its name, its policies and its listings on sale."""

import pytest
from django.urls import reverse

from tests.factories import ListingFactory, ListingPhotoFactory, SellerFactory

pytestmark = pytest.mark.django_db


def store_url(seller):
    return reverse("storefront:store", args=[seller.pk])


def test_the_store_page_shows_its_policies_as_text_and_its_listings_on_sale(client):
    """Policies are escaped with their line breaks kept; only active listings are shown."""
    seller = SellerFactory(
        store_name="<i>Paper</i> Moon", policies="<script>x</script> Ships weekly.\nNo returns."
    )
    ListingFactory(seller=seller, title="Notebook")
    ListingFactory(seller=seller, title="Withdrawn", is_active=False)
    ListingFactory(title="Someone else's")

    response = client.get(store_url(seller))

    body = response.content.decode()
    assert [listing.title for listing in response.context["listings"]] == ["Notebook"]
    assert "&lt;i&gt;Paper&lt;/i&gt; Moon" in body and "<i>Paper</i>" not in body
    assert "&lt;script&gt;x&lt;/script&gt; Ships weekly.<br>No returns." in body
    assert "Withdrawn" not in body


def test_an_unknown_store_is_404(client):
    """A store id that names no store."""
    assert client.get(reverse("storefront:store", args=[987654])).status_code == 404


def test_the_store_page_query_count_does_not_grow_with_listings(client, django_assert_num_queries):
    """Store, count, page and the page's first photos: 4 queries for 2 listings or 20."""
    seller = SellerFactory()
    ListingFactory.create_batch(2, seller=seller)

    with django_assert_num_queries(4):
        client.get(store_url(seller))
    for listing in ListingFactory.create_batch(18, seller=seller):
        ListingPhotoFactory.create_batch(2, listing=listing)
    with django_assert_num_queries(4):
        response = client.get(store_url(seller))
    assert response.content.decode().count("/thumbnails/") == 18


def test_the_listing_page_links_sold_by_to_the_store(client):
    """'Sold by' names the store and links to its page."""
    listing = ListingFactory(seller=SellerFactory(store_name="Paper Moon"))

    body = client.get(reverse("storefront:listing", args=[listing.pk])).content.decode()

    assert f'<a href="{store_url(listing.seller)}">Paper Moon</a>' in body
