"""
Seller Central's cancellation pages: the home page (what needs the seller, account
health and insights), Cancel order / Cancel items → review → Confirm, the requests
queue with Approve and Decline, and the order list's bulk cancel → review → Confirm.

Thin adapters, like the buyer's (``views.py``): read through selectors scoped to the
signed-in seller (another seller's order or request is a 404; a user without a store
gets 403), write through one ``services`` call, and turn its refusals into form
errors or messages. GET never changes anything; every change is a POST with CSRF.
"""

import uuid
from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from orders.actors import Actor
from orders.models import ActorRole, Order, OrderLine, OrderStatus
from orders.views.seller import SellerOrderMixin

from . import selectors
from .forms import (
    BulkCancelForm,
    BulkConfirmCancelForm,
    DeclineRequestForm,
    SellerCancelForm,
    SellerConfirmCancelForm,
)
from .models import Cancellation, CancellationRequest, Reason
from .money import MoneyMove, money_move, money_outcome
from .rules import (
    counts_against_seller,
    no_inventory_limit,
    requested_units,
    seller_can_cancel,
)
from .services.common import AlreadyDone, CancellationError
from .services.requests import approve_request, decline_request
from .services.seller import bulk_cancel_orders, cancel_as_seller

MAX_ID = 2**63 - 1


# --- Cancel order / Cancel items → review → Confirm ------------------------------------------
class SellerCancelView(SellerOrderMixin, View):
    """
    Cancel order (every open unit ticked) or, with ``choose_all=False``, Cancel items
    (none ticked): one page, titled for what it starts with.
    """

    template_name = "cancellations/seller_cancel.html"
    http_method_names = ["get", "post"]
    choose_all = True

    def get(self, request, number):
        order = self.get_order()
        lines, pending = open_lines_and_request(order)
        if not lines:
            messages.info(request, "Nothing in this order is left to cancel.")
            return redirect(order.get_seller_url())
        form = SellerCancelForm(
            lines=lines, requested=preselected_units(pending), choose_all=self.choose_all
        )
        return render(request, self.template_name, self.page_context(order, form, pending))

    def post(self, request, number):
        """Validate the choices and show the review page (nothing changes yet)."""
        order = self.get_order()
        lines, pending = open_lines_and_request(order)
        if not lines:
            messages.info(request, "Nothing in this order is left to cancel.")
            return redirect(order.get_seller_url())
        form = SellerCancelForm(
            request.POST,
            lines=lines,
            requested=preselected_units(pending),
            choose_all=self.choose_all,
        )
        if not form.is_valid():
            context = self.page_context(order, form, pending)
            return render(request, self.template_name, context, status=400)
        context = review_context(order, form, pending)
        context["change_url"] = request.path
        return render(request, "cancellations/seller_review.html", context)

    def page_context(self, order, form, pending) -> dict:
        return {"order": order, "form": form, "pending": pending, "items_only": not self.choose_all}


def open_lines_and_request(order):
    lines = list(order.lines.all())
    if not seller_can_cancel(order, lines):
        return [], None
    pending = (
        CancellationRequest.objects.filter(order=order, status=CancellationRequest.Status.PENDING)
        .prefetch_related("lines")
        .first()
    )
    return lines, pending


def preselected_units(pending: CancellationRequest | None) -> dict[int, int] | None:
    """What the form pre-selects: the units the pending request asked about, if any."""
    return None if pending is None else requested_units(pending)


def review_context(order, form, pending):
    chosen = form.chosen()
    amount = sum(line.unit_price * qty for line, qty in chosen)
    reason = form.cleaned_data["reason"]
    goes_off_sale = set()
    if reason == Reason.NO_INVENTORY and pending is None:
        strikes, _window = no_inventory_limit()
        before = selectors.recent_no_inventory_cancellations(
            {line.listing_id for line, _qty in chosen}
        )
        goes_off_sale = {listing_id for listing_id, n in before.items() if n + 1 >= strikes}
    return {
        "order": order,
        "pending": pending,
        "chosen": [(line, qty, line.listing_id in goes_off_sale) for line, qty in chosen],
        "units": sum(qty for _line, qty in chosen),
        "amount": amount,
        "money": money_outcome(order.payment, amount),
        "reason": reason,
        "reason_label": Reason(reason).label,
        "no_inventory": reason == Reason.NO_INVENTORY,
        "counts": counts_against_seller(
            reason=reason, initiator=ActorRole.SELLER, has_request=pending is not None
        ),
        "note": form.cleaned_data["note"],
        "idempotency_key": uuid.uuid4().hex,
    }


class SellerConfirmCancelView(SellerOrderMixin, View):
    http_method_names = ["post"]  # GET on the confirm URL: 405, nothing changes

    def post(self, request, number):
        order = self.get_order()
        lines, pending = open_lines_and_request(order)
        if not lines:
            messages.error(request, "Nothing in this order is left to cancel.")
            return redirect(order.get_seller_url())
        form = SellerConfirmCancelForm(
            request.POST, lines=lines, requested=preselected_units(pending)
        )
        if not form.is_valid():
            messages.error(request, "Please check your choices and review them again.")
            context = {"order": order, "form": form, "pending": pending}
            return render(request, SellerCancelView.template_name, context, status=400)
        data = form.cleaned_data
        try:
            cancellation = cancel_as_seller(
                order_id=order.pk,
                quantities=data["quantities"],
                reason=data["reason"],
                note=data["note"],
                actor=Actor.seller(request.user),
                idempotency_key=data["idempotency_key"],
                request_seen=data["request_seen"],
            )
        except AlreadyDone:
            messages.info(request, "That cancellation was already submitted; nothing more changed.")
            return redirect(order.get_seller_url())
        except CancellationError as error:
            form.add_error(None, str(error))
            context = {"order": order, "form": form, "pending": pending}
            return render(request, SellerCancelView.template_name, context, status=409)
        messages.success(request, cancelled_message(cancellation))
        return redirect(order.get_seller_url())


def cancelled_message(cancellation: Cancellation) -> str:
    units = cancellation.units
    counted = (
        "It counts toward your cancellation rate."
        if cancellation.counts_against_seller
        else "It does not count toward your cancellation rate."
    )
    approved = " The buyer's request is approved." if cancellation.request_id else ""
    return (
        f"Cancelled {units} item{'s' if units != 1 else ''} of order "
        f"{cancellation.order.number}.{approved} The buyer has been told. {counted}"
    )


# --- Cancellation requests ------------------------------------------------------------------
class SellerRequestsView(SellerRequiredMixin, View):
    http_method_names = ["get"]

    def get(self, request):
        return requests_page(request, self.seller)


def requests_page(request, seller, *, invalid: dict | None = None, status: int = 200):
    """The queue, oldest first, each with its Decline form (the invalid one with its errors)."""
    invalid = invalid or {}
    rows = [
        (item, invalid.get(item.pk) or DeclineRequestForm(prefix=f"r{item.pk}"))
        for item in selectors.pending_requests_for_seller(seller)
    ]
    return render(request, "cancellations/seller_requests.html", {"requests": rows}, status=status)


class SellerRequestMixin(SellerRequiredMixin):
    """The request named in the URL, on one of the signed-in seller's orders; else 404."""

    def get_request(self) -> CancellationRequest:
        if self.kwargs["request_id"] > MAX_ID:  # past bigint: no such row, not a DB error
            raise Http404("No such cancellation request in your store.")
        try:
            return selectors.request_for_seller(
                seller=self.seller, request_id=self.kwargs["request_id"]
            )
        except CancellationRequest.DoesNotExist:
            raise Http404("No such cancellation request in your store.") from None

    def back(self):
        """Back to where the seller answered from: the queue, or the order page."""
        if self.request.POST.get("from") == "order":
            return redirect(self.get_request().order.get_seller_url())
        return redirect("cancellations:seller_requests")


class ApproveRequestView(SellerRequestMixin, View):
    http_method_names = ["post"]

    def post(self, request, request_id):
        cancellation_request = self.get_request()
        try:
            cancellation = approve_request(
                request_id=cancellation_request.pk, actor=Actor.seller(request.user)
            )
        except CancellationError as error:  # AlreadyDone included: its message says which
            messages.error(request, str(error))
        else:
            messages.success(request, cancelled_message(cancellation))
        return self.back()


class DeclineRequestView(SellerRequestMixin, View):
    http_method_names = ["post"]

    def post(self, request, request_id):
        cancellation_request = self.get_request()
        if cancellation_request.status != CancellationRequest.Status.PENDING:
            messages.info(request, "This request was already answered; nothing changed.")
            return self.back()
        form = DeclineRequestForm(request.POST, prefix=f"r{cancellation_request.pk}")
        if form.is_valid():
            try:
                decline_request(
                    request_id=cancellation_request.pk,
                    note=form.cleaned_data["note"],
                    actor=Actor.seller(request.user),
                )
            except AlreadyDone as error:
                messages.error(request, str(error))
                return self.back()
            except CancellationError as error:
                form.add_error("note", str(error))
            else:
                messages.success(
                    request,
                    f"You declined the request on order {cancellation_request.order.number}. "
                    "The buyer has been told why; ship the order as planned.",
                )
                return self.back()
        return requests_page(
            request, self.seller, invalid={cancellation_request.pk: form}, status=400
        )


# --- Bulk cancel → review → Confirm ---------------------------------------------------------
class BulkCancelView(SellerRequiredMixin, View):
    """The order list's "Review cancellation": what Confirm would do to each ticked order."""

    http_method_names = ["post"]

    def post(self, request):
        form = BulkCancelForm(request.POST)
        if not form.is_valid():
            report_errors(request, form)
            return redirect(orders_list_url(request))
        context = bulk_review_context(self.seller, form)
        context["query"] = request.POST.get("query", "")
        context["back_url"] = orders_list_url(request)
        return render(request, "cancellations/seller_bulk_review.html", context)


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


def bulk_review_context(seller, form) -> dict:
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
    left_out = [
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


def listings_going_off_sale(reason: str, cancellable) -> set[int]:
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


def money_effect(payment, amount: Decimal) -> str:
    return SELLER_MONEY_WORDS[money_move(payment, amount)]


class BulkConfirmCancelView(SellerRequiredMixin, View):
    """The bulk review's Confirm: each reviewed order cancelled on its own, then a summary."""

    http_method_names = ["post"]

    def post(self, request):
        form = BulkConfirmCancelForm(request.POST)
        if not form.is_valid():
            report_errors(request, form)
            return redirect(orders_list_url(request))
        outcomes = bulk_cancel_orders(
            reviewed=form.cleaned_data["reviewed"],
            reason=form.cleaned_data["reason"],
            note=form.cleaned_data["note"],
            actor=Actor.seller(request.user),
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


def report_errors(request, form) -> None:
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def orders_list_url(request) -> str:
    """Back to the list as the seller left it (its filters), never to another site."""
    url = reverse("sellercentral:orders")
    query = request.POST.get("query", "")
    if query and all(c.isalnum() or c in "=&-_%+." for c in query):
        url += f"?{query}"
    return url
