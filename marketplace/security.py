"""
Who is asking (the client's address, as far as the deployment lets us trust it), which
account a sign-in names, and how many sign-ins one address may fail.
"""

import ipaddress

from axes.attempts import get_cool_off_threshold
from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Q, Sum
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """
    The address of the client, for sign-in throttling (django-axes).

    X-Forwarded-For is written by the client too, so only the entries the trusted
    proxies appended are believed: with ``TRUSTED_PROXY_COUNT`` = N, the client is the
    N-th entry from the right. With no trusted proxy, or a header shorter than that,
    or an entry that is not an address, it is the address that connected to us.
    """
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        hops = [hop for hop in hops if hop]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass
    return request.META.get("REMOTE_ADDR")


def login_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """
    The account a sign-in attempt names, for django-axes' count (``AXES_USERNAME_CALLABLE``).

    The sign-in form takes a username or an email in one field, and django-allauth
    authenticates with ``username=`` or ``email=``. An email that belongs to an account
    counts as that account's username, so failures by email and by username add up to
    one count; an email of no account counts as itself, lower-cased. Without
    credentials (axes asking before authenticating) the posted field is read.
    """
    if credentials:
        login = credentials.get("username") or credentials.get("email") or ""
    else:
        data = getattr(request, "data", request.POST)
        login = data.get("login") or data.get("username") or ""
    login = login.strip()
    if "@" not in login:
        return login or None
    username = (
        get_user_model()
        .objects.filter(
            Q(username=login) | Q(emailaddress__email__iexact=login) | Q(email__iexact=login)
        )
        .values_list("username", flat=True)
        .order_by("pk")
        .first()
    )
    return username or login.lower()


class AddressCapHandler(AxesDatabaseHandler):
    """
    django-axes' database handler, plus a cap per address across all usernames.

    Axes counts failures per username and address (``AXES_LOCKOUT_PARAMETERS``), so
    an owner signing in from elsewhere is never locked out by someone else's guesses.
    That alone lets one address try a password against every username, a few times
    each. So the address is also locked, for the same cool-off, once its failures
    over all usernames reach ``AXES_ADDRESS_FAILURE_LIMIT``. The count is per address
    only: an owner at another address is never touched by it. A success clears only
    that user's own count, so signing in to one's own account does not reopen the
    address for more guesses.
    """

    def is_locked(self, request, credentials=None) -> bool:
        return super().is_locked(request, credentials) or self._address_capped(request)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is None or request.axes_locked_out or self.is_whitelisted(request, credentials):
            return
        if self._address_capped(request):
            # As axes does when a username's limit is reached: this very attempt is
            # answered with the lock-out page, and the signal is sent once.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send(
                "axes",
                request=request,
                username=get_client_username(request, credentials),
                ip_address=request.axes_ip_address,
            )

    def _address_capped(self, request) -> bool:
        address = getattr(request, "axes_ip_address", None)
        # axes.conf sets its defaults on settings when it is imported, out of mypy's sight.
        if not settings.AXES_LOCK_OUT_AT_FAILURE or not address:  # type: ignore[misc]
            return False
        attempts = AccessAttempt.objects.filter(ip_address=address)
        if settings.AXES_COOLOFF_TIME is not None:
            attempts = attempts.filter(attempt_time__gte=get_cool_off_threshold(request))
        failures = attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0
        return failures >= settings.AXES_ADDRESS_FAILURE_LIMIT
