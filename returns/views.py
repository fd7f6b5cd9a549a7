"""
Your Orders → Return items: form → review → Confirm, then the return's page (its status,
where to send the parcel, the tracking form, Withdraw). Works without JavaScript: the
review page carries the choices in hidden fields, and Confirm validates them again
(nothing a browser sends is trusted twice). Thin adapters: each POST calls one service and
turns its ``ReturnError`` into a message or a form error; nothing changes on a GET.
"""

import re
import uuid

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from core.formatting import format_when, money
from orders.actors import Actor, signed_in_user
from orders.views.buyer import BuyerOrderMixin
from payments import services as payments
from payments.models import PaymentTransaction

from . import rules, selectors, services
from .forms import ConfirmReturnForm, ReturnItemsForm, TrackingForm
from .models import SELLER_CLOSE_REASONS, ReturnReason, ReturnRequest, ReturnStatus
from .services import ReturnError

IDEMPOTENCY_KEY = re.compile(r"[0-9a-f]{32}")


class ReturnItemsView(BuyerOrderMixin, View):
    """The choices (GET), then their review (POST): nothing changes on either."""

    template_name = "returns/return_items.html"
    http_method_names = ["get", "post"]
    order_detailed = False  # the form and the review read the lines, not the timeline

    def load(self, request: HttpRequest) -> HttpResponse | None:
        """The order, its lines and returnable units; the order page when none may go back."""
        self.order = self.get_order()
        self.lines = list(self.order.lines.all())
        self.returns = selectors.returns_of_order(self.order)
        if why := rules.why_not_return(self.order, self.lines, self.returns, timezone.now()):
            messages.info(request, why)
            return redirect(self.order)
        self.returnable = rules.returnable_units(self.lines, self.returns)
        return None

    def form(self, data=None, form_class=ReturnItemsForm):
        return form_class(data, lines=self.lines, returnable=self.returnable)

    def get(self, request, number):
        if gone := self.load(request):
            return gone
        return render(request, self.template_name, form_context(self.order, self.form()))

    def post(self, request, number):
        if gone := self.load(request):
            return gone
        form = self.form(request.POST)
        if "change" in request.POST:
            # "Change" on the review page: back to the form with the choices made.
            return render(request, self.template_name, form_context(self.order, form))
        if not form.is_valid():
            return render(request, self.template_name, form_context(self.order, form), status=400)
        data = form.cleaned_data
        try:
            preview = services.preview_return(
                order=self.order,
                lines=self.lines,
                quantities=data["quantities"],
                reason=data["reason"],
                opened=data["opened"],
                returns=self.returns,
            )
        except ReturnError as error:
            form.add_error(None, str(error))
            return render(request, self.template_name, form_context(self.order, form), status=400)
        return render(request, "returns/review.html", self.review_context(form, preview))

    def review_context(self, form: ReturnItemsForm, preview: services.ReturnPreview) -> dict:
        data = form.cleaned_data
        return {
            "order": self.order,
            "chosen": form.chosen(),
            "preview": preview,
            "reason": data["reason"],
            "reason_label": ReturnReason(data["reason"]).label,
            "note": data["note"],
            "opened": "yes" if data["opened"] else "no",
            "deadline": rules.return_deadline(self.order),
            "response_hours": settings.RETURN_RESPONSE_HOURS,
            "ship_back_days": settings.RETURN_SHIP_BACK_DAYS,
            "max_fee_percent": settings.RESTOCKING_FEE_MAX_PERCENT,
            "idempotency_key": uuid.uuid4().hex,
        }


def form_context(order, form) -> dict:
    return {"order": order, "form": form, "deadline": rules.return_deadline(order)}


class ConfirmReturnView(ReturnItemsView):
    """Confirm on the review page: the one POST that files the return."""

    http_method_names = ["post"]  # GET on the confirm URL: 405, nothing changes

    def post(self, request, number):
        order = self.get_order()
        if done := submitted_return(order, request.POST.get("idempotency_key", "")):
            messages.info(request, "That return was already submitted; nothing more changed.")
            return redirect(return_url(done))
        if gone := self.load(request):
            return gone
        form = self.form(request.POST, form_class=ConfirmReturnForm)
        if not form.is_valid():
            # Back to the choices, with their errors: the confirm form holds the same fields.
            messages.error(request, "Please check your choices and review them again.")
            return render(request, self.template_name, form_context(order, form), status=400)
        data = form.cleaned_data
        try:
            filed = services.request_return(
                order_id=order.pk,
                quantities=data["quantities"],
                reason=data["reason"],
                note=data["note"],
                opened=data["opened"],
                actor=Actor.buyer(signed_in_user(request)),
                expected_refund=data["expected_refund"],
                idempotency_key=data["idempotency_key"],
            )
        except ReturnError as error:
            # E.g. the refund changed since the review: back to the form with the
            # choices made, to review again.
            messages.error(request, str(error))
            if gone := self.load(request):
                return gone
            form = self.form(request.POST)
            return render(request, self.template_name, form_context(order, form), status=409)
        messages.success(request, filed_message(filed))
        return redirect(return_url(filed))


def return_url(the_return: ReturnRequest) -> str:
    return reverse("returns:detail", args=[the_return.pk])


def submitted_return(order, key: str) -> ReturnRequest | None:
    """The return this Confirm's key already filed (a second click, a reload), if any."""
    # Only a well-formed key is looked up: anything else never reaches the database.
    if not IDEMPOTENCY_KEY.fullmatch(key):
        return None
    return order.returns.filter(idempotency_key=key).first()


def filed_message(filed: ReturnRequest) -> str:
    """What the buyer is told after Confirm."""
    if filed.returnless:
        return (
            f"Return {filed.number}: you keep the item, and {money(filed.refund_amount)} "
            "is refunded to your card."
        )
    if filed.status == ReturnStatus.AUTHORIZED:
        return (
            f"Return {filed.number} is authorized: ship it back by "
            f"{format_when(filed.ship_back_by)}."
        )
    return (
        f"Return {filed.number} requested. The seller has until {format_when(filed.respond_by)} "
        "to authorize it; we'll email you the return address when they do."
    )


class ReturnMixin(LoginRequiredMixin):
    """The return named in the URL, of an order of the signed-in buyer; anyone else's is a 404."""

    request: HttpRequest
    kwargs: dict

    def get_return(self) -> ReturnRequest:
        try:
            return selectors.return_for_buyer(signed_in_user(self.request), self.kwargs["pk"])
        except ReturnRequest.DoesNotExist:
            raise Http404("No return with that number in your account.") from None


class ReturnDetailView(ReturnMixin, View):
    template_name = "returns/return_detail.html"
    http_method_names = ["get"]

    def get(self, request, pk):
        the_return = self.get_return()
        initial = {"carrier": the_return.carrier, "tracking_number": the_return.tracking_number}
        return render_return(request, the_return, TrackingForm(initial=initial))


def render_return(request, the_return: ReturnRequest, tracking_form, status=200) -> HttpResponse:
    context = {
        "return": the_return,
        "order": the_return.order,
        "tracking_form": tracking_form,
        "can_track": the_return.status in (ReturnStatus.AUTHORIZED, ReturnStatus.SHIPPED_BACK),
        "can_withdraw": the_return.status in (ReturnStatus.REQUESTED, ReturnStatus.AUTHORIZED),
        "open_case_url": open_case_url(the_return),
        "refund_at_least": the_return.item_value - the_return.max_restocking_fee,
        "refund_state": refund_state(the_return),
    }
    return render(request, "returns/return_detail.html", context, status=status)


def refund_state(the_return: ReturnRequest) -> str:
    """
    What became of a refunded return's money at the gateway: "failed", "pending" or
    "done" (one query), so the page never says "refunded" for money that did not move.
    """
    if the_return.status != ReturnStatus.REFUNDED:
        return ""
    key = services.refund_key(the_return)
    found = payments.release_statuses(idempotency_keys=[key])[key]
    if PaymentTransaction.Status.FAILED in found:
        return "failed"
    if PaymentTransaction.Status.PENDING in found:
        return "pending"
    return "done"


def open_case_url(the_return: ReturnRequest) -> str:
    """Where the buyer opens a case about a return the seller closed (the Resolution Center)."""
    if the_return.status != ReturnStatus.CLOSED or the_return.close_reason not in (
        SELLER_CLOSE_REASONS
    ):
        return ""
    # The order page's Resolution Center panel offers "Open a case" (returns may not name
    # the Resolution Center's URLs: disputes sits beside returns and imports it, not back).
    return f"{the_return.order.get_absolute_url()}#cases-heading"


class AddTrackingView(ReturnMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        the_return = self.get_return()
        form = TrackingForm(request.POST)
        if not form.is_valid():
            return render_return(request, the_return, form, status=400)
        try:
            services.add_tracking(
                return_id=the_return.pk,
                carrier=form.cleaned_data["carrier"],
                tracking_number=form.cleaned_data["tracking_number"],
                actor=Actor.buyer(signed_in_user(request)),
            )
        except ReturnError as error:
            # E.g. withdrawn or closed meanwhile: its page as it now stands says the rest.
            messages.error(request, str(error))
            return redirect(return_url(the_return))
        messages.success(request, "Thank you: the seller can now follow your parcel.")
        return redirect(return_url(the_return))


class WithdrawReturnView(ReturnMixin, View):
    http_method_names = ["post"]

    def post(self, request, pk):
        the_return = self.get_return()
        try:
            services.withdraw_return(
                return_id=the_return.pk, actor=Actor.buyer(signed_in_user(request))
            )
        except ReturnError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, f"You withdrew return {the_return.number}.")
        return redirect(return_url(the_return))
