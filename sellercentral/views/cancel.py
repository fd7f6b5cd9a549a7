"""
Seller Central → an order's Cancel order / Cancel items → review → Confirm.

Thin adapters: read through selectors scoped to the signed-in seller (another seller's
order is a 404; a user without a store gets 403), write through one
``cancellations`` service, and turn its refusals into form errors or messages. GET
never changes anything; every change is a POST with CSRF.
"""

import uuid
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from cancellations import selectors
from cancellations.forms import SellerCancelForm, SellerConfirmCancelForm
from cancellations.models import Cancellation, CancellationRequest, Reason
from cancellations.money import money_outcome
from cancellations.rules import (
    counts_against_seller,
    no_inventory_limit,
    requested_units,
    seller_can_cancel,
)
from cancellations.services.common import AlreadyDone, CancellationError
from cancellations.services.seller import cancel_as_seller
from orders.actors import Actor, signed_in_user
from orders.models import ActorRole, Order, OrderLine

from .order import SellerOrderMixin


class OpenOrderMixin(SellerOrderMixin):
    """The seller's order with something left to cancel, and the buyer's pending request."""

    nothing_left_level = messages.INFO

    def load(self, request: HttpRequest) -> HttpResponse | None:
        """Read the order; its seller page, with why, when nothing is left to cancel."""
        self.order = self.get_order()
        self.lines, self.pending = open_lines_and_request(self.order)
        if not self.lines:
            messages.add_message(
                request, self.nothing_left_level, "Nothing in this order is left to cancel."
            )
            return redirect(self.order.get_seller_url())
        return None


class SellerCancelView(OpenOrderMixin, View):
    """
    Cancel order (every open unit ticked) or, with ``choose_all=False``, Cancel items
    (none ticked): one page, titled for what it starts with.
    """

    template_name = "sellercentral/cancel.html"
    http_method_names = ["get", "post"]
    choose_all = True

    def get(self, request: HttpRequest, number: str) -> HttpResponse:
        if gone := self.load(request):
            return gone
        order, lines, pending = self.order, self.lines, self.pending
        form = SellerCancelForm(
            lines=lines, requested=preselected_units(pending), choose_all=self.choose_all
        )
        return render(request, self.template_name, self.page_context(order, form, pending))

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        """Validate the choices and show the review page (nothing changes yet)."""
        if gone := self.load(request):
            return gone
        order, lines, pending = self.order, self.lines, self.pending
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
        return render(request, "sellercentral/cancel_review.html", context)

    def page_context(
        self, order: Order, form: SellerCancelForm, pending: CancellationRequest | None
    ) -> dict[str, Any]:
        return {"order": order, "form": form, "pending": pending, "items_only": not self.choose_all}


def open_lines_and_request(order: Order) -> tuple[list[OrderLine], CancellationRequest | None]:
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


def review_context(
    order: Order, form: SellerCancelForm, pending: CancellationRequest | None
) -> dict[str, Any]:
    chosen = form.chosen()
    amount = sum(line.unit_price * qty for line, qty in chosen)
    reason = form.cleaned_data["reason"]
    goes_off_sale: set[int] = set()
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


class SellerConfirmCancelView(OpenOrderMixin, View):
    http_method_names = ["post"]  # GET on the confirm URL: 405, nothing changes
    nothing_left_level = messages.ERROR  # what the seller reviewed is gone: an error

    def post(self, request: HttpRequest, number: str) -> HttpResponse:
        if gone := self.load(request):
            return gone
        order, lines, pending = self.order, self.lines, self.pending
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
                actor=Actor.seller(signed_in_user(request)),
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
