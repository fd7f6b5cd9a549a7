"""
accounts.adapter: django-allauth's emails are rendered from the portal's templates and
queued in the outbox, sent after commit like every other email, never inline.
"""

import pytest
from django.core import mail
from django.urls import reverse

from notifications.models import OutboxMessage
from tests.factories import PASSWORD, UserFactory

from .conftest import NEW_PASSWORD, link_in, queued_emails, sign_up

pytestmark = pytest.mark.django_db


def test_an_account_email_is_queued_in_the_outbox_not_sent_inline(client):
    """
    Given a stranger signing up, when the request ends (its transaction not yet
    committed, so nothing is published), then the confirmation is an outbox row in the
    portal's words, with text and HTML, and no email has been sent.
    """
    sign_up(client)

    assert mail.outbox == []
    (message,) = OutboxMessage.objects.all()
    assert message.status == OutboxMessage.Status.PENDING
    assert message.payload["to"] == ["nell@example.com"]
    assert message.payload["subject"] == "Confirm your email address"
    assert "Welcome to Marketplace, nell." in message.payload["body"]
    assert link_in(message.payload, "/accounts/confirm-email/")
    assert "Confirm your email address</a>" in message.payload["html"]


def test_the_queued_email_is_sent_once_the_sign_up_commits(
    client, django_capture_on_commit_callbacks
):
    """Given the sign-up's commit, then the outbox delivers its email (text and HTML)."""
    with django_capture_on_commit_callbacks(execute=True):
        sign_up(client)

    (sent,) = mail.outbox
    assert sent.to == ["nell@example.com"]
    assert sent.subject == "Confirm your email address"
    assert sent.alternatives[0].mimetype == "text/html"
    assert OutboxMessage.objects.get().status == OutboxMessage.Status.DELIVERED


def test_a_change_to_the_account_is_told_to_its_owner_by_name(client):
    """
    Given a signed-in user changing their password, then an email tells them so, naming
    the account and how to take it back if it was not them.
    """
    user = UserFactory(username="bea")
    client.force_login(user)

    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password(NEW_PASSWORD)
    (email,) = queued_emails("bea@example.com")
    assert email["subject"] == "Your Marketplace password was changed"
    assert "The password of your Marketplace account bea was changed." in email["body"]
    assert link_in(email, reverse("account_reset_password"))
