"""What the other apps ask about an account."""

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from .closing import Blocker, blockers
from .models import Address, Profile

# The zones read ahead for a batch of emails (``zones_read_ahead``): user id → chosen zone.
_zones_read: ContextVar[dict[int, str] | None] = ContextVar("zones_read", default=None)


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
    read = _zones_read.get()
    if read is not None and user.pk in read:
        return read[user.pk]
    chosen = Profile.objects.filter(user_id=user.pk).values_list("time_zone", flat=True).first()
    return chosen or ""


@contextmanager
def zones_read_ahead(user_ids: Iterable[int]) -> Iterator[None]:
    """
    For a writer of many emails at once (a batch of cancellations): the zones these
    people chose are read in one query, and ``chosen_zone`` answers from it inside the
    block instead of asking once per recipient.
    """
    ids = set(user_ids)
    read = dict.fromkeys(ids, "")
    read.update(
        (user_id, zone or "")
        for user_id, zone in Profile.objects.filter(user_id__in=ids).values_list(
            "user_id", "time_zone"
        )
    )
    token = _zones_read.set(read)
    try:
        yield
    finally:
        _zones_read.reset(token)


def addresses_of(user: AbstractBaseUser) -> QuerySet[Address]:
    """The person's saved addresses, the default one first, then the newest."""
    return Address.objects.filter(user_id=user.pk)


def closing_blockers(user: AbstractBaseUser) -> list[Blocker]:
    """What keeps the account open (none: it may close), from every app that registered."""
    return blockers(user)  # type: ignore[arg-type]
