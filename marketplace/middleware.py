from django.utils import timezone
from django.utils.cache import patch_cache_control

from accounts.time_zones import request_zone


class DisplayTimeZoneMiddleware:
    """
    Show dates and times in the signed-in person's zone (chosen on the account page,
    kept in the session: no query per request), else ``DISPLAY_TIME_ZONE``; the
    database and the jobs keep UTC (docs/DESIGN.md §16).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(request_zone(request))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


class PrivatePagesMiddleware:
    """
    A page served to a signed-in user is theirs alone (their orders, amounts, address):
    ``Cache-Control: private, no-store`` keeps it out of shared caches (a proxy, a CDN)
    and off the disk of a shared computer's browser. A view that set its own
    Cache-Control (Django admin's ``never_cache``) keeps it. Anonymous pages (the
    storefront) are left as they are.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not response.has_header("Cache-Control"):
            patch_cache_control(response, private=True, no_store=True)
        return response
