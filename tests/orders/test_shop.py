"""The storefront's Shop and a listing's page (orders/views/shop.py)."""

import re
from decimal import Decimal

import pytest
from django.urls import reverse

from catalog.models import Category, Listing
from tests.factories import (
    ListingFactory,
    ListingPhotoFactory,
    SellerFactory,
    UserFactory,
    image_file,
)

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


@pytest.mark.parametrize("count", [3, 30])
def test_the_shop_makes_the_same_queries_for_3_and_30_listings_with_photos(
    client, django_assert_num_queries, count
):
    """
    The categories (the search box's menu), one count, one page of listings with their
    stores, and one for their first photos: 4 queries for 3 listings or 30 (24 shown),
    each with two photos, searched or not.
    """
    for _ in range(count):
        listing = ListingFactory()
        ListingPhotoFactory.create_batch(2, listing=listing)

    with django_assert_num_queries(4):
        browsed = client.get(reverse("storefront:shop"))
    with django_assert_num_queries(4):
        searched = client.get(reverse("storefront:shop"), {"q": "notebook", "sort": "price"})

    assert len(browsed.context["listings"]) == len(searched.context["listings"]) == min(count, 24)
    assert browsed.content.decode().count('<img src="/media/thumbnails/') == min(count, 24)


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


def test_listing_page_states_the_condition_when_the_seller_did(client):
    """A stated condition shows as its label; a listing without one says nothing of it."""
    used = ListingFactory(condition=Listing.Condition.USED_GOOD)
    unstated = ListingFactory()

    assert "Condition:</span> Used – good" in client.get(used.get_absolute_url()).content.decode()
    assert 'data-testid="condition"' not in client.get(unstated.get_absolute_url()).content.decode()


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


# --- Search, categories, sorts (docs/DESIGN.md §18) -------------------------------------------
SHOP = reverse("storefront:shop")


def squeezed(response) -> str:
    """The page's HTML with every run of white space made one space (templates wrap tags)."""
    return re.sub(r"\s+", " ", response.content.decode())


def shown(response) -> list[str]:
    return [listing.title for listing in response.context["listings"]]


@pytest.fixture
def pens():
    return Category.objects.create(name="Pens & ink", slug="pens")


def test_a_search_shows_what_it_found_under_its_words(client):
    """Given two listings, when a buyer searches one's word, then the page shows it alone."""
    ListingFactory(title="Fountain pen", description="")
    ListingFactory(title="Notebook", description="")

    response = client.get(SHOP, {"q": "fountain"})

    body = squeezed(response)
    assert response.status_code == 200
    assert shown(response) == ["Fountain pen"]
    assert "Results for “fountain”" in body
    assert 'value="fountain"' in body  # the box keeps the search
    assert "1 item from independent sellers" in body


def test_a_category_narrows_the_shop_and_names_itself(client, pens):
    """?category=<slug> shows that shelf only, its name as the heading, chosen in the menu."""
    ListingFactory(title="Fountain pen", category=pens)
    ListingFactory(title="Notebook")

    response = client.get(SHOP, {"category": "pens"})

    body = squeezed(response)
    assert shown(response) == ["Fountain pen"]
    assert "<h1>" in body and "Pens &amp; ink" in body
    assert '<option value="pens" selected>Pens &amp; ink</option>' in body


def test_the_sort_menu_orders_by_price_and_offers_best_match_only_to_a_search(client):
    """Price low to high and high to low; "Best match" is in the menu only for a search."""
    for title, price in [("Mid", "5.00"), ("Dear", "9.00"), ("Cheap", "2.00")]:
        ListingFactory(title=f"{title} notebook", price=Decimal(price))

    low = client.get(SHOP, {"sort": "price"})
    high = client.get(SHOP, {"sort": "-price"})
    searched = client.get(SHOP, {"q": "notebook"})

    assert shown(low) == ["Cheap notebook", "Mid notebook", "Dear notebook"]
    assert shown(high) == ["Dear notebook", "Mid notebook", "Cheap notebook"]
    assert '<option value="price" selected>' in squeezed(low)
    assert '<option value="best"' not in squeezed(low)
    assert '<option value="best" selected>Best match</option>' in squeezed(searched)


@pytest.mark.parametrize(
    "params",
    [
        {"sort": "nonsense"},
        {"sort": "best"},  # best match without a search
        {"sort": "-created_at; DROP TABLE catalog_listing"},
        {"sort": ["price", "-price"]},  # the last one counts, as Django reads a QueryDict
    ],
)
def test_an_unknown_sort_is_the_default_order_not_an_error(client, params):
    """Whatever the sort says, the page answers 200 with the listings."""
    ListingFactory.create_batch(2)

    response = client.get(SHOP, params)

    assert response.status_code == 200
    assert len(shown(response)) == 2


def test_an_unknown_category_says_so_and_shows_nothing(client):
    """A category that does not exist: a clear error under the menu, no listings, no 500."""
    ListingFactory()

    response = client.get(SHOP, {"category": "no-such-shelf"})

    body = squeezed(response)
    assert response.status_code == 200
    assert shown(response) == []
    assert "That category does not exist (any more): choose another." in body


@pytest.mark.parametrize("query", ["x" * 1000, "pen\x00"], ids=["1000-chars", "nul"])
def test_a_search_that_cannot_be_a_search_is_a_form_error(client, query):
    """A search too long or with a NUL character: the box says why, nothing is searched."""
    ListingFactory(title="pen")

    response = client.get(SHOP, {"q": query})

    assert response.status_code == 200
    assert shown(response) == []
    assert response.context["search_form"].errors["q"]
    assert 'class="form-control is-invalid"' in squeezed(response)


def test_the_longest_search_allowed_is_searched(client):
    """200 characters is a search (the box's maxlength): the page answers with results."""
    ListingFactory(title="pen")

    response = client.get(SHOP, {"q": "pen " + "x" * 196})

    assert response.status_code == 200
    assert not response.context["search_form"].errors


@pytest.mark.parametrize("page", ["abc", "0", "-1", "99999999999999999999"])
def test_a_page_that_does_not_exist_is_a_404(client, page):
    """A page number that is not one, or past the end, is the site's 404 page, never a 500."""
    ListingFactory()

    assert client.get(SHOP, {"page": page}).status_code == 404


def test_page_links_keep_the_search_category_and_sort(client, pens):
    """Page 2's link carries q, category and sort: the next page is the same search."""
    ListingFactory.create_batch(25, title="Blue pen", category=pens)

    first = client.get(SHOP, {"q": "pen", "category": "pens", "sort": "price"})
    second = client.get(SHOP, {"q": "pen", "category": "pens", "sort": "price", "page": 2})

    assert 'href="?q=pen&amp;category=pens&amp;sort=price&amp;page=2"' in squeezed(first)
    assert len(shown(second)) == 1


def test_no_results_helps_the_buyer_on(client, pens):
    """Nothing found: the page says so and offers all categories and the whole shop."""
    ListingFactory(title="Notebook")

    response = client.get(SHOP, {"q": "teapot", "category": "pens"})

    body = squeezed(response)
    assert "No listings match “teapot” in Pens &amp; ink." in body
    assert 'href="?q=teapot"' in body
    assert f'href="{SHOP}">Browse everything for sale' in body


def test_titles_stores_and_searches_with_html_show_as_text(client):
    """HTML in a title, a store's name or the search itself is escaped everywhere it shows."""
    seller = SellerFactory(store_name="<i>Shady</i>")
    listing = ListingFactory(seller=seller, title="<script>alert(1)</script> pen")
    ListingPhotoFactory(listing=listing)

    browsed = squeezed(client.get(SHOP))
    searched = squeezed(client.get(SHOP, {"q": '<b>pen</b>"'}))

    for body in (browsed, searched):
        assert "<script>alert(1)" not in body and "<i>Shady" not in body and "<b>pen" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; pen" in browsed
    assert 'alt="&lt;script&gt;alert(1)&lt;/script&gt; pen"' in browsed
    assert "&lt;i&gt;Shady&lt;/i&gt;" in browsed
    assert 'value="&lt;b&gt;pen&lt;/b&gt;&quot;"' in searched
    assert "Results for “&lt;b&gt;pen&lt;/b&gt;&quot;”" in searched


def test_every_shop_page_has_the_search_box(client):
    """The Shop and a listing's page both carry the box, a GET form to the Shop."""
    listing = ListingFactory()

    for url in (SHOP, listing_url(listing)):
        body = squeezed(client.get(url))
        assert 'data-testid="shop-search"' in body
        assert f'method="get" action="{SHOP}"' in body


# --- Photos on the Shop and a listing's page ---------------------------------------------------
def test_a_shop_card_shows_the_listings_first_photo_or_a_placeholder(client):
    """The first photo by position, as a thumbnail named by the title; a box without one."""
    listing = ListingFactory(title="Dot grid")
    ListingPhotoFactory(listing=listing, position=1)
    first = ListingPhotoFactory(listing=listing, position=0)
    ListingFactory(title="Bare")

    body = squeezed(client.get(SHOP))

    assert f'<img src="{first.thumbnail.url}" alt="Dot grid" width="96" height="96"' in body
    assert body.count('<img src="/media/thumbnails/') == 1
    assert body.count('data-testid="photo-placeholder"') == 1


def test_only_the_first_row_of_cards_loads_its_photo_at_once(client):
    """Four cards fill the first row on a wide screen; the photos below the fold load lazily."""
    for _ in range(6):
        ListingPhotoFactory()

    body = squeezed(client.get(SHOP))

    assert body.count('<img src="/media/thumbnails/') == 6
    assert body.count('loading="lazy"') == 2


def test_a_listing_page_shows_the_first_photo_large_and_the_others_as_links(client):
    """
    Given a listing with three photos, then its page shows the first at the Display size
    with its width and height, and the two others as thumbnails linking to theirs.
    """

    listing = ListingFactory(title="Pen")
    first = ListingPhotoFactory(listing=listing, position=0, image=image_file(size=(1200, 900)))
    others = [ListingPhotoFactory(listing=listing, position=n) for n in (1, 2)]

    body = squeezed(client.get(listing_url(listing)))

    assert f'<img src="{first.display.url}" alt="Pen" width="800" height="600"' in body
    for number, other in enumerate(others, start=2):
        assert f'<a href="{other.display.url}"> <img src="{other.thumbnail.url}"' in body
        assert f", photo {number} of 3</span>" in body
    assert first.thumbnail.url not in body


def test_a_listing_page_without_photos_shows_the_placeholder(client):
    """No photo: one neutral box where the photo would be, no broken image."""
    listing = ListingFactory()

    body = squeezed(client.get(listing_url(listing)))

    assert "<img" not in body
    assert body.count('data-testid="photo-placeholder"') == 1


def test_a_listing_page_links_back_to_its_category(client, pens):
    """The breadcrumb names the listing's category, a link to that shelf of the Shop."""
    listing = ListingFactory(category=pens)

    body = squeezed(client.get(listing_url(listing)))

    assert f'<a href="{SHOP}?category=pens">Pens &amp; ink</a>' in body
