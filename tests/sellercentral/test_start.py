"""Start selling: a customer opens a store, and Seller Central opens for them."""

import pytest
from django.urls import reverse

from catalog.models import Seller
from tests.factories import SellerFactory, UserFactory

pytestmark = pytest.mark.django_db

START = reverse("sellercentral:start")
STORE = {
    "store_name": "Paper Moon",
    "return_name": "Paper Moon returns",
    "return_line1": "1 Quay Street",
    "return_line2": "",
    "return_city": "Dublin",
    "return_state": "",
    "return_postcode": "D02 X285",
    "return_country": "IE",
    "default_handling_days": "3",
    "policies": "<b>Ships</b> on weekdays.\nReturns within 30 days.",
}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    """Opening a store needs an account."""
    response = client.get(START)

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


def test_a_customer_opens_a_store_and_lands_in_seller_central(client):
    """The store is saved with its details; Seller Central greets its new seller."""
    user = UserFactory(first_name="Pat", last_name="Paper")
    client.force_login(user)
    assert client.get(START).context["form"].initial == {"return_name": "Pat Paper"}

    response = client.post(START, STORE, follow=True)

    seller = Seller.objects.get(user=user)
    assert (seller.store_name, seller.return_country, seller.default_handling_days) == (
        "Paper Moon",
        "IE",
        3,
    )
    assert response.redirect_chain == [(reverse("sellercentral:home"), 302)]
    assert "Your store “Paper Moon” is open." in response.content.decode()


def test_a_taken_name_in_another_case_is_a_form_error_and_opens_nothing(client):
    """'PAPER MOON' when 'Paper Moon' exists: the form says so; no store is made."""
    SellerFactory(store_name="Paper Moon")
    user = UserFactory()
    client.force_login(user)

    response = client.post(START, {**STORE, "store_name": "PAPER MOON"})

    assert response.status_code == 200
    assert response.context["form"].errors["store_name"] == [
        "A store with this name already exists: choose another."
    ]
    assert not Seller.objects.filter(user=user).exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_unconfirmed_email_is_refused_with_a_resend_button(client, method):
    """Until the email is confirmed: a page saying so, a button to resend, no store."""
    user = UserFactory(verified=False)
    client.force_login(user)

    response = getattr(client, method)(START, STORE if method == "post" else None)

    assert response.status_code == 200
    body = response.content.decode()
    assert 'data-testid="confirm-email-first"' in body
    assert f'action="{reverse("account_email")}"' in body
    assert 'name="action_send"' in body
    assert not Seller.objects.filter(user=user).exists()


def test_a_seller_is_sent_to_seller_central(client):
    """Someone who already has a store has nothing to open: on to Seller Central."""
    seller = SellerFactory()
    client.force_login(seller.user)

    response = client.post(START, {**STORE, "store_name": "A second store"})

    assert response.url == reverse("sellercentral:home")
    assert list(Seller.objects.filter(user=seller.user)) == [seller]


def test_the_nav_offers_start_selling_to_customers_only(client):
    """A customer sees 'Start selling' in the nav; a seller sees Seller Central instead."""
    client.force_login(UserFactory())
    customer_page = client.get(reverse("storefront:shop")).content.decode()
    client.force_login(SellerFactory().user)
    seller_page = client.get(reverse("storefront:shop")).content.decode()

    assert f'href="{START}">Start selling</a>' in customer_page
    assert START not in seller_page


@pytest.mark.parametrize("url_name", ["sellercentral:home", "catalog:inventory"])
def test_seller_central_turns_a_customer_away_with_start_selling(client, url_name):
    """The styled 403 of Seller Central offers to open a store."""
    client.force_login(UserFactory())

    response = client.get(reverse(url_name))

    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-testid="start-selling"' in body
    assert f'href="{START}">Start selling</a>' in body


def test_store_settings_change_the_store(client):
    """The seller edits the store's details with the same form."""
    seller = SellerFactory(store_name="Old name")
    client.force_login(seller.user)

    response = client.post(reverse("sellercentral:store"), STORE)

    assert response.url == reverse("sellercentral:store")
    seller.refresh_from_db()
    assert (seller.store_name, seller.return_city) == ("Paper Moon", "Dublin")


def test_store_settings_refuse_another_stores_name(client):
    """Renaming to another store's name is a form error; the name stays."""
    SellerFactory(store_name="Paper Moon")
    seller = SellerFactory(store_name="Mine")
    client.force_login(seller.user)

    response = client.post(reverse("sellercentral:store"), {**STORE, "store_name": "paper moon"})

    assert "store_name" in response.context["form"].errors
    seller.refresh_from_db()
    assert seller.store_name == "Mine"
