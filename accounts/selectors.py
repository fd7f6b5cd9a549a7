"""What the other apps ask about an account."""

from allauth.account.models import EmailAddress
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser


def has_verified_email(user: AbstractBaseUser | AnonymousUser) -> bool:
    """
    Whether the person confirmed an email address (the link sign-up sends): a first
    order and opening a store wait for it, so neither is done in someone else's name.
    """
    return bool(
        user.is_authenticated and EmailAddress.objects.filter(user=user, verified=True).exists()
    )
