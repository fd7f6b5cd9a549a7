"""
The only writers of a person's account data: name, display time zone, saved addresses,
closing the account (docs/DESIGN.md §16). Each runs in its own transaction and locks the
person's ``auth.User`` row first, so two tabs changing the default address, or a checkout
racing the closing of the account, take turns.
"""

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from . import closing
from .emails import queue_email_to
from .models import Address, Profile, validate_time_zone

# Enough for home, work and family; a bound keeps the page and checkout's list short.
MAX_ADDRESSES = 20


class AccountError(Exception):
    """A rule said no. The message is for the person who asked."""


class AccountHasOpenThings(AccountError):
    """The account cannot close yet: ``blockers`` say what is still open, with links."""

    def __init__(self, blockers: list[closing.Blocker]):
        super().__init__("Your account cannot be closed while something is still open.")
        self.blockers = blockers


def _lock_user(user_id: int) -> User:
    user = get_user_model().objects.select_for_update().get(pk=user_id)
    if not user.is_active:
        raise AccountError("This account is closed.")
    return user


@transaction.atomic
def update_name(*, user_id: int, first_name: str, last_name: str) -> User:
    user = _lock_user(user_id)
    user.first_name, user.last_name = first_name.strip(), last_name.strip()
    user.save(update_fields=["first_name", "last_name"])
    return user


@transaction.atomic
def set_time_zone(*, user_id: int, time_zone: str) -> Profile:
    """The zone pages and emails show times in; "" for the portal's ``DISPLAY_TIME_ZONE``."""
    validate_time_zone(time_zone)
    user = _lock_user(user_id)
    profile, _created = Profile.objects.update_or_create(
        user=user, defaults={"time_zone": time_zone}
    )
    return profile


@transaction.atomic
def save_address(
    *,
    user_id: int,
    name: str,
    line1: str,
    city: str,
    postcode: str,
    country: str,
    line2: str = "",
    state: str = "",
    address_id: int | None = None,
) -> Address:
    """
    Add a saved address (``address_id`` None) or change one of the person's own
    (Address.DoesNotExist for anyone else's). The first address becomes the default;
    adding one already saved, word for word, returns that one.
    """
    user = _lock_user(user_id)
    fields = {
        "name": name,
        "line1": line1,
        "line2": line2,
        "city": city,
        "state": state,
        "postcode": postcode,
        "country": country,
    }
    mine = Address.objects.filter(user=user)
    if address_id is not None:
        address = mine.get(pk=address_id)
        for field, value in fields.items():
            setattr(address, field, value)
        address.save()
        return address
    if same := mine.filter(**fields).first():
        return same
    if mine.count() >= MAX_ADDRESSES:
        raise AccountError(f"You can save at most {MAX_ADDRESSES} addresses: delete one first.")
    return Address.objects.create(user=user, is_default=not mine.exists(), **fields)


@transaction.atomic
def make_default_address(*, user_id: int, address_id: int) -> Address:
    """Checkout chooses this address first. Address.DoesNotExist for anyone else's."""
    user = _lock_user(user_id)
    address = Address.objects.get(pk=address_id, user=user)
    # One default per person (a unique constraint): clear the old one first.
    Address.objects.filter(user=user, is_default=True).exclude(pk=address.pk).update(
        is_default=False
    )
    if not address.is_default:
        address.is_default = True
        address.save(update_fields=["is_default"])
    return address


@transaction.atomic
def delete_address(*, user_id: int, address_id: int) -> None:
    """
    Delete one of the person's addresses (Address.DoesNotExist for anyone else's); orders
    keep their own copy. When it was the default, the newest left becomes the default.
    """
    user = _lock_user(user_id)
    address = Address.objects.get(pk=address_id, user=user)
    address.delete()
    if address.is_default and (newest := Address.objects.filter(user=user).first()):
        newest.is_default = True
        newest.save(update_fields=["is_default"])


@transaction.atomic
def close_account(*, user_id: int) -> User:
    """
    Close the account for good: refused (AccountHasOpenThings) while the person has an
    open order, request or case; otherwise the apps above run their steps (orders keep
    their numbers, lines and amounts but lose the buyer's name and street; a store's
    listings go off sale), the person is emailed, and their personal data goes: name,
    email addresses, saved addresses, password. The row stays (orders point at it) as
    "closed-<id>", inactive, so every session of theirs ends on its next request.
    """
    user = _lock_user(user_id)
    # The steps first, the check after, all in this transaction: the store's listings
    # are off sale (and a checkout still holding them has committed) before we look for
    # open orders, so none can slip in between; a refusal rolls the steps back.
    closing.run_steps(user)
    if blockers := closing.blockers(user):
        raise AccountHasOpenThings(blockers)
    now = timezone.now()
    queue_email_to(
        user,
        template="accounts/emails/account_closed",
        context={"username": user.get_username(), "closed_at": now},
    )
    Profile.objects.update_or_create(user=user, defaults={"closed_at": now, "time_zone": ""})
    Address.objects.filter(user=user).delete()
    EmailAddress.objects.filter(user=user).delete()
    user.username = f"closed-{user.pk}"
    user.email = user.first_name = user.last_name = ""
    user.is_active = False
    user.set_unusable_password()
    user.save()
    return user
