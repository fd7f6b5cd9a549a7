"""
Seller Central's own pages: the home (what needs the seller, then account health and
insights), Orders (filters, search, the bulk cancel's ticks) and Messages (the buyers
waiting for an answer). The order pages, the requests queue and the bulk cancel's
review stay with the apps that own them (``orders``, ``cancellations``).

Thin adapters: read through selectors scoped to the signed-in seller (a user without
a store gets 403); nothing here writes.
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from core import fragments
from orders import selectors
from orders.filters import SellerOrderFilter, SellerOrderStatus
from orders.fragments import order_facts
from orders.models import Order
from orders.panels import seller_row_marks

from . import health

# The health figures' windows slide with time alone: computed afresh at least this often
# (and at once after any change to what they count), and the page says as of when.
HEALTH_REFRESH_SECONDS = 300
ORDERS_PER_PAGE = 25

# The orders to ship, as the home page counts them: each a status pill of the order list.
TO_SHIP = [
    (SellerOrderStatus.LATE, "late"),
    (SellerOrderStatus.UNSHIPPED, "unshipped"),
    (SellerOrderStatus.PREPARING, "preparing"),
    (SellerOrderStatus.PARTIALLY_SHIPPED, "partially shipped"),
]


def health_section(seller: Seller) -> SafeString:
    """Account health and insights, cached under what they count and the time slot."""
    now = timezone.now()
    return fragments.render_one(
        template="sellercentral/_health.html",
        name="account-health",
        facts=(
            seller.pk,
            *health.health_version(seller),
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
        counts = selectors.order_counts_for_seller(seller=self.seller)
        return super().get_context_data(
            to_ship=[(value, label, counts[value]) for value, label in TO_SHIP if counts[value]],
            health_section=health_section(self.seller),
            **kwargs,
        )


def order_rows(orders: list[Order], *, ticked: bool = False) -> list[SafeString]:
    """
    The order list's rows, each cached under its order's facts, buyer's name, marks,
    whether a buyer message waits (a message does not move the order's version) and
    whether its bulk-cancel box starts ticked ("Select all on this page").
    """
    marks = seller_row_marks(orders)
    return fragments.render_each(
        orders,
        template="sellercentral/_order_row.html",
        name="seller-order-row",
        facts=lambda order: (
            *order_facts(order),
            order.buyer.first_name,
            marks.get(order.pk, ""),
            order.buyer_waiting_since is not None,
            ticked,
        ),
        context=lambda order: {
            "order": order,
            "marks": marks.get(order.pk, ""),
            "message_waiting": order.buyer_waiting_since is not None,
            "ticked": ticked,
        },
        prepare=selectors.prepare_cards,
    )


class SellerOrdersView(SellerRequiredMixin, TemplateView):
    """
    The seller's orders, newest first: status pills with their counts, a search, and
    the ticks the bulk cancel (``cancellations``) reviews.
    """

    template_name = "sellercentral/orders.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filterset = selectors.seller_order_filter(seller=self.seller, filters=self.request.GET)
        counts = selectors.order_counts_for_seller(seller=self.seller)
        page = self.get_page(filterset, counts)
        if filterset.is_bound and not filterset.is_valid():
            status = None  # no tab is current while the filters are wrong
        else:
            status = filterset.form.cleaned_data.get("status", "") if filterset.is_bound else ""
        status_tabs = [("", "All", counts["all"])] + [
            (value, label, counts[value]) for value, label in SellerOrderStatus.pills
        ]
        late_tab = (SellerOrderStatus.LATE, "Late", counts[SellerOrderStatus.LATE])
        # "Select all on this page" is a link (it works without JavaScript) that names the
        # page it ticks: a page link that keeps it opens another page unticked.
        all_ticked = self.request.GET.get("select") == str(page.number)
        return super().get_context_data(
            filterset=filterset,
            status=status,
            status_tabs=status_tabs,
            late_tab=late_tab,
            page_obj=page,
            orders=page.object_list,
            all_ticked=all_ticked,
            rows=order_rows(list(page.object_list), ticked=all_ticked),
            **kwargs,
        )

    def get_page(self, filterset: SellerOrderFilter, counts: dict[str, int]) -> Page:
        paginator = Paginator(filterset.matching(), ORDERS_PER_PAGE)
        if not filterset.is_bound:
            paginator.count = counts["all"]  # the pills' query counted them already
        return paginator.get_page(self.request.GET.get("page"))


class SellerMessagesView(SellerRequiredMixin, TemplateView):
    """The seller's orders whose buyer waits for an answer, the one due first on top."""

    template_name = "sellercentral/messages.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            threads=selectors.waiting_threads_for_seller(seller=self.seller),
            answer_hours=selectors.MESSAGE_ANSWER_HOURS,
            **kwargs,
        )
