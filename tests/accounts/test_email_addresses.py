"""
Email addresses (django-allauth's email page): an address added is confirmed from its
own email; making it primary moves the account's emails there and tells the old one.
"""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.factories import UserFactory

from .conftest import link_in, queued_emails

pytestmark = pytest.mark.django_db


def test_an_added_address_is_confirmed_then_made_primary(client):
    """
    Given Bea adding an address, then it waits for confirmation from an email sent to
    it; once confirmed and made primary, the account's email is the new address and
    the old address is told of the change.
    """
    user = UserFactory(username="bea")
    client.force_login(user)

    client.post(reverse("account_email"), {"action_add": "", "email": "bea@work.example"})

    added = EmailAddress.objects.get(email="bea@work.example")
    assert (added.user, added.verified, added.primary) == (user, False, False)
    (confirmation,) = queued_emails("bea@work.example")
    assert "bea added bea@work.example to their Marketplace account" in confirmation["body"]
    client.post(link_in(confirmation, "/accounts/confirm-email/"))

    client.post(reverse("account_email"), {"action_primary": "", "email": "bea@work.example"})

    user.refresh_from_db()
    assert user.email == "bea@work.example"
    assert EmailAddress.objects.get(email="bea@work.example").primary
    (told,) = queued_emails("bea@example.com")
    assert told["subject"] == "Your Marketplace email address was changed"
    assert "from bea@example.com to bea@work.example" in told["body"]


def test_the_page_lists_the_addresses_with_their_state(client):
    client.force_login(UserFactory(username="bea"))

    body = client.get(reverse("account_email")).content.decode()

    assert "bea@example.com" in body
    assert "Confirmed" in body
    assert "Primary" in body
    assert 'name="action_add"' in body
