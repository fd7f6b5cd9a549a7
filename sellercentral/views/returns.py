"""
Seller Central → Returns: the buyers' returns of the seller's orders, grouped by what
they wait for ("Waiting for you", "On the way back", "Delivered to you"), the closed
and refunded ones on a second tab; and a return's page, where the seller authorizes
it, closes it with a reason the buyer reads, or marks it received and refunds.

Thin adapters: read through ``returns.selectors`` scoped to the signed-in seller
(another seller's return is a 404; a user without a store gets 403), write through one
``returns`` service, and turn its refusals (``ReturnError``) into form errors or
messages. GET never changes anything; every change is a POST with CSRF.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from core.formatting import money
from orders.actors import Actor, signed_in_user
from returns import selectors
from returns.models import OPEN_STATUSES, ReturnRequest, ReturnStatus
from returns.services import (
    ReturnError,
    authorize_return,
    close_return,
    receive_return,
    store_return_address,
)

from ..forms import CloseReturnForm, ReceiveReturnForm

MAX_ID = 2**63 - 1
CLOSED_PER_PAGE = 25

# The open returns' groups, in the order the queue shows them: what each waits for.
WAITING = "waiting"
ON_THE_WAY = "on-the-way"
DELIVERED = "delivered"
GROUPS = [
    (WAITING, "Waiting for you", [ReturnStatus.REQUESTED]),
    (ON_THE_WAY, "On the way back", [ReturnStatus.AUTHORIZED, ReturnStatus.SHIPPED_BACK]),
    (DELIVERED, "Delivered to you: mark received", [ReturnStatus.DELIVERED_BACK]),
]
RECEIVABLE = {ReturnStatus.SHIPPED_BACK, ReturnStatus.DELIVERED_BACK}


@dataclass(frozen=True)
class Group:
    slug: str
    title: str
    returns: list[ReturnRequest]


def open_groups(seller: Seller) -> list[Group]:
    """The open returns, each group the one due first on top."""
    returns = list(selectors.open_returns_for_seller(seller))
    groups = []
    for slug, title, statuses in GROUPS:
        members = [item for item in returns if item.status in statuses]
        members.sort(key=lambda item: (item.requested_at, item.pk))
        groups.append(Group(slug, title, members))
    return groups


def return_url(item: ReturnRequest) -> str:
    return reverse("sellercentral:return", args=[item.pk])


def has_return_address(item: ReturnRequest) -> bool:
    """Whether the store has the address an authorized return is sent to (as the service asks)."""
    return bool(store_return_address(item.order))


def fee_explanation(item: ReturnRequest) -> str:
    """Why the restocking fee may be up to what it is: the page says it beside the form."""
    if item.seller_fault:
        return (
            f"No restocking fee: the buyer's reason, “{item.get_reason_display()}”, "
            "is a fault on your side, so the refund is full."
        )
    if item.max_restocking_fee <= 0:
        return "No restocking fee: the buyer returns the item unopened, so the refund is full."
    return (
        f"Up to {money(item.max_restocking_fee)}: {settings.RESTOCKING_FEE_MAX_PERCENT} % of "
        f"{money(item.item_value)}, since the buyer opened the item and returns it for "
        f"“{item.get_reason_display()}”, not for a fault of yours. "
        "The buyer was shown this before sending the return."
    )


class SellerReturnsView(SellerRequiredMixin, View):
    """The queue (open returns, grouped) or, on the "closed" tab, the finished ones."""

    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        closed = request.GET.get("tab") == "closed"
        context: dict[str, Any] = {
            "tab": "closed" if closed else "open",
            "response_hours": settings.RETURN_RESPONSE_HOURS,
            "refunded": ReturnStatus.REFUNDED,
        }
        if closed:
            finished = selectors.returns_for_seller(self.seller).exclude(status__in=OPEN_STATUSES)
            paginator = Paginator(finished, CLOSED_PER_PAGE)
            context["page_obj"] = paginator.get_page(request.GET.get("page"))
        else:
            context["groups"] = open_groups(self.seller)
        return render(request, "sellercentral/returns.html", context)


class SellerReturnMixin(SellerRequiredMixin):
    """The return named in the URL, of one of the signed-in seller's orders; else 404."""

    def get_return(self) -> ReturnRequest:
        if self.kwargs["return_id"] > MAX_ID:  # past bigint: no such row, not a DB error
            raise Http404("No such return in your store.")
        try:
            return selectors.returns_for_seller(self.seller).get(pk=self.kwargs["return_id"])
        except ReturnRequest.DoesNotExist:
            raise Http404("No such return in your store.") from None

    def render_page(
        self, item: ReturnRequest, *, forms: dict[str, Form] | None = None, status: int = 200
    ) -> HttpResponse:
        """The return's page with its forms (an invalid one with its errors)."""
        forms = forms or {}
        context = {
            "item": item,
            "has_return_address": has_return_address(item),
            "close_form": forms.get("close") or CloseReturnForm(),
            "receive_form": forms.get("receive")
            or ReceiveReturnForm(max_fee=item.max_restocking_fee),
            "can_answer": item.status == ReturnStatus.REQUESTED,
            "can_receive": item.status in RECEIVABLE,
            "fee_explanation": fee_explanation(item),
            "authorized": ReturnStatus.AUTHORIZED,
            "refunded": ReturnStatus.REFUNDED,
        }
        return render(self.request, "sellercentral/return.html", context, status=status)

    def actor(self) -> Actor:
        return Actor.seller(signed_in_user(self.request))


class SellerReturnDetailView(SellerReturnMixin, View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest, return_id: int) -> HttpResponse:
        return self.render_page(self.get_return())


class AuthorizeReturnView(SellerReturnMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, return_id: int) -> HttpResponse:
        item = self.get_return()
        if not has_return_address(item):
            messages.error(
                request,
                "Your store has no return address yet: add it on the Store page, then authorize.",
            )
            return redirect(return_url(item))
        try:
            authorize_return(return_id=item.pk, actor=self.actor())
        except ReturnError as error:
            messages.error(request, str(error))
        else:
            messages.success(
                request,
                f"Return {item.number} authorized. The buyer has your return address and "
                "will send the item back.",
            )
        return redirect(return_url(item))


class CloseReturnView(SellerReturnMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, return_id: int) -> HttpResponse:
        item = self.get_return()
        if item.status != ReturnStatus.REQUESTED:
            messages.info(request, "This return was already answered; nothing changed.")
            return redirect(return_url(item))
        form = CloseReturnForm(request.POST)
        if form.is_valid():
            try:
                close_return(
                    return_id=item.pk,
                    reason=form.cleaned_data["reason"],
                    note=form.cleaned_data["note"],
                    actor=self.actor(),
                )
            except ReturnError as error:  # answered meanwhile (another tab, the job)
                messages.error(request, str(error))
                return redirect(return_url(item))
            else:
                messages.success(
                    request,
                    f"Return {item.number} closed. The buyer has your note and may open a "
                    "case in the Resolution Center.",
                )
                return redirect(return_url(item))
        return self.render_page(self.get_return(), forms={"close": form}, status=400)


class ReceiveReturnView(SellerReturnMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, return_id: int) -> HttpResponse:
        item = self.get_return()
        if item.status not in RECEIVABLE:
            messages.info(request, "This return is not waiting to be received; nothing changed.")
            return redirect(return_url(item))
        form = ReceiveReturnForm(request.POST, max_fee=item.max_restocking_fee)
        if form.is_valid():
            try:
                received = receive_return(
                    return_id=item.pk,
                    condition=form.cleaned_data["condition"],
                    restocking_fee=form.fee(),
                    actor=self.actor(),
                )
            except ReturnError as error:  # received or refunded meanwhile, or not shipped
                messages.error(request, str(error))
                return redirect(return_url(item))
            else:
                messages.success(request, received_message(received))
                return redirect(return_url(item))
        return self.render_page(self.get_return(), forms={"receive": form}, status=400)


def received_message(item: ReturnRequest) -> str:
    refund = f"The buyer is refunded {money(item.refund_amount)}"
    if item.restocking_fee > Decimal(0):
        refund += f" ({money(item.restocking_fee)} restocking fee kept)"
    stock = "the units are back in stock" if item.restocked else "the units were not restocked"
    return f"Return {item.number} received: {refund}; {stock}."
