"""
Seller Central → Messages: the buyers waiting for an answer (the answer itself is posted
on the order's page, ``order``).

A thin adapter: reads through selectors scoped to the signed-in seller; nothing here writes.
"""

from typing import Any

from django.views.generic import TemplateView

from catalog.access import SellerRequiredMixin
from orders import selectors


class SellerMessagesView(SellerRequiredMixin, TemplateView):
    """The seller's orders whose buyer waits for an answer, the one due first on top."""

    template_name = "sellercentral/messages.html"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return super().get_context_data(
            threads=selectors.waiting_threads_for_seller(seller=self.seller),
            answer_hours=selectors.MESSAGE_ANSWER_HOURS,
            **kwargs,
        )
