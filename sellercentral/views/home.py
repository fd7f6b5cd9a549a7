"""
Seller Central's home: what needs the seller (requests and messages waiting, orders to
ship), then account health and insights.

A thin adapter: reads through selectors scoped to the signed-in seller (a user without
a store gets 403); nothing here writes. Served from the page cache (core.pagecache):
everything it shows is an aggregate, so its key is what they are computed from.
"""

from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from core import fragments, pagecache
from orders import selectors
from orders.changelog import seller_version
from orders.filters import SellerOrderStatus

from .. import health

# The health figures' windows slide with time alone: computed afresh at least this often
# (and at once after any change to what they count), and the page says as of when.
HEALTH_REFRESH_SECONDS = 300

# The orders to ship, as the home page counts them: each a status pill of the order list.
TO_SHIP = [
    (SellerOrderStatus.LATE, "late"),
    (SellerOrderStatus.UNSHIPPED, "unshipped"),
    (SellerOrderStatus.PREPARING, "preparing"),
    (SellerOrderStatus.PARTIALLY_SHIPPED, "partially shipped"),
]


def health_section(seller: Seller, version: tuple[object, ...]) -> SafeString:
    """
    Account health and insights, cached under what they count (``version``, from
    ``health.health_version``) and the time slot.
    """
    now = timezone.now()
    slot = int(now.timestamp()) // HEALTH_REFRESH_SECONDS
    # A page showing the figures changes when the slot ends: they are computed afresh.
    pagecache.expires(datetime.fromtimestamp((slot + 1) * HEALTH_REFRESH_SECONDS, UTC))
    return fragments.render_one(
        template="sellercentral/_health.html",
        name="account-health",
        facts=(seller.pk, *version, slot),
        context=lambda: {"health": health.account_health(seller, now), "as_of": now},
    )


class SellerHomeView(SellerRequiredMixin, TemplateView):
    """
    Seller Central home: what needs the seller (requests and messages waiting, from
    the nav badges' counts; orders to ship), then account health and what causes the
    cancellations.
    """

    template_name = "sellercentral/home.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """
        The page from the cache while nothing of the seller's orders (what waits for
        them, the orders to ship, what the figures are computed from) nor of their
        listings (the insights' titles) has changed: the seller's version, in every
        seller page's key (orders.changelog); until the figures' slot ends or an order to
        ship turns late.
        """
        return pagecache.serve(
            request,
            name="seller_home",
            versions=lambda: str(seller_version(request, self.seller.pk)),
            render=lambda: self.render_to_response(self.get_context_data(**kwargs)),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        version = health.health_version(self.seller)
        counts = selectors.order_counts_as_of(
            seller=self.seller, latest_change=health.latest_order_change(version)
        )
        return super().get_context_data(
            to_ship=[(value, label, counts[value]) for value, label in TO_SHIP if counts[value]],
            health_section=health_section(self.seller, version),
            **kwargs,
        )
