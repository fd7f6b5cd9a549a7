"""
Seller Central → Requests: the buyers' cancellation requests, oldest first, each with
Approve and Decline (also offered on the order's page, which they go back to).

Thin adapters: read through selectors scoped to the signed-in seller (another seller's
request is a 404; a user without a store gets 403), write through one
``cancellations`` service, and turn its refusals into form errors or messages.
"""

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views import View

from cancellations import selectors
from cancellations.forms import DeclineRequestForm
from cancellations.models import CancellationRequest
from cancellations.services.common import AlreadyDone, CancellationError
from cancellations.services.requests import approve_request, decline_request
from catalog.access import SellerRequiredMixin
from catalog.models import Seller
from orders.actors import Actor, signed_in_user

from .cancel import cancelled_message

MAX_ID = 2**63 - 1


class SellerRequestsView(SellerRequiredMixin, View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        return requests_page(request, self.seller)


def requests_page(
    request: HttpRequest,
    seller: Seller,
    *,
    invalid: dict[int, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """The queue, oldest first, each with its Decline form (the invalid one with its errors)."""
    invalid = invalid or {}
    rows = [
        (item, invalid.get(item.pk) or DeclineRequestForm(prefix=f"r{item.pk}"))
        for item in selectors.pending_requests_for_seller(seller)
    ]
    return render(request, "sellercentral/requests.html", {"requests": rows}, status=status)


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

    def back(self) -> HttpResponse:
        """Back to where the seller answered from: the queue, or the order page."""
        if self.request.POST.get("from") == "order":
            return redirect(self.get_request().order.get_seller_url())
        return redirect("sellercentral:requests")


class ApproveRequestView(SellerRequestMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, request_id: int) -> HttpResponse:
        cancellation_request = self.get_request()
        try:
            cancellation = approve_request(
                request_id=cancellation_request.pk, actor=Actor.seller(signed_in_user(request))
            )
        except CancellationError as error:  # AlreadyDone included: its message says which
            messages.error(request, str(error))
        else:
            messages.success(request, cancelled_message(cancellation))
        return self.back()


class DeclineRequestView(SellerRequestMixin, View):
    http_method_names = ["post"]

    def post(self, request: HttpRequest, request_id: int) -> HttpResponse:
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
                    actor=Actor.seller(signed_in_user(request)),
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
