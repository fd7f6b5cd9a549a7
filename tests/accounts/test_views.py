"""accounts/views.py: the account page's forms, another person's address, closing."""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from accounts.models import Address, Profile
from accounts.time_zones import SESSION_KEY
from orders.models import OrderStatus
from tests.factories import OrderFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("accounts:home")
ADDRESS = {
    "name": "Bea Buyer",
    "line1": "1 Main Street",
    "line2": "",
    "city": "Springfield",
    "state": "",
    "postcode": "12345",
    "country": "US",
}


@pytest.fixture
def bea(client):
    user = UserFactory(username="bea", first_name="Bea", last_name="Buyer")
    client.force_login(user)
    return user


def saved(user, **fields):
    return Address.objects.create(user=user, **{**ADDRESS, **fields})


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def test_the_page_shows_name_email_links_addresses_time_zone_and_close(client, bea):
    """The email links to allauth's page; a saved address is listed with its buttons."""
    home = saved(bea, is_default=True)

    body = client.get(HOME).content.decode()

    assert 'value="Bea"' in body and 'value="Buyer"' in body
    assert "bea@example.com" in body and "Confirmed" in body
    assert f'href="{reverse("account_email")}"' in body
    assert f'href="{reverse("account_change_password")}"' in body
    assert reverse("accounts:address_edit", args=[home.pk]) in body
    assert reverse("accounts:address_delete", args=[home.pk]) in body
    assert reverse("accounts:address_default", args=[home.pk]) not in body  # already default
    assert '<option value="Asia/Tokyo">Asia/Tokyo</option>' in body
    assert f'href="{reverse("accounts:close")}"' in body


def test_the_nav_links_a_signed_in_person_to_their_account(client, bea):
    assert f'href="{HOME}">Your account</a>' in client.get(reverse("home")).content.decode()


def test_saving_the_name(client, bea):
    response = client.post(reverse("accounts:name"), {"first_name": "Beatrice", "last_name": ""})

    assert response.url == HOME
    bea.refresh_from_db()
    assert (bea.first_name, bea.last_name) == ("Beatrice", "")


def test_a_too_long_name_is_a_form_error_and_nothing_changes(client, bea):
    response = client.post(reverse("accounts:name"), {"first_name": "x" * 151, "last_name": ""})

    assert response.status_code == 200
    assert "first_name" in response.context["name_form"].errors
    bea.refresh_from_db()
    assert bea.first_name == "Bea"


def test_choosing_a_time_zone_shows_pages_in_it_at_once(client, bea):
    """Saved on the profile and in this session: the next page's times are in Tokyo."""
    client.post(reverse("accounts:time_zone"), {"time_zone": "Asia/Tokyo"})

    assert Profile.objects.get(user=bea).time_zone == "Asia/Tokyo"
    assert client.session[SESSION_KEY] == "Asia/Tokyo"
    order = OrderFactory(buyer=bea)
    assert "JST" in client.get(order.get_absolute_url()).content.decode()


def test_an_unknown_time_zone_is_a_form_error_and_nothing_is_stored(client, bea):
    response = client.post(reverse("accounts:time_zone"), {"time_zone": "Mars/Base"})

    assert "time_zone" in response.context["time_zone_form"].errors
    assert not Profile.objects.filter(user=bea).exists()


def test_adding_an_address(client, bea):
    response = client.post(reverse("accounts:address_add"), ADDRESS, follow=True)

    (address,) = Address.objects.filter(user=bea)
    assert (address.line1, address.is_default) == ("1 Main Street", True)
    assert "The address is saved." in messages_of(response)


def test_an_incomplete_address_is_a_form_error_and_nothing_is_saved(client, bea):
    response = client.post(
        reverse("accounts:address_add"), {**ADDRESS, "city": "", "country": "XX"}
    )

    assert set(response.context["address_form"].errors) == {"city", "country"}
    assert not Address.objects.exists()


def test_an_address_with_html_shows_as_text(client, bea):
    saved(bea, name="<b>Bea</b>")

    body = client.get(HOME).content.decode()

    assert "&lt;b&gt;Bea&lt;/b&gt;" in body and "<b>Bea</b>" not in body


def test_editing_ones_own_address(client, bea):
    address = saved(bea)

    assert client.get(reverse("accounts:address_edit", args=[address.pk])).status_code == 200
    client.post(reverse("accounts:address_edit", args=[address.pk]), {**ADDRESS, "city": "Ogden"})

    assert Address.objects.get(pk=address.pk).city == "Ogden"


@pytest.mark.parametrize("name", ["address_edit", "address_delete", "address_default"])
def test_another_persons_address_is_a_404_and_nothing_changes(client, bea, name):
    """Bea posts to Bob's address's edit, delete and make-default: 404, Bob's stays as it was."""
    bob = UserFactory(username="bob")
    bobs = saved(bob, is_default=False)

    response = client.post(reverse(f"accounts:{name}", args=[bobs.pk]), {**ADDRESS, "city": "X"})

    assert response.status_code == 404
    after = Address.objects.get(pk=bobs.pk)
    assert (after.city, after.is_default) == ("Springfield", False)


def test_make_default_and_delete_are_post_only(client, bea):
    address = saved(bea)
    for name in ("address_delete", "address_default"):
        assert client.get(reverse(f"accounts:{name}", args=[address.pk])).status_code == 405
    assert Address.objects.filter(pk=address.pk).exists()


def test_make_default_then_delete(client, bea):
    first = saved(bea, is_default=True)
    second = saved(bea, line1="2 Side Street")

    client.post(reverse("accounts:address_default", args=[second.pk]))
    assert list(Address.objects.filter(is_default=True)) == [second]

    client.post(reverse("accounts:address_delete", args=[second.pk]))
    assert list(Address.objects.filter(user=bea)) == [first]
    assert Address.objects.get(pk=first.pk).is_default


# --- Closing ---------------------------------------------------------------------------------
CLOSE = reverse("accounts:close")


def test_the_close_page_lists_what_is_open_with_links_and_offers_no_button(client, bea):
    order = OrderFactory(buyer=bea, status=OrderStatus.UNSHIPPED)

    body = client.get(CLOSE).content.decode()

    assert f'<a href="{order.get_absolute_url()}">Order {order.number}: unshipped</a>' in body
    assert "Close my account" not in body


def test_a_wrong_username_closes_nothing(client, bea):
    response = client.post(CLOSE, {"username": "someone"})

    assert response.context["form"].errors["username"] == [
        "That is not your username: nothing was closed."
    ]
    bea.refresh_from_db()
    assert bea.is_active


def test_closing_with_an_open_order_is_refused_with_why(client, bea):
    """An order opened after the page was shown: the POST is refused and lists it."""
    order = OrderFactory(buyer=bea, status=OrderStatus.PREPARING)

    response = client.post(CLOSE, {"username": "bea"})

    assert "Your account cannot be closed while something is still open." in messages_of(response)
    assert f"Order {order.number}" in response.content.decode()
    bea.refresh_from_db()
    assert (bea.username, bea.is_active) == ("bea", True)


def test_closing_signs_out_and_anonymises(client, bea):
    response = client.post(CLOSE, {"username": "bea"}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("home")
    assert "Your account is closed. We emailed you a confirmation." in messages_of(response)
    assert not response.context["user"].is_authenticated
    user = get_user_model().objects.get(pk=bea.pk)
    assert (user.username, user.is_active) == (f"closed-{bea.pk}", False)
    assert client.get(HOME).status_code == 302  # signed out: back to sign in


def test_closing_ends_the_persons_other_sessions_too(client, bea):
    """A second device signed in as Bea is signed out on its next request."""
    other_device = Client()
    other_device.force_login(bea)

    assert other_device.get(HOME).status_code == 200  # signed in before
    client.post(CLOSE, {"username": "bea"})

    response = other_device.get(HOME)
    assert response.status_code == 302 and response.url.startswith(reverse("login"))
