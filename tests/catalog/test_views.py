"""Seller Central → Inventory: a seller's own listings, their stock and price."""

from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Listing
from core.money import MAX_PRICE
from tests.factories import ListingFactory, ListingPhotoFactory, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def edit_url(listing):
    return reverse("catalog:inventory_edit", args=[listing.pk])


# --- Inventory: who may enter ---------------------------------------------------------------
def test_inventory_sends_anonymous_visitors_to_sign_in(client):
    """Anonymous: redirected to sign-in."""
    response = client.get(reverse("catalog:inventory"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_inventory_is_403_for_a_buyer(client):
    """A signed-in user without a store gets 403 in Seller Central."""
    client.force_login(UserFactory())

    assert client.get(reverse("catalog:inventory")).status_code == 403


def test_inventory_lists_only_the_sellers_own_listings_needing_attention_first(client):
    """Out-of-stock and deactivated listings come first, then the rest by title."""
    seller = SellerFactory()
    ListingFactory(seller=seller, title="A healthy", stock=5)
    ListingFactory(seller=seller, title="Z empty", stock=0)
    ListingFactory(seller=seller, title="Y inactive", stock=3, is_active=False)
    ListingFactory(seller=seller, title="B healthy", stock=5)
    ListingFactory(title="Someone else's")
    client.force_login(seller.user)

    response = client.get(reverse("catalog:inventory"))

    titles = [listing.title for listing in response.context["listings"]]
    assert titles == ["Y inactive", "Z empty", "A healthy", "B healthy"]
    assert "Someone else&#x27;s" not in response.content.decode()


def test_inventory_links_each_listing_to_the_page_buyers_see(client):
    """A seller checks a listing as buyers see it: its title links to its storefront page."""
    listing = ListingFactory(title="Dot grid notebook")
    client.force_login(listing.seller.user)

    body = client.get(reverse("catalog:inventory")).content.decode()

    listing_page = reverse("storefront:listing", args=[listing.pk])
    assert f'<a href="{listing_page}">Dot grid notebook</a>' in body


def test_inventory_query_count_does_not_grow_with_listings(client, django_assert_num_queries):
    """
    Session, user, seller, count, page, the page's first photos, the low-stock count and
    the nav's request badge: the same for 3 listings as for 30, with photos or without.
    """
    seller = SellerFactory()
    ListingFactory.create_batch(3, seller=seller)
    client.force_login(seller.user)

    with django_assert_num_queries(8):
        client.get(reverse("catalog:inventory"))
    for listing in ListingFactory.create_batch(27, seller=seller, stock=2):
        ListingPhotoFactory.create_batch(2, listing=listing)
    with django_assert_num_queries(8):
        response = client.get(reverse("catalog:inventory"))
    assert response.content.decode().count("/thumbnails/") == 27


@pytest.mark.parametrize(
    ("who", "expected"),
    [("owner", 200), ("other_seller", 404), ("buyer", 403), ("anonymous", 302)],
)
def test_inventory_edit_access_matrix(client, who, expected):
    """Only the listing's seller may open its edit page; another seller gets 404."""
    listing = ListingFactory()
    users = {
        "owner": listing.seller.user,
        "other_seller": SellerFactory().user,
        "buyer": UserFactory(),
        "anonymous": None,
    }
    if users[who]:
        client.force_login(users[who])

    response = client.get(edit_url(listing))

    assert response.status_code == expected


def test_inventory_edit_post_by_another_seller_is_404_and_changes_nothing(client):
    """Posting to another seller's listing is a 404; the listing is untouched."""
    listing = ListingFactory(stock=4, price=Decimal("10.00"))
    client.force_login(SellerFactory().user)

    response = client.post(
        edit_url(listing),
        {"stock": 999, "price": "1.00", "handling_days": 1, "is_active": "on"},
    )

    assert response.status_code == 404
    listing.refresh_from_db()
    assert (listing.stock, listing.price) == (4, Decimal("10.00"))


# --- Inventory: editing ---------------------------------------------------------------------
def test_inventory_edit_form_shows_the_current_values(client):
    """The form opens filled in with the listing's values, and carries the stock it shows."""
    listing = ListingFactory(stock=7, price=Decimal("4.25"), handling_days=3)
    client.force_login(listing.seller.user)

    form = client.get(edit_url(listing)).context["form"]

    assert form.initial == {
        "stock": 7,
        "stock_shown": 7,
        "price": Decimal("4.25"),
        "handling_days": 3,
        "is_active": True,
    }


def test_inventory_edit_saves_and_reactivates(client):
    """A valid edit goes through update_listing: new values, reactivated, reason cleared."""
    listing = ListingFactory(stock=0, is_active=False, deactivated_reason="No inventory twice")
    client.force_login(listing.seller.user)

    response = client.post(
        edit_url(listing),
        {"stock": 12, "price": "9.99", "handling_days": 4, "is_active": "on"},
        follow=True,
    )

    assert response.redirect_chain[-1][0] == reverse("catalog:inventory")
    assert "updated" in response.content.decode()
    listing.refresh_from_db()
    assert (listing.stock, listing.price, listing.handling_days) == (12, Decimal("9.99"), 4)
    assert listing.is_active and listing.deactivated_reason == ""


def test_inventory_edit_refuses_a_stock_typed_over_a_shelf_that_moved(client):
    """
    Given the edit page showing 5 units, when a checkout takes 2 and the seller then saves
    8, then the page says the stock changed from 5 to 3, carries 3 as the figure it shows
    now, and nothing is saved; saving again from that page goes through.
    """
    from catalog.services import reserve_stock

    listing = ListingFactory(stock=5)
    client.force_login(listing.seller.user)
    shown = client.get(edit_url(listing)).content.decode()
    assert 'name="stock_shown" value="5"' in shown
    reserve_stock(listing_id=listing.pk, quantity=2)
    post = {"stock": 8, "stock_shown": 5, "price": "10.00", "handling_days": 2, "is_active": "on"}

    refused = client.post(edit_url(listing), post)

    page = refused.content.decode()
    assert refused.status_code == 200
    assert "the stock changed from 5 to 3" in page
    assert 'name="stock_shown" value="3"' in page
    listing.refresh_from_db()
    assert listing.stock == 3
    assert client.post(edit_url(listing), {**post, "stock_shown": 3}).status_code == 302
    listing.refresh_from_db()
    assert listing.stock == 8


def test_inventory_edit_can_deactivate(client):
    """An unticked Active box deactivates the listing."""
    listing = ListingFactory()
    client.force_login(listing.seller.user)

    client.post(edit_url(listing), {"stock": 3, "price": "10.00", "handling_days": 2})

    listing.refresh_from_db()
    assert listing.is_active is False


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("stock", "-1"),
        ("stock", "two"),
        ("stock", "1.5"),
        ("stock", str(10**20)),
        ("stock", ""),
        ("price", "0"),
        ("price", "-5"),
        ("price", "abc"),
        ("price", "1.234"),
        ("price", str(10**20)),
        ("price", "1000000.01"),  # past core.money.MAX_PRICE
        ("price", "60000000.00"),
        ("handling_days", "31"),
        ("handling_days", "-1"),
        ("handling_days", str(10**20)),
        ("stock", "١٢"),  # Arabic-Indic digits
        ("stock", "1_0"),
        ("price", "٩.٩٩"),
        ("price", "1_0.00"),
        ("handling_days", "٣"),
    ],
)
def test_inventory_edit_bad_input_is_a_form_error_and_changes_nothing(client, field, value):
    """Bad numbers are form errors on their field (never a 500); the listing is unchanged."""
    listing = ListingFactory(stock=5, price=Decimal("10.00"), handling_days=2)
    client.force_login(listing.seller.user)
    data = {"stock": "6", "price": "11.00", "handling_days": "3", "is_active": "on"}
    data[field] = value

    response = client.post(edit_url(listing), data)

    assert response.status_code == 200
    assert field in response.context["form"].errors
    fresh = Listing.objects.get(pk=listing.pk)
    assert (fresh.stock, fresh.price, fresh.handling_days) == (5, Decimal("10.00"), 2)


def test_inventory_edit_accepts_the_highest_price(client):
    """A price of exactly MAX_PRICE is saved."""
    listing = ListingFactory(price=Decimal("10.00"))
    client.force_login(listing.seller.user)

    client.post(
        edit_url(listing),
        {"stock": "5", "price": str(MAX_PRICE), "handling_days": "2", "is_active": "on"},
    )

    listing.refresh_from_db()
    assert listing.price == MAX_PRICE == Decimal("1000000.00")


def test_inventory_edit_says_what_the_highest_price_is(client):
    """Past the cap, the price field's error names it."""
    listing = ListingFactory()
    client.force_login(listing.seller.user)
    data = {"stock": "5", "price": "60000000.00", "handling_days": "2", "is_active": "on"}

    form = client.post(edit_url(listing), data).context["form"]

    assert form.errors["price"] == ["A price is at most $1,000,000.00."]
