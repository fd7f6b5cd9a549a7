"""accounts/admin.py: staff read a person's profile and saved addresses under their user page."""

import pytest
from django.urls import reverse

from accounts.models import Address, Profile
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_the_user_page_shows_the_profile_and_addresses_read_only(client):
    """Given a person with a zone and an address, the admin's user page shows both, with
    no field to edit them and no way to add or delete one."""
    person = UserFactory(username="bea")
    Profile.objects.create(user=person, time_zone="Europe/Berlin")
    Address.objects.create(
        user=person, name="Bea Buyer", line1="12 Orchard Lane", city="Springfield", postcode="1"
    )
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))

    body = client.get(reverse("admin:auth_user_change", args=[person.pk])).content.decode()

    assert "Europe/Berlin" in body and "12 Orchard Lane" in body
    assert 'name="addresses-0-line1"' not in body and 'name="profile-0-time_zone"' not in body
    assert 'name="addresses-MAX_NUM_FORMS" value="0"' in body  # none can be added
