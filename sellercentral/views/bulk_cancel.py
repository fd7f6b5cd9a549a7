"""
Seller Central → Orders → the bulk cancel: the ticked orders' review (what Confirm would
do to each, and which are left out and why), then Confirm and its summary.

Thin adapters: read through selectors scoped to the signed-in seller (a user without a
store gets 403), write through one ``cancellations`` service, and turn its refusals
into messages on the order list.
"""

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from cancellations import selectors
from cancellations.forms import BulkCancelForm, BulkConfirmCancelForm
from cancellations.models import Reason
from cancellations.money import MoneyMove, money_move
from cancellations.rules import counts_against_seller, no_inventory_limit, seller_can_cancel
from cancellations.services.seller import bulk_cancel_orders
from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from orders.actors import Actor, signed_in_user
from orders.models import ActorRole, Order, OrderLine, OrderStatus
from payments.models import Payment


class BulkCancelView(SellerRequiredMixin, View):
    """The order list's "Review cancellation": what Confirm would do to each ticked order."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkCancelForm(request.POST)
        if not form.is_valid():
            report_errors(request, form)
            return redirect(orders_list_url(request))
        context = bulk_review_context(self.seller, form)
        context["query"] = request.POST.get("query", "")
        context["back_url"] = orders_list_url(request)
        return render(request, "sellercentral/bulk_review.html", context)


@dataclass(frozen=True)
class BulkReviewRow:
    """One ticked order Confirm would cancel: its open units, their money and stock."""

    order: Order
    chosen: list[tuple[OrderLine, int, bool]]  # (line, units left to cancel, goes off sale)
    units: int
    amount: Decimal
    money: str

    @property
    def seen(self) -> str:
        """What the review shows, for the Confirm form to carry: "line id:units,…"."""
        return ",".join(f"{line.pk}:{units}" for line, units, _off in self.chosen)


# Why an order the seller ticked is left out of the bulk cancel, by its state.
LEFT_OUT_BECAUSE = {
    OrderStatus.SHIPPED: "It has shipped: nothing is left to cancel.",
    OrderStatus.DELIVERED: "It was delivered: nothing is left to cancel.",
    OrderStatus.CANCELLED: "It is cancelled already.",
}


def bulk_review_context(seller: Seller, form: BulkCancelForm) -> dict[str, Any]:
    """
    Each ticked order Confirm would cancel (every unit not shipped), and those it leaves
    out and why: not the seller's, nothing left to cancel, or a buyer's request waiting
    for an answer (a request is answered whole, on the order's page).
    """
    reason = form.cleaned_data["reason"]
    cancellable, left_out = sort_bulk_orders(seller, form.cleaned_data["orders"])
    off_sale = listings_going_off_sale(reason, cancellable)
    rows = [bulk_review_row(order, lines, off_sale) for order, lines in cancellable]
    return {
        "rows": rows,
        "left_out": left_out,
        "units": sum(row.units for row in rows),
        "amount": sum((row.amount for row in rows), Decimal(0)),
        "reason": reason,
        "reason_label": Reason(reason).label,
        "no_inventory": reason == Reason.NO_INVENTORY,
        # No reviewed order has a buyer's request (those are left out): the reason decides.
        "counts": counts_against_seller(
            reason=reason, initiator=ActorRole.SELLER, has_request=False
        ),
        "note": form.cleaned_data["note"],
        "idempotency_key": uuid.uuid4().hex,
    }


def sort_bulk_orders(
    seller: Seller, order_ids: list[int]
) -> tuple[list[tuple[Order, list[OrderLine]]], list[tuple[Order | None, str]]]:
    """
    The ticked orders Confirm would cancel, each with its open lines, and those it leaves
    out, each with why.
    """
    orders = selectors.orders_for_bulk_review(seller=seller, order_ids=order_ids)
    requested = selectors.order_ids_with_pending_request(order.pk for order in orders)
    left_out: list[tuple[Order | None, str]] = [
        (None, "It is not one of your orders.") for _missing in range(len(order_ids) - len(orders))
    ]
    cancellable = []
    for order in orders:
        lines = list(order.lines.all())
        if not seller_can_cancel(order, lines):
            because = LEFT_OUT_BECAUSE.get(order.status, "Nothing in it is left to cancel.")
            left_out.append((order, because))
        elif order.pk in requested:
            left_out.append(
                (order, "The buyer has asked to cancel items of it: answer that request first.")
            )
        else:
            cancellable.append((order, [line for line in lines if line.quantity_open]))
    return cancellable, left_out


def bulk_review_row(order: Order, lines: list[OrderLine], off_sale: set[int]) -> BulkReviewRow:
    """One order of the bulk review: its open units, what they come to, the listings going."""
    amount = sum((line.unit_price * line.quantity_open for line in lines), Decimal(0))
    return BulkReviewRow(
        order=order,
        chosen=[(line, line.quantity_open, line.listing_id in off_sale) for line in lines],
        units=sum(line.quantity_open for line in lines),
        amount=amount,
        money=money_effect(order.payment, amount),
    )


def listings_going_off_sale(
    reason: str, cancellable: list[tuple[Order, list[OrderLine]]]
) -> set[int]:
    """
    The listings a "No inventory" bulk cancel takes off sale: those whose cancellations in
    the window, with this one's orders, reach the limit (as ``cancel_as_seller`` counts).
    """
    if reason != Reason.NO_INVENTORY:
        return set()
    strikes, _window = no_inventory_limit()
    orders_per_listing = Counter(
        listing_id
        for _order, lines in cancellable
        for listing_id in {line.listing_id for line in lines}
    )
    before = selectors.recent_no_inventory_cancellations(orders_per_listing)
    return {
        listing_id
        for listing_id, orders in orders_per_listing.items()
        if before.get(listing_id, 0) + orders >= strikes
    }


# What cancelling does to the buyer's money, in the seller's words (``money_outcome``
# words the same moves for the buyer).
SELLER_MONEY_WORDS = {
    MoneyMove.NOTHING: "nothing was charged",
    MoneyMove.UNCHARGED: "not charged: nothing is taken",
    MoneyMove.HOLD: "the hold on the buyer's card is released",
    MoneyMove.REFUND: "refunded to the buyer's card",
}


def money_effect(payment: Payment, amount: Decimal) -> str:
    return SELLER_MONEY_WORDS[money_move(payment, amount)]


class BulkConfirmCancelView(SellerRequiredMixin, View):
    """The bulk review's Confirm: each reviewed order cancelled on its own, then a summary."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest) -> HttpResponse:
        form = BulkConfirmCancelForm(request.POST)
        if not form.is_valid():
            report_errors(request, form)
            return redirect(orders_list_url(request))
        outcomes = bulk_cancel_orders(
            reviewed=form.cleaned_data["reviewed"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=Actor.seller(signed_in_user(request)),
            idempotency_key=form.cleaned_data["idempotency_key"],
        )
        cancelled = [o for o in outcomes if o.cancelled]
        replayed = [o for o in outcomes if o.replayed]
        refused = [o for o in outcomes if not o.cancelled and not o.replayed]
        if cancelled:
            messages.success(
                request,
                f"Cancelled {len(cancelled)} order{'s' if len(cancelled) != 1 else ''}: "
                + ", ".join(o.number for o in cancelled)
                + ". The buyers have been told.",
            )
        if replayed:
            messages.info(
                request,
                "Already cancelled by this same confirmation, nothing more changed: "
                + ", ".join(o.number for o in replayed)
                + ".",
            )
        if refused:
            messages.error(
                request,
                f"Not cancelled ({len(refused)}): "
                + "; ".join(f"{o.number or 'unknown order'}: {o.message}" for o in refused),
            )
        return redirect(orders_list_url(request))


def report_errors(request: HttpRequest, form: Form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, str(error))


def orders_list_url(request: HttpRequest) -> str:
    """Back to the list as the seller left it (its filters), never to another site."""
    url = reverse("sellercentral:orders")
    query = request.POST.get("query", "")
    if query and all(c.isalnum() or c in "=&-_%+." for c in query):
        url += f"?{query}"
    return url
