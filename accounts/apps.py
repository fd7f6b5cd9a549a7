from django.apps import AppConfig


class AccountsConfig(AppConfig):
    """
    A person's account beyond signing in (django-allauth does that): their name, display
    time zone, saved shipping addresses, and closing the account.
    """

    name = "accounts"
