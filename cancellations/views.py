"""
Your Orders → Cancel Items: form → review → Confirm. Works without JavaScript; the
review page carries the choices in hidden fields, and Confirm validates them again
(nothing a browser sends is trusted twice).
"""

import re
import uuid

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views import View

from core import pagecache
from core.formatting import format_when
from orders.actors import Actor
from orders.models import Order
from orders.selectors import ORDER_PAGE_ROWS
from orders.views.buyer import BuyerOrderMixin

from .forms import CancelItemsForm, ConfirmCancellationForm
from .models import Cancellation, CancellationRequest, Reason
from .money import money_outcome, money_outcome_now
from .rules import BuyerMode, buyer_mode, direct_cancel_deadline
from .services.common import AlreadyDone, CancellationError
from .services.requests import submit_buyer_cancellation, withdraw_request

IDEMPOTENCY_KEY = re.compile(r"[0-9a-f]{32}")


class CancelItemsView(BuyerOrderMixin, View):
    template_name = "cancellations/cancel_items.html"
    http_method_names = ["get", "post"]
    order_detailed = False  # the form and the review page read the lines and the payment

    def load(self, request: HttpRequest) -> HttpResponse | None:
        """The order, its lines and what the buyer may do; the order page when nothing is left."""
        self.order = self.get_order()
        self.lines = list(self.order.lines.all())
        self.mode = buyer_mode(self.order, self.lines)
        if self.mode is None:
            messages.info(request, "Nothing in this order can be cancelled any more.")
            return redirect(self.order)
        return None

    def get(self, request, number):
        """
        The form, from the page cache while the order's rows are unchanged and neither
        the quick-cancel window nor the ship-by date has passed (``buyer_mode`` and
        ``cancel_form_context`` name them).
        """
        return pagecache.serve(
            request,
            name="cancel_items",
            versions=lambda: ORDER_PAGE_ROWS.versions(request.user.pk, number),
            render=lambda: self.render_form(request),
        )

    def render_form(self, request: HttpRequest) -> HttpResponse:
        if gone := self.load(request):
            return gone
        form = CancelItemsForm(lines=self.lines)
        return render(request, self.template_name, cancel_form_context(self.order, form, self.mode))

    def post(self, request, number):
        """Validate the choices and show the review page (nothing changes yet)."""
        if gone := self.load(request):
            return gone
        order, mode = self.order, self.mode
        form = CancelItemsForm(request.POST, lines=self.lines)
        if "change" in request.POST:
            # "Change" on the review page: back to the form with the choices made.
            return render(request, self.template_name, cancel_form_context(order, form, mode))
        if not form.is_valid():
            return render(
                request, self.template_name, cancel_form_context(order, form, mode), status=400
            )
        return render(request, "cancellations/review.html", review_context(order, form, mode))


def cancel_form_context(order, form, mode):
    pagecache.expires(order.ship_by)  # the page says the order is late from then
    return {
        "order": order,
        "form": form,
        "mode": mode,
        "direct_until": direct_cancel_deadline(order),
        "now": timezone.now(),
    }


def review_context(order, form, mode):
    chosen = form.chosen()
    amount = sum(line.unit_price * qty for line, qty in chosen)
    return {
        "order": order,
        "mode": mode,
        "chosen": chosen,
        "amount": amount,
        "money": money_outcome(order.payment, amount),
        "reason_label": Reason(form.cleaned_data["reason"]).label,
        "reason": form.cleaned_data["reason"],
        "note": form.cleaned_data["note"],
        "idempotency_key": uuid.uuid4().hex,
    }


class ConfirmCancellationView(BuyerOrderMixin, View):
    http_method_names = ["post"]  # GET on the confirm URL: 405, nothing changes
    order_detailed = False

    def post(self, request, number):
        order = self.get_order()
        lines = list(order.lines.all())
        if already_submitted(order, request.POST.get("idempotency_key", "")):
            messages.info(request, "That cancellation was already submitted; nothing more changed.")
            return redirect(order)
        form = ConfirmCancellationForm(request.POST, lines=lines)
        if not form.is_valid():
            mode = buyer_mode(order, lines)
            if mode is None:
                messages.error(request, "Nothing in this order can be cancelled any more.")
                return redirect(order)
            # Back to the choices, with their errors: the confirm form holds the same fields.
            messages.error(request, "Please check your choices and review them again.")
            context = cancel_form_context(order, form, mode)
            return render(request, CancelItemsView.template_name, context, status=400)
        data = form.cleaned_data
        try:
            result = submit_buyer_cancellation(
                order_id=order.pk,
                quantities=data["quantities"],
                reason=data["reason"],
                note=data["note"],
                actor=Actor.buyer(request.user),
                idempotency_key=data["idempotency_key"],
                expected_mode=BuyerMode(data["mode"]),
            )
        except AlreadyDone:
            messages.info(request, "That cancellation was already submitted; nothing more changed.")
            return redirect(order)
        except CancellationError as error:
            # E.g. the quick-cancel window closed since the review: back to the form
            # with the choices made, to review again (now as a request).
            messages.error(request, str(error))
            mode = buyer_mode(order, lines)
            if mode is None:
                return redirect(order)
            form = CancelItemsForm(request.POST, lines=lines)
            context = cancel_form_context(order, form, mode)
            return render(request, CancelItemsView.template_name, context, status=409)
        messages.success(request, submitted_message(result))
        return redirect(order)


def already_submitted(order: Order, key: str) -> bool:
    """Whether this Confirm's key already cancelled or asked (a second click, a reload)."""
    # Only a well-formed key is looked up: anything else never reaches the database.
    return bool(IDEMPOTENCY_KEY.fullmatch(key)) and (
        Cancellation.objects.filter(idempotency_key=key, order=order).exists()
        or CancellationRequest.objects.filter(idempotency_key=key, order=order).exists()
    )


def submitted_message(result: Cancellation | CancellationRequest) -> str:
    """What the buyer is told after Confirm: what was cancelled, or until when the seller has."""
    if isinstance(result, Cancellation):
        return (
            f"Cancelled {result.units} item{'s' if result.units != 1 else ''}. "
            + money_outcome_now(result)
        )
    return (
        "We asked the seller to cancel. They have until "
        f"{format_when(result.response_due_at())} to answer; "
        "we'll email you when they do."
    )


class WithdrawRequestView(BuyerOrderMixin, View):
    http_method_names = ["post"]

    def post(self, request, number, request_id):
        order = self.get_order()
        cancellation_request = get_object_or_404(
            CancellationRequest, pk=request_id, order=order, buyer=request.user
        )
        try:
            withdraw_request(request_id=cancellation_request.pk, actor=Actor.buyer(request.user))
        except AlreadyDone:
            messages.info(request, "That request is no longer pending.")
        except CancellationError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, "You withdrew your cancellation request.")
        return redirect(order)
