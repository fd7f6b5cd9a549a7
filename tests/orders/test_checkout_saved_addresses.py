"""
Checkout with the buyer's saved addresses (orders/checkout_forms.py, orders/views/storefront.py)
and the verified-email gate at checkout (the page, the view and orders.services.place_orders).
"""

import re

import pytest
from allauth.account.models import EmailAddress
from allauth.account.signals import email_confirmation_sent
from django.urls import reverse

from accounts.models import Address
from orders.models import Order
from orders.services import OrderError, place_orders
from tests.factories import ADDRESS, GOOD_CARD, ListingFactory, UserFactory

from .test_checkout_views import CHECKOUT, add, address, cart_of, messages_of

pytestmark = pytest.mark.django_db

NEW_ADDRESS_FIELDS = {key: "" for key in ("name", "line1", "line2", "city", "state", "postcode")}


@pytest.fixture
def buyer(client):
    user = UserFactory(username="bea", first_name="Bea", last_name="Buyer")
    client.force_login(user)
    return user


@pytest.fixture
def home_and_work(buyer):
    home = Address.objects.create(
        user=buyer,
        name="Bea Buyer",
        line1="12 Orchard Lane",
        city="Springfield",
        postcode="62704",
        is_default=True,
    )
    work = Address.objects.create(
        user=buyer,
        name="Bea Buyer",
        line1="1 Commerce Plaza",
        line2="Floor 9",
        city="Chicago",
        state="IL",
        postcode="60606",
    )
    return home, work


def test_the_page_offers_the_saved_addresses_with_the_default_chosen(client, buyer, home_and_work):
    """A radio per saved address (default first and chosen) and "A new address"; no JS needed."""
    home, work = home_and_work
    add(client, ListingFactory())

    response = client.get(CHECKOUT)

    form = response.context["form"]
    assert [value for value, _label in form.fields["ship_to"].choices] == [
        str(home.pk),
        str(work.pk),
        "new",
    ]
    assert form["ship_to"].value() == str(home.pk)
    body = response.content.decode()
    assert re.search(rf'type="radio"[^>]*name="ship_to" value="{home.pk}"[^>]*checked', body)
    assert "A new address" in body and "Save this address to your account" in body


def test_a_new_address_starts_blank_but_for_the_name_beside_saved_ones(
    client, buyer, home_and_work
):
    """
    Given saved addresses and a past order, "A new address" starts with the buyer's name
    only, not as a copy of an address the radios already offer; a buyer without saved
    addresses still starts from the last order's address.
    """
    place_orders(
        buyer=buyer, items={ListingFactory().pk: 1}, address=ADDRESS, card_number=GOOD_CARD
    )
    add(client, ListingFactory())

    initial = client.get(CHECKOUT).context["form"].initial

    assert initial["name"] == "Bea Buyer"
    assert "line1" not in initial and "city" not in initial
    Address.objects.filter(user=buyer).delete()
    again = client.get(CHECKOUT).context["form"].initial
    assert (again["line1"], again["city"], again["ship_to"]) == (
        ADDRESS.line1,
        ADDRESS.city,
        "new",
    )


def test_a_chosen_saved_address_is_copied_onto_the_order(client, buyer, home_and_work):
    """Ship to work: the order keeps its own copy, whatever the new-address fields hold."""
    _home, work = home_and_work
    add(client, ListingFactory())

    client.post(CHECKOUT, address(ship_to=str(work.pk), **NEW_ADDRESS_FIELDS))

    order = Order.objects.get(buyer=buyer)
    assert (order.ship_to_line1, order.ship_to_line2, order.ship_to_city, order.ship_to_state) == (
        "1 Commerce Plaza",
        "Floor 9",
        "Chicago",
        "IL",
    )
    work.delete()  # the saved address may go; the order's copy stays
    order.refresh_from_db()
    assert order.ship_to_city == "Chicago"


def test_a_new_address_needs_its_fields_when_chosen(client, buyer, home_and_work):
    listing = ListingFactory(stock=3)
    add(client, listing)

    response = client.post(CHECKOUT, address(ship_to="new", **NEW_ADDRESS_FIELDS))

    assert set(response.context["form"].errors) == {"name", "line1", "city", "postcode"}
    assert not Order.objects.exists()
    listing.refresh_from_db()
    assert listing.stock == 3


def test_someone_elses_address_id_is_a_form_error_and_nothing_is_ordered(client, buyer):
    """Bob's address id posted by Bea: refused on the form, no order, the cart kept."""
    bobs = Address.objects.create(
        user=UserFactory(username="bob"), name="Bob", line1="9 Elm", city="X", postcode="1"
    )
    listing = ListingFactory()
    add(client, listing)

    response = client.post(CHECKOUT, address(ship_to=str(bobs.pk)))

    assert response.context["form"].errors["ship_to"] == [
        "Choose one of your saved addresses or a new one."
    ]
    assert "Choose one of your saved addresses or a new one." in response.content.decode()
    assert not Order.objects.exists()
    assert cart_of(client) == {listing.pk: 1}


def test_a_new_address_can_be_saved_to_the_account(client, buyer, home_and_work):
    """Ticked: saved after the order is placed, not as the default (one exists)."""
    add(client, ListingFactory())

    response = client.post(
        CHECKOUT, address(ship_to="new", line1="5 New Road", save_address="on"), follow=True
    )

    assert Order.objects.get(buyer=buyer).ship_to_line1 == "5 New Road"
    saved = Address.objects.get(user=buyer, line1="5 New Road")
    assert not saved.is_default
    assert "The address is saved to your account." in messages_of(response)


def test_a_first_saved_address_becomes_the_default(client, buyer):
    """No saved addresses yet: the new-address form is the only choice, and saving it makes
    the default that the next checkout chooses."""
    add(client, ListingFactory())
    client.post(CHECKOUT, address(save_address="on"))

    (saved,) = Address.objects.filter(user=buyer)
    assert saved.is_default and saved.line1 == "1 Main Street"
    add(client, ListingFactory())
    assert client.get(CHECKOUT).context["form"]["ship_to"].value() == str(saved.pk)


def test_an_unticked_box_saves_nothing(client, buyer):
    add(client, ListingFactory())
    client.post(CHECKOUT, address())

    assert Order.objects.filter(buyer=buyer).exists()
    assert not Address.objects.exists()


# --- The verified-email gate --------------------------------------------------------------------
@pytest.fixture
def unverified(client):
    user = UserFactory(username="una", verified=False)
    EmailAddress.objects.create(user=user, email=user.email, verified=False, primary=True)
    client.force_login(user)
    return user


def test_an_unconfirmed_email_gets_a_resend_button_instead_of_the_order_form(client, unverified):
    add(client, ListingFactory())

    body = client.get(CHECKOUT).content.decode()

    assert "Confirm your email address to place an order" in body
    assert f'action="{reverse("account_email")}"' in body
    assert 'name="email" value="una@example.com"' in body
    assert 'name="action_send"' in body
    assert "Place your order" not in body


def test_the_resend_button_sends_a_confirmation_email(client, unverified):
    """The button's form, posted to allauth's email page, sends the confirmation."""
    sent = []

    def record(**kwargs):
        sent.append(kwargs)

    email_confirmation_sent.connect(record)
    try:
        client.post(reverse("account_email"), {"email": "una@example.com", "action_send": ""})
    finally:
        email_confirmation_sent.disconnect(record)

    assert [kwargs["confirmation"].email_address.email for kwargs in sent] == ["una@example.com"]


def test_an_unconfirmed_email_cannot_order_by_posting_the_form(client, unverified):
    listing = ListingFactory(stock=3)
    add(client, listing)

    response = client.post(CHECKOUT, address(), follow=True)

    assert "Confirm your email address before you place an order" in " ".join(messages_of(response))
    assert not Order.objects.exists()
    listing.refresh_from_db()
    assert listing.stock == 3
    assert cart_of(client) == {listing.pk: 1}


def test_the_service_refuses_an_unconfirmed_email_too(unverified):
    listing = ListingFactory(stock=3)

    with pytest.raises(OrderError, match="Confirm your email address"):
        place_orders(
            buyer=unverified, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD
        )

    assert not Order.objects.exists()
    listing.refresh_from_db()
    assert listing.stock == 3


def test_the_service_refuses_a_closed_account():
    user = UserFactory(is_active=False)
    listing = ListingFactory(stock=3)

    with pytest.raises(OrderError, match="closed"):
        place_orders(buyer=user, items={listing.pk: 1}, address=ADDRESS, card_number=GOOD_CARD)

    assert not Order.objects.exists()
