"""The storefront's cart, checkout and "order placed" pages (orders/views/storefront.py)."""

import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from catalog.models import Listing
from core.money import MAX_CART_LINES, MAX_MONEY, MAX_QUANTITY_PER_LINE
from notifications.models import OutboxMessage
from orders.cart import Cart
from orders.models import Order, OrderStatus
from orders.services import AUTHORIZATION_RETRY
from payments.gateway import inject_timeouts
from payments.models import Payment
from tests.factories import (
    DECLINED_CARD,
    GOOD_CARD,
    INSUFFICIENT_FUNDS_CARD,
    ListingFactory,
    ListingPhotoFactory,
    SellerFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

CART = reverse("storefront:cart")
CART_ADD = reverse("storefront:cart_add")
CART_REMOVE = reverse("storefront:cart_remove")
CHECKOUT = reverse("storefront:checkout")
PLACED = reverse("storefront:order_placed")


def address(**overrides):
    data = {
        "name": "Bea Buyer",
        "line1": "1 Main Street",
        "line2": "",
        "city": "Springfield",
        "postcode": "12345",
        "country": "US",
        "card_number": GOOD_CARD,
        # A fresh page each time, as a browser gets from GET checkout.
        "checkout_token": str(uuid.uuid4()),
    }
    return {**data, **overrides}


def cart_of(client) -> dict[int, int]:
    return Cart(client.session).items()


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


@pytest.fixture
def buyer(client):
    user = UserFactory(first_name="Bea", last_name="Buyer")
    client.force_login(user)
    return user


def add(client, listing, quantity=1, **kwargs):
    listing_id = listing if isinstance(listing, int | str) else listing.pk
    return client.post(CART_ADD, {"listing": listing_id, "quantity": quantity}, **kwargs)


# --- Cart ------------------------------------------------------------------------------------
def test_add_to_cart_puts_the_quantity_in_the_session(client, buyer):
    """Adding twice adds up; the buyer lands on the cart with a confirmation."""
    listing = ListingFactory(title="Dot grid", stock=10)

    add(client, listing, 2)
    response = add(client, listing, 3, follow=True)

    assert cart_of(client) == {listing.pk: 5}
    assert response.redirect_chain[-1][0] == CART
    assert "Added 3 × “Dot grid” to your cart." in messages_of(response)


def test_anonymous_add_to_cart_is_sent_to_sign_in_and_changes_nothing(client):
    """Only signed-in users buy; after signing in they come back to the listing."""
    listing = ListingFactory()

    response = add(client, listing)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert reverse("storefront:listing", args=[listing.pk]) in response.url
    assert cart_of(client) == {}


def test_get_on_cart_add_is_405_and_changes_nothing(client, buyer):
    """GET never changes state."""
    listing = ListingFactory()

    response = client.get(CART_ADD, {"listing": listing.pk, "quantity": 1})

    assert response.status_code == 405
    assert cart_of(client) == {}


def test_cart_add_enforces_csrf(buyer):
    """A POST without the CSRF token is refused and the cart is unchanged."""
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(buyer)
    listing = ListingFactory()

    response = add(csrf_client, listing)

    assert response.status_code == 403
    assert cart_of(csrf_client) == {}


@pytest.mark.parametrize(
    "quantity",
    ["0", "-1", "two", "1.5", "", str(MAX_QUANTITY_PER_LINE + 1), str(10**20), "١٢", "1_0"],
)
def test_add_to_cart_with_a_bad_quantity_is_a_message_and_changes_nothing(client, buyer, quantity):
    """Quantities outside 1..99 or not whole numbers are refused with a message, never a 500."""
    listing = ListingFactory(stock=500)

    response = add(client, listing, quantity, follow=True)

    assert response.status_code == 200
    assert f"Enter a quantity from 1 to {MAX_QUANTITY_PER_LINE}." in messages_of(response)
    assert cart_of(client) == {}


def test_add_to_cart_cannot_pass_99_units_in_total(client, buyer):
    """Two adds that together pass the per-line limit: the second is refused."""
    listing = ListingFactory(stock=500)
    add(client, listing, 60)

    response = add(client, listing, 60, follow=True)

    assert any("at most 99" in message for message in messages_of(response))
    assert cart_of(client) == {listing.pk: 60}


@pytest.mark.parametrize("listing_id", ["987654", "0", "-3", "abc", str(10**20)])
def test_add_an_unknown_listing_is_a_message_not_a_500(client, buyer, listing_id):
    """An id that names no listing is refused with a message."""
    response = add(client, listing_id, follow=True)

    assert response.status_code == 200
    assert "Sorry, that item is no longer available." in messages_of(response)
    assert cart_of(client) == {}


def test_add_a_deactivated_listing_is_a_message(client, buyer):
    """A deactivated listing cannot go into the cart."""
    listing = ListingFactory(is_active=False)

    response = add(client, listing, follow=True)

    assert "Sorry, that item is no longer available." in messages_of(response)
    assert cart_of(client) == {}


def test_add_more_than_the_stock_is_a_message(client, buyer):
    """The cart says how many are left instead of accepting what checkout would refuse."""
    listing = ListingFactory(title="Last few", stock=3)

    response = add(client, listing, 4, follow=True)

    assert "Sorry, only 3 of “Last few” left in stock." in messages_of(response)
    assert cart_of(client) == {}


def test_cart_holds_a_limited_number_of_different_items(client, buyer):
    """A cart cannot grow without bound."""
    session = client.session
    # Ids no listing of the test database reaches, so the new one is never among them.
    session[Cart.SESSION_KEY] = {str(10**12 + n): 1 for n in range(MAX_CART_LINES)}
    session.save()
    listing = ListingFactory()

    response = add(client, listing, follow=True)

    assert any(f"at most {MAX_CART_LINES}" in message for message in messages_of(response))
    assert listing.pk not in cart_of(client)


@pytest.fixture
def seller_signed_in(client):
    seller = SellerFactory(store_name="Paper Moon")
    client.force_login(seller.user)
    return seller


def put_in_cart(client, items: dict[int, int]):
    """A cart as a session may hold it (e.g. filled before a rule that now refuses it)."""
    session = client.session
    session[Cart.SESSION_KEY] = {str(pk): qty for pk, qty in items.items()}
    session.save()


def test_adding_ones_own_listing_is_refused_with_a_message(client, seller_signed_in):
    """Add to cart says why a seller cannot buy their own listing; the cart stays empty."""
    listing = ListingFactory(seller=seller_signed_in, title="Dot grid", stock=10)

    response = add(client, listing, 1, follow=True)

    assert response.redirect_chain[-1][0] == reverse("storefront:listing", args=[listing.pk])
    assert "“Dot grid” is your own listing: you cannot buy it." in messages_of(response)
    assert cart_of(client) == {}


def test_updating_ones_own_listing_in_the_cart_is_refused_with_a_message(client, seller_signed_in):
    """The cart page's quantity update refuses it too, and changes nothing."""
    listing = ListingFactory(seller=seller_signed_in, title="Dot grid", stock=10)
    put_in_cart(client, {listing.pk: 1})

    response = client.post(CART, {"listing": listing.pk, "quantity": 3}, follow=True)

    assert "“Dot grid” is your own listing: you cannot buy it." in messages_of(response)
    assert cart_of(client) == {listing.pk: 1}


def test_a_cart_quantity_past_the_line_cap_is_refused_with_a_message(client, buyer):
    """The cart's quantity cap (part of the money bound) is said plainly on the cart page."""
    listing = ListingFactory(title="Dot grid", stock=500)
    add(client, listing, 2)

    at_cap = client.post(CART, {"listing": listing.pk, "quantity": MAX_QUANTITY_PER_LINE})
    past = client.post(
        CART, {"listing": listing.pk, "quantity": MAX_QUANTITY_PER_LINE + 1}, follow=True
    )

    assert at_cap.status_code == 302
    assert f"Enter a quantity from 1 to {MAX_QUANTITY_PER_LINE}." in messages_of(past)
    assert cart_of(client) == {listing.pk: MAX_QUANTITY_PER_LINE}


def test_cart_page_groups_lines_by_seller_with_totals(client, buyer):
    """One package per seller, with subtotals and the grand total."""
    paper = SellerFactory(store_name="Paper Moon")
    ink = SellerFactory(store_name="Ink Well")
    add(client, ListingFactory(seller=paper, title="Notebook", price=Decimal("10.00")), 2)
    add(client, ListingFactory(seller=paper, title="Pencil", price=Decimal("1.50")), 4)
    add(client, ListingFactory(seller=ink, title="Ink", price=Decimal("7.25")), 1)

    response = client.get(CART)

    body = response.content.decode()
    assert "Your order will arrive in 2 packages: one per seller." in body
    summary = response.context["summary"]
    assert [package.seller.store_name for package in summary.packages] == [
        "Ink Well",
        "Paper Moon",
    ]
    assert [package.subtotal for package in summary.packages] == [
        Decimal("7.25"),
        Decimal("26.00"),
    ]
    assert "$33.25" in body
    assert body.count("csrfmiddlewaretoken") >= 6  # every update and delete form


def squeezed(html: str) -> str:
    """The page's text with its runs of whitespace made single spaces."""
    return " ".join(html.split())


def test_one_seller_is_one_package_and_one_order_with_no_per_seller_words(client, buyer):
    """ "1 package: one per seller" and "1 order, one per seller" read badly: one is one."""
    add(client, ListingFactory(seller=SellerFactory(), price=Decimal("10.00"), stock=5), 2)

    cart = squeezed(client.get(CART).content.decode())
    placed = client.post(CHECKOUT, address(), follow=True)

    assert "Your order will arrive in 1 package." in cart
    assert "one per seller" not in cart and "1 packages" not in cart
    page = squeezed(placed.content.decode())
    assert "Thank you: your order is placed" in page
    assert "We will email you when it ships." in page
    assert "one per seller" not in page and "1 order," not in page


def test_two_sellers_are_two_orders_one_per_seller(client, buyer):
    """With two sellers the per-seller split is worth saying, in the plural."""
    add(client, ListingFactory(seller=SellerFactory(), price=Decimal("10.00"), stock=5))
    add(client, ListingFactory(seller=SellerFactory(), price=Decimal("3.00"), stock=5))

    placed = client.post(CHECKOUT, address(), follow=True)

    page = squeezed(placed.content.decode())
    assert "2 orders, one per seller. We will email you when each one ships." in page


def test_cart_page_query_count_does_not_grow_with_lines(client, buyer, django_assert_num_queries):
    """
    Session, user, seller check (nav), one listings query and one for their first photos
    (the photos' prefetch: one query, never one per line), for 2 lines or 8.
    """
    for _ in range(2):
        add(client, ListingPhotoFactory().listing)
    with django_assert_num_queries(5):
        client.get(CART)
    for _ in range(6):
        add(client, ListingPhotoFactory().listing)
    with django_assert_num_queries(5):
        response = client.get(CART)
    assert response.context["summary"].units == 8
    assert response.content.decode().count('<img src="/media/thumbnails/') == 8


def test_cart_page_needs_sign_in(client):
    """Anonymous visitors are sent to sign in."""
    response = client.get(CART)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_update_a_cart_line_sets_its_quantity(client, buyer):
    """Update replaces the quantity."""
    listing = ListingFactory(stock=10)
    add(client, listing, 2)

    client.post(CART, {"listing": listing.pk, "quantity": 7})

    assert cart_of(client) == {listing.pk: 7}


@pytest.mark.parametrize("quantity", ["0", "-2", "x", str(10**20), "100", "٣", "1_0"])
def test_update_a_cart_line_with_a_bad_quantity_changes_nothing(client, buyer, quantity):
    """A bad quantity on the cart page is a message; the line keeps its quantity."""
    listing = ListingFactory(stock=500)
    add(client, listing, 2)

    response = client.post(CART, {"listing": listing.pk, "quantity": quantity}, follow=True)

    assert f"Enter a quantity from 1 to {MAX_QUANTITY_PER_LINE}." in messages_of(response)
    assert cart_of(client) == {listing.pk: 2}


def test_update_a_listing_that_is_not_in_the_cart_adds_nothing(client, buyer):
    """Update changes lines in the cart; it does not add new ones."""
    listing = ListingFactory()

    response = client.post(CART, {"listing": listing.pk, "quantity": 1}, follow=True)

    assert "That item is not in your cart." in messages_of(response)
    assert cart_of(client) == {}


def test_remove_a_cart_line(client, buyer):
    """Delete takes the line out of the cart."""
    keep, drop = ListingFactory(), ListingFactory()
    add(client, keep)
    add(client, drop)

    client.post(CART_REMOVE, {"listing": drop.pk})

    assert cart_of(client) == {keep.pk: 1}


def test_get_on_cart_remove_is_405_and_changes_nothing(client, buyer):
    """GET never changes state."""
    listing = ListingFactory()
    add(client, listing)

    assert client.get(CART_REMOVE, {"listing": listing.pk}).status_code == 405
    assert cart_of(client) == {listing.pk: 1}


def test_cart_shows_a_deactivated_listing_as_unavailable_and_it_can_be_removed(client, buyer):
    """A listing deactivated after it went into the cart is flagged, and checkout is not offered."""
    listing = ListingFactory(title="Gone soon")
    add(client, listing)
    Listing.objects.filter(pk=listing.pk).update(is_active=False)

    response = client.get(CART)

    assert response.context["summary"].unavailable[0].listing_id == listing.pk
    assert CHECKOUT not in response.content.decode()
    client.post(CART_REMOVE, {"listing": listing.pk})
    assert cart_of(client) == {}


# --- Checkout ----------------------------------------------------------------------------------
def test_checkout_page_shows_a_labelled_form_with_the_test_cards(client, buyer):
    """The form has every field labelled, US by default, and the sandbox cards as help."""
    add(client, ListingFactory())

    response = client.get(CHECKOUT)

    body = response.content.decode()
    for field in ("name", "line1", "line2", "city", "postcode", "country", "card_number"):
        assert f'for="id_{field}"' in body
    assert response.context["form"]["country"].value() == "US"
    assert "4242 4242 4242 4242" in body
    assert "4000 0000 0000 0002" in body
    assert "4000 0000 0000 9995" in body


def test_checkout_needs_sign_in(client):
    """Anonymous visitors are sent to sign in, and nothing is created."""
    response = client.post(CHECKOUT, address())

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert not Order.objects.exists()


def test_checkout_creates_one_order_per_seller_and_reserves_stock(client, buyer):
    """Two sellers, two orders, authorized; stock reserved; cart emptied; placed page lists both."""
    paper = SellerFactory(store_name="Paper Moon")
    ink = SellerFactory(store_name="Ink Well")
    notebook = ListingFactory(seller=paper, price=Decimal("10.00"), stock=5)
    pencil = ListingFactory(seller=paper, price=Decimal("1.50"), stock=10)
    bottle = ListingFactory(seller=ink, price=Decimal("7.25"), stock=2)
    add(client, notebook, 2)
    add(client, pencil, 4)
    add(client, bottle, 2)

    response = client.post(CHECKOUT, address(line2="Apt 4", country="CA"), follow=True)

    assert response.redirect_chain[-1][0] == PLACED
    orders = Order.objects.filter(buyer=buyer).order_by("seller__store_name")
    assert [(o.seller.store_name, o.total, o.status) for o in orders] == [
        ("Ink Well", Decimal("14.50"), OrderStatus.UNSHIPPED),
        ("Paper Moon", Decimal("26.00"), OrderStatus.UNSHIPPED),
    ]
    assert {(o.ship_to_line2, o.ship_to_country) for o in orders} == {("Apt 4", "CA")}
    notebook.refresh_from_db()
    pencil.refresh_from_db()
    bottle.refresh_from_db()
    assert (notebook.stock, pencil.stock, bottle.stock) == (3, 6, 0)
    assert cart_of(client) == {}
    body = response.content.decode()
    for order in orders:
        assert order.number in body
        assert order.get_absolute_url() in body
    assert reverse("orders:your_orders") in body


def test_declined_card_leaves_the_order_payment_failed_and_says_so(client, buyer):
    """A declined card still places the order, in payment_failed, with a link to revise it."""
    listing = ListingFactory(stock=5)
    add(client, listing, 1)

    response = client.post(CHECKOUT, address(card_number=DECLINED_CARD), follow=True)

    order = Order.objects.get(buyer=buyer)
    assert order.status == OrderStatus.PAYMENT_FAILED
    assert order.payment.status == Payment.Status.FAILED
    body = response.content.decode()
    assert "Payment declined: revise payment" in body
    assert f'href="{order.get_absolute_url()}"' in body
    assert cart_of(client) == {}
    # The page says the payment was declined and what to do, never "Thank you … ships"
    assert "<h1>Payment declined: your order is not complete</h1>" in body
    assert "Thank you" not in body and "when each one ships" not in body
    assert "Your card was declined for this order." in body
    assert f'href="{reverse("orders:revise_payment", args=[order.number])}">Revise payment' in body


def test_insufficient_funds_is_a_declined_payment_too(client, buyer):
    """Insufficient funds ends like a decline: payment_failed and the revise prompt."""
    add(client, ListingFactory(), 1)

    response = client.post(CHECKOUT, address(card_number=INSUFFICIENT_FUNDS_CARD), follow=True)

    assert Order.objects.get(buyer=buyer).status == OrderStatus.PAYMENT_FAILED
    assert "Payment declined: revise payment" in response.content.decode()


def test_invalid_card_number_is_a_card_field_error_and_creates_nothing(client, buyer):
    """A number that is not a card is an error on the card field; stock and cart are kept."""
    listing = ListingFactory(stock=5)
    add(client, listing, 2)

    response = client.post(CHECKOUT, address(card_number="1234 5678 9012 3456"))

    assert response.status_code == 200
    assert "card_number" in response.context["form"].errors
    assert "1234 5678 9012 3456" not in response.content.decode()  # never echoed back
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    listing.refresh_from_db()
    assert listing.stock == 5
    assert cart_of(client) == {listing.pk: 2}


def test_a_card_number_in_other_digits_is_a_card_field_error_and_creates_nothing(client, buyer):
    """Stripe's Visa typed in Arabic-Indic digits: refused, so no payment keeps such last four."""
    add(client, ListingFactory(stock=5), 1)

    response = client.post(CHECKOUT, address(card_number="٤٢٤٢ ٤٢٤٢ ٤٢٤٢ ٤٢٤٢"))

    assert response.context["form"].errors["card_number"] == [
        "Enter the card number using the digits 0 to 9."
    ]
    assert not Order.objects.exists()
    assert not Payment.objects.exists()


def test_missing_address_fields_are_form_errors_and_create_nothing(client, buyer):
    """Required fields are required; an unknown country is refused."""
    add(client, ListingFactory(), 1)

    response = client.post(CHECKOUT, address(name="", city="", country="XX"))

    assert set(response.context["form"].errors) == {"name", "city", "country"}
    assert not Order.objects.exists()


def test_checkout_with_an_empty_cart_redirects_to_the_cart(client, buyer):
    """Nothing to buy: back to the cart with a message, nothing created."""
    get = client.get(CHECKOUT, follow=True)
    post = client.post(CHECKOUT, address(), follow=True)

    for response in (get, post):
        assert response.redirect_chain[-1][0] == CART
        assert any("Your cart is empty" in message for message in messages_of(response))
    assert not Order.objects.exists()


def test_quantity_above_stock_at_checkout_is_a_message_and_creates_nothing(client, buyer):
    """Stock sold to someone else since the item went into the cart: nothing is placed."""
    scarce = ListingFactory(title="Scarce", stock=3)
    other = ListingFactory(stock=10)
    add(client, scarce, 3)
    add(client, other, 1)
    Listing.objects.filter(pk=scarce.pk).update(stock=1)

    response = client.post(CHECKOUT, address())

    assert response.status_code == 200
    assert "Sorry, only 1 of “Scarce” left in stock." in messages_of(response)
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    other.refresh_from_db()
    assert other.stock == 10  # the other line's reservation was rolled back
    assert cart_of(client) == {scarce.pk: 3, other.pk: 1}


def test_unknown_listing_in_the_cart_at_checkout_is_a_message(client, buyer):
    """A listing that is not in the catalog (any more) fails checkout cleanly."""
    listing = ListingFactory(stock=5)
    add(client, listing, 1)
    session = client.session
    session[Cart.SESSION_KEY] = {**session[Cart.SESSION_KEY], "987654": 1}
    session.save()

    response = client.post(CHECKOUT, address())

    assert "An item in your cart is no longer available." in messages_of(response)
    assert not Order.objects.exists()
    listing.refresh_from_db()
    assert listing.stock == 5


def test_deactivated_listing_in_the_cart_at_checkout_is_a_message(client, buyer):
    """A listing deactivated after it went into the cart fails checkout; the cart is kept."""
    listing = ListingFactory(stock=5)
    add(client, listing, 1)
    Listing.objects.filter(pk=listing.pk).update(is_active=False)

    response = client.post(CHECKOUT, address())

    assert "An item in your cart is no longer available." in messages_of(response)
    assert not Order.objects.exists()
    assert cart_of(client) == {listing.pk: 1}


def test_ones_own_listing_at_checkout_is_a_message_and_creates_nothing(client, seller_signed_in):
    """A cart holding the buyer's own listing (however it got there) orders nothing."""
    own = ListingFactory(seller=seller_signed_in, title="Dot grid", stock=10)
    other = ListingFactory(stock=10)
    put_in_cart(client, {own.pk: 2, other.pk: 1})

    response = client.post(CHECKOUT, address())

    assert response.status_code == 200
    assert response.context["form"].is_bound  # the checkout page again, address kept
    assert "“Dot grid” is your own listing: remove it from your cart to check out." in (
        messages_of(response)
    )
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    own.refresh_from_db()
    other.refresh_from_db()
    assert (own.stock, other.stock) == (10, 10)
    assert cart_of(client) == {own.pk: 2, other.pk: 1}


def test_two_units_at_a_price_of_60_million_check_out(client, buyer):
    """
    The issue's case: a price of 60,000,000.00 (set before the price cap) times two fit the
    bound, so the order is placed and its 120,000,000.00 payment authorized, not a 500.
    """
    listing = ListingFactory(stock=5)
    Listing.objects.filter(pk=listing.pk).update(price=Decimal("60000000.00"))
    add(client, listing, 2)

    response = client.post(CHECKOUT, address(), follow=True)

    assert response.redirect_chain[-1][0] == PLACED
    order = Order.objects.get(buyer=buyer)
    assert order.total == order.payment.amount_authorized == Decimal("120000000.00")


def test_checkout_of_exactly_the_money_bound_is_placed(client, buyer):
    """A listing priced past the cap straight in the database: an order of MAX_MONEY fits."""
    listing = ListingFactory(title="Heirloom", stock=5)
    add(client, listing, 1)
    Listing.objects.filter(pk=listing.pk).update(price=MAX_MONEY)

    response = client.post(CHECKOUT, address())

    assert response.status_code == 302
    order = Order.objects.get(buyer=buyer)
    assert order.total == order.payment.amount_authorized == MAX_MONEY


@pytest.mark.parametrize(
    "price", [MAX_MONEY / 2 + Decimal("0.01"), MAX_MONEY], ids=["a-cent-past", "twice"]
)
def test_checkout_past_the_money_bound_is_a_message_and_creates_nothing(client, buyer, price):
    """
    Two units of a listing priced past the cap straight in the database (legacy data):
    the checkout page says the order is too large; nothing is created or reserved.
    """
    listing = ListingFactory(title="Heirloom", stock=5)
    add(client, listing, 2)
    Listing.objects.filter(pk=listing.pk).update(price=price)

    response = client.post(CHECKOUT, address())

    assert response.status_code == 200
    assert response.context["form"].is_bound
    too_large = "more than one order can take ($9,999,999,999.99)"
    assert any(too_large in message for message in messages_of(response))
    assert not Order.objects.exists()
    assert not Payment.objects.exists()
    listing.refresh_from_db()
    assert listing.stock == 5
    assert cart_of(client) == {listing.pk: 2}


def test_a_second_post_of_the_checkout_places_nothing_more(client, buyer):
    """A double click: the first POST empties the cart, the second finds nothing to buy."""
    add(client, ListingFactory(stock=5), 1)

    client.post(CHECKOUT, address())
    response = client.post(CHECKOUT, address(), follow=True)

    assert Order.objects.filter(buyer=buyer).count() == 1
    assert response.redirect_chain[-1][0] == CART


def test_checkout_enforces_csrf(buyer):
    """A POST without the CSRF token is refused; nothing is created."""
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(buyer)
    session = csrf_client.session
    session[Cart.SESSION_KEY] = {str(ListingFactory().pk): 1}
    session.save()

    response = csrf_client.post(CHECKOUT, address())

    assert response.status_code == 403
    assert not Order.objects.exists()


# --- Order placed -------------------------------------------------------------------------------
def test_order_placed_without_a_checkout_goes_to_your_orders(client, buyer):
    """Nothing placed in this session: Your Orders instead."""
    response = client.get(PLACED)

    assert response.status_code == 302
    assert response.url == reverse("orders:your_orders")


def test_order_placed_shows_only_the_buyers_own_orders(client, buyer):
    """Another buyer's order numbers in the session show nothing of theirs."""
    add(client, ListingFactory(), 1)
    client.post(CHECKOUT, address())
    own = Order.objects.get(buyer=buyer)
    stranger = Client()
    stranger.force_login(UserFactory())
    session = stranger.session
    session["placed_orders"] = [own.number]
    session.save()

    response = stranger.get(PLACED)

    assert response.status_code == 302
    assert response.url == reverse("orders:your_orders")


# --- Money: broker outages and resubmitted checkouts -------------------------------------------
def test_the_checkout_page_carries_a_fresh_token(client, buyer):
    """Given a cart, when the checkout page is rendered twice, then each has its own token."""
    add(client, ListingFactory(stock=5))

    tokens = [
        re.search(r'name="checkout_token" value="([0-9a-f-]{36})"', client.get(CHECKOUT).text)[1]
        for _ in range(2)
    ]

    assert tokens[0] != tokens[1]


def test_checkout_answers_with_the_broker_down_and_keeps_one_order(
    client, buyer, broker_down, django_capture_on_commit_callbacks
):
    """
    Given the broker refuses every publish and the gateway times out, when the buyer
    places the order, then checkout redirects to "order placed" (no 500), one order waits
    in pending_payment, and its authorization retry waits in the outbox for the sweep.
    """
    listing = ListingFactory(stock=5, price=Decimal("9.00"))
    add(client, listing, 2)

    with inject_timeouts(1), django_capture_on_commit_callbacks(execute=True):
        response = client.post(CHECKOUT, address())

    assert response.status_code == 302
    assert response["Location"] == PLACED
    order = Order.objects.get(buyer=buyer)
    assert order.status == OrderStatus.PENDING_PAYMENT
    assert Listing.objects.get(pk=listing.pk).stock == 3
    retry = OutboxMessage.objects.get(kind=AUTHORIZATION_RETRY)
    assert retry.status == OutboxMessage.Status.PENDING
    assert cart_of(client) == {}


def test_a_resubmitted_checkout_shows_the_placed_order_instead_of_ordering_again(
    client, buyer, django_capture_on_commit_callbacks
):
    """
    Given a checkout that placed its order but whose answer never reached the browser (the
    cart is still full), when the buyer submits the same page again, then they land on
    "order placed" for the first order: one order, stock reserved once.
    """
    listing = ListingFactory(stock=5, price=Decimal("9.00"))
    add(client, listing, 2)
    page = address()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(CHECKOUT, page)
    add(client, listing, 2)  # as if the first answer was lost: the cart is as it was

    response = client.post(CHECKOUT, page, follow=True)

    assert response.redirect_chain[-1][0] == PLACED
    assert "This order was already placed." in messages_of(response)
    order = Order.objects.get(buyer=buyer)
    assert order.number in response.text
    assert Listing.objects.get(pk=listing.pk).stock == 3


def test_a_double_click_after_the_cart_was_emptied_still_shows_the_order(client, buyer):
    """
    Given a checkout that completed (cart emptied), when the second click of a double-click
    arrives with the same page, then it shows the placed order rather than "cart empty".
    """
    add(client, ListingFactory(stock=5))
    page = address()
    client.post(CHECKOUT, page)

    response = client.post(CHECKOUT, page)

    assert response.status_code == 302
    assert response["Location"] == PLACED
    assert Order.objects.filter(buyer=buyer).count() == 1


def test_a_checkout_post_without_a_token_orders_nothing_and_offers_a_fresh_page(client, buyer):
    """
    Given a checkout page from before tokens (or a tampered one), when it is posted, then
    nothing is ordered and the page comes back with a new token to place the order with.
    """
    add(client, ListingFactory(stock=5))
    stale = address()
    del stale["checkout_token"]

    response = client.post(CHECKOUT, stale)

    assert response.status_code == 200
    assert not Order.objects.exists()
    assert re.search(r'name="checkout_token" value="[0-9a-f-]{36}"', response.text)
    assert any("out of date" in message for message in messages_of(response))
