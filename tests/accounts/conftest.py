import re

from django.urls import reverse

from notifications.emails import EMAIL
from notifications.models import OutboxMessage
from tests.factories import PASSWORD

LINK = re.compile(r"https?://\S+")
NEW_PASSWORD = "a brand new passphrase 42"


def sign_up(client, email="nell@example.com", username="nell"):
    """Post the sign-up form as a stranger would."""
    return client.post(
        reverse("account_signup"),
        {"email": email, "username": username, "password1": PASSWORD, "password2": PASSWORD},
    )


def queued_emails(to: str) -> list[dict]:
    """The payloads of the emails queued in the outbox for ``to``, oldest first."""
    return [
        message.payload
        for message in OutboxMessage.objects.filter(kind=EMAIL).order_by("pk")
        if to in message.payload["to"]
    ]


def link_in(payload: dict, path_start: str) -> str:
    """The path of the one link in an email's text that starts with ``path_start``."""
    paths = [re.sub(r"^https?://[^/]+", "", url) for url in LINK.findall(payload["body"])]
    (path,) = [path for path in paths if path.startswith(path_start)]
    return path
