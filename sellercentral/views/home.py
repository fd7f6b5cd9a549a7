"""
Seller Central's home: what needs the seller (requests and messages waiting, orders to
ship), then account health and insights.

A thin adapter: reads through selectors scoped to the signed-in seller (a user without
a store gets 403); nothing here writes.
"""

from typing import Any

from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from core import fragments
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
    return fragments.render_one(
        template="sellercentral/_health.html",
        name="account-health",
        facts=(
            seller.pk,
            *version,
            int(now.timestamp()) // HEALTH_REFRESH_SECONDS,
        ),
        context=lambda: {"health": health.account_health(seller, now), "as_of": now},
    )


class SellerHomeView(SellerRequiredMixin, TemplateView):
    """
    Seller Central home: what needs the seller (requests and messages waiting, from
    the nav badges' counts; orders to ship), then account health and what causes the
    cancellations.
    """

    template_name = "sellercentral/home.html"

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
