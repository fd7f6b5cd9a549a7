"""A case still being decided keeps its buyer's and its seller's accounts open (§16)."""

from django.contrib.auth.models import User
from django.db.models import Q

from accounts.closing import Blocker, blocker

from .models import ACTIVE_STATES, Dispute


@blocker
def active_cases(user: User) -> list[Blocker]:
    cases = (
        Dispute.objects.filter(
            Q(buyer=user) | Q(order__seller__user=user), status__in=ACTIVE_STATES
        )
        .select_related("order")
        .order_by("pk")
    )
    return [
        Blocker(f"{case}: {case.get_status_display().lower()}", case.get_absolute_url())
        for case in cases
    ]
