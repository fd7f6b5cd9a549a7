"""
The zone a page shows times in, without a query per request: the person's choice is read
once, at sign-in (``user_logged_in``), and kept in their session; the account page writes
it there again when they change it. A session from before this existed is filled on its
first request. Another session of the same person (a second device) picks a change up at
its next sign-in. An empty choice follows ``DISPLAY_TIME_ZONE``, whatever it is set to.
"""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import HttpRequest

from .selectors import chosen_zone

SESSION_KEY = "accounts.time_zone"


def remember_zone(request: HttpRequest, user: AbstractBaseUser) -> str:
    """Keep the person's chosen zone ("" for the portal's) in their session; returns it."""
    zone = chosen_zone(user)
    request.session[SESSION_KEY] = zone
    return zone


@receiver(user_logged_in, dispatch_uid="accounts.remember_zone")
def _remember_zone_at_sign_in(sender, request: HttpRequest | None, user, **kwargs) -> None:
    if request is not None and hasattr(request, "session"):
        remember_zone(request, user)


def request_zone(request: HttpRequest) -> ZoneInfo:
    """The zone this request's pages show: the signed-in person's, else the portal's."""
    name: str | None = ""
    if request.user.is_authenticated:
        name = request.session.get(SESSION_KEY)
        if name is None:
            name = remember_zone(request, request.user)
    try:
        return ZoneInfo(name or settings.DISPLAY_TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):  # a zone the machine's tz database dropped
        return ZoneInfo(settings.DISPLAY_TIME_ZONE)
