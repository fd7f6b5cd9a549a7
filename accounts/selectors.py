"""What the other apps ask about an account."""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .closing import Blocker, blockers
from .models import Address, Profile


def has_verified_email(user: AbstractBaseUser | AnonymousUser) -> bool:
    """
    Whether the person confirmed an email address (the link sign-up sends): a first
    order and opening a store wait for it, so neither is done in someone else's name.
    """
    return bool(
        user.is_authenticated and EmailAddress.objects.filter(user=user, verified=True).exists()
    )


def display_zone(user: AbstractBaseUser | AnonymousUser) -> str:
    """
    The IANA zone the person reads dates and times in: the one they chose on the
    account page, else the portal's ``DISPLAY_TIME_ZONE``. Pages keep the choice in the
    session (``accounts.time_zones``); emails ask here, once per recipient.
    """
    return chosen_zone(user) or settings.DISPLAY_TIME_ZONE


def chosen_zone(user: AbstractBaseUser | AnonymousUser) -> str:
    """The zone the person chose on the account page; "" for the portal's."""
    if not user.is_authenticated:
        return ""
    chosen = Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return chosen or ""


def addresses_of(user: AbstractBaseUser) -> QuerySet[Address]:
    """The person's saved addresses, the default one first, then the newest."""
    return Address.objects.filter(user_id=user.pk)


def closing_blockers(user: AbstractBaseUser) -> list[Blocker]:
    """What keeps the account open (none: it may close), from every app that registered."""
    return blockers(user)  # type: ignore[arg-type]
