"""
Seller Central → Orders: the list, newest first, with its status pills, search and the
bulk cancel's ticks (the review and Confirm are in ``bulk_cancel``).

A thin adapter: reads through selectors scoped to the signed-in seller (a user without
a store gets 403); nothing here writes. Served from the page cache (core.pagecache)
while the orders it shows, their counts and the number of matches are as they were.
"""

from typing import Any

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.views.generic import TemplateView

from catalog.access import SellerRequiredMixin
from core import fragments, pagecache
from core.formatting import today_ends
from orders import selectors
from orders.changelog import seller_version
from orders.filters import SellerOrderFilter, SellerOrderStatus
from orders.fragments import order_facts
from orders.models import Order
from orders.panels import seller_row_marks

ORDERS_PER_PAGE = 25


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
    the ticks the bulk cancel reviews.
    """

    template_name = "sellercentral/orders.html"

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        """
        The page from the cache while none of the seller's orders, nor anything of theirs,
        has changed (the seller's version, orders.changelog: the pills' counts, which
        orders match and how they show all follow from them) and none of its deadlines
        has passed (an order turning late moves a row and the "Late" count).
        """
        return pagecache.serve(
            request,
            name="seller_orders",
            versions=lambda: str(seller_version(request, self.seller.pk)),
            render=lambda: self.render_to_response(self.get_context_data(**kwargs)),
        )

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        filterset = selectors.seller_order_filter(seller=self.seller, filters=self.request.GET)
        counts = selectors.order_counts_for_seller(seller=self.seller)
        page = self.get_page(filterset, counts)
        pagecache.expires(today_ends(timezone.now()))  # the rows' "Today" (late badges: theirs)
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
