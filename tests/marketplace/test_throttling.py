"""
Sign-in throttling (django-axes): a username is locked only from the address that
keeps failing, an address that fails across many usernames is locked as a whole
(marketplace.security.AddressCapHandler), a success clears the count, and the
client's address is taken from X-Forwarded-For only as far as the configured proxies
are trusted.
"""

import pytest
from django.test import RequestFactory
from django.urls import reverse

from marketplace.security import client_ip, login_username
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

ATTACKER, OWNER = "203.0.113.66", "198.51.100.7"


@pytest.fixture(autouse=True)
def _throttling_on(settings):
    settings.AXES_ENABLED = True
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_ADDRESS_FAILURE_LIMIT = 6


def sign_in(client, password, address, username="bea", **headers):
    return client.post(
        reverse("login"),
        {"login": username, "password": password},
        REMOTE_ADDR=address,
        **headers,
    )


def spray(client, address, count):
    """One wrong password against ``count`` different usernames, once each, below the cap."""
    for n in range(count):
        response = sign_in(client, "Summer2026!", address, username=f"victim{n}")
        assert response.status_code == 200  # the form again, not yet a lock-out


def signed_in(response) -> bool:
    return response.status_code == 302


def test_failures_from_one_address_do_not_lock_the_owner_elsewhere(client):
    """
    Given an attacker who fails the limit on Bea's username from their address,
    then the attacker is locked out even with the right password,
    and Bea, from her own address, still signs in.
    """
    UserFactory(username="bea")
    for _ in range(3):
        sign_in(client, "wrong", ATTACKER)

    assert sign_in(client, PASSWORD, ATTACKER).status_code == 429
    assert signed_in(sign_in(client, PASSWORD, OWNER))


def test_one_address_spraying_many_usernames_is_locked_out(client):
    """
    Given an address that tried one password against six usernames (once each, so no
    username reached its limit of 3), then that address is locked out (429), even for
    a username it never tried and with the right password.
    """
    UserFactory(username="bea")
    spray(client, ATTACKER, 5)
    sign_in(client, "Summer2026!", ATTACKER, username="victim5")

    assert sign_in(client, PASSWORD, ATTACKER).status_code == 429


def test_the_attempt_that_reaches_the_address_cap_is_answered_with_the_lock_out(client):
    spray(client, ATTACKER, 5)

    assert sign_in(client, "Summer2026!", ATTACKER, username="victim5").status_code == 429


def test_below_the_address_cap_a_right_password_signs_in(client):
    UserFactory(username="bea")
    spray(client, ATTACKER, 5)

    assert signed_in(sign_in(client, PASSWORD, ATTACKER))


def test_the_address_cap_never_locks_the_owner_signing_in_from_elsewhere(client):
    """The sprayed usernames' owners, at their own addresses, still sign in."""
    UserFactory(username="victim0")
    spray(client, ATTACKER, 5)
    assert sign_in(client, "Summer2026!", ATTACKER, username="victim5").status_code == 429

    assert signed_in(sign_in(client, PASSWORD, OWNER, username="victim0"))


def test_signing_in_to_ones_own_account_does_not_reopen_the_address(client):
    """A success clears only that user's count: the address stays locked."""
    UserFactory(username="mallory")
    spray(client, ATTACKER, 5)
    assert signed_in(sign_in(client, PASSWORD, ATTACKER, username="mallory"))
    client.post(reverse("logout"))

    sign_in(client, "Summer2026!", ATTACKER, username="victim5")

    assert sign_in(client, PASSWORD, ATTACKER, username="mallory").status_code == 429


def test_a_success_clears_the_count(client):
    """Two failures, a success, two more failures: still not locked (limit 3)."""
    UserFactory(username="bea")
    for _ in range(2):
        sign_in(client, "wrong", OWNER)
    assert signed_in(sign_in(client, PASSWORD, OWNER))
    client.post(reverse("logout"))
    for _ in range(2):
        sign_in(client, "wrong", OWNER)

    assert signed_in(sign_in(client, PASSWORD, OWNER))


def test_failures_by_email_address_lock_the_account_it_names(client):
    """
    Given the limit of failures on Bea's email address from one address, then that
    address is locked out for Bea whether it gives her email or her username.
    """
    UserFactory(username="bea")
    for _ in range(3):
        sign_in(client, "wrong", ATTACKER, username="bea@example.com")

    assert sign_in(client, PASSWORD, ATTACKER, username="bea@example.com").status_code == 429
    assert sign_in(client, PASSWORD, ATTACKER, username="bea").status_code == 429
    assert signed_in(sign_in(client, PASSWORD, OWNER, username="bea@example.com"))


def test_switching_between_email_and_username_does_not_double_the_tries(client):
    """Failures by email and by username add up to one count for the account (limit 3)."""
    UserFactory(username="bea")
    sign_in(client, "wrong", ATTACKER, username="bea")
    sign_in(client, "wrong", ATTACKER, username="BEA@example.com")
    sign_in(client, "wrong", ATTACKER, username="bea")

    assert sign_in(client, PASSWORD, ATTACKER, username="bea@example.com").status_code == 429


@pytest.mark.parametrize(
    ("credentials", "posted", "expected"),
    [
        ({"username": "bea", "password": "x"}, {}, "bea"),
        ({"email": "Bea@Example.com", "password": "x"}, {}, "bea"),  # the account it names
        ({"email": "Nobody@Example.com", "password": "x"}, {}, "nobody@example.com"),
        (None, {"login": " bea@example.com "}, "bea"),  # before authenticating: the form
        (None, {"username": "bea"}, "bea"),  # the admin's sign-in form
        (None, {}, None),
    ],
)
def test_login_username(credentials, posted, expected):
    UserFactory(username="bea")
    request = RequestFactory().post("/", posted)
    assert login_username(request, credentials) == expected


def test_a_forged_forwarded_for_header_does_not_dodge_the_lock(client, settings):
    """With no trusted proxy, X-Forwarded-For is the client's own words and is ignored."""
    settings.TRUSTED_PROXY_COUNT = 0
    UserFactory(username="bea")
    for attempt in range(3):
        sign_in(client, "wrong", ATTACKER, HTTP_X_FORWARDED_FOR=f"10.9.9.{attempt}")

    assert sign_in(client, PASSWORD, ATTACKER, HTTP_X_FORWARDED_FOR="10.9.9.99").status_code == 429


def test_behind_a_trusted_proxy_each_client_is_counted_apart(client, settings):
    """Behind one TLS proxy every request comes from the proxy's address: the client is
    the entry the proxy appended, so the attacker's lock does not reach Bea."""
    settings.TRUSTED_PROXY_COUNT = 1
    proxy = "10.0.0.2"
    UserFactory(username="bea")
    for _ in range(3):
        sign_in(client, "wrong", proxy, HTTP_X_FORWARDED_FOR=f"{OWNER}, {ATTACKER}")

    assert sign_in(client, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=ATTACKER).status_code == 429
    assert signed_in(sign_in(client, PASSWORD, proxy, HTTP_X_FORWARDED_FOR=OWNER))


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, "1.2.3.4", "10.0.0.2"),  # no trusted proxy: the header is ignored
        (1, "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client forged the first entry
        (2, "6.6.6.6, 1.2.3.4, 10.0.0.9", "1.2.3.4"),
        (2, "1.2.3.4", "10.0.0.2"),  # shorter than the proxy chain: not believed
        (1, "not-an-address", "10.0.0.2"),
        (1, "2001:db8::1", "2001:db8::1"),
    ],
)
def test_client_ip(settings, proxies, forwarded_for, expected):
    settings.TRUSTED_PROXY_COUNT = proxies
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forwarded_for)
    assert client_ip(request) == expected
