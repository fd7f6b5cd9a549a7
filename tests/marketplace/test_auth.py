"""Sign in, sign out, and the nav bar each role sees."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD, SellerFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_sign_in_page_renders_a_labelled_form(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'for="id_login"' in body
    assert "Username or email" in body
    assert 'for="id_password"' in body
    assert "csrfmiddlewaretoken" in body


def test_sign_in_with_the_right_password_starts_a_session(client):
    user = UserFactory(username="bea")
    response = client.post(reverse("login"), {"login": "bea", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_sign_in_with_a_wrong_password_shows_an_error(client):
    UserFactory(username="bea")
    response = client.post(reverse("login"), {"login": "bea", "password": "nope"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert (
        "The username and/or password you specified are not correct." in response.content.decode()
    )


def test_sign_in_by_email_address_starts_the_same_session(client):
    """Given Bea's email address (any letter case) for her username, then she is signed in."""
    user = UserFactory(username="bea")
    response = client.post(reverse("login"), {"login": "Bea@Example.com", "password": PASSWORD})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(user.pk)


def test_allauths_sign_in_address_and_name_lead_to_the_one_sign_in_page(client):
    """allauth's /accounts/login/ sends to the portal's page, keeping where the user was headed."""
    headed = reverse("orders:your_orders")
    assert reverse("account_login") == reverse("login")
    response = client.get(f"/accounts/login/?next={headed}")
    assert response["Location"] == f"{reverse('login')}?next={headed}"


def test_sign_out_is_a_post_and_ends_the_session(client):
    client.force_login(UserFactory())
    assert client.get(reverse("logout")).status_code == 405  # GET never changes state
    assert "_auth_user_id" in client.session
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert "_auth_user_id" not in client.session


def test_anonymous_nav_offers_sign_in_and_sign_up_only(client):
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("login")}">Sign in</a>' in body
    assert f'href="{reverse("account_signup")}">Sign up</a>' in body
    assert f'href="{reverse("orders:your_orders")}"' not in body
    assert f'href="{reverse("sellercentral:orders")}"' not in body


def test_buyer_nav_shows_your_orders_name_and_sign_out(client):
    client.force_login(UserFactory(username="bea", first_name="Bea", last_name="Buyer"))
    body = client.get(reverse("home")).content.decode()
    assert f'href="{reverse("orders:your_orders")}">Your Orders</a>' in body
    assert "Bea Buyer" in body
    assert "Sign out" in body
    assert f'href="{reverse("sellercentral:orders")}"' not in body


def test_seller_nav_adds_one_seller_central_entry_to_its_home(client):
    """One entry opens Seller Central's home; its sections are in its own navigation."""
    seller = SellerFactory()
    client.force_login(seller.user)
    body = client.get(reverse("home")).content.decode()
    main_nav = body.split('aria-label="Main navigation"', 1)[1].split("</nav>", 1)[0]
    assert f'href="{reverse("orders:your_orders")}">Your Orders</a>' in main_nav
    assert f'href="{reverse("sellercentral:home")}">Seller Central</a>' in main_nav
    assert "Account health" not in main_nav
    for section in ["sellercentral:orders", "sellercentral:requests", "catalog:inventory"]:
        assert f'href="{reverse(section)}"' not in main_nav


def test_a_seller_lands_on_seller_central_after_signing_in(client):
    seller = SellerFactory(user=UserFactory(username="sam"))
    response = client.post(reverse("login"), {"login": "sam", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("sellercentral:home")
    assert client.session["_auth_user_id"] == str(seller.user.pk)


def test_a_buyer_lands_on_the_home_page_after_signing_in(client):
    UserFactory(username="bea")
    response = client.post(reverse("login"), {"login": "bea", "password": PASSWORD})
    assert response["Location"] == reverse("home")


def test_where_a_seller_was_headed_wins_over_seller_central(client):
    """A seller sent to sign in from another page goes back there; never off the site."""
    SellerFactory(user=UserFactory(username="sam"))
    headed = reverse("orders:your_orders")
    response = client.post(
        f"{reverse('login')}?next={headed}", {"login": "sam", "password": PASSWORD}
    )
    assert response["Location"] == headed
    client.post(reverse("logout"))
    response = client.post(
        f"{reverse('login')}?next=https://evil.example/",
        {"login": "sam", "password": PASSWORD},
    )
    assert response["Location"] == reverse("sellercentral:home")


def test_seller_central_is_closed_to_buyers_and_anonymous(client):
    url = reverse("sellercentral:orders")
    assert client.get(url).status_code == 302  # to sign-in
    client.force_login(UserFactory())
    assert client.get(url).status_code == 403


def test_admin_requires_staff(client):
    client.force_login(UserFactory())
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
