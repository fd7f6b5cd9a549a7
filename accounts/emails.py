"""
An email to a person, rather than to an address: it goes to their email and shows times
in their display zone (docs/DESIGN.md §16). The apps above write their emails through
this; ``notifications`` itself knows nothing of accounts (same floor).
"""

from django.contrib.auth.models import AbstractBaseUser

from notifications.emails import queue_email

from .selectors import display_zone


def queue_email_to(user: AbstractBaseUser, *, template: str, context: dict) -> None:
    """Queue ``template`` for ``user`` (nothing when they have no email address)."""
    address = getattr(user, user.get_email_field_name(), "")
    if address:
        queue_email(to=[address], template=template, context=context, time_zone=display_zone(user))
