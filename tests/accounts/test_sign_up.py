"""
Signing up (django-allauth, as marketplace/settings.py configures it): an email, a
username and a password; the account starts signed in with its address unconfirmed,
and the emailed link opens a page whose button (a POST) confirms it.
"""

import pytest
from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.factories import UserFactory

from .conftest import link_in, queued_emails, sign_up

pytestmark = pytest.mark.django_db


def test_a_stranger_signs_up_and_confirms_the_address_from_the_email(client):
    """
    Given a sign-up, then the account exists, is signed in, and its address is
    unconfirmed; when the emailed link is opened (GET), nothing changes; when its
    Confirm button is pressed (POST), the address is confirmed.
    """
    response = sign_up(client)

    assert response.status_code == 302
    user = get_user_model().objects.get(username="nell")
    assert client.session["_auth_user_id"] == str(user.pk)
    address = EmailAddress.objects.get(user=user)
    assert (address.email, address.primary, address.verified) == ("nell@example.com", True, False)

    (email,) = queued_emails("nell@example.com")
    link = link_in(email, "/accounts/confirm-email/")
    page = client.get(link)
    assert page.status_code == 200
    assert "Confirm</button>" in page.content.decode()
    address.refresh_from_db()
    assert not address.verified  # GET never changes state

    client.post(link)

    address.refresh_from_db()
    assert address.verified


def test_sign_up_and_confirmation_say_what_comes_next_in_the_portals_words(client):
    """The messages after signing up and confirming tell where the link went and what it
    opens (a first order, a store), not allauth's stock wording."""
    sign_up(client)
    signed_up = client.get("/")  # where sign-up leads, with its message
    (email,) = queued_emails("nell@example.com")

    confirmed = client.post(link_in(email, "/accounts/confirm-email/"), follow=True)

    assert "We sent a link to nell@example.com" in signed_up.content.decode()
    assert "nell@example.com is confirmed: you can place orders and open a store." in (
        confirmed.content.decode()
    )


def test_a_stale_confirmation_link_confirms_nothing(client):
    """Given a made-up key, then the page says the link no longer works, and its POST is a
    404 that changes nothing."""
    sign_up(client)
    url = reverse("account_confirm_email", args=["no-such-key"])

    assert "This link has expired or was already used" in client.get(url).content.decode()
    assert client.post(url).status_code == 404
    assert not EmailAddress.objects.get(email="nell@example.com").verified


def test_signing_up_with_an_address_in_use_opens_no_second_account(client):
    """
    Given an account using an address, when someone signs up with it, then the form
    says the address is taken and no account is opened. (With confirmation optional,
    allauth puts one account per address before hiding who has one: the reset form
    is the one that never tells.)
    """
    UserFactory(username="bea", email="bea@example.com")

    response = sign_up(client, email="bea@example.com", username="mallory")

    assert response.status_code == 200
    assert "A user is already registered with this email address." in response.content.decode()
    assert not get_user_model().objects.filter(username="mallory").exists()
    assert queued_emails("bea@example.com") == []


def test_sign_up_refuses_a_password_the_validators_refuse(client):
    """Given a common password, then the form says why and no account is opened."""
    response = client.post(
        reverse("account_signup"),
        {
            "email": "nell@example.com",
            "username": "nell",
            "password1": "password",
            "password2": "password",
        },
    )

    assert response.status_code == 200
    assert "This password is too common." in response.content.decode()
    assert not get_user_model().objects.filter(username="nell").exists()


def test_the_sign_up_page_offers_sign_in(client):
    body = client.get(reverse("account_signup")).content.decode()

    assert 'for="id_email"' in body
    assert 'for="id_username"' in body
    assert f'href="{reverse("login")}"' in body
