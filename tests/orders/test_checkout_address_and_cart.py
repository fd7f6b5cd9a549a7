"""Checkout's state/region and remembered address, the cart kept across sign-out, the nav count."""

import pytest
from django.urls import reverse

from orders.cart import Cart
from orders.models import Order, SavedCart
from tests.factories import PASSWORD, ListingFactory, UserFactory

from .test_checkout_views import CHECKOUT, add, address

pytestmark = pytest.mark.django_db


@pytest.fixture
def buyer(client):
    user = UserFactory(username="bea", first_name="Bea", last_name="Buyer")
    client.force_login(user)
    return user


def test_checkout_takes_a_state_and_the_next_checkout_fills_the_whole_address(client, buyer):
    """The order keeps the state; the next checkout starts from the last order's address."""
    add(client, ListingFactory(stock=5))
    client.post(CHECKOUT, address(state="Illinois", line2="Apt 4", country="CA"))
    order = Order.objects.get(buyer=buyer)
    assert order.ship_to_state == "Illinois"
    assert "Springfield, Illinois 12345" in client.get(order.get_absolute_url()).content.decode()

    add(client, ListingFactory(stock=5))
    form = client.get(CHECKOUT).context["form"]

    assert {key: form.initial[key] for key in ("name", "line1", "line2", "city")} == {
        "name": "Bea Buyer",
        "line1": "1 Main Street",
        "line2": "Apt 4",
        "city": "Springfield",
    }
    assert (form.initial["state"], form.initial["postcode"], form.initial["country"]) == (
        "Illinois",
        "12345",
        "CA",
    )
    html = client.get(CHECKOUT).content.decode()
    assert 'autocomplete="address-level1"' in html and 'value="Illinois"' in html


def test_a_first_checkout_starts_with_the_name_only(client, buyer):
    add(client, ListingFactory(stock=5))
    form = client.get(CHECKOUT).context["form"]
    assert form.initial["name"] == "Bea Buyer"
    assert "line1" not in form.initial


def test_the_cart_is_kept_per_user_across_sign_out(client, buyer):
    """Sign out with 2 in the cart, someone else signs in: empty; sign in again: 2 back."""
    listing = ListingFactory(stock=5)
    add(client, listing, 2)

    client.post(reverse("logout"))
    assert SavedCart.objects.get(user=buyer).items == {str(listing.pk): 2}

    other = UserFactory(username="otto")
    assert client.login(username="otto", password=PASSWORD)
    assert Cart(client.session).items() == {}
    client.post(reverse("logout"))
    assert not SavedCart.objects.filter(user=other).exists()  # nothing to keep

    assert client.login(username="bea", password=PASSWORD)
    assert Cart(client.session).items() == {listing.pk: 2}
    assert not SavedCart.objects.filter(user=buyer).exists()


def test_the_nav_shows_the_cart_count(client, buyer):
    """The count comes from the session (no query: the order list's query count pins it)."""
    add(client, ListingFactory(stock=5), 3)

    html = client.get(reverse("orders:your_orders")).content.decode()

    assert 'data-testid="cart-count">3<span class="visually-hidden"> items</span>' in html
