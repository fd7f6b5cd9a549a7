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
        The page from the cache while what its figures are computed from (the health's
        version, one query), the orders to ship (their counts' own cache) and the store's
        name (the sub-navigation's) are as they were, until the figures' slot ends; the
        waiting requests, messages and returns are the nav badges, in every page's key.
        No row is shown as such: nothing to digest.
        """
        self.version = health.health_version(self.seller)
        counts = selectors.order_counts_as_of(
            seller=self.seller, latest_change=health.latest_order_change(self.version)
        )
        self.to_ship = [(value, label, counts[value]) for value, label in TO_SHIP if counts[value]]
        return pagecache.serve(
            request,
            name="seller_home",
            versions=lambda: "",  # the facts say it all
            render=lambda: self.render_to_response(self.get_context_data(**kwargs)),
            facts=(self.seller.store_name, *self.version, *self.to_ship),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            to_ship=self.to_ship,
            health_section=health_section(self.seller, self.version),
            **kwargs,
        )
