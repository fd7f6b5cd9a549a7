"""accounts/emails.py: an email to a person goes to their address, in their time zone."""

from datetime import UTC, datetime

import pytest

from accounts.emails import queue_email_to
from accounts.models import Profile
from notifications.models import OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MOMENT = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def queued_body(user) -> str:
    queue_email_to(
        user,
        template="accounts/emails/account_closed",
        context={"username": user.username, "closed_at": MOMENT},
    )
    return OutboxMessage.objects.order_by("-pk").first().payload["body"]


def test_the_email_shows_times_in_the_recipients_zone(settings):
    """Noon UTC is 9 PM in Tokyo for a Tokyo reader, 7 AM in New York for the portal's zone."""
    settings.DISPLAY_TIME_ZONE = "America/New_York"
    tokyo = UserFactory(username="tokyo")
    Profile.objects.create(user=tokyo, time_zone="Asia/Tokyo")
    plain = UserFactory(username="plain")

    assert "Nov 28, 2026, 9:00 PM JST" in queued_body(tokyo)
    assert "Nov 28, 2026, 7:00 AM EST" in queued_body(plain)


def test_a_person_without_an_email_address_is_sent_nothing():
    user = UserFactory(email="")

    queue_email_to(user, template="accounts/emails/account_closed", context={})

    assert not OutboxMessage.objects.exists()
