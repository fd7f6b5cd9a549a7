"""A buyer's pending cancellation request keeps their account open (docs/DESIGN.md §16)."""

from django.contrib.auth.models import User

from accounts.closing import Blocker, blocker

from .models import CancellationRequest


@blocker
def pending_requests(user: User) -> list[Blocker]:
    requests = (
        CancellationRequest.objects.filter(buyer=user, status=CancellationRequest.Status.PENDING)
        .select_related("order")
        .order_by("pk")
    )
    return [
        Blocker(
            f"Cancellation request on order {request.order.number}: waiting for the seller",
            request.order.get_absolute_url(),
        )
        for request in requests
    ]
