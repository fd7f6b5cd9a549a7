"""Who is asking: the client's address, as far as the deployment lets us trust it."""

import ipaddress

from django.conf import settings
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
