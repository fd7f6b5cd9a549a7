from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import timezone


class DisplayTimeZoneMiddleware:
    """
    Show dates and times in ``DISPLAY_TIME_ZONE`` (the buyers' and sellers' zone; the
    database and the jobs keep UTC). One setting for now; a per-user zone would be
    chosen here.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.activate(ZoneInfo(settings.DISPLAY_TIME_ZONE))
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
