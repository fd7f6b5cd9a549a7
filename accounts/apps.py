from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """
    A person's account beyond signing in (django-allauth does that): their name, display
    time zone, saved shipping addresses, and closing the account.
    """

    name = "accounts"

    def ready(self) -> None:
        # Keeps the person's display time zone in their session from sign-in on.
        from . import time_zones  # noqa: F401
