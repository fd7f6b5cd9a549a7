"""
Seller Central → Requests: the buyers' cancellation requests, oldest first, each with
Approve and Decline (also offered on the order's page, which they go back to).

Thin adapters: read through selectors scoped to the signed-in seller (another seller's
request is a 404; a user without a store gets 403), write through one
``cancellations`` service, and turn its refusals into form errors or messages. The
queue is served from the page cache (core.pagecache) while its page of requests, their
orders and how many wait are as they were.
"""

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
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
from core import pagecache
from orders.actors import Actor, signed_in_user
from orders.changelog import seller_version

from .cancel import cancelled_message

MAX_ID = 2**63 - 1
# The queue's page: a seller with hundreds of requests waiting sees the 25 due first.
REQUESTS_PER_PAGE = 25


class SellerRequestsView(SellerRequiredMixin, View):
    http_method_names = ["get"]

    def get(self, request: HttpRequest) -> HttpResponse:
        """
        The page from the cache while none of the seller's orders, nor anything of theirs
        (their requests first), has changed: the seller's version (orders.changelog).
        Times ("5 hours ago", "in 1 day") are filled per request; nothing else changes by
        time alone.
        """
        return pagecache.serve(
            request,
            name="seller_requests",
            versions=lambda: str(seller_version(request, self.seller.pk)),
            render=lambda: requests_page(request, self.seller),
        )


def requests_page(
    request: HttpRequest,
    seller: Seller,
    *,
    invalid: dict[int, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """
    A page of the queue, oldest first, each with its Decline form; after a refused
    Decline, the page that request is on, with its form and errors.
    """
    pending = selectors.pending_requests_for_seller(seller)
    number = request.GET.get("page")
    for request_id in invalid or {}:  # at most one: the form just posted
        number = str(_page_of(pending, request_id))
    page = Paginator(pending, REQUESTS_PER_PAGE).get_page(number)
    return render_queue(request, page, invalid=invalid, status=status)


def render_queue(
    request: HttpRequest,
    page: Page,
    *,
    invalid: dict[int, Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    """A page of the queue, each request with its Decline form (``invalid``'s if posted)."""
    invalid = invalid or {}
    rows = [
        (item, invalid.get(item.pk) or DeclineRequestForm(prefix=f"r{item.pk}"))
        for item in page.object_list
    ]
    return render(
        request,
        "sellercentral/requests.html",
        {"requests": rows, "page_obj": page},
        status=status,
    )


def _page_of(pending: QuerySet[CancellationRequest], request_id: int) -> int:
    """The queue's page a pending request is on (1 when it is no longer pending)."""
    item = pending.filter(pk=request_id).values("created_at").first()
    if item is None:
        return 1
    ahead = pending.filter(
        Q(created_at__lt=item["created_at"]) | Q(created_at=item["created_at"], pk__lt=request_id)
    ).count()
    return ahead // REQUESTS_PER_PAGE + 1


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
