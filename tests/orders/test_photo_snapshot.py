"""
An order shows the photo it was bought with (``OrderLine.image``), on every page that
shows its items, whatever its seller does to the listing's photos afterwards
(orders.services.photo_snapshot; docs/DESIGN.md §18).
"""

import re

import pytest
from django.core.cache import cache
from django.urls import reverse

from orders.services import place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, ListingPhotoFactory, image_file

pytestmark = pytest.mark.django_db

# Each page that shows an order's items, with who reads it.
PAGES = {
    "your-orders": ("buyer", lambda order: reverse("orders:your_orders")),
    "order-page": ("buyer", lambda order: order.get_absolute_url()),
    "cancel-items": (
        "buyer",
        lambda order: reverse("cancellations:cancel_items", args=[order.number]),
    ),
    "seller-orders": ("seller", lambda order: reverse("sellercentral:orders")),
    "seller-order-page": ("seller", lambda order: order.get_seller_url()),
}


def squeezed(response) -> str:
    assert response.status_code == 200
    return re.sub(r"\s+", " ", response.content.decode())


def visit(client, page: str, order) -> str:
    reader, url = PAGES[page]
    client.force_login(order.buyer if reader == "buyer" else order.seller.user)
    return squeezed(client.get(url(order)))


def buy(buyer, listing):
    (order,) = place_orders(
        buyer=buyer, items={listing.pk: 2}, address=ADDRESS, card_number=GOOD_CARD
    )
    return order


def replace_photos(listing):
    """The seller removes every photo of the listing and adds another."""
    listing.photos.all().delete()
    return ListingPhotoFactory(listing=listing, position=0, image=image_file(colour="red"))


@pytest.mark.parametrize("page", PAGES)
def test_a_page_shows_the_photo_bought_after_the_listings_photos_change(
    client, buyer, seller, page
):
    """
    Given an order of a listing with a photo, when the seller replaces the listing's
    photos, then the page still shows the bought photo's thumbnail, named by the
    line's title, and never the new photo.
    """
    listing = ListingFactory(seller=seller, title="Dot grid <A5>", stock=10)
    bought = ListingPhotoFactory(listing=listing)
    order = buy(buyer, listing)

    new = replace_photos(listing)
    html = visit(client, page, order)

    assert f'<img src="{bought.thumbnail.url}" alt="Dot grid &lt;A5&gt;"' in html
    assert new.thumbnail.url not in html


@pytest.mark.parametrize("page", PAGES)
def test_an_order_bought_without_a_photo_keeps_the_placeholder(client, buyer, seller, page):
    """A photo added to the listing after the order does not become the order's."""
    listing = ListingFactory(seller=seller, stock=10)
    order = buy(buyer, listing)

    added = ListingPhotoFactory(listing=listing)
    html = visit(client, page, order)

    assert 'data-testid="photo-placeholder"' in html
    assert added.thumbnail.url not in html


# The cached fragment of each list page: a buyer's card, a seller's row.
FRAGMENTS = {
    "your-orders": r'<article class="card mb-3" data-testid="order-card">.*?</article>',
    "seller-orders": r'<tr data-testid="order-row">.*?</tr>',
}


@pytest.mark.parametrize("page", FRAGMENTS)
def test_a_cached_card_or_row_shows_the_same_photo_as_a_fresh_one(client, buyer, seller, page):
    """
    Your Orders' cards and Seller Central's rows are cached under the order's version
    (docs/DESIGN.md §13). The line's photo never changes once bought, so the version
    covers it: a card cached before the listing's photos changed is the card rendered
    afresh after, the bought photo in both.
    """
    listing = ListingFactory(seller=seller, stock=10)
    bought = ListingPhotoFactory(listing=listing)
    order = buy(buyer, listing)

    def fragment() -> str:
        (found,) = re.findall(FRAGMENTS[page], visit(client, page, order))
        return found

    cached = fragment()
    replace_photos(listing)
    from_cache = fragment()
    cache.clear()
    fresh = fragment()

    assert f'<img src="{bought.thumbnail.url}"' in cached
    assert from_cache == fresh == cached
