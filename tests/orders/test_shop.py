"""The storefront's Shop and a listing's page (orders/views/shop.py)."""

from decimal import Decimal

import pytest
from django.urls import reverse

from tests.factories import ListingFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def listing_url(listing):
    return reverse("storefront:listing", args=[listing.pk])


def edit_url(listing):
    return reverse("catalog:listing_edit", args=[listing.pk])


# --- The Shop ---------------------------------------------------------------------------
def test_listing_list_shows_active_listings_with_store_price_and_stock(client):
    """Anyone browses: active listings with their store, price and stock label."""
    seller = SellerFactory(store_name="Paper Moon")
    ListingFactory(seller=seller, title="Plenty", price=Decimal("12.00"), stock=50)
    ListingFactory(seller=seller, title="Scarce", stock=3)
    ListingFactory(seller=seller, title="Gone", stock=0)
    ListingFactory(seller=seller, title="Hidden", is_active=False)

    response = client.get(reverse("storefront:shop"))

    assert response.status_code == 200
    body = response.content.decode()
    assert "Paper Moon" in body
    assert "$12.00" in body
    assert "In stock" in body
    assert "Only 3 left" in body
    assert "Out of stock" in body
    assert "Hidden" not in body
    assert body.count("<h1") == 1


def test_listing_list_pages_by_24(client):
    """The 25th listing is on page 2; a page that does not exist is a 404, not a 500."""
    ListingFactory.create_batch(25)

    first = client.get(reverse("storefront:shop"))
    second = client.get(reverse("storefront:shop"), {"page": 2})
    missing = client.get(reverse("storefront:shop"), {"page": "999"})

    assert len(first.context["listings"]) == 24
    assert len(second.context["listings"]) == 1
    assert missing.status_code == 404


def test_listing_list_query_count_does_not_grow_with_listings(client, django_assert_num_queries):
    """One count and one page query, whatever the number of listings and sellers."""
    ListingFactory.create_batch(10)

    with django_assert_num_queries(2):
        response = client.get(reverse("storefront:shop"))

    assert len(response.context["listings"]) == 10


# --- A listing's page ---------------------------------------------------------------------
def test_listing_page_asks_anonymous_visitors_to_sign_in(client):
    """An anonymous visitor sees the listing and "Sign in to buy", not an add-to-cart form."""
    listing = ListingFactory(title="Dot grid notebook", price=Decimal("8.50"))

    response = client.get(listing_url(listing))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Dot grid notebook" in body and "$8.50" in body
    assert "Sign in to buy" in body
    assert reverse("storefront:cart_add") not in body


def test_listing_page_offers_signed_in_buyers_a_labelled_quantity_and_add_to_cart(client):
    """A signed-in buyer gets the add-to-cart form, with its CSRF token."""
    listing = ListingFactory()
    client.force_login(UserFactory())

    body = client.get(listing_url(listing)).content.decode()

    assert f'action="{reverse("storefront:cart_add")}"' in body
    assert 'for="id_quantity"' in body
    assert "Add to cart" in body
    assert "csrfmiddlewaretoken" in body
    assert "Your listing" not in body
    assert edit_url(listing) not in body


@pytest.mark.parametrize(
    "state", [{}, {"stock": 0}, {"is_active": False}], ids=["on-sale", "out-of-stock", "inactive"]
)
def test_listing_page_shows_its_seller_your_listing_and_a_link_to_edit_it(client, state):
    """
    Its own seller cannot buy a listing: the page says "Your listing" and links to its
    Seller Central edit page instead of the add-to-cart form, whatever its stock.
    """
    listing = ListingFactory(**state)
    client.force_login(listing.seller.user)

    body = client.get(listing_url(listing)).content.decode()

    assert "Your listing." in body
    assert f'href="{edit_url(listing)}"' in body
    assert reverse("storefront:cart_add") not in body
    assert "Add to cart</button>" not in body


def test_another_seller_gets_add_to_cart_not_the_edit_link(client):
    """Another seller is a buyer here."""
    listing = ListingFactory()
    client.force_login(SellerFactory().user)

    body = client.get(listing_url(listing)).content.decode()

    assert f'action="{reverse("storefront:cart_add")}"' in body
    assert "Your listing" not in body
    assert edit_url(listing) not in body


def test_out_of_stock_listing_page_offers_no_add_to_cart(client):
    """Nothing to buy, no button."""
    listing = ListingFactory(stock=0)
    client.force_login(UserFactory())

    body = client.get(listing_url(listing)).content.decode()

    assert "Out of stock" in body
    assert "Add to cart" not in body


def test_deactivated_listing_page_says_unavailable(client):
    """A link to a deactivated listing still opens, but nothing can be bought."""
    listing = ListingFactory(is_active=False)
    client.force_login(UserFactory())

    body = client.get(listing_url(listing)).content.decode()

    assert "Currently unavailable" in body
    assert "Add to cart" not in body


def test_unknown_listing_is_404(client):
    """An id that names no listing is a 404."""
    assert client.get(reverse("storefront:listing", args=[987654])).status_code == 404


# --- Addresses ------------------------------------------------------------------------------
def test_the_shop_and_a_listing_page_keep_their_addresses():
    """Bookmarks and links already sent keep working: /listings/ and /listings/<id>/."""
    listing = ListingFactory()

    assert reverse("storefront:shop") == "/listings/"
    assert listing_url(listing) == f"/listings/{listing.pk}/"


def test_a_listings_own_address_is_its_storefront_page():
    """
    Listing.get_absolute_url (Inventory's links, the admin's "View on site") is the
    storefront's listing page, given by the settings since catalog may not name it.
    """
    listing = ListingFactory()

    assert listing.get_absolute_url() == listing_url(listing)


def test_the_shop_links_each_listing_to_its_page_and_the_page_back_to_the_shop(client):
    """Given a listing on sale, the Shop links to its page, and its page back to the Shop."""
    listing = ListingFactory()

    shop = client.get(reverse("storefront:shop")).content.decode()
    page = client.get(listing_url(listing)).content.decode()

    assert f'href="{listing_url(listing)}"' in shop
    assert f'href="{reverse("storefront:shop")}"' in page
