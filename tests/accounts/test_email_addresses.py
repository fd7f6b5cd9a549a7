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


@pytest.mark.parametrize("verified", [True, False])
def test_one_address_offers_only_what_can_be_done_with_it(client, verified):
    """
    With a single address (the primary one), the page offers no "Make primary" or
    "Remove" (allauth would refuse both), and "Send the confirmation email again" only
    while it is unconfirmed.
    """
    client.force_login(UserFactory(username="bea", verified=verified))
    if not verified:
        EmailAddress.objects.create(
            user_id=client.session["_auth_user_id"],
            email="bea@example.com",
            primary=True,
            verified=False,
        )

    body = client.get(reverse("account_email")).content.decode()

    assert 'name="action_primary"' not in body and 'name="action_remove"' not in body
    assert ('name="action_send"' in body) is not verified
    assert ("Not confirmed" in body) is not verified


def test_two_addresses_can_be_chosen_and_made_primary_or_removed(client):
    user = UserFactory(username="bea")
    EmailAddress.objects.create(user=user, email="bea@work.example", verified=True)
    client.force_login(user)

    body = client.get(reverse("account_email")).content.decode()

    assert body.count('type="radio"') == 2
    assert 'name="action_primary"' in body and 'name="action_remove"' in body


def test_password_forms_speak_in_sentence_case(client):
    """The change-password form labels its fields the portal's way, not allauth's."""
    client.force_login(UserFactory(username="bea"))

    body = client.get(reverse("account_change_password")).content.decode()

    for label in ("Current password", "New password", "New password (again)"):
        assert label in body
    assert "New Password" not in body and "Current Password" not in body
