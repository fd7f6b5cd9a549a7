"""
Password reset (django-allauth): the emailed link sets a new password once; the form
never tells whether an address has an account; a burst of requests is throttled.
"""

import pytest
from django.urls import reverse

from notifications.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory

from .conftest import NEW_PASSWORD, link_in, queued_emails

pytestmark = pytest.mark.django_db


def ask_for_reset(client, email):
    return client.post(reverse("account_reset_password"), {"email": email})


def signs_in(client, login, password) -> bool:
    response = client.post(reverse("login"), {"login": login, "password": password})
    client.post(reverse("logout"))
    return response.status_code == 302


def test_the_emailed_link_sets_a_new_password_once(client):
    """
    Given a reset asked for Bea's address, when the emailed link is followed and a new
    password chosen, then the new password signs in and the old does not, Bea is told
    by email, and the link does not work a second time.
    """
    user = UserFactory(username="bea")
    ask_for_reset(client, "bea@example.com")
    (email,) = queued_emails("bea@example.com")
    assert email["subject"] == "Reset your Marketplace password"
    link = link_in(email, "/accounts/password/reset/key/")

    form = client.get(link, follow=True)
    assert "Choose a new password" in form.content.decode()
    response = client.post(
        form.redirect_chain[-1][0], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    )

    assert response["Location"] == reverse("account_reset_password_from_key_done")
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    assert signs_in(client, "bea", NEW_PASSWORD)
    assert not signs_in(client, "bea", PASSWORD)
    assert queued_emails("bea@example.com")[-1]["subject"] == "Your Marketplace password was reset"
    assert "This link no longer works" in client.get(link, follow=True).content.decode()


def test_a_reset_does_not_tell_whether_an_address_has_an_account(client):
    """
    Given one address with an account and one without, when a reset is asked for each,
    then both get the same answer (the same page); only the account's address gets a
    reset link, and the other is told by email that no account uses it.
    """
    UserFactory(username="bea")

    known = ask_for_reset(client, "bea@example.com")
    unknown = ask_for_reset(client, "nobody@example.com")

    assert known.status_code == unknown.status_code == 302
    assert known["Location"] == unknown["Location"] == reverse("account_reset_password_done")
    done = client.get(known["Location"]).content.decode()
    assert "If it is the address of an account" in done
    (to_known,) = queued_emails("bea@example.com")
    (to_unknown,) = queued_emails("nobody@example.com")
    assert link_in(to_known, "/accounts/password/reset/key/")
    assert to_unknown["subject"] == "No Marketplace account uses this address"
    assert "/accounts/password/reset/key/" not in to_unknown["body"]


def test_a_burst_of_resets_for_one_address_is_throttled(client):
    """
    Given five resets asked for one address within a minute (ACCOUNT_RATE_LIMITS), then
    the sixth is answered 429 in the site's layout and queues no email.
    """
    UserFactory(username="bea")
    for _ in range(5):
        assert ask_for_reset(client, "bea@example.com").status_code == 302

    response = ask_for_reset(client, "bea@example.com")

    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert OutboxMessage.objects.count() == 5
