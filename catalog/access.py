from typing import Any

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest


class SellersOnly(PermissionDenied):
    """A signed-in customer without a store in Seller Central (the 403 page offers one)."""


class SellerRequiredMixin(LoginRequiredMixin):
    """Seller Central: sign in first; a signed-in user without a store gets 403."""

    request: HttpRequest  # the view's, which this mixin is mixed into
    kwargs: dict[str, Any]

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not hasattr(request.user, "seller"):
            raise SellersOnly("Seller Central is for sellers.")
        return super().dispatch(request, *args, **kwargs)

    @property
    def seller(self):
        return self.request.user.seller
